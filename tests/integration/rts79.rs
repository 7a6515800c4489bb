//! IEEE Reliability Test System (1979), single-node (HL-I) adequacy without maintenance: the
//! analytic capacity outage probability table against the published indices, plus the facts of
//! the bundled data files (`tests/data/ieee-rts-79/README.md`).

use ridethrough::io::rts::{read_load_csv, read_units_csv, UnitRecord};
use ridethrough::studies::adequacy::{Copt, TwoStateUnit};
use std::path::Path;
use std::time::Instant;

const UNITS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/ieee-rts-79/units.csv"
);
const LOAD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/ieee-rts-79/load_8736h.csv"
);

/// Hourly LOLE with strict loss of load, h/yr: 9.39418, published as 9.3942 h/yr.
const LOLE_H: f64 = 9.39418;
/// Expected unserved energy, MWh/yr, as the adequacy literature gives it: 1176 (whole MWh).
const EENS_PUBLISHED_MWH: f64 = 1176.0;
/// The precision of [`EENS_PUBLISHED_MWH`]: the source gives whole MWh, so half a unit of its
/// last figure.
const EENS_PUBLISHED_PRECISION_MWH: f64 = 0.5;
/// "Agree to 4 significant figures": a relative difference of at most half a unit in the 4th
/// figure, 0.5e-3 / 10 = 5e-5 relative for a leading digit of 1..9.
const SIG4_REL_TOL: f64 = 5e-5;
/// Annual energy of the load file, MWh (the file holds exact decimals; only summation rounding).
const ENERGY_TOL_MWH: f64 = 1e-3;
/// Installed capacity and peak load, MW (exact integers in the files).
const MW_TOL: f64 = 1e-9;
/// FOR against MTTR/(MTTF+MTTR): both are decimal fractions rounded to the nearest double.
const FOR_TOL: f64 = 1e-15;

fn units() -> Vec<UnitRecord> {
    read_units_csv(Path::new(UNITS)).expect("units.csv")
}

fn load() -> Vec<f64> {
    read_load_csv(Path::new(LOAD), "load_mw").expect("load_8736h.csv")
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn data_files_have_the_documented_facts() {
    let units = units();
    assert_eq!(units.len(), 32);
    let installed: f64 = units.iter().map(|u| u.size_mw).sum();
    assert!((installed - 3405.0).abs() < MW_TOL);
    for u in &units {
        let from_times = u.mttr_h / (u.mttf_h + u.mttr_h);
        assert!(
            (u.forced_outage_rate - from_times).abs() < FOR_TOL,
            "{}: FOR {} vs MTTR/(MTTF+MTTR) {from_times}",
            u.id,
            u.forced_outage_rate
        );
        let via_times = TwoStateUnit::from_mttf_mttr(u.size_mw, u.mttf_h, u.mttr_h).unwrap();
        assert!((via_times.forced_outage_rate - u.forced_outage_rate).abs() < FOR_TOL);
    }

    let load = load();
    assert_eq!(load.len(), 8736);
    let peak = load.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert!((peak - 2850.0).abs() < MW_TOL);
    let peak_hours: Vec<usize> = (0..load.len())
        .filter(|&h| (load[h] - 2850.0).abs() < MW_TOL)
        .map(|h| h + 1) // 1-based hours, as in the file
        .collect();
    assert_eq!(peak_hours, vec![8442, 8443]);
    let energy: f64 = load.iter().sum();
    assert!((energy - 15_297_074.713_74).abs() < ENERGY_TOL_MWH);
    let integers = load.iter().filter(|l| l.fract() == 0.0).count();
    assert_eq!(integers, 94);
}

#[test]
fn hourly_lole_and_eens_match_the_published_values() {
    let started = Instant::now();
    let units: Vec<TwoStateUnit> = units().iter().map(|u| u.two_state().unwrap()).collect();
    let copt = Copt::new(&units).unwrap();
    let load = load();
    let idx = copt.indices(&load, 1.0);
    eprintln!(
        "RTS-79: LOLE = {} h/yr, EENS = {} MWh/yr ({} ppm), {} states, {:?}",
        idx.lole_hours,
        idx.eue_mwh,
        idx.eue_ppm,
        copt.len(),
        started.elapsed()
    );
    assert!((copt.installed_mw() - 3405.0).abs() < MW_TOL);
    assert!(copt.len() <= 3406);
    assert!(
        rel(idx.lole_hours, LOLE_H) < SIG4_REL_TOL,
        "LOLE {} h/yr vs {LOLE_H}",
        idx.lole_hours
    );
    assert!(
        (idx.eue_mwh - EENS_PUBLISHED_MWH).abs() <= EENS_PUBLISHED_PRECISION_MWH,
        "EENS {} MWh/yr vs the published {EENS_PUBLISHED_MWH}",
        idx.eue_mwh
    );
    assert!((idx.hours - 8736.0).abs() < MW_TOL);
    assert!((idx.load_energy_mwh - 15_297_074.713_74).abs() < ENERGY_TOL_MWH);

    // The strict convention matters: 94 loads are exact integers, and counting a load equal to
    // an available capacity as lost (P(A ≤ L), here P(A < L + 1e-6) on the integer-MW table)
    // moves the LOLE off the published value.
    let non_strict: f64 = load.iter().map(|&l| copt.lolp(l + 1e-6)).sum();
    eprintln!("non-strict LOLE = {non_strict} h/yr");
    assert!(non_strict > idx.lole_hours);
    assert!(rel(non_strict, LOLE_H) > SIG4_REL_TOL);
}

// ---- sequential Monte Carlo against the analytic oracle ----------------------------------------

mod monte_carlo {
    use super::{load, units};
    use ridethrough::components::battery::BatteryParams;
    use ridethrough::studies::adequacy::{adequacy_site, Copt, TwoStateUnit, UnitSampling};
    use ridethrough::studies::montecarlo::{self, Indices, McConfig};

    /// Monte Carlo estimates must fall within this many standard errors of the exact value.
    const N_SE: f64 = 3.0;
    /// Sample-years: a per-year standard deviation of ≈16 h/yr gives a standard error of
    /// ≈0.3 h/yr on LOLE; a few seconds in release mode on 2 cores.
    const YEARS: u64 = 3_000;

    fn analytic(extra_firm_mw: f64) -> (f64, f64) {
        let two_state: Vec<TwoStateUnit> = units().iter().map(|u| u.two_state().unwrap()).collect();
        let mut copt = Copt::new(&two_state).unwrap();
        if extra_firm_mw > 0.0 {
            copt = copt.with_unit(TwoStateUnit::new(extra_firm_mw, 0.0).unwrap());
        }
        let ix = copt.indices(&load(), 1.0);
        (ix.lole_hours, ix.eue_mwh)
    }

    fn mc(sampling: UnitSampling, battery: &BatteryParams, seed: u64) -> Indices {
        let site = adequacy_site(&units(), &load(), sampling, battery).unwrap();
        let r = montecarlo::run(
            &site,
            &ridethrough::engine::policy::Policy::default(),
            &McConfig::new(YEARS, seed),
            &|_| {},
        )
        .unwrap();
        r.indices
    }

    fn within(ix: &Indices, lole: f64, eue: f64, what: &str) {
        let (l, e) = (ix.lole_hours, ix.eue_mwh);
        println!("{what}: LOLE {l} (exact {lole:.4}), EUE {e} (exact {eue:.1})");
        assert!(
            (l.mean - lole).abs() <= N_SE * l.se,
            "{what}: LOLE {l} vs exact {lole}"
        );
        assert!(
            (e.mean - eue).abs() <= N_SE * e.se,
            "{what}: EUE {e} vs exact {eue}"
        );
    }

    #[test]
    fn sequential_monte_carlo_matches_the_analytic_indices() {
        let (lole, eue) = analytic(0.0);
        let none = BatteryParams::none();
        within(
            &mc(UnitSampling::MarkovPerStep, &none, 79),
            lole,
            eue,
            "per-step Markov",
        );
        within(
            &mc(UnitSampling::Markov, &none, 79),
            lole,
            eue,
            "continuous-time Markov",
        );
    }

    fn firm_battery(power_mw: f64, energy_mwh: f64) -> BatteryParams {
        use ridethrough::units::{Energy, Fraction, Power};
        BatteryParams {
            units: 1,
            power_mw: Some(Power::mw(power_mw)),
            energy_mwh: Some(Energy::mwh(energy_mwh)),
            round_trip_efficiency: Some(Fraction::ratio(1.0)),
            aux_load_mw: Some(Power::ZERO),
            reserve_soc: Some(Fraction::ratio(0.0)),
            ..BatteryParams::none()
        }
    }

    #[test]
    fn a_huge_battery_of_power_p_acts_like_a_perfect_p_mw_unit() {
        // 100 MW that never runs out of energy (1e9 MWh) can cover any 100 MW of shortfall,
        // exactly as a 100 MW unit with a zero forced-outage rate.
        let (lole, eue) = analytic(100.0);
        let ix = mc(UnitSampling::MarkovPerStep, &firm_battery(100.0, 1e9), 80);
        within(&ix, lole, eue, "100 MW battery vs 100 MW perfect unit");
    }

    #[test]
    fn a_battery_never_raises_lole_or_eue_and_an_empty_one_changes_nothing() {
        let none = BatteryParams::none();
        let base = adequacy_site(&units(), &load(), UnitSampling::MarkovPerStep, &none).unwrap();
        let with = adequacy_site(
            &units(),
            &load(),
            UnitSampling::MarkovPerStep,
            &firm_battery(200.0, 800.0),
        )
        .unwrap();
        let empty = adequacy_site(
            &units(),
            &load(),
            UnitSampling::MarkovPerStep,
            &firm_battery(200.0, 0.0),
        )
        .unwrap();
        let p = ridethrough::engine::policy::Policy::default();
        let cfg = McConfig::new(500, 81);
        let c = montecarlo::compare((&base, &p), (&with, &p), &cfg, &|_| {}).unwrap();
        assert_eq!(c.samples_b_worse, 0, "a battery raised EUE in some sample");
        assert_eq!(
            c.samples_b_more_lol_hours, 0,
            "a battery raised LOLE in some sample"
        );
        assert!(c.eue_difference_mwh.mean < 0.0 && c.lole_difference_hours.mean < 0.0);
        let z = montecarlo::compare((&base, &p), (&empty, &p), &cfg, &|_| {}).unwrap();
        assert_eq!(z.a, z.b, "a battery of zero energy changed the indices");
        assert_eq!(z.eue_difference_mwh.mean, 0.0);
    }
}
