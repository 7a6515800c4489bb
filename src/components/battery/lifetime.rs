//! The battery over its life, as the engine runs it: degradation ([`ageing`](super::ageing)),
//! the ambient temperature and the auxiliary draw it drives, and the part-load conversion
//! efficiency ([`thermal`](super::thermal)).
//!
//! * [`ThermalParams`] (`[battery.thermal]`), [`EfficiencyCurveSpec`]
//!   (`battery.efficiency_curve`) and [`AgeingParams`] (`[battery.ageing]`): what a scenario
//!   says; each optional, and a fleet with none of them runs exactly as before (bit for bit).
//! * [`Lifetime`]: the validated models, held by the [`Fleet`](super::Fleet).
//! * [`LifeState`]: the fade so far, the capacity and efficiency factors it implies, and the
//!   lifetime sums of the report; part of the [`BatteryState`](super::BatteryState).
//!
//! # Ambient temperature
//! `ambient` is a constant (`ambient = 30.0`, °C), `"austin_synthetic"` (the representative
//! year of [`AmbientProfile::austin`](super::thermal::AmbientProfile::austin)) or a synthetic year (`ambient = { synthetic = { … } }`,
//! see [`SyntheticYear`]). An hourly year holds its value for each whole hour and repeats; hour 0
//! is 1 January 00:00, and the run's calendar start (`time.start`, default 1 January) picks the
//! hour the run begins at. Without `ambient`, the temperature is the models' reference, 25 °C.
//! **Without an enclosure model the cells are taken to stand at the ambient temperature**: an
//! assumption on the hot side, since the HVAC that the auxiliary curve pays for cools them.
//!
//! # The enclosure (optional)
//! `[battery.thermal.enclosure]` ([`enclosure`](super::enclosure)) gives each unit one lumped
//! temperature (cells and enclosure, every unit the same), heated by the battery's conversion
//! and self-discharge losses (spread over the installed units, down ones included: see its
//! "Units that are down") and a standby draw, cooled or warmed through its shell (`UA`) and
//! held between setpoints by an HVAC of finite capacity. Then:
//!
//! * the cells age at the enclosure's temperature: calendar fade at each hour's piece of a
//!   segment at the enclosure's exact mean over it, the rainflow counter at the segment's mean;
//! * the auxiliary load is the enclosure's: standby plus cooling heat / COP plus heating heat /
//!   heater efficiency, every installed unit; `aux_curve` may then not be given;
//! * the losses of a step heat the next one (the draw is needed before dispatch): a one-step lag,
//!   measured in tests/integration/enclosure.rs (a year of daily cycling: 0.12 % of the HVAC
//!   energy between 1-minute and 1-hour steps, all but 0.01 % of it the dispatch's own losses
//!   differing; at rest the two agree to 1e-9);
//! * the report adds the enclosure's mean and highest temperature, the HVAC's and the standby
//!   energy ([`EnclosureSummary`](super::enclosure::EnclosureSummary)).
//!
//! | key (`[battery.thermal.enclosure]`) | unit, per unit | allowed | default |
//! |---|---|---|---|
//! | `heat_capacity_mj_per_k` | MJ/K | 0.1 ≤ x ≤ 1000 | 34 (38.1 t × 0.9 kJ/(kg·K), assumption) |
//! | `conductance_mw_per_k` | MW/K | 1e-6 ≤ x ≤ 0.01 | 1e-4 (87 m² × ≈1.1 W/(m²·K), assumption) |
//! | `cooling_setpoint_c` | °C | −70 ≤ x ≤ 60 | 25 (the ageing reference) |
//! | `heating_setpoint_c` | °C | −70 ≤ x ≤ 60, below the cooling setpoint | none (no heater) |
//! | `cooling_capacity_mw` | MW thermal | 0 ≤ x ≤ 1 (the default too) | 1.5 × max(`P_c·(1 − η_c)`, `P_d·(1/η_d − 1)`), the unit's larger conversion loss at its rated powers and one-way efficiencies; the margin 1.5 is an assumption (≈0.0486 for a 4-hour Megapack 2 XL, ≈0.123 for a 2-hour one) |
//! | `heating_capacity_mw` | MW thermal | 0 ≤ x ≤ 1, only with a heating setpoint | 0.02 (assumption) |
//! | `cop` | — | 0.5 ≤ x ≤ 10 | 3.0 (a packaged air conditioner, assumption) |
//! | `heater_efficiency` | — | 0.5 ≤ x ≤ 5 | 1.0 (resistive) |
//! | `standby_mw` | MW | 0 ≤ x ≤ 1 | 0.001 (assumption) |
//! | `initial_c` | °C | −70 ≤ x ≤ 60 | the cooling setpoint |

use super::ageing::{
    AgeingModel, AgeingParams, AgeingState, SocFactorCache, MAX_CELL_TEMPERATURE_C,
    REFERENCE_TEMPERATURE_C,
};
use super::enclosure::{Enclosure, EnclosureParams, EnclosureState};
use super::thermal::{AuxCurve, AuxPoint, EfficiencyCurve, EfficiencyPoint, SyntheticYear};
use super::UnitSpec;
use crate::components::ambient::{Ambient, HourlyTable};
use crate::error::ConfigError;
use crate::time::TimeGrid;
use crate::units::{Energy, Fraction, Hours, Power, MS_PER_HOUR};
use serde::{Deserialize, Serialize};

/// The `[battery.thermal]` table: the ambient temperature and the auxiliary draw it drives.
///
/// ```
/// use ridethrough::components::battery::BatteryParams;
/// let p: BatteryParams = toml::from_str(r#"
///     units = 4
///     preset = "megapack2xl_4h"
///     efficiency_curve = "calibrated"
///     [thermal]
///     ambient = "austin_synthetic"
///     aux_curve = [{ temperature_c = 25, power_mw = 0.002 }, { temperature_c = 45, power_mw = 0.010 }]
///     [ageing]
///     calendar_fade_first_year = 0.02
/// "#)?;
/// assert!(p.thermal.is_some() && p.ageing.is_some());
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThermalParams {
    /// The ambient temperature (default: 25 °C, the reference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambient: Option<AmbientSource>,
    /// Auxiliary draw of one unit against ambient temperature (default
    /// [`AuxCurve::default_points`]: 2 kW at 25 °C to 10 kW at 45 °C, an assumption). Replaces
    /// `battery.aux_load_mw`, which may then not be given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aux_curve: Option<Vec<AuxPoint>>,
    /// The lumped thermal model of each unit's enclosure (`[battery.thermal.enclosure]`, see
    /// [`enclosure`](super::enclosure)): the cells then stand at the enclosure's temperature,
    /// and the HVAC's and standby draw replace `aux_curve`, which may then not be given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enclosure: Option<EnclosureParams>,
}

/// Where the ambient temperature comes from: a constant (°C), a named year, a synthetic year's
/// parameters, or an hourly CSV trace. Anything else is refused with a message listing these
/// forms; an unknown key inside a table is named.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AmbientSource {
    /// A constant temperature, °C, in `[−70, 60]`.
    Constant(f64),
    /// A bundled year.
    Named(NamedAmbient),
    /// A synthetic year: `{ synthetic = { monthly_mean_c = [...], … } }`.
    Synthetic(SyntheticAmbient),
    /// An hourly trace: `{ trace = "austin_2023.csv", column = "temp_c" }`.
    Trace(AmbientTrace),
}

/// The forms `ambient` accepts, in words (the errors' "expected …").
const AMBIENT_FORMS: &str = "a temperature in °C (e.g. 25.0), \"austin_synthetic\", \
     { synthetic = { … } } or { trace = \"file.csv\", column = \"temp_c\" }";

/// Either table form of `ambient`, read strictly: `{ synthetic = … }` or `{ trace = …,
/// column = … }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AmbientTable {
    #[serde(default)]
    synthetic: Option<SyntheticYear>,
    #[serde(default)]
    trace: Option<std::path::PathBuf>,
    #[serde(default)]
    column: Option<String>,
}

impl<'de> Deserialize<'de> for AmbientSource {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<AmbientSource, D::Error> {
        use serde::de::{Error, Unexpected};
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = AmbientSource;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(AMBIENT_FORMS)
            }
            fn visit_f64<E: Error>(self, v: f64) -> Result<AmbientSource, E> {
                Ok(AmbientSource::Constant(v))
            }
            fn visit_i64<E: Error>(self, v: i64) -> Result<AmbientSource, E> {
                Ok(AmbientSource::Constant(v as f64))
            }
            fn visit_u64<E: Error>(self, v: u64) -> Result<AmbientSource, E> {
                Ok(AmbientSource::Constant(v as f64))
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<AmbientSource, E> {
                match v {
                    "austin_synthetic" => Ok(AmbientSource::Named(NamedAmbient::AustinSynthetic)),
                    _ => Err(E::invalid_value(Unexpected::Str(v), &self)),
                }
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<AmbientSource, A::Error> {
                let t =
                    AmbientTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                match t {
                    AmbientTable {
                        synthetic: Some(synthetic),
                        trace: None,
                        column: None,
                    } => Ok(AmbientSource::Synthetic(SyntheticAmbient { synthetic })),
                    AmbientTable {
                        synthetic: None,
                        trace: Some(trace),
                        column,
                    } => Ok(AmbientSource::Trace(AmbientTrace {
                        trace,
                        column,
                        data: None,
                    })),
                    _ => Err(A::Error::custom(format_args!(
                        "an ambient table is {{ synthetic = {{ … }} }} or {{ trace = \"file.csv\", \
                         column = \"temp_c\" }} (column optional), one of the two; expected \
                         {AMBIENT_FORMS}"
                    ))),
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// `ambient = { synthetic = { … } }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyntheticAmbient {
    /// The year's parameters.
    pub synthetic: SyntheticYear,
}

/// `ambient = { trace = "file.csv", column = "temp_c" }`: hourly ambient temperatures, °C,
/// read by [`BatteryParams::load_files`](super::BatteryParams::load_files) (the CSV format of
/// [`crate::io::trace`]; with a time column its step must be one hour, without one each row is
/// an hour). Row 0 holds over the run's first hour (the calendar start is not applied), and
/// the trace repeats after its last row, so a year of 8,760 rows serves a multi-year run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmbientTrace {
    /// The CSV file, relative to the scenario's folder.
    pub trace: std::path::PathBuf,
    /// The value column (default: the first after the time column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The hourly values, once read.
    #[serde(skip)]
    pub data: Option<Vec<f64>>,
}

/// The field path of ambient-trace errors.
const TRACE_FIELD: &str = "battery.thermal.ambient.trace";

impl AmbientTrace {
    /// Reads the trace relative to `base_dir` into `data` (a trace whose data is already there
    /// is left as it is).
    ///
    /// # Errors
    /// Those of [`crate::components::ambient::read_trace`], naming
    /// `battery.thermal.ambient.trace` and the file: [`ConfigError::TraceIo`] for a file that
    /// cannot be read, [`ConfigError::TraceStep`] for a time column whose step is not one hour,
    /// [`ConfigError::TraceOutOfRange`] for a temperature outside −70 ≤ x ≤ 60 °C, and those of
    /// [`crate::io::trace::read_csv`].
    pub fn load(&mut self, base_dir: &std::path::Path) -> Result<(), ConfigError> {
        self.load_as(base_dir, TRACE_FIELD)
    }

    /// [`AmbientTrace::load`] with errors naming `field` (a PUE curve's ambient is
    /// `load.pue.ambient.trace`).
    ///
    /// # Errors
    /// As [`AmbientTrace::load`], naming `field`.
    pub fn load_as(&mut self, base_dir: &std::path::Path, field: &str) -> Result<(), ConfigError> {
        if self.data.is_some() {
            return Ok(());
        }
        let path = if self.trace.is_absolute() {
            self.trace.clone()
        } else {
            base_dir.join(&self.trace)
        };
        self.data = Some(crate::components::ambient::read_trace(
            &path,
            field,
            self.column.as_deref(),
        )?);
        Ok(())
    }
}

/// The bundled ambient years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamedAmbient {
    /// [`AmbientProfile::austin`](super::thermal::AmbientProfile::austin): Austin, Texas, from monthly normals.
    AustinSynthetic,
}

/// `battery.efficiency_curve`: `"calibrated"` (the PVWatts part-load shape scaled so that the
/// round trip at rated power is the unit's, [`EfficiencyCurve::pvwatts_shape`]) or a list of
/// absolute one-way efficiencies `[{ loading = 0.1, efficiency = 0.93 }, …]`.
///
/// Anything else is refused with a message listing these forms; an unknown key inside a point
/// is named.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum EfficiencyCurveSpec {
    /// A named curve.
    Named(NamedEfficiencyCurve),
    /// Absolute one-way efficiencies at strictly increasing loadings.
    Points(Vec<EfficiencyPoint>),
}

impl<'de> Deserialize<'de> for EfficiencyCurveSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<EfficiencyCurveSpec, D::Error> {
        use serde::de::{Error, Unexpected};
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = EfficiencyCurveSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "\"calibrated\" or a list of points \
                     [{ loading = 0.1, efficiency = 0.93 }, …]",
                )
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<EfficiencyCurveSpec, E> {
                match v {
                    "calibrated" => {
                        Ok(EfficiencyCurveSpec::Named(NamedEfficiencyCurve::Calibrated))
                    }
                    _ => Err(E::invalid_value(Unexpected::Str(v), &self)),
                }
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<EfficiencyCurveSpec, A::Error> {
                Vec::<EfficiencyPoint>::deserialize(serde::de::value::SeqAccessDeserializer::new(
                    seq,
                ))
                .map(EfficiencyCurveSpec::Points)
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// The named efficiency curves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamedEfficiencyCurve {
    /// The PVWatts shape calibrated to the unit's round trip at rated power.
    Calibrated,
}

/// The validated lifetime models of a fleet (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct Lifetime {
    ageing: Option<AgeingModel>,
    /// The auxiliary draw of one unit (with `[battery.thermal]` only).
    aux: Option<AuxCurve>,
    ambient: Ambient,
    efficiency: Option<EfficiencyCurve>,
    /// The ambient's functions the models read, tabulated per hour.
    tables: AmbientTables,
    /// The enclosure of each unit (with `[battery.thermal.enclosure]`).
    enclosure: Option<Enclosure>,
    /// The run's step, ms (0 before [`Lifetime::start_at`]: each segment aged is then a step);
    /// the enclosure's losses heat the step after theirs.
    step_ms: u64,
}

/// Where the cells' temperature of a segment's hours comes from (see
/// [`Lifetime::segment_temps`]): the ambient, or the enclosure from its temperature at the
/// segment's start with the segment's heat (losses and standby, MW per unit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CellTemps {
    /// The cells stand at the ambient temperature.
    Ambient,
    /// The cells stand at the enclosure's temperature.
    Enclosure {
        /// The temperature at the start of the next piece, °C.
        temp_c: f64,
        /// The heat released inside one unit, MW.
        heat_mw: f64,
    },
}

/// The functions of the ambient temperature that ageing and the auxiliary draw read, per hour
/// of the ambient series with prefix sums ([`HourlyTable`]): a step reads its hour's value
/// (bit for bit the function's, without an `exp` a step), and a rest of any length (a
/// fast-forwarded stretch) integrates them in O(1).
#[derive(Debug, Clone, PartialEq)]
struct AmbientTables {
    /// The temperature, °C.
    temp: HourlyTable,
    /// The calendar law's temperature factor `f_T(T)^(1/z)` (with ageing).
    calendar: Option<HourlyTable>,
    /// One unit's auxiliary draw, MW (with `[battery.thermal]`).
    aux: Option<HourlyTable>,
}

impl AmbientTables {
    fn new(ambient: &Ambient, ageing: Option<&AgeingModel>, aux: Option<&AuxCurve>) -> Self {
        AmbientTables {
            temp: HourlyTable::new(ambient, |t| t),
            calendar: ageing
                .map(|m| HourlyTable::new(ambient, |t| m.calendar_temperature_factor(t))),
            aux: aux.map(|a| HourlyTable::new(ambient, |t| a.power_at(t).value())),
        }
    }

    fn start_at(&mut self, ambient: &Ambient) {
        self.temp.start_at(ambient);
        for t in [&mut self.calendar, &mut self.aux].into_iter().flatten() {
            t.start_at(ambient);
        }
    }
}

/// Spans of more hours than this (a fast-forwarded rest; a step is at most an hour, so it
/// touches at most two) take their hourly sums from the tables' prefix sums.
const LONG_SPAN_HOURS: u64 = 2;

/// The one-way efficiencies of a segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Efficiency {
    /// Fraction of the charging energy stored.
    pub charge: Fraction,
    /// Fraction of the drained energy delivered.
    pub discharge: Fraction,
}

/// Refuses an enclosure that cannot hold its cells below the ageing model's limit
/// ([`MAX_CELL_TEMPERATURE_C`]) even at rest in the ambient's hottest hour
/// ([`Enclosure::resting_temperature_c`]): its cells would be hotter still when working, and
/// the ageing model would clamp what it cannot describe.
fn check_resting_temperature(e: &Enclosure, ambient: &Ambient) -> Result<(), ConfigError> {
    let hottest = match ambient {
        Ambient::Constant(t) => *t,
        Ambient::Hourly { values, .. } | Ambient::Trace(values) => {
            values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        }
    };
    let resting = e.resting_temperature_c(hottest);
    if resting > MAX_CELL_TEMPERATURE_C {
        return Err(ConfigError::OutOfRange {
            field: "battery.thermal.enclosure (a resting unit's temperature in the hottest \
                    ambient hour, °C)"
                .into(),
            value: resting,
            allowed: "≤ 70 °C, the cell ageing model's limit: raise cooling_capacity_mw or \
                      conductance_mw_per_k, or lower standby_mw",
        });
    }
    Ok(())
}

impl Lifetime {
    /// Validates the three optional parts; `None` when all are absent. `unit`'s round-trip
    /// efficiency at rated power is the calibration point of `"calibrated"`; its rated powers
    /// and one-way efficiencies size the enclosure's default cooling capacity.
    ///
    /// # Errors
    /// The parts' [`ConfigError`]s, under `battery.ageing.`, `battery.thermal.` and
    /// `battery.efficiency_curve`.
    pub fn new(
        ageing: Option<&AgeingParams>,
        thermal: Option<&ThermalParams>,
        efficiency: Option<&EfficiencyCurveSpec>,
        unit: &UnitSpec,
    ) -> Result<Option<Lifetime>, ConfigError> {
        let round_trip = unit.charge_efficiency * unit.discharge_efficiency;
        if ageing.is_none() && thermal.is_none() && efficiency.is_none() {
            return Ok(None);
        }
        let ageing = ageing.map(AgeingParams::validate).transpose()?;
        let (aux, ambient, enclosure) = match thermal {
            None => (None, Ambient::Constant(REFERENCE_TEMPERATURE_C), None),
            Some(t) => {
                if t.enclosure.is_some() && t.aux_curve.is_some() {
                    return Err(ConfigError::Inconsistent {
                        field: "battery.thermal.aux_curve".into(),
                        why: "give either aux_curve or [battery.thermal.enclosure] (whose HVAC \
                              and standby draw replace it)",
                    });
                }
                let enclosure = t
                    .enclosure
                    .as_ref()
                    .map(|e| Enclosure::new(e, unit))
                    .transpose()?;
                let aux = match (&t.aux_curve, &enclosure) {
                    (_, Some(_)) => None,
                    (Some(points), None) => Some(AuxCurve::new(points).map_err(rename_aux)?),
                    (None, None) => Some(AuxCurve::default()),
                };
                let ambient = match &t.ambient {
                    Some(source) => Ambient::validate(source, "battery.thermal.ambient")?,
                    None => Ambient::Constant(REFERENCE_TEMPERATURE_C),
                };
                if let Some(e) = &enclosure {
                    check_resting_temperature(e, &ambient)?;
                }
                (aux, ambient, enclosure)
            }
        };
        let efficiency = match efficiency {
            None => None,
            Some(EfficiencyCurveSpec::Named(NamedEfficiencyCurve::Calibrated)) => Some(
                EfficiencyCurve::calibrated(&EfficiencyCurve::pvwatts_shape(), round_trip)?,
            ),
            Some(EfficiencyCurveSpec::Points(points)) => Some(EfficiencyCurve::new(points)?),
        };
        let tables = AmbientTables::new(&ambient, ageing.as_ref(), aux.as_ref());
        Ok(Some(Lifetime {
            ageing,
            aux,
            ambient,
            efficiency,
            tables,
            enclosure,
            step_ms: 0,
        }))
    }

    /// Sets the hour of an hourly ambient year at which a run on `time` starts (its calendar
    /// start's hour of the year, 1 January 00:00 being 0; 29 February counts as 28 February).
    pub(crate) fn start_at(&mut self, time: &TimeGrid) {
        self.ambient.start_at(time);
        self.tables.start_at(&self.ambient);
        self.step_ms = time.step().as_millis();
    }

    /// The enclosure model, if any.
    pub fn enclosure(&self) -> Option<&Enclosure> {
        self.enclosure.as_ref()
    }

    /// The degradation model, if any.
    pub fn ageing(&self) -> Option<&AgeingModel> {
        self.ageing.as_ref()
    }

    /// Whether anything changes while the battery rests (ageing, or an auxiliary draw that
    /// follows the temperature): a fast-forward then ages the battery and sums the draw over
    /// the stretch in closed form (see [`crate::engine::fast_forward`]).
    pub fn varies_at_rest(&self) -> bool {
        self.ageing.is_some() || self.aux.is_some() || self.enclosure.is_some()
    }

    /// The ambient temperature at `t_ms` from the run's start, °C.
    #[inline]
    pub fn ambient_at_ms(&self, t_ms: u64) -> f64 {
        self.ambient.at_hour(t_ms / MS_PER_HOUR)
    }

    /// The auxiliary draw of `units` units averaged over `[t0, t1)` ms, or `None` without
    /// `[battery.thermal]` (the constant `aux_load_mw` then holds). The ambient is hourly, so
    /// the average is over the whole or partial hours the span covers (one lookup for a span
    /// inside an hour). With an enclosure the draw depends on its state: this is then the
    /// standby draw alone, and [`Lifetime::enclosure_draw`] the whole.
    #[inline]
    pub fn aux_over(&self, units: u32, t0: u64, t1: u64) -> Option<Power> {
        if let Some(e) = &self.enclosure {
            return Some(e.standby() * f64::from(units));
        }
        let aux = self.tables.aux.as_ref()?;
        let n = f64::from(units);
        let (h0, h1) = (t0 / MS_PER_HOUR, (t1 - 1) / MS_PER_HOUR);
        if h0 == h1 {
            return Some(Power::mw(aux.at_hour(h0)) * n);
        }
        if h1 - h0 >= LONG_SPAN_HOURS {
            let hours = (t1 - t0) as f64 / MS_PER_HOUR as f64;
            return Some(Power::mw(aux.integral_h(t0, t1) / hours * n));
        }
        let mut sum = 0.0;
        for h in h0..=h1 {
            let a = (h * MS_PER_HOUR).max(t0);
            let b = ((h + 1) * MS_PER_HOUR).min(t1);
            sum += aux.at_hour(h) * (b - a) as f64;
        }
        Some(Power::mw(sum / (t1 - t0) as f64 * n))
    }

    /// The auxiliary energy `units` units draw over `[t0, t1)` ms, MWh, or `None` without
    /// `[battery.thermal]` (from the hourly prefix sums: O(1) for a stretch of any length).
    #[inline]
    pub fn aux_energy_over(&self, units: u32, t0: u64, t1: u64) -> Option<f64> {
        let aux = self.tables.aux.as_ref()?;
        Some(aux.integral_h(t0, t1) * f64::from(units))
    }

    /// The largest auxiliary draw of `units` units in any hour of the ambient series, or
    /// `None` without `[battery.thermal]`.
    pub fn max_aux(&self, units: u32) -> Option<Power> {
        let aux = self.tables.aux.as_ref()?;
        Some(Power::mw(aux.max()) * f64::from(units))
    }

    /// The electric draw of one unit's enclosure (standby plus HVAC) averaged over `[t0, t1)`
    /// ms from `life`'s enclosure state at `t0` (the heat rate the state applies now: the last
    /// step's losses), or `None` without an enclosure: exactly the draw of the trajectory
    /// [`Lifetime::age`] will integrate over the same span.
    #[inline]
    pub fn enclosure_draw(&self, life: &LifeState, t0: u64, t1: u64) -> Option<Power> {
        let (e, st) = (self.enclosure.as_ref()?, life.enclosure.as_ref()?);
        if t1 <= t0 {
            return Some(e.standby());
        }
        let heat = e.heat_in_mw(st);
        let mut temp = st.temp_c;
        let mut hvac = 0.0;
        let (h0, h1) = (t0 / MS_PER_HOUR, (t1 - 1) / MS_PER_HOUR);
        for h in h0..=h1 {
            let a = (h * MS_PER_HOUR).max(t0);
            let b = ((h + 1) * MS_PER_HOUR).min(t1);
            let iv = e.advance(temp, self.ambient.at_hour(h), heat, ms_to_hours(b - a));
            temp = iv.end_c;
            hvac += iv.hvac_mwh(e);
        }
        Some(e.standby() + Power::mw(hvac / ms_to_hours(t1 - t0)))
    }

    /// The one-way efficiency at `loading` (power over the power limit), if a curve is given.
    #[inline]
    pub fn efficiency_at(&self, loading: f64) -> Option<Fraction> {
        self.efficiency.as_ref().map(|c| c.at(loading))
    }

    /// A new battery's life state at `soc`.
    pub fn initial_state(&self, soc: Fraction) -> LifeState {
        LifeState {
            ageing: self.ageing.as_ref().map(|m| m.initial_state(soc)),
            last_soc: soc.value(),
            capacity_factor: 1.0,
            inv_capacity_factor: 1.0,
            efficiency_factor: 1.0,
            fade_loss: Energy::ZERO,
            ambient_degree_hours: 0.0,
            hours: 0.0,
            cohorts: None,
            enclosure: None,
            soc_factor: SocFactorCache::default(),
            rest: None,
        }
    }

    /// [`Lifetime::initial_state`] of a fleet of `units` units (with its enclosure's state).
    pub fn initial_state_of(&self, soc: Fraction, units: u32) -> LifeState {
        LifeState {
            enclosure: self.enclosure.as_ref().map(|e| e.initial_state(units)),
            ..self.initial_state(soc)
        }
    }

    /// Ages the battery over the segment `[t0, t1)` ms (length `dt`), in which the cells' SoC
    /// (stored energy over the aged capacity) moved linearly to `soc` (constant power): calendar
    /// fade over each hour of the segment at that hour's cells' temperature (the ambient, or with
    /// an enclosure its exact mean over the hour's piece, after advancing it over the segment)
    /// along the ramp (split in proportion), then `throughput_soc` to the rainflow counter at
    /// the segment's mean temperature; the capacity and efficiency factors follow, in quanta of
    /// [`fade_quantum`](super::ageing::AgeingParams::fade_quantum). The ambient's time integral is kept for
    /// the report. Returns whether the factors changed (the window may then have shrunk).
    ///
    /// `throughput_soc` is the stored energy plus the fade loss so far, over nameplate: it moves
    /// only with charge, discharge and self-discharge, never because the capacity shrank (the
    /// aged SoC of a battery at rest creeps as its capacity fades, and a full one's stored
    /// energy falls with its ceiling: neither is a cycle). Cycle depths and C-rates are thus in
    /// nameplate terms, as equivalent full cycles are.
    pub fn age(
        &self,
        life: &mut LifeState,
        t0: u64,
        t1: u64,
        dt: Hours,
        soc: Fraction,
        throughput_soc: Fraction,
    ) -> Aged {
        let (h0, h1, mean_temp, temps) = self.segment_temps(life, t0, t1, dt);
        let from = life.last_soc;
        life.last_soc = soc.value();
        let (Some(model), Some(state)) = (&self.ageing, &mut life.ageing) else {
            return Aged {
                refreshed: false,
                flat: from == soc.value(),
            };
        };
        // Nothing moved: the cells' SoC held, and the throughput the rainflow counter follows.
        let flat =
            from == soc.value() && state.rainflow().last_value() == Some(throughput_soc.value());
        self.age_ramp(
            model,
            state,
            from,
            (t0, t1, h0, h1),
            dt,
            soc,
            throughput_soc,
            mean_temp,
            temps,
            &mut life.soc_factor,
        );
        // The factors follow the fade in quanta (see `AgeingParams::fade_quantum`): unchanged, and
        // nothing to recompute, until the next quantum of calendar or cycle fade.
        let refreshed = model.refresh(state);
        if refreshed {
            let factors = model.applied_factors(state);
            life.set_factors(factors);
        }
        Aged { refreshed, flat }
    }

    /// Whether the segment ending at `t1` continues `life`'s rest (see [`Rest`]): the stored
    /// energy is still the rest's, and up to `t1` its calendar ageing cannot reach the next
    /// refresh of the factors. The segment is then owed to the rest, and nothing else is done.
    #[inline]
    pub(crate) fn continue_rest(life: &mut LifeState, t1: u64, energy: Energy) -> bool {
        match &mut life.rest {
            Some(r) if energy == r.energy && t1 <= r.until_ms => {
                r.now_ms = t1;
                true
            }
            _ => false,
        }
    }

    /// Starts a rest at `t1`, after a segment in which nothing moved, holding `energy` (see
    /// [`Rest`]): it lasts while the stored energy stays and the calendar ageing it owes keeps
    /// below the next refresh of the factors, a time found once here by inverting the
    /// calendar table's prefix sums ([`HourlyTable::reach_ms`]). Not with an enclosure, whose
    /// temperature moves on its own.
    #[cold]
    #[inline(never)]
    pub(crate) fn begin_rest(&self, life: &mut LifeState, t1: u64, energy: Energy) {
        if self.enclosure.is_some() {
            return;
        }
        let soc_factor = match &self.ageing {
            None => 0.0,
            Some(model) => model.calendar_soc_factor(Fraction::ratio(life.last_soc)),
        };
        let Some(until_ms) = self.rest_until(life, t1, soc_factor) else {
            return;
        };
        life.rest = Some(Rest {
            since_ms: t1,
            now_ms: t1,
            until_ms,
            energy,
            soc_factor,
            calendar_paid_ms: None,
        });
    }

    /// A segment ending at `t1` that leaves the stored energy at the rest's `energy` but passes
    /// the rest's `until_ms` (its calendar ageing reaches the next refresh of the factors): the
    /// segment is the rest's too, so the rest's calendar ageing is paid up to `t1` and the
    /// factors refreshed; the rest goes on ([`Lifetime::rest_on`] gives it its new energy and
    /// next refresh), owing its hours and degree-hours from its start. Returns whether it was
    /// so (false, and nothing done, when the energy moved).
    #[cold]
    #[inline(never)]
    pub(crate) fn rest_through_refresh(
        &self,
        life: &mut LifeState,
        t1: u64,
        energy: Energy,
    ) -> bool {
        let (from, soc_factor) = match life.rest.as_mut() {
            Some(r) if r.energy == energy => {
                r.now_ms = t1;
                let from = r.calendar_from_ms();
                r.calendar_paid_ms = Some(t1);
                (from, r.soc_factor)
            }
            _ => return false,
        };
        self.pay_calendar(life, from, t1, soc_factor);
        if let (Some(model), Some(state)) = (&self.ageing, life.ageing.as_mut()) {
            if model.refresh(state) {
                let factors = model.applied_factors(state);
                life.set_factors(factors);
            }
        }
        true
    }

    /// After a refresh of the factors at `t1` in which the battery stood still, the shrunk
    /// window having left it `energy` at SoC `soc`: a rest that went through the refresh
    /// ([`Lifetime::rest_through_refresh`]) goes on holding `energy` until its next refresh;
    /// without one, a rest begins ([`Lifetime::begin_rest`]).
    #[cold]
    #[inline(never)]
    pub(crate) fn rest_on(&self, life: &mut LifeState, t1: u64, energy: Energy, soc: f64) {
        // The clamp to the shrunk ceiling leaves a full battery at its ceiling SoC to an ulp or
        // so: within SAME_SOC the rest's factor stands (it moves about 2 per unit SoC, so by
        // under 1e-11 of itself).
        let same_soc = (soc - life.last_soc).abs() <= SAME_SOC;
        life.last_soc = soc;
        let Some(r) = life.rest else {
            return self.begin_rest(life, t1, energy);
        };
        // The SoC factor is the rest's unless the window moved the SoC (a battery below its
        // ceiling keeps its energy, so its SoC rises as the window shrinks).
        let soc_factor = match (&self.ageing, &life.ageing) {
            (Some(model), Some(_)) if !same_soc => model.calendar_soc_factor(Fraction::ratio(soc)),
            _ => r.soc_factor,
        };
        match self.rest_until(life, t1, soc_factor) {
            Some(until_ms) => {
                life.rest = Some(Rest {
                    until_ms,
                    energy,
                    soc_factor,
                    ..r
                });
            }
            None => self.settle_rest(life),
        }
    }

    /// When a rest from `t1` at the calendar SoC factor `soc_factor` reaches the next refresh
    /// of the factors (`u64::MAX` without ageing); `None` when the battery cannot rest (no
    /// calendar fade to wait for).
    fn rest_until(&self, life: &LifeState, t1: u64, soc_factor: f64) -> Option<u64> {
        match (&self.ageing, &life.ageing, &self.tables.calendar) {
            (None, _, _) => Some(u64::MAX),
            (Some(model), Some(state), Some(calendar)) => {
                let margin = model.refresh_margin(state);
                if soc_factor.is_nan() || soc_factor <= 0.0 || margin <= 0.0 {
                    return None;
                }
                Some(calendar.reach_ms(t1, margin / soc_factor))
            }
            _ => None,
        }
    }

    /// Ends `life`'s rest, if any, adding what it owes ([`Lifetime::pay_rest`]).
    #[inline]
    pub(crate) fn settle_rest(&self, life: &mut LifeState) {
        if let Some(r) = life.rest.take() {
            self.pay_rest(life, &r);
        }
    }

    /// `life` with its rest settled (a copy when it is in one): what the report reads.
    pub fn settled<'a>(&self, life: &'a LifeState) -> std::borrow::Cow<'a, LifeState> {
        if life.rest.is_none() {
            return std::borrow::Cow::Borrowed(life);
        }
        let mut copy = life.clone();
        self.settle_rest(&mut copy);
        std::borrow::Cow::Owned(copy)
    }

    /// Adds what rest `r` owes up to its `now_ms`: the calendar ageing at the resting SoC over
    /// the integral of the temperature's factor (`Δτ = f_SoC^(1/z) · ∫ f_T^(1/z) dt`, exact for
    /// a battery held at one SoC) from where it was last paid, the ambient's degree-hours and
    /// the hours from its start.
    #[cold]
    fn pay_rest(&self, life: &mut LifeState, r: &Rest) {
        let (a, b) = (r.since_ms, r.now_ms);
        if b <= a {
            return;
        }
        life.ambient_degree_hours += self.tables.temp.integral_h(a, b);
        life.hours += ms_to_hours(b - a);
        self.pay_calendar(life, r.calendar_from_ms(), b, r.soc_factor);
    }

    /// Adds the calendar ageing of a battery held at the calendar SoC factor `soc_factor` over
    /// `[a, b)` ms.
    fn pay_calendar(&self, life: &mut LifeState, a: u64, b: u64, soc_factor: f64) {
        if let (Some(model), Some(state), Some(calendar)) =
            (&self.ageing, life.ageing.as_mut(), &self.tables.calendar)
        {
            model.add_calendar_hours(state, soc_factor * calendar.integral_h(a, b));
        }
    }

    /// The cells' temperatures over the segment `[t0, t1)` ms of length `dt`: the first and
    /// last hours it touches, the cells' mean temperature over it (°C) and where each hour's
    /// comes from (for [`Lifetime::piece_temp`]). Sums the ambient's time integral into `life`
    /// and, with an enclosure, advances its state over the segment hour by hour (exactly, see
    /// [`enclosure`](super::enclosure)): the cells' temperature is then the enclosure's mean.
    /// At the end of a step the losses gathered over it become the next step's heat.
    #[inline]
    pub(crate) fn segment_temps(
        &self,
        life: &mut LifeState,
        t0: u64,
        t1: u64,
        dt: Hours,
    ) -> (u64, u64, f64, CellTemps) {
        let (h0, h1, mean_ambient) = self.segment_hours(t0, t1);
        life.ambient_degree_hours += mean_ambient * dt.value();
        life.hours += dt.value();
        let (Some(e), Some(st)) = (&self.enclosure, life.enclosure.as_mut()) else {
            return (h0, h1, mean_ambient, CellTemps::Ambient);
        };
        let heat = e.heat_in_mw(st);
        let temps = CellTemps::Enclosure {
            temp_c: st.temp_c,
            heat_mw: heat,
        };
        let mut degree_hours = 0.0;
        for h in h0..=h1 {
            let a = (h * MS_PER_HOUR).max(t0);
            let b = ((h + 1) * MS_PER_HOUR).min(t1);
            let hours = ms_to_hours(b - a);
            let ambient = self.ambient.at_hour(h);
            let iv = e.advance(st.temp_c, ambient, heat, hours);
            degree_hours += iv.degree_hours;
            e.record(st, &iv, ambient, heat, hours);
        }
        let mean = if t1 > t0 {
            degree_hours / ms_to_hours(t1 - t0)
        } else {
            st.temp_c
        };
        if self.step_ms == 0 || t1 % self.step_ms == 0 {
            e.end_step(st);
        }
        (h0, h1, mean, temps)
    }

    /// The cells' mean temperature over the piece `[a, b)` ms of hour `h` of a segment, the
    /// pieces taken in order (`temps` from [`Lifetime::segment_temps`] moves along them): the
    /// hour's ambient, or the enclosure's exact mean over the piece.
    #[inline]
    pub(crate) fn piece_temp(&self, temps: &mut CellTemps, h: u64, a: u64, b: u64) -> f64 {
        match (temps, &self.enclosure) {
            (CellTemps::Enclosure { temp_c, heat_mw }, Some(e)) if b > a => {
                let hours = ms_to_hours(b - a);
                let iv = e.advance(*temp_c, self.ambient.at_hour(h), *heat_mw, hours);
                *temp_c = iv.end_c;
                iv.degree_hours / hours
            }
            _ => self.ambient.at_hour(h),
        }
    }

    /// The first and last hours (from the run's start) the segment `[t0, t1)` ms touches, and
    /// its mean ambient temperature, °C.
    #[inline]
    pub(crate) fn segment_hours(&self, t0: u64, t1: u64) -> (u64, u64, f64) {
        let (h0, h1) = (t0 / MS_PER_HOUR, (t1.max(t0 + 1) - 1) / MS_PER_HOUR);
        let mean_temp = if h0 == h1 {
            self.tables.temp.at_hour(h0)
        } else if h1 - h0 >= LONG_SPAN_HOURS {
            self.tables.temp.integral_h(t0, t1) / ((t1 - t0) as f64 / MS_PER_HOUR as f64)
        } else {
            let mut sum = 0.0;
            for h in h0..=h1 {
                let a = (h * MS_PER_HOUR).max(t0);
                let b = ((h + 1) * MS_PER_HOUR).min(t1);
                sum += self.ambient.at_hour(h) * (b - a) as f64;
            }
            sum / (t1 - t0) as f64
        };
        (h0, h1, mean_temp)
    }

    /// The calendar increment `Δτ` of a segment `span = (t0, t1, h0, h1)` (from
    /// [`Lifetime::segment_temps`], with its `mean_temp` and `temps`) of length `dt` in which the cells' SoC
    /// moved linearly from `from` to `soc`: the sum over its hours of
    /// [`AgeingModel::ramp_increment`] (each hour at its cells' temperature from `temps`), what
    /// [`Lifetime::age_ramp`] adds to one state.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn calendar_increment(
        &self,
        model: &AgeingModel,
        from: f64,
        span: (u64, u64, u64, u64),
        dt: Hours,
        soc: Fraction,
        mean_temp: f64,
        mut temps: CellTemps,
        cache: &mut SocFactorCache,
    ) -> f64 {
        let (t0, t1, h0, h1) = span;
        let table = match temps {
            CellTemps::Ambient => self.tables.calendar.as_ref(),
            // The enclosure's temperature is its own: no table.
            CellTemps::Enclosure { .. } => None,
        };
        let Some(factor) = table else {
            if h0 == h1 {
                return model.ramp_increment(dt, Fraction::ratio(from), soc, mean_temp);
            }
            return self.ramp_hours(span, dt, from, soc, |h, a, b, dt_h, s0, s1| {
                model.ramp_increment(dt_h, s0, s1, self.piece_temp(&mut temps, h, a, b))
            });
        };
        if h0 == h1 {
            return model.ramp_increment_cached(
                dt,
                Fraction::ratio(from),
                soc,
                factor.at_hour(h0),
                cache,
            );
        }
        if h1 - h0 >= LONG_SPAN_HOURS {
            // A span this long is a fast-forwarded rest, held at `soc` (its SoC moves only as
            // the capacity fades under a battery below its ceiling, by far less than 1 %; `from`
            // may still be the last step's pre-fade SoC, which stepping ramps over that step
            // alone, not over the rest).
            return model.calendar_soc_factor(soc) * factor.integral_h(t0, t1);
        }
        self.ramp_hours(span, dt, from, soc, |h, _, _, dt_h, s0, s1| {
            model.ramp_increment_with(dt_h, s0, s1, factor.at_hour(h))
        })
    }

    /// The sum over the hours of the segment `span` (length `dt`, the SoC ramping from `from` to
    /// `soc`) of `f(h, a, b, Δt, SoC at a, SoC at b)` for each hour's piece `[a, b)` ms.
    #[inline]
    fn ramp_hours(
        &self,
        span: (u64, u64, u64, u64),
        dt: Hours,
        from: f64,
        soc: Fraction,
        mut f: impl FnMut(u64, u64, u64, Hours, Fraction, Fraction) -> f64,
    ) -> f64 {
        let (t0, t1, h0, h1) = span;
        let len = (t1 - t0) as f64;
        let to = soc.value();
        let mut sum = 0.0;
        for h in h0..=h1 {
            let a = (h * MS_PER_HOUR).max(t0);
            let b = ((h + 1) * MS_PER_HOUR).min(t1);
            let (wa, wb) = ((a - t0) as f64 / len, (b - t0) as f64 / len);
            sum += f(
                h,
                a,
                b,
                Hours::h(dt.value() * (wb - wa)),
                Fraction::ratio(from + (to - from) * wa),
                Fraction::ratio(from + (to - from) * wb),
            );
        }
        sum
    }

    /// Ages `state` over the segment `span = (t0, t1, h0, h1)` (from [`Lifetime::segment_temps`],
    /// with `temps`) of length `dt`, in which the cells' SoC moved linearly from `from` to `soc`:
    /// calendar fade hour by hour (at the cells' temperature) along the ramp, then
    /// `throughput_soc` to the rainflow counter at the segment's mean temperature (see
    /// [`Lifetime::age`]).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(crate) fn age_ramp(
        &self,
        model: &AgeingModel,
        state: &mut AgeingState,
        from: f64,
        span: (u64, u64, u64, u64),
        dt: Hours,
        soc: Fraction,
        throughput_soc: Fraction,
        mean_temp: f64,
        mut temps: CellTemps,
        cache: &mut SocFactorCache,
    ) {
        let (t0, t1, h0, h1) = span;
        let ambient = matches!(temps, CellTemps::Ambient);
        if h0 == h1 || (ambient && h1 - h0 >= LONG_SPAN_HOURS) {
            // One hour, or a long rest: the tables' value or integral.
            let increment =
                self.calendar_increment(model, from, span, dt, soc, mean_temp, temps, cache);
            model.add_calendar_hours(state, increment);
        } else {
            let len = (t1 - t0) as f64;
            let to = soc.value();
            let table = self.tables.calendar.as_ref().filter(|_| ambient);
            for h in h0..=h1 {
                let a = (h * MS_PER_HOUR).max(t0);
                let b = ((h + 1) * MS_PER_HOUR).min(t1);
                let (wa, wb) = ((a - t0) as f64 / len, (b - t0) as f64 / len);
                let (dt_h, s0, s1) = (
                    Hours::h(dt.value() * (wb - wa)),
                    Fraction::ratio(from + (to - from) * wa),
                    Fraction::ratio(from + (to - from) * wb),
                );
                let increment = match table {
                    Some(factor) => model.ramp_increment_with(dt_h, s0, s1, factor.at_hour(h)),
                    None => {
                        model.ramp_increment(dt_h, s0, s1, self.piece_temp(&mut temps, h, a, b))
                    }
                };
                model.add_calendar_hours(state, increment);
            }
        }
        model.observe_soc(state, throughput_soc, dt, mean_temp);
    }
}

/// What [`Lifetime::age`] did to a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aged {
    /// The capacity and efficiency factors changed (the window may have shrunk).
    pub refreshed: bool,
    /// Nothing moved: the cells' SoC and the throughput stayed where they were.
    pub flat: bool,
}

/// A rest: since `since_ms`, every segment aged left the stored energy where it was, so the
/// battery stood still. What those segments owe (calendar ageing, the ambient's degree-hours,
/// the hours) is not added segment by segment but once, in closed form from the tables' prefix
/// sums, when the rest ends or a reader asks ([`Lifetime::settled`]): a resting step then
/// costs two comparisons. When its calendar ageing reaches the next refresh of the factors
/// (`until_ms`), that ageing is paid (`calendar_paid_ms`), the window shrinks, and the rest
/// goes on with the energy the window leaves, at the SoC factor of the SoC that energy now is.
/// Part of the [`LifeState`], so a snapshot taken during a rest resumes it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rest {
    /// When the rest began, ms from the run's start.
    pub since_ms: u64,
    /// The end of the last segment owed to it, ms.
    pub now_ms: u64,
    /// The last time the rest may reach before its calendar ageing would pass the next refresh
    /// of the factors, ms.
    pub until_ms: u64,
    /// The stored energy it holds.
    pub energy: Energy,
    /// The calendar SoC factor `f_SoC^(1/z)` at its SoC.
    pub soc_factor: f64,
    /// Up to when its calendar ageing is paid, ms, when a refresh of the factors inside the
    /// rest paid it (`None`: nothing paid since `since_ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar_paid_ms: Option<u64>,
}

impl Rest {
    /// Where the calendar ageing it owes starts, ms.
    #[inline]
    pub fn calendar_from_ms(&self) -> u64 {
        self.calendar_paid_ms.unwrap_or(self.since_ms)
    }
}

/// The largest change of SoC across a refresh at rest for which the rest keeps its calendar
/// SoC factor ([`Lifetime::rest_on`]).
const SAME_SOC: f64 = 1e-12;

/// `ms` milliseconds in hours.
#[inline]
fn ms_to_hours(ms: u64) -> f64 {
    ms as f64 / MS_PER_HOUR as f64
}

/// An aux-curve error under `battery.thermal.aux_curve` (the curve names its fields
/// `battery.aux_curve`).
fn rename_aux(e: ConfigError) -> ConfigError {
    let fix = |f: String| f.replacen("battery.aux_curve", "battery.thermal.aux_curve", 1);
    match e {
        ConfigError::OutOfRange {
            field,
            value,
            allowed,
        } => ConfigError::OutOfRange {
            field: fix(field),
            value,
            allowed,
        },
        ConfigError::Missing { field, why } => ConfigError::Missing {
            field: fix(field),
            why,
        },
        ConfigError::Inconsistent { field, why } => ConfigError::Inconsistent {
            field: fix(field),
            why,
        },
        other => other,
    }
}

/// What the battery's life has done so far: the fade (its ageing state), the factors it
/// implies, and the sums the report shows. `Clone + Serialize` with the rest of the state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifeState {
    /// The degradation state (with `[battery.ageing]`).
    pub ageing: Option<AgeingState>,
    /// The cells' SoC (of the aged capacity) at the end of the last segment aged.
    pub last_soc: f64,
    /// The calendar SoC factor at the last ramp's start (so a resting step skips its `exp`).
    #[serde(default)]
    pub soc_factor: SocFactorCache,
    /// The fraction of nameplate capacity left (scales the SoC window).
    pub capacity_factor: f64,
    /// `1 / capacity_factor`.
    pub inv_capacity_factor: f64,
    /// The factor on each one-way efficiency (resistance growth).
    pub efficiency_factor: f64,
    /// Stored energy removed because it lay above the shrinking window's ceiling, MWh: a loss
    /// to degradation, counted like the other battery losses.
    pub fade_loss: Energy,
    /// `∫ ambient dt`, °C·h.
    pub ambient_degree_hours: f64,
    /// Hours aged.
    pub hours: f64,
    /// The cohorts, with an augmentation plan (each with its own ageing state; `ageing` is
    /// then `None`, and the factors above are the fleet's: `capacity_factor` the installed
    /// units' mean, `inv_capacity_factor` the initial units over the installed units' aged
    /// capacity, see [`augmentation`](super::augmentation)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cohorts: Option<super::augmentation::CohortsState>,
    /// The enclosure's state (with `[battery.thermal.enclosure]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enclosure: Option<EnclosureState>,
    /// The rest the battery is in, whose ageing and sums are still owed (see [`Rest`]; read
    /// the figures through [`Lifetime::settled`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rest: Option<Rest>,
}

impl LifeState {
    /// Sets the capacity and efficiency factors (and the capacity factor's reciprocal).
    #[inline]
    fn set_factors(&mut self, (capacity, efficiency): (f64, f64)) {
        self.capacity_factor = capacity;
        self.efficiency_factor = efficiency;
        self.inv_capacity_factor = 1.0 / capacity;
    }

    /// The mean ambient temperature so far, °C (the reference before any time has passed).
    pub fn mean_ambient_c(&self) -> f64 {
        if self.hours > 0.0 {
            self.ambient_degree_hours / self.hours
        } else {
            REFERENCE_TEMPERATURE_C
        }
    }
}

#[cfg(test)]
mod serde_tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct T {
        ambient: Option<AmbientSource>,
        curve: Option<EfficiencyCurveSpec>,
    }

    fn toml(text: &str) -> Result<T, String> {
        toml::from_str::<T>(text).map_err(|e| e.to_string())
    }

    fn json(text: &str) -> Result<T, String> {
        serde_json::from_str::<T>(text).map_err(|e| e.to_string())
    }

    #[test]
    fn every_form_reads_from_toml_and_json_and_round_trips() {
        let synthetic = "{ monthly_mean_c = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], \
                         winter_swing_c = 8, summer_swing_c = 10, peak_hour = 15 }";
        for (text, want) in [
            ("ambient = 30", AmbientSource::Constant(30.0)),
            ("ambient = -5.5", AmbientSource::Constant(-5.5)),
            (
                "ambient = \"austin_synthetic\"",
                AmbientSource::Named(NamedAmbient::AustinSynthetic),
            ),
            (
                "ambient = { trace = \"a.csv\" }",
                AmbientSource::Trace(AmbientTrace {
                    trace: "a.csv".into(),
                    column: None,
                    data: None,
                }),
            ),
            (
                "ambient = { trace = \"a.csv\", column = \"t\" }",
                AmbientSource::Trace(AmbientTrace {
                    trace: "a.csv".into(),
                    column: Some("t".into()),
                    data: None,
                }),
            ),
        ] {
            let got = toml(text).unwrap().ambient.unwrap();
            assert_eq!(got, want, "{text}");
            // What serializes reads back, in JSON too.
            let j = format!("{{\"ambient\": {}}}", serde_json::to_string(&got).unwrap());
            assert_eq!(json(&j).unwrap().ambient.unwrap(), want, "{j}");
        }
        let s = toml(&format!("ambient = {{ synthetic = {synthetic} }}")).unwrap();
        assert!(matches!(s.ambient, Some(AmbientSource::Synthetic(_))));
        let c = toml("curve = \"calibrated\"").unwrap().curve.unwrap();
        assert_eq!(
            c,
            EfficiencyCurveSpec::Named(NamedEfficiencyCurve::Calibrated)
        );
        let j = format!("{{\"curve\": {}}}", serde_json::to_string(&c).unwrap());
        assert_eq!(json(&j).unwrap().curve.unwrap(), c);
        let c = toml("curve = [{ loading = 0.5, efficiency = 0.97 }]")
            .unwrap()
            .curve
            .unwrap();
        let j = format!("{{\"curve\": {}}}", serde_json::to_string(&c).unwrap());
        assert_eq!(json(&j).unwrap().curve.unwrap(), c);
    }

    #[test]
    fn anything_else_lists_the_forms_or_names_the_unknown_key() {
        for (text, want) in [
            ("ambient = \"paris\"", AMBIENT_FORMS),
            ("ambient = false", AMBIENT_FORMS),
            (
                "ambient = { trace = \"a.csv\", colum = \"t\" }",
                "unknown field `colum`",
            ),
            (
                "ambient = { trace = \"a.csv\", synthetic = { peak_hour = 1 } }",
                "missing field `monthly_mean_c`",
            ),
            ("ambient = {}", "one of the two"),
            (
                "curve = \"pvwatts\"",
                "expected \"calibrated\" or a list of points",
            ),
            (
                "curve = { loading = 0.5 }",
                "expected \"calibrated\" or a list of points",
            ),
            (
                "curve = [{ loading = 0.5, eff = 0.9 }]",
                "unknown field `eff`, expected `loading` or `efficiency`",
            ),
        ] {
            let e = toml(text).unwrap_err();
            assert!(e.contains(want), "{text}: want {want:?} in {e}");
            assert!(!e.contains("untagged"), "{e}");
        }
        let e = json("{\"ambient\": \"paris\"}").unwrap_err();
        assert!(e.contains(AMBIENT_FORMS), "{e}");
    }
}
