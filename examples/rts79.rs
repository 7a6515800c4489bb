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
//! It then runs the sequential Monte Carlo engine on the same system (2,000 sample-years,
//! two-state Markov units on the hourly grid) and checks that its LOLE and EENS fall within 3
//! standard errors of the exact values; adds a 100 MW / 400 MWh battery on the same sampled
//! histories (common random numbers); and shows the screening use: a perfectly reliable block of
//! firm capacity (an upper bound on what a battery of that power could do for adequacy) added
//! with `Copt::with_unit`.
//!
//! Published values: hourly LOLE 9.3942 h/yr in Reliability Test System Task Force, "IEEE
//! Reliability Test System", IEEE Trans. Power Apparatus and Systems, vol. PAS-98, no. 6,
//! pp. 2047-2054, 1979; EENS 1176 MWh/yr, the value quoted for the same case in the adequacy
//! literature (see `tests/data/ieee-rts-79/README.md`).

use ridethrough::components::battery::BatteryParams;
use ridethrough::engine::policy::Policy;
use ridethrough::io::rts::{read_load_csv, read_units_csv};
use ridethrough::studies::adequacy::{adequacy_site, Copt, TwoStateUnit, UnitSampling};
use ridethrough::studies::montecarlo::{self, McConfig};
use ridethrough::units::{Energy, Fraction, Power};
use ridethrough::ConfigError;
use std::path::Path;
use std::time::Instant;

/// Sample-years of the sequential Monte Carlo comparison.
const MC_YEARS: u64 = 2_000;
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

    // Sequential Monte Carlo of the same system: the 32 units as two-state Markov chains on the
    // hourly grid (PRAS style), sampled year by year; the estimate must fall within 3 standard
    // errors of the exact value.
    let started = Instant::now();
    let site = adequacy_site(
        &records,
        &load,
        UnitSampling::MarkovPerStep,
        &BatteryParams::none(),
    )?;
    let policy = Policy::default();
    let mc = montecarlo::run(&site, &policy, &McConfig::new(MC_YEARS, 1979), &|_| {})?.indices;
    let secs = started.elapsed().as_secs_f64();
    println!();
    println!(
        "  sequential Monte Carlo, {MC_YEARS} sample-years in {secs:.2} s ({:.0} years/s)",
        MC_YEARS as f64 / secs
    );
    println!(
        "  LOLE  h/yr      {:>8.3} ± {:.3}   (exact {:.4}, {:+.2} SE)",
        mc.lole_hours.mean,
        mc.lole_hours.se,
        idx.lole_hours,
        (mc.lole_hours.mean - idx.lole_hours) / mc.lole_hours.se
    );
    println!(
        "  EENS  MWh/yr    {:>8.1} ± {:.1}   (exact {:.1}, {:+.2} SE)",
        mc.eue_mwh.mean,
        mc.eue_mwh.se,
        idx.eue_mwh,
        (mc.eue_mwh.mean - idx.eue_mwh) / mc.eue_mwh.se
    );
    println!(
        "  LOLF  events/yr {:>8.3} ± {:.3}; mean event {:.2} h",
        mc.lolf.mean, mc.lolf.se, mc.lol_duration_mean_hours.mean
    );
    assert!((mc.lole_hours.mean - idx.lole_hours).abs() <= 3.0 * mc.lole_hours.se);
    assert!((mc.eue_mwh.mean - idx.eue_mwh).abs() <= 3.0 * mc.eue_mwh.se);

    // Storage: 100 MW / 400 MWh of batteries, on the same sampled outage histories (common
    // random numbers), against a perfectly reliable 100 MW unit (its upper bound).
    let battery = BatteryParams {
        units: 1,
        power_mw: Some(Power::mw(100.0)),
        energy_mwh: Some(Energy::mwh(400.0)),
        round_trip_efficiency: Some(Fraction::ratio(0.9)),
        aux_load_mw: Some(Power::ZERO),
        reserve_soc: Some(Fraction::ratio(0.0)),
        ..BatteryParams::none()
    };
    let with_battery = adequacy_site(&records, &load, UnitSampling::MarkovPerStep, &battery)?;
    let cmp = montecarlo::compare(
        (&site, &policy),
        (&with_battery, &policy),
        &McConfig::new(MC_YEARS, 1979),
        &|_| {},
    )?;
    let firm = copt
        .with_unit(TwoStateUnit::new(100.0, 0.0)?)
        .indices(&load, 1.0);
    println!("  + 100 MW / 400 MWh battery: LOLE {:.3} ± {:.3} h/yr (change {:+.3} ± {:.3}); a perfect 100 MW unit: {:.3}", cmp.b.lole_hours.mean, cmp.b.lole_hours.se, cmp.lole_difference_hours.mean, cmp.lole_difference_hours.se, firm.lole_hours);
    assert_eq!(
        cmp.samples_b_worse, 0,
        "a battery never adds unserved energy"
    );
    assert!(cmp.b.lole_hours.mean >= firm.lole_hours - 3.0 * cmp.b.lole_hours.se);

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
