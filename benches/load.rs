//! Measures the index arithmetic of the load model's hot path, to decide whether a
//! floating-point reciprocal division (`FastDiv`, formerly in `components::load`) earns its place
//! over the hardware `/` and `%`.
//!
//! * `load/index/div` and `load/index/fastdiv`: a year of minute steps reading a tabulated
//!   periodic profile, `table[k mod n]` (the default scenario's table has n = 60 entries at a
//!   1-minute step; the 100 ms scenario's, n = 36,000);
//! * `load/offset/div` and `load/offset/fastdiv`: the position within a period of a step's
//!   start in milliseconds, `(k·step) mod P`, as the untabulated evaluators compute it (numerators
//!   beyond 2^32);
//! * `load/it_power/minute_year`: the public [`LoadModel::it_power`] over that year, which is
//!   what the engine calls.
//!
//! `FastDiv` exists here only as the candidate measured against the plain operators: the library
//! no longer has it (see the decision in `src/components/load/table.rs`).
//! Run with `cargo bench --bench load`.

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ridethrough::components::load::{LoadModel, LoadParams};
use ridethrough::time::TimeGrid;
use ridethrough::units::Duration;
use std::hint::black_box;
use std::time::Duration as StdDuration;

/// Minute steps in a 365-day year.
const STEPS: u64 = 525_600;

/// The candidate: division by a fixed divisor through a floating-point reciprocal and one integer
/// correction, exact for numerators below 2^52 (above, the hardware division).
#[derive(Clone, Copy)]
struct FastDiv {
    d: u64,
    inv: f64,
    fast_below: u64,
}

impl FastDiv {
    const LIMIT: u64 = 1 << 52;

    fn new(d: u64) -> FastDiv {
        FastDiv {
            d,
            inv: 1.0 / d as f64,
            fast_below: if d < Self::LIMIT { Self::LIMIT } else { 0 },
        }
    }

    #[inline]
    fn div_rem(self, a: u64) -> (u64, u64) {
        if a >= self.fast_below {
            return (a / self.d, a % self.d);
        }
        let mut q = ((a as i64) as f64 * self.inv) as i64 as u64;
        let mut m = q * self.d;
        if m > a {
            q -= 1;
            m -= self.d;
        } else if a - m >= self.d {
            q += 1;
            m += self.d;
        }
        (q, a - m)
    }
}

/// `Σ_k table[k mod n]` with the hardware remainder.
fn sum_div(table: &[f64], steps: u64) -> f64 {
    let n = table.len() as u64;
    (0..steps).map(|k| table[(k % n) as usize]).sum()
}

/// `Σ_k table[k mod n]` with [`FastDiv`].
fn sum_fastdiv(table: &[f64], steps: u64) -> f64 {
    let n = FastDiv::new(table.len() as u64);
    (0..steps).map(|k| table[n.div_rem(k).1 as usize]).sum()
}

/// `Σ_k (k·step) mod period` with the hardware remainder.
fn offsets_div(step_ms: u64, period_ms: u64, steps: u64) -> u64 {
    (0..steps).map(|k| (k * step_ms) % period_ms).sum()
}

/// `Σ_k (k·step) mod period` with [`FastDiv`].
fn offsets_fastdiv(step_ms: u64, period_ms: u64, steps: u64) -> u64 {
    let p = FastDiv::new(period_ms);
    (0..steps).map(|k| p.div_rem(k * step_ms).1).sum()
}

fn index(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group
        .warm_up_time(StdDuration::from_secs(1))
        .measurement_time(StdDuration::from_secs(3))
        .sample_size(30)
        .throughput(Throughput::Elements(STEPS));
    for n in [60_usize, 36_000] {
        let table: Vec<f64> = (0..n).map(|i| (i % 7) as f64).collect();
        // Both must give the same sum (the values are small integers: exact in f64).
        let want = sum_div(&table, STEPS);
        assert_eq!(want, sum_fastdiv(&table, STEPS));
        group.bench_function(BenchmarkId::new("index/div", n), |b| {
            b.iter(|| {
                let s = sum_div(black_box(&table), black_box(STEPS));
                assert_eq!(s, want);
                s
            })
        });
        group.bench_function(BenchmarkId::new("index/fastdiv", n), |b| {
            b.iter(|| {
                let s = sum_fastdiv(black_box(&table), black_box(STEPS));
                assert_eq!(s, want);
                s
            })
        });
    }
    // 7 s period at 1-minute steps (a swing that does not divide the step): numerators k·60,000
    // reach 3.2e10 ms over the year.
    let (step_ms, period_ms) = (60_000, 7_000);
    let want = offsets_div(step_ms, period_ms, STEPS);
    assert_eq!(want, offsets_fastdiv(step_ms, period_ms, STEPS));
    group.bench_function("offset/div", |b| {
        b.iter(|| {
            let s = offsets_div(black_box(step_ms), black_box(period_ms), STEPS);
            assert_eq!(s, want);
            s
        })
    });
    group.bench_function("offset/fastdiv", |b| {
        b.iter(|| {
            let s = offsets_fastdiv(black_box(step_ms), black_box(period_ms), STEPS);
            assert_eq!(s, want);
            s
        })
    });
    // The public path: the default 10,000-GPU load at minute steps for a year (a 60-entry table).
    let grid = TimeGrid::new(Duration::from_minutes(1), Duration::from_days(365)).expect("grid");
    let model = LoadModel::new(&LoadParams::h100_training_10k(), &grid).expect("valid load");
    group.bench_function("it_power/minute_year", |b| {
        b.iter(|| {
            let m = black_box(&model);
            let s: f64 = (0..grid.steps()).map(|k| m.it_power(k).value()).sum();
            // The year's mean IT power: the swing's 9.54 MW less the hourly checkpoint dips.
            let mean = s / grid.steps() as f64;
            assert!((mean - (9.54 - (60.0 / 3600.0) * (9.54 - 5.3))).abs() < 1e-9);
            s
        })
    });
    group.finish();
}

criterion_group!(benches, index);
criterion_main!(benches);
