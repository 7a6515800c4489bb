//! The `[load]` table of a scenario ([`LoadParams`], [`ItProfile`] and the profiles), reading
//! trace files, and validation: each profile checks its fields into a crate-private validated
//! form (integer milliseconds, MW as `f64`) from which [`super::LoadModel`] compiles the
//! evaluators. Checks that depend on the time grid (a trace covering the horizon) are made when
//! the model is built.

use super::pue::Pue;
use super::tiers::{ItTier, TierParams};
use crate::components::ambient::AmbientSource;
use crate::components::limits::check_power;
use crate::error::{check_fraction, ConfigError};
use crate::time::check_max_duration;
use crate::units::{Duration, Fraction, Power};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The PUE assumed when a scenario gives none: a new large build (DOMAIN: industry average 1.56,
/// new large builds ≈ 1.3).
pub const DEFAULT_PUE: f64 = 1.3;

/// The smallest PUE accepted: every watt of IT costs at least a watt at the meter.
pub const MIN_PUE: f64 = 1.0;

/// The largest PUE accepted (a plausibility bound; the worst facilities are near 3).
pub const MAX_PUE: f64 = 5.0;

/// Parameters of the datacenter load: the `[load]` table of a scenario file. Validated by
/// [`LoadModel::new`](super::LoadModel::new).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadParams {
    /// Power usage effectiveness, facility power ÷ IT power: a constant plain ratio,
    /// [`MIN_PUE`] ≤ pue ≤ [`MAX_PUE`] (1 ≤ pue ≤ 5), or a curve of the ambient temperature
    /// (see [`super::pue`]). Defaults to the constant [`DEFAULT_PUE`].
    #[serde(default)]
    pub pue: Pue,
    /// The IT load profiles, summed; at least one. Their summed peaks × `pue` (the facility
    /// peak) may not exceed [`MAX_POWER_MW`](crate::components::limits::MAX_POWER_MW).
    pub it: Vec<ItProfile>,
    /// How the load splits into tiers and sheds them (see [`super::tiers`]); absent, and no
    /// profile `deferrable`: one tier, as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<TierParams>,
}

/// One component of the IT load. In TOML, an element of `[[load.it]]` with a `kind` key
/// (`"constant"`, `"training_swing"`, `"daily"` or `"trace"`) beside the variant's own keys.
/// Unknown keys are rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ItProfile {
    /// A constant IT power.
    Constant(ConstantProfile),
    /// A synchronous-training power swing, with optional checkpoint dips.
    TrainingSwing(TrainingSwing),
    /// A 24-hour shape, repeated every day.
    Daily(DailyShape),
    /// A measured or synthetic trace read from CSV.
    Trace(LoadTrace),
}

/// A constant IT power.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstantProfile {
    /// The IT power, `0 ≤ x ≤` [`MAX_POWER_MW`](crate::components::limits::MAX_POWER_MW).
    pub it_mw: Power,
    /// The tier of this IT (`"critical"`, the default, or `"deferrable"`; see
    /// [`super::tiers`]).
    #[serde(default, skip_serializing_if = "ItTier::is_critical")]
    pub tier: ItTier,
}

/// The power swing of synchronous AI training: every iteration alternates a compute phase (GPUs
/// near full power) and a communication phase (near idle).
///
/// Each period `P` is, with `D = round(duty·P)` whole milliseconds and `r = ramp`:
///
/// | interval      | power                    |
/// |---------------|--------------------------|
/// | `[0, r)`      | linear ramp low → high   |
/// | `[r, D)`      | high                     |
/// | `[D, D + r)`  | linear ramp high → low   |
/// | `[D + r, P)`  | low                      |
///
/// so the mean is exactly `low + (high − low)·D/P` whatever the ramp. Requires
/// `0 ≤ low ≤ high`, `P > 0`, `0 < duty ≤ 1`, `r ≤ D` and `D + r ≤ P`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingSwing {
    /// IT power of the compute phase, `0 ≤ x ≤`
    /// [`MAX_POWER_MW`](crate::components::limits::MAX_POWER_MW).
    pub high_mw: Power,
    /// IT power of the communication phase (the trough), `0 ≤ x ≤ high_mw`.
    pub low_mw: Power,
    /// Length of one training iteration (at most [`crate::time::MAX_DURATION`]).
    pub period: Duration,
    /// Share of the period from the start of the up-ramp to the start of the down-ramp,
    /// `0 < duty ≤ 1`.
    pub duty: Fraction,
    /// Length of each linear ramp (0 for a square wave).
    #[serde(default)]
    pub ramp: Duration,
    /// Periodic checkpoint dips, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<Checkpoint>,
    /// The tier of this IT (`"critical"`, the default, or `"deferrable"`; see
    /// [`super::tiers`]).
    #[serde(default, skip_serializing_if = "ItTier::is_critical")]
    pub tier: ItTier,
}

/// A checkpoint dip of a [`TrainingSwing`]: the power drops to `level_mw` during the **last**
/// `duration` of every `every` interval (with `every = "60m"`, `duration = "60s"`, the first dip
/// is 59:00–60:00).
///
/// `every` must be a whole multiple of the swing's period (so the swing phase is the same in
/// every dip), and `0 < duration < every`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Interval between the starts of consecutive checkpoint intervals.
    pub every: Duration,
    /// Length of each dip.
    pub duration: Duration,
    /// IT power during a dip, `0 ≤ x ≤`
    /// [`MAX_POWER_MW`](crate::components::limits::MAX_POWER_MW) (default: the
    /// swing's `low_mw`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_mw: Option<Power>,
}

/// A daily shape: the IT power during local hour `h` (0..=23) is `shape[h] × peak_mw`, piecewise
/// constant, the same every day. The hour of a time is taken from the grid's calendar start
/// ([`TimeGrid::start_ms_of_day`](crate::time::TimeGrid::start_ms_of_day)) plus the offset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DailyShape {
    /// The power that a shape value of 1 stands for, `0 ≤ x ≤`
    /// [`MAX_POWER_MW`](crate::components::limits::MAX_POWER_MW): the largest the shape
    /// can reach.
    pub peak_mw: Power,
    /// Exactly 24 shares of `peak_mw`, each `0 ≤ x ≤ 1`, for hours 0..=23 of local time.
    pub shape: Vec<Fraction>,
    /// The tier of this IT (`"critical"`, the default, or `"deferrable"`; see
    /// [`super::tiers`]).
    #[serde(default, skip_serializing_if = "ItTier::is_critical")]
    pub tier: ItTier,
}

/// An IT load trace, read from a CSV file by [`LoadParams::load_files`] (see [`crate::io::trace`]
/// for the format; the file must have a time column so that its step is known) or built in
/// memory with [`LoadTrace::from_values`].
///
/// **Resampling.** The trace is piecewise constant over its own step (sample `i` holds over
/// `[i·step, (i+1)·step)`); a grid step sees the exact time average of that function over the
/// step. This averages the samples when the grid is coarser than the trace, holds each sample
/// when the grid is finer, and weights partial overlaps by time when the steps do not align.
/// The trace must cover the whole horizon (`len·step ≥ horizon`); values are `0 ≤ x ≤`
/// [`MAX_POWER_MW`](crate::components::limits::MAX_POWER_MW).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadTrace {
    /// The CSV file, relative to the scenario file's directory unless absolute (empty for
    /// in-memory traces).
    pub path: PathBuf,
    /// The value column (default: the first non-time column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The samples, once loaded (never serialised).
    #[serde(skip)]
    pub data: Option<TraceData>,
    /// The tier of this IT (`"critical"`, the default, or `"deferrable"`; see
    /// [`super::tiers`]).
    #[serde(default, skip_serializing_if = "ItTier::is_critical")]
    pub tier: ItTier,
}

/// The samples of a [`LoadTrace`].
#[derive(Debug, Clone, PartialEq)]
pub struct TraceData {
    /// The sample spacing.
    pub step: Duration,
    /// The IT power of each sample.
    pub values_mw: Vec<Power>,
}

impl ItProfile {
    /// The profile's tier.
    pub fn tier(&self) -> ItTier {
        match self {
            ItProfile::Constant(p) => p.tier,
            ItProfile::TrainingSwing(p) => p.tier,
            ItProfile::Daily(p) => p.tier,
            ItProfile::Trace(p) => p.tier,
        }
    }
}

impl LoadTrace {
    /// An in-memory trace of `values_mw`, one every `step`. Its `path` is empty.
    pub fn from_values(step: Duration, values_mw: Vec<Power>) -> LoadTrace {
        LoadTrace {
            path: PathBuf::new(),
            column: None,
            data: Some(TraceData { step, values_mw }),
            tier: ItTier::Critical,
        }
    }
}

impl LoadParams {
    /// A load of the IT profiles `it` at a constant `pue`, in one tier.
    pub fn new(pue: f64, it: Vec<ItProfile>) -> LoadParams {
        LoadParams {
            pue: Pue::Constant(pue),
            it,
            tiers: None,
        }
    }

    /// Whether the load is tiered: a `[load.tiers]` table or a `deferrable` profile (see
    /// [`super::tiers`]).
    pub fn has_tiers(&self) -> bool {
        self.tiers.is_some() || self.it.iter().any(|p| p.tier() != ItTier::Critical)
    }

    /// The 10,000-GPU H100-class training cluster of DOMAIN.md: 10,000 H100s at ≈1.25 kW all-in
    /// IT per GPU (≈12.5 MW IT capacity); a synchronous-training swing between a compute level of
    /// 10.6 MW IT and a trough at 50 % of it (5.3 MW), period 2 s ("every second or two"), duty
    /// 0.8 (assumption), so the mean is 9.54 MW IT; ramps of 200 ms (DOMAIN: rise/fall < 0.2 s;
    /// taking the bound is an assumption); a checkpoint dip to the trough for 60 s every 60 min
    /// (assumption); PUE 1.3 (new large builds).
    pub fn h100_training_10k() -> LoadParams {
        LoadParams {
            pue: Pue::Constant(DEFAULT_PUE),
            it: vec![ItProfile::TrainingSwing(TrainingSwing {
                high_mw: Power::mw(10.6),
                low_mw: Power::mw(5.3),
                period: Duration::from_secs(2),
                duty: Fraction::ratio(0.8),
                ramp: Duration::from_millis(200),
                checkpoint: Some(Checkpoint {
                    every: Duration::from_minutes(60),
                    duration: Duration::from_secs(60),
                    level_mw: None,
                }),
                tier: ItTier::Critical,
            })],
            tiers: None,
        }
    }

    /// Reads the CSV file of every [`ItProfile::Trace`] profile into its `data`. A relative path
    /// is resolved against `base_dir` (normally the scenario file's directory). Traces with an
    /// empty path (built by [`LoadTrace::from_values`]) are left as they are.
    ///
    /// A PUE curve's hourly ambient trace is read too, with the errors of
    /// [`AmbientTrace::load_as`](crate::components::battery::lifetime::AmbientTrace::load_as)
    /// naming `load.pue.ambient.trace`.
    ///
    /// # Errors
    /// Those of [`crate::io::trace::read_csv`] (field `load.it[i]`); [`ConfigError::Missing`] naming
    /// `load.it[i].path` if the file has no time column (its step would be unknown);
    /// [`ConfigError::TraceValue`] for a negative power.
    pub fn load_files(&mut self, base_dir: &Path) -> Result<(), ConfigError> {
        for (i, profile) in self.it.iter_mut().enumerate() {
            let ItProfile::Trace(trace) = profile else {
                continue;
            };
            if trace.path.as_os_str().is_empty() {
                continue;
            }
            let path = if trace.path.is_absolute() {
                trace.path.clone()
            } else {
                base_dir.join(&trace.path)
            };
            let field = format!("load.it[{i}]");
            let series = crate::io::trace::read_csv(&path, &field, trace.column.as_deref())?;
            let step = series.step.ok_or_else(|| ConfigError::Missing {
                field: format!("{field}.path"),
                why: "a load trace needs a time column (t_s, time_s or seconds) and at least two \
                      rows, so that its step is known",
            })?;
            if let Some(row) = series.values.iter().position(|v| *v < 0.0) {
                return Err(ConfigError::TraceValue {
                    field,
                    path,
                    row: row as u64 + 1,
                    why: "negative power",
                });
            }
            trace.data = Some(TraceData {
                step,
                values_mw: series.values.into_iter().map(Power::mw).collect(),
            });
        }
        if let Pue::Curve(c) = &mut self.pue {
            if let AmbientSource::Trace(t) = &mut c.ambient {
                t.load_as(base_dir, "load.pue.ambient.trace")?;
            }
        }
        Ok(())
    }

    /// The loaded ambient trace of a PUE curve, if any (for the site fingerprint).
    pub fn pue_ambient_trace(&self) -> Option<&[f64]> {
        match &self.pue {
            Pue::Curve(c) => match &c.ambient {
                AmbientSource::Trace(t) => t.data.as_deref(),
                _ => None,
            },
            Pue::Constant(_) => None,
        }
    }
}

// ---- validation ------------------------------------------------------------------------------

/// A validated [`TrainingSwing`], in MW and whole milliseconds.
#[derive(Debug, Clone, Copy)]
pub(super) struct ValidSwing {
    pub low: f64,
    pub high: f64,
    /// The period `P`, ms (> 0).
    pub period: u64,
    /// `D = round(duty·P)`, ms.
    pub on: u64,
    /// The ramp `r`, ms (`r ≤ D`, `D + r ≤ P`).
    pub ramp: u64,
    pub dip: Option<ValidDip>,
}

/// A validated [`Checkpoint`]: `every` a whole number of periods, `0 < duration < every`.
#[derive(Debug, Clone, Copy)]
pub(super) struct ValidDip {
    pub every: u64,
    pub duration: u64,
    pub level: f64,
}

impl ConstantProfile {
    /// The validated IT power, MW; `field` is e.g. `load.it[0]`.
    pub(super) fn validate(&self, field: &str) -> Result<f64, ConfigError> {
        check_power(format!("{field}.it_mw"), self.it_mw.value())
    }
}

impl TrainingSwing {
    /// Checks every field; `field` is e.g. `load.it[0]`.
    pub(super) fn validate(&self, field: &str) -> Result<ValidSwing, ConfigError> {
        let high = check_power(format!("{field}.high_mw"), self.high_mw.value())?;
        let low = check_power(format!("{field}.low_mw"), self.low_mw.value())?;
        if low > high {
            return Err(ConfigError::Inconsistent {
                field: format!("{field}.low_mw"),
                why: "low_mw must not exceed high_mw",
            });
        }
        let p = check_max_duration(format!("{field}.period"), self.period)?;
        if p == 0 {
            return Err(ConfigError::OutOfRange {
                field: format!("{field}.period"),
                value: 0.0,
                allowed: "a period of at least 1ms",
            });
        }
        let duty = self.duty.value();
        if !(duty.is_finite() && duty > 0.0 && duty <= 1.0) {
            return Err(ConfigError::OutOfRange {
                field: format!("{field}.duty"),
                value: duty,
                allowed: "0 < duty ≤ 1",
            });
        }
        let on = ((duty * p as f64).round() as u64).min(p);
        let ramp = self.ramp.as_millis();
        if ramp > on || on + ramp > p {
            return Err(ConfigError::Inconsistent {
                field: format!("{field}.ramp"),
                why: "each ramp must fit: ramp ≤ round(duty·period) and \
                      round(duty·period) + ramp ≤ period",
            });
        }
        let dip = match &self.checkpoint {
            None => None,
            Some(c) => Some(c.validate(field, self.period, low)?),
        };
        Ok(ValidSwing {
            low,
            high,
            period: p,
            on,
            ramp,
            dip,
        })
    }
}

impl Checkpoint {
    /// Checks the dip of a swing of `period` whose trough is `low` MW; `field` names the swing.
    fn validate(&self, field: &str, period: Duration, low: f64) -> Result<ValidDip, ConfigError> {
        let e = check_max_duration(format!("{field}.checkpoint.every"), self.every)?;
        if e == 0 {
            return Err(ConfigError::OutOfRange {
                field: format!("{field}.checkpoint.every"),
                value: 0.0,
                allowed: "a whole number (≥ 1) of swing periods",
            });
        }
        if e % period.as_millis() != 0 {
            return Err(ConfigError::NotMultiple {
                field: format!("{field}.checkpoint.every"),
                value: self.every,
                multiple_of: period,
            });
        }
        let duration = self.duration.as_millis();
        if duration == 0 || duration >= e {
            return Err(ConfigError::OutOfRange {
                field: format!("{field}.checkpoint.duration"),
                value: duration as f64,
                allowed: "0 < duration < every (value in ms)",
            });
        }
        let level = match self.level_mw {
            Some(l) => check_power(format!("{field}.checkpoint.level_mw"), l.value())?,
            None => low,
        };
        Ok(ValidDip {
            every: e,
            duration,
            level,
        })
    }
}

impl DailyShape {
    /// The validated power of each hour, `shape[h] × peak_mw`, MW.
    pub(super) fn validate(&self, field: &str) -> Result<[f64; 24], ConfigError> {
        let peak = check_power(format!("{field}.peak_mw"), self.peak_mw.value())?;
        if self.shape.len() != 24 {
            return Err(ConfigError::OutOfRange {
                field: format!("{field}.shape"),
                value: self.shape.len() as f64,
                allowed: "exactly 24 hourly values",
            });
        }
        let mut hourly = [0.0; 24];
        for (h, v) in self.shape.iter().enumerate() {
            hourly[h] = check_fraction(format!("{field}.shape[{h}]"), v.value())? * peak;
        }
        Ok(hourly)
    }
}

impl LoadTrace {
    /// The validated step (ms, > 0) and samples (MW, finite, ≥ 0). Whether the trace covers the
    /// horizon is checked when the model is built for a grid.
    pub(super) fn validate(&self, field: &str) -> Result<(u64, Vec<f64>), ConfigError> {
        let data = self.data.as_ref().ok_or_else(|| ConfigError::Missing {
            field: field.to_string(),
            why: "the trace data has not been loaded (call LoadParams::load_files)",
        })?;
        let t = check_max_duration(format!("{field}.step"), data.step)?;
        if t == 0 {
            return Err(ConfigError::OutOfRange {
                field: format!("{field}.step"),
                value: 0.0,
                allowed: "a trace step of at least 1ms",
            });
        }
        let values = data
            .values_mw
            .iter()
            .enumerate()
            .map(|(i, v)| check_power(format!("{field}.values_mw[{i}]"), v.value()))
            .collect::<Result<Vec<f64>, _>>()?;
        Ok((t, values))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::LoadModel;
    use super::*;

    #[test]
    fn default_pue_applies() {
        let p: LoadParams = toml::from_str("[[it]]\nkind = \"constant\"\nit_mw = 10\n").unwrap();
        assert_eq!(p.pue, Pue::Constant(DEFAULT_PUE), "default pue");
        let m = LoadModel::new(&p, &grid("1h", "1d")).unwrap();
        assert_close(m.facility_power(3).value(), 13.0, "facility");
    }

    #[test]
    fn trace_files_load_relative_to_the_base_dir() {
        let dir = std::env::temp_dir().join(format!(
            "ridethrough-load-test-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut csv = String::from("t_s,other,it_mw\n");
        for i in 0..8 {
            csv.push_str(&format!("{},{},{}\n", i * 900, 99, 4.0 + i as f64));
        }
        std::fs::write(dir.join("it.csv"), &csv).unwrap();
        std::fs::write(dir.join("untimed.csv"), "it_mw\n1\n2\n").unwrap();
        std::fs::write(dir.join("negative.csv"), "t_s,it_mw\n0,1\n900,-2\n").unwrap();

        let text = "pue = 1.2\n[[it]]\nkind = \"trace\"\npath = \"it.csv\"\ncolumn = \"it_mw\"\n";
        let mut p: LoadParams = toml::from_str(text).unwrap();
        let g = grid("30m", "2h");
        assert!(matches!(
            LoadModel::new(&p, &g),
            Err(ConfigError::Missing { ref field, .. }) if field == "load.it[0]"
        ));
        p.load_files(&dir).unwrap();
        let m = LoadModel::new(&p, &g).unwrap();
        assert_close(m.it_power(0).value(), 4.5, "first half-hour");
        assert_close(m.facility_power(3).value(), 1.2 * 10.5, "last half-hour");

        let load = |name: &str| {
            let mut p = params(vec![ItProfile::Trace(LoadTrace {
                path: dir.join(name),
                column: None,
                data: None,
                tier: ItTier::Critical,
            })]);
            p.load_files(Path::new("/nonexistent")).map(|()| p)
        };
        assert!(matches!(
            load("untimed.csv"),
            Err(ConfigError::Missing { ref field, .. }) if field == "load.it[0].path"
        ));
        assert!(matches!(
            load("negative.csv"),
            Err(ConfigError::TraceValue { row: 2, .. })
        ));
        assert!(matches!(load("absent.csv"), Err(ConfigError::Io { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// `LoadModel::new(params)` fails with an error on `field`.
    fn assert_field_error(p: &LoadParams, field: &str) {
        let g = grid("1s", "2h");
        let err = LoadModel::new(p, &g).expect_err(field);
        let got = match &err {
            ConfigError::OutOfRange { field, .. }
            | ConfigError::Missing { field, .. }
            | ConfigError::Inconsistent { field, .. }
            | ConfigError::NotMultiple { field, .. } => field.clone(),
            other => panic!("unexpected error {other:?} for {field}"),
        };
        assert_eq!(got, field, "{err}");
    }

    fn swing_params(edit: impl FnOnce(&mut TrainingSwing)) -> LoadParams {
        let mut p = LoadParams::h100_training_10k();
        if let ItProfile::TrainingSwing(s) = &mut p.it[0] {
            edit(s);
        }
        p
    }

    #[test]
    fn validation_errors_name_the_field() {
        assert!(LoadModel::new(&LoadParams::h100_training_10k(), &grid("1s", "2h")).is_ok());
        assert_field_error(&params(vec![constant(-1.0)]), "load.it[0].it_mw");
        assert_field_error(
            &params(vec![constant(1.0), constant(f64::NAN)]),
            "load.it[1].it_mw",
        );
        assert_field_error(&params(vec![]), "load.it");
        let mut p = params(vec![constant(1.0)]);
        p.pue = Pue::Constant(0.9);
        assert_field_error(&p, "load.pue");
        p.pue = Pue::Constant(f64::NAN);
        assert_field_error(&p, "load.pue");

        assert_field_error(
            &swing_params(|s| s.low_mw = Power::mw(-0.1)),
            "load.it[0].low_mw",
        );
        assert_field_error(
            &swing_params(|s| s.high_mw = Power::mw(f64::NAN)),
            "load.it[0].high_mw",
        );
        assert_field_error(
            &swing_params(|s| s.low_mw = Power::mw(11.0)),
            "load.it[0].low_mw",
        );
        for duty in [0.0, 1.01, f64::NAN] {
            assert_field_error(
                &swing_params(|s| s.duty = Fraction::ratio(duty)),
                "load.it[0].duty",
            );
        }
        assert_field_error(
            &swing_params(|s| s.period = Duration::ZERO),
            "load.it[0].period",
        );
        // D = 1600 ms: a 401 ms ramp does not fit after it (1600 + 401 > 2000)…
        assert_field_error(
            &swing_params(|s| s.ramp = Duration::from_millis(401)),
            "load.it[0].ramp",
        );
        // …and with duty 0.1 (D = 200 ms) a 201 ms ramp does not fit before it.
        assert_field_error(
            &swing_params(|s| {
                s.duty = Fraction::ratio(0.1);
                s.ramp = Duration::from_millis(201);
            }),
            "load.it[0].ramp",
        );
        let ckpt =
            |edit: fn(&mut Checkpoint)| swing_params(|s| edit(s.checkpoint.as_mut().unwrap()));
        let p = ckpt(|c| c.every = Duration::from_secs(61));
        assert!(matches!(
            LoadModel::new(&p, &grid("1s", "2h")),
            Err(ConfigError::NotMultiple { ref field, .. }) if field == "load.it[0].checkpoint.every"
        ));
        assert_field_error(
            &ckpt(|c| c.every = Duration::ZERO),
            "load.it[0].checkpoint.every",
        );
        assert_field_error(
            &ckpt(|c| c.duration = Duration::ZERO),
            "load.it[0].checkpoint.duration",
        );
        assert_field_error(
            &ckpt(|c| c.duration = Duration::from_minutes(60)),
            "load.it[0].checkpoint.duration",
        );
        assert_field_error(
            &ckpt(|c| c.level_mw = Some(Power::mw(-1.0))),
            "load.it[0].checkpoint.level_mw",
        );

        let (d, _) = daily(10.0);
        let mut short = d.clone();
        short.shape.pop();
        assert_field_error(&params(vec![ItProfile::Daily(short)]), "load.it[0].shape");
        // Each value is a share of the peak: finite, 0 ≤ x ≤ 1.
        for (h, bad) in [(5, -0.1), (3, 1.5), (7, f64::NAN)] {
            let mut shape = d.clone();
            shape.shape[h] = Fraction::ratio(bad);
            let field = format!("load.it[0].shape[{h}]");
            assert_field_error(&params(vec![ItProfile::Daily(shape)]), &field);
        }
        let mut bad_peak = d;
        bad_peak.peak_mw = Power::mw(-5.0);
        assert_field_error(
            &params(vec![ItProfile::Daily(bad_peak)]),
            "load.it[0].peak_mw",
        );

        assert_field_error(
            &params(vec![trace("1s", vec![1.0, -1.0])]),
            "load.it[0].values_mw[1]",
        );
        assert_field_error(
            &params(vec![trace("1s", vec![f64::NAN; 7200])]),
            "load.it[0].values_mw[0]",
        );
        assert_field_error(
            &params(vec![trace("0s", vec![1.0; 7200])]),
            "load.it[0].step",
        );
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let ok = "[[it]]\nkind = \"training_swing\"\nhigh_mw = 10\nlow_mw = 5\nperiod = \"2s\"\n\
                  duty = 0.8\n";
        assert!(toml::from_str::<LoadParams>(ok).is_ok());
        let cases = [
            // A misspelt key inside a variant.
            "[[it]]\nkind = \"training_swing\"\nhigh_mw = 10\nlow_mw = 5\nperiod = \"2s\"\n\
             duty = 0.8\nramp_ms = 200\n",
            "[[it]]\nkind = \"constant\"\nit_mw = 1\nit_kw = 2\n",
            "[[it]]\nkind = \"daily\"\npeak_mw = 1\nshape = []\npaek_mw = 2\n",
            "[[it]]\nkind = \"trace\"\npath = \"a.csv\"\ncolums = \"x\"\n",
            "[[it]]\nkind = \"trace\"\npath = \"a.csv\"\ndata = 1\n",
            // Inside the checkpoint table.
            "[[it]]\nkind = \"training_swing\"\nhigh_mw = 10\nlow_mw = 5\nperiod = \"2s\"\n\
             duty = 0.8\n[it.checkpoint]\nevery = \"60m\"\nduration = \"60s\"\nlevel = 1\n",
            // At the top level, and an unknown kind.
            "puee = 1.2\n[[it]]\nkind = \"constant\"\nit_mw = 1\n",
            "[[it]]\nkind = \"square\"\nit_mw = 1\n",
        ];
        for text in cases {
            let err = toml::from_str::<LoadParams>(text)
                .expect_err(text)
                .to_string();
            assert!(err.contains("unknown"), "{text}\n{err}");
        }
    }

    #[test]
    fn h100_default_round_trips_through_toml() {
        let p = LoadParams::h100_training_10k();
        let text = toml::to_string(&p).unwrap();
        let back: LoadParams = toml::from_str(&text).unwrap();
        assert_eq!(back, p, "{text}");
        let mixed = params(vec![
            constant(1.0),
            ItProfile::Daily(daily(2.0).0),
            ItProfile::Trace(LoadTrace {
                path: "it.csv".into(),
                column: Some("it_mw".into()),
                data: None,
                tier: ItTier::Deferrable,
            }),
        ]);
        let text = toml::to_string(&mixed).unwrap();
        assert_eq!(
            toml::from_str::<LoadParams>(&text).unwrap(),
            mixed,
            "{text}"
        );
    }
}
