//! Measures what the battery's lifetime models cost (issue 10's targets).
//!
//! * `lifetime/step/{hourly,minute}/{plain,lifetime}`: a year of the bundled
//!   `examples/scenarios/austin_ageing.toml` (the Austin training cluster, 16 Megapacks, backup
//!   only, random outages), stepped every step (fast-forward off: the step's own cost), with
//!   its lifetime models — degradation, the Austin ambient driving the auxiliary draw, the
//!   part-load efficiency curve — and without them (`plain`: the same file with
//!   `[battery.ageing]`, `[battery.thermal]` and `efficiency_curve` removed). Before measuring,
//!   the bench times the two 21 times interleaved (after two untimed runs of each) and prints the
//!   median ratio: interleaving cancels the drift of a shared machine, which moves criterion's
//!   separately measured medians by ±5–10 %.
//! * `lifetime/life20/1000_samples_2threads`: 1,000 sampled 20-year lives of the bundled
//!   `austin_20yr.toml` (ageing, Austin ambient, efficiency curve, an augmentation plan) at
//!   hourly steps on two threads, with the survival of a 4-hour outage each year, fast-forward
//!   on (as `ridethrough life examples/scenarios/austin_20yr.toml --samples 1000 --survive 4h`).
//!
//! Targets (issue 10): with degradation, temperature and the efficiency curve on, a step costs
//! at most 1.3× the plain step; the 1,000 lives run in under 10 s on 2 cores.
//! Run with `cargo bench --bench lifetime`.

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ridethrough::prelude::*;
use ridethrough::studies::life_reliability::{self, LifeConfig};
use std::path::Path;
use std::time::{Duration as StdDuration, Instant};

/// The bundled scenarios' folder (benches run from the crate's root).
const SCENARIOS: &str = "examples/scenarios";

/// `file` from the bundled scenarios at `step`, with or without its lifetime models.
fn study(file: &str, step: &str, lifetime: bool) -> Study {
    let mut sc = Scenario::load(Path::new(SCENARIOS).join(file)).expect("a bundled scenario");
    sc.load_files(Path::new(SCENARIOS)).expect("its files load");
    sc.time.step = step.parse().expect("a step");
    if !lifetime {
        sc.battery.ageing = None;
        sc.battery.thermal = None;
        sc.battery.efficiency_curve = None;
        sc.battery.augmentation = None;
    }
    sc.validate().expect("a valid scenario")
}

/// One stepped run of `study` (fast-forward off); returns its end SoC (kept from the optimiser).
fn stepped(study: &Study) -> f64 {
    let mut sim = study.simulate();
    sim.set_fast_forward(false);
    sim.run(&mut ());
    study.site().battery.soc(&sim.state().battery).value()
}

/// The median, over `rounds` interleaved timings, of the lifetime run's time over the plain
/// run's, after two untimed runs of each (caches and branch predictors warm).
fn median_ratio(plain: &Study, life: &Study, rounds: usize) -> f64 {
    let time = |s: &Study| {
        let t = Instant::now();
        std::hint::black_box(stepped(s));
        t.elapsed().as_secs_f64()
    };
    for _ in 0..2 {
        time(plain);
        time(life);
    }
    let mut ratios: Vec<f64> = (0..rounds).map(|_| time(life) / time(plain)).collect();
    ratios.sort_by(f64::total_cmp);
    ratios[rounds / 2]
}

/// A group of 10 samples after a second's warm-up, measured for `secs` seconds.
fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
    secs: u64,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .warm_up_time(StdDuration::from_secs(1))
        .measurement_time(StdDuration::from_secs(secs))
        .sample_size(10);
    group
}

fn step_cost(c: &mut Criterion) {
    let mut group = group(c, "lifetime/step", 4);
    for (name, step) in [("hourly", "1h"), ("minute", "1m")] {
        let plain = study("austin_ageing.toml", step, false);
        let life = study("austin_ageing.toml", step, true);
        println!(
            "lifetime/step/{name}: lifetime over plain, median of 21 interleaved: {:.3}×",
            median_ratio(&plain, &life, 21)
        );
        group.throughput(Throughput::Elements(plain.site().time.steps()));
        for (variant, s) in [("plain", &plain), ("lifetime", &life)] {
            group.bench_function(BenchmarkId::new(name, variant), |b| {
                b.iter(|| stepped(s));
            });
        }
    }
    group.finish();
}

fn lives(c: &mut Criterion) {
    let mut group = group(c, "lifetime/life20", 10);
    let s = study("austin_20yr.toml", "1h", true);
    let cfg = LifeConfig {
        threads: 2,
        survive: Some("4h".parse().expect("a duration")),
        ..LifeConfig::new(1000, 2024)
    };
    group.bench_function("1000_samples_2threads", |b| {
        b.iter(|| life_reliability::run(s.site(), s.policy(), &cfg, &|_| {}).expect("runs"));
    });
    group.finish();
}

criterion_group!(benches, step_cost, lives);
criterion_main!(benches);
