//! The physical range of every power, energy and count a scenario states, as named constants
//! with their reason, and the checks that use them.
//!
//! The bounds are far beyond any real site, so no real scenario meets them; what they exclude is
//! a finite number so large (or so small) that the engine's sums and ratios overflow to `inf` or
//! `NaN`, or a count that would allocate gigabytes before the run starts. Derived quantities are
//! checked too (peak IT × PUE, units × unit power and energy, the supply units' total capacity),
//! so nothing finite in a scenario can become `inf` or `NaN` in a report.

use crate::error::{check_range, ConfigError};
use crate::time::MAX_DURATION;
use crate::units::MS_PER_HOUR;

/// The largest power anywhere on a site, MW: 10⁵ MW = 100 GW, above the peak demand of the
/// largest grids (ERCOT ≈ 85 GW) and a thousand times the largest datacenter campus. Applies to
/// the import and export limits, every load figure, a battery unit's power and its fleet's, the
/// facility peak (IT × PUE) and the supply units' total capacity.
pub const MAX_POWER_MW: f64 = 1e5;

/// The largest energy of a battery fleet (and of one unit), MWh: [`MAX_POWER_MW`] for
/// [`MAX_DURATION`] (1000 years), ≈ 8.8·10¹¹ MWh. No run can ever draw more, so an idealised
/// battery that "never runs out" (a modelling device of reliability studies) still fits.
pub const MAX_ENERGY_MWH: f64 =
    MAX_POWER_MW * (MAX_DURATION.as_millis() as f64 / MS_PER_HOUR as f64);

/// The smallest non-zero energy of a battery unit, MWh: 1 Wh. A unit holds either nothing
/// (exactly 0: power electronics only) or at least this, so that `1 / capacity` and the SoC stay
/// finite.
pub const MIN_UNIT_ENERGY_MWH: f64 = 1e-6;

/// The most battery units in a fleet: 100,000 (a Megapack 2 XL fleet that large holds ≈ 390 GWh,
/// beyond any plan). Checked before any per-unit state is allocated.
pub const MAX_BATTERY_UNITS: u32 = 100_000;

/// The most supply units behind the grid feed, all entries together: 10,000 (a whole
/// interconnection's generators; RTS-79 has 32). Checked before any per-unit state is allocated.
pub const MAX_SUPPLY_UNITS: u32 = 10_000;

/// The smallest one-way (charge or discharge) efficiency of a battery: 10 %. Below it the loss
/// `P·(1/η − 1)` of a full-power discharge is more than nine times the power delivered, which
/// is no battery; above 0 it keeps every loss finite.
pub const MIN_ONE_WAY_EFFICIENCY: f64 = 0.1;

/// The smallest round-trip efficiency, [`MIN_ONE_WAY_EFFICIENCY`] squared (it is split evenly
/// into the two one-way efficiencies).
pub const MIN_ROUND_TRIP_EFFICIENCY: f64 = MIN_ONE_WAY_EFFICIENCY * MIN_ONE_WAY_EFFICIENCY;

/// The allowed range of a power, in words.
pub(crate) const POWER_WORDS: &str = "0 ≤ x ≤ 1e5 MW";

/// Checks a power: finite, `0 ≤ value ≤` [`MAX_POWER_MW`].
///
/// # Errors
/// [`ConfigError::OutOfRange`] naming `field`.
pub(crate) fn check_power(field: impl Into<String>, value: f64) -> Result<f64, ConfigError> {
    check_range(field, value, 0.0, MAX_POWER_MW, POWER_WORDS)
}

/// The smallest non-zero power limit, MW (1 W): a limit the engine divides by (the feed's import
/// limit) must be 0 or at least this, so its reciprocal stays finite (a subnormal limit such as
/// 5e-324 MW would make it infinite).
pub const MIN_LIMIT_MW: f64 = 1e-6;

/// Checks a power limit: 0, or `MIN_LIMIT_MW ≤ value ≤ MAX_POWER_MW`.
///
/// # Errors
/// [`ConfigError::OutOfRange`] naming `field`.
pub(crate) fn check_limit(field: impl Into<String>, value: f64) -> Result<f64, ConfigError> {
    let field = field.into();
    let v = check_power(field.clone(), value)?;
    if v != 0.0 && v < MIN_LIMIT_MW {
        return Err(crate::error::out_of_range(
            field,
            v,
            "0, or 1e-6 ≤ x ≤ 1e5 MW (at least 1 W)",
        ));
    }
    Ok(v)
}
