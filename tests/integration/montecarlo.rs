//! Monte Carlo runner: bit-identical across thread counts, replayable per sample, early
//! stopping, common random numbers, and sampled outages calibrated against their inputs.

use ridethrough::prelude::*;
use ridethrough::studies::montecarlo::{self, McConfig};
use ridethrough::studies::stats::BINS_PER_DECADE;

/// Statistical checks pass within this many standard errors.
const N_SE: f64 = 4.0;

fn hourly_site(units: u32, scale: f64) -> (Site, Policy) {
    let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML
        .replace("step = \"1m\"", "step = \"1h\"")
        .replace("units = 16", &format!("units = {units}"))
        .replace(
            "preset = \"distribution\"",
            &format!("preset = \"distribution\"\nscale = {scale}"),
        );
    let s = Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap();
    (s.site().clone(), *s.policy())
}

#[test]
fn results_are_bit_identical_with_one_or_two_threads() {
    let (site, policy) = hourly_site(16, 3.0);
    let mut cfg = McConfig::new(700, 99);
    cfg.keep_samples = true;
    cfg.threads = 1;
    let one = montecarlo::run(&site, &policy, &cfg, &|_| {}).unwrap();
    cfg.threads = 2;
    let two = montecarlo::run(&site, &policy, &cfg, &|_| {}).unwrap();
    assert_eq!(one, two);
    assert!(
        one.indices.eue_mwh.mean > 0.0,
        "the test needs some loss of load"
    );
    // Bits, not just PartialEq (which would equate 0.0 and -0.0).
    assert_eq!(
        serde_json::to_string(&one).unwrap(),
        serde_json::to_string(&two).unwrap()
    );
}

#[test]
fn fast_forward_on_and_off_give_the_same_study() {
    // The same samples stepped every step and fast-forwarded: the same counts (LOLE in steps,
    // events, outages) and every index to rounding.
    let (site, policy) = hourly_site(12, 3.0);
    let mut cfg = McConfig::new(300, 5);
    cfg.keep_samples = true;
    let fast = montecarlo::run(&site, &policy, &cfg, &|_| {}).unwrap();
    cfg.fast_forward = false;
    let stepped = montecarlo::run(&site, &policy, &cfg, &|_| {}).unwrap();
    assert!(
        fast.indices.eue_mwh.mean > 0.0,
        "the test needs loss of load"
    );
    let (a, b) = (fast.samples.unwrap(), stepped.samples.unwrap());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.loss_of_load_events, y.loss_of_load_events);
        assert_eq!(x.grid_outages, y.grid_outages);
        assert_eq!(x.grid_outages_carried, y.grid_outages_carried);
        assert_eq!(
            x.loss_of_load_step_hours.to_bits(),
            y.loss_of_load_step_hours.to_bits()
        );
        assert_eq!(
            x.loss_of_load_hours.to_bits(),
            y.loss_of_load_hours.to_bits()
        );
    }
    crate::common::assert_json_agree(&fast.indices, &stepped.indices, "indices");
}

/// A month at hourly steps with frequent random outages and `units` Megapacks: cheap samples,
/// loss of load in many of them.
fn small_site(units: u32) -> (Site, Policy) {
    let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML
        .replace("step = \"1m\"", "step = \"1h\"")
        .replace("horizon = \"365d\"", "horizon = \"30d\"")
        .replace(
            "[[grid.scheduled_outages]]\nstart = \"120d\"\nduration = \"4h\"\n",
            "",
        )
        .replace("units = 16", &format!("units = {units}"))
        .replace(
            "preset = \"distribution\"",
            "preset = \"distribution\"\nscale = 30.0",
        );
    let s = Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap();
    (s.site().clone(), *s.policy())
}

/// A study's result, its JSON (bits, not `PartialEq`, which would equate 0.0 and -0.0) and its
/// progress reports as `(done, EUE mean bits, EUE SE bits)`.
struct Run {
    result: montecarlo::McResult,
    json: String,
    reports: Vec<(u64, u64, u64)>,
}

fn run_on(site: &Site, policy: &Policy, cfg: &McConfig, threads: usize) -> Run {
    let mut cfg = cfg.clone();
    cfg.threads = threads;
    let reports = std::sync::Mutex::new(Vec::new());
    let result = montecarlo::run(site, policy, &cfg, &|p| {
        reports
            .lock()
            .unwrap()
            .push((p.done, p.eue_mwh.mean.to_bits(), p.eue_mwh.se.to_bits()));
    })
    .unwrap();
    Run {
        json: serde_json::to_string(&result).unwrap(),
        result,
        reports: reports.into_inner().unwrap(),
    }
}

#[test]
fn results_are_bit_identical_with_1_2_3_or_7_threads() {
    let (site, policy) = small_site(4);
    let mut full = McConfig::new(1_300, 21);
    full.keep_samples = true;
    let mut early = McConfig::new(200_000, 22);
    early.keep_samples = true;
    early.target_relative_se = Some(0.03);
    early.min_samples = 1_000;
    // Fewer chunks (3) than threads.
    let tiny = McConfig::new(40, 23);
    for cfg in [&full, &early, &tiny] {
        let one = run_on(&site, &policy, cfg, 1);
        for threads in [2, 3, 7] {
            let other = run_on(&site, &policy, cfg, threads);
            assert!(
                one.json == other.json,
                "{threads} threads differ from one for {cfg:?}"
            );
            assert_eq!(
                one.reports, other.reports,
                "progress, {threads} threads, {cfg:?}"
            );
        }
    }
    let r = run_on(&site, &policy, &early, 3);
    assert!(r.result.stopped_early, "the test needs an early stop");
    let n = r.result.indices.samples;
    assert!(
        (1_000..200_000).contains(&n) && n % 512 == 0,
        "stopped after {n} samples"
    );
    assert!(
        r.result.indices.eue_mwh.mean > 0.0,
        "the test needs some loss of load"
    );
    // An early stop is a sequential run of that many samples, to the bit.
    let mut same_n = McConfig::new(n, 22);
    same_n.keep_samples = true;
    let mut plain = run_on(&site, &policy, &same_n, 1).result;
    assert!(!plain.stopped_early);
    plain.stopped_early = true;
    assert_eq!(serde_json::to_string(&plain).unwrap(), r.json);
    let kept = r.result.samples.unwrap();
    assert!(kept.iter().enumerate().all(|(i, s)| s.index == i as u64));
    assert_eq!(kept.len() as u64, n);
}

#[test]
fn comparisons_are_bit_identical_with_1_2_3_or_7_threads() {
    let (a, p) = small_site(4);
    let (b, q) = small_site(6);
    let cfg = |threads| {
        let mut c = McConfig::new(700, 31);
        c.threads = threads;
        c
    };
    let one = montecarlo::compare((&a, &p), (&b, &q), &cfg(1), &|_| {}).unwrap();
    assert!(
        one.eue_difference_mwh.mean < 0.0,
        "the test needs a difference"
    );
    for threads in [2, 3, 7] {
        let other = montecarlo::compare((&a, &p), (&b, &q), &cfg(threads), &|_| {}).unwrap();
        assert_eq!(
            serde_json::to_string(&one).unwrap(),
            serde_json::to_string(&other).unwrap(),
            "{threads} threads"
        );
    }
}

#[test]
fn every_sample_can_be_replayed_from_its_seed() {
    let (site, policy) = hourly_site(16, 3.0);
    let mut cfg = McConfig::new(40, 5);
    cfg.keep_samples = true;
    let r = montecarlo::run(&site, &policy, &cfg, &|_| {}).unwrap();
    let samples = r.samples.unwrap();
    assert_eq!(samples.len(), 40);
    for (i, s) in samples.iter().enumerate() {
        assert_eq!(s.index, i as u64);
        assert_eq!(s.seed, ridethrough::rng::sample_seed(5, s.index));
        let replay = site.simulate(policy, s.seed).run(&mut ()).report();
        // Every field of the summary is the replayed run's own figure.
        assert_eq!(replay.totals.unserved_mwh, s.unserved_mwh);
        assert_eq!(replay.totals.facility_mwh, s.facility_mwh);
        assert_eq!(replay.totals.loss_of_load_hours, s.loss_of_load_hours);
        assert_eq!(
            replay.totals.loss_of_load_step_hours,
            s.loss_of_load_step_hours
        );
        assert_eq!(replay.loss_of_load.len() as u32, s.loss_of_load_events);
        assert_eq!(replay.grid_outages.len() as u32, s.grid_outages);
        assert_eq!(replay.outages_carried() as u32, s.grid_outages_carried);
    }
    assert!(
        samples
            .iter()
            .any(|s| s.grid_outages_carried > 0 && s.grid_outages_carried < s.grid_outages),
        "the test needs samples with outages both carried and not"
    );
    let mean = samples.iter().map(|s| s.unserved_mwh).sum::<f64>() / 40.0;
    assert!((mean - r.indices.eue_mwh.mean).abs() < 1e-9 * mean.max(1.0));
}

#[test]
fn early_stopping_at_a_target_relative_error() {
    let (site, policy) = hourly_site(16, 3.0);
    let mut cfg = McConfig::new(20_000, 1);
    cfg.target_relative_se = Some(0.2);
    cfg.min_samples = 500;
    let calls = std::sync::atomic::AtomicU64::new(0);
    let r = montecarlo::run(&site, &policy, &cfg, &|p| {
        calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        assert!(p.done <= p.planned);
    })
    .unwrap();
    assert!(r.stopped_early);
    assert!(r.indices.samples < 20_000 && r.indices.samples >= 500);
    assert!(r.indices.eue_mwh.relative_se() <= 0.2);
    assert!(calls.into_inner() >= 1);
    assert!(McConfig::new(0, 1).validate().is_err());
}

#[test]
fn more_batteries_never_lose_more_under_common_random_numbers() {
    let (small, p) = hourly_site(8, 3.0);
    let (large, q) = hourly_site(24, 3.0);
    let c =
        montecarlo::compare((&small, &p), (&large, &q), &McConfig::new(300, 8), &|_| {}).unwrap();
    assert_eq!(
        c.samples_b_worse, 0,
        "a larger fleet lost more energy in some sample"
    );
    assert!(c.eue_difference_mwh.mean < 0.0);
    // Pairing removes most of the noise: the paired SE is far below the independent one.
    let independent = (c.a.eue_mwh.se.powi(2) + c.b.eue_mwh.se.powi(2)).sqrt();
    assert!(c.eue_difference_mwh.se < 0.5 * independent, "{c:?}");
    // Both variants saw the same outages.
    assert_eq!(c.a.grid_outages_per_sample, c.b.grid_outages_per_sample);
}

#[test]
fn sampled_outages_match_the_renewal_theory() {
    // Only the random process (no scheduled window), 15-minute steps.
    let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML
        .replace("step = \"1m\"", "step = \"15m\"")
        .replace(
            "[[grid.scheduled_outages]]\nstart = \"120d\"\nduration = \"4h\"\n",
            "",
        );
    let s = Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap();
    let site = s.site();
    let r = montecarlo::run(site, s.policy(), &McConfig::new(1500, 3), &|_| {}).unwrap();
    let processes = s.grid_params().random_outages.as_ref().unwrap().processes();
    let events: f64 = processes.iter().map(|p| p.mean_events_per_year()).sum();
    let down_h: f64 = processes
        .iter()
        .map(|p| p.mean_down_per_year().value())
        .sum();
    let ix = &r.indices;
    let e = ix.grid_outages_per_sample;
    assert!(
        (e.mean - events).abs() < N_SE * e.se,
        "events {e} vs theory {events}"
    );
    // Outages start and end to the millisecond, whatever the step: no rounding to the
    // 15-minute grid.
    let h = ix.grid_outage_hours;
    assert!(
        (h.mean - down_h).abs() < N_SE * h.se,
        "outage hours {h} vs theory {down_h}"
    );
}

#[test]
fn lolp_by_hour_and_month_are_consistent_with_lole() {
    // 16 Megapacks (15.7 MW) carry the 12.4 MW load for a few hours, so some outages are
    // carried and some are not (4 units, 3.9 MW, carry none: every outage loses load at once).
    let (site, policy) = hourly_site(16, 3.0);
    let mut cfg = McConfig::new(300, 2);
    cfg.keep_samples = true;
    let r = montecarlo::run(&site, &policy, &cfg, &|_| {}).unwrap();
    let ix = &r.indices;
    // Σ_h LOLP_h · steps_h = LOLE (hourly steps, 365 days → 365 steps per hour of day).
    let by_hour: f64 = ix.lolp_by_hour.iter().map(|e| e.mean * 365.0).sum();
    assert!((by_hour - ix.lole_hours.mean).abs() < 1e-9 * ix.lole_hours.mean.max(1.0));
    let days = [
        31.0, 28.0, 31.0, 30.0, 31.0, 30.0, 31.0, 31.0, 30.0, 31.0, 30.0, 31.0,
    ];
    let by_month: f64 = ix
        .lolp_by_month
        .iter()
        .zip(days)
        .map(|(e, d)| e.mean * d * 24.0)
        .sum();
    assert!((by_month - ix.lole_hours.mean).abs() < 1e-9 * ix.lole_hours.mean.max(1.0));
    // Quantiles against the order statistics of the replayed samples, to the histogram's
    // documented resolution: the p-quantile lies in the bin of the ⌈p·n⌉-th smallest value.
    let samples = r.samples.as_ref().unwrap();
    let reports: Vec<Report> = samples
        .iter()
        .map(|s| site.simulate(policy, s.seed).run(&mut ()).report())
        .collect();
    let mut unserved: Vec<f64> = reports.iter().map(|r| r.totals.unserved_mwh).collect();
    unserved.sort_by(f64::total_cmp);
    let resolution = 10f64.powf(1.0 / BINS_PER_DECADE as f64) - 1.0;
    for (p, q) in [
        (0.5, ix.unserved_p50_mwh),
        (0.9, ix.unserved_p90_mwh),
        (0.99, ix.unserved_p99_mwh),
    ] {
        let v = unserved[(p * unserved.len() as f64).ceil() as usize - 1];
        if v == 0.0 {
            assert_eq!(q.mean, 0.0, "P{p}");
        } else {
            assert!(
                (q.mean / v - 1.0).abs() <= resolution,
                "P{p}: {} vs the order statistic {v}",
                q.mean
            );
        }
    }
    assert!(
        unserved[unserved.len() - 1] > unserved[unserved.len() / 2],
        "the test needs a spread of unserved energies"
    );
    // The ride-through share is the carried outages over all outages, counted from the
    // replayed reports' events.
    let outages: usize = reports.iter().map(|r| r.grid_outages.len()).sum();
    let carried: usize = reports.iter().map(Report::outages_carried).sum();
    assert!(carried > 0 && carried < outages, "{carried} of {outages}");
    let share = carried as f64 / outages as f64;
    assert!(
        (ix.ride_through_share.mean - share).abs() < 1e-12,
        "{} vs {carried}/{outages}",
        ix.ride_through_share.mean
    );
    assert_eq!(ix.ride_through_share.n, outages as u64);
    let shares: f64 = ix.lol_duration_distribution.iter().map(|b| b.share).sum();
    assert!(ix.lolf.mean == 0.0 || (shares - 1.0).abs() < 1e-9);
}

/// `McConfig`: a file that leaves `fast_forward` out gets the default (on), and a target
/// relative error is refused unless it is a number in (0, 1]: zero, negative, above one, NaN
/// and infinite targets each get the typed error naming the field.
#[test]
fn the_config_defaults_and_checks_its_target() {
    let cfg: McConfig = serde_json::from_str(r#"{"samples": 10, "seed": 1}"#).unwrap();
    assert!(
        cfg.fast_forward,
        "fast-forward is on unless the file says otherwise"
    );
    assert_eq!(cfg, McConfig::new(10, 1));
    for bad in [0.0, -0.1, 1.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut c = McConfig::new(10, 1);
        c.target_relative_se = Some(bad);
        let err = c.validate().unwrap_err().to_string();
        assert!(
            err.contains("montecarlo.target_relative_se"),
            "{bad}: {err}"
        );
    }
    for good in [1e-9, 0.02, 1.0] {
        let mut c = McConfig::new(10, 1);
        c.target_relative_se = Some(good);
        assert!(c.validate().is_ok(), "{good}");
    }
    let err = McConfig::new(0, 1).validate().unwrap_err().to_string();
    assert!(err.contains("montecarlo.samples"), "{err}");
}

/// A site that draws nothing (an idle hall before its first racks) has no facility energy to
/// normalise by: its normalised EUE is 0, not a division by zero.
#[test]
fn an_idle_site_has_a_normalised_eue_of_zero() {
    let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML
        .replace("step = \"1m\"", "step = \"1h\"")
        .replace("high_mw = 10.6", "high_mw = 0.0")
        .replace("low_mw = 5.3", "low_mw = 0.0");
    let study = Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap();
    let r = montecarlo::run(study.site(), study.policy(), &McConfig::new(32, 3), &|_| {}).unwrap();
    let ix = r.indices;
    assert_eq!(ix.eue_mwh.mean, 0.0);
    assert_eq!((ix.eue_ppm.mean, ix.eue_ppm.se), (0.0, 0.0));
    assert_eq!(ix.eue_ppm.n, 32);
}

/// The comparison's counts of samples where `b` did worse are the per-sample counts of the two
/// studies run alone on the same seeds (common random numbers: sample i of each is the same
/// year), counted here from their kept summaries.
/// A mean of a few hundred paired differences against the same sum in another order.
const PAIRED_MEAN_REL_TOL: f64 = 1e-9;

#[test]
fn comparison_counts_match_the_paired_samples() {
    let (large, p) = hourly_site(24, 3.0);
    let (small, q) = hourly_site(8, 3.0);
    let mut cfg = McConfig::new(300, 8);
    let c = montecarlo::compare((&large, &p), (&small, &q), &cfg, &|_| {}).unwrap();
    cfg.keep_samples = true;
    let a = montecarlo::run(&large, &p, &cfg, &|_| {})
        .unwrap()
        .samples
        .unwrap();
    let b = montecarlo::run(&small, &q, &cfg, &|_| {})
        .unwrap()
        .samples
        .unwrap();
    let worse = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| y.unserved_mwh > x.unserved_mwh)
        .count() as u64;
    let more = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| y.loss_of_load_step_hours > x.loss_of_load_step_hours)
        .count() as u64;
    assert!(
        worse > 0 && more > 0,
        "the test needs samples where the small fleet did worse"
    );
    assert_eq!(c.samples_b_worse, worse);
    assert_eq!(c.samples_b_more_lol_hours, more);
    // The paired differences' means are the per-sample rows' (two summation orders).
    let n = a.len() as f64;
    let d_eue: f64 = a
        .iter()
        .zip(&b)
        .map(|(x, y)| y.unserved_mwh - x.unserved_mwh)
        .sum::<f64>()
        / n;
    let d_lole: f64 = a
        .iter()
        .zip(&b)
        .map(|(x, y)| y.loss_of_load_step_hours - x.loss_of_load_step_hours)
        .sum::<f64>()
        / n;
    let close =
        |x: f64, y: f64| (x - y).abs() <= PAIRED_MEAN_REL_TOL * x.abs().max(y.abs()).max(1.0);
    assert!(close(c.eue_difference_mwh.mean, d_eue), "{c:?} vs {d_eue}");
    assert!(
        close(c.lole_difference_hours.mean, d_lole),
        "{c:?} vs {d_lole}"
    );
    assert!(
        d_eue > 0.0 && d_lole > 0.0,
        "the small fleet loses more: {d_eue}, {d_lole}"
    );
}

/// Early stopping needs a positive EUE and at least `min_samples` (and 2) samples: a site that
/// never loses load runs every sample, and a target met early still waits for `min_samples`.
#[test]
fn early_stopping_waits_for_loss_and_for_min_samples() {
    let (site, policy) = hourly_site(16, 0.0);
    let mut cfg = McConfig::new(600, 4);
    cfg.target_relative_se = Some(0.5);
    let r = montecarlo::run(&site, &policy, &cfg, &|_| {}).unwrap();
    assert_eq!(
        r.indices.eue_mwh.mean, 0.0,
        "the test needs a site without loss"
    );
    assert!(!r.stopped_early);
    assert_eq!(r.indices.samples, 600);
    let (lossy, policy) = hourly_site(4, 5.0);
    cfg.target_relative_se = Some(0.9);
    let quick = montecarlo::run(&lossy, &policy, &cfg, &|_| {}).unwrap();
    assert!(quick.stopped_early, "a loose target stops early");
    cfg.min_samples = 590;
    let late = montecarlo::run(&lossy, &policy, &cfg, &|_| {}).unwrap();
    assert!(late.indices.samples >= 590, "{}", late.indices.samples);
}
