//! Fuel for the standby generators: tanks and resupply by contract.
//!
//! * [`FuelParams`]: what a scenario file says (one shared tank, or one tank per generator set;
//!   capacity and initial level; an optional resupply contract), validated by
//!   [`FuelParams::validate_at`].
//! * [`FuelModel`]: the validated, immutable model.
//! * [`FuelState`]: each tank's level, its pending delivery and the counters (deliveries, failed
//!   deliveries, fuel-outs, lowest level), `Clone + Serialize` for snapshots.
//!
//! # Burning
//! The engine burns fuel in segments of constant flow ([`FuelModel::burn`]), with times in integer
//! milliseconds from the start of the time grid. Within a segment the level falls linearly; a tank
//! that empties stops the burn at the exact millisecond it runs dry (the time is reported, and a
//! fuel-out counted), so a tank of `V` litres at a constant flow `F` runs dry after `V / F` hours
//! ([`FuelModel::time_to_empty`]).
//!
//! # Resupply
//! With a contract (`resupply`), a tank whose level falls to `order_below × capacity` orders a
//! delivery at the millisecond it reaches it (one order at a time per tank). The
//! delivery arrives after a lead time drawn from `lead_time` (a [`DurationLaw`]). On arrival it
//! fails with a probability read from `failure_probability`, a piecewise-linear curve of the hours
//! since the current grid outage began (regional disasters close roads as well as feeders; flat
//! beyond its ends; 0 when no curve is given; its value at 0 h while the grid is up). A delivery
//! that arrives fills the tank (or adds `delivery_l`, up to the capacity); a failed one adds
//! nothing and the tank orders again at once if it is still below the threshold. The engine tells
//! the model when outages begin and end ([`FuelModel::begin_outage`], [`FuelModel::end_outage`]).
//!
//! Tank `j`'s deliveries draw from `rng::stream(seed, rng::streams::GENERATORS + 16·j + 3)` (the
//! shared tank is tank 0): draw kind 3 of set `j`, next to the set's own three kinds, so fuel
//! draws never shift a set's start or failure draws.
//!
//! ```
//! use ridethrough::components::fuel::FuelParams;
//! use ridethrough::units::{Duration, LitresPerHour};
//! let params: FuelParams = toml::from_str(r#"
//! capacity_l = 40000.0
//! [resupply]
//! order_below = 0.5
//! lead_time = { law = "fixed", duration = "8h" }
//! failure_probability = [{ hours = 0.0, probability = 0.0 }, { hours = 72.0, probability = 0.5 }]
//! "#)?;
//! let model = params.validate_at("fuel", 4)?;
//! let mut state = model.initial_state(1);
//! // 40,000 L at 2,000 L/h: 20 h of autonomy.
//! assert_eq!(model.time_to_empty(&state, 0, LitresPerHour::l_per_h(2_000.0)).value(), 20.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::components::generators::MAX_GENERATOR_SETS;
use crate::error::{check_fraction, check_range, out_of_range, ConfigError};
use crate::reliability::duration::{build_law, DurationLaw, Law};
use crate::rng::{self, LazyStream, Rng};
use crate::time::MAX_DURATION;
use crate::units::{Fraction, Hours, Litres, LitresPerHour, MS_PER_HOUR};
use serde::{Deserialize, Serialize};

/// The largest tank, litres: 10⁹ L (a million cubic metres, a refinery's tank farm); a
/// datacenter keeps tens to hundreds of cubic metres (Uptime asks for at least 12 h of on-site
/// fuel, 24–48 h is common).
pub const MAX_TANK_L: f64 = 1e9;

/// The most points of a delivery-failure curve.
pub const MAX_CURVE_POINTS: usize = 64;

/// Stream offset of a tank's delivery draws, next to its set's three (see
/// [`crate::components::generators`]).
const STREAM_FUEL: u64 = 3;

/// How the fuel is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TankLayout {
    /// One tank feeds every set (the default).
    #[default]
    Shared,
    /// Each set has its own tank (a belly tank); each tank has the stated capacity.
    PerSet,
}

/// One point of a delivery-failure curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailurePoint {
    /// Hours since the grid outage began (≥ 0, strictly increasing along the curve).
    pub hours: f64,
    /// The probability that a delivery arriving then fails, in `[0, 1]`.
    pub probability: Fraction,
}

/// A resupply contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResupplyParams {
    /// Order when the level falls to this fraction of the capacity, in `[0, 1]`.
    pub order_below: Fraction,
    /// The law of the time from an order to the delivery.
    pub lead_time: DurationLaw,
    /// Litres a delivery brings (`0 < x ≤ capacity_l`); none: it fills the tank.
    #[serde(default)]
    pub delivery_l: Option<Litres>,
    /// The probability that a delivery fails, as a piecewise-linear curve of the hours since the
    /// outage began (at most 64 points; empty: deliveries never fail).
    #[serde(default)]
    pub failure_probability: Vec<FailurePoint>,
}

/// The `[fuel]` table of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FuelParams {
    /// One shared tank or one per set (default shared).
    #[serde(default)]
    pub layout: TankLayout,
    /// The capacity of each tank, litres (`0 < x ≤ 1e9`).
    pub capacity_l: Litres,
    /// The level at the start of the run, fraction of the capacity (default 1: full).
    #[serde(default)]
    pub initial_level: Option<Fraction>,
    /// A resupply contract (none: no deliveries).
    #[serde(default)]
    pub resupply: Option<ResupplyParams>,
}

/// A validated resupply contract.
#[derive(Debug, Clone, PartialEq)]
struct Resupply {
    order_below_l: f64,
    lead_time: Law,
    delivery_l: Option<f64>,
    /// `(hours, probability)`, strictly increasing hours.
    curve: Vec<(f64, f64)>,
}

/// The validated fuel model (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct FuelModel {
    tanks: u32,
    capacity_l: f64,
    initial_l: f64,
    resupply: Option<Resupply>,
}

/// A delivery on its way.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Pending {
    arrives_ms: u64,
}

/// One tank's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Tank {
    level_l: f64,
    pending: Option<Pending>,
    rng: LazyStream,
}

/// Counts of what the tanks did, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct FuelTally {
    /// Orders placed.
    pub orders: u64,
    /// Deliveries that arrived.
    pub deliveries: u64,
    /// Deliveries that failed.
    pub failed_deliveries: u64,
    /// Times a tank ran dry while burning.
    pub fuel_outs: u64,
    /// Litres burnt.
    pub burnt_l: f64,
    /// Litres delivered.
    pub delivered_l: f64,
    /// The lowest level any tank reached, litres.
    pub lowest_l: f64,
}

/// The evolving state of a [`FuelModel`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FuelState {
    tanks: Vec<Tank>,
    /// When the current grid outage began (`None`: the grid is up).
    outage_start_ms: Option<u64>,
    tally: FuelTally,
}

/// What one [`FuelModel::burn`] did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Burn {
    /// Fuel burnt.
    pub burnt: Litres,
    /// When the tank ran dry, if it did within the segment (the flow stops there).
    pub empty_at_ms: Option<u64>,
}

impl FuelParams {
    /// Validates the parameters for a fleet of `sets` generator sets; errors name fields under
    /// `field` (e.g. `fuel.resupply.lead_time.mean`).
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] for a number outside its documented range (with
    /// [`TankLayout::PerSet`], `sets` above [`MAX_GENERATOR_SETS`] names `{field}.layout` before
    /// anything is allocated); [`ConfigError::Inconsistent`] for curve hours that do not
    /// increase, or more than [`MAX_CURVE_POINTS`] points.
    pub fn validate_at(&self, field: &str, sets: u32) -> Result<FuelModel, ConfigError> {
        let tanks = match self.layout {
            TankLayout::Shared => 1,
            TankLayout::PerSet => {
                if sets > MAX_GENERATOR_SETS {
                    return Err(out_of_range(
                        format!("{field}.layout"),
                        f64::from(sets),
                        "one tank per set for at most 10,000 sets",
                    ));
                }
                sets
            }
        };
        let capacity_l = check_range(
            format!("{field}.capacity_l"),
            self.capacity_l.value(),
            f64::MIN_POSITIVE,
            MAX_TANK_L,
            "0 < x ≤ 1e9 L",
        )?;
        let initial = self.initial_level.unwrap_or(Fraction::ONE).value();
        check_fraction(format!("{field}.initial_level"), initial)?;
        let resupply = self
            .resupply
            .as_ref()
            .map(|r| r.validate(&format!("{field}.resupply"), capacity_l))
            .transpose()?;
        Ok(FuelModel {
            tanks,
            capacity_l,
            initial_l: capacity_l * initial,
            resupply,
        })
    }
}

impl ResupplyParams {
    fn validate(&self, field: &str, capacity_l: f64) -> Result<Resupply, ConfigError> {
        let order_below = check_fraction(format!("{field}.order_below"), self.order_below.value())?;
        let lead_time = build_law(&format!("{field}.lead_time"), &self.lead_time)?;
        let delivery_l = self
            .delivery_l
            .map(|d| {
                check_range(
                    format!("{field}.delivery_l"),
                    d.value(),
                    f64::MIN_POSITIVE,
                    capacity_l,
                    "0 < x ≤ capacity_l",
                )
            })
            .transpose()?;
        let points = &self.failure_probability;
        if points.len() > MAX_CURVE_POINTS {
            return Err(out_of_range(
                format!("{field}.failure_probability"),
                points.len() as f64,
                "at most 64 points",
            ));
        }
        let max_hours = MAX_DURATION.hours().value();
        let mut curve = Vec::with_capacity(points.len());
        for (i, pt) in points.iter().enumerate() {
            let h = check_range(
                format!("{field}.failure_probability[{i}].hours"),
                pt.hours,
                0.0,
                max_hours,
                "0 ≤ x ≤ 8.76e6 h (1000 years)",
            )?;
            let p = check_fraction(
                format!("{field}.failure_probability[{i}].probability"),
                pt.probability.value(),
            )?;
            if let Some(&(prev, _)) = curve.last() {
                if h <= prev {
                    return Err(ConfigError::Inconsistent {
                        field: format!("{field}.failure_probability[{i}].hours"),
                        why: "the curve's hours must increase strictly",
                    });
                }
            }
            curve.push((h, p));
        }
        Ok(Resupply {
            order_below_l: order_below * capacity_l,
            lead_time,
            delivery_l,
            curve,
        })
    }
}

/// The piecewise-linear curve `curve` at `x` (flat beyond its ends; 0 when empty).
fn interpolate(curve: &[(f64, f64)], x: f64) -> f64 {
    let Some(&(x0, y0)) = curve.first() else {
        return 0.0;
    };
    if x <= x0 {
        return y0;
    }
    for w in curve.windows(2) {
        let ((xa, ya), (xb, yb)) = (w[0], w[1]);
        if x <= xb {
            return ya + (yb - ya) * (x - xa) / (xb - xa);
        }
    }
    curve[curve.len() - 1].1
}

/// A uniform number in `[0, 1)`.
#[inline]
fn uniform(rng: &mut Rng) -> f64 {
    rand::Rng::random::<f64>(rng)
}

impl FuelModel {
    /// The number of tanks.
    pub fn tanks(&self) -> u32 {
        self.tanks
    }

    /// Each tank's capacity.
    pub fn capacity(&self) -> Litres {
        Litres::l(self.capacity_l)
    }

    /// The state at the start of a run seeded with `seed`: every tank at its initial level (a
    /// tank that starts at or below the order threshold orders at `t = 0`).
    pub fn initial_state(&self, seed: u64) -> FuelState {
        let tanks = (0..u64::from(self.tanks))
            .map(|j| Tank {
                level_l: self.initial_l,
                pending: None,
                rng: LazyStream::new(seed, rng::streams::GENERATORS + 16 * j + STREAM_FUEL),
            })
            .collect();
        let mut s = FuelState {
            tanks,
            outage_start_ms: None,
            tally: FuelTally {
                lowest_l: self.initial_l,
                ..FuelTally::default()
            },
        };
        for j in 0..s.tanks.len() {
            self.order_if_low(&mut s.tanks[j], &mut s.tally, 0);
        }
        s
    }

    /// Gives every tank of `s` a fresh delivery stream from `seed` (as
    /// [`FuelModel::initial_state`] would), keeping levels, pending deliveries and the tally (the
    /// survival sweep replays each copied outage under its own draws this way).
    pub fn reseed(&self, s: &mut FuelState, seed: u64) {
        for (j, tank) in s.tanks.iter_mut().enumerate() {
            tank.rng =
                LazyStream::new(seed, rng::streams::GENERATORS + 16 * j as u64 + STREAM_FUEL);
        }
    }

    /// The grid outage began at `t_ms` (delivery failure probabilities count hours from here).
    pub fn begin_outage(&self, s: &mut FuelState, t_ms: u64) {
        s.outage_start_ms = Some(t_ms);
    }

    /// The grid is back.
    pub fn end_outage(&self, s: &mut FuelState) {
        s.outage_start_ms = None;
    }

    /// The probability that a delivery arriving at `t_ms` fails (see the module docs).
    pub fn delivery_failure_probability(&self, s: &FuelState, t_ms: u64) -> Fraction {
        let Some(r) = &self.resupply else {
            return Fraction::ZERO;
        };
        let hours = s.outage_start_ms.map_or(0.0, |start| {
            t_ms.saturating_sub(start) as f64 / MS_PER_HOUR as f64
        });
        Fraction::ratio(interpolate(&r.curve, hours))
    }

    /// Orders a delivery for `tank` at `t_ms` if it is at or below the threshold and has none
    /// pending.
    fn order_if_low(&self, tank: &mut Tank, tally: &mut FuelTally, t_ms: u64) {
        if let Some(r) = &self.resupply {
            if tank.pending.is_none() && tank.level_l <= r.order_below_l {
                self.place_order(tank, tally, t_ms);
            }
        }
    }

    /// Orders a delivery for `tank` at `t_ms` (with a contract).
    fn place_order(&self, tank: &mut Tank, tally: &mut FuelTally, t_ms: u64) {
        if let Some(r) = &self.resupply {
            tally.orders += 1;
            tank.pending = Some(Pending {
                arrives_ms: t_ms.saturating_add(r.lead_time.sample(tank.rng.get())),
            });
        }
    }

    /// Applies the pending delivery of tank `j` (arriving at `t_ms`): it fails or fills, and a
    /// tank still low orders again.
    fn deliver(&self, s: &mut FuelState, j: usize, t_ms: u64) {
        let p_fail = self.delivery_failure_probability(s, t_ms).value();
        let Some(r) = &self.resupply else { return };
        let tank = &mut s.tanks[j];
        tank.pending = None;
        if uniform(tank.rng.get()) < p_fail {
            s.tally.failed_deliveries += 1;
        } else {
            let room = self.capacity_l - tank.level_l;
            let added = r.delivery_l.map_or(room, |d| d.min(room));
            tank.level_l += added;
            s.tally.deliveries += 1;
            s.tally.delivered_l += added;
        }
        self.order_if_low(tank, &mut s.tally, t_ms);
    }

    /// Applies every delivery arriving at or before `t_ms`.
    pub fn advance_to(&self, s: &mut FuelState, t_ms: u64) {
        for j in 0..s.tanks.len() {
            while let Some(p) = s.tanks[j].pending {
                if p.arrives_ms > t_ms {
                    break;
                }
                self.deliver(s, j, p.arrives_ms);
            }
        }
    }

    /// The earliest pending delivery (`u64::MAX` for none): an engine splits its step there.
    pub fn next_event_ms(&self, s: &FuelState) -> u64 {
        s.tanks
            .iter()
            .filter_map(|t| t.pending.map(|p| p.arrives_ms))
            .min()
            .unwrap_or(u64::MAX)
    }

    /// Burns from tank `j` at a constant `flow` over `[from_ms, to_ms)`: deliveries arriving
    /// inside the segment are applied at their time, an order is placed at the exact time the
    /// level reaches the threshold, and the flow stops when the tank runs dry (a fuel-out, whose
    /// time is returned; an empty tank reports `from_ms`). Deliveries due at or before `from_ms`
    /// are applied first. A tank `j` that does not exist burns nothing.
    pub fn burn(
        &self,
        s: &mut FuelState,
        j: usize,
        flow: LitresPerHour,
        from_ms: u64,
        to_ms: u64,
    ) -> Burn {
        let (mut burnt, mut empty_at_ms) = (0.0, None);
        if j >= s.tanks.len() {
            return Burn {
                burnt: Litres::ZERO,
                empty_at_ms,
            };
        }
        let flow_l_per_h = flow.value().max(0.0);
        let hour = MS_PER_HOUR as f64;
        let mut t = from_ms;
        while t < to_ms {
            if let Some(p) = s.tanks[j].pending {
                if p.arrives_ms <= t {
                    self.deliver(s, j, p.arrives_ms);
                    continue;
                }
            }
            let tank = &s.tanks[j];
            let mut end = tank.pending.map_or(to_ms, |p| p.arrives_ms.min(to_ms));
            // Split where the level reaches the order threshold (to the nearest millisecond).
            let mut order_at_end = false;
            if let Some(r) = &self.resupply {
                let above = tank.level_l - r.order_below_l;
                // `above·hour ≥ flow·(end − t)` puts the crossing at or after `end` in floating
                // point too (the quotient then rounds to at least `end − t`): the common case, a
                // segment that stays above the threshold, costs a multiplication, not a division.
                if tank.pending.is_none()
                    && flow_l_per_h > 0.0
                    && above > 0.0
                    && above * hour < flow_l_per_h * (end - t) as f64
                {
                    let to_cross = above * hour / flow_l_per_h;
                    let cross = t.saturating_add(to_cross.round() as u64);
                    if cross < end {
                        end = cross;
                        order_at_end = true;
                    }
                }
            }
            let (used, dry) = self.burn_segment(s, j, flow_l_per_h, t, end);
            burnt += used;
            if let Some(at) = dry {
                empty_at_ms.get_or_insert(at);
            }
            if order_at_end {
                self.place_order(&mut s.tanks[j], &mut s.tally, end);
            }
            t = end;
        }
        s.tally.burnt_l += burnt;
        Burn {
            burnt: Litres::l(burnt),
            empty_at_ms,
        }
    }

    /// Burns at `flow_l_per_h` over `[t0, t1)` with no delivery inside: returns the litres
    /// burnt and the time the tank is dry from, if it is by `t1` (`t0` for a tank already
    /// empty; no new fuel-out is counted then).
    fn burn_segment(
        &self,
        s: &mut FuelState,
        j: usize,
        flow_l_per_h: f64,
        t0: u64,
        t1: u64,
    ) -> (f64, Option<u64>) {
        let tank = &mut s.tanks[j];
        let level = tank.level_l;
        if flow_l_per_h <= 0.0 || t1 <= t0 {
            return (0.0, None);
        }
        if level <= 0.0 {
            return (0.0, Some(t0));
        }
        let hour = MS_PER_HOUR as f64;
        let want = flow_l_per_h * (t1 - t0) as f64 / hour;
        let (used, dry) = if want >= level {
            // Empty at t0 + level / flow, to the nearest millisecond (so that rounding in the
            // level left by earlier segments does not shift it by one).
            let at = t0 + (level * hour / flow_l_per_h).round() as u64;
            s.tally.fuel_outs += 1;
            (level, Some(at.min(t1)))
        } else {
            (want, None)
        };
        tank.level_l = if dry.is_some() { 0.0 } else { level - used };
        s.tally.lowest_l = s.tally.lowest_l.min(tank.level_l);
        (used, dry)
    }

    /// The hours tank `j` lasts at a constant `flow`, in closed form: level / flow (infinite at
    /// zero flow; zero for a tank `j` that does not exist). Deliveries are not counted.
    pub fn time_to_empty(&self, s: &FuelState, j: usize, flow: LitresPerHour) -> Hours {
        match s.tanks.get(j) {
            Some(t) => Litres::l(t.level_l) / flow,
            None => Hours::ZERO,
        }
    }

    /// Whether `s` could be a state of this model (one entry per tank).
    pub fn check_state(&self, s: &FuelState) -> Result<(), &'static str> {
        if s.tanks.len() != self.tanks as usize {
            return Err("the snapshot has another number of fuel tanks");
        }
        Ok(())
    }
}

impl FuelState {
    /// The fuel in all tanks together, litres.
    pub fn total_level_l(&self) -> f64 {
        self.tanks.iter().map(|t| t.level_l).sum()
    }

    /// Tank `j`'s level (`None` if there is no tank `j`).
    pub fn level(&self, j: usize) -> Option<Litres> {
        self.tanks.get(j).map(|t| Litres::l(t.level_l))
    }

    /// When tank `j`'s pending delivery arrives (`None`: none pending, or no tank `j`).
    pub fn pending_delivery_ms(&self, j: usize) -> Option<u64> {
        self.tanks
            .get(j)
            .and_then(|t| t.pending.map(|p| p.arrives_ms))
    }

    /// The counters so far.
    pub fn tally(&self) -> FuelTally {
        self.tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Duration;

    /// Relative tolerance of closed-form volumes (a few roundings in f64).
    const LITRES_REL_TOL: f64 = 1e-12;

    /// The number of standard errors a sampled frequency may stray from its expectation.
    const SE_BOUND: f64 = 3.0;

    const HOUR: u64 = MS_PER_HOUR;

    fn tank(capacity: f64) -> FuelParams {
        FuelParams {
            layout: TankLayout::Shared,
            capacity_l: Litres::l(capacity),
            initial_level: None,
            resupply: None,
        }
    }

    fn contract(order_below: f64, lead: Duration, fail: Vec<(f64, f64)>) -> ResupplyParams {
        ResupplyParams {
            order_below: Fraction::ratio(order_below),
            lead_time: DurationLaw::Fixed { duration: lead },
            delivery_l: None,
            failure_probability: fail
                .into_iter()
                .map(|(hours, p)| FailurePoint {
                    hours,
                    probability: Fraction::ratio(p),
                })
                .collect(),
        }
    }

    #[test]
    fn the_tank_runs_dry_at_its_volume_over_the_burn_rate() {
        let model = tank(10_000.0).validate_at("fuel", 3).unwrap();
        let mut s = model.initial_state(1);
        let flow = LitresPerHour::l_per_h(500.0);
        assert_eq!(model.time_to_empty(&s, 0, flow), Hours::h(20.0));
        // Burn in uneven segments: dry at exactly 20 h.
        let mut t = 0;
        let mut dry = None;
        for seg in [HOUR / 3, 7 * HOUR, 11 * HOUR + 17, 5 * HOUR] {
            let b = model.burn(&mut s, 0, flow, t, t + seg);
            dry = dry.or(b.empty_at_ms);
            t += seg;
        }
        assert_eq!(dry, Some(20 * HOUR));
        assert_eq!(s.level(0), Some(Litres::ZERO));
        let tally = s.tally();
        assert!((tally.burnt_l - 10_000.0).abs() <= LITRES_REL_TOL * 10_000.0);
        assert_eq!(tally.fuel_outs, 1);
        assert_eq!(tally.lowest_l, 0.0);
        // An empty tank reports it is dry from the segment's start, with no new fuel-out.
        let b = model.burn(&mut s, 0, flow, t, t + HOUR);
        assert_eq!((b.burnt, b.empty_at_ms), (Litres::ZERO, Some(t)));
        assert_eq!(s.tally().fuel_outs, 1);
        // A per-set layout has one tank per set.
        let per_set = FuelParams {
            layout: TankLayout::PerSet,
            ..tank(1_000.0)
        };
        assert_eq!(per_set.validate_at("fuel", 3).unwrap().tanks(), 3);
    }

    #[test]
    fn a_delivery_that_arrives_refills_at_its_time() {
        // 12,000 L at 1,000 L/h, order at half (6,000 L, at 6 h), 4 h lead: at 10 h the tank
        // holds 2,000 L and the delivery fills it to 12,000 L; it then lasts 12 h more.
        let params = FuelParams {
            resupply: Some(contract(0.5, Duration::from_hours(4), vec![])),
            ..tank(12_000.0)
        };
        let model = params.validate_at("fuel", 1).unwrap();
        let mut s = model.initial_state(1);
        let flow = LitresPerHour::l_per_h(1_000.0);
        let b = model.burn(&mut s, 0, flow, 0, 6 * HOUR + HOUR / 2);
        assert_eq!(b.empty_at_ms, None);
        assert_eq!(s.pending_delivery_ms(0), Some(10 * HOUR), "ordered at 6 h");
        assert_eq!(model.next_event_ms(&s), 10 * HOUR);
        let b = model.burn(&mut s, 0, flow, 6 * HOUR + HOUR / 2, 10 * HOUR + HOUR);
        assert_eq!(b.empty_at_ms, None);
        // Delivered at 10 h (2,000 L left → full), then one more hour burnt.
        let level = s.level(0).unwrap().value();
        assert!(
            (level - 11_000.0).abs() <= LITRES_REL_TOL * 12_000.0,
            "{level}"
        );
        let tally = s.tally();
        assert_eq!(
            (tally.orders, tally.deliveries, tally.failed_deliveries),
            (1, 1, 0)
        );
        assert!((tally.delivered_l - 10_000.0).abs() <= LITRES_REL_TOL * 12_000.0);
        assert!((tally.lowest_l - 2_000.0).abs() <= LITRES_REL_TOL * 12_000.0);
        // A fixed-size delivery adds its litres (up to the capacity).
        let fixed = FuelParams {
            resupply: Some(ResupplyParams {
                delivery_l: Some(Litres::l(3_000.0)),
                ..contract(0.5, Duration::from_hours(4), vec![])
            }),
            ..tank(12_000.0)
        }
        .validate_at("fuel", 1)
        .unwrap();
        let mut s = fixed.initial_state(1);
        fixed.burn(&mut s, 0, flow, 0, 10 * HOUR);
        fixed.advance_to(&mut s, 10 * HOUR);
        let level = s.level(0).unwrap().value();
        assert!(
            (level - 5_000.0).abs() <= LITRES_REL_TOL * 12_000.0,
            "{level}"
        );
        // Still below half: it ordered again at the delivery.
        assert_eq!(s.pending_delivery_ms(0), Some(14 * HOUR));
    }

    #[test]
    fn a_failed_delivery_does_not_refill_and_the_tank_orders_again() {
        let params = FuelParams {
            resupply: Some(contract(0.5, Duration::from_hours(4), vec![(0.0, 1.0)])),
            ..tank(12_000.0)
        };
        let model = params.validate_at("fuel", 1).unwrap();
        let mut s = model.initial_state(1);
        model.begin_outage(&mut s, 0);
        let flow = LitresPerHour::l_per_h(1_000.0);
        let b = model.burn(&mut s, 0, flow, 0, 30 * HOUR);
        // Orders at 6 h, 10 h (failed), 14 h (failed); dry at 12 h as if none had come.
        assert_eq!(b.empty_at_ms, Some(12 * HOUR));
        let tally = s.tally();
        assert_eq!(tally.deliveries, 0);
        assert!(tally.failed_deliveries >= 5, "{tally:?}");
        assert_eq!(tally.orders, tally.failed_deliveries + 1);
        assert_eq!(tally.delivered_l, 0.0);
        assert_eq!(s.level(0), Some(Litres::ZERO));
    }

    #[test]
    fn delivery_failures_rise_with_the_outage_length() {
        // The curve: 0 at the outage's start, 0.6 at 24 h, flat beyond.
        let params = FuelParams {
            resupply: Some(contract(
                1.0,
                Duration::from_hours(12),
                vec![(0.0, 0.0), (24.0, 0.6)],
            )),
            ..tank(1_000.0)
        };
        let model = params.validate_at("fuel", 1).unwrap();
        let mut s = model.initial_state(8);
        let p = |s: &FuelState, h: u64| model.delivery_failure_probability(s, h * HOUR).value();
        assert_eq!(p(&s, 5), 0.0, "the grid is up: the curve at 0 h");
        model.begin_outage(&mut s, 0);
        assert!((p(&s, 12) - 0.3).abs() < 1e-15);
        assert!((p(&s, 48) - 0.6).abs() < 1e-15);
        model.end_outage(&mut s);
        // Sampled: a full tank orders at t = 0 (order_below = 1) and every 12 h after; every
        // delivery arrives 12 h into the outage (0.3).
        let n = 40_000u64;
        model.begin_outage(&mut s, 0);
        for k in 1..=n {
            let t = k * 12 * HOUR;
            model.begin_outage(&mut s, t - 12 * HOUR);
            model.advance_to(&mut s, t);
        }
        let tally = s.tally();
        assert_eq!(tally.deliveries + tally.failed_deliveries, n);
        let freq = tally.failed_deliveries as f64 / n as f64;
        let se = (0.3f64 * 0.7 / n as f64).sqrt();
        // Measured for this seed: 0.29805 (se 0.0023, z = −0.85).
        assert!((freq - 0.3).abs() <= SE_BOUND * se, "freq {freq}, se {se}");
    }

    #[test]
    fn validation_names_every_field() {
        type Edit = fn(&mut FuelParams);
        let cases: [(&str, Edit); 9] = [
            ("fuel.capacity_l", |p| p.capacity_l = Litres::l(0.0)),
            ("fuel.capacity_l", |p| p.capacity_l = Litres::l(f64::NAN)),
            ("fuel.initial_level", |p| {
                p.initial_level = Some(Fraction::ratio(1.2))
            }),
            ("fuel.layout", |p| p.layout = TankLayout::PerSet),
            ("fuel.resupply.order_below", |p| {
                p.resupply.as_mut().unwrap().order_below = Fraction::ratio(-0.5)
            }),
            ("fuel.resupply.lead_time.mean", |p| {
                p.resupply.as_mut().unwrap().lead_time = DurationLaw::Exponential {
                    mean: Duration::ZERO,
                }
            }),
            ("fuel.resupply.delivery_l", |p| {
                p.resupply.as_mut().unwrap().delivery_l = Some(Litres::l(2e6))
            }),
            ("fuel.resupply.failure_probability[1].hours", |p| {
                p.resupply.as_mut().unwrap().failure_probability[1].hours = 0.0
            }),
            ("fuel.resupply.failure_probability[0].probability", |p| {
                p.resupply.as_mut().unwrap().failure_probability[0].probability =
                    Fraction::ratio(2.0)
            }),
        ];
        for (field, edit) in cases {
            let mut p = FuelParams {
                resupply: Some(contract(
                    0.5,
                    Duration::from_hours(4),
                    vec![(0.0, 0.1), (10.0, 0.2)],
                )),
                ..tank(1e6)
            };
            edit(&mut p);
            let err = p
                .validate_at("fuel", MAX_GENERATOR_SETS + 1)
                .expect_err(field);
            let named = match &err {
                ConfigError::OutOfRange { field, .. } | ConfigError::Inconsistent { field, .. } => {
                    field.clone()
                }
                other => panic!("unexpected {other:?}"),
            };
            assert_eq!(named, field, "{err}");
        }
        let bad: Result<FuelParams, _> = toml::from_str("capacity_l = 1.0\nlevel = 0.5\n");
        assert!(bad.is_err(), "unknown keys are rejected");
    }

    #[test]
    fn snapshot_and_resume_are_identical() {
        let params = FuelParams {
            layout: TankLayout::PerSet,
            resupply: Some(ResupplyParams {
                lead_time: DurationLaw::Exponential {
                    mean: Duration::from_hours(6),
                },
                ..contract(0.6, Duration::from_hours(1), vec![(0.0, 0.1), (48.0, 0.7)])
            }),
            ..tank(5_000.0)
        };
        let model = params.validate_at("fuel", 3).unwrap();
        let run = |s: &mut FuelState, from: u64, to: u64| -> Vec<u64> {
            let mut out = Vec::new();
            let mut t = from;
            while t < to {
                if t % (100 * HOUR) == 0 {
                    model.begin_outage(s, t);
                }
                for j in 0..3 {
                    let flow = LitresPerHour::l_per_h(300.0 + 100.0 * j as f64);
                    let b = model.burn(s, j, flow, t, t + HOUR);
                    out.push(b.burnt.value().to_bits());
                    out.push(b.empty_at_ms.unwrap_or(0));
                }
                t += HOUR;
            }
            out
        };
        let mut a = model.initial_state(21);
        run(&mut a, 0, 150 * HOUR);
        let json = serde_json::to_string(&a).unwrap();
        let mut b: FuelState = serde_json::from_str(&json).unwrap();
        assert_eq!(a, b);
        model.check_state(&b).unwrap();
        assert_eq!(
            run(&mut a, 150 * HOUR, 400 * HOUR),
            run(&mut b, 150 * HOUR, 400 * HOUR)
        );
        assert_eq!(a, b);
        let t = a.tally();
        assert!(t.deliveries > 0 && t.failed_deliveries > 0, "{t:?}");
    }

    #[test]
    fn the_curve_is_flat_beyond_its_ends() {
        let c = [(2.0, 0.2), (4.0, 0.6)];
        assert_eq!(interpolate(&c, 0.0), 0.2);
        assert_eq!(interpolate(&c, 3.0), 0.4);
        assert_eq!(interpolate(&c, 9.0), 0.6);
        assert_eq!(interpolate(&[], 9.0), 0.0);
    }
}
