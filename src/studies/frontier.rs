//! The reserve-versus-value frontier: for each SoC reserve in a list, what the fleet keeps for
//! backup (reliability) against what the energy above it earns on the site's tariff (value),
//! both from one Monte Carlo study under common random numbers.
//!
//! A Megapack fleet at a datacenter can shave the monthly peak import under a demand charge and
//! arbitrage a price trace with the energy above its backup reserve
//! ([`Policy::ValueStacking`](crate::engine::policy::Policy::ValueStacking), or peak shaving),
//! while the reserve is what rides through outages. Raising the reserve buys reliability and
//! costs value; the frontier shows how much of each, per reserve.
//!
//! # What is estimated, per reserve
//! Every sample *i* is one horizon run from the seed `rng::sample_seed(seed, i)` with the
//! scenario's policy, once per reserve, **from the same seed** (common random numbers): every
//! reserve sees the same grid outages, unit failures and generator draws. Each run is billed by
//! the tariff's [`Meter`](crate::components::tariff::Meter). Then, as mean ± standard error over
//! the samples:
//!
//! * **LOLE** (h/yr, PRAS-style: steps with unserved load × the step) and **EUE** (MWh/yr) of the
//!   run itself, as [`montecarlo`] counts them;
//! * with [`FrontierConfig::survive`] = D, **P(survive a D-hour outage)**: in each sample,
//!   [`FrontierConfig::outage_starts`] instants (step starts, uniform over the horizon, drawn
//!   from the sample's own stream `rng::stream(sample seed, streams::FRONTIER_OUTAGES)` and so
//!   the same for every reserve) at which the run's state is copied and the grid forced out on
//!   the copy for D, as [`life_reliability`](super::life_reliability) does; the sample scores
//!   the share of them carried without loss of load. The run itself goes on unchanged;
//! * **value**, $/yr: the bill's savings against the same site with the battery idle (the
//!   baseline imports its demand), scaled to 8,760 h. It is the mean over sampled horizons, so
//!   outages count: while the grid is out the battery earns nothing, and it recharges after;
//! * the run's **energy cost** and **demand charges**, $/yr, and the baseline's bill (the same
//!   for every reserve);
//! * **paired differences** against the first reserve of the list (value, EUE, survival), from
//!   the per-sample differences: far tighter than the two estimates' SEs suggest.
//!
//! Figures per year are the horizon's scaled to 8,760 h (LOLE and EUE too).
//!
//! # Monotonicity
//! With the same outages, a higher reserve holds at least as much energy at every step under
//! the built-in policies (their maps of the stored energy are monotone in it and in the
//! reserve; see "Value stacking" in [`crate::engine::policy`]), so it never loses more load:
//! EUE and LOLE do not rise and survival does not fall with the reserve, sample by sample, up to
//! rounding (tested). Value need not fall with it in every case (a peak can come after a
//! discharge the higher reserve did not make), but does on the bundled sites.
//!
//! # Cost
//! The meter needs every step, so nothing is fast-forwarded: each sample costs one stepped run
//! per reserve (≈0.2 ms for an hourly year, ≈12 ms for a minute year, on one core) plus
//! `outage_starts` forced outages of D. Samples run in the Monte Carlo study's chunks and are
//! merged in index order: the result does not depend on the thread count (tested).
//!
//! ```
//! use ridethrough::prelude::*;
//! use ridethrough::studies::frontier::{self, FrontierConfig};
//! let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML
//!     .replace("step = \"1m\"", "step = \"1h\"")
//!     .replace("horizon = \"365d\"", "horizon = \"28d\"")
//!     .replace("start = \"120d\"", "start = \"3d\"")
//!     .replace("kind = \"backup_only\"", "kind = \"peak_shaving\"\nimport_cap_mw = 12.0")
//!     + "\n[tariff]\ndemand_charge_usd_per_kw_month = 10.0\nenergy_price_usd_per_mwh = 40.0\n";
//! let study = Scenario::from_toml_str(&text)?.validate()?;
//! let cfg = FrontierConfig::new(vec![0.2, 0.5, 0.8], 32, 7);
//! let f = frontier::run(&study, &cfg, &|_| {})?;
//! assert_eq!(f.points.len(), 3);
//! // More reserve, less energy to shave with: no more value, and no more unserved energy.
//! assert!(f.points[2].value_usd_per_year.mean <= f.points[0].value_usd_per_year.mean + 1e-6);
//! assert!(f.points[2].eue_mwh.mean <= f.points[0].eue_mwh.mean + 1e-9);
//! # Ok::<(), ridethrough::ConfigError>(())
//! ```

use crate::components::tariff::HOURS_PER_YEAR;
use crate::engine::study::Study;
use crate::engine::Simulation;
use crate::error::ConfigError;
use crate::rng::{sample_seed, stream, streams};
use crate::studies::life_reliability::carries;
use crate::studies::montecarlo::{self, McConfig};
use crate::studies::stats::{Estimate, Moments};
use crate::units::{Duration, Fraction};
use rand::{Rng as _, RngCore};
use serde::{Deserialize, Serialize};

/// Most reserves in one sweep (a percent grid of 0..=1 is 101).
pub const MAX_RESERVES: usize = 101;
/// Most forced-outage instants per sample.
pub const MAX_OUTAGE_STARTS: u64 = 10_000;
/// Default forced-outage instants per sample: 24 (an assumption: enough that a sample's share
/// varies little, few enough that the outages cost less than the run at minute steps).
pub const DEFAULT_OUTAGE_STARTS: u64 = 24;

/// What to sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontierConfig {
    /// The SoC reserves, as fractions of nameplate, each inside the battery's SoC window (at
    /// most [`MAX_RESERVES`]); paired differences are against the first.
    pub reserves: Vec<f64>,
    /// Sampled horizons.
    pub samples: u64,
    /// The study's seed.
    pub seed: u64,
    /// Worker threads (0 = one per core); the results do not depend on it.
    #[serde(default)]
    pub threads: usize,
    /// D: estimate P(survive a D-hour total outage), a whole number of steps, at most the
    /// horizon.
    #[serde(default)]
    pub survive: Option<Duration>,
    /// Forced-outage instants per sample (1 ≤ x ≤ [`MAX_OUTAGE_STARTS`]).
    #[serde(default = "default_starts")]
    pub outage_starts: u64,
}

fn default_starts() -> u64 {
    DEFAULT_OUTAGE_STARTS
}

impl FrontierConfig {
    /// `samples` sampled horizons of every reserve in `reserves`, seeded by `seed`, without
    /// survival.
    pub fn new(reserves: Vec<f64>, samples: u64, seed: u64) -> FrontierConfig {
        FrontierConfig {
            reserves,
            samples,
            seed,
            threads: 0,
            survive: None,
            outage_starts: DEFAULT_OUTAGE_STARTS,
        }
    }
}

/// One reserve's estimates (each mean ± standard error over the samples, per year).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrontierPoint {
    /// The SoC reserve, a fraction of nameplate.
    pub reserve: f64,
    /// LOLE, h/yr (PRAS-style).
    pub lole_hours: Estimate,
    /// EUE, MWh/yr.
    pub eue_mwh: Estimate,
    /// P(survive a D-hour outage), with [`FrontierConfig::survive`].
    pub survival: Option<Estimate>,
    /// What the dispatch saved against the battery idle, $/yr.
    pub value_usd_per_year: Estimate,
    /// The run's energy cost, $/yr.
    pub energy_cost_usd_per_year: Estimate,
    /// The run's demand charges, $/yr.
    pub demand_charges_usd_per_year: Estimate,
    /// Value minus the first reserve's, paired, $/yr.
    pub value_difference_usd_per_year: Estimate,
    /// EUE minus the first reserve's, paired, MWh/yr.
    pub eue_difference_mwh: Estimate,
    /// Survival minus the first reserve's, paired.
    pub survival_difference: Option<Estimate>,
}

/// The frontier: one point per reserve, in the order given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frontier {
    /// Samples run.
    pub samples: u64,
    /// The study's seed.
    pub seed: u64,
    /// The dispatch policy's name.
    pub policy: String,
    /// The horizon of a sample, hours (figures are scaled from it to 8,760 h).
    pub horizon_hours: f64,
    /// D, hours, when survival was estimated.
    pub survive_hours: Option<f64>,
    /// Forced-outage instants per sample, when survival was estimated.
    pub outage_starts: Option<u64>,
    /// The baseline's bill (battery idle), $/yr: the same for every reserve.
    pub baseline_cost_usd_per_year: Estimate,
    /// The points, one per reserve.
    pub points: Vec<FrontierPoint>,
}

/// Progress of a sweep, reported every 512 merged samples and at the end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrontierProgress {
    /// Samples merged so far (each run at every reserve).
    pub done: u64,
    /// Samples planned.
    pub planned: u64,
}

/// One reserve's accumulators.
#[derive(Debug, Clone, Copy, Default)]
struct PointAcc {
    lole: Moments,
    eue: Moments,
    survival: Moments,
    value: Moments,
    energy: Moments,
    demand: Moments,
    d_value: Moments,
    d_eue: Moments,
    d_survival: Moments,
}

#[derive(Debug, Clone, Default)]
struct Acc {
    points: Vec<PointAcc>,
    baseline: Moments,
    done: u64,
}

impl Acc {
    fn merge(&mut self, o: &Acc) {
        if self.points.len() < o.points.len() {
            self.points.resize(o.points.len(), PointAcc::default());
        }
        for (a, b) in self.points.iter_mut().zip(&o.points) {
            for (x, y) in a.fields_mut().into_iter().zip(b.fields()) {
                x.merge(y);
            }
        }
        self.baseline.merge(&o.baseline);
        self.done += o.done;
    }
}

impl PointAcc {
    fn fields_mut(&mut self) -> [&mut Moments; 9] {
        [
            &mut self.lole,
            &mut self.eue,
            &mut self.survival,
            &mut self.value,
            &mut self.energy,
            &mut self.demand,
            &mut self.d_value,
            &mut self.d_eue,
            &mut self.d_survival,
        ]
    }
    fn fields(&self) -> [&Moments; 9] {
        [
            &self.lole,
            &self.eue,
            &self.survival,
            &self.value,
            &self.energy,
            &self.demand,
            &self.d_value,
            &self.d_eue,
            &self.d_survival,
        ]
    }
}

/// What one run of one sample at one reserve gave.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    lole: f64,
    eue: f64,
    survival: f64,
    value: f64,
    energy: f64,
    demand: f64,
    baseline: f64,
}

/// The variants of the study, one per reserve, checked.
fn variants(study: &Study, cfg: &FrontierConfig) -> Result<Vec<Study>, ConfigError> {
    if cfg.reserves.is_empty() || cfg.reserves.len() > MAX_RESERVES {
        return Err(ConfigError::OutOfRange {
            field: "frontier.reserves".into(),
            value: cfg.reserves.len() as f64,
            allowed: "1 ≤ x ≤ 101 reserves",
        });
    }
    if study.site().tariff.is_none() {
        return Err(ConfigError::Missing {
            field: "tariff".into(),
            why: "the frontier's value is the bill the battery saves: give the scenario a \
                  [tariff] table",
        });
    }
    let (lo, hi) = study.site().battery.soc_window();
    cfg.reserves
        .iter()
        .enumerate()
        .map(|(i, &r)| {
            let field = format!("frontier.reserves[{i}]");
            crate::error::check_range(
                field.as_str(),
                r,
                lo.value(),
                hi.value(),
                "inside the battery's SoC window: battery.soc_min ≤ x ≤ battery.soc_max",
            )?;
            let battery = crate::components::battery::BatteryParams {
                reserve_soc: Some(Fraction::ratio(r)),
                ..study.battery_params().clone()
            };
            study.clone().with_battery(battery)
        })
        .collect()
}

/// D in steps, checked: a whole number of steps, at least one, at most the horizon.
fn survive_steps(study: &Study, cfg: &FrontierConfig) -> Result<Option<u64>, ConfigError> {
    let Some(d) = cfg.survive else {
        return Ok(None);
    };
    let time = study.time();
    let step = time.step();
    if d.is_zero() || d > time.horizon() {
        return Err(ConfigError::OutOfRange {
            field: "frontier.survive".into(),
            value: d.hours().value(),
            allowed: "0 < x ≤ the horizon (value in hours)",
        });
    }
    if d.as_millis() % step.as_millis() != 0 {
        return Err(ConfigError::NotMultiple {
            field: "frontier.survive".into(),
            value: d,
            multiple_of: step,
        });
    }
    if cfg.outage_starts == 0 || cfg.outage_starts > MAX_OUTAGE_STARTS {
        return Err(ConfigError::OutOfRange {
            field: "frontier.outage_starts".into(),
            value: cfg.outage_starts as f64,
            allowed: "1 ≤ x ≤ 10000",
        });
    }
    Ok(Some(d.as_millis() / step.as_millis()))
}

/// Runs sample `seed` of `study` (one reserve's variant) with the tariff's meter; at each of
/// `instants` (sorted step indices, with their generator reseeds) forces a `d`-step outage on a
/// copy.
fn run_one(study: &Study, seed: u64, instants: &[(u64, u64)], d: Option<u64>) -> Outcome {
    let site = study.site();
    let tariff = site
        .tariff
        .as_ref()
        .expect("the variants were checked to have a tariff");
    let steps = site.time.steps();
    let mut sim = Simulation::new(site, *study.policy(), seed);
    sim.set_lean();
    let mut meter = tariff.meter();
    let mut carried = 0u64;
    if let Some(d) = d {
        let mut outage: Option<Simulation<'_, _>> = None;
        for &(at, reseed) in instants {
            while sim.state().step < at {
                sim.step(&mut meter);
            }
            let copy = match &mut outage {
                Some(c) => {
                    c.clone_from(&sim);
                    c
                }
                None => outage.insert(sim.clone()),
            };
            copy.reseed_backup(reseed);
            carried += u64::from(carries(copy, at, d, steps));
        }
    }
    sim.run(&mut meter);
    let bill = meter.finish();
    let totals = sim.state().tally.totals();
    let year = HOURS_PER_YEAR / site.time.horizon().hours().value();
    Outcome {
        lole: totals.loss_of_load_step_hours * year,
        eue: totals.unserved_mwh * year,
        survival: if instants.is_empty() {
            0.0
        } else {
            carried as f64 / instants.len() as f64
        },
        value: bill.savings_usd_per_year,
        energy: bill.per_year(bill.energy_cost_usd),
        demand: bill.per_year(bill.demand_charges_usd),
        baseline: bill.per_year(bill.baseline_total_usd()),
    }
}

/// Runs the sweep: `cfg.samples` sampled horizons of `study` at every reserve of
/// `cfg.reserves`, from the same seeds. `progress` is called (from the calling thread) every 512
/// merged samples and at the end.
///
/// # Errors
/// [`ConfigError::Missing`] naming `tariff` for a study without one; [`ConfigError::OutOfRange`]
/// naming `frontier.reserves` (none, or more than [`MAX_RESERVES`]), `frontier.reserves[i]` (out
/// of the battery's window), `frontier.survive` or `frontier.outage_starts`;
/// [`ConfigError::NotMultiple`] for a `survive` that is not a whole number of steps; the policy's
/// error against a variant; [`McConfig::validate`]'s for the samples and threads;
/// [`ConfigError::ThreadPool`] if the worker threads cannot be started.
pub fn run(
    study: &Study,
    cfg: &FrontierConfig,
    progress: &(dyn Fn(&FrontierProgress) + Sync),
) -> Result<Frontier, ConfigError> {
    let variants = variants(study, cfg)?;
    let d = survive_steps(study, cfg)?;
    let steps = study.time().steps();
    let n = variants.len();
    let mc = McConfig {
        threads: cfg.threads,
        ..McConfig::new(cfg.samples, cfg.seed)
    };
    let (acc, _) = montecarlo::drive(
        &mc,
        |range| {
            let mut a = Acc {
                points: vec![PointAcc::default(); n],
                ..Acc::default()
            };
            let mut instants = Vec::new();
            for i in range {
                let seed = sample_seed(cfg.seed, i);
                instants.clear();
                if d.is_some() {
                    let mut rng = stream(seed, streams::FRONTIER_OUTAGES);
                    for _ in 0..cfg.outage_starts {
                        let at = rng.random_range(0..steps);
                        instants.push((at, rng.next_u64()));
                    }
                    instants.sort_unstable();
                }
                let mut first: Option<Outcome> = None;
                for (v, p) in variants.iter().zip(a.points.iter_mut()) {
                    let o = run_one(v, seed, &instants, d);
                    let f = *first.get_or_insert(o);
                    p.lole.push(o.lole);
                    p.eue.push(o.eue);
                    p.survival.push(o.survival);
                    p.value.push(o.value);
                    p.energy.push(o.energy);
                    p.demand.push(o.demand);
                    p.d_value.push(o.value - f.value);
                    p.d_eue.push(o.eue - f.eue);
                    p.d_survival.push(o.survival - f.survival);
                }
                if let Some(f) = first {
                    a.baseline.push(f.baseline);
                }
                a.done += 1;
            }
            a
        },
        Acc::merge,
        |acc: &Acc, _| {
            progress(&FrontierProgress {
                done: acc.done,
                planned: cfg.samples,
            });
            false
        },
    )?;
    let with_survival = |m: &Moments| d.map(|_| m.estimate());
    let points = cfg
        .reserves
        .iter()
        .zip(&acc.points)
        .map(|(&reserve, p)| FrontierPoint {
            reserve,
            lole_hours: p.lole.estimate(),
            eue_mwh: p.eue.estimate(),
            survival: with_survival(&p.survival),
            value_usd_per_year: p.value.estimate(),
            energy_cost_usd_per_year: p.energy.estimate(),
            demand_charges_usd_per_year: p.demand.estimate(),
            value_difference_usd_per_year: p.d_value.estimate(),
            eue_difference_mwh: p.d_eue.estimate(),
            survival_difference: with_survival(&p.d_survival),
        })
        .collect();
    Ok(Frontier {
        samples: acc.done,
        seed: cfg.seed,
        policy: crate::engine::policy::Dispatch::name(study.policy()).to_string(),
        horizon_hours: study.time().horizon().hours().value(),
        survive_hours: cfg
            .survive
            .filter(|_| d.is_some())
            .map(|s| s.hours().value()),
        outage_starts: d.map(|_| cfg.outage_starts),
        baseline_cost_usd_per_year: acc.baseline.estimate(),
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::scenario::{Scenario, DEFAULT_SCENARIO_TOML};

    fn study(extra_policy: &str) -> Study {
        let text = DEFAULT_SCENARIO_TOML
            .replace("step = \"1m\"", "step = \"1h\"")
            .replace("horizon = \"365d\"", "horizon = \"60d\"")
            .replace("start = \"120d\"", "start = \"20d\"")
            .replace("kind = \"backup_only\"", extra_policy)
            + "\n[tariff]\ndemand_charge_usd_per_kw_month = 10.0\nenergy_price_usd_per_mwh = 40.0\n";
        Scenario::from_toml_str(&text)
            .and_then(Scenario::validate)
            .unwrap()
    }

    #[test]
    fn the_thread_count_does_not_change_the_bits() {
        let s = study("kind = \"peak_shaving\"\nimport_cap_mw = 12.5");
        let go = |threads| {
            let cfg = FrontierConfig {
                threads,
                survive: Some(Duration::from_hours(3)),
                outage_starts: 4,
                ..FrontierConfig::new(vec![0.1, 0.4, 0.7], 40, 3)
            };
            serde_json::to_string(&run(&s, &cfg, &|_| {}).unwrap()).unwrap()
        };
        assert_eq!(go(1), go(2));
    }

    #[test]
    fn bad_sweeps_name_the_field() {
        let s = study("kind = \"peak_shaving\"\nimport_cap_mw = 12.5");
        let field = |cfg: FrontierConfig| match run(&s, &cfg, &|_| {}) {
            Err(ConfigError::OutOfRange { field, .. })
            | Err(ConfigError::NotMultiple { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(FrontierConfig::new(vec![], 4, 1)),
            "frontier.reserves"
        );
        assert_eq!(
            field(FrontierConfig::new(vec![0.2, 1.5], 4, 1)),
            "frontier.reserves[1]"
        );
        let mut c = FrontierConfig::new(vec![0.2], 4, 1);
        c.survive = Some(Duration::from_minutes(90));
        assert_eq!(field(c.clone()), "frontier.survive");
        c.survive = Some(Duration::from_hours(2));
        c.outage_starts = 0;
        assert_eq!(field(c), "frontier.outage_starts");
        // No tariff: refused, naming it.
        let plain = Scenario::default_scenario()
            .and_then(Scenario::validate)
            .unwrap();
        assert!(matches!(
            run(&plain, &FrontierConfig::new(vec![0.2], 4, 1), &|_| {}),
            Err(ConfigError::Missing { ref field, .. }) if field == "tariff"
        ));
    }
}
