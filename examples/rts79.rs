//! The IEEE Reliability Test System (1979) by the exact analytic method: a published benchmark
//! reproduced from the bundled data files.
//!
//! ```text
//! cargo run --release --example rts79
//! ```
//!
//! The example loads the 32 generating units and the chronological 8736-hour load of RTS-79
//! from `tests/data/ieee-rts-79/`, builds the capacity outage probability table (each unit
//! available with probability 1 − FOR, independently; no scheduled maintenance) and sums the
//! loss-of-load probability and the expected unserved power over the year, counting loss of load
//! only when the load is strictly greater than the available capacity. It prints the indices
//! beside the published values and checks that they agree to 4 significant figures.
//!
//! It then shows the screening use: a perfectly reliable block of firm capacity (an upper bound
//! on what a battery of that power could do for adequacy) added with `Copt::with_unit`.
//!
//! Published values: hourly LOLE 9.3942 h/yr in Reliability Test System Task Force, "IEEE
//! Reliability Test System", IEEE Trans. Power Apparatus and Systems, vol. PAS-98, no. 6,
//! pp. 2047-2054, 1979; EENS 1176 MWh/yr, the value quoted for the same case in the adequacy
//! literature (see `tests/data/ieee-rts-79/README.md`).

use ridethrough::adequacy::{read_load_csv, read_units_csv, Copt, TwoStateUnit};
use ridethrough::ConfigError;
use std::path::Path;
use std::time::Instant;

/// Published hourly LOLE, h/yr.
const PUBLISHED_LOLE_H: f64 = 9.3942;
/// Published EENS, MWh/yr.
const PUBLISHED_EENS_MWH: f64 = 1176.0;
/// Slack when comparing two values already rounded to 4 significant figures (rounding residue).
const ROUNDED_REL_TOL: f64 = 1e-12;

/// `x` rounded to `n` significant figures.
fn sig(x: f64, n: i32) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    let scale = 10f64.powi(n - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// Whether `a` and `b` are the same number to 4 significant figures.
fn agree_to_4_sig(a: f64, b: f64) -> bool {
    (sig(a, 4) - sig(b, 4)).abs() <= ROUNDED_REL_TOL * b.abs()
}

fn main() -> Result<(), ConfigError> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ieee-rts-79");
    let records = read_units_csv(&dir.join("units.csv"))?;
    let load = read_load_csv(&dir.join("load_8736h.csv"), "load_mw")?;
    let units = records
        .iter()
        .map(|r| r.two_state())
        .collect::<Result<Vec<TwoStateUnit>, _>>()?;

    let started = Instant::now();
    let copt = Copt::new(&units)?;
    let idx = copt.indices(&load, 1.0);
    let elapsed = started.elapsed();

    let peak = load.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    println!("IEEE RTS-79, single node, no maintenance");
    println!(
        "  {} units, {} MW installed; {} hourly loads, peak {peak} MW, {:.0} MWh/yr",
        units.len(),
        copt.installed_mw(),
        load.len(),
        idx.load_energy_mwh
    );
    println!(
        "  capacity outage table: {} states, built and summed in {elapsed:.2?}",
        copt.len()
    );
    println!();
    println!("  index            analytic (COPT)       4 s.f.    published");
    println!(
        "  LOLE  h/yr    {:>18.9}    {:>9}    {PUBLISHED_LOLE_H}",
        idx.lole_hours,
        sig(idx.lole_hours, 4)
    );
    println!(
        "  EENS  MWh/yr  {:>18.9}    {:>9}    {PUBLISHED_EENS_MWH}",
        idx.eue_mwh,
        sig(idx.eue_mwh, 4)
    );
    println!("  EENS  ppm of load energy {:.3}", idx.eue_ppm);

    // Monte Carlo: added by the engine's MC runner

    // Screening: how much does a perfectly reliable firm block help?
    println!();
    println!("  firm capacity added    LOLE h/yr    EENS MWh/yr");
    let mut previous = idx;
    for firm_mw in [50.0, 100.0, 200.0] {
        let with_firm = copt.with_unit(TwoStateUnit::new(firm_mw, 0.0)?);
        let i = with_firm.indices(&load, 1.0);
        println!(
            "  {firm_mw:>8} MW            {:>9.4}    {:>11.2}",
            i.lole_hours, i.eue_mwh
        );
        assert!(i.lole_hours < previous.lole_hours && i.eue_mwh < previous.eue_mwh);
        previous = i;
    }

    // The physical facts: the data are the published system, and the indices match.
    assert_eq!(units.len(), 32);
    assert!((copt.installed_mw() - 3405.0).abs() < 1e-9);
    assert!((peak - 2850.0).abs() < 1e-9);
    assert!(
        agree_to_4_sig(idx.lole_hours, PUBLISHED_LOLE_H),
        "LOLE {} h/yr does not match the published {PUBLISHED_LOLE_H} to 4 s.f.",
        idx.lole_hours
    );
    assert!(
        agree_to_4_sig(idx.eue_mwh, PUBLISHED_EENS_MWH),
        "EENS {} MWh/yr does not match the published {PUBLISHED_EENS_MWH} to 4 s.f.",
        idx.eue_mwh
    );
    println!();
    println!(
        "  OK: analytic LOLE and EENS agree with the published values to 4 significant figures"
    );
    Ok(())
}
