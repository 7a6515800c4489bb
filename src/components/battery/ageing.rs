//! Battery degradation: calendar and cycle capacity fade, and optional resistance growth.
//!
//! * [`AgeingParams`]: what a scenario says (every field optional, LFP defaults below),
//!   validated once by [`AgeingParams::validate`].
//! * [`AgeingModel`]: the validated, immutable model.
//! * [`AgeingState`]: the fade so far and the rainflow counter's residue; `Clone + Serialize`,
//!   so a run snapshots and resumes with it.
//!
//! # Model
//! Capacity fade `q` (a fraction of nameplate) is the sum of a calendar part and a cycle part,
//! as in SimSES and BLAST-Lite:
//!
//! * **Calendar fade** follows a power law of time, `q_cal = k · t^z`, with the stress
//!   `k = q₁ · f_T(T) · f_SoC(SoC)` per year^z: `q₁` is the fade after one year at the reference
//!   conditions (25 °C, 50 % SoC), `f_T` an Arrhenius factor
//!   `exp(−E_a/R · (1/T − 1/T_ref))` (kelvin) and `f_SoC` a stress factor of the state of charge
//!   equal to 1 at 50 % ([`SocStress`]).
//! * **Cycle fade** accrues as the streaming [rainflow](super::rainflow) counter counts cycles:
//!   a cycle of depth `d` (the SoC range, a fraction) and weight `w` (1 full, ½ half) adds
//!   `w · q_efc · d^β · s̄`. `q_efc` is the fade per equivalent full cycle at 100 % depth, `β` the
//!   depth-of-discharge (Wöhler) exponent, and `s̄` the mean of the cycle stress
//!   `s = f_T,cyc(T) · exp(k_C · (C − C_ref))` (its own Arrhenius factor and a C-rate factor,
//!   `C = |ΔSoC| / Δt` in 1/h) weighted by the distance the SoC travelled along the cycle (a full
//!   cycle's both halves, a half cycle's one: see [`rainflow`](super::rainflow)'s *Tags*). With
//!   `β = 1` (the default) a full cycle of depth `d` costs `d` equivalent full cycles' fade:
//!   fade is proportional to throughput, as the rule of thumb says.
//! * **Capacity factor** `1 − q_cal − q_cyc`, never below [`MIN_CAPACITY_FACTOR`].
//! * **The factors a run applies** ([`AgeingModel::refresh`], [`AgeingModel::applied_factors`])
//!   take the fade in whole quanta ([`AgeingParams::fade_quantum`], default 0.1 % of
//!   nameplate, [`DEFAULT_FADE_QUANTUM`]): the calendar fade
//!   rounded up, and the cycle fade so far rounded to the nearest, never falling. The cycle fade
//!   so far counts the closed cycles and the open ones (the rainflow residue's ranges and the
//!   latest monotone run) as the half cycles they would be if the history ended now
//!   ([`AgeingState::open_cycle_fade`]; at the default `β = 1` it never falls, since the
//!   cycles partition the history; at another `β` it may dip when a cycle closes): a
//!   nearly periodic history whose daily swings drift wider may close no cycle for months, and
//!   the window still shrinks with it. The window a run dispatches against is thus never larger
//!   than the model's by half a quantum, nor smaller by one and a half. The applied fade is a
//!   function of `τ` and the SoC history alone, not of the step: a run refreshes it when `τ`
//!   passes the next quantum's threshold (precomputed) or the cycle fade passes half a quantum,
//!   so the factors, the window and the SoC of a battery at rest stay constant between
//!   refreshes (about 20 in the first year at the defaults, one every 18 days; fewer later).
//!   Reported fades and capacities are the model's own, unquantised
//!   ([`AgeingModel::total_fade`], [`AgeingModel::capacity_factor`]). The quantum feeds back
//!   into the fade only through the window's small lead or lag; with open cycles counted
//!   the cycle fade of a year of daily cycles does not move by 1e-4 relative from a quantum of
//!   1e-5 to 1e-2 (tested).
//! * **Resistance growth** (optional, off by default): the cells' resistance grows by `g · q`,
//!   so the resistive share `ℓ` of each one-way loss grows with it and every one-way efficiency
//!   is multiplied by [`AgeingModel::efficiency_factor`] `= 1 − ℓ · g · q / (1 − ℓ)`.
//!
//! # No dependence on the time step
//! The same history must age a battery by the same amount whether it is simulated in 1-minute
//! or 1-hour steps (SAM users met exactly this bug). Two choices make it so:
//!
//! * **Calendar fade is stepped in equivalent time.** For the law `q = k · t^z`, with fade `q`
//!   so far and the present stress `k`, the equivalent time is `t_eq = (q/k)^(1/z)` and a step
//!   of length `Δt` moves the fade to `k · (t_eq + Δt)^z` — exact for a constant stress at any
//!   step length. Written as `q^(1/z) = q₁^(1/z) · τ`, this is a sum: the state keeps `τ`, the
//!   *equivalent hours at the reference conditions*, and a step adds
//!   `Δτ = Δt · (f_T · f_SoC)^(1/z)` (the exact solution of `dq/dt` under varying stress). When
//!   the SoC moves linearly across a step (constant power, as in the engine), the step adds the
//!   exact average of `f_SoC^(1/z)` over the ramp ([`AgeingModel::advance_ramp`]), so a ramp
//!   aged in one step or in sixty gives the same `τ`.
//! * **Cycle fade is counted on cycles, not steps.** The rainflow counter sees only reversals;
//!   the stress of a cycle is a path integral (stress × distance travelled), so sampling a
//!   linear ramp more finely adds nothing.
//!
//! What cannot be step-independent is a history the coarse step does not contain: reversals or
//! bursts of power *inside* an hour are invisible to an hourly simulation. The tests state this
//! and check the rest.
//!
//! # Defaults (LFP) and their sources
//! | parameter | default | source |
//! |---|---|---|
//! | `calendar_fade_first_year` | 2 % | rule of thumb for grid LFP at 25 °C and 50 % SoC (weak sources) |
//! | `calendar_time_exponent` | 0.5 (√t) | Naumann et al., J. Energy Storage 17 (2018) 153–169 (√t fit of a commercial LFP/graphite cell) |
//! | `calendar_activation_energy_kj_per_mol` | 17.126 | the same paper's fit |
//! | `calendar_soc_stress` | exponential, 0.93 | fitted here to the same paper's fade rate at 100 % vs 50 % SoC (1.59×; their law is cubic in SoC) |
//! | `cycle_fade_per_efc` | 0.006 % | rule of thumb for grid LFP (weak sources) |
//! | `dod_exponent` | 1.0 | assumption: the rule of thumb is per equivalent full cycle, with no depth dependence |
//! | `cycle_activation_energy_kj_per_mol` | 31.7 | Wang et al., J. Power Sources 196 (2011) 3942–3948 (LFP cycle life) |
//! | `c_rate_stress_coefficient` | 0.15 per 1/h | the same paper: `E_a` falls by 370.3 J/mol per C, i.e. ×e^0.149 per C at 25 °C |
//! | `reference_c_rate_per_h` | 0.25 | assumption: a 4-hour unit at rated power |
//! | `resistance_growth_per_fade` | 0 (off) | — |
//! | `resistive_loss_fraction` | 1 % | assumption: share of a one-way loss at rated power lost in cell resistance |
//! | `fade_quantum` | 0.1 % | numerical: the step in which the dispatch window follows the fade (not a physical parameter) |
//!
//! The two rules of thumb (grid LFP keeps losing 20–30 % in its first decade; ≈2 %/yr calendar
//! at 25 °C and 50 % SoC plus ≈0.006 % per equivalent full cycle) are weak sources. Read with the
//! √t law as "2 % in the first year", a decade of one full cycle a day at 25 °C fades ≈28 %
//! (6.8 % calendar + 21 % cycle): inside the 20–30 % range. Read as a steady 2 % every year,
//! calendar fade alone would be 20 % after a decade and the total ≈42 %, outside it.
//!
//! ```
//! use ridethrough::components::battery::ageing::AgeingParams;
//! use ridethrough::units::{Fraction, Hours};
//!
//! let model = AgeingParams::default().validate()?;
//! let mut state = model.initial_state(Fraction::ratio(0.5));
//! // A year at rest, 25 °C, 50 % SoC, in hourly steps.
//! for _ in 0..8760 {
//!     model.step(&mut state, Hours::h(1.0), Fraction::ratio(0.5), 25.0);
//! }
//! model.finish(&mut state);
//! assert!((model.total_fade(&state).value() - 0.02).abs() < 1e-9);
//! assert!((model.capacity_factor(&state) - 0.98).abs() < 1e-9);
//! # Ok::<(), ridethrough::ConfigError>(())
//! ```

use super::rainflow::{Cycle, RainflowCounter};
use crate::error::{check_range, ConfigError};
use crate::units::{Fraction, Hours};
use serde::{Deserialize, Serialize};

/// Below this `|x|`, `(eˣ − 1)/x` is taken as `1 + x/2` (see [`SocStress`]'s ramp mean).
const TINY_RAMP: f64 = 1e-8;

/// The molar gas constant, J/(mol·K) (exact in the 2019 SI).
pub const GAS_CONSTANT: f64 = 8.314_462_618;

/// Zero of the Celsius scale, K.
const KELVIN_AT_0C: f64 = 273.15;

/// The reference temperature of every default, °C (the datasheet's and the rules of thumb's).
pub const REFERENCE_TEMPERATURE_C: f64 = 25.0;

/// The reference state of charge of the calendar stress (the rules of thumb's 50 %).
pub const REFERENCE_SOC: f64 = 0.5;

/// The default quantum in which the factors a run applies follow the fade, a fraction of
/// nameplate: 1e-3 (0.1 %), `battery.ageing.fade_quantum`. The applied calendar fade is the
/// model's rounded up to a whole number of quanta and the applied cycle fade the nearest (see
/// the module docs): small beside the laws' own uncertainty (their parameters are known to tens
/// of per cent), large enough that a battery at rest keeps its window, and so its SoC,
/// unchanged for days, which is what lets a step skip the factors' recomputation. The fade
/// itself hardly depends on it: an Austin year of daily peak-shaving cycles fades by the same
/// amount to 1e-4 relative at quanta from 1e-5 to 1e-2 (tested).
pub const DEFAULT_FADE_QUANTUM: f64 = 1e-3;
/// Hours in the year of `calendar_fade_first_year` (365 days).
pub const HOURS_PER_YEAR: f64 = 8760.0;

/// The lowest capacity factor reported: 0.5. The fitted laws describe the first 20–30 % of fade
/// (warranties end at 60–80 % retained, and LFP fades faster past a "knee" the laws do not
/// model), so nothing they say below half the nameplate is meaningful; the floor keeps every
/// derived capacity positive. [`AgeingModel::total_fade`] is not floored, so a report can flag
/// a run that went past it.
pub const MIN_CAPACITY_FACTOR: f64 = 0.5;

/// The lowest cell temperature at which the Arrhenius factors are evaluated, °C: colder inputs
/// are taken as this. LFP cells do not operate below it (Megapack 3's ambient range starts at
/// −40 °C, with the enclosure heated), and the fits say nothing there.
pub const MIN_CELL_TEMPERATURE_C: f64 = -40.0;

/// The highest cell temperature at which the Arrhenius factors are evaluated, °C: hotter inputs
/// are taken as this (accelerated-ageing tests stop near 60 °C; Megapack 3's ambient range ends
/// at +60 °C).
pub const MAX_CELL_TEMPERATURE_C: f64 = 70.0;

/// The highest C-rate at which the C-rate stress is evaluated, 1/h: faster SoC changes (a jump
/// within a zero-length step, say) are taken as this. A Megapack runs at 0.25–0.5 C; Wang et
/// al.'s fit spans 0.5–10 C.
pub const MAX_C_RATE_PER_H: f64 = 10.0;

/// Default fade after one year at 25 °C and 50 % SoC: 2 % (grid-LFP rule of thumb, weak sources).
pub const DEFAULT_CALENDAR_FADE_FIRST_YEAR: f64 = 0.02;
/// Default calendar time exponent: 0.5, a √t law (Naumann et al. 2018).
pub const DEFAULT_CALENDAR_TIME_EXPONENT: f64 = 0.5;
/// Default calendar activation energy, kJ/mol (Naumann et al. 2018).
pub const DEFAULT_CALENDAR_ACTIVATION_ENERGY_KJ_PER_MOL: f64 = 17.126;
/// Default exponential SoC stress coefficient: `exp(0.93 · 0.5) = 1.59`, the ratio of Naumann et
/// al.'s (2018) fitted calendar stress at 100 % SoC to that at 50 %
/// (`(2.8575 · 0.5³ + 0.60225) / 0.60225`).
pub const DEFAULT_SOC_STRESS_COEFFICIENT: f64 = 0.93;
/// Default fade per equivalent full cycle at 100 % depth: 0.006 % (grid-LFP rule of thumb, weak
/// sources).
pub const DEFAULT_CYCLE_FADE_PER_EFC: f64 = 6e-5;
/// Default depth-of-discharge exponent: 1, fade proportional to throughput (assumption: the rule
/// of thumb is stated per equivalent full cycle).
pub const DEFAULT_DOD_EXPONENT: f64 = 1.0;
/// Default cycle activation energy, kJ/mol (Wang et al. 2011, LFP cycle-life fit).
pub const DEFAULT_CYCLE_ACTIVATION_ENERGY_KJ_PER_MOL: f64 = 31.7;
/// Default C-rate stress coefficient, per 1/h: Wang et al. (2011) lower the activation energy by
/// 370.3 J/mol per C, i.e. a factor `exp(370.3 / (R · 298.15 K)) = e^0.149` per C at 25 °C.
pub const DEFAULT_C_RATE_STRESS_COEFFICIENT: f64 = 0.15;
/// Default reference C-rate, 1/h: 0.25, a 4-hour unit at rated power (assumption).
pub const DEFAULT_REFERENCE_C_RATE_PER_H: f64 = 0.25;
/// Default resistance growth per unit of fade: 0, resistance growth off.
pub const DEFAULT_RESISTANCE_GROWTH_PER_FADE: f64 = 0.0;
/// Default resistive share of a one-way loss at rated power: 1 % of the power (assumption).
pub const DEFAULT_RESISTIVE_LOSS_FRACTION: f64 = 0.01;

/// How the calendar stress depends on the state of charge: a factor equal to 1 at
/// [`REFERENCE_SOC`], tagged by `kind`:
/// `{ kind = "exponential", coefficient = 0.93 }` is `exp(coefficient · (SoC − 0.5))`;
/// `{ kind = "linear", slope = 1.2 }` is `1 + slope · (SoC − 0.5)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SocStress {
    /// `exp(coefficient · (SoC − 0.5))`.
    Exponential {
        /// Per unit of SoC, `0 ≤ x ≤ 5` (at 5 a full battery ages 12× faster than a half-full
        /// one, beyond any published LFP fit; 0 removes the SoC dependence).
        coefficient: f64,
    },
    /// `1 + slope · (SoC − 0.5)`.
    Linear {
        /// Per unit of SoC, `0 ≤ x ≤ 1.8` (the factor stays ≥ 0.1 at an empty battery).
        slope: f64,
    },
}

impl Default for SocStress {
    fn default() -> SocStress {
        SocStress::Exponential {
            coefficient: DEFAULT_SOC_STRESS_COEFFICIENT,
        }
    }
}

impl SocStress {
    /// The stress factor at `soc`.
    pub fn factor(self, soc: f64) -> f64 {
        match self {
            SocStress::Exponential { coefficient } => (coefficient * (soc - REFERENCE_SOC)).exp(),
            SocStress::Linear { slope } => 1.0 + slope * (soc - REFERENCE_SOC),
        }
    }

    /// The exact mean of `factor(s)^p` while `s` moves linearly from `s0` to `s1`.
    ///
    /// Written with `expm1` and `ln_1p`, so it stays accurate for ramps as short as one ulp.
    fn mean_power_over_ramp(self, s0: f64, s1: f64, p: f64) -> f64 {
        self.mean_power_from(self.power_at(s0, p), s0, s1, p)
    }

    /// `factor(s0)^p`: the start of a ramp's mean (an `exp` or a `powf`).
    #[inline]
    fn power_at(self, s0: f64, p: f64) -> f64 {
        match self {
            SocStress::Exponential { coefficient } => {
                (p * coefficient * (s0 - REFERENCE_SOC)).exp()
            }
            SocStress::Linear { slope } => (1.0 + slope * (s0 - REFERENCE_SOC)).powf(p),
        }
    }

    /// [`SocStress::mean_power_over_ramp`] with its start `factor(s0)^p` given.
    #[inline]
    fn mean_power_from(self, start: f64, s0: f64, s1: f64, p: f64) -> f64 {
        match self {
            SocStress::Exponential { coefficient } => {
                // mean of exp(b·(s − 0.5)) = exp(b·(s0 − 0.5)) · (e^x − 1)/x, x = b·(s1 − s0).
                let b = p * coefficient;
                let x = b * (s1 - s0);
                if x == 0.0 {
                    start
                } else if x.abs() < TINY_RAMP {
                    // (eˣ − 1)/x = 1 + x/2 + x²/6 + …: below 1e-8 the series' second term is
                    // under 2e-17, beneath the rounding of `expm1(x)/x` itself. A battery at
                    // rest has SoCs a few ulps apart from step to step; this spares them an
                    // `expm1` and a division.
                    start * (1.0 + 0.5 * x)
                } else {
                    start * x.exp_m1() / x
                }
            }
            SocStress::Linear { slope } => {
                // mean of u^p, u linear from u0 to u1: u0^p · ((1+r)^(p+1) − 1) / ((p+1)·r).
                let u0 = 1.0 + slope * (s0 - REFERENCE_SOC);
                let u1 = 1.0 + slope * (s1 - REFERENCE_SOC);
                let r = (u1 - u0) / u0;
                if r == 0.0 {
                    start
                } else {
                    start * ((p + 1.0) * r.ln_1p()).exp_m1() / ((p + 1.0) * r)
                }
            }
        }
    }

    /// Checks the coefficient; `field` is the table's path.
    fn validate(self, field: &str) -> Result<SocStress, ConfigError> {
        match self {
            SocStress::Exponential { coefficient } => Ok(SocStress::Exponential {
                coefficient: check_range(
                    format!("{field}.coefficient"),
                    coefficient,
                    0.0,
                    5.0,
                    "0 ≤ x ≤ 5",
                )?,
            }),
            SocStress::Linear { slope } => Ok(SocStress::Linear {
                slope: check_range(format!("{field}.slope"), slope, 0.0, 1.8, "0 ≤ x ≤ 1.8")?,
            }),
        }
    }
}

/// The `[battery.ageing]` table: every field optional, defaulting to the LFP figures in the
/// [module docs](self).
///
/// ```
/// use ridethrough::components::battery::ageing::AgeingParams;
/// let params: AgeingParams = toml::from_str(
///     r#"
///     calendar_fade_first_year = 0.025
///     calendar_soc_stress = { kind = "linear", slope = 1.0 }
///     dod_exponent = 1.3
///     "#,
/// )?;
/// let model = params.validate()?;
/// # let _ = model;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeingParams {
    /// Calendar fade after one year at 25 °C and 50 % SoC, `0 ≤ x ≤ 0.2` (default 0.02; 0 turns
    /// calendar ageing off; 20 % in a year is beyond any Li-ion cell at 25 °C).
    #[serde(default)]
    pub calendar_fade_first_year: Option<Fraction>,
    /// Exponent `z` of the calendar law `q = k · t^z`, `0.25 ≤ x ≤ 1` (default 0.5; published
    /// fits lie between about 0.4 and 0.8, and 1 is linear in time).
    #[serde(default)]
    pub calendar_time_exponent: Option<f64>,
    /// Activation energy of calendar fade, kJ/mol, `0 ≤ x ≤ 150` (default 17.126; published
    /// Li-ion fits lie between about 15 and 80; 0 removes the temperature dependence).
    #[serde(default)]
    pub calendar_activation_energy_kj_per_mol: Option<f64>,
    /// SoC stress of calendar fade (default exponential, coefficient 0.93).
    #[serde(default)]
    pub calendar_soc_stress: Option<SocStress>,
    /// Fade per equivalent full cycle at 100 % depth, 25 °C and the reference C-rate,
    /// `0 ≤ x ≤ 0.001` (default 6e-5 = 0.006 %; 0 turns cycle ageing off; at 0.1 % a cell would
    /// lose 20 % in 200 cycles, worse than any Li-ion cell).
    #[serde(default)]
    pub cycle_fade_per_efc: Option<Fraction>,
    /// Depth-of-discharge (Wöhler) exponent `β`: a full cycle of depth `d` costs
    /// `d^β · cycle_fade_per_efc`, `0.5 ≤ x ≤ 3` (default 1, fade proportional to throughput;
    /// above 1 shallow cycles cost less per equivalent full cycle).
    #[serde(default)]
    pub dod_exponent: Option<f64>,
    /// Activation energy of cycle fade, kJ/mol, `0 ≤ x ≤ 150` (default 31.7).
    #[serde(default)]
    pub cycle_activation_energy_kj_per_mol: Option<f64>,
    /// C-rate stress `k_C`: cycle fade is multiplied by `exp(k_C · (C − C_ref))`, per 1/h,
    /// `0 ≤ x ≤ 5` (default 0.15; 0 removes the C-rate dependence).
    #[serde(default)]
    pub c_rate_stress_coefficient: Option<f64>,
    /// Reference C-rate `C_ref` of `cycle_fade_per_efc`, 1/h, `0.01 ≤ x ≤ 10` (default 0.25).
    #[serde(default)]
    pub reference_c_rate_per_h: Option<f64>,
    /// Relative resistance growth per unit of fade `g` (resistance × `(1 + g·q)`), `0 ≤ x ≤ 5`
    /// (default 0: off; LFP cells at 20 % fade have typically gained 20–50 % resistance, i.e.
    /// `g` ≈ 1–2.5).
    #[serde(default)]
    pub resistance_growth_per_fade: Option<f64>,
    /// Share `ℓ` of the power lost in cell resistance at rated power when new, one way,
    /// `0 ≤ x ≤ 0.1` (default 0.01; used only with `resistance_growth_per_fade`).
    #[serde(default)]
    pub resistive_loss_fraction: Option<Fraction>,
    /// The step in which the window a run dispatches against follows the fade, a fraction of
    /// nameplate, `1e-6 ≤ x ≤ 0.01` (default 1e-3, [`DEFAULT_FADE_QUANTUM`]): the window is
    /// never larger than the model's by half a quantum, nor smaller by one and a half. A finer
    /// quantum refreshes the window more often (about `0.02 / x` times in the first year at the
    /// defaults) and costs step time; the reported fades are the model's own either way.
    #[serde(default)]
    pub fade_quantum: Option<Fraction>,
}

/// The field path of every error.
const FIELD: &str = "battery.ageing";

impl AgeingParams {
    /// Checks every figure and fills in the defaults.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `battery.ageing.<field>`, the value and the allowed
    /// range.
    pub fn validate(&self) -> Result<AgeingModel, ConfigError> {
        let field = |name: &str| format!("{FIELD}.{name}");
        let calendar_fade_first_year = check_range(
            field("calendar_fade_first_year"),
            self.calendar_fade_first_year
                .map_or(DEFAULT_CALENDAR_FADE_FIRST_YEAR, Fraction::value),
            0.0,
            0.2,
            "0 ≤ x ≤ 0.2",
        )?;
        let z = check_range(
            field("calendar_time_exponent"),
            self.calendar_time_exponent
                .unwrap_or(DEFAULT_CALENDAR_TIME_EXPONENT),
            0.25,
            1.0,
            "0.25 ≤ x ≤ 1",
        )?;
        let activation = |name: &str, value: Option<f64>, default: f64| {
            check_range(
                field(name),
                value.unwrap_or(default),
                0.0,
                150.0,
                "0 ≤ x ≤ 150 kJ/mol",
            )
            .map(|kj| kj * 1e3 / GAS_CONSTANT)
        };
        let calendar_ea_over_r = activation(
            "calendar_activation_energy_kj_per_mol",
            self.calendar_activation_energy_kj_per_mol,
            DEFAULT_CALENDAR_ACTIVATION_ENERGY_KJ_PER_MOL,
        )?;
        let soc_stress = self
            .calendar_soc_stress
            .unwrap_or_default()
            .validate(&field("calendar_soc_stress"))?;
        let cycle_fade_per_efc = check_range(
            field("cycle_fade_per_efc"),
            self.cycle_fade_per_efc
                .map_or(DEFAULT_CYCLE_FADE_PER_EFC, Fraction::value),
            0.0,
            1e-3,
            "0 ≤ x ≤ 0.001",
        )?;
        let dod_exponent = check_range(
            field("dod_exponent"),
            self.dod_exponent.unwrap_or(DEFAULT_DOD_EXPONENT),
            0.5,
            3.0,
            "0.5 ≤ x ≤ 3",
        )?;
        let cycle_ea_over_r = activation(
            "cycle_activation_energy_kj_per_mol",
            self.cycle_activation_energy_kj_per_mol,
            DEFAULT_CYCLE_ACTIVATION_ENERGY_KJ_PER_MOL,
        )?;
        let c_rate_stress = check_range(
            field("c_rate_stress_coefficient"),
            self.c_rate_stress_coefficient
                .unwrap_or(DEFAULT_C_RATE_STRESS_COEFFICIENT),
            0.0,
            5.0,
            "0 ≤ x ≤ 5 per 1/h",
        )?;
        let reference_c_rate = check_range(
            field("reference_c_rate_per_h"),
            self.reference_c_rate_per_h
                .unwrap_or(DEFAULT_REFERENCE_C_RATE_PER_H),
            0.01,
            10.0,
            "0.01 ≤ x ≤ 10 per h",
        )?;
        let resistance_growth = check_range(
            field("resistance_growth_per_fade"),
            self.resistance_growth_per_fade
                .unwrap_or(DEFAULT_RESISTANCE_GROWTH_PER_FADE),
            0.0,
            5.0,
            "0 ≤ x ≤ 5",
        )?;
        let resistive_loss = check_range(
            field("resistive_loss_fraction"),
            self.resistive_loss_fraction
                .map_or(DEFAULT_RESISTIVE_LOSS_FRACTION, Fraction::value),
            0.0,
            0.1,
            "0 ≤ x ≤ 0.1",
        )?;
        let quantum = check_range(
            field("fade_quantum"),
            self.fade_quantum
                .map_or(DEFAULT_FADE_QUANTUM, Fraction::value),
            1e-6,
            0.01,
            "1e-6 ≤ x ≤ 0.01",
        )?;
        Ok(AgeingModel {
            quantum,
            calendar_fade_first_year,
            z,
            inv_z: 1.0 / z,
            calendar_ea_over_r,
            soc_stress,
            cycle_fade_per_efc,
            dod_exponent,
            cycle_ea_over_r,
            c_rate_stress,
            reference_c_rate,
            resistance_growth,
            resistive_loss,
        })
    }
}

/// The validated degradation model. It serialises (for reports) but is only built by
/// [`AgeingParams::validate`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgeingModel {
    /// The quantum in which the applied factors follow the fade.
    quantum: f64,
    /// `q₁`: calendar fade after a year at the reference conditions.
    calendar_fade_first_year: f64,
    /// The calendar time exponent `z`.
    z: f64,
    /// `1/z`.
    inv_z: f64,
    /// Calendar `E_a / R`, K.
    calendar_ea_over_r: f64,
    /// Calendar SoC stress.
    soc_stress: SocStress,
    /// `q_efc`.
    cycle_fade_per_efc: f64,
    /// `β`.
    dod_exponent: f64,
    /// Cycle `E_a / R`, K.
    cycle_ea_over_r: f64,
    /// `k_C`, per 1/h.
    c_rate_stress: f64,
    /// `C_ref`, 1/h.
    reference_c_rate: f64,
    /// `g`.
    resistance_growth: f64,
    /// `ℓ`.
    resistive_loss: f64,
}

/// The calendar SoC factor `f_SoC(SoC)^(1/z)` at the start of the last ramp aged, and that
/// SoC ([`AgeingModel::ramp_increment_cached`]); a SoC of −1 (the default) holds none.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SocFactorCache {
    /// The SoC (clamped to `[0, 1]`) the factor is of.
    pub soc: f64,
    /// The factor.
    pub factor: f64,
}

impl Default for SocFactorCache {
    fn default() -> Self {
        SocFactorCache {
            soc: -1.0,
            factor: 0.0,
        }
    }
}

/// What ages, and what the rainflow counter remembers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeingState {
    /// Calendar ageing so far as equivalent hours at the reference conditions, `τ`: the calendar
    /// fade is `q₁ · (τ / 8760 h)^z` ([`AgeingModel::calendar_fade`]). Keeping `τ` rather than
    /// the fade makes a step a sum (see the module docs).
    calendar_reference_hours: f64,
    /// Fade of the cycles closed so far (the residue's ranges add as half cycles at
    /// [`AgeingModel::finish`]; until then the rainflow counter weighs them as such).
    cycle_fade: f64,
    /// Running integral of the cycle stress over the distance the SoC travelled, `∫ s |dSoC|`:
    /// the rainflow tag.
    cycle_stress_path: f64,
    /// The SoC history's residue and latest sample.
    rainflow: RainflowCounter,
    /// Fade of the cycles still open: the residue's ranges and the latest monotone run, each
    /// as a half cycle ([`AgeingState::open_cycle_fade`]); kept as the SoC is observed.
    open_cycle_fade: f64,
    /// The calendar fade the applied factors take ([`AgeingModel::refresh`]): a whole number of
    /// [quanta](AgeingModel::fade_quantum), the least not below the model's at the last refresh.
    #[serde(default)]
    applied_calendar_fade: f64,
    /// The `τ` above which the applied calendar fade no longer covers the model's (0 in a state
    /// never refreshed, so the first step refreshes it).
    #[serde(default)]
    refresh_tau: f64,
    /// The cycle fade the applied factors take (−1 in a state never refreshed): a whole number
    /// of [quanta](AgeingModel::fade_quantum), the nearest to the cycle fade so far (closed cycles and the
    /// residue's ranges as half cycles) at the last refresh, and never falling.
    #[serde(default = "unrefreshed")]
    applied_cycle_fade: f64,
}

/// The applied cycle fade of a state never refreshed: below any fade, so the first refresh runs.
fn unrefreshed() -> f64 {
    -1.0
}

impl AgeingState {
    /// Equivalent full cycles so far: half the distance the SoC travelled (the throughput over
    /// twice the capacity the SoC is measured against).
    pub fn equivalent_full_cycles(&self) -> f64 {
        0.5 * self.rainflow.total_variation()
    }

    /// Equivalent hours of storage at the reference conditions (25 °C, 50 % SoC) that give the
    /// calendar fade so far.
    pub fn calendar_reference_hours(&self) -> Hours {
        Hours::h(self.calendar_reference_hours)
    }

    /// Fade of the cycles closed so far.
    pub fn closed_cycle_fade(&self) -> Fraction {
        Fraction::ratio(self.cycle_fade)
    }

    /// Fade of the cycles still open: the rainflow residue's ranges and the latest monotone
    /// run, each as the half cycle it would count as if the history ended now
    /// ([`AgeingModel::finish`]).
    pub fn open_cycle_fade(&self) -> Fraction {
        Fraction::ratio(self.open_cycle_fade)
    }

    /// The cycle fade so far: closed cycles and open ones.
    #[inline]
    fn cycle_fade_so_far(&self) -> f64 {
        self.cycle_fade + self.open_cycle_fade
    }

    /// Whether the cycle fade so far has moved half a quantum (`half`) past the applied one,
    /// so that the nearest whole quantum is a larger one. Rounding to the nearest (not up, as
    /// the calendar part is) keeps a fade of a few ulps, such as a SoC that flickers in its
    /// last bit, from taking a whole quantum at once.
    #[inline]
    fn cycle_quantum_passed(&self, half: f64) -> bool {
        self.cycle_fade_so_far() - self.applied_cycle_fade >= half
    }

    /// The rainflow counter of the SoC history.
    pub fn rainflow(&self) -> &RainflowCounter {
        &self.rainflow
    }
}

/// The Arrhenius factor `exp(−(E_a/R) · (1/T − 1/T_ref))` for `E_a/R` in kelvin, at the cell
/// temperature clamped to [`MIN_CELL_TEMPERATURE_C`, `MAX_CELL_TEMPERATURE_C`].
#[inline]
fn arrhenius(ea_over_r: f64, temp_c: f64) -> f64 {
    let t = temp_c.clamp(MIN_CELL_TEMPERATURE_C, MAX_CELL_TEMPERATURE_C) + KELVIN_AT_0C;
    (-ea_over_r * (1.0 / t - 1.0 / (REFERENCE_TEMPERATURE_C + KELVIN_AT_0C))).exp()
}

impl AgeingModel {
    /// A new battery at `soc`: no fade, the SoC history starting at `soc`.
    pub fn initial_state(&self, soc: Fraction) -> AgeingState {
        let mut rainflow = RainflowCounter::new();
        rainflow.push_tagged(soc.value(), 0.0, |_| {});
        AgeingState {
            calendar_reference_hours: 0.0,
            cycle_fade: 0.0,
            cycle_stress_path: 0.0,
            rainflow,
            open_cycle_fade: 0.0,
            // A new battery's applied fade is none, until `τ` moves past 0.
            applied_calendar_fade: 0.0,
            refresh_tau: 0.0,
            applied_cycle_fade: 0.0,
        }
    }

    /// The quantum in which the applied factors follow the fade, a fraction of nameplate
    /// ([`AgeingParams::fade_quantum`]).
    pub fn fade_quantum(&self) -> f64 {
        self.quantum
    }

    /// The calendar stress `k / q₁ = f_T(T) · f_SoC(SoC)` relative to the reference conditions:
    /// `q_cal = q₁ · stress · (t / 1 yr)^z` at a constant `temp_c` (cell, °C) and `soc`.
    pub fn calendar_stress(&self, temp_c: f64, soc: f64) -> f64 {
        arrhenius(self.calendar_ea_over_r, temp_c) * self.soc_stress.factor(soc.clamp(0.0, 1.0))
    }

    /// The cycle stress `s = f_T,cyc(T) · exp(k_C · (C − C_ref))` relative to the reference
    /// conditions, at cell temperature `temp_c` (°C) and C-rate `c_rate` (1/h, at most
    /// [`MAX_C_RATE_PER_H`]).
    pub fn cycle_stress(&self, temp_c: f64, c_rate: f64) -> f64 {
        let c = c_rate.abs().min(MAX_C_RATE_PER_H);
        arrhenius(self.cycle_ea_over_r, temp_c)
            * (self.c_rate_stress * (c - self.reference_c_rate)).exp()
    }

    /// The fade a counted cycle of the SoC adds: `w · q_efc · d^β · s̄`, with `s̄` the cycle's
    /// tag change over its path (the mean stress between its reversals).
    pub fn cycle_fade_of(&self, cycle: &Cycle) -> f64 {
        if cycle.path <= 0.0 {
            return 0.0;
        }
        let mean_stress = cycle.tag_change / cycle.path;
        // The default β = 1 without `powf` (a few ns each step the SoC moves).
        let depth = if self.dod_exponent == 1.0 {
            cycle.range
        } else {
            cycle.range.powf(self.dod_exponent)
        };
        cycle.count.weight() * self.cycle_fade_per_efc * depth * mean_stress
    }

    /// Calendar ageing over a step of length `dt` at a constant `soc` and cell temperature
    /// `temp_c` (°C): exact for any step length (see the module docs).
    #[inline]
    pub fn advance(&self, state: &mut AgeingState, dt: Hours, soc: Fraction, temp_c: f64) {
        self.advance_ramp(state, dt, soc, soc, temp_c);
    }

    /// Calendar ageing over a step of length `dt` in which the SoC moves linearly from
    /// `soc_from` to `soc_to` (constant power) at a constant cell temperature `temp_c` (°C):
    /// adds `Δτ = Δt · f_T^(1/z) · mean(f_SoC^(1/z))`, the mean exact over the ramp, so one
    /// step over a ramp gives the same `τ` as many small steps along it.
    pub fn advance_ramp(
        &self,
        state: &mut AgeingState,
        dt: Hours,
        soc_from: Fraction,
        soc_to: Fraction,
        temp_c: f64,
    ) {
        debug_assert!(dt.value() >= 0.0, "negative step {dt}");
        if self.calendar_fade_first_year == 0.0 {
            return;
        }
        state.calendar_reference_hours += self.ramp_increment(dt, soc_from, soc_to, temp_c);
    }

    /// The `Δτ` (equivalent hours at the reference conditions) that
    /// [`advance_ramp`](Self::advance_ramp) adds, without adding it: every cohort of a fleet
    /// sees the same SoC ramp and temperature, so one increment serves them all
    /// ([`AgeingModel::add_calendar_hours`]).
    #[inline]
    pub fn ramp_increment(
        &self,
        dt: Hours,
        soc_from: Fraction,
        soc_to: Fraction,
        temp_c: f64,
    ) -> f64 {
        self.ramp_increment_with(
            dt,
            soc_from,
            soc_to,
            self.calendar_temperature_factor(temp_c),
        )
    }

    /// [`AgeingModel::ramp_increment`] with the temperature's factor given (from
    /// [`AgeingModel::calendar_temperature_factor`], which the lifetime models tabulate for
    /// each hour of the ambient year): the same value, bit for bit.
    #[inline]
    pub fn ramp_increment_with(
        &self,
        dt: Hours,
        soc_from: Fraction,
        soc_to: Fraction,
        temperature_factor: f64,
    ) -> f64 {
        let soc = self.soc_stress.mean_power_over_ramp(
            soc_from.value().clamp(0.0, 1.0),
            soc_to.value().clamp(0.0, 1.0),
            self.inv_z,
        );
        dt.value() * temperature_factor * soc
    }

    /// [`AgeingModel::ramp_increment_with`] with the SoC factor at the ramp's start read from
    /// `cache` when the ramp starts where the last one it served did (a battery at rest starts
    /// every step at the same SoC), computed and kept there otherwise: the same value, bit for
    /// bit, without an `exp` a resting step.
    #[inline]
    pub fn ramp_increment_cached(
        &self,
        dt: Hours,
        soc_from: Fraction,
        soc_to: Fraction,
        temperature_factor: f64,
        cache: &mut SocFactorCache,
    ) -> f64 {
        let (s0, s1) = (
            soc_from.value().clamp(0.0, 1.0),
            soc_to.value().clamp(0.0, 1.0),
        );
        let start = if cache.soc == s0 {
            cache.factor
        } else {
            let f = self.soc_stress.power_at(s0, self.inv_z);
            *cache = SocFactorCache { soc: s0, factor: f };
            f
        };
        let soc = self.soc_stress.mean_power_from(start, s0, s1, self.inv_z);
        dt.value() * temperature_factor * soc
    }

    /// The temperature's share of the calendar increment, `f_T(T)^(1/z)` at cell temperature
    /// `temp_c` (°C): a step of length `Δt` at constant SoC adds
    /// `Δτ = Δt · f_T(T)^(1/z) · f_SoC(SoC)^(1/z)`.
    #[inline]
    pub fn calendar_temperature_factor(&self, temp_c: f64) -> f64 {
        arrhenius(self.calendar_ea_over_r * self.inv_z, temp_c)
    }

    /// The state of charge's share of the calendar increment, `f_SoC(SoC)^(1/z)`, for a battery
    /// held at `soc`; a rest of any length at varying temperature adds
    /// `Δτ = f_SoC(SoC)^(1/z) · ∫ f_T(T(t))^(1/z) dt`.
    #[inline]
    pub fn calendar_soc_factor(&self, soc: Fraction) -> f64 {
        let s = soc.value().clamp(0.0, 1.0);
        self.soc_stress.mean_power_over_ramp(s, s, self.inv_z)
    }

    /// Adds `Δτ` from [`AgeingModel::ramp_increment`] to `state`'s calendar time.
    #[inline]
    pub fn add_calendar_hours(&self, state: &mut AgeingState, increment: f64) {
        if self.calendar_fade_first_year != 0.0 {
            state.calendar_reference_hours += increment;
        }
    }

    /// Feeds the SoC at the end of a step of length `dt` to the rainflow counter; the cycles it
    /// closes add their fade. The cycle stress of the step is evaluated at cell temperature
    /// `temp_c` (°C) and the step's C-rate `|ΔSoC| / dt` (capped at [`MAX_C_RATE_PER_H`]), and
    /// weighted by the distance `|ΔSoC|`.
    pub fn observe_soc(&self, state: &mut AgeingState, soc: Fraction, dt: Hours, temp_c: f64) {
        let soc = soc.value();
        let moved = state
            .rainflow
            .last_value()
            .map_or(0.0, |last| (soc - last).abs());
        if moved > 0.0 {
            let c_rate = if dt.value() > 0.0 {
                moved / dt.value()
            } else {
                MAX_C_RATE_PER_H
            };
            state.cycle_stress_path += self.cycle_stress(temp_c, c_rate) * moved;
        }
        let AgeingState {
            rainflow,
            cycle_fade,
            cycle_stress_path,
            open_cycle_fade,
            ..
        } = state;
        rainflow.push_weighted(
            soc,
            *cycle_stress_path,
            |c| self.cycle_fade_of(&c),
            |c| *cycle_fade += self.cycle_fade_of(&c),
        );
        if moved > 0.0 {
            *open_cycle_fade = rainflow.residue_weight()
                + rainflow
                    .latest_run()
                    .map_or(0.0, |run| self.cycle_fade_of(&run));
        }
    }

    /// One step of length `dt` in which the SoC moves linearly from the last observed SoC to
    /// `soc` at cell temperature `temp_c` (°C): [`advance_ramp`](Self::advance_ramp) then
    /// [`observe_soc`](Self::observe_soc).
    pub fn step(&self, state: &mut AgeingState, dt: Hours, soc: Fraction, temp_c: f64) {
        let from = state.rainflow.last_value().map_or(soc, Fraction::ratio);
        self.advance_ramp(state, dt, from, soc, temp_c);
        self.observe_soc(state, soc, dt, temp_c);
    }

    /// Ends a run: the rainflow residue is counted as half cycles and adds its fade. The counter
    /// then starts afresh at the last SoC (see [`RainflowCounter::finish`]).
    pub fn finish(&self, state: &mut AgeingState) {
        let AgeingState {
            rainflow,
            cycle_fade,
            open_cycle_fade,
            ..
        } = state;
        rainflow.finish(|c| {
            *cycle_fade += self.cycle_fade_of(&c);
        });
        *open_cycle_fade = 0.0;
    }

    /// Calendar fade so far: `q₁ · (τ / 8760 h)^z`.
    pub fn calendar_fade(&self, state: &AgeingState) -> Fraction {
        let years = state.calendar_reference_hours / HOURS_PER_YEAR;
        // The default √t law as `sqrt` (correctly rounded, a few cycles) rather than `powf`
        // (within an ulp of it, ≈20 ns): the engine asks for the fade every step, and `powf`
        // was a quarter of an ageing run's time.
        let t_z = if self.z == 0.5 {
            years.sqrt()
        } else {
            years.powf(self.z)
        };
        Fraction::ratio(self.calendar_fade_first_year * t_z)
    }

    /// Cycle fade so far: the cycles closed, and the open ones (the rainflow residue's ranges
    /// and the latest run) as half cycles ([`AgeingState::open_cycle_fade`]), which is what
    /// [`finish`](Self::finish) would leave if the history ended now.
    pub fn cycle_fade(&self, state: &AgeingState) -> Fraction {
        Fraction::ratio(state.cycle_fade_so_far())
    }

    /// Total capacity fade so far, calendar plus cycle ([`cycle_fade`](Self::cycle_fade)), not
    /// floored.
    pub fn total_fade(&self, state: &AgeingState) -> Fraction {
        Fraction::ratio(self.calendar_fade(state).value() + state.cycle_fade_so_far())
    }

    /// The fraction of nameplate capacity left: `1 − total fade`, never below
    /// [`MIN_CAPACITY_FACTOR`].
    pub fn capacity_factor(&self, state: &AgeingState) -> f64 {
        (1.0 - self.total_fade(state).value()).max(MIN_CAPACITY_FACTOR)
    }

    /// The relative resistance growth `g · q` (`q` the total fade, at most
    /// `1 − MIN_CAPACITY_FACTOR`).
    pub fn resistance_growth(&self, state: &AgeingState) -> f64 {
        let q = self
            .total_fade(state)
            .value()
            .min(1.0 - MIN_CAPACITY_FACTOR);
        self.resistance_growth * q
    }

    /// The factor multiplying each one-way efficiency: `1 − ℓ · g · q / (1 − ℓ)` (1 with
    /// resistance growth off; at least `1 − 0.1 · 2.5 / 0.9 ≈ 0.72` at the parameters' bounds).
    pub fn efficiency_factor(&self, state: &AgeingState) -> f64 {
        1.0 - self.resistive_loss * self.resistance_growth(state) / (1.0 - self.resistive_loss)
    }

    /// [`capacity_factor`](Self::capacity_factor) and
    /// [`efficiency_factor`](Self::efficiency_factor) together, the fade computed once (the
    /// same values, bit for bit; the efficiency factor is exactly 1 with resistance growth off).
    #[inline]
    pub fn factors(&self, state: &AgeingState) -> (f64, f64) {
        self.factors_of(self.total_fade(state).value())
    }

    /// The capacity and efficiency factors of a total fade `q`.
    #[inline]
    fn factors_of(&self, q: f64) -> (f64, f64) {
        let cf = (1.0 - q).max(MIN_CAPACITY_FACTOR);
        if self.resistance_growth == 0.0 {
            return (cf, 1.0);
        }
        let growth = self.resistance_growth * q.min(1.0 - MIN_CAPACITY_FACTOR);
        (
            cf,
            1.0 - self.resistive_loss * growth / (1.0 - self.resistive_loss),
        )
    }

    /// Brings the fade that [`applied_factors`](Self::applied_factors) takes up to date with
    /// `state`: the calendar fade rounded up to a whole number of [quanta](AgeingModel::fade_quantum), and the
    /// cycle fade so far ([`cycle_fade`](Self::cycle_fade)) rounded to the nearest, never
    /// falling.
    /// Returns whether it changed. Two comparisons while `τ` stays below the next quantum's
    /// threshold and the cycle fade within its quantum (the step's case, nearly always).
    #[inline]
    pub fn refresh(&self, state: &mut AgeingState) -> bool {
        if state.calendar_reference_hours <= state.refresh_tau
            && !state.cycle_quantum_passed(0.5 * self.quantum)
        {
            return false;
        }
        self.refresh_now(state);
        true
    }

    /// How much `τ` may still grow before [`AgeingModel::refresh`] has work (0 when the cycle
    /// fade passed its applied quantum since the last; infinite without calendar ageing): a
    /// battery at rest ages by the integral of its calendar stress without refreshing until
    /// then.
    #[inline]
    pub fn refresh_margin(&self, state: &AgeingState) -> f64 {
        if state.cycle_quantum_passed(0.5 * self.quantum) {
            return 0.0;
        }
        (state.refresh_tau - state.calendar_reference_hours).max(0.0)
    }

    /// [`AgeingModel::refresh`]'s work: the least whole number `k` of quanta whose threshold
    /// `τ_k = 8760 h · (k · quantum / q₁)^(1/z)` is not below `τ` (the inverse of the
    /// calendar law, so `k · quantum` is the calendar fade at `τ_k`).
    #[cold]
    #[inline(never)]
    fn refresh_now(&self, state: &mut AgeingState) {
        if state.cycle_quantum_passed(0.5 * self.quantum) {
            // The nearest whole number of quanta, settled against the test itself (which the
            // quotient's rounding could leave a quantum short); it only grows, since at a depth
            // exponent other than 1 the cycle fade so far may dip when a cycle closes (`d^β`
            // is not additive over the ranges it pairs anew).
            let mut k = (state.cycle_fade_so_far() / self.quantum + 0.5).floor();
            let floor = state.applied_cycle_fade;
            loop {
                state.applied_cycle_fade = floor.max(k * self.quantum);
                if !state.cycle_quantum_passed(0.5 * self.quantum) {
                    break;
                }
                k += 1.0;
            }
        }
        let tau = state.calendar_reference_hours;
        if self.calendar_fade_first_year == 0.0 {
            state.applied_calendar_fade = 0.0;
            state.refresh_tau = f64::INFINITY;
            return;
        }
        let threshold = |k: f64| {
            let x = k * self.quantum / self.calendar_fade_first_year;
            // The default √t law's inverse is a square (exact, where `powf` is within an ulp).
            HOURS_PER_YEAR
                * if self.z == 0.5 {
                    x * x
                } else {
                    x.powf(self.inv_z)
                }
        };
        // `τ` only grows, and the last refresh left the least level whose threshold is not
        // below it: that level stands while `τ` stays within its threshold (a refresh for the
        // cycle fade alone), and the next one serves when `τ` passed it by less than a quantum
        // (the usual case, a rest's refresh among them).
        if tau <= state.refresh_tau {
            return;
        }
        // The level's whole number of quanta (rounded by a conversion: it is ≥ 0 and far below
        // 2⁵³), then the next.
        let next = (state.applied_calendar_fade / self.quantum + 0.5) as u64 as f64 + 1.0;
        if tau <= threshold(next) {
            state.applied_calendar_fade = next * self.quantum;
            state.refresh_tau = threshold(next);
            return;
        }
        // The law's inverse agrees with `calendar_fade` to rounding: start from the rounded-up
        // quotient and settle `k` against the thresholds themselves, so that the level and its
        // threshold always agree.
        let mut k = (self.calendar_fade(state).value() / self.quantum)
            .ceil()
            .max(0.0);
        while threshold(k) < tau {
            k += 1.0;
        }
        while k > 0.0 && threshold(k - 1.0) >= tau {
            k -= 1.0;
        }
        state.applied_calendar_fade = k * self.quantum;
        state.refresh_tau = threshold(k);
    }

    /// The capacity and efficiency factors a run applies: [`factors`](Self::factors) of the
    /// fade that the last [`AgeingModel::refresh`] took (the calendar part in whole quanta,
    /// rounded up, the cycle part to the nearest), so a capacity factor at most one and a half
    /// [quanta](Self::fade_quantum) below the model's and half a quantum above it.
    #[inline]
    pub fn applied_factors(&self, state: &AgeingState) -> (f64, f64) {
        self.factors_of(state.applied_calendar_fade + state.applied_cycle_fade.max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Relative tolerance of a closed form against the stepped model: up to a million steps each
    /// adding one rounding of ~1e-16 to a running sum.
    const CLOSED_FORM_REL_TOL: f64 = 1e-9;

    #[test]
    fn factors_are_the_two_factors_bit_for_bit() {
        for growth in [0.0, 2.5] {
            let model = AgeingParams {
                resistance_growth_per_fade: Some(growth),
                calendar_fade_first_year: Some(Fraction::ratio(0.2)),
                ..AgeingParams::default()
            }
            .validate()
            .unwrap();
            let mut state = model.initial_state(Fraction::ratio(0.9));
            for h in 0..20_000 {
                model.step(&mut state, Hours::h(1.0), Fraction::ratio(0.9), 35.0);
                if h % 997 == 0 {
                    assert_eq!(
                        model.factors(&state),
                        (
                            model.capacity_factor(&state),
                            model.efficiency_factor(&state)
                        )
                    );
                }
            }
        }
    }

    /// The issue's bound on the difference between 1-minute and 1-hour steps.
    const STEP_INDEPENDENCE_REL_TOL: f64 = 0.01;

    /// The tighter agreement a history the hourly step represents exactly must reach: the model
    /// is exact there, so only rounding separates the two (sums of 525,600 vs 8,760 terms, and a
    /// ramp's mean computed in one piece vs sixty).
    const EXACT_HISTORY_REL_TOL: f64 = 1e-9;

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
    }

    /// The Arrhenius factor, written out independently of the model.
    fn arrhenius_by_hand(ea_kj_per_mol: f64, temp_c: f64) -> f64 {
        (-(ea_kj_per_mol * 1e3 / 8.314_462_618) * (1.0 / (temp_c + 273.15) - 1.0 / 298.15)).exp()
    }

    fn defaults() -> AgeingModel {
        AgeingParams::default().validate().unwrap()
    }

    #[test]
    fn constant_storage_reproduces_the_closed_form_at_any_step() {
        // q = q₁ · f_T · f_SoC · (t / 1 yr)^z, over two years, in steps of 1 min to 5 days.
        let cases = [
            (AgeingParams::default(), 25.0, 0.5),
            (AgeingParams::default(), 40.0, 0.9),
            (AgeingParams::default(), 5.0, 0.15),
            (
                AgeingParams {
                    calendar_time_exponent: Some(0.7),
                    calendar_soc_stress: Some(SocStress::Linear { slope: 1.2 }),
                    calendar_activation_energy_kj_per_mol: Some(50.0),
                    ..AgeingParams::default()
                },
                35.0,
                0.8,
            ),
        ];
        let horizon_h: f64 = 2.0 * 8760.0;
        for (params, temp, soc) in cases {
            let model = params.validate().unwrap();
            let z = params.calendar_time_exponent.unwrap_or(0.5);
            let ea = params
                .calendar_activation_energy_kj_per_mol
                .unwrap_or(17.126);
            let f_soc = match params.calendar_soc_stress.unwrap_or_default() {
                SocStress::Exponential { coefficient } => (coefficient * (soc - 0.5)).exp(),
                SocStress::Linear { slope } => 1.0 + slope * (soc - 0.5),
            };
            let expected =
                0.02 * arrhenius_by_hand(ea, temp) * f_soc * (horizon_h / 8760.0).powf(z);
            for step_min in [1u32, 60, 1440, 7200] {
                let dt = Hours::h(f64::from(step_min) / 60.0);
                let steps = (horizon_h * 60.0) as u32 / step_min;
                let mut s = model.initial_state(Fraction::ratio(soc));
                for _ in 0..steps {
                    model.step(&mut s, dt, Fraction::ratio(soc), temp);
                }
                model.finish(&mut s);
                let q = model.total_fade(&s).value();
                assert!(
                    rel(q, expected) < CLOSED_FORM_REL_TOL,
                    "T {temp}, SoC {soc}, step {step_min} min: {q} vs {expected}"
                );
                assert_eq!(model.cycle_fade(&s), Fraction::ZERO, "no cycles at rest");
            }
        }
    }

    /// A triangle wave `lo → hi → lo` of period `period_h`, `cycles` times, in steps of
    /// `step_min` minutes (dividing the half period), starting and ending at `lo`.
    fn triangle(
        model: &AgeingModel,
        lo: f64,
        hi: f64,
        period_h: f64,
        cycles: u32,
        step_min: u32,
        temp: f64,
    ) -> AgeingState {
        let half_steps = (period_h * 30.0) as u32 / step_min;
        let dt = Hours::h(f64::from(step_min) / 60.0);
        let mut s = model.initial_state(Fraction::ratio(lo));
        for _ in 0..cycles {
            for (from, to) in [(lo, hi), (hi, lo)] {
                for k in 1..=half_steps {
                    let soc = if k == half_steps {
                        to
                    } else {
                        from + (to - from) * f64::from(k) / f64::from(half_steps)
                    };
                    model.step(&mut s, dt, Fraction::ratio(soc), temp);
                }
            }
        }
        model.finish(&mut s);
        s
    }

    #[test]
    fn constant_cycling_reproduces_the_closed_form_at_any_step() {
        // Per full cycle of depth d: q_efc · d^β · f_T,cyc(T) · exp(k_C (C − C_ref)),
        // C = 2d / period; times the number of cycles.
        let (lo, hi, period_h, cycles) = (0.2, 0.9, 10.0, 150);
        let d: f64 = hi - lo;
        for (beta, temp) in [(1.0, 25.0), (1.5, 35.0), (0.7, 10.0)] {
            let params = AgeingParams {
                calendar_fade_first_year: Some(Fraction::ZERO),
                dod_exponent: Some(beta),
                ..AgeingParams::default()
            };
            let model = params.validate().unwrap();
            let c_rate = 2.0 * d / period_h;
            let per_cycle = 6e-5
                * d.powf(beta)
                * arrhenius_by_hand(31.7, temp)
                * (0.15 * (c_rate - 0.25)).exp();
            let expected = per_cycle * f64::from(cycles);
            for step_min in [1, 15, 60, 300] {
                let s = triangle(&model, lo, hi, period_h, cycles, step_min, temp);
                let q = model.total_fade(&s).value();
                assert!(
                    rel(q, expected) < CLOSED_FORM_REL_TOL,
                    "β {beta}, T {temp}, step {step_min} min: {q} vs {expected}"
                );
                assert!(rel(s.equivalent_full_cycles(), f64::from(cycles) * d) < 1e-12);
            }
        }
    }

    #[test]
    fn the_defaults_give_two_per_cent_in_a_year_at_rest() {
        let model = defaults();
        let mut s = model.initial_state(Fraction::ratio(0.5));
        for _ in 0..8760 {
            model.step(&mut s, Hours::h(1.0), Fraction::ratio(0.5), 25.0);
        }
        model.finish(&mut s);
        let q = model.total_fade(&s).value();
        assert!((q - 0.02).abs() <= 0.001, "first-year fade {q}");
        // And √t afterwards: 2 % · √10 ≈ 6.3 % after a decade at rest.
        for _ in 0..9 * 8760 {
            model.step(&mut s, Hours::h(1.0), Fraction::ratio(0.5), 25.0);
        }
        assert!(rel(model.total_fade(&s).value(), 0.02 * 10f64.sqrt()) < CLOSED_FORM_REL_TOL);
    }

    /// Ten years of one full cycle a day at 25 °C, hourly steps; returns (calendar, cycle) fade.
    fn decade_of_daily_cycles(day: &[f64]) -> (f64, f64) {
        let model = defaults();
        let mut s = model.initial_state(Fraction::ratio(day[23]));
        for _ in 0..3650 {
            for &soc in day {
                model.step(&mut s, Hours::h(1.0), Fraction::ratio(soc), 25.0);
            }
        }
        model.finish(&mut s);
        assert!(rel(s.equivalent_full_cycles(), 3650.0) < 1e-9);
        (
            model.calendar_fade(&s).value(),
            model.cycle_fade(&s).value(),
        )
    }

    /// The rule of thumb: grid LFP loses 20–30 % in its first decade. With one full cycle a
    /// day at 25 °C (a symmetric 24-hour triangle 0 → 100 % → 0, mean SoC 50 %, C ≈ 0.083/h) the
    /// defaults give calendar 2 %·√10·1.07 (the SoC swing raises the mean √-stress) ≈ 6.8 %
    /// plus cycle 3650 × 0.006 % × e^(0.15·(0.083 − 0.25)) ≈ 21.4 %: ≈ 28 % in all.
    ///
    /// The same cycles at a backup site that stands full between a 4-hour discharge and a
    /// 4-hour recharge (C = 0.25/h) age faster at rest: ≈ 9.1 % + 21.9 % ≈ 31 %, just outside
    /// the rule's range. That is reported, not tuned away: the rule of thumb does not say at
    /// which SoC its batteries rest.
    #[test]
    fn a_decade_of_daily_full_cycles_fades_20_to_30_per_cent() {
        let triangle: Vec<f64> = (1..=24)
            .map(|h| {
                let h = f64::from(h);
                if h <= 12.0 {
                    h / 12.0
                } else {
                    (24.0 - h) / 12.0
                }
            })
            .collect();
        let (cal, cyc) = decade_of_daily_cycles(&triangle);
        eprintln!(
            "daily triangle: calendar {:.2} %, cycle {:.2} %, total {:.2} %",
            cal * 100.0,
            cyc * 100.0,
            (cal + cyc) * 100.0
        );
        assert!((0.20..=0.30).contains(&(cal + cyc)), "{}", cal + cyc);
        // Stands full: hours 1–4 discharge to 0, 5–8 recharge, then rest full.
        let standby: Vec<f64> = (1..=24)
            .map(|h| match h {
                1..=4 => 1.0 - f64::from(h) / 4.0,
                5..=8 => f64::from(h - 4) / 4.0,
                _ => 1.0,
            })
            .collect();
        let (cal, cyc) = decade_of_daily_cycles(&standby);
        eprintln!(
            "daily cycle, standing full: calendar {:.2} %, cycle {:.2} %, total {:.2} %",
            cal * 100.0,
            cyc * 100.0,
            (cal + cyc) * 100.0
        );
        assert!((0.25..=0.35).contains(&(cal + cyc)), "{}", cal + cyc);
    }

    /// Ages a history at 1-minute and 1-hour steps; returns the relative differences of
    /// (calendar, cycle, total) fade.
    ///
    /// What step independence can honestly mean: the *same history* aged at two step lengths
    /// gives the same fade. An hourly simulation's SoC moves linearly within each hour (constant
    /// power per step) and its temperature is the hourly trace's value for the hour, so the
    /// minute history that *is* the hourly one is the linear interpolation between the hourly
    /// samples, at the hour's temperature: its reversals are the hourly samples' reversals. Any
    /// structure inside an hour — a reversal at minute 30, a burst of power then rest — is a
    /// different history that an hourly simulation cannot see, and its fade legitimately differs
    /// (more cycles, higher C-rate, another SoC dwell); that is a question of resolving the
    /// dispatch, not of the ageing model.
    fn minute_vs_hour(seed: u64, hours: usize) -> (f64, f64, f64) {
        let model = defaults();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        // Hourly SoC: a random walk with rests and full swings; hourly temperature: seasonal,
        // daily and random parts.
        let mut soc = vec![rng.random::<f64>()];
        for _ in 0..hours {
            let last = *soc.last().unwrap();
            let next = match rng.random_range(0..10) {
                0..=2 => last,
                3 => f64::from(rng.random_range(0..=1)),
                _ => (last + rng.random_range(-0.3..0.3)).clamp(0.0, 1.0),
            };
            soc.push(next);
        }
        let temp: Vec<f64> = (0..hours)
            .map(|h| {
                let day = h as f64 / 24.0;
                20.0 + 8.0 * (2.0 * std::f64::consts::PI * (day - 15.0) / 365.0).sin()
                    + 4.0 * (2.0 * std::f64::consts::PI * (h as f64 - 9.0) / 24.0).sin()
                    + rng.random_range(-3.0..3.0)
            })
            .collect();
        let mut hourly = model.initial_state(Fraction::ratio(soc[0]));
        let mut minute = model.initial_state(Fraction::ratio(soc[0]));
        for h in 0..hours {
            model.step(
                &mut hourly,
                Hours::h(1.0),
                Fraction::ratio(soc[h + 1]),
                temp[h],
            );
            for m in 1..=60 {
                let s = if m == 60 {
                    soc[h + 1]
                } else {
                    soc[h] + (soc[h + 1] - soc[h]) * f64::from(m) / 60.0
                };
                model.step(
                    &mut minute,
                    Hours::h(1.0 / 60.0),
                    Fraction::ratio(s),
                    temp[h],
                );
            }
        }
        model.finish(&mut hourly);
        model.finish(&mut minute);
        (
            rel(
                model.calendar_fade(&minute).value(),
                model.calendar_fade(&hourly).value(),
            ),
            rel(
                model.cycle_fade(&minute).value(),
                model.cycle_fade(&hourly).value(),
            ),
            rel(
                model.total_fade(&minute).value(),
                model.total_fade(&hourly).value(),
            ),
        )
    }

    #[test]
    fn a_year_at_one_minute_and_one_hour_steps_ages_alike() {
        let (cal, cyc, total) = minute_vs_hour(2024, 8760);
        eprintln!("a year, 1 min vs 1 h: calendar {cal:.1e}, cycle {cyc:.1e}, total {total:.1e}");
        assert!(total < STEP_INDEPENDENCE_REL_TOL);
        assert!(cal.max(cyc) < EXACT_HISTORY_REL_TOL);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

        /// Random SoC and temperature histories of a month: 1-minute and 1-hour steps agree
        /// within the issue's 1 % (and, being the same history, to rounding).
        #[test]
        fn one_minute_and_one_hour_steps_agree(seed in any::<u64>()) {
            let (cal, cyc, total) = minute_vs_hour(seed, 30 * 24);
            prop_assert!(total < STEP_INDEPENDENCE_REL_TOL, "total {total}");
            prop_assert!(cal < EXACT_HISTORY_REL_TOL, "calendar {cal}");
            prop_assert!(cyc < EXACT_HISTORY_REL_TOL, "cycle {cyc}");
        }
    }

    #[test]
    fn a_ramp_in_one_step_equals_the_ramp_in_many() {
        for stress in [
            SocStress::default(),
            SocStress::Linear { slope: 1.8 },
            SocStress::Exponential { coefficient: 5.0 },
        ] {
            for (a, b) in [(0.0, 1.0), (1.0, 0.0), (0.3, 0.3 + 1e-12), (0.9, 0.2)] {
                let whole = stress.mean_power_over_ramp(a, b, 2.0);
                let n = 100_000;
                // Midpoint rule on n pieces: error O(1/n²).
                let pieces: f64 = (0..n)
                    .map(|k| {
                        let s = a + (b - a) * (k as f64 + 0.5) / n as f64;
                        stress.factor(s).powi(2)
                    })
                    .sum::<f64>()
                    / n as f64;
                assert!(
                    rel(whole, pieces) < 1e-9,
                    "{stress:?} {a}→{b}: {whole} vs {pieces}"
                );
            }
        }
    }

    #[test]
    fn heat_high_soc_and_fast_cycling_age_faster() {
        let m = defaults();
        // 45 °C vs 25 °C at the calendar activation energy of 17.1 kJ/mol: ×1.54.
        assert!(rel(m.calendar_stress(45.0, 0.5), 1.543) < 1e-3);
        assert!(m.calendar_stress(25.0, 1.0) > m.calendar_stress(25.0, 0.5));
        assert!(rel(m.calendar_stress(25.0, 0.5), 1.0) < 1e-15);
        assert!(m.cycle_stress(25.0, 1.0) > m.cycle_stress(25.0, 0.25));
        assert!(rel(m.cycle_stress(25.0, 0.25), 1.0) < 1e-15);
        // Out-of-range inputs are evaluated at the bounds.
        assert_eq!(m.calendar_stress(500.0, 0.5), m.calendar_stress(70.0, 0.5));
        assert_eq!(m.cycle_stress(25.0, 1e9), m.cycle_stress(25.0, 10.0));
    }

    #[test]
    fn capacity_has_a_floor_and_resistance_growth_lowers_efficiency() {
        let model = AgeingParams {
            calendar_fade_first_year: Some(Fraction::ratio(0.2)),
            calendar_time_exponent: Some(1.0),
            resistance_growth_per_fade: Some(2.0),
            resistive_loss_fraction: Some(Fraction::ratio(0.02)),
            ..AgeingParams::default()
        }
        .validate()
        .unwrap();
        let mut s = model.initial_state(Fraction::ratio(0.5));
        model.advance(&mut s, Hours::h(8760.0), Fraction::ratio(0.5), 25.0);
        // 20 % fade: resistance +40 %, each one-way efficiency × (1 − 0.02·0.4/0.98).
        assert!(rel(model.capacity_factor(&s), 0.8) < 1e-12);
        assert!(rel(model.resistance_growth(&s), 0.4) < 1e-12);
        assert!(rel(model.efficiency_factor(&s), 1.0 - 0.008 / 0.98) < 1e-12);
        // Five years at 20 %/yr, linear: 100 % fade, floored at half the nameplate.
        model.advance(&mut s, Hours::h(4.0 * 8760.0), Fraction::ratio(0.5), 25.0);
        assert!(rel(model.total_fade(&s).value(), 1.0) < 1e-12);
        assert_eq!(model.capacity_factor(&s), MIN_CAPACITY_FACTOR);
        assert!(rel(model.resistance_growth(&s), 1.0) < 1e-12);
        // With resistance growth off (the default) efficiency never changes.
        let d = defaults();
        let mut s = d.initial_state(Fraction::ratio(1.0));
        d.advance(&mut s, Hours::h(87_600.0), Fraction::ratio(1.0), 45.0);
        assert_eq!(d.efficiency_factor(&s), 1.0);
    }

    #[test]
    fn a_run_snapshots_and_resumes_identically() {
        let model = defaults();
        let path: Vec<f64> = (0..500)
            .map(|k| ((k * 7919) % 1000) as f64 / 1000.0)
            .collect();
        let run = |s: &mut AgeingState, part: &[f64]| {
            for &soc in part {
                model.step(s, Hours::h(0.5), Fraction::ratio(soc), 30.0);
            }
        };
        let mut whole = model.initial_state(Fraction::ONE);
        run(&mut whole, &path);
        model.finish(&mut whole);
        let mut first = model.initial_state(Fraction::ONE);
        run(&mut first, &path[..213]);
        let json = serde_json::to_string(&first).unwrap();
        let mut resumed: AgeingState = serde_json::from_str(&json).unwrap();
        assert_eq!(resumed, first);
        run(&mut resumed, &path[213..]);
        model.finish(&mut resumed);
        assert_eq!(resumed, whole);
    }

    #[test]
    fn bad_parameters_name_their_field() {
        let cases: Vec<(AgeingParams, &str)> = vec![
            (
                AgeingParams {
                    calendar_fade_first_year: Some(Fraction::ratio(0.3)),
                    ..AgeingParams::default()
                },
                "battery.ageing.calendar_fade_first_year",
            ),
            (
                AgeingParams {
                    calendar_time_exponent: Some(0.0),
                    ..AgeingParams::default()
                },
                "battery.ageing.calendar_time_exponent",
            ),
            (
                AgeingParams {
                    calendar_activation_energy_kj_per_mol: Some(f64::NAN),
                    ..AgeingParams::default()
                },
                "battery.ageing.calendar_activation_energy_kj_per_mol",
            ),
            (
                AgeingParams {
                    calendar_soc_stress: Some(SocStress::Linear { slope: 2.0 }),
                    ..AgeingParams::default()
                },
                "battery.ageing.calendar_soc_stress.slope",
            ),
            (
                AgeingParams {
                    calendar_soc_stress: Some(SocStress::Exponential { coefficient: -1.0 }),
                    ..AgeingParams::default()
                },
                "battery.ageing.calendar_soc_stress.coefficient",
            ),
            (
                AgeingParams {
                    cycle_fade_per_efc: Some(Fraction::ratio(0.01)),
                    ..AgeingParams::default()
                },
                "battery.ageing.cycle_fade_per_efc",
            ),
            (
                AgeingParams {
                    dod_exponent: Some(4.0),
                    ..AgeingParams::default()
                },
                "battery.ageing.dod_exponent",
            ),
            (
                AgeingParams {
                    cycle_activation_energy_kj_per_mol: Some(-1.0),
                    ..AgeingParams::default()
                },
                "battery.ageing.cycle_activation_energy_kj_per_mol",
            ),
            (
                AgeingParams {
                    c_rate_stress_coefficient: Some(f64::INFINITY),
                    ..AgeingParams::default()
                },
                "battery.ageing.c_rate_stress_coefficient",
            ),
            (
                AgeingParams {
                    reference_c_rate_per_h: Some(0.0),
                    ..AgeingParams::default()
                },
                "battery.ageing.reference_c_rate_per_h",
            ),
            (
                AgeingParams {
                    resistance_growth_per_fade: Some(6.0),
                    ..AgeingParams::default()
                },
                "battery.ageing.resistance_growth_per_fade",
            ),
            (
                AgeingParams {
                    resistive_loss_fraction: Some(Fraction::ratio(0.5)),
                    ..AgeingParams::default()
                },
                "battery.ageing.resistive_loss_fraction",
            ),
            (
                AgeingParams {
                    fade_quantum: Some(Fraction::ratio(0.05)),
                    ..AgeingParams::default()
                },
                "battery.ageing.fade_quantum",
            ),
            (
                AgeingParams {
                    fade_quantum: Some(Fraction::ratio(0.0)),
                    ..AgeingParams::default()
                },
                "battery.ageing.fade_quantum",
            ),
        ];
        for (params, expected) in cases {
            match params.validate() {
                Err(ConfigError::OutOfRange { field, .. }) => assert_eq!(field, expected),
                other => panic!("{expected}: {other:?}"),
            }
        }
        let msg = AgeingParams {
            dod_exponent: Some(4.0),
            ..AgeingParams::default()
        }
        .validate()
        .unwrap_err()
        .to_string();
        assert_eq!(
            msg,
            "battery.ageing.dod_exponent = 4 is out of range: allowed 0.5 ≤ x ≤ 3"
        );
    }

    #[test]
    fn unknown_keys_are_rejected_and_tables_parse() {
        assert!(toml::from_str::<AgeingParams>("calendar_fade = 0.02").is_err());
        assert!(toml::from_str::<AgeingParams>(
            "calendar_soc_stress = { kind = \"linear\", slope = 1, extra = 2 }"
        )
        .is_err());
        assert!(toml::from_str::<AgeingParams>(
            "calendar_soc_stress = { kind = \"cubic\", slope = 1 }"
        )
        .is_err());
        let p: AgeingParams = toml::from_str(
            "cycle_fade_per_efc = 8e-5\ncalendar_soc_stress = { kind = \"exponential\", coefficient = 1.0 }",
        )
        .unwrap();
        assert_eq!(p.cycle_fade_per_efc, Some(Fraction::ratio(8e-5)));
        assert_eq!(
            p.calendar_soc_stress,
            Some(SocStress::Exponential { coefficient: 1.0 })
        );
        assert_eq!(
            toml::from_str::<AgeingParams>("").unwrap(),
            AgeingParams::default()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// The applied calendar fade is the model's rounded up to a whole quantum, after any
        /// history of rests and at any time exponent; refreshing at every step or once at the end
        /// gives the same applied factors; and a refresh with nothing moved changes nothing.
        #[test]
        fn the_applied_fade_is_the_fade_rounded_up_to_a_quantum(
            z in 0.25f64..=1.0,
            q1 in prop_oneof![Just(0.0), 0.001f64..0.2],
            // Long rests jump many quanta at a refresh; short ones, one or none.
            rests in prop::collection::vec(
                (prop_oneof![0.0f64..2000.0, 0.0f64..5.0], 0.0f64..=1.0, -20.0f64..60.0),
                1..60,
            ),
        ) {
            let model = AgeingParams {
                calendar_fade_first_year: Some(Fraction::ratio(q1)),
                calendar_time_exponent: Some(z),
                ..AgeingParams::default()
            }
            .validate()
            .unwrap();
            let mut every = model.initial_state(Fraction::ratio(0.5));
            let mut once = every.clone();
            for (hours, soc, temp) in rests {
                for s in [&mut every, &mut once] {
                    model.advance(s, Hours::h(hours), Fraction::ratio(soc), temp);
                }
                model.refresh(&mut every);
                let q = model.calendar_fade(&every).value();
                let applied = every.applied_calendar_fade;
                prop_assert!(applied >= q * (1.0 - 1e-12), "{applied} below {q}");
                prop_assert!(applied < q + model.fade_quantum() * (1.0 + 1e-9), "{applied} above {q} + ε");
                // Nothing moved: nothing to refresh.
                let before = every.clone();
                prop_assert!(!model.refresh(&mut every));
                prop_assert_eq!(&every, &before);
            }
            model.refresh(&mut once);
            prop_assert_eq!(model.applied_factors(&once), model.applied_factors(&every));
            let (cf, _) = model.applied_factors(&every);
            prop_assert!(cf <= model.capacity_factor(&every));
            prop_assert!(cf >= model.capacity_factor(&every) - model.fade_quantum() * (1.0 + 1e-9));
        }
    }

    /// The applied cycle fade is the cycle fade so far rounded to the nearest whole quantum at
    /// each refresh, and never falls.
    #[test]
    fn a_closed_cycle_refreshes_the_applied_fade_in_quanta() {
        let model = AgeingParams {
            cycle_fade_per_efc: Some(Fraction::ratio(0.001)),
            ..AgeingParams::default()
        }
        .validate()
        .unwrap();
        let mut s = model.initial_state(Fraction::ratio(0.5));
        model.refresh(&mut s);
        // Hourly ramps 0.5 → 0 → 1 → 0.4 → 0.6 → 0.2: the inner 0.4–0.6 cycle closes at 0.2
        // (four-point rule: its range 0.2 lies within both neighbours' ranges, 0.6 and 0.4).
        let mut highest: f64 = 0.0;
        for soc in [0.0, 1.0, 0.4, 0.6, 0.2] {
            model.step(&mut s, Hours::h(1.0), Fraction::ratio(soc), 25.0);
            let before = s.applied_cycle_fade;
            model.refresh(&mut s);
            let q = model.cycle_fade(&s).value();
            highest = highest.max(q);
            let k = s.applied_cycle_fade / model.fade_quantum();
            assert!((k - k.round()).abs() < 1e-9, "not whole quanta: {k}");
            assert!(
                q - s.applied_cycle_fade < 0.5 * model.fade_quantum(),
                "{q} vs {s:?}"
            );
            assert!(s.applied_cycle_fade <= highest + 0.5 * model.fade_quantum() * (1.0 + 1e-9));
            assert!(
                s.applied_cycle_fade >= before,
                "the applied cycle fade fell"
            );
        }
        assert!(s.cycle_fade > 0.0, "the inner cycle closed");
        let (cf, _) = model.applied_factors(&s);
        let want = 1.0 - (s.applied_calendar_fade + s.applied_cycle_fade);
        assert_eq!(cf, want);
    }

    /// Daily cycles whose tops and bottoms drift apart close no cycle (every range is wider
    /// than the one before), yet they age the battery: the cycle fade so far counts the
    /// residue as half cycles, and the applied factors follow it within a quantum. Counting
    /// closed cycles alone, the window would keep the capacity of the whole history.
    #[test]
    fn widening_cycles_that_never_close_still_shrink_the_window() {
        let model = defaults();
        let mut s = model.initial_state(Fraction::ratio(0.5));
        for day in 0..200 {
            let swing = 0.1 + 0.8 * f64::from(day) / 200.0;
            for soc in [0.5 - swing / 2.0, 0.5 + swing / 2.0] {
                model.step(&mut s, Hours::h(12.0), Fraction::ratio(soc), 25.0);
                model.refresh(&mut s);
            }
        }
        assert_eq!(s.closed_cycle_fade(), Fraction::ZERO, "no cycle closed");
        assert!(s.rainflow().residue_len() > 300);
        // Two half cycles a day of depth `swing`, the latest run among them: by hand.
        let mut by_hand = 0.0;
        let mut last = 0.5;
        for day in 0..200 {
            let swing = 0.1 + 0.8 * f64::from(day) / 200.0;
            for soc in [0.5 - swing / 2.0, 0.5 + swing / 2.0] {
                let d: f64 = (soc - last).abs();
                let c_rate = d / 12.0;
                by_hand += 0.5 * 6e-5 * d * model.cycle_stress(25.0, c_rate);
                last = soc;
            }
        }
        let open = s.open_cycle_fade().value();
        assert!(rel(open, by_hand) < 1e-9, "{open} vs {by_hand}");
        assert_eq!(model.cycle_fade(&s).value(), open);
        // The applied fade follows it, within half a quantum.
        assert!((s.applied_cycle_fade - open).abs() <= 0.5 * model.fade_quantum() * (1.0 + 1e-9));
        // And `finish` counts the same half cycles, now closed.
        model.finish(&mut s);
        assert_eq!(s.open_cycle_fade(), Fraction::ZERO);
        assert!(rel(s.closed_cycle_fade().value(), by_hand) < 1e-9);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// On random SoC histories, refreshing at every step: the applied cycle fade is whole
        /// quanta, never falls, is less than half a quantum below the cycle fade so far and at
        /// most half a quantum above its highest value; `finish` closes the open cycles as the
        /// half cycles they were counted as, so the cycle fade does not move.
        #[test]
        fn the_applied_cycle_fade_follows_open_and_closed_cycles(
            socs in prop::collection::vec((0.0f64..=1.0, 0.1f64..24.0), 1..400),
            q_efc in 1e-5f64..1e-3,
            beta in prop_oneof![Just(1.0), 0.5f64..3.0],
        ) {
            let model = AgeingParams {
                cycle_fade_per_efc: Some(Fraction::ratio(q_efc)),
                dod_exponent: Some(beta),
                ..AgeingParams::default()
            }
            .validate()
            .unwrap();
            let mut s = model.initial_state(Fraction::ratio(0.5));
            let mut highest: f64 = 0.0;
            for (soc, hours) in socs {
                let before = s.applied_cycle_fade;
                model.step(&mut s, Hours::h(hours), Fraction::ratio(soc), 25.0);
                model.refresh(&mut s);
                let q = model.cycle_fade(&s).value();
                prop_assert_eq!(q, s.closed_cycle_fade().value() + s.open_cycle_fade().value());
                // At β = 1 a cycle's fade is linear in its tag change, and the cycles partition
                // the history: the cycle fade is ½ · q_efc · ∫ s |dSoC|, whatever closed.
                if beta == 1.0 {
                    let want = 0.5 * q_efc * s.cycle_stress_path;
                    prop_assert!((q - want).abs() <= 1e-12 * want.max(1e-300), "{} vs {}", q, want);
                }
                highest = highest.max(q);
                let k = s.applied_cycle_fade / model.fade_quantum();
                prop_assert!((k - k.round()).abs() < 1e-6, "not whole quanta: {}", k);
                prop_assert!(s.applied_cycle_fade >= before);
                prop_assert!(q - s.applied_cycle_fade < 0.5 * model.fade_quantum());
                prop_assert!(s.applied_cycle_fade <= highest + 0.5 * model.fade_quantum() * (1.0 + 1e-9));
            }
            let (applied, so_far) = (s.applied_cycle_fade, model.cycle_fade(&s).value());
            model.finish(&mut s);
            prop_assert_eq!(s.open_cycle_fade(), Fraction::ZERO);
            let closed = s.closed_cycle_fade().value();
            prop_assert!((closed - so_far).abs() <= 1e-12 * so_far, "{} vs {}", closed, so_far);
            prop_assert!(applied <= highest + 0.5 * model.fade_quantum() * (1.0 + 1e-9));
        }
    }
}
