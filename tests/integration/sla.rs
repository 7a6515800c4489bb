//! The SLA figures of a Monte Carlo study come from its chunk accumulators: they are the
//! per-sample definitions ([`sla::from_samples`]) on the kept rows, and a study cut into 1, 2 or
//! 7 shards merges to the single-machine result, SLA block included, byte for byte in JSON.

use ridethrough::prelude::*;
use ridethrough::studies::montecarlo::{self, McConfig, McResult, Shard, ShardError, ShardResult};
use ridethrough::studies::sla::{self, SlaFigure};
use ridethrough::studies::stats::Estimate;

/// Moments merged in chunks of 16 against the same values folded one by one: rounding only.
const FOLD_ORDER_REL_TOL: f64 = 1e-9;

/// The default site on hourly steps over 60 days with 4 battery units: loss of load in many
/// samples, a sample costs little.
fn study() -> Study {
    let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML
        .replace("step = \"1m\"", "step = \"1h\"")
        .replace("horizon = \"365d\"", "horizon = \"60d\"")
        .replace("start = \"120d\"", "start = \"20d\"")
        .replace("units = 16", "units = 4");
    Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .expect("the small scenario is valid")
}

/// The result as `ridethrough mc --json` writes it.
fn json(r: &McResult) -> String {
    serde_json::to_string_pretty(r).expect("a result writes as JSON")
}

/// Every shard of `count`, each through JSON as a shard file is, in reverse order.
fn shards(s: &Study, cfg: &McConfig, count: u64) -> Vec<ShardResult> {
    let mut all: Vec<ShardResult> = (0..count)
        .map(|index| {
            let shard =
                montecarlo::run_shard(s.site(), s.policy(), cfg, Shard { index, count }, &|_| {})
                    .expect("the shard runs");
            serde_json::from_str(&serde_json::to_string(&shard).unwrap()).unwrap()
        })
        .collect();
    all.reverse();
    all
}

#[test]
fn shards_1_2_and_7_merge_to_the_single_study_with_its_sla_block() {
    let s = study();
    // 112 samples: 7 chunks of 16, so 7 shards of one chunk each.
    for keep in [false, true] {
        let cfg = McConfig {
            keep_samples: keep,
            threads: 2,
            ..McConfig::new(112, 41)
        };
        let single = montecarlo::run(s.site(), s.policy(), &cfg, &|_| {}).unwrap();
        assert!(single.sla.interruptions > 0, "no loss of load");
        let text = json(&single);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(value["sla"]["availability"]["mean"].is_number(), "{text}");
        assert!(value["sla"]["nines"]["kind"].is_string(), "{text}");
        for count in [1, 2, 7] {
            let merged = montecarlo::merge_shards(&shards(&s, &cfg, count)).unwrap();
            assert_eq!(merged, single, "{count} shards, keep_samples {keep}");
            assert_eq!(json(&merged), text, "{count} shards, keep_samples {keep}");
        }
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= FOLD_ORDER_REL_TOL * a.abs().max(b.abs())
}

fn assert_close(a: &Estimate, b: &Estimate, what: &str) {
    assert_eq!(a.n, b.n, "{what}");
    assert!(
        close(a.mean, b.mean) && close(a.se, b.se),
        "{what}: {a:?} vs {b:?}"
    );
}

fn estimated(f: SlaFigure) -> Estimate {
    match f {
        SlaFigure::Estimated(e) => e,
        other => panic!("expected an estimate, got {other:?}"),
    }
}

#[test]
fn the_study_figures_are_those_of_its_per_sample_rows() {
    let s = study();
    let cfg = McConfig {
        keep_samples: true,
        ..McConfig::new(150, 8)
    };
    let r = montecarlo::run(s.site(), s.policy(), &cfg, &|_| {}).unwrap();
    let rows = r.samples.as_deref().unwrap();
    let a = sla::metrics(&r);
    let b = sla::from_samples(rows, r.indices.sample_hours).unwrap();
    assert!(a.interruptions > 0, "no loss of load");
    assert_eq!(a.samples, b.samples);
    assert_eq!(a.interruptions, b.interruptions);
    assert_eq!(
        a.interruptions,
        rows.iter()
            .map(|x| u64::from(x.loss_of_load_events))
            .sum::<u64>()
    );
    assert_close(&a.availability, &b.availability, "availability");
    assert_close(&estimated(a.nines), &estimated(b.nines), "nines");
    assert_close(
        &a.downtime_minutes_per_year,
        &b.downtime_minutes_per_year,
        "downtime",
    );
    // The histograms hold the same counts however they were merged: the same quantiles.
    for (x, y) in [
        (
            a.downtime_p50_minutes_per_year,
            b.downtime_p50_minutes_per_year,
        ),
        (
            a.downtime_p90_minutes_per_year,
            b.downtime_p90_minutes_per_year,
        ),
        (
            a.downtime_p99_minutes_per_year,
            b.downtime_p99_minutes_per_year,
        ),
    ] {
        assert_eq!(x, y);
    }
    assert_close(
        &estimated(a.interruption_probability_per_year),
        &estimated(b.interruption_probability_per_year),
        "P(interruption)",
    );
    assert_close(
        &estimated(a.interruptions_per_year),
        &estimated(b.interruptions_per_year),
        "SAIFI",
    );
    assert_close(
        &a.interruption_duration_minutes.unwrap(),
        &b.interruption_duration_minutes.unwrap(),
        "CAIDI",
    );
    // The SLA's own sums are the indices' loss-of-load time and frequency, bit for bit.
    let k = sla::HOURS_PER_YEAR / r.indices.sample_hours;
    assert_eq!(
        a.downtime_minutes_per_year,
        r.indices.loss_of_load_hours.scaled(60.0 * k)
    );
    assert_eq!(
        estimated(a.interruptions_per_year),
        r.indices.lolf.scaled(k)
    );
}

#[test]
fn a_shard_of_another_format_is_refused_naming_the_field() {
    let s = study();
    let cfg = McConfig::new(32, 2);
    let two = shards(&s, &cfg, 2);
    let text = serde_json::to_string(&two[0]).unwrap();
    let needle = format!("\"format\":{}", montecarlo::shard::SHARD_FORMAT);
    assert!(text.starts_with(&format!("{{{needle},")), "{}", &text[..40]);
    let old: ShardResult =
        serde_json::from_str(&text.replacen(&needle, "\"format\":1", 1)).unwrap();
    let e = match montecarlo::merge_shards(&[two[1].clone(), old]).unwrap_err() {
        ConfigError::Shard(e) => e,
        e => panic!("not a shard error: {e}"),
    };
    assert!(
        matches!(
            e,
            ShardError::Format {
                position: 1,
                found: 1,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("has format = 1"), "{e}");
}
