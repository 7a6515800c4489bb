//! The human-readable summary of a [`Report`]: its `Display`.
//!
//! The report's data types live with the engine that fills them
//! ([`crate::engine::report`]); how they read as text is an output format, like the CSV traces,
//! and lives here.

use crate::engine::report::Report;
use crate::time::TimeGrid;
use std::fmt;

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.site;
        let t = &self.totals;
        let horizon = s.time.step() * self.steps_done;
        writeln!(f, "ridethrough report")?;
        writeln!(
            f,
            "  horizon        {} in {} steps of {} (seed {}, policy {})",
            horizon,
            self.steps_done,
            s.time.step(),
            s.seed,
            s.policy
        )?;
        writeln!(
            f,
            "  site           grid import limit {:.1} MW, facility peak ≤ {:.2} MW",
            s.import_limit_mw, s.peak_facility_mw
        )?;
        writeln!(
            f,
            "  battery        {} units, {:.1} MW / {:.1} MWh ({:.1} MWh usable)",
            s.battery_units, s.battery_power_mw, s.battery_capacity_mwh, s.battery_usable_mwh
        )?;
        writeln!(f, "energy (MWh)")?;
        writeln!(f, "  facility load  {:>14.3}", t.facility_mwh)?;
        writeln!(f, "  battery aux    {:>14.3}", t.aux_mwh)?;
        writeln!(f, "  grid import    {:>14.3}", t.import_mwh)?;
        writeln!(f, "  grid export    {:>14.3}", t.export_mwh)?;
        writeln!(f, "  bat. charge    {:>14.3}", t.charge_mwh)?;
        writeln!(f, "  bat. discharge {:>14.3}", t.discharge_mwh)?;
        writeln!(f, "  bat. losses    {:>14.3}", self.battery_losses_mwh)?;
        writeln!(f, "  unserved       {:>14.3}", t.unserved_mwh)?;
        writeln!(f, "reliability")?;
        writeln!(
            f,
            "  grid outages   {} ({} carried through), {:.2} h impaired",
            self.grid_outages.len(),
            self.outages_carried(),
            t.grid_impaired_hours
        )?;
        writeln!(
            f,
            "  loss of load   {} events, {:.3} h, {:.3} MWh unserved",
            self.loss_of_load.len(),
            t.loss_of_load_hours,
            t.unserved_mwh
        )?;
        writeln!(
            f,
            "  battery SoC    min {:.1} %, mean {:.1} %, last {:.1} %, {:.2} h below the {:.0} % reserve, {:.2} full cycles",
            self.soc.min * 100.0,
            self.soc.mean * 100.0,
            self.soc.last * 100.0,
            self.soc.hours_below_reserve,
            self.soc.reserve * 100.0,
            self.equivalent_full_cycles
        )?;
        const SHOWN: usize = 10;
        if !self.grid_outages.is_empty() {
            writeln!(f, "grid outages (first {SHOWN})")?;
            writeln!(
                f,
                "  {:>16} {:>10} {:>9} {:>9} {:>9} {:>11}",
                "start", "duration", "depth MW", "SoC start", "SoC min", "unserved"
            )?;
            for o in self.grid_outages.iter().take(SHOWN) {
                writeln!(
                    f,
                    "  {:>16} {:>10} {:>9.2} {:>8.1}% {:>8.1}% {:>7.3} MWh{}",
                    when(&s.time, o.start_step),
                    o.duration.to_string(),
                    o.depth_mw,
                    o.soc_at_start * 100.0,
                    o.min_soc * 100.0,
                    o.unserved_mwh,
                    if o.carried_through { "" } else { "  LOST LOAD" }
                )?;
            }
        }
        if !self.loss_of_load.is_empty() {
            writeln!(f, "loss-of-load events (first {SHOWN})")?;
            for e in self.loss_of_load.iter().take(SHOWN) {
                writeln!(
                    f,
                    "  at {:>16} for {:>10}: {:.3} MWh unserved, peak shortfall {:.3} MW",
                    when(&s.time, e.start_step),
                    e.duration.to_string(),
                    e.unserved_mwh,
                    e.peak_shortfall_mw
                )?;
            }
        }
        Ok(())
    }
}

/// The calendar time of step `k` (`2025-05-01 13:20:00`; fractions of a second when the step has them).
fn when(time: &TimeGrid, k: u64) -> String {
    let t = time.datetime(k);
    if time.step().as_millis() % 1_000 == 0 {
        t.strftime("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        t.strftime("%Y-%m-%d %H:%M:%S%.3f").to_string()
    }
}
