//! Measures the Monte Carlo rate, on ONE thread, on the site of the hand-written reference
//! kernels (kept in the development workspace, outside this repository; `scripts/` runs them
//! when present), written here in the crate's own API:
//!
//! * a 100 MW mean load with a daily sine shape (±15 MW): the IT load is a daily shape whose hour
//!   `h` is `100 + 15·sin(2π·h/24)` MW (the kernels' value at the start of each hour, held for the
//!   hour, as a daily shape is), PUE 1; hourly steps, 8,760 a sample;
//! * a 150 MW grid feed with two-state Markov outages, exponential up-times (MTTF 2,000 h) and
//!   down-times (MTTR 4 h), starting up;
//! * one 50 MW / 200 MWh battery, 0.95 efficient each way, SoC window 0..1, starting full, no
//!   auxiliary load or self-discharge; backup-only dispatch (discharge for what the grid cannot
//!   carry, recharge from the grid's headroom at up to 50 MW).
//!
//! Two ways to write the feed's outages, each timed with fast-forward on (the default: quiet
//! hours are jumped over, so the rate is *effective* sample-steps, hours of horizon covered per
//! second, comparable with the event kernel's) and off (`…_stepped`: every hour stepped,
//! comparable with the step kernel's):
//!
//! * `limit_site/year/feed_exact`: the feed's random outage process (a renewal process with
//!   exponential up-times at 8,760 / 2,000 failures a year and exponential 4-h outages: the
//!   kernels' process exactly, in continuous time). The engine takes each outage at its exact
//!   time, pro rata inside an hour; the kernels hold the state at the start of the hour for the
//!   whole hour, so the engine's EUE is somewhat lower at hourly steps (its README says so): a
//!   partly-out hour's average lets the grid and the battery share it. At 1-minute steps the
//!   same site gave EUE 1,202 ± 17 MWh and LOLE 17.39 ± 0.21 h (3,000 samples), within 1.3 SE of
//!   the step kernel's 1,224 MWh and 17.61 h.
//! * `limit_site/year/per_step_chain`: a 150 MW supply unit with a per-step Markov chain whose
//!   probabilities are the exact hourly transition probabilities of that continuous-time chain
//!   (`p = rate/(λ + μ) · (1 − e^{−(λ+μ)·1h})`), the kernels' hold-at-the-hour semantics; it
//!   starts in its steady state (down with probability 0.2 %) where the kernels start up.
//!
//! Before measuring, the bench prints each variant's LOLE and EUE per sample from
//! [`INDEX_SAMPLES`] samples (all cores), to set beside the kernels' figures, and asserts that
//! they are near the expected values. Throughput is sample-steps (samples × 8,760), so
//! criterion's `thrpt` is directly comparable with the kernels' `sample_steps_per_s`;
//! `scripts/limit-kernel-bench.sh` runs both and prints the ratios.
//! Run with `cargo bench --bench limit_site`.

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ridethrough::components::grid::{DurationLaw, RandomOutages, RenewalProcess, SupplyUnit};
use ridethrough::components::load::DailyShape;
use ridethrough::prelude::*;
use ridethrough::reliability::availability::AvailabilityProcess;
use ridethrough::studies::montecarlo::{self, McConfig};
use std::hint::black_box;
use std::time::Duration as StdDuration;

/// Samples per measured Monte Carlo run (one thread).
const SAMPLES: u64 = 2_000;
/// Samples of the LOLE/EUE printed before measuring (all cores).
const INDEX_SAMPLES: u64 = 10_000;
/// Hours in a sample.
const HOURS: u64 = 8_760;
/// Mean time to failure and to repair of the feed, hours.
const MTTF_H: f64 = 2_000.0;
const MTTR_H: f64 = 4.0;
/// The expected outage hours a year, `8760 · MTTR/(MTTF + MTTR)` ≈ 17.5 h: every outage hour
/// loses load (100 ± 15 MW against the battery's 50 MW), so LOLE is near it.
const OUTAGE_HOURS_PER_YEAR: f64 = HOURS as f64 * MTTR_H / (MTTF_H + MTTR_H);

/// How the feed's outages are written.
#[derive(Debug, Clone, Copy)]
enum Feed {
    /// The feed's random outage process, in exact time.
    Exact,
    /// A supply unit with the hourly transition probabilities of the same chain.
    PerStepChain,
}

/// The probabilities that the continuous-time chain is down an hour after being up, and up an
/// hour after being down: `rate/(λ + μ) · (1 − e^{−(λ+μ)·1h})`.
fn hourly_probabilities() -> (f64, f64) {
    let (fail, repair) = (1.0 / MTTF_H, 1.0 / MTTR_H);
    let moved = 1.0 - (-(fail + repair)).exp();
    (
        fail / (fail + repair) * moved,
        repair / (fail + repair) * moved,
    )
}

impl Feed {
    /// Expected outage events a sample: every failure in exact time; with the hourly chain, only
    /// those seen at an hour's start (`8760 · P(up) · p_fail`).
    fn outages_per_year(self) -> f64 {
        match self {
            Feed::Exact => HOURS as f64 / (MTTF_H + MTTR_H),
            Feed::PerStepChain => {
                let (fail, repair) = hourly_probabilities();
                HOURS as f64 * repair / (fail + repair) * fail
            }
        }
    }
}

fn site(feed: Feed) -> Site {
    let step = Duration::from_hours(1);
    let time = TimeGrid::with_steps(step, HOURS).expect("valid time grid");
    let peak = 115.0;
    let load = LoadParams::new(
        1.0,
        vec![ItProfile::Daily(DailyShape {
            peak_mw: Power::mw(peak),
            shape: (0..24)
                .map(|h| {
                    let mw = 100.0 + 15.0 * (f64::from(h) / 24.0 * std::f64::consts::TAU).sin();
                    Fraction::ratio(mw / peak)
                })
                .collect(),
            tier: Default::default(),
        })],
    );
    let grid = match feed {
        Feed::Exact => GridParams {
            random_outages: Some(RandomOutages {
                preset: None,
                scale: 1.0,
                processes: vec![RenewalProcess::new(
                    HOURS as f64 / MTTF_H,
                    DurationLaw::Exponential {
                        mean: Duration::from_hours(MTTR_H as u64),
                    },
                )],
            }),
            ..GridParams::new(Power::mw(150.0))
        },
        Feed::PerStepChain => {
            let (fail, repair) = hourly_probabilities();
            GridParams {
                supply_units: vec![SupplyUnit {
                    name: Some("feed".into()),
                    capacity_mw: Power::mw(150.0),
                    count: None,
                    processes: vec![AvailabilityProcess::MarkovPerStep {
                        failure_probability: fail,
                        repair_probability: repair,
                    }],
                }],
                ..GridParams::new(Power::mw(150.0))
            }
        }
    };
    let battery = BatteryParams {
        units: 1,
        power_mw: Some(Power::mw(50.0)),
        energy_mwh: Some(Energy::mwh(200.0)),
        charge_efficiency: Some(Fraction::ratio(0.95)),
        discharge_efficiency: Some(Fraction::ratio(0.95)),
        self_discharge_per_day: Some(Fraction::ZERO),
        aux_load_mw: Some(Power::ZERO),
        soc_min: Some(Fraction::ZERO),
        soc_max: Some(Fraction::ONE),
        initial_soc: Some(Fraction::ONE),
        reserve_soc: Some(Fraction::ZERO),
        ..BatteryParams::none()
    };
    Site::new(time, &grid, &battery, &load).expect("valid site")
}

fn limit_site(c: &mut Criterion) {
    let policy = Policy::default();
    let variants = [
        ("feed_exact", Feed::Exact, site(Feed::Exact)),
        (
            "per_step_chain",
            Feed::PerStepChain,
            site(Feed::PerStepChain),
        ),
    ];
    for (name, feed, site) in &variants {
        let ix = montecarlo::run(site, &policy, &McConfig::new(INDEX_SAMPLES, 2000), &|_| {})
            .expect("runs")
            .indices;
        println!(
            "limit_site {name}: lole_h_per_yr {:.4} ± {:.4}, eue_mwh_per_yr {:.4} ± {:.4} \
             (n = {})",
            ix.lole_hours.mean, ix.lole_hours.se, ix.eue_mwh.mean, ix.eue_mwh.se, ix.samples
        );
        // A wrong site fails here: outages per year and LOLE near their expected values.
        let expected_outages = feed.outages_per_year();
        let o = ix.grid_outages_per_sample;
        assert!(
            (o.mean - expected_outages).abs() < 5.0 * o.se,
            "{name}: {o} outages a year, expected {expected_outages:.3}"
        );
        // The time with loss of load is near the outage time: exact for the exact-time feed;
        // for the hourly chain the PRAS-style LOLE (hours with any shortfall) is that time.
        let lol = match feed {
            Feed::Exact => ix.loss_of_load_hours,
            Feed::PerStepChain => ix.lole_hours,
        };
        println!(
            "limit_site {name}: loss_of_load_h_per_yr {:.4} ± {:.4}",
            ix.loss_of_load_hours.mean, ix.loss_of_load_hours.se
        );
        assert!(
            (lol.mean / OUTAGE_HOURS_PER_YEAR - 1.0).abs() < 0.2,
            "{name}: loss of load {lol} h, outage hours {OUTAGE_HOURS_PER_YEAR:.1}"
        );
    }
    let mut group = c.benchmark_group("limit_site");
    group
        .warm_up_time(StdDuration::from_secs(1))
        .measurement_time(StdDuration::from_secs(5))
        .sample_size(10);
    group.throughput(Throughput::Elements(SAMPLES * HOURS));
    for ((name, _, site), fast_forward) in variants.iter().flat_map(|v| [(v, true), (v, false)]) {
        let id = if fast_forward {
            name.to_string()
        } else {
            format!("{name}_stepped")
        };
        group.bench_function(BenchmarkId::new("year", id), |b| {
            b.iter(|| {
                let mut cfg = McConfig::new(SAMPLES, black_box(2000));
                cfg.threads = 1;
                cfg.fast_forward = fast_forward;
                let r = montecarlo::run(site, &policy, &cfg, &|_| {}).expect("runs");
                assert_eq!(r.indices.samples, SAMPLES);
                assert!(r.indices.eue_mwh.mean > 0.0);
                black_box(r.indices.eue_mwh)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, limit_site);
criterion_main!(benches);
