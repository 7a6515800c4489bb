//! A set of `N` identical units, each with its own availability processes, tracked by events.
//!
//! This is the one place where "units that fail and are repaired" live: the grid's supply units
//! (one set per `[[grid.supply_units]]` entry), the grid feed itself (a set of one unit whose
//! processes are the random outages), and the battery's units (one set of `units` units with the
//! `unit_failures` processes) all use it. Diesel generators will too.
//!
//! * [`UnitSet`]: the validated, immutable model: a count and one unit's
//!   [`ProcessModel`]s (built once from [`AvailabilityProcess`] parameters by [`UnitSet::new`]),
//!   and the random stream numbers its units draw from.
//! * [`UnitSetState`]: the evolving state (`Clone + Serialize`, so a run snapshots and resumes
//!   bit-identically): each process's generator and current outage, each unit's up/down flag and
//!   next transition time, the earliest transition over all units and the number of units up.
//!
//! A unit is down whenever **any** of its processes is down. Process `p` of unit `j` draws from
//! `rng::stream(seed, base + 16·j + p)` (at most [`MAX_PROCESSES_PER_UNIT`] processes per unit),
//! so adding a unit never changes another unit's history (common random numbers).
//!
//! # Semantics of a transition inside a step
//! [`UnitSet::step`] advances the set over one step `[t0, t1)` (integer milliseconds) and
//! reports two things ([`StepUnits`]):
//!
//! 1. **the time-average of the number of units up** over the step, `Σ_j up-time_j / (t1 − t0)`,
//!    measured exactly from the outages' millisecond boundaries (pro rata: a unit down for 20
//!    minutes of an hour counts as 2/3 of a unit). Quantities that are rates over the step use it:
//!    the capacity of the grid's supply units (what RTS-79 at hourly steps needs) and the
//!    battery's power limits;
//! 2. **the number of units up at the step's end**, `t1`, for discrete state that can only change
//!    at a step boundary: the battery locks a failed unit's share of the energy (and returns it on
//!    repair) at the first step boundary at which the unit is down (up).
//!
//! An outage that begins and ends inside one step lowers the average but leaves the count at the
//! end unchanged. A transition exactly at `t1` belongs to the next step (it does not lower this
//! step's average, but it is in the count at `t1`).
//!
//! # Cost
//! The state keeps the earliest next transition over all units, so a step that ends before it
//! costs one comparison whatever the number of units ([`UnitSet::step`]'s fast path); only the
//! units whose own next transition falls in the step are visited otherwise.

use crate::error::ConfigError;
use crate::reliability::availability::{
    AvailabilityProcess, Clock, ProcessModel, ProcessState, MAX_PROCESSES_PER_UNIT,
    MAX_TRANSITIONS_PER_YEAR,
};
use crate::rng;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The validated model of `count` identical units with the same availability processes.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitSet {
    count: u32,
    params: Vec<AvailabilityProcess>,
    models: Arc<[ProcessModel]>,
    stream_base: u64,
}

/// What a set did over one step (see the module docs for the semantics).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepUnits {
    /// The time-average number of units up over the step, in `[0, count]`.
    pub up_mean: f64,
    /// The number of units up at the step's end.
    pub up_end: u32,
}

/// The evolving state of a [`UnitSet`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UnitSetState {
    /// Whether the first sojourns have been drawn (see [`UnitSet::start`]).
    started: bool,
    /// Units up now.
    up: u32,
    /// Per unit, whether it is down now.
    down: Vec<bool>,
    /// Per unit, the next time (ms) any of its processes changes state.
    next: Vec<u64>,
    /// `min(next)` (`u64::MAX` for none).
    next_event: u64,
    /// Unit `j`'s processes at `j·P..(j+1)·P`.
    processes: Vec<ProcessState>,
}

impl UnitSet {
    /// Validates `count` units with `processes` each; process errors name
    /// `{field}[i]…` (e.g. `grid.supply_units[0].processes[1].mttf`). Process `p` of unit `j`
    /// will draw from stream `stream_base + 16·j + p`.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `field` for more than [`MAX_PROCESSES_PER_UNIT`]
    /// processes, or for a set that expects more than [`MAX_TRANSITIONS_PER_YEAR`] transitions
    /// per 8760 h (`count` × each unit's, the value in the error); and the errors of
    /// [`ProcessModel::new`]. Nothing is allocated per unit here, so a huge `count` costs nothing
    /// before it is refused by the component that owns the set.
    pub fn new(
        field: &str,
        count: u32,
        processes: &[AvailabilityProcess],
        stream_base: u64,
    ) -> Result<UnitSet, ConfigError> {
        if processes.len() > MAX_PROCESSES_PER_UNIT {
            return Err(ConfigError::OutOfRange {
                field: field.to_string(),
                value: processes.len() as f64,
                allowed: "at most 16 processes per unit",
            });
        }
        let models = processes
            .iter()
            .enumerate()
            .map(|(i, p)| ProcessModel::new(&format!("{field}[{i}]"), p))
            .collect::<Result<Vec<_>, _>>()?;
        let per_unit: f64 = models.iter().map(ProcessModel::transitions_per_year).sum();
        let transitions = per_unit * f64::from(count);
        if transitions > MAX_TRANSITIONS_PER_YEAR {
            return Err(ConfigError::OutOfRange {
                field: field.to_string(),
                value: transitions,
                allowed: "units × expected transitions per unit ≤ 1e9 per 8760 h \
                          (longer mean times to failure and repair, or fewer units)",
            });
        }
        Ok(UnitSet {
            count,
            params: processes.to_vec(),
            models: models.into(),
            stream_base,
        })
    }

    /// The number of units.
    #[inline]
    pub fn count(&self) -> u32 {
        self.count
    }

    /// One unit's process parameters, as given.
    pub fn processes(&self) -> &[AvailabilityProcess] {
        &self.params
    }

    /// Whether any unit can ever be down.
    pub fn can_fail(&self) -> bool {
        self.count > 0 && self.models.iter().any(ProcessModel::can_fail)
    }

    /// A state seeded with `seed` whose first sojourns are not drawn yet: every unit counts as up
    /// until [`UnitSet::start`] (which [`UnitSet::step`] calls if needed, at `t0 = 0`).
    pub fn unstarted_state(&self, seed: u64) -> UnitSetState {
        let (n, per) = (self.count as usize, self.models.len());
        let mut processes = Vec::with_capacity(n * per);
        for j in 0..n {
            for p in 0..per {
                let stream = self.stream_base + 16 * j as u64 + p as u64;
                processes.push(ProcessState::unstarted(rng::stream(seed, stream)));
            }
        }
        UnitSetState {
            started: false,
            up: self.count,
            down: vec![false; n],
            next: vec![u64::MAX; n],
            next_event: u64::MAX,
            processes,
        }
    }

    /// The state at `t = 0` of a run seeded with `seed` (first sojourns drawn).
    pub fn initial_state(&self, seed: u64, clock: &Clock) -> UnitSetState {
        let mut s = self.unstarted_state(seed);
        self.start(&mut s, clock);
        s
    }

    /// Draws every process's state at `t = 0` (renewal processes start up, Markov processes in
    /// their steady state) and sets the units' flags. Does nothing on a started state.
    pub fn start(&self, s: &mut UnitSetState, clock: &Clock) {
        if s.started {
            return;
        }
        let per = self.models.len();
        for (i, ps) in s.processes.iter_mut().enumerate() {
            self.models[i % per].start(ps, clock);
        }
        s.up = 0;
        s.next_event = u64::MAX;
        for j in 0..s.down.len() {
            let (down, next) = unit_status(&s.processes[j * per..(j + 1) * per], 0);
            s.down[j] = down;
            s.next[j] = next;
            s.next_event = s.next_event.min(next);
            s.up += u32::from(!down);
        }
        s.started = true;
    }

    /// Advances the set over `[t0, t1)` and reports its time-average units up and its units up
    /// at `t1` (see the module docs). Steps must follow one another (`t0` is the previous
    /// step's `t1`; the first starts at 0). One comparison when no transition falls in the step.
    #[inline]
    pub fn step(&self, s: &mut UnitSetState, clock: &Clock, t0: u64, t1: u64) -> StepUnits {
        if s.started && s.next_event > t1 {
            return StepUnits {
                up_mean: f64::from(s.up),
                up_end: s.up,
            };
        }
        self.step_events(s, clock, t0, t1)
    }

    /// The slow path of [`UnitSet::step`]: visits the units whose next transition is in the step.
    #[cold]
    fn step_events(&self, s: &mut UnitSetState, clock: &Clock, t0: u64, t1: u64) -> StepUnits {
        self.start(s, clock);
        let per = self.models.len();
        let step = t1 - t0;
        let (mut up_ms, mut up, mut next_event) = (0u64, 0u32, u64::MAX);
        for j in 0..s.down.len() {
            if s.next[j] <= t1 {
                let range = j * per..(j + 1) * per;
                let (unit_up_ms, down, next) =
                    unit_step(&self.models, &mut s.processes[range], clock, t0, t1);
                up_ms += unit_up_ms;
                s.down[j] = down;
                s.next[j] = next;
            } else if !s.down[j] {
                up_ms += step;
            }
            up += u32::from(!s.down[j]);
            next_event = next_event.min(s.next[j]);
        }
        s.up = up;
        s.next_event = next_event;
        StepUnits {
            up_mean: if step == 0 {
                f64::from(up)
            } else {
                up_ms as f64 / step as f64
            },
            up_end: up,
        }
    }

    /// Forces unit `j` (all of whose processes but the first never fail) down over
    /// `[start, end)` ms (tests only).
    #[cfg(test)]
    pub(crate) fn force_outage(&self, s: &mut UnitSetState, j: usize, start: u64, end: u64) {
        let per = self.models.len();
        s.processes[j * per].set_outage(start, end);
        s.next[j] = start;
        s.next_event = s.next_event.min(start);
    }

    /// All outages `[start, end)` of process `p` of unit `j` that start before `until`, drawn
    /// from a copy of `s` (tests only).
    #[cfg(test)]
    pub(crate) fn outages(
        &self,
        s: &UnitSetState,
        clock: &Clock,
        j: usize,
        p: usize,
        until: u64,
    ) -> Vec<(u64, u64)> {
        let per = self.models.len();
        let mut ps = s.processes[j * per + p].clone();
        let mut out = Vec::new();
        while ps.outage().0 < until {
            out.push(ps.outage());
            self.models[p].advance(&mut ps, clock);
        }
        out
    }
}

impl UnitSet {
    /// Whether `s` could be a state of this set: one flag and one next time per unit, this set's
    /// number of processes per unit, the units up and the next event that those imply. `Err`
    /// says what does not match (used to check a snapshot before anything indexes into it).
    pub fn check_state(&self, s: &UnitSetState) -> Result<(), &'static str> {
        let n = self.count as usize;
        if s.down.len() != n || s.next.len() != n {
            return Err("the snapshot has another number of units");
        }
        if s.processes.len() != n * self.params.len() {
            return Err("the snapshot has another number of processes per unit");
        }
        let up = s.down.iter().filter(|&&d| !d).count();
        if s.up as usize != up {
            return Err("the units up do not match the units' states");
        }
        if s.next_event != s.next.iter().copied().min().unwrap_or(u64::MAX) {
            return Err("the next event does not match the units' next transitions");
        }
        Ok(())
    }
}

impl UnitSetState {
    /// The number of units up now (at the end of the last step).
    #[inline]
    pub fn up(&self) -> u32 {
        self.up
    }

    /// The earliest time (ms from the start of the time grid) at which a unit may change state
    /// (`u64::MAX` for never): steps that end before it take the O(1) path.
    #[inline]
    pub fn next_transition_ms(&self) -> u64 {
        self.next_event
    }

    /// Whether unit `j` is down now (`None` if there is no unit `j`).
    pub fn is_down(&self, j: usize) -> Option<bool> {
        self.down.get(j).copied()
    }

    /// The number of units.
    pub fn units(&self) -> usize {
        self.down.len()
    }

    /// Whether the first sojourns have been drawn.
    pub fn is_started(&self) -> bool {
        self.started
    }
}

/// One unit's step over `[t0, t1)` given all its processes (down when any is down): returns the
/// up-time in ms, whether the unit is down at `t1`, and the next time after `t1` at which any of
/// its processes changes state. Every process is left with its current outage ending after `t1`.
fn unit_step(
    models: &[ProcessModel],
    states: &mut [ProcessState],
    clock: &Clock,
    t0: u64,
    t1: u64,
) -> (u64, bool, u64) {
    let step = t1 - t0;
    let down = if models.len() == 1 {
        models[0].down_in(&mut states[0], clock, t0, t1)
    } else {
        // Sweep the outages of all processes in order of start, measuring their union.
        let mut covered = t0;
        let mut down = 0;
        let mut parked = 0u32;
        loop {
            let mut best: Option<usize> = None;
            for (i, s) in states.iter().enumerate() {
                if parked & (1 << i) == 0
                    && s.outage().0 < t1
                    && best.map_or(true, |b| s.outage().0 < states[b].outage().0)
                {
                    best = Some(i);
                }
            }
            let Some(i) = best else { break };
            let s = &mut states[i];
            let (start, end) = s.outage();
            let from = start.max(covered);
            let to = end.min(t1);
            if to > from {
                down += to - from;
                covered = to;
            }
            if end > t1 {
                parked |= 1 << i;
            } else {
                models[i].advance(s, clock);
            }
        }
        down
    };
    let (is_down, next) = unit_status(states, t1);
    (step - down.min(step), is_down, next)
}

/// Whether a unit is down at `t` and when it next may change (its processes must all have their
/// current outage ending after `t`).
#[inline]
fn unit_status(states: &[ProcessState], t: u64) -> (bool, u64) {
    let mut down = false;
    let mut next = u64::MAX;
    for s in states {
        let (start, end) = s.outage();
        down |= start <= t;
        next = next.min(if start <= t { end } else { start });
    }
    (down, next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reliability::availability::DurationLaw;
    use crate::time::TimeGrid;
    use crate::units::{Duration, MS_PER_HOUR};

    fn hourly_clock() -> Clock {
        Clock::of(&TimeGrid::with_steps(Duration::from_hours(1), 1).unwrap())
    }

    fn fixed_renewal(rate: f64, minutes: u64) -> AvailabilityProcess {
        AvailabilityProcess::Renewal(crate::reliability::availability::RenewalProcess {
            events_per_year: rate,
            duration: DurationLaw::Fixed {
                duration: Duration::from_minutes(minutes),
            },
            monthly_multipliers: None,
        })
    }

    #[test]
    fn mid_step_outage_lowers_the_mean_not_the_end_count() {
        let clock = hourly_clock();
        let set = UnitSet::new("u", 2, &[fixed_renewal(0.0, 60)], 0).unwrap();
        let mut s = set.initial_state(1, &clock);
        let h = MS_PER_HOUR;
        // Unit 1 down over [1h 15m, 1h 45m): inside step 1.
        set.force_outage(&mut s, 1, h + h / 4, h + 3 * h / 4);
        let a = set.step(&mut s, &clock, 0, h);
        assert_eq!((a.up_mean, a.up_end), (2.0, 2));
        let b = set.step(&mut s, &clock, h, 2 * h);
        assert_eq!((b.up_mean, b.up_end), (1.5, 2));
        // Down from 2h 30m to 4h: the end count drops at 3h, the mean is pro rata.
        set.force_outage(&mut s, 0, 2 * h + h / 2, 4 * h);
        let c = set.step(&mut s, &clock, 2 * h, 3 * h);
        assert_eq!((c.up_mean, c.up_end), (1.5, 1));
        let d = set.step(&mut s, &clock, 3 * h, 4 * h);
        assert_eq!((d.up_mean, d.up_end), (1.0, 2), "repair exactly at t1");
        assert_eq!(s.next_transition_ms(), u64::MAX);
    }

    /// A per-step chain that is down from the start (steady-state probability of being down
    /// 1 − 1e-12) and never repairs in a test's lifetime.
    fn down_from_the_start() -> AvailabilityProcess {
        AvailabilityProcess::MarkovPerStep {
            failure_probability: 1.0,
            repair_probability: 1e-12,
        }
    }

    #[test]
    fn a_unit_is_down_when_its_second_process_is() {
        // Three units, each with a process that never fails and a second that is down from the
        // start: every unit is down, so the status reads each unit's own processes.
        let clock = hourly_clock();
        let set =
            UnitSet::new("u", 3, &[fixed_renewal(0.0, 60), down_from_the_start()], 0).unwrap();
        let mut s = set.initial_state(7, &clock);
        assert_eq!(s.up(), 0);
        assert!((0..3).all(|j| s.is_down(j) == Some(true)));
        let a = set.step(&mut s, &clock, 0, MS_PER_HOUR);
        assert_eq!((a.up_mean, a.up_end), (0.0, 0));
    }

    #[test]
    fn each_unit_starts_from_its_own_processes() {
        // Six units, each with a per-step chain down half the time in its steady state and a
        // process that never fails: every unit starts down with probability 1/2, whichever its
        // index (a unit that read its neighbours' processes would start down more often).
        let clock = hourly_clock();
        let half = AvailabilityProcess::MarkovPerStep {
            failure_probability: 0.5,
            repair_probability: 0.5,
        };
        let set = UnitSet::new("u", 6, &[half, fixed_renewal(0.0, 60)], 0).unwrap();
        let n = 4_000;
        let mut down = [0u32; 6];
        for seed in 0..n {
            let s = set.initial_state(seed, &clock);
            for (j, d) in down.iter_mut().enumerate() {
                *d += u32::from(s.is_down(j) == Some(true));
            }
        }
        // 3 standard errors of a share of 1/2 over n draws.
        let tol = 3.0 * (0.25 / n as f64).sqrt();
        for (j, d) in down.iter().enumerate() {
            let share = f64::from(*d) / n as f64;
            assert!((share - 0.5).abs() < tol, "unit {j} starts down {share}");
        }
    }

    #[test]
    fn process_p_of_unit_j_draws_from_stream_base_plus_16j_plus_p() {
        // The documented stream layout (common random numbers across site variants rely on it):
        // process p of unit j starts from exactly the generator of stream base + 16·j + p.
        let clock = hourly_clock();
        let markov = AvailabilityProcess::Markov {
            mttf: Duration::from_hours(100),
            mttr: Duration::from_hours(10),
        };
        let base = 0x2000;
        let set = UnitSet::new("u", 3, &[markov.clone(), markov.clone()], base).unwrap();
        let s = set.initial_state(11, &clock);
        let model = ProcessModel::new("m", &markov).unwrap();
        for j in 0..3u64 {
            for p in 0..2u64 {
                let alone = model.initial(rng::stream(11, base + 16 * j + p), &clock);
                assert_eq!(
                    s.processes[(2 * j + p) as usize].outage(),
                    alone.outage(),
                    "unit {j} process {p}"
                );
            }
        }
    }

    #[test]
    fn an_empty_set_cannot_fail() {
        let set = UnitSet::new("u", 0, &[down_from_the_start()], 0).unwrap();
        assert!(!set.can_fail());
        assert!(UnitSet::new("u", 1, &[down_from_the_start()], 0)
            .unwrap()
            .can_fail());
    }

    #[test]
    fn validation_names_the_field() {
        let too_many = vec![fixed_renewal(1.0, 1); MAX_PROCESSES_PER_UNIT + 1];
        match UnitSet::new("x.processes", 1, &too_many, 0) {
            Err(ConfigError::OutOfRange { field, .. }) => assert_eq!(field, "x.processes"),
            other => panic!("expected OutOfRange, got {other:?}"),
        }
        match UnitSet::new("x.processes", 1, &[fixed_renewal(-1.0, 1)], 0) {
            Err(ConfigError::OutOfRange { field, .. }) => {
                assert_eq!(field, "x.processes[0].events_per_year")
            }
            other => panic!("expected OutOfRange, got {other:?}"),
        }
    }
}
