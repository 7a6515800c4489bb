//! Tiered load: the facility load split into **critical IT**, **cooling**, **deferrable** IT
//! (training work that can be checkpointed and paused) and **other** load, and the order in
//! which a short supply sheds them.
//!
//! # The split
//! Each IT profile is in a tier (`tier = "critical"`, the default, or `"deferrable"` on its
//! `[[load.it]]` entry); `C` and `D` are the step averages of the critical and the deferrable
//! IT. The facility's non-IT overhead is `(C + D)·(PUE − 1)`; a share `other_share` of it is
//! *other* load (lighting, offices, distribution losses, …: what does not follow the servers'
//! heat), the rest is **cooling, which follows the IT it cools**. So, with
//! `c = (1 − other_share)·(PUE − 1)`:
//!
//! | tier | load |
//! |---|---|
//! | critical IT | `C` |
//! | deferrable IT | `D` |
//! | cooling | `c·(C + D)`: `c·C` for the critical IT, `c·D` for the deferrable |
//! | other | `other_share·(PUE − 1)·(C + D)` + the battery's auxiliary draw |
//!
//! and the four add up to the step's demand, `facility + aux`. (The battery's own HVAC is
//! counted as *other*: it is site overhead that neither IT tier causes.)
//!
//! # Shedding
//! When the supply (grid, generators and battery) falls short by `u` MW over a piece of a step,
//! the shortfall is taken from three blocks in `shed_order`, each up to its load:
//!
//! * `deferrable`: the deferrable IT **with its cooling**, `D·(1 + c)`;
//! * `other`: the other load;
//! * `critical`: the critical IT **with its cooling**, `C·(1 + c)`.
//!
//! The default order is deferrable → other → critical: a power engineer sheds the work that can
//! wait first (a paused training job loses at most the work since its last checkpoint), then
//! the building's non-essential load, and the critical IT last, and an IT load that is shed
//! stops heating the hall, so its cooling goes with it (cooling follows IT; a cooling plant
//! whose load falls does not keep drawing its old power). Inside an IT block the shed power is
//! split between the IT and its cooling in proportion, `1 : c`. Whatever is left after the last
//! block (rounding only: the blocks add up to the demand) is counted in the last block, so the
//! tiers' unserved power always sums to the unserved power.
//!
//! Assumptions: shedding is instantaneous and exact (a real site sheds in breaker-sized blocks,
//! which would shed slightly more than the shortfall); the UPS or battery carries whatever is
//! not shed; cooling has no thermal inertia at the scale of a step.
//!
//! # Checkpoint loss
//! A synchronous training job cannot run at part power: when any of the deferrable IT is shed,
//! the job pauses and, when the supply returns, restarts from its last checkpoint, so the
//! work since that checkpoint is lost. Checkpoints complete at every whole multiple of the
//! checkpoint interval from the run's start (the interval is `checkpoint_interval`, or by
//! default that of the first deferrable training swing with a `checkpoint`, whose dip is the
//! last part of each interval). A pause that starts at `t` loses `t mod interval` hours of
//! work, and that time × the deferrable IT power of the step it starts in as MWh of compute.
//! The energy the paused job does not draw is the tier's unserved energy, as before; the lost
//! compute is reported beside it, not added to it. Without an interval, no loss is reported.
//!
//! ```toml
//! [load]
//! pue = 1.3
//!
//! [[load.it]]
//! kind = "constant"
//! it_mw = 4.0               # critical IT (inference, storage, network)
//!
//! [[load.it]]
//! kind = "constant"
//! it_mw = 6.0
//! tier = "deferrable"       # training
//!
//! [load.tiers]
//! other_share = 0.2         # of the non-IT overhead
//! shed_order = ["deferrable", "other", "critical"]
//! checkpoint_interval = "30m"
//! ```

use super::profile::Compiled;
use super::profile::Profile;
use super::table::{tabulate, Table};
use crate::error::{check_fraction, ConfigError};
use crate::time::check_max_duration;
use crate::units::{Duration, Fraction};
use serde::{Deserialize, Serialize};

/// The tier of one IT profile: `tier = "critical"` (the default) or `"deferrable"` on a
/// `[[load.it]]` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItTier {
    /// IT that must run: shed last.
    #[default]
    Critical,
    /// Work that can wait (training): checkpointed, paused when the supply is short.
    Deferrable,
}

impl ItTier {
    /// Whether this is the default tier (for `skip_serializing_if`).
    pub fn is_critical(&self) -> bool {
        *self == ItTier::Critical
    }
}

/// A block of load the shedding order names (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShedBlock {
    /// The deferrable IT with its cooling.
    Deferrable,
    /// The other load (a share of the overhead, and the battery's auxiliary draw).
    Other,
    /// The critical IT with its cooling.
    Critical,
}

/// The default shedding order: deferrable, other, critical.
pub const DEFAULT_SHED_ORDER: [ShedBlock; 3] =
    [ShedBlock::Deferrable, ShedBlock::Other, ShedBlock::Critical];

fn default_shed_order() -> Vec<ShedBlock> {
    DEFAULT_SHED_ORDER.to_vec()
}

/// The `[load.tiers]` table (see the [module docs](self)). A load has tiers when this table is
/// given or any IT profile is `deferrable`; without either, the report has no per-tier block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierParams {
    /// Share of the non-IT overhead `IT × (PUE − 1)` that is *other* load rather than cooling,
    /// `0 ≤ x ≤ 1` (default 0: all of it is cooling).
    #[serde(default)]
    pub other_share: Fraction,
    /// The order in which a shortfall sheds the blocks: each of `"deferrable"`, `"other"` and
    /// `"critical"` exactly once (default: that order).
    #[serde(default = "default_shed_order")]
    pub shed_order: Vec<ShedBlock>,
    /// Time between training checkpoints, e.g. `"30m"` (default: the `checkpoint.every` of the
    /// first deferrable training swing that has one; none: no checkpoint loss is reported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_interval: Option<Duration>,
}

impl Default for TierParams {
    fn default() -> TierParams {
        TierParams {
            other_share: Fraction::ZERO,
            shed_order: default_shed_order(),
            checkpoint_interval: None,
        }
    }
}

/// The four tiers of the report, in this order: the index of each tier in
/// [`TierShares`] and in the report's per-tier arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// The critical IT.
    CriticalIt,
    /// The cooling of both IT tiers.
    Cooling,
    /// The deferrable IT.
    Deferrable,
    /// The other load (and the battery's auxiliary draw).
    Other,
}

impl Tier {
    /// The four tiers, in index order.
    pub const ALL: [Tier; 4] = [
        Tier::CriticalIt,
        Tier::Cooling,
        Tier::Deferrable,
        Tier::Other,
    ];

    /// The tier's index in [`Tier::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The tier's name as the report prints it.
    pub const fn name(self) -> &'static str {
        match self {
            Tier::CriticalIt => "critical IT",
            Tier::Cooling => "cooling",
            Tier::Deferrable => "deferrable",
            Tier::Other => "other",
        }
    }
}

/// Unserved power per tier, MW, indexed by [`Tier::index`].
pub type TierShares = [f64; 4];

/// The sum of some IT profiles compiled for one grid: the profiles constant on the grid folded
/// into one number, the periodic ones tabulated, the rest evaluated.
#[derive(Debug, Clone, Default)]
pub(super) struct ItSum {
    pub(super) constant_mw: f64,
    pub(super) tables: Vec<Table>,
    pub(super) profiles: Vec<Profile>,
}

impl ItSum {
    /// Adds a compiled profile.
    pub(super) fn push(&mut self, compiled: Compiled, step_ms: u64) {
        match compiled {
            Compiled::Constant(v) => self.constant_mw += v,
            Compiled::Varying(p) => match tabulate(&p, step_ms) {
                Some(table) => self.tables.push(table),
                None => self.profiles.push(p),
            },
        }
    }

    /// The average power over step `k`, which starts at `a` ms, MW.
    #[inline]
    pub(super) fn average(&self, k: u64, a: u64) -> f64 {
        let mut mw = self.constant_mw;
        for t in &self.tables {
            mw += t.average(k);
        }
        for p in &self.profiles {
            mw += p.average(k, a);
        }
        mw
    }
}

/// The validated tiers of a load, compiled for one grid (held by
/// [`LoadModel`](super::LoadModel)).
#[derive(Debug, Clone)]
pub struct Tiers {
    /// The deferrable IT profiles.
    pub(super) deferrable: ItSum,
    other_share: f64,
    order: [ShedBlock; 3],
    checkpoint_ms: Option<u64>,
}

impl Tiers {
    /// Validates `params` (absent: the defaults); `swing_checkpoint_ms` is the checkpoint
    /// interval of the first deferrable swing with one.
    pub(super) fn new(
        params: Option<&TierParams>,
        deferrable: ItSum,
        swing_checkpoint_ms: Option<u64>,
    ) -> Result<Tiers, ConfigError> {
        let default = TierParams::default();
        let p = params.unwrap_or(&default);
        let other_share = check_fraction("load.tiers.other_share", p.other_share.value())?;
        let order: [ShedBlock; 3] = match p.shed_order.as_slice() {
            &[a, b, c] if a != b && b != c && a != c => [a, b, c],
            _ => {
                return Err(ConfigError::Inconsistent {
                    field: "load.tiers.shed_order".into(),
                    why: "name each of \"deferrable\", \"other\" and \"critical\" exactly once",
                })
            }
        };
        let checkpoint_ms = match p.checkpoint_interval {
            Some(d) => {
                let ms = check_max_duration("load.tiers.checkpoint_interval", d)?;
                if ms == 0 {
                    return Err(ConfigError::OutOfRange {
                        field: "load.tiers.checkpoint_interval".into(),
                        value: 0.0,
                        allowed: "an interval of at least 1ms",
                    });
                }
                Some(ms)
            }
            None => swing_checkpoint_ms,
        };
        Ok(Tiers {
            deferrable,
            other_share,
            order,
            checkpoint_ms,
        })
    }

    /// The shedding order.
    pub fn shed_order(&self) -> [ShedBlock; 3] {
        self.order
    }

    /// The checkpoint interval of the deferrable work, ms, if known.
    pub fn checkpoint_ms(&self) -> Option<u64> {
        self.checkpoint_ms
    }

    /// The share of the overhead that is other load.
    pub fn other_share(&self) -> f64 {
        self.other_share
    }

    /// The tiers' loads over a step whose IT is `it_mw` in all, `deferrable_mw` of it
    /// deferrable, at power usage effectiveness `pue`, with the battery drawing `aux_mw`.
    #[inline]
    pub fn loads(&self, it_mw: f64, deferrable_mw: f64, pue: f64, aux_mw: f64) -> TierLoads {
        let deferrable = deferrable_mw.min(it_mw).max(0.0);
        let overhead = pue - 1.0;
        TierLoads {
            critical_it: (it_mw - deferrable).max(0.0),
            deferrable_it: deferrable,
            cooling_per_it: (1.0 - self.other_share) * overhead,
            other: self.other_share * overhead * it_mw + aux_mw,
        }
    }

    /// The unserved power of each tier when `unserved_mw` of the demand `loads` stands for is
    /// not served: the blocks shed in order, each up to its load, IT and its cooling in
    /// proportion (see the [module docs](self)). The shares sum to `unserved_mw` (to rounding).
    #[inline]
    pub fn shed(&self, loads: &TierLoads, unserved_mw: f64) -> TierShares {
        let mut shares = [0.0; 4];
        let mut left = unserved_mw.max(0.0);
        let c = loads.cooling_per_it;
        for (i, block) in self.order.iter().enumerate() {
            let load = match block {
                ShedBlock::Deferrable => loads.deferrable_it * (1.0 + c),
                ShedBlock::Other => loads.other,
                ShedBlock::Critical => loads.critical_it * (1.0 + c),
            };
            // The last block takes whatever is left (rounding), so the shares sum exactly.
            let take = if i == 2 { left } else { left.min(load) };
            left -= take;
            match block {
                ShedBlock::Other => shares[Tier::Other.index()] += take,
                ShedBlock::Deferrable | ShedBlock::Critical => {
                    let it = take / (1.0 + c);
                    let tier = if *block == ShedBlock::Deferrable {
                        Tier::Deferrable
                    } else {
                        Tier::CriticalIt
                    };
                    shares[tier.index()] += it;
                    shares[Tier::Cooling.index()] += take - it;
                }
            }
        }
        shares
    }
}

/// The loads of the tiers over one step, MW (see [`Tiers::loads`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TierLoads {
    /// The critical IT.
    pub critical_it: f64,
    /// The deferrable IT.
    pub deferrable_it: f64,
    /// Cooling per MW of IT, `(1 − other_share)·(PUE − 1)`.
    pub cooling_per_it: f64,
    /// The other load, the battery's auxiliary draw included.
    pub other: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tolerance on shed powers, MW: a few roundings of MW-scale sums.
    const TOL: f64 = 1e-12;

    fn tiers(other_share: f64, order: [ShedBlock; 3]) -> Tiers {
        let p = TierParams {
            other_share: Fraction::ratio(other_share),
            shed_order: order.to_vec(),
            checkpoint_interval: None,
        };
        Tiers::new(Some(&p), ItSum::default(), None).unwrap()
    }

    #[test]
    fn default_order_sheds_deferrable_then_other_then_critical() {
        // C = 4, D = 6, PUE 1.5, other_share 0.2: c = 0.4, other = 0.1·10 + 0.5 aux = 1.5.
        let t = tiers(0.2, DEFAULT_SHED_ORDER);
        let l = t.loads(10.0, 6.0, 1.5, 0.5);
        assert!((l.other - 1.5).abs() < TOL);
        // Deferrable block 6 × 1.4 = 8.4 MW: a 7 MW shortfall stays inside it.
        let s = t.shed(&l, 7.0);
        assert!((s[Tier::Deferrable.index()] - 5.0).abs() < TOL, "{s:?}");
        assert!((s[Tier::Cooling.index()] - 2.0).abs() < TOL, "{s:?}");
        assert_eq!(s[Tier::Other.index()], 0.0);
        assert_eq!(s[Tier::CriticalIt.index()], 0.0);
        // 8.4 + 1.5 + 2.8: 1 MW of critical IT and its 0.4 MW of cooling.
        let s = t.shed(&l, 12.7);
        assert!((s[Tier::Deferrable.index()] - 6.0).abs() < TOL, "{s:?}");
        assert!((s[Tier::Other.index()] - 1.5).abs() < TOL, "{s:?}");
        assert!((s[Tier::CriticalIt.index()] - 2.0).abs() < TOL, "{s:?}");
        assert!((s[Tier::Cooling.index()] - 3.2).abs() < TOL, "{s:?}");
        assert!((s.iter().sum::<f64>() - 12.7).abs() < TOL);
    }

    #[test]
    fn another_order_sheds_other_first() {
        let t = tiers(
            0.5,
            [ShedBlock::Other, ShedBlock::Critical, ShedBlock::Deferrable],
        );
        // PUE 1.2: other = 0.5·0.2·10 = 1, c = 0.1.
        let l = t.loads(10.0, 5.0, 1.2, 0.0);
        let s = t.shed(&l, 1.0 + 1.1);
        assert!((s[Tier::Other.index()] - 1.0).abs() < TOL);
        assert!((s[Tier::CriticalIt.index()] - 1.0).abs() < TOL);
        assert!((s[Tier::Cooling.index()] - 0.1).abs() < TOL);
        assert_eq!(s[Tier::Deferrable.index()], 0.0);
    }

    #[test]
    fn bad_tier_tables_name_the_field() {
        let bad = |p: TierParams| Tiers::new(Some(&p), ItSum::default(), None).unwrap_err();
        let e = bad(TierParams {
            other_share: Fraction::ratio(-0.1),
            ..TierParams::default()
        });
        assert!(e.to_string().contains("load.tiers.other_share"), "{e}");
        for order in [
            vec![ShedBlock::Other, ShedBlock::Other, ShedBlock::Critical],
            vec![ShedBlock::Other, ShedBlock::Critical],
        ] {
            let e = bad(TierParams {
                shed_order: order,
                ..TierParams::default()
            });
            assert!(e.to_string().contains("load.tiers.shed_order"), "{e}");
        }
        let e = bad(TierParams {
            checkpoint_interval: Some(Duration::ZERO),
            ..TierParams::default()
        });
        assert!(
            e.to_string().contains("load.tiers.checkpoint_interval"),
            "{e}"
        );
    }
}
