//! How results read as text: the `Display` of a run's [`Report`], of Monte Carlo
//! [`Indices`], of [`SlaMetrics`] and of a [`SurvivalCurve`].
//!
//! The result types live with the code that fills them ([`crate::engine::report`],
//! [`crate::studies`]); how they read as text is an output format, like the CSV traces, and
//! lives here, so that changing a layout touches one file and no computation.

use crate::components::battery::ageing::MAX_CELL_TEMPERATURE_C;
use crate::components::tariff::Bill;
use crate::engine::report::{Report, TierReport};
use crate::studies::frontier::Frontier;
use crate::studies::montecarlo::Indices;
use crate::studies::sla::{SlaFigure, SlaMetrics};
use crate::studies::stats::Estimate;
use crate::studies::survival::SurvivalCurve;
use crate::time::TimeGrid;
use crate::units::Duration;
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
            "  battery        {} units, {:.1} MW / {:.1} MWh, {:.1} MWh usable in an outage (the whole SoC window)",
            s.battery_units, s.battery_power_mw, s.battery_capacity_mwh, s.battery_usable_mwh
        )?;
        // The reserve's energy at the nameplate (a faded fleet holds less: see `battery life`).
        writeln!(
            f,
            "  backup reserve SoC {:.0} % ({:.1} MWh stored): held back from peak shaving and smoothing, used only in outages",
            self.soc.reserve * 100.0,
            self.soc.reserve * s.battery_capacity_mwh
        )?;
        if let Some(b) = &self.backup {
            writeln!(
                f,
                "  generators     {} sets of {:.2} MW ({:.1} MW)",
                b.sets,
                b.set_rating_mw,
                b.set_rating_mw * f64::from(b.sets)
            )?;
        }
        writeln!(f, "energy (MWh)")?;
        writeln!(f, "  facility load  {:>14.3}", t.facility_mwh)?;
        writeln!(f, "  battery aux    {:>14.3}", t.aux_mwh)?;
        writeln!(f, "  grid import    {:>14.3}", t.import_mwh)?;
        writeln!(f, "  grid export    {:>14.3}", t.export_mwh)?;
        writeln!(f, "  bat. charge    {:>14.3}", t.charge_mwh)?;
        writeln!(f, "  bat. discharge {:>14.3}", t.discharge_mwh)?;
        writeln!(f, "  bat. losses    {:>14.3}", self.battery_losses_mwh)?;
        if self.backup.is_some() {
            writeln!(f, "  generation     {:>14.3}", t.generation_mwh)?;
            writeln!(f, "  curtailed      {:>14.3}", t.curtailment_mwh)?;
        }
        writeln!(f, "  unserved       {:>14.3}", t.unserved_mwh)?;
        if let Some(l) = &self.lifetime {
            writeln!(f, "battery life")?;
            writeln!(
                f,
                "  capacity left  {:.2} % of nameplate, {:.1} MWh usable at the end",
                l.capacity_factor * 100.0,
                l.usable_mwh_end
            )?;
            // Without `[battery.ageing]` there is no fade and no rainflow count (the SoC line
            // below gives the run's full cycles).
            if l.years.is_empty() {
                writeln!(f, "  fade           none (no [battery.ageing])")?;
            } else {
                writeln!(
                    f,
                    "  fade           {:.3} % calendar + {:.3} % cycle, {:.1} equivalent full cycles",
                    l.calendar_fade * 100.0,
                    l.cycle_fade * 100.0,
                    l.equivalent_full_cycles
                )?;
                writeln!(
                    f,
                    "  fade loss      {:.3} MWh of stored energy cut by the shrinking window",
                    l.fade_loss_mwh
                )?;
            }
            writeln!(
                f,
                "  ambient        {:.1} °C mean, {:.3} MWh aux",
                l.mean_ambient_c, l.aux_mwh
            )?;
            if let Some(e) = &l.enclosure {
                writeln!(
                    f,
                    "  enclosure      {:.1} °C mean, {:.1} °C max, {:.3} MWh HVAC + {:.3} MWh standby",
                    e.mean_c, e.max_c, e.hvac_mwh, e.standby_mwh
                )?;
                if e.max_c > MAX_CELL_TEMPERATURE_C {
                    writeln!(
                        f,
                        "  warning        the enclosure passed {MAX_CELL_TEMPERATURE_C} °C, the \
                         cell ageing model's limit: the fade above it is computed at \
                         {MAX_CELL_TEMPERATURE_C} °C (more cooling would keep the cells in range)"
                    )?;
                }
            }
            if let Some(a) = &l.augmentation {
                writeln!(
                    f,
                    "  augmentation   {} units installed at the end ({} added, {} removed); \
                     {:.3} MWh came with new units (empty: their window floor), {:.3} MWh left \
                     with removed ones",
                    a.units, a.units_added, a.units_removed, a.installed_mwh, a.removed_mwh
                )?;
                writeln!(
                    f,
                    "  (capacity is the installed units' mean; fades and EFC are summed over \
                     every cohort, in units of the initial fleet's nameplate)"
                )?;
            }
            if l.years.len() > 1 {
                let plan = l.augmentation.is_some();
                let enclosure = l.years.iter().any(|y| y.enclosure.is_some());
                writeln!(
                    f,
                    "  year  capacity  usable MWh  cal. fade  cyc. fade    EFC  losses MWh  fade loss MWh  unserved MWh{}{}",
                    if plan { "  units  added  removed" } else { "" },
                    if enclosure {
                        "  encl. mean  encl. max  HVAC MWh  standby MWh"
                    } else {
                        ""
                    }
                )?;
                for y in &l.years {
                    write!(
                        f,
                        "  {:>4}  {:>7.2} %  {:>10.1}  {:>7.3} %  {:>7.3} %  {:>5.1}  {:>10.2}  {:>13.3}  {:>12.3}",
                        y.year,
                        y.capacity_factor_end * 100.0,
                        y.usable_mwh_end,
                        y.calendar_fade * 100.0,
                        y.cycle_fade * 100.0,
                        y.equivalent_full_cycles,
                        y.battery_losses_mwh,
                        y.fade_loss_mwh,
                        y.unserved_mwh
                    )?;
                    if let Some(a) = &y.augmentation {
                        write!(
                            f,
                            "  {:>5}  {:>5}  {:>7}",
                            a.units, a.units_added, a.units_removed
                        )?;
                    }
                    if let Some(e) = &y.enclosure {
                        write!(
                            f,
                            "  {:>7.1} °C  {:>6.1} °C  {:>8.3}  {:>11.3}",
                            e.mean_c, e.max_c, e.hvac_mwh, e.standby_mwh
                        )?;
                    }
                    writeln!(f)?;
                }
            }
        }
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
            "  loss of load   {} events, {:.3} h ({:.3} h of steps), {:.3} MWh unserved",
            self.loss_of_load.len(),
            t.loss_of_load_hours,
            t.loss_of_load_step_hours,
            t.unserved_mwh
        )?;
        writeln!(
            f,
            "  battery SoC    min {:.1} %, mean {:.1} %, last {:.1} %, {:.2} h inside the backup reserve (SoC < {:.0} %), {:.2} full cycles",
            self.soc.min * 100.0,
            self.soc.mean * 100.0,
            self.soc.last * 100.0,
            self.soc.hours_below_reserve,
            self.soc.reserve * 100.0,
            self.equivalent_full_cycles
        )?;
        let r = &self.grid_ramps;
        write!(
            f,
            "  grid ramps     largest rise {:.4} MW/s, fall {:.4} MW/s (step to step over {} s, grid whole)",
            r.max_up_mw_per_s, r.max_down_mw_per_s, r.step_s
        )?;
        if let Some(limit) = r.limit_mw_per_s {
            write!(
                f,
                ", {} steps ({:.3} h) over the {} MW/s limit",
                r.steps_over_limit, r.hours_over_limit, limit
            )?;
        }
        writeln!(f)?;
        if let Some(b) = &self.backup {
            let g = &b.generators;
            writeln!(
                f,
                "  backup chain   {} transfers to generators, {} with load dropped in transfer ({:.4} MWh over {:.1} s)",
                b.transfers,
                b.transfers_with_drop,
                b.transfer_unserved_mwh,
                b.transfer_drop_hours * 3600.0
            )?;
            writeln!(
                f,
                "  generator sets {} start demands, {} failed attempts, {} failed to start, {} failed running, {} repaired, {:.1} run hours",
                g.demands, g.failed_attempts, g.failed_starts, g.running_failures, g.repairs, b.run_hours
            )?;
            if g.load_demand_stops > 0 {
                writeln!(
                    f,
                    "  load demand    {} sets stopped as surplus to the load",
                    g.load_demand_stops
                )?;
            }
            if g.commanded_stops > 0 {
                writeln!(
                    f,
                    "  commands       {} sets stopped by the policy",
                    g.commanded_stops
                )?;
            }
            write!(f, "  fuel           {:.0} L burnt", b.fuel_burnt_l)?;
            if let Some(fuel) = &b.fuel {
                write!(
                    f,
                    ", lowest tank {:.0} L, {} deliveries ({} failed), {} fuel-outs",
                    fuel.lowest_l, fuel.deliveries, fuel.failed_deliveries, fuel.fuel_outs
                )?;
            }
            writeln!(f)?;
        }
        if let Some(tiers) = &self.tiers {
            write_tiers(f, tiers)?;
        }
        if let Some(c) = &self.costs {
            write_costs(f, c)?;
        }
        const SHOWN: usize = 10;
        if !self.grid_outages.is_empty() {
            writeln!(f, "grid outages (first {SHOWN})")?;
            writeln!(
                f,
                "  {:>23} {:>14} {:>9} {:>9} {:>9} {:>11}",
                "start", "duration", "depth MW", "SoC start", "SoC min", "unserved"
            )?;
            for o in self.grid_outages.iter().take(SHOWN) {
                writeln!(
                    f,
                    "  {:>23} {:>14} {:>9.2} {:>8.1}% {:>8.1}% {:>7.3} MWh{}",
                    when(&s.time, o.start),
                    o.duration.compound().to_string(),
                    o.depth_mw,
                    o.soc_at_start * 100.0,
                    o.min_soc * 100.0,
                    o.unserved_mwh,
                    if o.carried_through { "" } else { "  LOST LOAD" }
                )?;
            }
        }
        if let Some(b) = self.backup.as_ref().filter(|b| !b.outages.is_empty()) {
            writeln!(f, "generator outages (first {SHOWN}; fuel in all tanks, autonomy at the outage's burn rate)")?;
            writeln!(
                f,
                "  {:>23} {:>14} {:>10} {:>10} {:>19} {:>19}",
                "start", "duration", "gen. MWh", "burnt L", "fuel at start", "lowest fuel"
            )?;
            let fuel = |l: Option<f64>, h: Option<f64>| match (l, h) {
                (Some(l), Some(h)) => format!("{l:.0} L {h:.1} h"),
                (Some(l), None) => format!("{l:.0} L"),
                _ => "unlimited".to_owned(),
            };
            for o in b.outages.iter().take(SHOWN) {
                writeln!(
                    f,
                    "  {:>23} {:>14} {:>10.3} {:>10.0} {:>19} {:>19}",
                    when(&s.time, o.start),
                    o.duration.compound().to_string(),
                    o.generation_mwh,
                    o.fuel_burnt_l,
                    fuel(o.fuel_start_l, o.autonomy_at_start_h()),
                    fuel(o.fuel_lowest_l, o.autonomy_at_lowest_h())
                )?;
            }
        }
        if !self.loss_of_load.is_empty() {
            writeln!(f, "loss-of-load events (first {SHOWN})")?;
            for e in self.loss_of_load.iter().take(SHOWN) {
                writeln!(
                    f,
                    "  at {:>16} for {:>10}: {:.3} MWh unserved, peak shortfall {:.3} MW",
                    when(&s.time, e.start),
                    e.duration.compound().to_string(),
                    e.unserved_mwh,
                    e.peak_shortfall_mw
                )?;
            }
        }
        if let Some(b) = self
            .backup
            .as_ref()
            .filter(|b| !b.transfer_drops.is_empty())
        {
            writeln!(f, "load dropped in transfer (first {SHOWN})")?;
            for d in b.transfer_drops.iter().take(SHOWN) {
                writeln!(
                    f,
                    "  at {:>16} for {:>10}: {:.4} MWh dropped, peak {:.3} MW",
                    when(&s.time, d.start),
                    d.duration.compound().to_string(),
                    d.unserved_mwh,
                    d.peak_shortfall_mw
                )?;
            }
        }
        Ok(())
    }
}

/// The per-tier block of a run's report: each tier's unserved energy, loss-of-load time and
/// events, and the training work lost at pauses.
fn write_tiers(f: &mut fmt::Formatter<'_>, t: &TierReport) -> fmt::Result {
    writeln!(f, "loss of load by tier")?;
    writeln!(
        f,
        "  {:<12} {:>14} {:>12} {:>12} {:>7}",
        "tier", "unserved MWh", "hours", "step hours", "events"
    )?;
    for x in &t.tiers {
        writeln!(
            f,
            "  {:<12} {:>14.3} {:>12.3} {:>12.3} {:>7}",
            x.tier.name(),
            x.unserved_mwh,
            x.loss_of_load_hours,
            x.loss_of_load_step_hours,
            x.events
        )?;
    }
    writeln!(
        f,
        "  training     {} pauses, {:.3} h of work lost since checkpoints ({:.3} MWh of compute)",
        t.training_pauses, t.lost_compute_hours, t.lost_compute_mwh
    )
}

/// The cost block of a run's report: the run's bill and the baseline's (battery idle), per year.
fn write_costs(f: &mut fmt::Formatter<'_>, c: &Bill) -> fmt::Result {
    let y = |usd: f64| c.per_year(usd);
    writeln!(
        f,
        "costs ($/yr, the {:.0} h billed scaled to 8760 h; baseline: the battery idle, import = demand)",
        c.hours
    )?;
    writeln!(
        f,
        "  {:<16} {:>16} {:>16} {:>16}",
        "", "energy", "demand charges", "total"
    )?;
    writeln!(
        f,
        "  {:<16} {:>16.0} {:>16.0} {:>16.0}",
        "with the battery",
        y(c.energy_cost_usd),
        y(c.demand_charges_usd),
        y(c.total_usd())
    )?;
    writeln!(
        f,
        "  {:<16} {:>16.0} {:>16.0} {:>16.0}",
        "baseline",
        y(c.baseline_energy_cost_usd),
        y(c.baseline_demand_charges_usd),
        y(c.baseline_total_usd())
    )?;
    writeln!(
        f,
        "  {:<16} {:>16.0} {:>16.0} {:>16.0}",
        "savings",
        y(c.baseline_energy_cost_usd - c.energy_cost_usd),
        y(c.baseline_demand_charges_usd - c.demand_charges_usd),
        c.savings_usd_per_year
    )?;
    if let (Some(run), Some(base)) = (
        c.months.iter().map(|m| m.peak_import_mw).reduce(f64::max),
        c.months
            .iter()
            .map(|m| m.baseline_peak_import_mw)
            .reduce(f64::max),
    ) {
        writeln!(
            f,
            "  billing demand highest month {run:.3} MW (baseline {base:.3} MW) over {} months",
            c.months.len()
        )?;
    }
    Ok(())
}

/// The table of a reserve-versus-value sweep.
impl fmt::Display for Frontier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Reserve vs value: {} samples of {} h each (seed {}, policy {}), every reserve on the same samples; per year, mean ± standard error",
            self.samples, self.horizon_hours, self.seed, self.policy
        )?;
        let pm = |e: &Estimate, p: usize| format!("{:.p$} ± {:.p$}", e.mean, e.se);
        let survive = self
            .survive_hours
            .map(|d| format!("P(survive {d} h)"))
            .unwrap_or_default();
        writeln!(
            f,
            "  {:>7}  {:>18}  {:>20}  {:>17}  {:>22}  {:>22}  {:>22}",
            "reserve",
            "LOLE h/yr",
            "EUE MWh/yr",
            survive,
            "value $/yr",
            "Δvalue vs first $/yr",
            "ΔEUE vs first MWh/yr"
        )?;
        for p in &self.points {
            writeln!(
                f,
                "  {:>6.1}%  {:>18}  {:>20}  {:>17}  {:>22}  {:>22}  {:>22}",
                100.0 * p.reserve,
                pm(&p.lole_hours, 4),
                pm(&p.eue_mwh, 3),
                p.survival.map(|s| pm(&s, 4)).unwrap_or_default(),
                pm(&p.value_usd_per_year, 0),
                pm(&p.value_difference_usd_per_year, 0),
                pm(&p.eue_difference_mwh, 3),
            )?;
        }
        writeln!(
            f,
            "  baseline bill (battery idle) {} $/yr; value = baseline bill − the run's bill (energy + demand charges)",
            pm(&self.baseline_cost_usd_per_year, 0)
        )?;
        if let Some(n) = self.outage_starts {
            writeln!(
                f,
                "  survival: {n} forced outages per sample, at instants drawn the same for every reserve"
            )?;
        }
        Ok(())
    }
}

/// The calendar time `at` after the grid's start (`2025-05-01 13:20:00`; with milliseconds
/// when it has them: events start to the millisecond).
pub(crate) fn when(time: &TimeGrid, at: Duration) -> String {
    let ms = i64::try_from(at.as_millis()).unwrap_or(i64::MAX);
    let t = time
        .start_or_default()
        .checked_add(jiff::SignedDuration::from_millis(ms))
        .unwrap_or(jiff::civil::DateTime::MAX);
    if at.as_millis() % 1_000 == 0 {
        t.strftime("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        t.strftime("%Y-%m-%d %H:%M:%S%.3f").to_string()
    }
}

impl std::fmt::Display for Indices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "Monte Carlo reliability: {} samples of {:.0} h (seed {}); estimate ± standard error",
            self.samples, self.sample_hours, self.seed
        )?;
        let row = |f: &mut std::fmt::Formatter<'_>, name: &str, e: &Estimate, unit: &str| {
            writeln!(f, "  {name:<34} {:>12.4} ± {:<10.4} {unit}", e.mean, e.se)
        };
        row(
            f,
            "LOLE (steps with loss of load)",
            &self.lole_hours,
            "h per sample",
        )?;
        row(
            f,
            "time with loss of load",
            &self.loss_of_load_hours,
            "h per sample",
        )?;
        row(f, "EUE", &self.eue_mwh, "MWh per sample")?;
        row(f, "normalised EUE", &self.eue_ppm, "ppm of facility energy")?;
        row(f, "LOLF", &self.lolf, "events per sample")?;
        row(
            f,
            "mean loss-of-load duration",
            &self.lol_duration_mean_hours,
            "h",
        )?;
        row(f, "unserved energy P50", &self.unserved_p50_mwh, "MWh")?;
        row(f, "unserved energy P90", &self.unserved_p90_mwh, "MWh")?;
        row(f, "unserved energy P99", &self.unserved_p99_mwh, "MWh")?;
        row(
            f,
            "unserved energy CVaR 95 %",
            &self.unserved_cvar95_mwh,
            "MWh",
        )?;
        row(
            f,
            "grid outages (sampled)",
            &self.grid_outages_per_sample,
            "per sample",
        )?;
        row(
            f,
            "grid outage hours (sampled)",
            &self.grid_outage_hours,
            "h per sample",
        )?;
        row(
            f,
            "mean grid outage duration",
            &self.grid_outage_duration_mean_hours,
            "h",
        )?;
        row(f, "SoC at outage start", &self.soc_at_outage_start, "")?;
        row(
            f,
            "outages ridden through",
            &self.ride_through_share,
            "share",
        )?;
        if let Some(b) = &self.backup {
            row(
                f,
                "transfers to generators",
                &b.transfers_per_sample,
                "per sample",
            )?;
            row(
                f,
                "P(load dropped in transfer)",
                &b.transfer_drop_probability,
                "per sample",
            )?;
            row(
                f,
                "load dropped in transfer",
                &b.transfer_unserved_mwh,
                "MWh per sample",
            )?;
            row(f, "generator starts", &b.starts_per_sample, "per sample")?;
            row(
                f,
                "sets failing to start",
                &b.failed_starts_per_sample,
                "per sample",
            )?;
            row(
                f,
                "sets failing while running",
                &b.running_failures_per_sample,
                "per sample",
            )?;
            row(f, "generation", &b.generation_mwh, "MWh per sample")?;
            row(f, "fuel burnt", &b.fuel_burnt_l, "L per sample")?;
            row(
                f,
                "P(a tank runs dry)",
                &b.fuel_out_probability,
                "per sample",
            )?;
        }
        if let Some(t) = &self.tiers {
            for x in &t.tiers {
                let name = x.tier.name();
                row(f, &format!("LOLE {name}"), &x.lole_hours, "h per sample")?;
                row(f, &format!("EUE {name}"), &x.eue_mwh, "MWh per sample")?;
                row(f, &format!("LOLF {name}"), &x.lolf, "events per sample")?;
            }
            row(f, "training pauses", &t.training_pauses, "per sample")?;
            row(
                f,
                "training work lost",
                &t.lost_compute_hours,
                "h per sample",
            )?;
            row(
                f,
                "training compute lost",
                &t.lost_compute_mwh,
                "MWh per sample",
            )?;
        }
        if self.lolf.mean > 0.0 {
            write!(f, "  loss-of-load event durations      ")?;
            for b in &self.lol_duration_distribution {
                if b.share > 0.0 {
                    if b.to_hours.is_finite() {
                        write!(
                            f,
                            " {}–{} h {:.0} %",
                            b.from_hours,
                            b.to_hours,
                            b.share * 100.0
                        )?;
                    } else {
                        write!(f, " ≥{} h {:.0} %", b.from_hours, b.share * 100.0)?;
                    }
                }
            }
            writeln!(f)?;
        }
        let worst_hour = self
            .lolp_by_hour
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.mean.total_cmp(&b.1.mean));
        if let Some((h, e)) = worst_hour {
            if e.mean > 0.0 {
                writeln!(
                    f,
                    "  highest LOLP by hour of day          {:02}:00, {:.3e} ± {:.1e}",
                    h, e.mean, e.se
                )?;
            }
        }
        Ok(())
    }
}

impl std::fmt::Display for SurvivalCurve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "Outage survival ({} start steps, outages up to {:.0} h): survived {:.2} h min, {:.2} h mean, {:.2} h max",
            self.starts.len(),
            self.max_hours,
            self.overall.min_hours,
            self.overall.mean_hours,
            self.overall.max_hours
        )?;
        write!(f, "  P(survive ≥ d h):")?;
        let shown: Vec<&(f64, f64)> = self
            .probability
            .iter()
            .filter(|(d, _)| {
                let d = *d as u64;
                d <= 8 || d % 12 == 0 || d as f64 == self.max_hours.floor()
            })
            .collect();
        for (i, (d, p)) in shown.iter().enumerate() {
            if i % 8 == 0 {
                write!(f, "\n   ")?;
            }
            write!(f, " {:>3} h {:>5.1} %", d, p * 100.0)?;
        }
        writeln!(f)
    }
}

/// `mean ± se` with the formatter's precision (3 by default), `≥ bound (95 %)` or
/// `≤ bound (95 %)`.
impl fmt::Display for SlaFigure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = f.precision().unwrap_or(3);
        match *self {
            SlaFigure::Estimated(e) => write!(f, "{:.*} ± {:.*}", p, e.mean, p, e.se),
            SlaFigure::AtLeast {
                value, confidence, ..
            } => write!(f, "≥ {:.*} ({:.0} %)", p, value, confidence * 100.0),
            SlaFigure::AtMost {
                value, confidence, ..
            } => write!(f, "≤ {:.*} ({:.0} %)", p, value, confidence * 100.0),
        }
    }
}

impl fmt::Display for SlaMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Service levels: {} samples of {:.0} h, scaled to a year of 8760 h",
            self.samples, self.sample_hours
        )?;
        let row = |f: &mut fmt::Formatter<'_>, name: &str, value: String, unit: &str| {
            writeln!(f, "  {name:<34} {value:>26} {unit}")
        };
        let est = |e: &Estimate, p: usize| format!("{:.*} ± {:.*}", p, e.mean, p, e.se);
        row(
            f,
            "availability",
            format!(
                "{:.4} ± {:.4}",
                self.availability.mean * 100.0,
                self.availability.se * 100.0
            ),
            "%",
        )?;
        row(f, "nines", format!("{:.2}", self.nines), "")?;
        row(
            f,
            "downtime",
            est(&self.downtime_minutes_per_year, 2),
            "min per year",
        )?;
        for (name, e) in [
            ("downtime P50", &self.downtime_p50_minutes_per_year),
            ("downtime P90", &self.downtime_p90_minutes_per_year),
            ("downtime P99", &self.downtime_p99_minutes_per_year),
        ] {
            row(f, name, est(e, 2), "min per year")?;
        }
        row(
            f,
            "P(at least one interruption)",
            format!("{:.4}", self.interruption_probability_per_year),
            "per year",
        )?;
        row(
            f,
            "interruptions (SAIFI)",
            format!("{:.4}", self.interruptions_per_year),
            "per year",
        )?;
        match &self.interruption_duration_minutes {
            Some(e) => row(f, "mean interruption (CAIDI)", est(e, 2), "min")?,
            None => row(f, "mean interruption (CAIDI)", "none".into(), "")?,
        }
        Ok(())
    }
}
