//! The ambient temperature of a run, validated: the one hourly series every component that
//! follows the weather reads (the load's PUE curve; see [`crate::components::load`]).
//!
//! A scenario states it as an [`AmbientSource`], the same grammar as `[battery.thermal]`'s
//! `ambient` key: a constant (`25.0`, °C), `"austin_synthetic"` (the representative Austin year
//! of [`AmbientProfile::austin`]), a synthetic year (`{ synthetic = { … } }`) or an hourly CSV
//! trace (`{ trace = "file.csv", column = "temp_c" }`). A bundled or synthetic year starts at
//! the run's calendar start (its hour of the year, 1 January 00:00 being hour 0) and repeats; a
//! trace's row 0 is the run's first hour, and it repeats after its last row.
//!
//! (The battery's lifetime models keep their own validated copy of the same semantics, written
//! before this module; moving them onto [`Ambient`] is a small follow-up.)

pub use crate::components::battery::lifetime::{
    AmbientSource, AmbientTrace, NamedAmbient, SyntheticAmbient,
};
pub use crate::components::battery::thermal::{AmbientProfile, MAX_AMBIENT_C, MIN_AMBIENT_C};
use crate::error::{check_range, ConfigError};
use crate::time::TimeGrid;

/// An ambient temperature validated for one run's time grid: immutable, and
/// [`Ambient::at_hour`] is a lookup.
#[derive(Debug, Clone, PartialEq)]
pub enum Ambient {
    /// The same temperature at every hour, °C.
    Constant(f64),
    /// One value per hour from the run's first hour (a year shifted to the calendar start, or
    /// a trace), repeating, °C.
    Hourly(Vec<f64>),
}

impl Ambient {
    /// Validates `source` for a run on `time`; errors name `field` (e.g. `load.pue.ambient`).
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] for a temperature outside `[−70, 60]` °C (a trace's row as
    /// `field.trace[i]`) and the synthetic year's errors; [`ConfigError::Missing`] for a trace
    /// that was not read or has no rows.
    pub fn new(
        source: &AmbientSource,
        field: &str,
        time: &TimeGrid,
    ) -> Result<Ambient, ConfigError> {
        let year = |values: &[f64]| {
            let start = time.start_or_default();
            let day = u64::from(start.day_of_year_no_leap().unwrap_or(59).unsigned_abs()) - 1;
            let offset = (day * 24 + u64::from(start.hour().unsigned_abs())) as usize;
            let n = values.len();
            Ambient::Hourly((0..n).map(|h| values[(h + offset) % n]).collect())
        };
        Ok(match source {
            AmbientSource::Constant(t) => Ambient::Constant(check_range(
                field,
                *t,
                MIN_AMBIENT_C,
                MAX_AMBIENT_C,
                "−70 ≤ x ≤ 60 °C",
            )?),
            AmbientSource::Named(NamedAmbient::AustinSynthetic) => {
                year(AmbientProfile::austin().hourly_c())
            }
            AmbientSource::Synthetic(s) => {
                year(AmbientProfile::synthetic(&s.synthetic)?.hourly_c())
            }
            AmbientSource::Trace(t) => {
                let values = t.data.as_ref().ok_or_else(|| ConfigError::Missing {
                    field: format!("{field}.trace"),
                    why: "the trace was not read (load the scenario with Scenario::load, or \
                          call LoadParams::load_files)",
                })?;
                if values.is_empty() {
                    return Err(ConfigError::Missing {
                        field: format!("{field}.trace"),
                        why: "the ambient trace has no rows",
                    });
                }
                for (i, &v) in values.iter().enumerate() {
                    check_range(
                        format!("{field}.trace[{i}]"),
                        v,
                        MIN_AMBIENT_C,
                        MAX_AMBIENT_C,
                        "−70 ≤ x ≤ 60 °C",
                    )?;
                }
                Ambient::Hourly(values.clone())
            }
        })
    }

    /// The temperature over the whole hour `hour` from the run's start, °C.
    #[inline]
    pub fn at_hour(&self, hour: u64) -> f64 {
        match self {
            Ambient::Constant(t) => *t,
            Ambient::Hourly(v) => v[(hour % v.len() as u64) as usize],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Duration;

    #[test]
    fn a_year_starts_at_the_calendar_start_and_a_trace_at_the_run_start() {
        let grid = TimeGrid::new(Duration::from_hours(1), Duration::from_days(2))
            .unwrap()
            .try_starting_at("2025-02-01T06:00:00".parse().unwrap())
            .unwrap();
        let a = Ambient::new(
            &AmbientSource::Named(NamedAmbient::AustinSynthetic),
            "x",
            &grid,
        )
        .unwrap();
        let austin = AmbientProfile::austin();
        assert_eq!(a.at_hour(0), austin.at_hour(31 * 24 + 6));
        assert_eq!(a.at_hour(5), austin.at_hour(31 * 24 + 11));
        let t = AmbientSource::Trace(AmbientTrace {
            trace: "t.csv".into(),
            column: None,
            data: Some(vec![1.0, 2.0]),
        });
        let a = Ambient::new(&t, "x", &grid).unwrap();
        assert_eq!((a.at_hour(0), a.at_hour(3)), (1.0, 2.0));
        let e = Ambient::new(&AmbientSource::Constant(99.0), "load.pue.ambient", &grid);
        assert!(e.unwrap_err().to_string().contains("load.pue.ambient"));
    }
}
