//! What a run reports: the per-step [`StepRecord`], grid outage and loss-of-load events,
//! energy totals, SoC statistics and the whole [`Report`].
//!
//! These are the data types only. The engine accumulates them step by step in its
//! [`Tally`](crate::engine::tally::Tally) and builds a [`Report`] on demand
//! ([`Simulation::report`](crate::engine::Simulation::report)); a report serialises to JSON with
//! serde and prints as a human-readable summary (`Display`, in [`crate::io::report`]).

use crate::components::fuel::FuelTally;
use crate::components::generators::GeneratorTally;
use crate::components::load::Tier;
use crate::components::tariff::Bill;
use crate::engine::backup::{GeneratorOutage, TransferDrop};
use crate::time::TimeGrid;
use crate::units::Duration;
use serde::{Deserialize, Serialize};

/// Unserved power up to this is rounding, not loss of load (MW): loss of load is more.
pub const UNSERVED_EPSILON_MW: f64 = 1e-9;

/// Availability below `1 − this` counts as a grid outage or derate.
pub const OUTAGE_EPSILON: f64 = 1e-12;

/// A step's change of grid import counts as over a ramp limit only when it exceeds the limit's
/// allowance over the step by more than this (MW, one watt). The ramp-limiting policy clamps
/// the import to exactly the allowance, and the step's import is a sum of MW-scale terms a few
/// ulps (≈1e-13 MW at hundreds of MW) from it; a watt is far above that rounding and far below
/// any ramp a grid operator would notice.
pub const RAMP_TOLERANCE_MW: f64 = 1e-6;

/// One step's flows, as handed to recorders. All powers are averages over the step, in MW: a
/// step that something splits into segments (an outage starting inside it, the battery
/// emptying) reports each flow's energy over the step ÷ the step's length, the availability
/// averaged over time and the SoC at its end. Such a step can both discharge (in one segment)
/// and charge (in a later one); within a segment at most one of the two is above zero.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct StepRecord {
    /// Step index.
    pub step: u64,
    /// Start of the step, seconds from the start of the run.
    pub time_s: f64,
    /// Facility load (IT × PUE).
    pub facility_mw: f64,
    /// Battery auxiliary load.
    pub aux_mw: f64,
    /// Fraction of the import limit available.
    pub availability: f64,
    /// Grid import available.
    pub available_import_mw: f64,
    /// Grid import.
    pub import_mw: f64,
    /// Grid export.
    pub export_mw: f64,
    /// Battery discharge (AC).
    pub discharge_mw: f64,
    /// Battery charge (AC).
    pub charge_mw: f64,
    /// Generator output (the curtailed part included; 0 without generators).
    pub generation_mw: f64,
    /// Load not served.
    pub unserved_mw: f64,
    /// Generator output curtailed: the minimum loading that neither the site nor the battery
    /// could take.
    pub curtailment_mw: f64,
    /// State of charge at the end of the step.
    pub soc: f64,
}

impl StepRecord {
    /// The names of the fields after `step` and `time_s`, in their order: the value columns of
    /// a trace (CSV and Parquet).
    pub const VALUE_COLUMNS: [&'static str; 12] = [
        "facility_mw",
        "aux_mw",
        "availability",
        "available_import_mw",
        "import_mw",
        "export_mw",
        "discharge_mw",
        "charge_mw",
        "generation_mw",
        "unserved_mw",
        "curtailment_mw",
        "soc",
    ];

    /// The values of [`StepRecord::VALUE_COLUMNS`], in that order.
    pub fn values(&self) -> [f64; Self::VALUE_COLUMNS.len()] {
        // Destructured, so a new field fails to compile here until it is added.
        let StepRecord {
            step: _,
            time_s: _,
            facility_mw,
            aux_mw,
            availability,
            available_import_mw,
            import_mw,
            export_mw,
            discharge_mw,
            charge_mw,
            generation_mw,
            unserved_mw,
            curtailment_mw,
            soc,
        } = *self;
        [
            facility_mw,
            aux_mw,
            availability,
            available_import_mw,
            import_mw,
            export_mw,
            discharge_mw,
            charge_mw,
            generation_mw,
            unserved_mw,
            curtailment_mw,
            soc,
        ]
    }

    /// `import + discharge + generation + unserved − (facility + aux + charge + export +
    /// curtailment)`, MW: zero to rounding when the step's energy balance closes.
    pub fn balance_residual_mw(&self) -> f64 {
        (self.import_mw + self.discharge_mw + self.generation_mw + self.unserved_mw)
            - (self.facility_mw
                + self.aux_mw
                + self.charge_mw
                + self.export_mw
                + self.curtailment_mw)
    }
}

/// A grid outage or derate: a continuous stretch of time with availability below 1, to the
/// millisecond (the segments of the steps it covers).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GridOutage {
    /// The step it starts in.
    pub start_step: u64,
    /// One past the step it ends in.
    pub end_step: u64,
    /// Start, from the beginning of the run, to the millisecond.
    pub start: Duration,
    /// Length, to the millisecond.
    pub duration: Duration,
    /// Largest import capacity lost, MW.
    pub depth_mw: f64,
    /// SoC when it starts (at the start of its first step if that is not split).
    pub soc_at_start: f64,
    /// Lowest SoC during the event.
    pub min_soc: f64,
    /// Load not served during the event, MWh.
    pub unserved_mwh: f64,
    /// Whether the whole load was carried through.
    pub carried_through: bool,
}

/// A loss of load: a continuous stretch of time with unserved load, to the millisecond (the
/// segments of the steps it covers).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LossOfLoad {
    /// The step it starts in.
    pub start_step: u64,
    /// One past the step it ends in.
    pub end_step: u64,
    /// Start, from the beginning of the run, to the millisecond.
    pub start: Duration,
    /// Length, to the millisecond.
    pub duration: Duration,
    /// Unserved energy, MWh.
    pub unserved_mwh: f64,
    /// Largest unserved power, MW.
    pub peak_shortfall_mw: f64,
}

/// Running sums, in MWh unless stated.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Totals {
    /// Steps simulated.
    pub steps: u64,
    /// Facility energy (IT × PUE).
    pub facility_mwh: f64,
    /// Battery auxiliary energy.
    pub aux_mwh: f64,
    /// Grid import.
    pub import_mwh: f64,
    /// Grid export.
    pub export_mwh: f64,
    /// Battery charge (AC, from the bus).
    pub charge_mwh: f64,
    /// Battery discharge (AC, to the bus).
    pub discharge_mwh: f64,
    /// Charging losses.
    pub charge_loss_mwh: f64,
    /// Discharging losses.
    pub discharge_loss_mwh: f64,
    /// Self-discharge losses.
    pub self_discharge_mwh: f64,
    /// Generator output (curtailed part included).
    #[serde(default)]
    pub generation_mwh: f64,
    /// Unserved energy.
    pub unserved_mwh: f64,
    /// Curtailed generation.
    pub curtailment_mwh: f64,
    /// Hours with unserved load, to the millisecond (the segments with loss of load).
    pub loss_of_load_hours: f64,
    /// Steps with unserved load in any part of them × the step length: the PRAS-style count of
    /// loss-of-load steps (LOLE's per-sample value), at least
    /// [`Totals::loss_of_load_hours`].
    pub loss_of_load_step_hours: f64,
    /// Hours the grid feed was impaired (availability below 1), to the millisecond.
    pub grid_impaired_hours: f64,
    /// Largest step balance residual seen, MW (rounding only).
    pub max_balance_residual_mw: f64,
}

/// State-of-charge statistics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SocStats {
    /// SoC at the start of the run.
    pub initial: f64,
    /// Lowest end-of-step SoC.
    pub min: f64,
    /// Mean end-of-step SoC.
    pub mean: f64,
    /// SoC at the end of the run.
    pub last: f64,
    /// The backup reserve, SoC: the energy below it is held back from peak shaving and smoothing
    /// (the policies never discharge into it outside outages) and used only in outages, when the
    /// whole SoC window serves the load.
    pub reserve: f64,
    /// Hours ending inside the backup reserve (SoC below [`SocStats::reserve`]): in outages, or
    /// recharging after one (the built-in policies never discharge into it otherwise).
    pub hours_below_reserve: f64,
}

/// How fast the grid import changed: step-average import to the next step's, over the steps in
/// which the grid was whole (availability 1) in both, so the falls and returns of grid outages
/// (the grid's doing, not the site's) are not counted. The first step's change is from the
/// run's initial import (what the policy saw as the previous import; see
/// [`Dispatch::initial_import`](crate::engine::policy::Dispatch::initial_import)).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct GridRamps {
    /// The step the changes are measured over, s.
    pub step_s: f64,
    /// Largest rise of the import from one step to the next, MW/s (0 when it never rose).
    pub max_up_mw_per_s: f64,
    /// Largest fall of the import from one step to the next, MW/s, as a positive number (0
    /// when it never fell).
    pub max_down_mw_per_s: f64,
    /// The policy's ramp limit, MW/s (ramp-limiting policies only; see
    /// [`Dispatch::ramp_limit`](crate::engine::policy::Dispatch::ramp_limit)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_mw_per_s: Option<f64>,
    /// Steps whose import rose or fell by more than the limit allows over a step (by more
    /// than [`RAMP_TOLERANCE_MW`]); 0 without a limit.
    pub steps_over_limit: u64,
    /// Those steps × the step length, hours.
    pub hours_over_limit: f64,
}

/// Facts about the site the report is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteSummary {
    /// The time grid.
    pub time: TimeGrid,
    /// The seed of the run's random streams.
    pub seed: u64,
    /// Dispatch policy name.
    pub policy: String,
    /// Grid import limit, MW.
    pub import_limit_mw: f64,
    /// Battery units.
    pub battery_units: u32,
    /// Battery nameplate energy, MWh.
    pub battery_capacity_mwh: f64,
    /// Battery discharge power limit, MW.
    pub battery_power_mw: f64,
    /// Energy between the SoC window's floor and ceiling, MWh: all of it serves an outage; the
    /// part below the backup reserve ([`SocStats::reserve`]) serves nothing else.
    pub battery_usable_mwh: f64,
    /// Upper bound of the facility load, MW.
    pub peak_facility_mw: f64,
}

/// The result of a run (or of the part run so far).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// What was simulated.
    pub site: SiteSummary,
    /// Steps simulated so far.
    pub steps_done: u64,
    /// Energy totals.
    pub totals: Totals,
    /// Battery energy lost inside the fleet (charge + discharge + self-discharge), MWh.
    pub battery_losses_mwh: f64,
    /// Equivalent full cycles: stored energy drawn by discharging ÷ usable energy.
    pub equivalent_full_cycles: f64,
    /// SoC statistics.
    pub soc: SocStats,
    /// Grid outage and derate events, in order.
    pub grid_outages: Vec<GridOutage>,
    /// Loss-of-load events, in order.
    pub loss_of_load: Vec<LossOfLoad>,
    /// How fast the grid import changed, and how often faster than the policy's ramp limit.
    #[serde(default)]
    pub grid_ramps: GridRamps,
    /// What the backup chain did (sites with generators only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackupReport>,
    /// What ageing, temperature and the efficiency curve did (fleets with lifetime models
    /// only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<LifetimeReport>,
    /// What the run cost on the site's tariff and what it saved against the battery idle
    /// (sites with a `[tariff]` only; [`Simulation::report`](crate::engine::Simulation::report)
    /// leaves it `None`: a run billed by a [`Meter`](crate::components::tariff::Meter) adds it
    /// with [`Report::with_costs`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub costs: Option<Bill>,
    /// Loss of load per tier of the facility load (tiered loads only; see
    /// [`crate::components::load::tiers`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<TierReport>,
}

/// Loss of load per tier: how a shortfall was shed (see [`crate::components::load::tiers`]).
/// The tiers' unserved energies sum to [`Totals::unserved_mwh`] (to rounding).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierReport {
    /// Critical IT, cooling, deferrable and other, in that order.
    pub tiers: Vec<TierTotals>,
    /// Times the deferrable work was paused (its loss-of-load events, when a checkpoint
    /// interval is known; 0 otherwise).
    pub training_pauses: u64,
    /// Work lost at those pauses, hours: the time since the last checkpoint at each.
    pub lost_compute_hours: f64,
    /// That work as deferrable IT energy (the hours × the tier's IT power), MWh of compute.
    pub lost_compute_mwh: f64,
}

impl TierReport {
    /// The totals of one tier.
    pub fn tier(&self, tier: Tier) -> &TierTotals {
        &self.tiers[tier.index()]
    }
}

/// One tier's loss of load over a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TierTotals {
    /// Which tier.
    pub tier: Tier,
    /// Its unserved energy, MWh.
    pub unserved_mwh: f64,
    /// Time with its load (partly) unserved, to the millisecond, hours.
    pub loss_of_load_hours: f64,
    /// Steps with its load unserved in any part × the step length (PRAS-style), hours.
    pub loss_of_load_step_hours: f64,
    /// Its loss-of-load events.
    pub events: u64,
}

impl Report {
    /// The report with the run's [`Bill`].
    pub fn with_costs(self, bill: Bill) -> Report {
        Report {
            costs: Some(bill),
            ..self
        }
    }
}

/// The battery's life over a run: its fade, cycles, ambient and the losses they caused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifetimeReport {
    /// Fraction of nameplate capacity left at the end (1 without ageing; the rainflow residue
    /// counted as half cycles, floored at
    /// [`MIN_CAPACITY_FACTOR`](crate::components::battery::ageing::MIN_CAPACITY_FACTOR)).
    pub capacity_factor: f64,
    /// Energy between the window's floor and ceiling at the end, MWh.
    pub usable_mwh_end: f64,
    /// Calendar fade, a fraction of nameplate.
    pub calendar_fade: f64,
    /// Cycle fade, the rainflow residue counted as half cycles.
    pub cycle_fade: f64,
    /// Equivalent full cycles: half the distance the throughput SoC (stored energy plus fade
    /// loss, over nameplate) travelled
    /// (0 without ageing).
    pub equivalent_full_cycles: f64,
    /// Mean ambient temperature over the run, °C.
    pub mean_ambient_c: f64,
    /// With `[battery.thermal.enclosure]`: the enclosure's mean and highest temperature and
    /// the HVAC's energy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enclosure: Option<crate::components::battery::enclosure::EnclosureSummary>,
    /// Auxiliary energy, MWh (as `totals.aux_mwh`).
    pub aux_mwh: f64,
    /// Stored energy removed because the window's ceiling shrank below it, MWh.
    pub fade_loss_mwh: f64,
    /// The capacity factor the report's SoC figures are relative to: the fade the run applies,
    /// in whole quanta of `battery.ageing.fade_quantum` (its calendar part rounded up, its
    /// cycle part to the nearest; see
    /// [`AgeingModel::applied_factors`](crate::components::battery::ageing::AgeingModel::applied_factors)),
    /// where [`LifetimeReport::capacity_factor`] is the model's own (stored energy = SoC ×
    /// nameplate × this).
    #[serde(default = "one")]
    pub soc_capacity_factor: f64,
    /// Year by year (with ageing): one row per 8,760 h from the start, the last one partial
    /// if the horizon is not a whole number of years.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub years: Vec<YearOfLife>,
    /// With an augmentation plan: the units installed at the end, and the units and energy
    /// added and removed over the run (`usable_mwh` is `usable_mwh_end`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub augmentation: Option<AugmentationMark>,
}

/// What an augmentation plan did (see
/// [`augmentation`](crate::components::battery::augmentation)): in a [`YearMark`] the sums so
/// far, in a [`YearOfLife`] those of the year, in a [`LifetimeReport`] those of the run. The
/// storage balance with a plan is
/// `charge − discharge − losses − fade loss + installed − removed = Δstored`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AugmentationMark {
    /// Units installed at the end (of the run so far, or of the year).
    pub units: u32,
    /// Units added (new units of additions, the threshold rule and replacements).
    pub units_added: u32,
    /// Units removed by replacements.
    pub units_removed: u32,
    /// Energy the new units brought (their window floor: they arrive empty), MWh.
    pub installed_mwh: f64,
    /// Energy the removed units took away, MWh.
    pub removed_mwh: f64,
    /// Usable energy of the installed units at the end (window × each cohort's capacity
    /// factor), MWh.
    pub usable_mwh: f64,
}

impl AugmentationMark {
    /// The mark of a fleet's sums, with `usable` energy installed.
    pub fn of(
        a: &crate::components::battery::AugmentationSums,
        usable: crate::units::Energy,
    ) -> AugmentationMark {
        AugmentationMark {
            units: a.units,
            units_added: a.units_added,
            units_removed: a.units_removed,
            installed_mwh: a.installed.value(),
            removed_mwh: a.removed.value(),
            usable_mwh: usable.value(),
        }
    }

    /// The year's part: `self` (a mark at the year's end) less `from` (at its start; `None`:
    /// the run's start).
    fn since(&self, from: Option<&AugmentationMark>) -> AugmentationMark {
        let (a, r, i, o) = from.map_or((0, 0, 0.0, 0.0), |f| {
            (
                f.units_added,
                f.units_removed,
                f.installed_mwh,
                f.removed_mwh,
            )
        });
        AugmentationMark {
            units_added: self.units_added - a,
            units_removed: self.units_removed - r,
            installed_mwh: self.installed_mwh - i,
            removed_mwh: self.removed_mwh - o,
            ..*self
        }
    }
}

/// The hours of one year of life: 8,760 (365 days, as the calendar-fade law's year).
pub const HOURS_PER_LIFE_YEAR: u64 = 8760;

/// The battery's life sums at the end of a year, as the run's state keeps them (the report's
/// per-year rows are the differences of consecutive marks).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct YearMark {
    /// When, ms from the start.
    pub end_ms: u64,
    /// Capacity factor (closed cycles only).
    pub capacity_factor: f64,
    /// Calendar fade so far.
    pub calendar_fade: f64,
    /// Cycle fade so far (closed cycles).
    pub cycle_fade: f64,
    /// Equivalent full cycles so far.
    pub equivalent_full_cycles: f64,
    /// Charge, discharge and self-discharge losses so far, MWh.
    pub battery_losses_mwh: f64,
    /// Fade loss so far, MWh.
    pub fade_loss_mwh: f64,
    /// Auxiliary energy so far, MWh.
    pub aux_mwh: f64,
    /// Unserved energy so far, MWh.
    pub unserved_mwh: f64,
    /// Time with unserved load so far, hours, to the millisecond
    /// ([`Totals::loss_of_load_hours`]).
    #[serde(default)]
    pub loss_of_load_hours: f64,
    /// Steps with unserved load so far × the step length, hours: the PRAS-style count behind
    /// LOLE ([`Totals::loss_of_load_step_hours`]).
    #[serde(default)]
    pub loss_of_load_step_hours: f64,
    /// With an augmentation plan: its sums so far (the mark is taken before the plan acts
    /// for the next year).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub augmentation: Option<AugmentationMark>,
    /// With `[battery.thermal.enclosure]`: its sums so far and the year's highest temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enclosure: Option<crate::components::battery::enclosure::EnclosureMark>,
}

/// One year of a battery's life.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct YearOfLife {
    /// The year, from 1.
    pub year: u32,
    /// Its length, hours (8,760 but for a last partial year).
    pub hours: f64,
    /// Capacity factor at its end (the last year's with the rainflow residue as half cycles).
    pub capacity_factor_end: f64,
    /// Usable energy at its end, MWh.
    pub usable_mwh_end: f64,
    /// Calendar fade in the year.
    pub calendar_fade: f64,
    /// Cycle fade in the year (cycles closed in it).
    pub cycle_fade: f64,
    /// Equivalent full cycles in the year.
    pub equivalent_full_cycles: f64,
    /// Charge, discharge and self-discharge losses in the year, MWh.
    pub battery_losses_mwh: f64,
    /// Fade loss in the year, MWh.
    pub fade_loss_mwh: f64,
    /// Auxiliary energy in the year, MWh.
    pub aux_mwh: f64,
    /// Unserved energy in the year, MWh.
    pub unserved_mwh: f64,
    /// Time with unserved load in the year, hours, to the millisecond.
    #[serde(default)]
    pub loss_of_load_hours: f64,
    /// Steps with unserved load in the year × the step length, hours (the PRAS-style LOLE
    /// count).
    #[serde(default)]
    pub loss_of_load_step_hours: f64,
    /// With an augmentation plan: the units installed at the year's end and the units and
    /// energy added and removed at its start (a plan acts at the start of a year).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub augmentation: Option<AugmentationMark>,
    /// With `[battery.thermal.enclosure]`: the enclosure's mean and highest temperature in
    /// the year and the HVAC's and the standby's energy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enclosure: Option<crate::components::battery::enclosure::EnclosureYear>,
}

impl YearOfLife {
    /// The row for the year `year` between the marks `from` (the start: all zero, capacity
    /// factor 1) and `to`, with `usable_mwh` of usable energy when new.
    pub fn between(year: u32, from: &YearMark, to: &YearMark, usable_mwh: f64) -> YearOfLife {
        YearOfLife {
            year,
            hours: (to.end_ms - from.end_ms) as f64 / crate::units::MS_PER_HOUR as f64,
            capacity_factor_end: to.capacity_factor,
            usable_mwh_end: to
                .augmentation
                .map_or(usable_mwh * to.capacity_factor, |a| a.usable_mwh),
            augmentation: to.augmentation.map(|a| a.since(from.augmentation.as_ref())),
            enclosure: to.enclosure.map(|e| e.year_since(from.enclosure.as_ref())),
            calendar_fade: to.calendar_fade - from.calendar_fade,
            cycle_fade: to.cycle_fade - from.cycle_fade,
            equivalent_full_cycles: to.equivalent_full_cycles - from.equivalent_full_cycles,
            battery_losses_mwh: to.battery_losses_mwh - from.battery_losses_mwh,
            fade_loss_mwh: to.fade_loss_mwh - from.fade_loss_mwh,
            aux_mwh: to.aux_mwh - from.aux_mwh,
            unserved_mwh: to.unserved_mwh - from.unserved_mwh,
            loss_of_load_hours: to.loss_of_load_hours - from.loss_of_load_hours,
            loss_of_load_step_hours: to.loss_of_load_step_hours - from.loss_of_load_step_hours,
        }
    }
}

impl YearMark {
    /// The mark at the start of a run: nothing yet, capacity factor 1.
    pub fn start() -> YearMark {
        YearMark {
            end_ms: 0,
            capacity_factor: 1.0,
            calendar_fade: 0.0,
            cycle_fade: 0.0,
            equivalent_full_cycles: 0.0,
            battery_losses_mwh: 0.0,
            fade_loss_mwh: 0.0,
            aux_mwh: 0.0,
            unserved_mwh: 0.0,
            loss_of_load_hours: 0.0,
            loss_of_load_step_hours: 0.0,
            augmentation: None,
            enclosure: None,
        }
    }
}

/// What the generators, their fuel and the transfer switch did in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupReport {
    /// Generator sets.
    pub sets: u32,
    /// One set's rating, MW.
    pub set_rating_mw: f64,
    /// Generator outages (the transfer switch demanded the sets).
    pub transfers: u64,
    /// Generator outages that dropped load in transfer.
    pub transfers_with_drop: u64,
    /// Load dropped in transfer, MWh.
    pub transfer_unserved_mwh: f64,
    /// Time with load dropped in transfer, hours (to the millisecond).
    pub transfer_drop_hours: f64,
    /// Start demands on sets, failed start attempts, sets that failed to start (every attempt),
    /// failures while running, repairs.
    pub generators: GeneratorTally,
    /// Hours run by all sets together.
    pub run_hours: f64,
    /// Energy generated (curtailed part included), MWh.
    pub generation_mwh: f64,
    /// Generated energy curtailed, MWh.
    pub curtailed_mwh: f64,
    /// Fuel burnt, litres.
    pub fuel_burnt_l: f64,
    /// Orders, deliveries, failed deliveries, fuel-outs and the lowest tank level (with a fuel
    /// model).
    pub fuel: Option<FuelTally>,
    /// The transfer drops, in order.
    pub transfer_drops: Vec<TransferDrop>,
    /// The generator outages with their generation, fuel and autonomy.
    #[serde(default)]
    pub outages: Vec<GeneratorOutage>,
}

impl Report {
    /// The storage energy balance over the run, MWh, kept from zero by rounding alone: the
    /// change of stored energy (the SoC figures × the capacity they are relative to: nameplate
    /// × [`LifetimeReport::soc_capacity_factor`]) minus what came in and went out, that is
    /// `charge − discharge − losses − fade loss + installed − removed`: the fade loss is the
    /// stored energy cut by the shrinking window, `installed` and `removed` the energy new
    /// units came with and removed units took (an augmentation plan's, [`AugmentationMark`]).
    ///
    /// ```
    /// use ridethrough::prelude::*;
    /// let study = Scenario::default_scenario()?.validate()?;
    /// let report = study.simulate().run(&mut ()).report();
    /// let moved = report.totals.charge_mwh + report.totals.discharge_mwh + 1.0;
    /// assert!(report.storage_balance_residual_mwh().abs() < 1e-9 * moved);
    /// # Ok::<(), ridethrough::error::ConfigError>(())
    /// ```
    pub fn storage_balance_residual_mwh(&self) -> f64 {
        let cap = self.site.battery_capacity_mwh;
        let (factor_end, fade_loss, installed, removed) =
            self.lifetime.as_ref().map_or((1.0, 0.0, 0.0, 0.0), |l| {
                let (i, r) = l
                    .augmentation
                    .map_or((0.0, 0.0), |a| (a.installed_mwh, a.removed_mwh));
                (l.soc_capacity_factor, l.fade_loss_mwh, i, r)
            });
        let stored_change = self.soc.last * cap * factor_end - self.soc.initial * cap;
        let t = &self.totals;
        let flows = t.charge_mwh - t.discharge_mwh - self.battery_losses_mwh - fade_loss
            + installed
            - removed;
        stored_change - flows
    }

    /// Number of grid outage events the site rode through without losing load.
    pub fn outages_carried(&self) -> usize {
        self.grid_outages
            .iter()
            .filter(|o| o.carried_through)
            .count()
    }
}

fn one() -> f64 {
    1.0
}
