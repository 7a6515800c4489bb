//! A dispatch policy written outside the library, run on a site and compared with the built-in
//! backup-only policy.
//!
//! ```text
//! cargo run --release --example custom_policy
//! ```
//!
//! The site: a week (Monday 06:00 to Monday 06:00) of a datacenter whose IT load follows a
//! daily shape (60 % at night, 10 MW from 09:00 to 17:00, PUE 1.2, so a 12 MW facility peak) on
//! a 20 MW feed without outages, at 15-minute steps, with four Megapack 2 XL 4-hour units (3.9 MW / 15.7 MWh). The utility bills
//! the monthly peak, so the operator wants grid import held at or under 11 MW, and wants the
//! battery recharged only at night (00:00–06:00), when energy is cheap.
//!
//! No built-in policy does exactly that: the built-in peak shaver recharges whenever import is
//! under the cap. So the example writes one. A policy is any type implementing
//! [`Dispatch`]: each step it sees an [`Observation`] and returns the battery power it wants
//! (positive discharges, negative charges); the engine clamps the request to what the fleet and
//! the grid can physically do, and whatever load is left over is reported as unserved.
//!
//! It then checks what the two runs show: backup-only leaves the whole peak on the grid and never
//! touches the battery; the night-charging limiter holds import under the cap without losing
//! load, stays above the backup reserve, charges only at night, and pays for the shaved peak in
//! extra grid energy equal to its battery losses (the week ends after a night of charging, with
//! the battery full again).

use ridethrough::prelude::*;
use ridethrough::time::TimeGrid;

/// The grid import the operator wants to stay under, MW.
const IMPORT_CAP_MW: f64 = 11.0;
/// Night-time charging hours: `NIGHT.0 ≤ hour < NIGHT.1`.
const NIGHT: (u8, u8) = (0, 6);
/// Power comparisons, MW: rounding of a few additions of megawatt values.
const POWER_TOL_MW: f64 = 1e-9;
/// SoC comparisons (a fraction): rounding of ≈700 step updates of the stored energy.
const SOC_TOL: f64 = 1e-9;
/// Energy comparisons over the week, MWh: rounding of ≈700 step additions.
const ENERGY_TOL_MWH: f64 = 1e-6;

/// The scenario, in the scenario file format (README, "Scenario format").
const SITE_TOML: &str = r#"
name = "Peak-billed site, a week"
seed = 1
[time]
step = "15m"
horizon = "7d"
start = "2025-06-02T06:00:00"
[grid]
import_limit_mw = 20.0
[battery]
preset = "megapack2xl_4h"
units = 4
reserve_soc = 0.2
[load]
pue = 1.2
[[load.it]]
kind = "daily"
peak_mw = 10.0
shape = [0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.7, 0.8, 0.9, 1.0, 1.0, 1.0,
         1.0, 1.0, 1.0, 1.0, 1.0, 0.9, 0.8, 0.7, 0.7, 0.6, 0.6, 0.6]
"#;

/// Holds grid import at or under `cap` with the energy above the backup reserve, and recharges
/// (under the cap) only during the night hours.
#[derive(Debug, Clone)]
struct NightChargingLimiter {
    cap: Power,
    time: TimeGrid,
}

impl NightChargingLimiter {
    fn is_night(&self, step: u64) -> bool {
        (NIGHT.0..NIGHT.1).contains(&self.time.hour_of_day(step))
    }
}

impl Dispatch for NightChargingLimiter {
    fn decide(&mut self, obs: &Observation) -> Power {
        // Whatever the grid cannot give (an outage) may use the whole window.
        let shortfall = obs.shortfall();
        // Load above the cap may use only the energy above the reserve.
        let over_cap = (obs.demand.min(obs.available_import) - self.cap).max(Power::ZERO);
        let discharge = shortfall + over_cap.min(obs.max_discharge_above_reserve);
        if discharge > Power::ZERO || !self.is_night(obs.step) {
            return discharge;
        }
        // Night: recharge with the headroom under the cap (the engine stops at the SoC ceiling).
        let headroom = (self.cap.min(obs.available_import) - obs.demand).max(Power::ZERO);
        -headroom.min(obs.max_charge)
    }

    fn name(&self) -> &'static str {
        "night_charging_limiter"
    }
}

/// Runs `policy` over the whole week and returns the report and every step's record.
fn run<P: Dispatch>(site: &Site, policy: P, seed: u64) -> (Report, Vec<StepRecord>) {
    let mut trace = TraceRecorder::with_capacity(site.time.steps() as usize);
    let report = site.simulate(policy, seed).run(&mut trace).report();
    (report, trace.rows)
}

/// The highest grid import of a run, MW.
fn peak_import(rows: &[StepRecord]) -> f64 {
    rows.iter().map(|r| r.import_mw).fold(0.0, f64::max)
}

/// Energy the battery took from the bus and kept or lost: losses plus the change of stored energy.
fn battery_net_mwh(r: &Report) -> f64 {
    r.battery_losses_mwh + (r.soc.last - r.soc.initial) * r.site.battery_capacity_mwh
}

fn main() -> Result<(), ConfigError> {
    let study = Scenario::from_toml_str(SITE_TOML)?.validate()?;
    let site = study.site();

    // The built-in policy: stand by full, discharge only when the grid fails.
    let (backup, backup_rows) = run(site, *study.policy(), study.seed());
    // Ours.
    let limiter = NightChargingLimiter {
        cap: Power::mw(IMPORT_CAP_MW),
        time: site.time,
    };
    let (ours, our_rows) = run(site, limiter.clone(), study.seed());

    let peak_facility = site.load.peak_facility_power().value();
    println!("a week at 15-minute steps, facility peak {peak_facility:.2} MW, import cap {IMPORT_CAP_MW} MW");
    println!("  policy                    peak import   grid energy   discharged   battery losses   SoC min");
    for (r, rows) in [(&backup, &backup_rows), (&ours, &our_rows)] {
        println!(
            "  {:<24} {:>9.3} MW {:>9.1} MWh {:>8.2} MWh {:>12.3} MWh {:>8.1} %",
            r.site.policy,
            peak_import(rows),
            r.totals.import_mwh,
            r.totals.discharge_mwh,
            r.battery_losses_mwh,
            100.0 * r.soc.min
        );
    }

    // Backup-only: with the grid always up, the battery stays idle and the grid carries the peak
    // (the facility's plus the fleet's auxiliary load).
    let aux = site.battery.aux_load().value();
    assert_eq!(backup.totals.discharge_mwh, 0.0);
    assert!((peak_import(&backup_rows) - (peak_facility + aux)).abs() < POWER_TOL_MW);
    assert!(peak_import(&backup_rows) > IMPORT_CAP_MW);

    // Ours: the cap holds and no load is lost, the reserve is kept, and charging is night-only.
    assert!(peak_import(&our_rows) <= IMPORT_CAP_MW + POWER_TOL_MW);
    assert_eq!(ours.totals.unserved_mwh, 0.0);
    assert!(ours.totals.discharge_mwh > 0.0);
    assert!(ours.soc.min >= site.battery.reserve_soc().value() - SOC_TOL);
    assert!(our_rows
        .iter()
        .filter(|r| r.charge_mw > 0.0)
        .all(|r| limiter.is_night(r.step)));

    // Energy: both runs serve the same load, so the extra grid energy of ours is exactly what
    // its battery lost or kept beyond backup-only's.
    let extra_import = ours.totals.import_mwh - backup.totals.import_mwh;
    let extra_battery = battery_net_mwh(&ours) - battery_net_mwh(&backup);
    println!("  extra grid energy {extra_import:.4} MWh = extra battery losses and storage {extra_battery:.4} MWh");
    assert!((extra_import - extra_battery).abs() < ENERGY_TOL_MWH);
    assert!(
        (ours.soc.last - ours.soc.initial).abs() < SOC_TOL,
        "recharged by 06:00"
    );
    assert!((extra_import - ours.battery_losses_mwh).abs() < ENERGY_TOL_MWH);
    assert!(extra_import > 0.0);
    println!("  OK: the peak is shaved to the cap, paid for in battery losses");
    Ok(())
}
