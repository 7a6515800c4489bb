//! Sites for sequential (time-stepped) adequacy studies of the same systems as the analytic
//! method: the units of a table as grid supply units, an hourly load as a trace.

use crate::components::battery::BatteryParams;
use crate::components::grid::{GridParams, SupplyUnit};
use crate::components::load::{ItProfile, LoadParams, LoadTrace};
use crate::engine::Site;
use crate::error::{check_non_negative, check_positive, check_range, ConfigError};
use crate::io::rts::UnitRecord;
use crate::reliability::availability::AvailabilityProcess;
use crate::time::TimeGrid;
use crate::units::{Duration, Power};
use serde::{Deserialize, Serialize};

/// How a unit's two-state availability is sampled in a sequential (time-stepped) study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitSampling {
    /// Continuous-time two-state Markov (exponential up and down times with means MTTF and
    /// MTTR); a transition inside a step counts pro rata.
    Markov,
    /// PRAS-style discrete chain on the step grid: per-step failure probability `Δt/MTTF` and
    /// repair probability `Δt/MTTR`, so the steady-state unavailability is exactly the FOR.
    MarkovPerStep,
}

/// The units as grid supply units with two-state availability processes.
///
/// # Errors
/// [`ConfigError::OutOfRange`] for a per-step probability above 1 (`Δt` longer than MTTF or
/// MTTR) or a non-finite MTTF/MTTR.
pub fn supply_units(
    units: &[UnitRecord],
    sampling: UnitSampling,
    step: Duration,
) -> Result<Vec<SupplyUnit>, ConfigError> {
    units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let field = |f: &str| format!("units[{i}].{f}");
            let mttf_h = check_positive(field("mttf_h"), u.mttf_h)?;
            let mttr_h = check_positive(field("mttr_h"), u.mttr_h)?;
            let process = match sampling {
                UnitSampling::Markov => AvailabilityProcess::Markov {
                    mttf: Duration::from_hours_f64(mttf_h).unwrap_or(Duration::from_millis(1)),
                    mttr: Duration::from_hours_f64(mttr_h).unwrap_or(Duration::from_millis(1)),
                },
                UnitSampling::MarkovPerStep => {
                    let dt = step.hours().value();
                    AvailabilityProcess::MarkovPerStep {
                        failure_probability: check_range(
                            field("mttf_h"),
                            dt / mttf_h,
                            0.0,
                            1.0,
                            "MTTF of at least one step",
                        )?,
                        repair_probability: check_range(
                            field("mttr_h"),
                            dt / mttr_h,
                            0.0,
                            1.0,
                            "MTTR of at least one step",
                        )?,
                    }
                }
            };
            Ok(SupplyUnit {
                name: Some(u.id.clone()),
                capacity_mw: Power::mw(check_non_negative(field("size_mw"), u.size_mw)?),
                count: None,
                processes: vec![process],
            })
        })
        .collect()
}

/// A single-node adequacy study as a site: the units as supply units (import limit = installed
/// capacity), the hourly load as the facility load (PUE 1), and `battery` (use
/// [`BatteryParams::none`] for none). The grid starts on a Monday, 2001-01-01, as the RTS-79
/// year does. Loss of load happens only when the load is strictly greater than the available
/// capacity (to [`crate::engine::report::UNSERVED_EPSILON_MW`]).
///
/// # Errors
/// Any [`ConfigError`] of the units, the load (e.g. a negative value) or the battery.
pub fn adequacy_site(
    units: &[UnitRecord],
    hourly_load_mw: &[f64],
    sampling: UnitSampling,
    battery: &BatteryParams,
) -> Result<Site, ConfigError> {
    let step = Duration::from_hours(1);
    let time = TimeGrid::with_steps(step, hourly_load_mw.len() as u64)?
        .starting_at(jiff::civil::date(2001, 1, 1).at(0, 0, 0, 0));
    let supply = supply_units(units, sampling, step)?;
    let installed: f64 = units.iter().map(|u| u.size_mw).sum();
    let grid = GridParams {
        supply_units: supply,
        ..GridParams::new(Power::mw(installed))
    };
    let load = LoadParams::new(
        1.0,
        vec![ItProfile::Trace(LoadTrace::from_values(
            step,
            hourly_load_mw.iter().copied().map(Power::mw).collect(),
        ))],
    );
    Site::new(time, &grid, battery, &load)
}
