//! Availability processes: when one unit (a supply unit of the grid feed, a battery unit, or the
//! feed itself) is up or down.
//!
//! A process is described by an [`AvailabilityProcess`] (serde parameters, tagged by `model`),
//! validated once into a [`ProcessModel`] and then sampled infallibly. Its evolving state is a
//! [`ProcessState`]: a seeded generator and the current (or next) outage `[start, end)` in whole
//! milliseconds from the start of the time grid. Every model is written as an alternating sequence
//! of up-times and outages, so that one state shape serves all of them and a simulation only has
//! work to do when a transition falls inside the current step (event-driven sampling).
//!
//! * [`AvailabilityProcess::Markov`]: the classical two-state unit of reliability studies
//!   (exponential up- and down-times, started in its steady state);
//! * [`AvailabilityProcess::MarkovPerStep`]: the discrete chain of NREL PRAS, with per-step
//!   failure and repair probabilities; sojourns are sampled as geometric numbers of steps, so the
//!   cost does not grow with the number of steps;
//! * [`AvailabilityProcess::Renewal`] ([`RenewalProcess`]): failures at a yearly rate while up,
//!   outage lengths from a [`DurationLaw`], with optional month-by-month rate multipliers (storm
//!   seasons). The grid feed's random outages are renewal processes too.
//!
//! Units with processes are [`crate::reliability::unit_set`]'s business: a unit is down whenever
//! **any** of its processes is down (for example routine outages plus rare major events).
//!
//! ```
//! use ridethrough::reliability::availability::AvailabilityProcess;
//! let p: AvailabilityProcess = toml::from_str(r#"
//! model = "markov"
//! mttf = "1100h"
//! mttr = "50h"
//! "#).unwrap();
//! assert!(matches!(p, AvailabilityProcess::Markov { .. }));
//! let q: AvailabilityProcess = toml::from_str(r#"
//! model = "renewal"
//! events_per_year = 0.5
//! duration = { law = "weibull", shape = 1.5, scale = "8h" }
//! monthly_multipliers = [0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0, 0]
//! "#).unwrap();
//! assert!(matches!(q, AvailabilityProcess::Renewal(_)));
//! ```

use crate::error::{check_fraction, check_range, out_of_range, ConfigError};
use crate::reliability::duration::{build_law, check_duration, whole_ms, Law};
pub use crate::reliability::duration::{DurationLaw, EMPIRICAL_SUM_TOLERANCE};
use crate::rng::Rng;
use crate::units::{Duration, MS_PER_HOUR};
use jiff::civil::DateTime;
use rand_distr::{Distribution, Exp, Geometric};
use serde::{Deserialize, Serialize};

/// Hours in the year used for yearly rates (8760 h = 365 days).
pub const HOURS_PER_YEAR: f64 = 8760.0;

/// Milliseconds in [`HOURS_PER_YEAR`].
const MS_PER_YEAR: f64 = HOURS_PER_YEAR * MS_PER_HOUR as f64;

/// The highest failure rate accepted, per 8760 h: one failure every 53 minutes while up. The
/// worst distribution feeders see tens of outages a year; the bound also caps the cost of a run,
/// which grows with the number of transitions. It applies to `events_per_year` times the largest
/// monthly multiplier, and to the grid feed's rates after `scale`.
pub const MAX_EVENTS_PER_YEAR: f64 = 1e4;

/// The largest monthly multiplier of a failure rate: a storm season a thousand times the yearly
/// average is beyond any record.
pub const MAX_MONTHLY_MULTIPLIER: f64 = 1e3;

/// The shortest mean time to failure and mean time to repair of a Markov unit: 100 ms, the finest
/// time step of the bundled scenarios. A unit that fails or is repaired faster than that is a load
/// swing or a voltage sag (an outage law's business), not a unit outage.
pub const MIN_MEAN_SOJOURN: Duration = Duration::from_millis(100);

/// The most process transitions a [`crate::reliability::unit_set::UnitSet`] may expect in 8760 h
/// (all its units, all their continuous-time processes; two transitions per failure): the cost
/// of a run grows with them, and at about 10⁹ a year a simulated year takes tens of seconds.
/// RTS-79's 32 units expect a few hundred.
pub const MAX_TRANSITIONS_PER_YEAR: f64 = 1e9;

/// The most processes one unit may have (unit `j`'s process `p` uses random stream
/// `base + 16·j + p`).
pub const MAX_PROCESSES_PER_UNIT: usize = 16;

// ---- parameters ------------------------------------------------------------------------------

/// How one unit fails and is repaired, tagged by `model`.
///
/// ```toml
/// processes = [
///   { model = "markov", mttf = "1100h", mttr = "50h" },
///   { model = "markov_per_step", failure_probability = 0.001, repair_probability = 0.02 },
///   { model = "renewal", events_per_year = 0.3, duration = { law = "lognormal", median = "8h", sigma_ln = 1.0 } },
/// ]
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case", deny_unknown_fields)]
pub enum AvailabilityProcess {
    /// Two-state Markov unit in continuous time: exponential up-times (mean `mttf`) and down-times
    /// (mean `mttr`). The initial state is drawn from the steady state (down with probability
    /// `mttr / (mttf + mttr)`, the forced outage rate) and the first sojourn from the same
    /// exponential laws (memoryless). Times are rounded to whole milliseconds, at least 1 ms.
    Markov {
        /// Mean time to failure (mean up-time, > 0).
        mttf: Duration,
        /// Mean time to repair (mean down-time, > 0).
        mttr: Duration,
    },
    /// Discrete two-state chain as in NREL PRAS: the state is constant within a step and changes
    /// only at step boundaries; an up unit fails at the end of a step with probability
    /// `failure_probability`, a down unit is repaired with probability `repair_probability`. The
    /// initial state is drawn from the chain's steady state (down with probability
    /// `p_f / (p_f + p_r)`; up if both are 0). Sojourns are geometric numbers of steps.
    MarkovPerStep {
        /// Probability that an up unit fails at a step boundary, in `[0, 1]`.
        failure_probability: f64,
        /// Probability that a down unit is repaired at a step boundary, in `[0, 1]`.
        repair_probability: f64,
    },
    /// Alternating renewal process that starts up (see [`RenewalProcess`]).
    Renewal(RenewalProcess),
}

/// An alternating renewal process that starts up: failures at `events_per_year` (per 8760 h)
/// while up, each followed by an outage whose length follows `duration`. The failure clock stops
/// while the unit is down, so the long-run event rate is `λ / (1 + λ·E[D])` per year
/// ([`RenewalProcess::mean_events_per_year`]).
///
/// This is also the grid feed's random outage process (`[[grid.random_outages.processes]]`),
/// where the rate is traditionally spelt `failures_per_year`: both spellings are accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewalProcess {
    /// Failure rate while up, per 8760 h (finite, ≥ 0; 0 disables the process). Also read
    /// from `failures_per_year`.
    #[serde(alias = "failures_per_year")]
    pub events_per_year: f64,
    /// The law of outage lengths.
    pub duration: DurationLaw,
    /// Twelve multipliers (≥ 0) of the failure rate in January … December of the time grid's
    /// calendar (its start, or 2025-01-01 when none is given). Sampled by thinning: candidate
    /// failures at `events_per_year × max(multipliers)` are kept with probability
    /// `multiplier(month) / max(multipliers)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_multipliers: Option<Vec<f64>>,
}

impl RenewalProcess {
    /// A process with rate `events_per_year`, lengths from `duration`, and no seasonality.
    pub fn new(events_per_year: f64, duration: DurationLaw) -> RenewalProcess {
        RenewalProcess {
            events_per_year,
            duration,
            monthly_multipliers: None,
        }
    }

    /// The highest failure rate while up, per 8760 h: `events_per_year` times the largest monthly
    /// multiplier (the rate at which candidate failures are drawn).
    pub fn peak_events_per_year(&self) -> f64 {
        let peak = self
            .monthly_multipliers
            .as_ref()
            .map_or(1.0, |m| m.iter().copied().fold(0.0, f64::max));
        self.events_per_year * peak
    }

    /// The long-run number of outages starting per year, `λ / (1 + λ·E[D])` with `E[D]` in
    /// years (ignoring monthly multipliers).
    pub fn mean_events_per_year(&self) -> f64 {
        let lambda = self.events_per_year;
        lambda / (1.0 + lambda * self.duration.mean_hours() / HOURS_PER_YEAR)
    }

    /// The long-run down-time per year (hours), `E[D]·λ / (1 + λ·E[D])` (ignoring monthly
    /// multipliers).
    pub fn mean_down_per_year(&self) -> crate::units::Hours {
        crate::units::Hours::h(self.duration.mean_hours() * self.mean_events_per_year())
    }
}

// ---- validated model ---------------------------------------------------------------------------

/// The time context a process samples in: the step length (for per-step chains) and the calendar
/// start (for monthly multipliers).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clock {
    /// The time step, ms.
    pub(crate) step_ms: u64,
    /// The calendar date and time of `t = 0`.
    pub(crate) start: DateTime,
}

impl Clock {
    /// The clock of a time grid.
    pub fn of(grid: &crate::time::TimeGrid) -> Clock {
        Clock {
            step_ms: grid.step().as_millis(),
            start: grid.start_or_default(),
        }
    }

    /// Calendar month (0 = January … 11 = December) at `t_ms` from the start; `None` past the
    /// calendar's end (year 9999), which lies past every horizon (the time grid checks that its
    /// horizon ends inside the calendar).
    fn month0(&self, t_ms: u64) -> Option<usize> {
        let ms = i64::try_from(t_ms).ok()?;
        let dt = self
            .start
            .checked_add(jiff::SignedDuration::from_millis(ms))
            .ok()?;
        Some((dt.month() as usize).saturating_sub(1).min(11))
    }
}

/// A uniform number in `[0, 1)`.
#[inline]
fn uniform(rng: &mut Rng) -> f64 {
    rand::Rng::random::<f64>(rng)
}

/// How a validated process draws its sojourns.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// Starts up; exponential up-times (`None`: never fails), outage lengths from `law`;
    /// optional monthly thinning (acceptance ratio per month, max 1).
    Renewal {
        up: Option<Exp<f64>>,
        law: Law,
        months: Option<[f64; 12]>,
    },
    /// Continuous two-state Markov.
    Markov {
        up: Exp<f64>,
        down: Exp<f64>,
        p_down: f64,
    },
    /// Discrete per-step chain (sojourns in whole steps).
    PerStep {
        p_f: f64,
        p_down: f64,
        /// Failures at a step boundary while up (extra steps before the failing one).
        up: Geometric,
        /// Repairs at a step boundary while down.
        down: Geometric,
    },
}

/// A validated availability process (see [`AvailabilityProcess`]). Build it with
/// [`ProcessModel::new`]; sample it infallibly with [`ProcessModel::initial`] and
/// [`ProcessModel::advance`].
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessModel {
    kind: Kind,
    /// See [`ProcessModel::transitions_per_year`].
    transitions_per_year: f64,
}

/// A process's evolving state: its generator and its current or next outage `[start, end)` in
/// milliseconds from the grid start (`u64::MAX` for never).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessState {
    rng: Rng,
    start_ms: u64,
    end_ms: u64,
}

impl ProcessState {
    /// A state whose first sojourn has not been drawn yet (never down until
    /// [`ProcessModel::start`]).
    pub(crate) fn unstarted(rng: Rng) -> ProcessState {
        ProcessState {
            rng,
            start_ms: u64::MAX,
            end_ms: u64::MAX,
        }
    }

    /// Sets the current outage (tests force a unit down with it).
    #[cfg(test)]
    pub(crate) fn set_outage(&mut self, start_ms: u64, end_ms: u64) {
        self.start_ms = start_ms;
        self.end_ms = end_ms;
    }

    /// The current (or next) outage `[start, end)`, ms from the grid start.
    pub fn outage(&self) -> (u64, u64) {
        (self.start_ms, self.end_ms)
    }
}

/// A mean time to failure or repair: at least [`MIN_MEAN_SOJOURN`] (and at most
/// [`crate::time::MAX_DURATION`], checked with the law).
fn check_mean_sojourn(field: String, d: Duration) -> Result<(), ConfigError> {
    if d < MIN_MEAN_SOJOURN {
        return Err(out_of_range(
            field,
            d.as_millis() as f64 / 1000.0,
            "a duration ≥ 100ms (value in seconds)",
        ));
    }
    Ok(())
}

/// An exponential law of mean `ms` milliseconds.
fn exp_of_mean(field: String, d: Duration) -> Result<Exp<f64>, ConfigError> {
    let ms = check_duration(field.clone(), d)? as f64;
    Exp::new(1.0 / ms).map_err(|_| out_of_range(field, ms, "a duration > 0"))
}

/// A sojourn of whole steps ≥ 1 ending at the first success of a per-step trial (`u64::MAX`,
/// never, when the probability is 0: [`Geometric`] draws `u64::MAX` failures then).
#[inline]
fn geometric_steps(law: &Geometric, rng: &mut Rng) -> u64 {
    law.sample(rng).saturating_add(1)
}

/// The smallest non-zero per-step probability: below it `1 − p` rounds towards 1 and the
/// geometric sampler (which draws through `ln(1 − p)`) stops making progress; one chance in 10¹²
/// per step is once in 30 years even at 1 ms steps, so a smaller one is written as 0 (never).
pub const MIN_STEP_PROBABILITY: f64 = 1e-12;

/// A per-step probability: 0 (never), or `MIN_STEP_PROBABILITY ≤ p ≤ 1`.
fn check_step_probability(field: String, p: f64) -> Result<f64, ConfigError> {
    let p = check_fraction(field.clone(), p)?;
    if p != 0.0 && p < MIN_STEP_PROBABILITY {
        return Err(out_of_range(field, p, "0 (never), or 1e-12 ≤ x ≤ 1"));
    }
    Ok(p)
}

impl ProcessModel {
    /// Validates `params`; errors name fields under `field` (e.g.
    /// `grid.supply_units[0].processes[1]`).
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] for a zero `mttf`/`mttr`/duration, a probability outside
    /// `[0, 1]`, a negative or non-finite rate, multiplier, shape or `sigma_ln`, multipliers that
    /// are not exactly 12, or empirical probabilities that do not sum to 1;
    /// [`ConfigError::Inconsistent`] / [`ConfigError::Missing`] for an empirical law whose lists
    /// differ in length or are empty.
    pub fn new(field: &str, params: &AvailabilityProcess) -> Result<ProcessModel, ConfigError> {
        let kind = match params {
            AvailabilityProcess::Markov { mttf, mttr } => {
                check_mean_sojourn(format!("{field}.mttf"), *mttf)?;
                check_mean_sojourn(format!("{field}.mttr"), *mttr)?;
                let up = exp_of_mean(format!("{field}.mttf"), *mttf)?;
                let down = exp_of_mean(format!("{field}.mttr"), *mttr)?;
                let (f, r) = (mttf.as_millis() as f64, mttr.as_millis() as f64);
                Kind::Markov {
                    up,
                    down,
                    p_down: r / (f + r),
                }
            }
            AvailabilityProcess::MarkovPerStep {
                failure_probability,
                repair_probability,
            } => {
                let p_f = check_step_probability(
                    format!("{field}.failure_probability"),
                    *failure_probability,
                )?;
                let p_r = check_step_probability(
                    format!("{field}.repair_probability"),
                    *repair_probability,
                )?;
                let p_down = if p_f + p_r > 0.0 {
                    p_f / (p_f + p_r)
                } else {
                    0.0
                };
                let geometric = |name: &str, p: f64| {
                    Geometric::new(p)
                        .map_err(|_| out_of_range(format!("{field}.{name}"), p, "0 ≤ x ≤ 1"))
                };
                Kind::PerStep {
                    p_f,
                    p_down,
                    up: geometric("failure_probability", p_f)?,
                    down: geometric("repair_probability", p_r)?,
                }
            }
            AvailabilityProcess::Renewal(r) => ProcessModel::renewal(field, r)?,
        };
        let transitions_per_year = match params {
            AvailabilityProcess::Markov { mttf, mttr } => {
                2.0 * MS_PER_YEAR / (mttf.as_millis() as f64 + mttr.as_millis() as f64)
            }
            AvailabilityProcess::MarkovPerStep { .. } => 0.0,
            AvailabilityProcess::Renewal(r) => 2.0 * r.peak_events_per_year(),
        };
        Ok(ProcessModel {
            kind,
            transitions_per_year,
        })
    }

    /// A renewal process (starts up). Errors name `{field}.events_per_year` (or
    /// `{field}.failures_per_year`, the spelling the grid feed's random outages document, for a
    /// field under `random_outages`), `{field}.duration…` and `{field}.monthly_multipliers…`.
    fn renewal(field: &str, r: &RenewalProcess) -> Result<Kind, ConfigError> {
        let key = if field.contains("random_outages") {
            "failures_per_year"
        } else {
            "events_per_year"
        };
        let rate_field = format!("{field}.{key}");
        let rate = check_range(
            rate_field.clone(),
            r.events_per_year,
            0.0,
            MAX_EVENTS_PER_YEAR,
            "0 ≤ x ≤ 1e4 failures per 8760 h",
        )?;
        let law = build_law(&format!("{field}.duration"), &r.duration)?;
        let (peak, months) = match &r.monthly_multipliers {
            None => (1.0, None),
            Some(m) => {
                let f = format!("{field}.monthly_multipliers");
                if m.len() != 12 {
                    return Err(out_of_range(
                        f,
                        m.len() as f64,
                        "exactly 12 values (January … December)",
                    ));
                }
                for (i, &x) in m.iter().enumerate() {
                    check_range(
                        format!("{f}[{i}]"),
                        x,
                        0.0,
                        MAX_MONTHLY_MULTIPLIER,
                        "0 ≤ x ≤ 1000",
                    )?;
                }
                let peak = m.iter().copied().fold(0.0, f64::max);
                if rate * peak > MAX_EVENTS_PER_YEAR {
                    return Err(out_of_range(
                        f,
                        peak,
                        "multipliers whose largest times events_per_year is ≤ 1e4 per 8760 h",
                    ));
                }
                let mut ratio = [0.0; 12];
                for (q, &x) in ratio.iter_mut().zip(m) {
                    *q = if peak > 0.0 { x / peak } else { 0.0 };
                }
                (peak, Some(ratio))
            }
        };
        let candidate_rate = rate * peak;
        let up = if candidate_rate > 0.0 {
            Some(
                Exp::new(candidate_rate / MS_PER_YEAR)
                    .map_err(|_| out_of_range(rate_field, rate, "a finite number ≥ 0"))?,
            )
        } else {
            None
        };
        Ok(Kind::Renewal { up, law, months })
    }

    /// An upper bound of the transitions (failures and repairs, and thinned candidate failures)
    /// one unit's process draws per 8760 h; 0 for per-step chains, whose transitions happen only
    /// at step boundaries and so cost at most one per step.
    pub(crate) fn transitions_per_year(&self) -> f64 {
        self.transitions_per_year
    }

    /// Whether the process can ever be down.
    pub fn can_fail(&self) -> bool {
        match &self.kind {
            Kind::Renewal { up, .. } => up.is_some(),
            Kind::Markov { .. } => true,
            Kind::PerStep { p_f, p_down, .. } => *p_f > 0.0 || *p_down > 0.0,
        }
    }

    /// An up-time starting at `from` (ms): the start of the next outage.
    #[inline]
    fn next_failure(&self, from: u64, rng: &mut Rng, clock: &Clock) -> u64 {
        match &self.kind {
            Kind::Renewal { up, months, .. } => {
                let Some(exp) = up else { return u64::MAX };
                match months {
                    None => from.saturating_add(whole_ms(exp.sample(rng))),
                    Some(ratio) => {
                        let mut t = from;
                        loop {
                            t = t.saturating_add(whole_ms(exp.sample(rng)));
                            // Past the calendar's end (and so past the horizon) a failure is
                            // taken as it comes: thinning there by the last month's ratio
                            // could take billions of draws (found by the fuzzer, a start in
                            // 9999-12-31 with December's multiplier at its 1e-9 floor).
                            let Some(month) = clock.month0(t) else {
                                return t;
                            };
                            if uniform(rng) < ratio[month] {
                                return t;
                            }
                        }
                    }
                }
            }
            Kind::Markov { up, .. } => from.saturating_add(whole_ms(up.sample(rng)).max(1)),
            Kind::PerStep { up, .. } => {
                from.saturating_add(geometric_steps(up, rng).saturating_mul(clock.step_ms))
            }
        }
    }

    /// An outage length (ms).
    #[inline]
    fn outage_length(&self, rng: &mut Rng, clock: &Clock) -> u64 {
        match &self.kind {
            Kind::Renewal { law, .. } => law.sample(rng),
            Kind::Markov { down, .. } => whole_ms(down.sample(rng)).max(1),
            Kind::PerStep { down, .. } => geometric_steps(down, rng).saturating_mul(clock.step_ms),
        }
    }

    /// The state at `t = 0`, drawing from `rng`: renewal processes start up; Markov processes
    /// start in their steady state.
    pub fn initial(&self, rng: Rng, clock: &Clock) -> ProcessState {
        let mut s = ProcessState::unstarted(rng);
        self.start(&mut s, clock);
        s
    }

    /// Draws the state at `t = 0` into `s` (see [`ProcessModel::initial`]).
    pub(crate) fn start(&self, s: &mut ProcessState, clock: &Clock) {
        let rng = &mut s.rng;
        let starts_down = match &self.kind {
            Kind::Renewal { up, .. } => {
                // A process that never fails draws nothing.
                if up.is_none() {
                    s.start_ms = u64::MAX;
                    s.end_ms = u64::MAX;
                    return;
                }
                false
            }
            Kind::Markov { p_down, .. } | Kind::PerStep { p_down, .. } => uniform(rng) < *p_down,
        };
        s.start_ms = if starts_down {
            0
        } else {
            self.next_failure(0, rng, clock)
        };
        s.end_ms = if s.start_ms == u64::MAX {
            u64::MAX
        } else {
            s.start_ms.saturating_add(self.outage_length(rng, clock))
        };
    }

    /// Replaces the current outage by the next one.
    #[inline]
    pub fn advance(&self, s: &mut ProcessState, clock: &Clock) {
        if s.end_ms == u64::MAX {
            s.start_ms = u64::MAX;
            return;
        }
        s.start_ms = self.next_failure(s.end_ms, &mut s.rng, clock);
        if s.start_ms == u64::MAX {
            s.end_ms = u64::MAX;
        } else {
            s.end_ms = s
                .start_ms
                .saturating_add(self.outage_length(&mut s.rng, clock));
        }
    }

    /// Down-time (ms) of this process in `[t0, t1)`, advancing past outages that end in it.
    /// Requires `s.end_ms > t0`; leaves `s.end_ms > t1` (or never).
    #[inline]
    pub(crate) fn down_in(&self, s: &mut ProcessState, clock: &Clock, t0: u64, t1: u64) -> u64 {
        let mut down = 0;
        while s.start_ms < t1 {
            let from = s.start_ms.max(t0);
            let to = s.end_ms.min(t1);
            down += to.saturating_sub(from);
            if s.end_ms > t1 {
                break;
            }
            self.advance(s, clock);
        }
        down
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng;
    use crate::time::TimeGrid;

    /// Statistical checks pass within this many standard errors.
    const N_SE: f64 = 4.0;

    fn hourly_clock() -> Clock {
        Clock::of(&TimeGrid::with_steps(Duration::from_hours(1), 1).unwrap())
    }

    fn mean_se(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
        (m, (var / n).sqrt())
    }

    fn assert_within(got: f64, want: f64, se: f64, what: &str) {
        assert!(
            (got - want).abs() <= N_SE * se,
            "{what}: {got} vs {want} (se {se})"
        );
    }

    /// Up sojourns and down sojourns (ms) of one long history, plus down-time until `until`.
    fn history(
        m: &ProcessModel,
        seed: u64,
        clock: &Clock,
        until: u64,
    ) -> (Vec<f64>, Vec<f64>, u64) {
        let mut s = m.initial(rng::stream(seed, 0), clock);
        let (mut ups, mut downs, mut down_total) = (vec![], vec![], 0);
        let mut last_end = 0;
        while s.start_ms < until {
            if s.start_ms > 0 {
                ups.push((s.start_ms - last_end) as f64);
            }
            downs.push((s.end_ms - s.start_ms) as f64);
            down_total += s.end_ms.min(until) - s.start_ms;
            last_end = s.end_ms;
            m.advance(&mut s, clock);
        }
        (ups, downs, down_total)
    }

    #[test]
    fn markov_sojourns_and_unavailability() {
        let clock = hourly_clock();
        let (mttf, mttr) = (Duration::from_hours(450), Duration::from_hours(50));
        let m = ProcessModel::new("p", &AvailabilityProcess::Markov { mttf, mttr }).unwrap();
        let until = 20_000 * 8760 * MS_PER_HOUR;
        let (ups, downs, down) = history(&m, 1, &clock, until);
        let (mu, su) = mean_se(&ups);
        assert_within(mu, mttf.as_millis() as f64, su, "mean up");
        let (md, sd) = mean_se(&downs);
        assert_within(md, mttr.as_millis() as f64, sd, "mean down");
        // Unavailability: the renewal-reward ratio, with an SE from the cycle count.
        let u = down as f64 / until as f64;
        let want = 0.1;
        let se = want * (1.0 - want) * (2.0 / downs.len() as f64).sqrt();
        assert_within(u, want, se, "unavailability");

        // Initial state frequency over many seeds ≈ FOR.
        let n = 40_000;
        let down0 = (0..n)
            .filter(|&i| m.initial(rng::stream(i, 3), &clock).start_ms == 0)
            .count() as f64
            / n as f64;
        assert_within(down0, want, (want * (1.0 - want) / n as f64).sqrt(), "FOR");
    }

    #[test]
    fn per_step_chain_is_geometric_and_steady() {
        let clock = hourly_clock();
        let (p_f, p_r) = (0.01, 0.09);
        let m = ProcessModel::new(
            "p",
            &AvailabilityProcess::MarkovPerStep {
                failure_probability: p_f,
                repair_probability: p_r,
            },
        )
        .unwrap();
        let until = 5_000 * 8760 * MS_PER_HOUR;
        let (ups, downs, down) = history(&m, 2, &clock, until);
        let step = clock.step_ms as f64;
        assert!(ups.iter().chain(&downs).all(|x| x % step == 0.0));
        let (mu, su) = mean_se(&ups);
        assert_within(mu / step, 1.0 / p_f, su / step, "geometric up");
        let (md, sd) = mean_se(&downs);
        assert_within(md / step, 1.0 / p_r, sd / step, "geometric down");
        let want = p_f / (p_f + p_r);
        let u = down as f64 / until as f64;
        let se = want * (1.0 - want) * (2.0 * 10.0 / downs.len() as f64).sqrt();
        assert_within(u, want, se, "steady state");
        let n = 40_000;
        let down0 = (0..n)
            .filter(|&i| m.initial(rng::stream(i, 4), &clock).start_ms == 0)
            .count() as f64
            / n as f64;
        assert_within(
            down0,
            want,
            (want * (1.0 - want) / n as f64).sqrt(),
            "initial",
        );
    }

    #[test]
    fn renewal_laws_have_the_right_mean() {
        let clock = hourly_clock();
        for law in [
            DurationLaw::Weibull {
                shape: 0.7,
                scale: Duration::from_hours(3),
            },
            DurationLaw::Weibull {
                shape: 2.5,
                scale: Duration::from_hours(3),
            },
            DurationLaw::Empirical {
                durations: vec![
                    Duration::from_hours(1),
                    Duration::from_hours(8),
                    Duration::from_hours(72),
                ],
                probabilities: vec![0.7, 0.25, 0.05],
            },
        ] {
            let p = AvailabilityProcess::Renewal(RenewalProcess::new(50.0, law.clone()));
            let m = ProcessModel::new("p", &p).unwrap();
            let (_, downs, _) = history(&m, 5, &clock, 2_000 * 8760 * MS_PER_HOUR);
            let (md, sd) = mean_se(&downs);
            assert_within(
                md / MS_PER_HOUR as f64,
                law.mean_hours(),
                sd / MS_PER_HOUR as f64,
                "mean duration",
            );
            if let DurationLaw::Empirical { durations, .. } = &law {
                let allowed: Vec<f64> = durations.iter().map(|d| d.as_millis() as f64).collect();
                assert!(downs.iter().all(|d| allowed.contains(d)));
            }
        }
    }

    #[test]
    fn monthly_multipliers_confine_failures_to_july() {
        let clock = hourly_clock();
        let mut mult = vec![0.0; 12];
        mult[6] = 12.0;
        let p = AvailabilityProcess::Renewal(RenewalProcess {
            events_per_year: 5.0,
            duration: DurationLaw::Fixed {
                duration: Duration::from_hours(1),
            },
            monthly_multipliers: Some(mult),
        });
        let m = ProcessModel::new("p", &p).unwrap();
        let mut s = m.initial(rng::stream(9, 0), &clock);
        let until = 40 * 8760 * MS_PER_HOUR;
        let mut n = 0;
        while s.start_ms < until {
            assert_eq!(clock.month0(s.start_ms), Some(6), "failure outside July");
            n += 1;
            m.advance(&mut s, &clock);
        }
        // ≈ 5 × 12 × 31/365 ≈ 5.1 per year.
        assert!(n > 100, "{n}");
    }

    fn field_of(p: AvailabilityProcess) -> String {
        match ProcessModel::new("x", &p) {
            Err(ConfigError::OutOfRange { field, .. })
            | Err(ConfigError::Inconsistent { field, .. })
            | Err(ConfigError::Missing { field, .. }) => field,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn validation_names_the_field() {
        let h = Duration::from_hours(1);
        assert_eq!(
            field_of(AvailabilityProcess::Markov {
                mttf: Duration::ZERO,
                mttr: h
            }),
            "x.mttf"
        );
        assert_eq!(
            field_of(AvailabilityProcess::MarkovPerStep {
                failure_probability: 1.5,
                repair_probability: 0.1
            }),
            "x.failure_probability"
        );
        // A probability so small that 1 − p rounds to 1 would stall the geometric sampler.
        for tiny in [5e-324, 1e-300, 1e-13] {
            assert_eq!(
                field_of(AvailabilityProcess::MarkovPerStep {
                    failure_probability: 0.1,
                    repair_probability: tiny
                }),
                "x.repair_probability"
            );
        }
        // 0 (never) and the smallest allowed are accepted.
        for ok in [0.0, MIN_STEP_PROBABILITY] {
            assert!(ProcessModel::new(
                "x",
                &AvailabilityProcess::MarkovPerStep {
                    failure_probability: ok,
                    repair_probability: 0.1
                }
            )
            .is_ok());
        }
        let renewal = |law, mult| {
            AvailabilityProcess::Renewal(RenewalProcess {
                events_per_year: 1.0,
                duration: law,
                monthly_multipliers: mult,
            })
        };
        let fixed = DurationLaw::Fixed { duration: h };
        assert_eq!(
            field_of(renewal(
                DurationLaw::Weibull {
                    shape: 0.0,
                    scale: h
                },
                None
            )),
            "x.duration.shape"
        );
        assert_eq!(
            field_of(renewal(
                DurationLaw::Empirical {
                    durations: vec![h, h],
                    probabilities: vec![0.5, 0.4]
                },
                None
            )),
            "x.duration.probabilities"
        );
        assert_eq!(
            field_of(renewal(
                DurationLaw::Empirical {
                    durations: vec![h, Duration::ZERO],
                    probabilities: vec![0.5, 0.5]
                },
                None
            )),
            "x.duration.durations[1]"
        );
        assert_eq!(
            field_of(renewal(fixed.clone(), Some(vec![1.0; 11]))),
            "x.monthly_multipliers"
        );
        let mut neg = vec![1.0; 12];
        neg[3] = -1.0;
        assert_eq!(
            field_of(renewal(fixed, Some(neg))),
            "x.monthly_multipliers[3]"
        );
    }

    #[test]
    fn serde_forms() {
        let ln: DurationLaw =
            toml::from_str("law = \"lognormal\"\nmedian = \"1h\"\nsigma_ln = 1.0").unwrap();
        assert!(matches!(ln, DurationLaw::LogNormal { .. }));
        let e: DurationLaw = toml::from_str(
            "law = \"empirical\"\ndurations = [\"1h\", \"8h\"]\nprobabilities = [0.9, 0.1]",
        )
        .unwrap();
        assert!((e.mean_hours() - 1.7).abs() < 1e-12);
        // The grid's spelling of the rate is accepted too.
        let r: AvailabilityProcess = toml::from_str(
            "model = \"renewal\"\nfailures_per_year = 2.0\nduration = { law = \"fixed\", duration = \"1h\" }",
        )
        .unwrap();
        assert!(
            matches!(r, AvailabilityProcess::Renewal(RenewalProcess { events_per_year, .. }) if events_per_year == 2.0)
        );
        for bad in [
            "model = \"markov\"\nmttf = \"1h\"\nmttr = \"1h\"\nmtbf = \"1h\"",
            "model = \"markov_per_step\"\nfailure_probability = 0.1\nrepair_probability = 0.1\nx = 1",
            "model = \"renewal\"\nevents_per_year = 1.0\nduration = { law = \"weibull\", shape = 1.0, scale = \"1h\", mean = \"1h\" }",
            "model = \"semi_markov\"",
        ] {
            let err = toml::from_str::<AvailabilityProcess>(bad)
                .expect_err(bad)
                .to_string();
            assert!(
                err.contains("unknown field") || err.contains("unknown variant"),
                "{bad}: {err}"
            );
        }
    }
}
