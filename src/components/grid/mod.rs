//! The grid feed: an import limit, an optional export limit, and the fraction of the import limit
//! that is available in each step.
//!
//! Three kinds of outage source can be combined:
//!
//! 1. **Scheduled windows** ([`ScheduledOutage`]): a start offset from the beginning of the grid,
//!    a duration and the fraction of the import limit still available during the window (0 = full
//!    outage, 0.5 = derate to half). A window that covers part of a step reduces that step's
//!    availability pro rata: `a_sched = 1 − Σ overlap·(1 − available_fraction) / step`.
//! 2. **An availability trace** ([`AvailabilityTrace`]): one value in `[0, 1]` per step, from CSV.
//! 3. **Random outages** ([`RandomOutages`]): alternating renewal availability processes
//!    ([`RenewalProcess`], the same type as a unit's `model = "renewal"` process) on the feed, in
//!    exact, integer-millisecond time. Each process starts *up*; an up-time is drawn from an
//!    exponential law with rate `failures_per_year` (per 8760 h); then an outage whose length is
//!    drawn from its [`DurationLaw`] (rounded to whole milliseconds, at least 1 ms); the next
//!    up-time is drawn from the end of that outage, and so on. Because the clock of failures
//!    stops while the process is down, the long-run event rate is `λ / (1 + λ·E[D])` outages per
//!    year and the long-run down-time is `E[D]` times that
//!    ([`RenewalProcess::mean_events_per_year`], [`RenewalProcess::mean_down_per_year`]); for
//!    realistic numbers (`λ·E[D]` ≪ 1 yr) this is indistinguishable from `λ` and `λ·E[D]`.
//!
//!    The feed is a [`UnitSet`] of one unit whose processes are these (at most 16): it is down
//!    whenever any process is down, and `a_rand` is the fraction of the step it is up, measured
//!    exactly (the union of the processes' outages, however short or long, and however many fall
//!    in the step). Process `j` draws from `rng::stream(seed, rng::streams::GRID + j)`.
//!
//! 4. **Supply units** ([`SupplyUnit`]): generators or lines behind the feed, each entry a
//!    [`UnitSet`] of `count` units with their own [`AvailabilityProcess`]es. Their capacity
//!    available on average over the step, `C = Σ capacity·(time-average units up)`, caps the
//!    import: `a_units = min(import_limit, C) / import_limit` (1 when the limit is 0). Sampling is
//!    event-driven: the state keeps the earliest next transition over all sets and the capacity
//!    that is up, so a step without a transition costs one comparison. Process `p` of expanded
//!    unit `j` (after `count`) draws from `rng::stream(seed, rng::streams::SUPPLY_UNITS + 16·j + p)`.
//!
//! The availability of step `k` is `min(a_sched, a_trace, a_rand) × a_units`. Over a whole step
//! with changes inside it ([`GridModel::availability`]) the minimum of the averages is an
//! optimistic approximation of the average of the instantaneous minimum (two half-step outages
//! at different times in the same step give 0.5, not 0). The engine never asks for that: it
//! splits a step at [`GridModel::next_change_ms`] and asks [`GridModel::availability_over`] for
//! each part, over which every source is constant and the formula is exact.
//!
//! Parameters ([`GridParams`]), the validated model ([`GridModel`]) and the evolving state
//! ([`GridState`]) are separate types: the state is small and serialisable, so a run can be
//! snapshotted and resumed bit-identically.
//!
//! ```
//! use ridethrough::components::grid::{GridModel, GridParams, ScheduledOutage};
//! use ridethrough::time::TimeGrid;
//! use ridethrough::units::{Duration, Fraction, Power};
//!
//! let grid = TimeGrid::new(Duration::from_hours(1), Duration::from_days(1))?;
//! let mut params = GridParams::new(Power::mw(20.0));
//! params.scheduled_outages.push(ScheduledOutage {
//!     start: "2h30m".parse().unwrap(),
//!     duration: Duration::from_hours(2),
//!     available_fraction: Fraction::ZERO,
//! });
//! let model = GridModel::new(&params, &grid)?;
//! let mut state = model.initial_state(42);
//! let a: Vec<f64> = (0..grid.steps()).map(|k| model.availability(&mut state, k).value()).collect();
//! assert_eq!(&a[..6], &[1.0, 1.0, 0.5, 0.0, 0.5, 1.0]);
//! # Ok::<(), ridethrough::ConfigError>(())
//! ```

use crate::components::limits::{check_limit, check_power, MAX_POWER_MW, MAX_SUPPLY_UNITS};
use crate::error::{check_fraction, check_range, out_of_range, ConfigError};
use crate::reliability::availability::MAX_EVENTS_PER_YEAR;
use crate::reliability::availability::{AvailabilityProcess, Clock, ProcessModel};
pub use crate::reliability::availability::{DurationLaw, RenewalProcess, HOURS_PER_YEAR};
use crate::reliability::duration::check_duration;
use crate::reliability::unit_set::{UnitSet, UnitSetState};
use crate::rng;
use crate::time::TimeGrid;
use crate::units::{Duration, Fraction, Power};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The config field under which the grid lives, used in error messages.
const FIELD: &str = "grid";

// ---- parameters ------------------------------------------------------------------------------

/// The grid feed's parameters, as loaded from a scenario file (the `[grid]` table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridParams {
    /// The most the site can draw from the grid when it is fully available (MW,
    /// 0 ≤ x ≤ [`MAX_POWER_MW`]).
    pub import_limit_mw: Power,
    /// The most the site can feed back into the grid (MW, 0 ≤ x ≤ [`MAX_POWER_MW`]; default 0:
    /// no export).
    #[serde(default)]
    pub export_limit_mw: Power,
    /// Planned outage or derate windows; they may not overlap one another.
    #[serde(default)]
    pub scheduled_outages: Vec<ScheduledOutage>,
    /// A per-step availability series read from CSV.
    #[serde(default)]
    pub availability_trace: Option<AvailabilityTrace>,
    /// Random outage processes.
    #[serde(default)]
    pub random_outages: Option<RandomOutages>,
    /// Supply units (generators, transformers, lines) behind the feed; none by default.
    #[serde(default)]
    pub supply_units: Vec<SupplyUnit>,
}

/// A supply unit behind the grid feed (or `count` identical ones), with its own availability
/// processes: the unit is down whenever any of them is down.
///
/// ```toml
/// [[grid.supply_units]]
/// name = "G1"
/// capacity_mw = 100.0
/// count = 2
/// processes = [{ model = "markov", mttf = "1100h", mttr = "50h" }]
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplyUnit {
    /// An optional label.
    #[serde(default)]
    pub name: Option<String>,
    /// The unit's capacity when up (MW, 0 ≤ x ≤ [`MAX_POWER_MW`]; all entries' `capacity_mw ×
    /// count` together at most [`MAX_POWER_MW`]).
    pub capacity_mw: Power,
    /// This many identical, independent units (default 1; at least 1; at most
    /// [`MAX_SUPPLY_UNITS`] over all entries).
    #[serde(default)]
    pub count: Option<u32>,
    /// The unit's availability processes (at most 16; none: always up).
    pub processes: Vec<AvailabilityProcess>,
}

/// A planned outage or derate window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledOutage {
    /// When the window starts, measured from the start of the time grid; before the horizon (a
    /// window that could never happen is an error). It may end after the horizon.
    pub start: Duration,
    /// How long it lasts (> 0).
    pub duration: Duration,
    /// The fraction of the import limit still available during the window, in `[0, 1]`
    /// (default 0: a full outage).
    #[serde(default)]
    pub available_fraction: Fraction,
}

/// A per-step availability series (fraction of the import limit), one value per step of the time
/// grid, read from a CSV file by [`GridParams::load_files`] (see [`crate::io::trace`] for the format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityTrace {
    /// The CSV file; a relative path is resolved against the scenario's directory.
    pub path: PathBuf,
    /// The value column (default: the first non-time column).
    #[serde(default)]
    pub column: Option<String>,
    /// The loaded values (one per step, each in `[0, 1]`); `None` until loaded.
    #[serde(skip)]
    pub values: Option<Vec<f64>>,
    /// The sample spacing found in the file's time column, if it has one; checked against the
    /// time grid's step.
    #[serde(skip)]
    pub step: Option<Duration>,
}

impl AvailabilityTrace {
    /// An in-memory trace (no file), e.g. built in Rust code.
    pub fn from_values(values: Vec<f64>) -> AvailabilityTrace {
        AvailabilityTrace {
            path: PathBuf::new(),
            column: None,
            values: Some(values),
            step: None,
        }
    }
}

/// Random outages: the processes of an optional preset plus any listed explicitly, with every
/// rate multiplied by `scale`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomOutages {
    /// A built-in set of processes (see [`OutagePreset`]).
    #[serde(default)]
    pub preset: Option<OutagePreset>,
    /// Multiplies every `failures_per_year` (the preset's and the listed ones); 0 ≤ x ≤ 10⁴, and
    /// every scaled rate (times its largest monthly multiplier) at most
    /// [`MAX_EVENTS_PER_YEAR`].
    #[serde(default = "one")]
    pub scale: f64,
    /// Processes used in addition to the preset's (`failures_per_year`, `duration`, optional
    /// `monthly_multipliers`).
    #[serde(default)]
    pub processes: Vec<RenewalProcess>,
}

fn one() -> f64 {
    1.0
}

impl Default for RandomOutages {
    fn default() -> RandomOutages {
        RandomOutages {
            preset: None,
            scale: 1.0,
            processes: Vec::new(),
        }
    }
}

impl RandomOutages {
    /// All processes: the preset's first, then the listed ones, each with its rate multiplied by
    /// `scale`. Process `j` of this list draws its random numbers from stream
    /// [`rng::streams::GRID`]` + j`.
    pub fn processes(&self) -> Vec<RenewalProcess> {
        self.preset
            .map(|p| p.processes())
            .unwrap_or_default()
            .into_iter()
            .chain(self.processes.iter().cloned())
            .map(|p| RenewalProcess {
                events_per_year: p.events_per_year * self.scale,
                ..p
            })
            .collect()
    }
}

/// Built-in outage processes (see `DOMAIN.md`, "Grid outages").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutagePreset {
    /// ERCOT-like distribution-level exposure: routine outages 1.0/yr with log-normal durations
    /// (median 1.2 h, σ_ln 1.0) plus major events 0.3/yr (median 8 h, σ_ln 1.0). Expected outage
    /// time ≈ 357 min/yr, against EIA's 2023 U.S. SAIDI of 366.6 min/yr with major events.
    Distribution,
    /// A transmission-connected site: the same processes with rates × 0.3 (an assumption).
    Transmission,
}

impl OutagePreset {
    /// Rate multiplier of [`OutagePreset::Transmission`] relative to
    /// [`OutagePreset::Distribution`].
    pub const TRANSMISSION_SCALE: f64 = 0.3;

    /// The preset's processes.
    pub fn processes(self) -> Vec<RenewalProcess> {
        let k = match self {
            OutagePreset::Distribution => 1.0,
            OutagePreset::Transmission => Self::TRANSMISSION_SCALE,
        };
        vec![
            RenewalProcess::new(
                1.0 * k,
                DurationLaw::LogNormal {
                    median: Duration::from_minutes(72),
                    sigma_ln: 1.0,
                },
            ),
            RenewalProcess::new(
                0.3 * k,
                DurationLaw::LogNormal {
                    median: Duration::from_hours(8),
                    sigma_ln: 1.0,
                },
            ),
        ]
    }
}

impl GridParams {
    /// A feed with import limit `import_limit`, no export and no outages.
    pub fn new(import_limit: Power) -> GridParams {
        GridParams {
            import_limit_mw: import_limit,
            export_limit_mw: Power::ZERO,
            scheduled_outages: Vec::new(),
            availability_trace: None,
            random_outages: None,
            supply_units: Vec::new(),
        }
    }

    /// Reads the availability trace, if any and not already loaded, from its CSV file; a relative
    /// path is resolved against `base_dir` (the scenario file's directory).
    ///
    /// # Errors
    /// The errors of [`crate::io::trace::read_csv`] ([`ConfigError::Io`],
    /// [`ConfigError::TraceSyntax`], [`ConfigError::TraceValue`], [`ConfigError::TraceGap`]).
    pub fn load_files(&mut self, base_dir: &Path) -> Result<(), ConfigError> {
        if let Some(trace) = &mut self.availability_trace {
            if trace.values.is_none() {
                let path = if trace.path.is_absolute() {
                    trace.path.clone()
                } else {
                    base_dir.join(&trace.path)
                };
                let series = crate::io::trace::read_csv(
                    &path,
                    "grid.availability_trace",
                    trace.column.as_deref(),
                )?;
                trace.values = Some(series.values);
                trace.step = series.step;
            }
        }
        Ok(())
    }
}

// ---- model -----------------------------------------------------------------------------------

/// A scheduled window in milliseconds from the grid start, with the fraction of the import limit
/// it removes.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: u64,
    end: u64,
    loss: f64,
}

/// The validated, immutable grid feed model. Build it once with [`GridModel::new`]; evaluate it
/// per step with [`GridModel::availability`] on a [`GridState`].
#[derive(Debug, Clone)]
pub struct GridModel {
    import_limit: Power,
    /// `1 / import_limit` (0 when the limit is 0), so the hot path multiplies.
    inv_import_limit: f64,
    export_limit: Power,
    step_ms: u64,
    /// Whether any source can ever reduce availability (false → availability is always 1).
    active: bool,
    windows: Arc<[Window]>,
    trace: Option<Arc<[f64]>>,
    /// The feed as one unit whose processes are the random outages (`None` without any).
    feed: Option<UnitSet>,
    /// One set per supply unit entry.
    supply: Arc<[SupplySet]>,
    clock: Clock,
}

/// One supply unit entry: `count` units of `capacity` MW.
#[derive(Debug, Clone)]
struct SupplySet {
    capacity: f64,
    set: UnitSet,
}

/// The supply units' state: one state per set, plus over all sets the earliest next transition
/// and the capacity up, so a step with no transition costs one comparison.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct SupplyState {
    sets: Vec<UnitSetState>,
    next_event: u64,
    up_capacity: f64,
}

/// The grid feed's evolving state: the next step expected, a cursor into the scheduled windows,
/// the feed's random outage processes, the supply units, and the availability now with the
/// time it may next change (so a segment that ends by then costs one comparison).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridState {
    next_step: u64,
    window: usize,
    feed: UnitSetState,
    units: SupplyState,
    now: Level,
}

/// The availability from now until `next_change` (ms): `min(a_sched, a_rand)` and the supply
/// units' factor `a_units` (the trace, per step, is applied on top).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Level {
    level: f64,
    units: f64,
    next_change: u64,
}

impl GridState {
    /// The step the next call of [`GridModel::availability`] must evaluate.
    pub fn next_step(&self) -> u64 {
        self.next_step
    }

    /// The earliest time (ms from the grid start) at which a supply unit may change state
    /// (`u64::MAX` without supply units): steps that end before it take the O(1) path.
    pub fn next_unit_event_ms(&self) -> u64 {
        if self.units.sets.is_empty() {
            u64::MAX
        } else {
            self.units.next_event
        }
    }

    /// The capacity of the supply units that are up at the start of the next step (MW).
    pub fn up_capacity(&self) -> Power {
        Power::mw(self.units.up_capacity)
    }

    /// Whether expanded supply unit `j` is down at the start of the next step.
    pub fn unit_down(&self, j: usize) -> Option<bool> {
        let mut j = j;
        for s in &self.units.sets {
            match s.is_down(j) {
                Some(down) => return Some(down),
                None => j -= s.units(),
            }
        }
        None
    }
}

impl GridModel {
    /// Validates `params` for the time grid `grid` and builds the model.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] for a negative or non-finite limit, a zero duration, an
    /// `available_fraction` or trace value outside `[0, 1]`, a negative or non-finite rate or
    /// scale, or a non-positive `sigma_ln`; [`ConfigError::Inconsistent`] for overlapping
    /// scheduled windows or a trace whose time step differs from the grid's;
    /// [`ConfigError::TraceLength`] for a trace that does not have one value per step;
    /// [`ConfigError::Missing`] for a trace that has not been loaded. Every error names its field,
    /// e.g. `grid.scheduled_outages[1].available_fraction`.
    pub fn new(params: &GridParams, grid: &TimeGrid) -> Result<GridModel, ConfigError> {
        grid.check_calendar()?;
        let import = check_limit(
            format!("{FIELD}.import_limit_mw"),
            params.import_limit_mw.value(),
        )?;
        let export = check_power(
            format!("{FIELD}.export_limit_mw"),
            params.export_limit_mw.value(),
        )?;
        let step_ms = grid.step().as_millis();
        let horizon_ms = grid.horizon().as_millis();

        // Scheduled windows, sorted by start, checked for overlaps.
        let mut windows: Vec<(usize, Window)> = Vec::with_capacity(params.scheduled_outages.len());
        for (i, w) in params.scheduled_outages.iter().enumerate() {
            let field = format!("{FIELD}.scheduled_outages[{i}]");
            let dur = check_duration(format!("{field}.duration"), w.duration)?;
            let af = check_fraction(
                format!("{field}.available_fraction"),
                w.available_fraction.value(),
            )?;
            let start = w.start.as_millis();
            if start >= horizon_ms {
                return Err(out_of_range(
                    format!("{field}.start"),
                    w.start.hours().value(),
                    "a start before the horizon (value in hours)",
                ));
            }
            // start < horizon ≤ MAX_DURATION and dur ≤ MAX_DURATION: no overflow.
            let end = start + dur;
            windows.push((
                i,
                Window {
                    start,
                    end,
                    loss: 1.0 - af,
                },
            ));
        }
        windows.sort_by_key(|(i, w)| (w.start, *i));
        for pair in windows.windows(2) {
            let ((i, a), (j, b)) = (pair[0], pair[1]);
            if b.start < a.end {
                return Err(ConfigError::Inconsistent {
                    field: format!("{FIELD}.scheduled_outages[{}]", i.max(j)),
                    why: "scheduled outage windows may not overlap",
                });
            }
        }
        let windows: Arc<[Window]> = windows.into_iter().map(|(_, w)| w).collect();

        // Availability trace.
        let trace = match &params.availability_trace {
            None => None,
            Some(t) => {
                let field = format!("{FIELD}.availability_trace");
                let values = t.values.as_ref().ok_or_else(|| ConfigError::Missing {
                    field: field.clone(),
                    why: "the trace file has not been loaded (call GridParams::load_files)",
                })?;
                if let Some(s) = t.step {
                    if s != grid.step() {
                        return Err(ConfigError::Inconsistent {
                            field,
                            why: "the trace's time step differs from time.step",
                        });
                    }
                }
                if values.len() as u64 != grid.steps() {
                    return Err(ConfigError::TraceLength {
                        field,
                        path: t.path.clone(),
                        expected: grid.steps(),
                        found: values.len() as u64,
                    });
                }
                for (i, &v) in values.iter().enumerate() {
                    check_fraction(format!("{field}.values[{i}]"), v)?;
                }
                Some(Arc::from(values.as_slice()))
            }
        };

        // Random processes: validate the listed ones under their own names, then build the feed
        // as one unit with the expanded, scaled list.
        let mut feed = None;
        if let Some(r) = &params.random_outages {
            let field = format!("{FIELD}.random_outages");
            let scale = check_range(
                format!("{field}.scale"),
                r.scale,
                0.0,
                MAX_EVENTS_PER_YEAR,
                "0 ≤ x ≤ 1e4",
            )?;
            for (i, p) in r.processes.iter().enumerate() {
                ProcessModel::new(
                    &format!("{field}.processes[{i}]"),
                    &AvailabilityProcess::Renewal(p.clone()),
                )?;
            }
            let all = r.processes();
            // Each listed process is in range; only `scale` can push a rate past the bound.
            if all
                .iter()
                .any(|p| p.peak_events_per_year() > MAX_EVENTS_PER_YEAR)
            {
                return Err(out_of_range(
                    format!("{field}.scale"),
                    scale,
                    "a scale that keeps every scaled failures_per_year (times its largest \
                     monthly multiplier) ≤ 1e4 per 8760 h",
                ));
            }
            let all: Vec<_> = all.into_iter().map(AvailabilityProcess::Renewal).collect();
            feed = Some(UnitSet::new(
                &format!("{field}.processes"),
                1,
                &all,
                rng::streams::GRID,
            )?);
        }

        // Supply units: one set per entry, `count` units each.
        // Counts are checked before anything per unit is allocated (states are built later).
        let mut supply = Vec::new();
        let mut expanded = 0usize;
        let mut total_capacity = 0.0;
        for (i, u) in params.supply_units.iter().enumerate() {
            let field = format!("{FIELD}.supply_units[{i}]");
            let capacity = check_power(format!("{field}.capacity_mw"), u.capacity_mw.value())?;
            let count = u.count.unwrap_or(1);
            if count == 0 || expanded + count as usize > MAX_SUPPLY_UNITS as usize {
                return Err(out_of_range(
                    format!("{field}.count"),
                    f64::from(count),
                    "an integer ≥ 1, with at most 10,000 supply units in all entries together",
                ));
            }
            total_capacity += capacity * f64::from(count);
            if total_capacity > MAX_POWER_MW {
                return Err(out_of_range(
                    format!("{field}.count"),
                    f64::from(count),
                    "a count whose capacity, with the entries before it, is ≤ 1e5 MW \
                     (Σ capacity_mw × count)",
                ));
            }
            let base = rng::streams::SUPPLY_UNITS + 16 * expanded as u64;
            let set = UnitSet::new(&format!("{field}.processes"), count, &u.processes, base)?;
            supply.push(SupplySet { capacity, set });
            expanded += count as usize;
        }

        let active = windows.iter().any(|w| w.start < horizon_ms && w.loss > 0.0)
            || trace.is_some()
            || feed.as_ref().is_some_and(UnitSet::can_fail)
            || !supply.is_empty();
        Ok(GridModel {
            import_limit: Power::mw(import),
            inv_import_limit: if import > 0.0 { 1.0 / import } else { 0.0 },
            export_limit: Power::mw(export),
            step_ms,
            active,
            windows,
            trace,
            feed,
            supply: supply.into(),
            clock: Clock::of(grid),
        })
    }

    /// The import limit when the feed is fully available.
    #[inline]
    pub fn import_limit(&self) -> Power {
        self.import_limit
    }

    /// The export limit.
    #[inline]
    pub fn export_limit(&self) -> Power {
        self.export_limit
    }

    /// Whether any source can reduce availability within the horizon (if not,
    /// [`GridModel::availability`] always returns 1).
    pub fn has_outages(&self) -> bool {
        self.active
    }

    /// The number of supply units after expanding `count`.
    pub fn supply_units(&self) -> usize {
        self.supply.iter().map(|s| s.set.count() as usize).sum()
    }

    /// Whether `s` has this model's shape: a feed state exactly when the feed has random
    /// outages, one state per supply unit entry, each with that entry's units and processes, and
    /// the capacity up those imply. `Err` names the field and what does not match (used to check
    /// a snapshot before anything indexes into it).
    pub fn check_state_shape(&self, s: &GridState) -> Result<(), (&'static str, &'static str)> {
        const FEED: &str = "snapshot.grid.random_outages";
        const UNITS: &str = "snapshot.grid.supply_units";
        match &self.feed {
            Some(f) => f.check_state(&s.feed).map_err(|why| (FEED, why))?,
            None if s.feed != UnitSetState::default() => {
                return Err((FEED, "the snapshot has random outages, this grid has none"))
            }
            None => {}
        }
        if s.units.sets.len() != self.supply.len() {
            return Err((
                UNITS,
                "the snapshot has another number of supply unit entries",
            ));
        }
        for (set, st) in self.supply.iter().zip(&s.units.sets) {
            set.set.check_state(st).map_err(|why| (UNITS, why))?;
        }
        let next = s
            .units
            .sets
            .iter()
            .map(UnitSetState::next_transition_ms)
            .min()
            .unwrap_or(u64::MAX);
        let capacity: f64 = self
            .supply
            .iter()
            .zip(&s.units.sets)
            .map(|(set, st)| set.capacity * f64::from(st.up()))
            .sum();
        let tolerance = 1e-9 * capacity.abs().max(1.0);
        if s.units.next_event != next || (s.units.up_capacity - capacity).abs() > tolerance {
            return Err((
                UNITS,
                "the capacity up or next event does not match the units",
            ));
        }
        // An inactive feed never evaluates its sources: nothing to check.
        if !self.active {
            return Ok(());
        }
        let window_ok = match self.windows.get(s.window) {
            Some(w) => w.end > s.next_step.saturating_mul(self.step_ms),
            None => s.window == self.windows.len(),
        };
        if !window_ok || s.now != self.level_at(s, s.next_step.saturating_mul(self.step_ms)) {
            return Err((
                "snapshot.grid",
                "the availability now does not match the grid's sources",
            ));
        }
        Ok(())
    }

    /// The state at the start of a run seeded with `seed`: random process `j` (in the order of
    /// [`RandomOutages::processes`]) draws from `rng::stream(seed, rng::streams::GRID + j)`;
    /// process `p` of expanded supply unit `j` from
    /// `rng::stream(seed, rng::streams::SUPPLY_UNITS + 16·j + p)`, so adding a unit never changes
    /// another unit's history and two sites with the same seed see the same unit outages.
    pub fn initial_state(&self, seed: u64) -> GridState {
        let clock = &self.clock;
        let sets: Vec<UnitSetState> = self
            .supply
            .iter()
            .map(|s| s.set.initial_state(seed, clock))
            .collect();
        let units = SupplyState {
            next_event: sets
                .iter()
                .map(UnitSetState::next_transition_ms)
                .min()
                .unwrap_or(u64::MAX),
            up_capacity: self
                .supply
                .iter()
                .zip(&sets)
                .map(|(s, st)| s.capacity * f64::from(st.up()))
                .sum(),
            sets,
        };
        let mut state = GridState {
            next_step: 0,
            window: 0,
            feed: self
                .feed
                .as_ref()
                .map(|f| f.initial_state(seed, clock))
                .unwrap_or_default(),
            units,
            now: Level {
                level: 1.0,
                units: 1.0,
                next_change: u64::MAX,
            },
        };
        // An inactive feed never changes (its windows remove nothing, nothing can fail).
        if self.active {
            state.now = self.level_at(&state, 0);
        }
        state
    }

    /// The fraction of the import limit available at the instant `state` stands at (the start
    /// of step `state.next_step()`), with that step's availability trace value, if any: what
    /// the grid offers before a run's first step. Reads the state; advances nothing.
    pub fn availability_now(&self, state: &GridState) -> Fraction {
        if !self.active {
            return Fraction::ONE;
        }
        let mut a = state.now.level;
        if let Some(&v) = self
            .trace
            .as_ref()
            .and_then(|t| t.get(state.next_step as usize))
        {
            a = a.min(v);
        }
        Fraction::ratio(a * state.now.units)
    }

    /// The fraction of the import limit available on average over step `k`, and advances `state`
    /// past it. Must be called for `k = 0, 1, 2, …` in order (checked in debug builds). Steps past
    /// the end of the trace see no trace effect.
    #[inline]
    pub fn availability(&self, state: &mut GridState, k: u64) -> Fraction {
        let t0 = k.saturating_mul(self.step_ms);
        self.availability_over(state, k, t0, t0.saturating_add(self.step_ms))
    }

    /// The fraction of the import limit available on average over `[t0, t1)` (ms from the grid
    /// start), a part of step `k`, and advances `state` to `t1`. The parts must follow one
    /// another (`t0` is the previous part's `t1`; the first is step 0's start) and a step's
    /// parts must cover it; the engine's segments do (checked in debug builds). Over a part
    /// with no change inside it (one that ends at or before [`GridModel::next_change_ms`]) the
    /// average is the instantaneous value, exactly: the step averages below are pro rata
    /// over `t1 − t0`.
    #[inline]
    pub fn availability_over(&self, state: &mut GridState, k: u64, t0: u64, t1: u64) -> Fraction {
        debug_assert!(
            k == state.next_step || (k + 1 == state.next_step && t0 > k * self.step_ms),
            "grid availability evaluated out of order"
        );
        debug_assert!(t0 < t1 && t1 <= (k + 1).saturating_mul(self.step_ms));
        state.next_step = k + 1;
        if !self.active {
            return Fraction::ONE;
        }
        self.evaluate(state, k, t0, t1)
    }

    /// The earliest time after `t` (ms from the grid start; `state` advanced to `t`) at which
    /// the available fraction may change: the next scheduled window boundary, the feed's next
    /// random transition, the supply units' next event (`u64::MAX` for never). Conservative: a
    /// time at which nothing changes in the end (a window that removes nothing, a unit that
    /// fails while another covers the limit) only splits a segment in two equal halves. The
    /// availability trace has the grid's own step and changes only at step boundaries, which
    /// end every segment anyway.
    #[inline]
    pub fn next_change_ms(&self, state: &GridState, t: u64) -> u64 {
        // u64::MAX for an inactive feed (see `initial_state`).
        debug_assert!(state.now.next_change > t, "the state is behind `t`");
        state.now.next_change
    }

    /// A quiet stretch from step `k` (the next step `state` expects): `(k_end, a)` such that
    /// every step `j` in `k..k_end` would see the available fraction `a`, exactly, and leave
    /// the state as it is apart from the step counter (no source changes before
    /// `k_end × step`; `k_end` is at most `steps`). `None` when step `k` itself is not quiet
    /// or the availability trace covers it (a trace may change every step).
    ///
    /// [`GridModel::skip_to`] then moves the state to any step of the stretch in O(1), as
    /// [`GridModel::availability`] called for each step in between would.
    #[inline]
    pub fn quiet_until(&self, state: &GridState, k: u64, steps: u64) -> Option<(u64, Fraction)> {
        if state.next_step != k || k >= steps {
            return None;
        }
        if !self.active {
            return Some((steps, Fraction::ONE));
        }
        if self.trace.as_ref().is_some_and(|t| (k as usize) < t.len()) {
            return None;
        }
        // Step j is quiet when its end lies strictly before the next change:
        // (j + 1)·step < next_change for every j < k_end.
        let k_end = ((state.now.next_change - 1) / self.step_ms).min(steps);
        if k_end <= k {
            return None;
        }
        Some((k_end, Fraction::ratio(state.now.level * state.now.units)))
    }

    /// Moves `state` to step `to` inside a quiet stretch from [`GridModel::quiet_until`], as
    /// evaluating every step in between would.
    #[inline]
    pub fn skip_to(&self, state: &mut GridState, to: u64) {
        debug_assert!(
            to >= state.next_step
                && (!self.active || to.saturating_mul(self.step_ms) < state.now.next_change),
            "a skip past a change of the grid"
        );
        state.next_step = to;
    }

    /// The stages of [`GridModel::availability_over`] for an active feed: scheduled windows,
    /// trace, random processes, then the minimum. A part that ends before the next change reads
    /// the level the state keeps; one with changes inside it or at its end steps every source
    /// and measures each exactly.
    #[inline]
    fn evaluate(&self, state: &mut GridState, k: u64, t0: u64, t1: u64) -> Fraction {
        // Strictly before: a part that ends at a change steps the sources to it, so the
        // state (units up, the feed) is always the state at the part's end.
        let (mut a, units) = if t1 < state.now.next_change {
            (state.now.level, state.now.units)
        } else {
            self.changes(state, t0, t1)
        };
        if let Some(trace) = &self.trace {
            if let Some(&v) = trace.get(k as usize) {
                a = a.min(v);
            }
        }
        Fraction::ratio(a * units)
    }

    /// The slow path of [`GridModel::evaluate`]: every source stepped over `[t0, t1)` (the
    /// average of the windows and the random processes, and the units' factor), then the level
    /// from `t1` on.
    #[inline(never)]
    fn changes(&self, state: &mut GridState, t0: u64, t1: u64) -> (f64, f64) {
        let mut a = self.scheduled(&mut state.window, t0, t1);
        if let Some(feed) = &self.feed {
            a = a.min(feed.step(&mut state.feed, &self.clock, t0, t1).up_mean);
        }
        let mut units = 1.0;
        if !self.supply.is_empty() && self.import_limit.value() > 0.0 {
            let capacity = self.unit_capacity(&mut state.units, t0, t1);
            units = capacity.min(self.import_limit.value()) * self.inv_import_limit;
        }
        state.now = self.level_at(state, t1);
        (a, units)
    }

    /// The availability at `t` (every source stepped to `t`) and until when it holds: the
    /// window that covers `t` (if any), the feed up or down, the supply units' capacity up.
    fn level_at(&self, state: &GridState, t: u64) -> Level {
        let (mut level, mut next_change) = match self.windows.get(state.window) {
            Some(w) if w.start <= t => ((1.0 - w.loss).max(0.0), w.end),
            Some(w) => (1.0, w.start),
            None => (1.0, u64::MAX),
        };
        if self.feed.is_some() {
            level = level.min(f64::from(state.feed.up()));
            next_change = next_change.min(state.feed.next_transition_ms());
        }
        // Without an import limit the units cap nothing and are never stepped: their
        // transitions change nothing.
        let mut units = 1.0;
        if !self.supply.is_empty() && self.import_limit.value() > 0.0 {
            next_change = next_change.min(state.units.next_event);
            units = state.units.up_capacity.min(self.import_limit.value()) * self.inv_import_limit;
        }
        Level {
            level,
            units,
            next_change,
        }
    }

    /// The supply units' capacity (MW) averaged over `[t0, t1)`: O(1) unless a unit changes state
    /// in the step, in which case each changing unit's up-time in the step is measured exactly.
    #[inline]
    fn unit_capacity(&self, u: &mut SupplyState, t0: u64, t1: u64) -> f64 {
        if u.next_event > t1 {
            return u.up_capacity;
        }
        self.unit_events(u, t0, t1)
    }

    /// The slow path of [`GridModel::unit_capacity`]: every set steps (each in O(1) unless one
    /// of its own units changes state).
    #[cold]
    fn unit_events(&self, u: &mut SupplyState, t0: u64, t1: u64) -> f64 {
        let (mut avail, mut up_capacity, mut next_event) = (0.0, 0.0, u64::MAX);
        for (s, st) in self.supply.iter().zip(u.sets.iter_mut()) {
            let step = s.set.step(st, &self.clock, t0, t1);
            avail += s.capacity * step.up_mean;
            up_capacity += s.capacity * f64::from(step.up_end);
            next_event = next_event.min(st.next_transition_ms());
        }
        u.up_capacity = up_capacity;
        u.next_event = next_event;
        avail
    }

    /// Availability over `[t0, t1)` from the scheduled windows; `cursor` is the first window that
    /// ends after `t0`.
    #[inline]
    fn scheduled(&self, cursor: &mut usize, t0: u64, t1: u64) -> f64 {
        match self.windows.get(*cursor) {
            Some(w) if w.start < t1 => {}
            _ => return 1.0,
        }
        let mut lost = 0.0;
        let mut i = *cursor;
        while let Some(w) = self.windows.get(i) {
            if w.start >= t1 {
                break;
            }
            let overlap = w.end.min(t1).saturating_sub(w.start.max(t0));
            lost += overlap as f64 * w.loss;
            if w.end > t1 {
                break;
            }
            i += 1;
        }
        *cursor = i;
        (1.0 - lost / (t1 - t0) as f64).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::MS_PER_HOUR;

    /// Tolerance for availabilities computed from a few exact operations.
    const AVAIL_TOL: f64 = 1e-12;
    /// Relative tolerance when comparing summed down-times (f64 accumulation over many steps).
    const DOWN_SUM_REL_TOL: f64 = 1e-9;
    /// Statistical checks pass within this many standard errors.
    const N_SE: f64 = 4.0;
    /// Relative tolerance of the preset's expected minutes/yr against DOMAIN.md's 357.
    const PRESET_REL_TOL: f64 = 0.05;

    fn hourly(days: u64) -> TimeGrid {
        TimeGrid::new(Duration::from_hours(1), Duration::from_days(days)).unwrap()
    }

    fn series(model: &GridModel, state: &mut GridState, from: u64, to: u64) -> Vec<f64> {
        (from..to)
            .map(|k| model.availability(state, k).value())
            .collect()
    }

    fn all(model: &GridModel, grid: &TimeGrid, seed: u64) -> Vec<f64> {
        let mut s = model.initial_state(seed);
        series(model, &mut s, 0, grid.steps())
    }

    fn window(start: &str, duration: &str, af: f64) -> ScheduledOutage {
        ScheduledOutage {
            start: start.parse().unwrap(),
            duration: duration.parse().unwrap(),
            available_fraction: Fraction::ratio(af),
        }
    }

    fn with_process(law: DurationLaw, rate: f64) -> GridParams {
        let mut p = GridParams::new(Power::mw(10.0));
        p.random_outages = Some(RandomOutages {
            processes: vec![RenewalProcess::new(rate, law)],
            ..RandomOutages::default()
        });
        p
    }

    fn assert_close(a: f64, b: f64, tol: f64, what: &str) {
        assert!((a - b).abs() <= tol, "{what}: {a} vs {b} (tol {tol})");
    }

    /// Enumerates process `j`'s outages `[start, end)` that start before `until_ms`.
    fn outages(model: &GridModel, seed: u64, j: usize, until_ms: u64) -> Vec<(u64, u64)> {
        let st = model.initial_state(seed);
        let feed = model.feed.as_ref().unwrap();
        feed.outages(&st.feed, &model.clock, 0, j, until_ms)
    }

    /// Mean and standard error of the mean.
    fn mean_se(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
        (m, (var / n).sqrt())
    }

    #[test]
    fn no_sources_is_always_available() {
        let g = hourly(30);
        let m = GridModel::new(&GridParams::new(Power::mw(5.0)), &g).unwrap();
        assert!(!m.has_outages());
        assert!(all(&m, &g, 1).iter().all(|&a| a == 1.0));
        assert_eq!(m.import_limit(), Power::mw(5.0));
        assert_eq!(m.export_limit(), Power::ZERO);
    }

    #[test]
    fn scheduled_windows_aligned_mid_step_and_derated() {
        let g = hourly(10);
        let mut p = GridParams::new(Power::mw(5.0));
        p.scheduled_outages = vec![
            window("1d", "3h", 0.0),      // steps 24..27 fully out
            window("2d30m", "1h", 0.0),   // half of 48, half of 49
            window("3d", "2h", 0.5),      // derate 50 % in 72, 73
            window("4d10m", "20m", 0.0),  // inside one step: 1/3 lost
            window("4d40m", "10m", 0.25), // same step: another 10 min × 0.75
            window("9d23h", "5d", 0.0),   // runs past the horizon: the last step only
        ];
        let m = GridModel::new(&p, &g).unwrap();
        let a = all(&m, &g, 0);
        for k in [24, 25, 26] {
            assert_eq!(a[k], 0.0, "step {k}");
        }
        assert_close(a[23], 1.0, AVAIL_TOL, "before");
        assert_close(a[27], 1.0, AVAIL_TOL, "after");
        assert_close(a[48], 0.5, AVAIL_TOL, "mid-step start");
        assert_close(a[49], 0.5, AVAIL_TOL, "mid-step end");
        assert_close(a[72], 0.5, AVAIL_TOL, "derate");
        assert_close(a[73], 0.5, AVAIL_TOL, "derate");
        assert_close(
            a[96],
            1.0 - 20.0 / 60.0 - 7.5 / 60.0,
            AVAIL_TOL,
            "two in a step",
        );
        assert_eq!(a[239], 0.0, "last step");
        let reduced = a.iter().filter(|&&x| x < 1.0).count();
        assert_eq!(reduced, 3 + 2 + 2 + 1 + 1);
    }

    #[test]
    fn segments_between_changes_see_the_instantaneous_availability() {
        // A derate to 25 % over [1 h 30 min, 2 h 15 min): hourly steps split at its edges.
        let g = hourly(1);
        let mut p = GridParams::new(Power::mw(5.0));
        p.scheduled_outages = vec![window("1h30m", "45m", 0.25)];
        let m = GridModel::new(&p, &g).unwrap();
        let mut s = m.initial_state(0);
        let (h, min) = (MS_PER_HOUR, 60_000);
        assert_eq!(m.next_change_ms(&s, 0), 90 * min);
        assert_eq!(m.availability_over(&mut s, 0, 0, h).value(), 1.0);
        assert_eq!(m.availability_over(&mut s, 1, h, 90 * min).value(), 1.0);
        assert_eq!(m.next_change_ms(&s, 90 * min), 135 * min);
        assert_eq!(
            m.availability_over(&mut s, 1, 90 * min, 2 * h).value(),
            0.25
        );
        assert_eq!(
            m.availability_over(&mut s, 2, 2 * h, 135 * min).value(),
            0.25
        );
        assert_eq!(m.next_change_ms(&s, 135 * min), u64::MAX);
        assert_eq!(
            m.availability_over(&mut s, 2, 135 * min, 3 * h).value(),
            1.0
        );
        assert_eq!(s.next_step(), 3);

        // A random process: the next change is the next outage's start, then its end.
        let p = with_process(
            DurationLaw::Exponential {
                mean: Duration::from_hours(3),
            },
            200.0,
        );
        let g = hourly(365);
        let m = GridModel::new(&p, &g).unwrap();
        let (start, end) = outages(&m, 9, 0, g.horizon().as_millis())[0];
        let mut s = m.initial_state(9);
        assert_eq!(m.next_change_ms(&s, 0), start);
        // Walk the steps up to the outage in segments that end at the changes.
        let mut t = 0;
        while t < end {
            let k = t / h;
            let t1 = ((k + 1) * h).min(m.next_change_ms(&s, t));
            let a = m.availability_over(&mut s, k, t, t1).value();
            let want = if t >= start { 0.0 } else { 1.0 };
            assert_eq!(a, want, "[{t}, {t1})");
            t = t1;
        }
        assert!(m.next_change_ms(&s, end) > end);
    }

    #[test]
    fn units_behind_a_zero_import_limit_never_split_a_segment() {
        // Found by the bad-input property test in a debug build: the units are not stepped
        // when the limit is 0, so their next event must not count as a change either (it would
        // stay behind and cut every step into 1 ms segments).
        let g = hourly(30);
        let mut p = GridParams::new(Power::ZERO);
        p.supply_units = vec![unit(5.0, Some(3), vec![markov(30, 5)])];
        let m = GridModel::new(&p, &g).unwrap();
        let mut s = m.initial_state(7);
        for k in 0..g.steps() {
            let t0 = k * MS_PER_HOUR;
            assert!(m.next_change_ms(&s, t0) > t0 + MS_PER_HOUR, "step {k}");
            assert_eq!(m.availability(&mut s, k).value(), 1.0);
        }
        // With a window, the sources are stepped at its edges: the units still cap nothing.
        p.scheduled_outages = vec![window("3d", "6h", 0.5)];
        let m = GridModel::new(&p, &g).unwrap();
        let mut s = m.initial_state(7);
        for k in 0..g.steps() {
            let want = if (72..78).contains(&k) { 0.5 } else { 1.0 };
            assert_eq!(m.availability(&mut s, k).value(), want, "step {k}");
        }
    }

    #[test]
    fn windows_starting_at_or_after_the_horizon_are_errors() {
        let g = hourly(10);
        for (i, start) in [(0, "10d"), (1, "20d")] {
            let mut p = GridParams::new(Power::mw(5.0));
            p.scheduled_outages = vec![window("1d", "1h", 0.0), window("2d", "1h", 0.0)];
            p.scheduled_outages[i] = window(start, "1h", 0.0);
            match GridModel::new(&p, &g) {
                Err(ConfigError::OutOfRange { field, value, .. }) => {
                    assert_eq!(field, format!("grid.scheduled_outages[{i}].start"));
                    assert_eq!(value, start.parse::<Duration>().unwrap().hours().value());
                }
                other => panic!("{start}: expected OutOfRange, got {other:?}"),
            }
        }
    }

    #[test]
    fn overlapping_windows_are_an_error() {
        let g = hourly(10);
        let mut p = GridParams::new(Power::mw(5.0));
        p.scheduled_outages = vec![window("2d", "1h", 0.0), window("1d", "25h", 0.0)];
        match GridModel::new(&p, &g) {
            Err(ConfigError::Inconsistent { field, .. }) => {
                assert_eq!(field, "grid.scheduled_outages[1]")
            }
            other => panic!("expected Inconsistent, got {other:?}"),
        }
        // Touching windows are fine.
        p.scheduled_outages = vec![window("2d", "1h", 0.0), window("1d", "24h", 0.0)];
        assert!(GridModel::new(&p, &g).is_ok());
    }

    #[test]
    fn trace_values_come_through_and_are_checked() {
        let g = TimeGrid::with_steps(Duration::from_minutes(15), 4).unwrap();
        let mut p = GridParams::new(Power::mw(5.0));
        p.availability_trace = Some(AvailabilityTrace::from_values(vec![1.0, 0.25, 0.0, 0.75]));
        let m = GridModel::new(&p, &g).unwrap();
        assert_eq!(all(&m, &g, 0), vec![1.0, 0.25, 0.0, 0.75]);

        p.availability_trace = Some(AvailabilityTrace::from_values(vec![1.0; 3]));
        assert!(matches!(
            GridModel::new(&p, &g),
            Err(ConfigError::TraceLength {
                expected: 4,
                found: 3,
                ..
            })
        ));
        p.availability_trace = Some(AvailabilityTrace::from_values(vec![1.0, 1.5, 1.0, 1.0]));
        match GridModel::new(&p, &g) {
            Err(ConfigError::OutOfRange { field, .. }) => {
                assert_eq!(field, "grid.availability_trace.values[1]")
            }
            other => panic!("expected OutOfRange, got {other:?}"),
        }
        let mut unloaded = AvailabilityTrace::from_values(vec![]);
        unloaded.values = None;
        p.availability_trace = Some(unloaded);
        assert!(matches!(
            GridModel::new(&p, &g),
            Err(ConfigError::Missing { .. })
        ));
    }

    #[test]
    fn trace_loads_from_a_file() {
        let dir = std::env::temp_dir();
        let name = format!(
            "ridethrough-grid-trace-{}-{:?}.csv",
            std::process::id(),
            std::thread::current().id()
        )
        .replace(['(', ')'], "");
        let path = dir.join(&name);
        std::fs::write(&path, "t_s,avail\n0,1\n3600,0.5\n7200,0\n").unwrap();
        let toml_text =
            format!("import_limit_mw = 3.0\navailability_trace = {{ path = {name:?} }}\n");
        let mut p: GridParams = toml::from_str(&toml_text).unwrap();
        p.load_files(&dir).unwrap();
        std::fs::remove_file(&path).unwrap();
        let g = TimeGrid::with_steps(Duration::from_hours(1), 3).unwrap();
        let m = GridModel::new(&p, &g).unwrap();
        assert_eq!(all(&m, &g, 0), vec![1.0, 0.5, 0.0]);
        // The same file on a 15-minute grid is inconsistent.
        let g15 = TimeGrid::with_steps(Duration::from_minutes(15), 3).unwrap();
        assert!(matches!(
            GridModel::new(&p, &g15),
            Err(ConfigError::Inconsistent { .. })
        ));
    }

    #[test]
    fn sources_combine_by_minimum() {
        let g = TimeGrid::with_steps(Duration::from_hours(1), 4).unwrap();
        let mut p = GridParams::new(Power::mw(5.0));
        p.scheduled_outages = vec![window("1h", "2h", 0.5)];
        p.availability_trace = Some(AvailabilityTrace::from_values(vec![0.8, 0.9, 0.2, 1.0]));
        let m = GridModel::new(&p, &g).unwrap();
        let a = all(&m, &g, 0);
        for (got, want) in a.iter().zip([0.8, 0.5, 0.2, 1.0]) {
            assert_close(*got, want, AVAIL_TOL, "min");
        }
    }

    #[test]
    fn random_series_is_reproducible_per_seed() {
        let g = hourly(365 * 20);
        let p = with_process(
            DurationLaw::Exponential {
                mean: Duration::from_hours(3),
            },
            5.0,
        );
        let m = GridModel::new(&p, &g).unwrap();
        let a = all(&m, &g, 7);
        assert_eq!(a, all(&m, &g, 7));
        assert_ne!(a, all(&m, &g, 8));
        assert!(a.iter().any(|&x| x < 1.0));
    }

    #[test]
    fn renewal_statistics_match_theory() {
        // 1000 years (the longest horizon) at 1 h steps; λ·E[D] is large enough to tell λ from
        // λ/(1+λE[D]).
        let years = 1000u64;
        let g = hourly(365 * years);
        let law = DurationLaw::Exponential {
            mean: Duration::from_hours(24),
        };
        let p = with_process(law.clone(), 50.0);
        let m = GridModel::new(&p, &g).unwrap();
        let proc = &p.random_outages.as_ref().unwrap().processes[0];
        let seed = 2024;

        // Down-time per year from the availability series.
        let mut s = m.initial_state(seed);
        let mut down_h = vec![0.0; years as usize];
        for k in 0..g.steps() {
            down_h[(k / 8760) as usize] += 1.0 - m.availability(&mut s, k).value();
        }
        // Outage starts per year from the process itself.
        let horizon = g.horizon().as_millis();
        let events = outages(&m, seed, 0, horizon);
        let mut counts = vec![0.0; years as usize];
        for (start, _) in &events {
            counts[(*start / (8760 * MS_PER_HOUR)) as usize] += 1.0;
        }
        // The series accounts for every outage's overlap with the horizon exactly.
        let total_from_events: f64 = events
            .iter()
            .map(|&(a, b)| (b.min(horizon) - a) as f64 / MS_PER_HOUR as f64)
            .sum();
        let total_from_series: f64 = down_h.iter().sum();
        assert_close(
            total_from_series,
            total_from_events,
            DOWN_SUM_REL_TOL * total_from_events,
            "down-time accounting",
        );

        let (n_mean, n_se) = mean_se(&counts);
        let want_n = proc.mean_events_per_year();
        assert_close(n_mean, want_n, N_SE * n_se, "events/yr");
        assert!(
            (n_mean - 50.0).abs() > N_SE * n_se,
            "renewal correction is visible"
        );
        let (d_mean, d_se) = mean_se(&down_h);
        assert_close(
            d_mean,
            proc.mean_down_per_year().value(),
            N_SE * d_se,
            "down h/yr",
        );
    }

    #[test]
    fn random_processes_combine_as_the_union_of_their_outages() {
        // Two frequent fixed-length processes that often overlap: the feed is down for the
        // union of their outages, not the sum.
        let g = hourly(365 * 20);
        let fixed = |m| DurationLaw::Fixed {
            duration: Duration::from_minutes(m),
        };
        let mut p = GridParams::new(Power::mw(10.0));
        p.random_outages = Some(RandomOutages {
            processes: vec![
                RenewalProcess::new(300.0, fixed(50)),
                RenewalProcess::new(200.0, fixed(90)),
            ],
            ..RandomOutages::default()
        });
        let m = GridModel::new(&p, &g).unwrap();
        let horizon = g.horizon().as_millis();
        let mut ev = outages(&m, 4, 0, horizon);
        ev.extend(outages(&m, 4, 1, horizon));
        ev.sort();
        let (mut covered, mut union, mut sum) = (0u64, 0u64, 0u64);
        for (s0, e0) in ev {
            let (from, to) = (s0.max(covered), e0.min(horizon));
            if to > from {
                union += to - from;
                covered = to;
            }
            sum += e0.min(horizon) - s0;
        }
        assert!(sum > union, "the processes overlap at these rates");
        let union_h = union as f64 / MS_PER_HOUR as f64;
        let series_down: f64 = all(&m, &g, 4).iter().map(|x| 1.0 - x).sum();
        assert_close(series_down, union_h, DOWN_SUM_REL_TOL * union_h, "union");
    }

    #[test]
    fn fixed_law_gives_exact_durations() {
        let g = hourly(365 * 10);
        let fixed = Duration::from_minutes(150);
        let p = with_process(DurationLaw::Fixed { duration: fixed }, 20.0);
        let m = GridModel::new(&p, &g).unwrap();
        let horizon = g.horizon().as_millis();
        let ev = outages(&m, 3, 0, horizon);
        assert!(ev.len() > 100);
        assert!(ev.iter().all(|&(a, b)| b - a == fixed.as_millis()));
        let series_down: f64 = all(&m, &g, 3).iter().map(|a| 1.0 - a).sum();
        let events_down: f64 = ev
            .iter()
            .map(|&(a, b)| (b.min(horizon) - a) as f64 / MS_PER_HOUR as f64)
            .sum();
        assert_close(
            series_down,
            events_down,
            DOWN_SUM_REL_TOL * events_down,
            "down",
        );
    }

    #[test]
    fn sub_step_outages_give_the_right_down_fraction() {
        let years = 200u64;
        let g = hourly(365 * years);
        let law = DurationLaw::Fixed {
            duration: Duration::from_minutes(10),
        };
        let p = with_process(law, 1000.0);
        let m = GridModel::new(&p, &g).unwrap();
        let a = all(&m, &g, 11);
        // Several outages in one step must occur at this rate.
        assert!(a.iter().any(|&x| x < 1.0 - 20.0 / 60.0 + AVAIL_TOL));
        let per_year: Vec<f64> = a
            .chunks(8760)
            .map(|c| c.iter().map(|x| 1.0 - x).sum::<f64>() / 8760.0)
            .collect();
        let (mean, se) = mean_se(&per_year);
        let (lambda, d) = (1000.0, 1.0 / 6.0);
        let want = lambda * d / HOURS_PER_YEAR / (1.0 + lambda * d / HOURS_PER_YEAR);
        assert_close(mean, want, N_SE * se, "down fraction");
    }

    fn preset_params(preset: OutagePreset) -> GridParams {
        let mut p = GridParams::new(Power::mw(10.0));
        p.random_outages = Some(RandomOutages {
            preset: Some(preset),
            ..RandomOutages::default()
        });
        p
    }

    #[test]
    fn snapshot_and_resume_are_identical() {
        let g = hourly(365 * 50);
        let mut p = preset_params(OutagePreset::Distribution);
        p.scheduled_outages = vec![window("100d", "3d", 0.3), window("3000d", "1h", 0.0)];
        let m = GridModel::new(&p, &g).unwrap();
        resumes_identically(&m, &g, 99, g.steps() / 3 + 17);
    }

    /// Runs `m` from `seed` to step `cut`, snapshots it (in memory and through JSON), and checks
    /// that both resume to the same availabilities as the uninterrupted run, which must see some
    /// outage; returns the whole series.
    fn resumes_identically(m: &GridModel, g: &TimeGrid, seed: u64, cut: u64) -> Vec<f64> {
        let n = g.steps();
        let mut s = m.initial_state(seed);
        let head = series(m, &mut s, 0, cut);
        let snapshot = s.clone();
        let json = serde_json::to_string(&s).unwrap();
        let tail = series(m, &mut s, cut, n);
        assert!(head.iter().chain(&tail).any(|&x| x < 1.0));
        let mut resumed = snapshot;
        assert_eq!(series(m, &mut resumed, cut, n), tail);
        let mut from_json: GridState = serde_json::from_str(&json).unwrap();
        assert_eq!(from_json.next_step(), cut);
        assert_eq!(series(m, &mut from_json, cut, n), tail);
        head.into_iter().chain(tail).collect()
    }

    #[test]
    fn distribution_preset_matches_domain_numbers() {
        let r = RandomOutages {
            preset: Some(OutagePreset::Distribution),
            ..RandomOutages::default()
        };
        let minutes: f64 = r
            .processes()
            .iter()
            .map(|p| p.events_per_year * p.duration.mean_hours() * 60.0)
            .sum();
        assert_close(minutes, 357.0, PRESET_REL_TOL * 357.0, "preset min/yr");
        // Transmission is the same with rates × 0.3, and `scale` multiplies on top.
        let t = RandomOutages {
            preset: Some(OutagePreset::Transmission),
            scale: 2.0,
            processes: vec![RenewalProcess::new(
                1.0,
                DurationLaw::Fixed {
                    duration: Duration::from_hours(1),
                },
            )],
        }
        .processes();
        assert_eq!(t.len(), 3);
        assert_close(t[0].events_per_year, 0.6, AVAIL_TOL, "scaled preset");
        assert_close(t[1].events_per_year, 0.18, AVAIL_TOL, "scaled preset");
        assert_close(t[2].events_per_year, 2.0, AVAIL_TOL, "scaled listed");
    }

    #[test]
    fn example_toml_parses() {
        let text = r#"
import_limit_mw = 20.0
[[scheduled_outages]]
start = "30d"
duration = "6h"
[[scheduled_outages]]
start = "60d"
duration = "2h"
available_fraction = 0.5
[random_outages]
preset = "distribution"
scale = 1.0
[[random_outages.processes]]
failures_per_year = 2.0
duration = { law = "exponential", mean = "30m" }
"#;
        let p: GridParams = toml::from_str(text).unwrap();
        assert_eq!(p.import_limit_mw, Power::mw(20.0));
        assert_eq!(p.export_limit_mw, Power::ZERO);
        assert_eq!(
            p.scheduled_outages[1].available_fraction,
            Fraction::ratio(0.5)
        );
        let r = p.random_outages.as_ref().unwrap();
        assert_eq!(r.preset, Some(OutagePreset::Distribution));
        assert_eq!(
            r.processes[0].duration,
            DurationLaw::Exponential {
                mean: Duration::from_minutes(30)
            }
        );
        assert_eq!(r.processes().len(), 3);
        let g = hourly(365);
        let m = GridModel::new(&p, &g).unwrap();
        let a = all(&m, &g, 1);
        assert_eq!(a[30 * 24], 0.0);
        assert!(a[60 * 24] <= 0.5 + AVAIL_TOL, "derate");

        // Other laws and a JSON round trip.
        let fixed: DurationLaw = toml::from_str("law = \"fixed\"\nduration = \"2h\"").unwrap();
        assert_eq!(
            fixed,
            DurationLaw::Fixed {
                duration: Duration::from_hours(2)
            }
        );
        let ln: DurationLaw =
            toml::from_str("law = \"log_normal\"\nmedian = \"1.2h\"\nsigma_ln = 1.0").unwrap();
        assert!(matches!(ln, DurationLaw::LogNormal { .. }));
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<GridParams>(&json).unwrap(), p);
    }

    #[test]
    fn unknown_keys_are_rejected_everywhere() {
        for bad in [
            "import_limit_mw = 1.0\nimport_limt = 2.0",
            "import_limit_mw = 1.0\n[[scheduled_outages]]\nstart = \"1d\"\nduration = \"1h\"\nfraction = 0.5",
            "import_limit_mw = 1.0\n[random_outages]\npreset = \"distribution\"\nscal = 2.0",
            "import_limit_mw = 1.0\n[random_outages]\npreset = \"nearby\"",
            "import_limit_mw = 1.0\n[[random_outages.processes]]\nfailures_per_year = 1.0\nrate = 2.0\nduration = { law = \"fixed\", duration = \"1h\" }",
            // a misspelt key inside a duration law
            "import_limit_mw = 1.0\n[[random_outages.processes]]\nfailures_per_year = 1.0\nduration = { law = \"log_normal\", median = \"1h\", sigma = 1.0, sigma_ln = 1.0 }",
            "import_limit_mw = 1.0\n[[random_outages.processes]]\nfailures_per_year = 1.0\nduration = { law = \"exponential\", mean = \"1h\", meen = \"2h\" }",
            "import_limit_mw = 1.0\n[[random_outages.processes]]\nfailures_per_year = 1.0\nduration = { law = \"weibull\", mean = \"1h\" }",
            "import_limit_mw = 1.0\navailability_trace = { path = \"a.csv\", colum = \"x\" }",
        ] {
            let err = toml::from_str::<GridParams>(bad).expect_err(bad).to_string();
            assert!(
                err.contains("unknown field") || err.contains("unknown variant"),
                "{bad}: {err}"
            );
        }
        let json_bad = r#"{"law":"fixed","duration":"1h","extra":1}"#;
        let err = serde_json::from_str::<DurationLaw>(json_bad).unwrap_err();
        assert!(err.to_string().contains("unknown field `extra`"), "{err}");
    }

    fn field_of(r: Result<GridModel, ConfigError>) -> String {
        match r {
            Err(ConfigError::OutOfRange { field, .. }) => field,
            other => panic!("expected OutOfRange, got {other:?}"),
        }
    }

    #[test]
    fn validation_names_the_field() {
        let g = hourly(10);
        let mut p = GridParams::new(Power::mw(-1.0));
        assert_eq!(field_of(GridModel::new(&p, &g)), "grid.import_limit_mw");
        // A subnormal limit would make the feed's reciprocal limit infinite.
        p = GridParams::new(Power::mw(5e-324));
        assert_eq!(field_of(GridModel::new(&p, &g)), "grid.import_limit_mw");
        p = GridParams::new(Power::mw(1.0));
        p.export_limit_mw = Power::mw(f64::NAN);
        assert_eq!(field_of(GridModel::new(&p, &g)), "grid.export_limit_mw");

        p = GridParams::new(Power::mw(1.0));
        p.scheduled_outages = vec![window("1d", "1h", 0.0), window("2d", "1h", 1.5)];
        assert_eq!(
            field_of(GridModel::new(&p, &g)),
            "grid.scheduled_outages[1].available_fraction"
        );
        p.scheduled_outages = vec![window("1d", "0s", 0.0)];
        assert_eq!(
            field_of(GridModel::new(&p, &g)),
            "grid.scheduled_outages[0].duration"
        );

        let fixed = DurationLaw::Fixed {
            duration: Duration::from_hours(1),
        };
        let h = Duration::from_hours(1);
        let bad_processes = [
            (fixed, -1.0, "failures_per_year"),
            (
                DurationLaw::LogNormal {
                    median: h,
                    sigma_ln: 0.0,
                },
                1.0,
                "duration.sigma_ln",
            ),
            (
                DurationLaw::Exponential {
                    mean: Duration::ZERO,
                },
                1.0,
                "duration.mean",
            ),
            (
                DurationLaw::Fixed {
                    duration: Duration::ZERO,
                },
                1.0,
                "duration.duration",
            ),
        ];
        for (law, rate, field) in bad_processes {
            assert_eq!(
                field_of(GridModel::new(&with_process(law, rate), &g)),
                format!("grid.random_outages.processes[0].{field}")
            );
        }
        p = preset_params(OutagePreset::Distribution);
        p.random_outages.as_mut().unwrap().scale = f64::INFINITY;
        assert_eq!(
            field_of(GridModel::new(&p, &g)),
            "grid.random_outages.scale"
        );
    }

    #[test]
    fn zero_rate_processes_are_inert() {
        let g = hourly(365);
        let mut p = preset_params(OutagePreset::Transmission);
        p.random_outages.as_mut().unwrap().scale = 0.0;
        let m = GridModel::new(&p, &g).unwrap();
        assert!(!m.has_outages());
        assert!(all(&m, &g, 5).iter().all(|&a| a == 1.0));
    }

    // ---- supply units ----------------------------------------------------------------------

    fn unit(capacity: f64, count: Option<u32>, processes: Vec<AvailabilityProcess>) -> SupplyUnit {
        SupplyUnit {
            name: None,
            capacity_mw: Power::mw(capacity),
            count,
            processes,
        }
    }

    fn markov(mttf_h: u64, mttr_h: u64) -> AvailabilityProcess {
        AvailabilityProcess::Markov {
            mttf: Duration::from_hours(mttf_h),
            mttr: Duration::from_hours(mttr_h),
        }
    }

    /// All outages `[start, end)` of process `p` of expanded unit `j` that start before `until`.
    fn unit_outages(m: &GridModel, seed: u64, j: usize, p: usize, until: u64) -> Vec<(u64, u64)> {
        let st = m.initial_state(seed);
        let mut j = j;
        for (s, ss) in m.supply.iter().zip(&st.units.sets) {
            if j < ss.units() {
                return s.set.outages(ss, &m.clock, j, p, until);
            }
            j -= ss.units();
        }
        panic!("no unit {j}")
    }

    #[test]
    fn supply_units_cap_the_import_limit() {
        // Two 100 MW units behind a 150 MW limit, each flipping state at every step boundary
        // with probability 1/2.
        let g = hourly(60);
        let mut p = GridParams::new(Power::mw(150.0));
        let flip = AvailabilityProcess::MarkovPerStep {
            failure_probability: 0.5,
            repair_probability: 0.5,
        };
        p.supply_units = vec![unit(100.0, Some(2), vec![flip])];
        let m = GridModel::new(&p, &g).unwrap();
        assert!(m.has_outages());
        assert_eq!(m.supply_units(), 2);
        let mut s = m.initial_state(5);
        let mut seen = [false; 3];
        for k in 0..g.steps() {
            let up = (0..2).filter(|&j| !s.unit_down(j).unwrap()).count();
            let a = m.availability(&mut s, k).value();
            let want = (100.0 * up as f64).min(150.0) / 150.0;
            assert_close(a, want, AVAIL_TOL, "min(1, up capacity / limit)");
            seen[up] = true;
        }
        assert_eq!(seen, [true; 3]);
    }

    #[test]
    fn a_unit_down_for_part_of_a_step_counts_pro_rata() {
        let g = hourly(365 * 5);
        let mut p = GridParams::new(Power::mw(100.0));
        let half_hour = AvailabilityProcess::Renewal(RenewalProcess::new(
            200.0,
            DurationLaw::Fixed {
                duration: Duration::from_minutes(30),
            },
        ));
        p.supply_units = vec![unit(100.0, None, vec![half_hour])];
        let m = GridModel::new(&p, &g).unwrap();
        let a = all(&m, &g, 8);
        assert!(a.contains(&0.5), "a whole half-hour outage in one step");
        let horizon = g.horizon().as_millis();
        let ev = unit_outages(&m, 8, 0, 0, horizon);
        assert!(ev.len() > 500);
        let events_down: f64 = ev
            .iter()
            .map(|&(a, b)| (b.min(horizon) - a) as f64 / MS_PER_HOUR as f64)
            .sum();
        let series_down: f64 = a.iter().map(|x| 1.0 - x).sum();
        assert_close(
            series_down,
            events_down,
            DOWN_SUM_REL_TOL * events_down,
            "pro rata",
        );
    }

    #[test]
    fn unit_with_two_processes_is_down_when_either_is() {
        // Two fixed-length processes that overlap: the union, not the sum, is down.
        let g = hourly(365 * 20);
        let law = |m| DurationLaw::Fixed {
            duration: Duration::from_minutes(m),
        };
        let renewal = |rate, m| AvailabilityProcess::Renewal(RenewalProcess::new(rate, law(m)));
        let mut p = GridParams::new(Power::mw(10.0));
        p.supply_units = vec![unit(
            10.0,
            None,
            vec![renewal(300.0, 50), renewal(200.0, 90)],
        )];
        let m = GridModel::new(&p, &g).unwrap();
        let a = all(&m, &g, 3);
        let horizon = g.horizon().as_millis();
        // Union of both outage lists, measured directly.
        let mut ev = unit_outages(&m, 3, 0, 0, horizon);
        ev.extend(unit_outages(&m, 3, 0, 1, horizon));
        ev.sort();
        let (mut covered, mut union) = (0u64, 0u64);
        for (s0, e0) in ev {
            let (from, to) = (s0.max(covered), e0.min(horizon));
            if to > from {
                union += to - from;
                covered = to;
            }
        }
        let union_h = union as f64 / MS_PER_HOUR as f64;
        let series_down: f64 = a.iter().map(|x| 1.0 - x).sum();
        assert_close(series_down, union_h, DOWN_SUM_REL_TOL * union_h, "union");
    }

    #[test]
    fn unit_fast_path_only_moves_at_transitions() {
        let g = hourly(365 * 10);
        let mut p = GridParams::new(Power::mw(300.0));
        p.supply_units = vec![
            unit(100.0, Some(2), vec![markov(400, 40)]),
            unit(50.0, None, vec![markov(1000, 20), markov(3000, 100)]),
        ];
        let m = GridModel::new(&p, &g).unwrap();
        let mut s = m.initial_state(1);
        let (mut moves, mut quiet) = (0, 0);
        for k in 0..g.steps() {
            let t1 = g.offset(k + 1).as_millis();
            let (before, cap) = (s.next_unit_event_ms(), s.up_capacity());
            m.availability(&mut s, k);
            if before > t1 {
                assert_eq!(s.next_unit_event_ms(), before, "step {k}");
                assert_eq!(s.up_capacity(), cap, "step {k}");
                quiet += 1;
            } else {
                assert!(s.next_unit_event_ms() > t1);
                moves += 1;
            }
        }
        assert!(
            moves > 100 && quiet > 10 * moves,
            "{moves} event steps, {quiet} quiet"
        );
    }

    #[test]
    fn units_snapshot_resume_and_common_random_numbers() {
        let g = hourly(365 * 20);
        let mut p = GridParams::new(Power::mw(250.0));
        p.supply_units = vec![
            unit(100.0, None, vec![markov(500, 50)]),
            unit(
                100.0,
                None,
                vec![AvailabilityProcess::MarkovPerStep {
                    failure_probability: 0.002,
                    repair_probability: 0.05,
                }],
            ),
        ];
        p.random_outages = Some(RandomOutages {
            preset: Some(OutagePreset::Distribution),
            ..RandomOutages::default()
        });
        let m = GridModel::new(&p, &g).unwrap();
        let whole = resumes_identically(&m, &g, 77, g.steps() / 2 + 13);
        // Same seed and unit list: identical; a rebuilt model too.
        let m2 = GridModel::new(&p, &g).unwrap();
        assert_eq!(all(&m2, &g, 77), whole);
        // A third unit leaves the first two units' histories unchanged.
        let mut p3 = p.clone();
        p3.supply_units
            .push(unit(80.0, None, vec![markov(300, 30)]));
        let m3 = GridModel::new(&p3, &g).unwrap();
        let h = g.horizon().as_millis();
        for j in 0..2 {
            assert_eq!(
                unit_outages(&m, 77, j, 0, h),
                unit_outages(&m3, 77, j, 0, h)
            );
        }
        assert_ne!(all(&m3, &g, 77), whole);
    }

    /// IEEE RTS-79 generating units: (count, MW, MTTF h, MTTR h).
    const RTS79: [(u32, f64, u64, u64); 9] = [
        (5, 12.0, 2940, 60),
        (4, 20.0, 450, 50),
        (6, 50.0, 1980, 20),
        (4, 76.0, 1960, 40),
        (3, 100.0, 1200, 50),
        (4, 155.0, 960, 40),
        (3, 197.0, 950, 50),
        (1, 350.0, 1150, 100),
        (2, 400.0, 1100, 150),
    ];

    #[test]
    fn ieee_rts79_mean_available_capacity() {
        let years = 200u64;
        let hours_per_year = 8736u64;
        let g = TimeGrid::with_steps(Duration::from_hours(1), years * hours_per_year).unwrap();
        let total: f64 = RTS79.iter().map(|&(n, mw, _, _)| f64::from(n) * mw).sum();
        assert_close(total, 3405.0, AVAIL_TOL, "RTS installed capacity");
        let mut p = GridParams::new(Power::mw(total));
        p.supply_units = RTS79
            .iter()
            .map(|&(n, mw, f, r)| unit(mw, Some(n), vec![markov(f, r)]))
            .collect();
        let want: f64 = RTS79
            .iter()
            .map(|&(n, mw, f, r)| f64::from(n) * mw * f as f64 / (f + r) as f64)
            .sum();
        let m = GridModel::new(&p, &g).unwrap();
        assert_eq!(m.supply_units(), 32);
        let mut s = m.initial_state(2024);
        let mut per_year = vec![0.0; years as usize];
        let t = std::time::Instant::now();
        for k in 0..g.steps() {
            per_year[(k / hours_per_year) as usize] += m.availability(&mut s, k).value();
        }
        let elapsed = t.elapsed();
        let per_year: Vec<f64> = per_year
            .iter()
            .map(|a| a * total / hours_per_year as f64)
            .collect();
        let (mean, se) = mean_se(&per_year);
        println!(
            "IEEE RTS-79, 32 units, {years} years × {hours_per_year} h: {elapsed:?} \
             ({:.1} ns/step); mean available {mean:.2} ± {se:.2} MW (expected {want:.2})",
            elapsed.as_nanos() as f64 / g.steps() as f64
        );
        assert_close(mean, want, N_SE * se, "mean available capacity");
        if !cfg!(debug_assertions) {
            assert!(elapsed.as_secs_f64() < 1.0, "{elapsed:?}");
        }
    }

    #[test]
    fn supply_unit_validation_names_the_field() {
        let g = hourly(10);
        let mut p = GridParams::new(Power::mw(10.0));
        p.supply_units = vec![unit(
            10.0,
            None,
            vec![
                markov(10, 1),
                AvailabilityProcess::Markov {
                    mttf: Duration::ZERO,
                    mttr: Duration::from_hours(1),
                },
            ],
        )];
        assert_eq!(
            field_of(GridModel::new(&p, &g)),
            "grid.supply_units[0].processes[1].mttf"
        );
        p.supply_units = vec![unit(-1.0, None, vec![])];
        assert_eq!(
            field_of(GridModel::new(&p, &g)),
            "grid.supply_units[0].capacity_mw"
        );
        p.supply_units = vec![unit(1.0, Some(0), vec![])];
        assert_eq!(
            field_of(GridModel::new(&p, &g)),
            "grid.supply_units[0].count"
        );
        p.supply_units = vec![unit(1.0, None, vec![markov(10, 1); 17])];
        assert_eq!(
            field_of(GridModel::new(&p, &g)),
            "grid.supply_units[0].processes"
        );
    }

    #[test]
    fn supply_units_toml() {
        let text = r#"
import_limit_mw = 150.0
[[supply_units]]
name = "G1"
capacity_mw = 100.0
count = 2
processes = [
  { model = "markov", mttf = "1100h", mttr = "50h" },
  { model = "renewal", events_per_year = 0.2, duration = { law = "lognormal", median = "8h", sigma_ln = 1.0 } },
]
[[supply_units]]
capacity_mw = 50.0
processes = [{ model = "markov_per_step", failure_probability = 0.001, repair_probability = 0.02 }]
"#;
        let p: GridParams = toml::from_str(text).unwrap();
        assert_eq!(p.supply_units.len(), 2);
        assert_eq!(p.supply_units[0].count, Some(2));
        let m = GridModel::new(&p, &hourly(30)).unwrap();
        assert_eq!(m.supply_units(), 3);
        for bad in [
            "import_limit_mw = 1.0\n[[supply_units]]\ncapacity_mw = 1.0\nprocesses = []\ncapacity = 2",
            "import_limit_mw = 1.0\n[[supply_units]]\ncapacity_mw = 1.0\nprocesses = [{ model = \"markov\", mttf = \"1h\", mttr = \"1h\", for = 0.1 }]",
        ] {
            let err = toml::from_str::<GridParams>(bad).expect_err(bad).to_string();
            assert!(err.contains("unknown field"), "{bad}: {err}");
        }
    }
}
