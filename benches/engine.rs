//! Measures the engine's step rate on the default scenario (the 10,000-GPU training cluster:
//! a training-swing load integrated exactly over each step, a grid feed with the ERCOT-like
//! random outage process and a maintenance window, 16 Megapacks, the backup-only policy).
//!
//! * `engine/year/hourly`, `engine/year/minute`, `engine/day/100ms`: summary only (no recorder),
//!   every step stepped (fast-forward off: the step's own rate);
//! * `engine/year/hourly_ff`, `engine/year/minute_ff`: the same with fast-forward on (the
//!   default for `run(&mut ())`), in effective steps (steps of horizon covered) per second;
//! * `engine/year/minute_trace`: the same minute year recording every step in memory, into a
//!   buffer reused between runs; `engine/year/minute_trace_fresh` allocates it anew each run
//!   (55 MB, so the OS's page faults dominate the difference).
//!
//! Target (issue 2): ≥ 30 M steps/s on one core for the summary-only runs (a minute year under
//! 20 ms), and the in-memory trace at most 2× slower.
//! Run with `cargo bench --bench engine`.

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ridethrough::io::scenario::DEFAULT_SCENARIO_TOML;
use ridethrough::prelude::*;
use std::hint::black_box;
use std::time::Duration as StdDuration;

fn study(step: &str, horizon: &str) -> Study {
    let text = DEFAULT_SCENARIO_TOML
        .replace("step = \"1m\"", &format!("step = \"{step}\""))
        .replace("horizon = \"365d\"", &format!("horizon = \"{horizon}\""))
        // The maintenance window (day 120) lies beyond a short horizon, which is an error.
        .replace(
            "[[grid.scheduled_outages]]\nstart = \"120d\"\nduration = \"4h\"\n",
            if horizon == "365d" {
                "[[grid.scheduled_outages]]\nstart = \"120d\"\nduration = \"4h\"\n"
            } else {
                ""
            },
        );
    Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .expect("the default scenario is valid")
}

fn engine(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    group
        .warm_up_time(StdDuration::from_secs(1))
        .measurement_time(StdDuration::from_secs(4))
        .sample_size(20);
    for (id, step, horizon) in [
        ("year/hourly", "1h", "365d"),
        ("year/minute", "1m", "365d"),
        ("day/100ms", "100ms", "1d"),
    ] {
        let s = study(step, horizon);
        let site = s.site();
        group.throughput(Throughput::Elements(site.time.steps()));
        let fast = [false, true]
            .into_iter()
            .filter(|&f| !f || horizon == "365d");
        for (id, fast_forward) in fast.map(|f| {
            (
                if f {
                    format!("{id}_ff")
                } else {
                    id.to_string()
                },
                f,
            )
        }) {
            group.bench_function(BenchmarkId::from_parameter(id), |b| {
                b.iter(|| {
                    let mut sim = site.simulate(*s.policy(), black_box(s.seed()));
                    sim.set_fast_forward(fast_forward).run(&mut ());
                    let t = sim.state().tally.totals();
                    // A fast wrong answer must fail: every step ran and the load was served
                    // or counted.
                    assert_eq!(t.steps, site.time.steps());
                    assert!(t.facility_mwh > 0.0);
                    black_box(t)
                })
            });
        }
    }
    let s = study("1m", "365d");
    let site = s.site();
    group.throughput(Throughput::Elements(site.time.steps()));
    // Steady state: the trace buffer is reused between runs, as in repeated studies.
    let mut trace = TraceRecorder::with_capacity(site.time.steps() as usize);
    group.bench_function(BenchmarkId::from_parameter("year/minute_trace"), |b| {
        b.iter(|| {
            trace.rows.clear();
            let mut sim = site.simulate(*s.policy(), black_box(s.seed()));
            sim.run(&mut trace);
            assert_eq!(trace.rows.len() as u64, site.time.steps());
            black_box(trace.rows.len())
        })
    });
    // Cold: a fresh 55 MB buffer per run, so the OS's page faults are included.
    group.bench_function(
        BenchmarkId::from_parameter("year/minute_trace_fresh"),
        |b| {
            b.iter(|| {
                let mut trace = TraceRecorder::with_capacity(site.time.steps() as usize);
                let mut sim = site.simulate(*s.policy(), black_box(s.seed()));
                sim.run(&mut trace);
                assert_eq!(trace.rows.len() as u64, site.time.steps());
                black_box(trace.rows.len())
            })
        },
    );
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
