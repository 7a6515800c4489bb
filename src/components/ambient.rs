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
//! Both the load's PUE curve and the battery's temperature-driven models
//! ([`crate::components::battery::lifetime`]) read it through [`Ambient`]: one validation, one
//! calendar rule.

pub use crate::components::battery::lifetime::{
    AmbientSource, AmbientTrace, NamedAmbient, SyntheticAmbient,
};
pub use crate::components::battery::thermal::{AmbientProfile, MAX_AMBIENT_C, MIN_AMBIENT_C};
use crate::error::{check_range, ConfigError};
use crate::time::TimeGrid;

/// A validated ambient temperature (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub enum Ambient {
    /// The same temperature every hour, °C.
    Constant(f64),
    /// An hourly year (repeating) and the hour of it at which the run starts
    /// ([`Ambient::start_at`]).
    Hourly {
        /// The year's hours, °C.
        values: Vec<f64>,
        /// The hour of the year at which the run starts.
        offset_h: u64,
    },
    /// An hourly trace from the run's start (repeating), °C.
    Trace(Vec<f64>),
}

impl Ambient {
    /// Validates `source` (errors name `field`, or `{field}.trace[i]` for a trace's row) for a
    /// run on `time`: [`Ambient::validate`], then [`Ambient::start_at`].
    ///
    /// # Errors
    /// As [`Ambient::validate`].
    pub fn new(
        source: &AmbientSource,
        field: &str,
        time: &TimeGrid,
    ) -> Result<Ambient, ConfigError> {
        let mut a = Ambient::validate(source, field)?;
        a.start_at(time);
        Ok(a)
    }

    /// Validates `source`: a constant or every row of a trace in [`MIN_AMBIENT_C`] ≤ x ≤
    /// [`MAX_AMBIENT_C`], a synthetic year's parameters, a trace that was read and has rows. A
    /// year starts at its hour 0 until [`Ambient::start_at`] moves it to a run's start.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `field` (or `{field}.trace[i]`), the value and the
    /// range; [`ConfigError::Missing`] for a trace not read or without rows; a synthetic year's
    /// errors.
    pub fn validate(source: &AmbientSource, field: &str) -> Result<Ambient, ConfigError> {
        Ok(match source {
            AmbientSource::Constant(t) => Ambient::Constant(check_range(
                field,
                *t,
                MIN_AMBIENT_C,
                MAX_AMBIENT_C,
                "−70 ≤ x ≤ 60 °C",
            )?),
            AmbientSource::Named(NamedAmbient::AustinSynthetic) => Ambient::Hourly {
                values: AmbientProfile::austin().hourly_c().to_vec(),
                offset_h: 0,
            },
            AmbientSource::Synthetic(s) => Ambient::Hourly {
                values: AmbientProfile::synthetic(&s.synthetic)?.hourly_c().to_vec(),
                offset_h: 0,
            },
            AmbientSource::Trace(t) => {
                let values = t.data.as_ref().ok_or_else(|| ConfigError::Missing {
                    field: format!("{field}.trace"),
                    why: "the trace was not read (load the scenario with Scenario::load, or \
                          call load_files on the parameters that name it)",
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
                // Row 0 is the run's first hour: no calendar offset.
                Ambient::Trace(values.clone())
            }
        })
    }

    /// Sets the hour of an hourly year at which a run on `time` starts: its calendar start's
    /// hour of the year (1 January 00:00 being 0; 29 February counts as 28 February; a grid
    /// without a calendar start starts on 1 January).
    pub fn start_at(&mut self, time: &TimeGrid) {
        if let Ambient::Hourly { offset_h, .. } = self {
            let start = time.start_or_default();
            let day = u64::from(start.day_of_year_no_leap().unwrap_or(59).unsigned_abs()) - 1;
            *offset_h = day * 24 + u64::from(start.hour().unsigned_abs());
        }
    }

    /// The temperature over the whole hour `hour` (from the run's start), °C.
    #[inline]
    pub fn at_hour(&self, hour: u64) -> f64 {
        match self {
            Ambient::Constant(t) => *t,
            Ambient::Hourly { values, offset_h } => {
                values[((hour + offset_h) % values.len() as u64) as usize]
            }
            Ambient::Trace(values) => values[(hour % values.len() as u64) as usize],
        }
    }

    /// Hours in one repetition of the series from the run's start (`None`: a constant).
    pub fn period_h(&self) -> Option<u64> {
        match self {
            Ambient::Constant(_) => None,
            Ambient::Hourly { values, .. } | Ambient::Trace(values) => Some(values.len() as u64),
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
