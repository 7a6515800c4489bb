//! The integer time grid: `steps` steps of a fixed `step` (a whole number of milliseconds), with
//! an optional calendar start. Step `k` covers `[start + k·step, start + (k+1)·step)`.

use crate::error::ConfigError;
use crate::units::{Duration, Hours};
use jiff::civil::DateTime;
use serde::{Deserialize, Serialize};

/// The calendar start assumed when a scenario gives none: 2025-01-01 00:00 (a non-leap year that
/// starts on a Wednesday). It only matters for calendar-aware profiles and statistics (hour of
/// day, month).
pub const DEFAULT_START: DateTime = jiff::civil::date(2025, 1, 1).at(0, 0, 0, 0);

/// The longest duration a scenario may state — a horizon, an outage window, a repair time, a
/// mean time to failure, a swing period: 1000 years of 365 days. No study or component life comes
/// near it, yet it keeps every `start + duration` far inside 64-bit milliseconds (2^64 ms ≈ 585
/// million years) and inside the calendar (see [`TimeGrid::check_calendar`]).
pub const MAX_DURATION: Duration = Duration::from_days(365 * 1000);

/// The allowed range of [`MAX_DURATION`]-bounded durations, in words.
const MAX_DURATION_WORDS: &str = "a duration ≤ 1000 years (365,000 days)";

/// Checks that `d ≤` [`MAX_DURATION`]; the error's value is in hours.
///
/// # Errors
/// [`ConfigError::OutOfRange`] naming `field`.
pub(crate) fn check_max_duration(
    field: impl Into<String>,
    d: Duration,
) -> Result<u64, ConfigError> {
    if d <= MAX_DURATION {
        Ok(d.as_millis())
    } else {
        Err(ConfigError::OutOfRange {
            field: field.into(),
            value: d.hours().value(),
            allowed: MAX_DURATION_WORDS,
        })
    }
}

/// A fixed-step time grid.
///
/// ```
/// use ridethrough::time::TimeGrid;
/// use ridethrough::units::Duration;
/// let grid = TimeGrid::new(Duration::from_minutes(15), Duration::from_days(1))?;
/// assert_eq!(grid.steps(), 96);
/// assert_eq!(grid.offset(4), Duration::from_hours(1));
/// # Ok::<(), ridethrough::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeGrid {
    step: Duration,
    steps: u64,
    start: Option<DateTime>,
}

impl TimeGrid {
    /// A grid of `horizon / step` steps.
    ///
    /// # Errors
    /// [`ConfigError::ZeroStep`] for a zero step, [`ConfigError::HorizonNotMultiple`] when the
    /// horizon is not a whole (and non-zero) number of steps, [`ConfigError::OutOfRange`] naming
    /// `time.horizon` for a horizon above [`MAX_DURATION`].
    pub fn new(step: Duration, horizon: Duration) -> Result<TimeGrid, ConfigError> {
        if step.is_zero() {
            return Err(ConfigError::ZeroStep);
        }
        check_max_duration("time.horizon", horizon)?;
        let (ms, s) = (horizon.as_millis(), step.as_millis());
        if ms == 0 || ms % s != 0 {
            return Err(ConfigError::HorizonNotMultiple { horizon, step });
        }
        Ok(TimeGrid {
            step,
            steps: ms / s,
            start: None,
        })
    }

    /// A grid of exactly `steps` steps.
    ///
    /// # Errors
    /// [`ConfigError::ZeroStep`] for a zero step; [`ConfigError::OutOfRange`] for zero steps or a
    /// horizon `steps·step` above [`MAX_DURATION`].
    pub fn with_steps(step: Duration, steps: u64) -> Result<TimeGrid, ConfigError> {
        if step.is_zero() {
            return Err(ConfigError::ZeroStep);
        }
        if steps == 0 || !matches!(step.checked_mul(steps), Some(h) if h <= MAX_DURATION) {
            return Err(ConfigError::OutOfRange {
                field: "time.steps".into(),
                value: steps as f64,
                allowed: "1 ≤ steps and steps·step ≤ 1000 years",
            });
        }
        Ok(TimeGrid {
            step,
            steps,
            start: None,
        })
    }

    /// The same grid with a calendar start. The calendar is checked when a model is built for the
    /// grid ([`TimeGrid::check_calendar`]); [`TimeGrid::try_starting_at`] checks it at once.
    pub fn starting_at(mut self, start: DateTime) -> TimeGrid {
        self.start = Some(start);
        self
    }

    /// The same grid with a calendar start, checked with [`TimeGrid::check_calendar`].
    ///
    /// # Errors
    /// As [`TimeGrid::check_calendar`].
    pub fn try_starting_at(self, start: DateTime) -> Result<TimeGrid, ConfigError> {
        let grid = self.starting_at(start);
        grid.check_calendar()?;
        Ok(grid)
    }

    /// Checks that the whole horizon lies in the calendar: `start + horizon` is no later than
    /// jiff's last date, 9999-12-31 (calendar lookups past it would otherwise be clamped).
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `time.start`, with the start's year as the value.
    pub fn check_calendar(&self) -> Result<(), ConfigError> {
        let start = self.start_or_default();
        let fits = i64::try_from(self.horizon().as_millis())
            .ok()
            .and_then(|ms| {
                start
                    .checked_add(jiff::SignedDuration::from_millis(ms))
                    .ok()
            })
            .is_some();
        if fits {
            Ok(())
        } else {
            Err(ConfigError::OutOfRange {
                field: "time.start".into(),
                value: f64::from(start.year()),
                allowed: "a start year whose start + time.horizon ends by 9999-12-31",
            })
        }
    }

    /// The step length.
    #[inline]
    pub fn step(&self) -> Duration {
        self.step
    }
    /// The step length in hours.
    #[inline]
    pub fn step_hours(&self) -> Hours {
        self.step.hours()
    }
    /// The number of steps.
    #[inline]
    pub fn steps(&self) -> u64 {
        self.steps
    }
    /// The whole horizon, `steps · step`.
    #[inline]
    pub fn horizon(&self) -> Duration {
        self.step * self.steps
    }
    /// The calendar start, if one was given.
    pub fn start(&self) -> Option<DateTime> {
        self.start
    }
    /// The calendar start, or [`DEFAULT_START`].
    pub fn start_or_default(&self) -> DateTime {
        self.start.unwrap_or(DEFAULT_START)
    }
    /// Time from the start of the grid to the start of step `k`.
    #[inline]
    pub fn offset(&self, k: u64) -> Duration {
        self.step * k
    }
    /// Milliseconds from local midnight to the grid's start (0 when there is no calendar start).
    pub fn start_ms_of_day(&self) -> u64 {
        let t = self.start_or_default().time();
        (t.hour() as u64 * 3_600 + t.minute() as u64 * 60 + t.second() as u64) * 1_000
            + t.subsec_nanosecond() as u64 / 1_000_000
    }
    /// Hour of day (0..24) at the start of step `k`.
    pub fn hour_of_day(&self, k: u64) -> u8 {
        (((self.start_ms_of_day() + self.offset(k).as_millis()) / 3_600_000) % 24) as u8
    }
    /// The calendar date and time at the start of step `k` (from [`TimeGrid::start_or_default`]).
    pub fn datetime(&self, k: u64) -> DateTime {
        let ms = self.offset(k).as_millis() as i64;
        self.start_or_default()
            .checked_add(jiff::SignedDuration::from_millis(ms))
            .unwrap_or(DateTime::MAX)
    }
    /// Month (1..=12) at the start of step `k`.
    pub fn month(&self, k: u64) -> u8 {
        self.datetime(k).month() as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_of_common_resolutions() {
        let year = Duration::from_days(365);
        for (step, n) in [
            ("100ms", 315_360_000),
            ("1s", 31_536_000),
            ("1m", 525_600),
            ("15m", 35_040),
            ("1h", 8_760),
        ] {
            let g = TimeGrid::new(step.parse().unwrap(), year).unwrap();
            assert_eq!(g.steps(), n, "{step}");
            assert_eq!(g.horizon(), year);
        }
    }

    #[test]
    fn bad_grids_are_errors() {
        assert!(matches!(
            TimeGrid::new(Duration::ZERO, Duration::from_days(1)),
            Err(ConfigError::ZeroStep)
        ));
        assert!(matches!(
            TimeGrid::new(Duration::from_minutes(7), Duration::from_hours(1)),
            Err(ConfigError::HorizonNotMultiple { .. })
        ));
        assert!(matches!(
            TimeGrid::with_steps(Duration::from_hours(1), 0),
            Err(ConfigError::OutOfRange { .. })
        ));
    }

    #[test]
    fn calendar_lookups() {
        let g = TimeGrid::new(Duration::from_hours(1), Duration::from_days(365))
            .unwrap()
            .starting_at(jiff::civil::date(2025, 3, 1).at(6, 0, 0, 0));
        assert_eq!(g.hour_of_day(0), 6);
        assert_eq!(g.hour_of_day(20), 2);
        assert_eq!(g.month(0), 3);
        assert_eq!(g.month(31 * 24), 4);
        let plain = TimeGrid::new(Duration::from_hours(1), Duration::from_days(365)).unwrap();
        assert_eq!(plain.month(8759), 12);
        assert_eq!(plain.hour_of_day(8759), 23);
    }
}
