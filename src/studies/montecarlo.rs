//! Sequential Monte Carlo reliability: many sampled horizons of one site, summarised as
//! reliability indices, each an [`Estimate`] (mean ± standard error, with n), and as the
//! service-level figures of [`crate::studies::sla`] ([`McResult::sla`]), accumulated alongside.
//!
//! # Reproducibility
//! Sample *i* runs with its own seed `rng::sample_seed(seed, i)`, from which every component
//! derives its streams. Samples are grouped in fixed chunks of 16 consecutive indices, each
//! accumulated sequentially, and chunks are merged into the total strictly in index order, so
//! results are bit-identical whatever the thread count and however the chunks were scheduled.
//! Progress reports and the early-stopping decision come every 512 samples of merged prefix
//! (and at the end): they see only that prefix, so a study that stops early stops after the same
//! number of samples on any number of threads, with the same result as a sequential run stopped
//! there. Memory is bounded: per-sample results are merged into streaming accumulators (moments
//! and a log-binned histogram) at once; only the optional per-sample summaries
//! ([`McConfig::keep_samples`]) grow with n.
//!
//! # Scaling
//! There is no barrier. Each worker thread takes the next chunk from a shared atomic counter,
//! runs it and posts its accumulator; the calling thread merges posted chunks as soon as they
//! are next in index order (a chunk that finishes beyond a gap waits in a small buffer). A slow
//! chunk therefore delays only the merge, never the other threads, which go on taking chunks.
//! The serial work is one merge per chunk of 16 samples (a few microseconds, against
//! milliseconds for 16 simulated years). Workers run at most 8 chunks per thread beyond the
//! merge point, which bounds the buffer; a worker waits only when one chunk takes longer than
//! that many chunks on every other thread. Chunks run beyond an early stop are dropped. The
//! machinery is in the private `schedule` module.
//!
//! # Common random numbers
//! Two sites run with the same seed see the same outage histories as long as their outage
//! processes are the same (streams are keyed by component and unit, not by site). [`compare`]
//! runs both on every sample and estimates their difference from the paired per-sample
//! differences, which is far less noisy than subtracting two independent estimates.
//!
//! # Indices are per sample
//! A sample is one scenario horizon (a year in the bundled scenarios, 8,736 h for IEEE RTS-79);
//! LOLE, EUE and LOLF are per sample.
//!
//! # Two loss-of-load times
//! [`Indices::lole_hours`] is the PRAS-style LOLE: the steps with unserved load in any part of
//! them, × the step length. It is what the adequacy literature and PRAS compute for per-step
//! (hourly) Markov chains, whose transitions lie on step boundaries, and it depends on the step.
//! [`Indices::loss_of_load_hours`] is the time with unserved load itself, to the millisecond
//! (the engine settles a step in segments at every outage start and end, unit transition and
//! battery emptying inside it), so it does not depend on the step; it is at most LOLE, and equal
//! when every loss of load begins and ends on step boundaries.
//!
//! ```
//! use ridethrough::studies::montecarlo::{self, McConfig};
//! use ridethrough::prelude::*;
//! let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML
//!     .replace("step = \"1m\"", "step = \"1h\"");
//! let study = Scenario::from_toml_str(&text)?.validate()?;
//! let result = montecarlo::run(study.site(), study.policy(), &McConfig::new(200, 1), &|_| {})?;
//! let ix = &result.indices;
//! assert_eq!(ix.samples, 200);
//! println!("LOLE {} h/yr, EUE {} MWh/yr", ix.lole_hours, ix.eue_mwh);
//! assert!(ix.eue_mwh.mean >= 0.0 && ix.eue_mwh.se >= 0.0);
//! # Ok::<(), ridethrough::ConfigError>(())
//! ```

use crate::components::load::Tier;
use crate::engine::backup::BackupState;
use crate::engine::policy::Dispatch;
use crate::engine::tally::{Tally, TierTally};
use crate::engine::{Simulation, Site};
use crate::error::ConfigError;
use crate::rng::sample_seed;
use crate::studies::sla::{SlaAccumulator, SlaMetrics};
use crate::studies::stats::{Estimate, LogHistogram, Moments};
use crate::time::TimeGrid;
use crate::units::Duration;
use schedule::Plan;
use serde::{Deserialize, Serialize};

mod schedule;
pub mod shard;

pub use shard::{merge_shards, run_shard, Shard, ShardError, ShardResult, StudyId};

/// Samples per chunk: a chunk is accumulated sequentially by one thread, and chunks are merged in
/// index order. Part of the results' definition (the order of floating-point merges): changing it
/// changes the bits.
const CHUNK: u64 = 16;
/// Samples of merged prefix between checkpoints: progress reports and early-stopping decisions
/// come every `CHECKPOINT` samples. Changing it changes where early stopping can happen, not the
/// merge order (as long as it is a multiple of `CHUNK`).
const CHECKPOINT: u64 = 512;
/// Chunks each worker thread may run beyond the merge point (the look-ahead window is this times
/// the threads): it bounds the finished chunks waiting for a slower one to 8 per thread, and a
/// thread waits only when one chunk costs more than 8 chunks on every other thread.
const LOOKAHEAD_PER_THREAD: u64 = 8;

/// The most worker threads worth asking for. Threads take chunks of 16 samples from a shared
/// counter and never wait for one another (see the module docs), so up to this many keep busy
/// while the study has a chunk for each; the limit is the coordinator's serial merge of one
/// accumulator per chunk, which keeps up with hundreds of threads on yearly horizons but not on
/// very short ones. 256 is four times the 64 cores of the largest machines in view.
pub const MAX_USEFUL_THREADS: usize = 256;

/// How to run a study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McConfig {
    /// Number of samples (the most, with early stopping).
    pub samples: u64,
    /// The study's seed.
    pub seed: u64,
    /// Worker threads (0 = one per core); the calling thread only merges their chunks, in index
    /// order, so the results do not depend on this.
    #[serde(default)]
    pub threads: usize,
    /// Stop once the relative standard error of EUE is at most this (after `min_samples`).
    #[serde(default)]
    pub target_relative_se: Option<f64>,
    /// Fewest samples before early stopping may happen.
    #[serde(default)]
    pub min_samples: u64,
    /// Keep a [`SampleSummary`] per sample (memory grows with n).
    #[serde(default)]
    pub keep_samples: bool,
    /// Jump over quiet stretches (the default; see
    /// [`fast_forward`](crate::engine::fast_forward)): the same events and counts as stepping
    /// every step, energies to rounding. `false` steps every step (for measuring the step).
    #[serde(default = "yes")]
    pub fast_forward: bool,
}

fn yes() -> bool {
    true
}

impl McConfig {
    /// `samples` samples from `seed`, all cores, no early stopping.
    pub fn new(samples: u64, seed: u64) -> McConfig {
        McConfig {
            samples,
            seed,
            threads: 0,
            target_relative_se: None,
            min_samples: 0,
            keep_samples: false,
            fast_forward: true,
        }
    }

    /// Checks the numbers.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] for zero samples or a target outside (0, 1].
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.samples == 0 {
            return Err(ConfigError::OutOfRange {
                field: "montecarlo.samples".into(),
                value: 0.0,
                allowed: "at least 1",
            });
        }
        if let Some(t) = self.target_relative_se {
            if !(t.is_finite() && t > 0.0 && t <= 1.0) {
                return Err(ConfigError::OutOfRange {
                    field: "montecarlo.target_relative_se".into(),
                    value: t,
                    allowed: "0 < x ≤ 1",
                });
            }
        }
        Ok(())
    }
}

/// Progress at a checkpoint: every 512 samples merged in index order, and at the end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Samples done.
    pub done: u64,
    /// Samples planned (the most).
    pub planned: u64,
    /// EUE so far.
    pub eue_mwh: Estimate,
}

/// One sample's results, enough to replay it: `Simulation::new(site, policy, seed)` reproduces it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SampleSummary {
    /// Sample index.
    pub index: u64,
    /// The sample's seed (`rng::sample_seed(study seed, index)`).
    pub seed: u64,
    /// Unserved energy, MWh.
    pub unserved_mwh: f64,
    /// Hours with unserved load, to the millisecond.
    pub loss_of_load_hours: f64,
    /// Steps with unserved load × the step length (the PRAS-style count behind LOLE).
    pub loss_of_load_step_hours: f64,
    /// Loss-of-load events.
    pub loss_of_load_events: u32,
    /// Grid outage events.
    pub grid_outages: u32,
    /// Grid outage events carried through.
    pub grid_outages_carried: u32,
    /// Facility energy, MWh.
    pub facility_mwh: f64,
}

/// Shares of events by duration, in hours: `[lo, hi)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DurationBin {
    /// Lower bound, hours.
    pub from_hours: f64,
    /// Upper bound, hours (infinite for the last bin).
    pub to_hours: f64,
    /// Share of events.
    pub share: f64,
    /// Standard error of the share, `√(share·(1 − share)/n)` (events treated as independent).
    pub se: f64,
    /// Events the share rests on.
    pub n: u64,
}

/// Bin edges (hours) of the event-duration distributions.
pub const DURATION_EDGES_H: [f64; 9] = [0.0, 0.25, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 96.0];

/// Reliability indices; every estimate is per sample with its standard error and n.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indices {
    /// Samples run.
    pub samples: u64,
    /// Length of one sample, hours.
    pub sample_hours: f64,
    /// The study seed.
    pub seed: u64,
    /// Loss-of-load expectation, PRAS-style: the steps with unserved load in any part of them ×
    /// the step length, per sample (see the module docs, "Two loss-of-load times").
    pub lole_hours: Estimate,
    /// Expected time with unserved load per sample, hours, to the millisecond (at most
    /// [`Indices::lole_hours`]; see the module docs).
    pub loss_of_load_hours: Estimate,
    /// Expected unserved energy per sample, MWh.
    pub eue_mwh: Estimate,
    /// EUE as parts per million of the facility energy (SE from EUE's; the facility energy is
    /// nearly the same every sample).
    pub eue_ppm: Estimate,
    /// Loss-of-load frequency: events per sample.
    pub lolf: Estimate,
    /// Mean loss-of-load event duration, hours (n = events).
    pub lol_duration_mean_hours: Estimate,
    /// Distribution of loss-of-load event durations.
    pub lol_duration_distribution: Vec<DurationBin>,
    /// Loss-of-load probability by hour of day (0..24): the share of that hour's steps with loss
    /// of load (PRAS-style, as LOLE: a step counts once if load is lost in any part of it).
    pub lolp_by_hour: Vec<Estimate>,
    /// Loss-of-load probability by calendar month (January first).
    pub lolp_by_month: Vec<Estimate>,
    /// Loss-of-load probability by calendar month and hour of day: 12 rows (January first) of
    /// 24 hours (0..24), `lolp_by_month_hour[month][hour]`, each the share of that cell's steps
    /// with loss of load, counted as in [`Indices::lolp_by_hour`]. Weighted by the cells' step
    /// counts, a row sums to [`Indices::lolp_by_month`] and a column to
    /// [`Indices::lolp_by_hour`]. A cell the horizon never reaches (a month outside a short
    /// horizon) is 0 with the samples' n.
    #[serde(default)]
    pub lolp_by_month_hour: Vec<Vec<Estimate>>,
    /// Median unserved energy per sample, MWh (histogram resolution ≈2.3 %).
    pub unserved_p50_mwh: Estimate,
    /// 90th percentile of unserved energy per sample, MWh.
    pub unserved_p90_mwh: Estimate,
    /// 99th percentile of unserved energy per sample, MWh.
    pub unserved_p99_mwh: Estimate,
    /// Mean unserved energy of the worst 5 % of samples (CVaR 95 %), MWh.
    pub unserved_cvar95_mwh: Estimate,
    /// Sampled grid outage events per sample (to check against the inputs).
    pub grid_outages_per_sample: Estimate,
    /// Sampled grid outage hours per sample.
    pub grid_outage_hours: Estimate,
    /// Mean sampled grid outage duration, hours (n = events).
    pub grid_outage_duration_mean_hours: Estimate,
    /// Distribution of sampled grid outage durations.
    pub grid_outage_duration_distribution: Vec<DurationBin>,
    /// Mean SoC at the start of a grid outage (n = events).
    pub soc_at_outage_start: Estimate,
    /// Share of grid outages ridden through without loss of load (n = events).
    pub ride_through_share: Estimate,
    /// The backup chain's indices (sites with generators only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackupIndices>,
    /// Per-tier LOLE, EUE and LOLF and the training work lost (tiered loads only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<TierIndices>,
}

/// Calendar facts of a time grid, computed once per study.
#[derive(Debug, Clone)]
struct Calendar {
    time: TimeGrid,
    steps_by_hour: [u64; 24],
    /// First step of each month boundary within the horizon, with the month index (0..12).
    month_starts: Vec<(u64, u8)>,
    steps_by_month: [u64; 12],
    /// Steps in each (month, hour of day) cell.
    steps_by_month_hour: [[u64; 24]; 12],
    sample_hours: f64,
}

impl Calendar {
    fn new(time: &TimeGrid) -> Calendar {
        let steps = time.steps();
        let step_ms = time.step().as_millis();
        let mut steps_by_hour = [0u64; 24];
        count_hours(time, 0..steps, &mut steps_by_hour);
        // Month boundaries: walk month by month through the calendar.
        let start = time.start_or_default();
        let mut month_starts = vec![(0u64, start.month() as u8 - 1)];
        let mut first = start.date().first_of_month();
        loop {
            first = match first.checked_add(jiff::Span::new().months(1)) {
                Ok(d) => d,
                Err(_) => break,
            };
            let at = first.to_datetime(jiff::civil::Time::midnight());
            let ms = start.duration_until(at).as_millis();
            if ms < 0 {
                continue;
            }
            // The first step starting at or after the month boundary.
            let k = (ms as u64).div_ceil(step_ms);
            if k >= steps {
                break;
            }
            month_starts.push((k, first.month() as u8 - 1));
        }
        let mut steps_by_month = [0u64; 12];
        let mut steps_by_month_hour = [[0u64; 24]; 12];
        for (i, &(k, m)) in month_starts.iter().enumerate() {
            let end = month_starts.get(i + 1).map_or(steps, |n| n.0);
            steps_by_month[m as usize] += end - k;
            count_hours(time, k..end, &mut steps_by_month_hour[m as usize]);
        }
        Calendar {
            time: *time,
            steps_by_hour,
            month_starts,
            steps_by_month,
            steps_by_month_hour,
            sample_hours: time.horizon().hours().value(),
        }
    }

    #[inline]
    fn hour(&self, k: u64) -> usize {
        usize::from(self.time.hour_of_day(k))
    }

    fn month(&self, k: u64) -> usize {
        let i = self.month_starts.partition_point(|&(s, _)| s <= k);
        self.month_starts[i.saturating_sub(1)].1 as usize
    }
}

/// Adds the steps `range` of `time` to `by_hour` by their hour of day. When a day is a whole
/// number of steps, each run of that many consecutive steps holds every hour's steps of one day,
/// so only the remainder is walked step by step (a month at 100 ms steps is 26 M steps).
fn count_hours(time: &TimeGrid, range: std::ops::Range<u64>, by_hour: &mut [u64; 24]) {
    let step_ms = time.step().as_millis();
    let day = 86_400_000u64;
    let mut k = range.start;
    if day % step_ms == 0 {
        let per_day = day / step_ms;
        let days = (range.end - range.start) / per_day;
        if days > 0 {
            for j in 0..per_day {
                by_hour[usize::from(time.hour_of_day(j))] += days;
            }
            k += days * per_day;
        }
    }
    for j in k..range.end {
        by_hour[usize::from(time.hour_of_day(j))] += 1;
    }
}

/// Streaming accumulator of one site's samples. Serializable so that a shard of a study can
/// hand its chunks' accumulators to the merge ([`shard`]); JSON keeps every `f64` exactly.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Acc {
    lol_hours: Moments,
    /// Loss-of-load time and events per sample, with what the SLA figures need of them.
    sla: SlaAccumulator,
    unserved: Moments,
    facility: Moments,
    lol_duration: Moments,
    lol_duration_bins: [u64; DURATION_EDGES_H.len()],
    lol_by_hour: [Moments; 24],
    lol_by_month: [Moments; 12],
    lol_by_month_hour: [[Moments; 24]; 12],
    unserved_hist: LogHistogram,
    outages: Moments,
    outage_hours: Moments,
    outage_duration: Moments,
    outage_duration_bins: [u64; DURATION_EDGES_H.len()],
    soc_at_start: Moments,
    carried: Moments,
    kept: Vec<SampleSummary>,
    /// The backup chain's counts (sites with generators).
    backup: Option<BackupAcc>,
    /// Per-tier loss of load (tiered loads only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tiers: Option<TierAcc>,
}

/// Streaming accumulator of the per-tier loss of load, indexed by [`Tier::index`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TierAcc {
    lole: [Moments; 4],
    lol_hours: [Moments; 4],
    eue: [Moments; 4],
    lolf: [Moments; 4],
    pauses: Moments,
    lost_hours: Moments,
    lost_mwh: Moments,
}

impl TierAcc {
    fn push(&mut self, t: &TierTally, step_h: f64) {
        let r = t.report(step_h);
        for x in &r.tiers {
            let i = x.tier.index();
            self.lole[i].push(x.loss_of_load_step_hours);
            self.lol_hours[i].push(x.loss_of_load_hours);
            self.eue[i].push(x.unserved_mwh);
            self.lolf[i].push(x.events as f64);
        }
        self.pauses.push(r.training_pauses as f64);
        self.lost_hours.push(r.lost_compute_hours);
        self.lost_mwh.push(r.lost_compute_mwh);
    }

    fn merge(&mut self, o: &TierAcc) {
        for i in 0..4 {
            self.lole[i].merge(&o.lole[i]);
            self.lol_hours[i].merge(&o.lol_hours[i]);
            self.eue[i].merge(&o.eue[i]);
            self.lolf[i].merge(&o.lolf[i]);
        }
        self.pauses.merge(&o.pauses);
        self.lost_hours.merge(&o.lost_hours);
        self.lost_mwh.merge(&o.lost_mwh);
    }

    fn indices(&self) -> TierIndices {
        TierIndices {
            tiers: Tier::ALL
                .iter()
                .map(|&t| {
                    let i = t.index();
                    TierEstimates {
                        tier: t,
                        lole_hours: self.lole[i].estimate(),
                        loss_of_load_hours: self.lol_hours[i].estimate(),
                        eue_mwh: self.eue[i].estimate(),
                        lolf: self.lolf[i].estimate(),
                    }
                })
                .collect(),
            training_pauses: self.pauses.estimate(),
            lost_compute_hours: self.lost_hours.estimate(),
            lost_compute_mwh: self.lost_mwh.estimate(),
        }
    }
}

/// Per-tier reliability indices, per sampled horizon, each ± its standard error (tiered
/// loads only; see [`crate::components::load::tiers`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierIndices {
    /// Critical IT, cooling, deferrable and other, in that order.
    pub tiers: Vec<TierEstimates>,
    /// Pauses of the deferrable work per sample (with a checkpoint interval).
    pub training_pauses: Estimate,
    /// Work lost since the last checkpoint at those pauses, hours per sample.
    pub lost_compute_hours: Estimate,
    /// That work as deferrable IT energy, MWh of compute per sample.
    pub lost_compute_mwh: Estimate,
}

impl TierIndices {
    /// The estimates of one tier.
    pub fn tier(&self, tier: Tier) -> &TierEstimates {
        &self.tiers[tier.index()]
    }
}

/// One tier's indices.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TierEstimates {
    /// Which tier.
    pub tier: Tier,
    /// LOLE of the tier, PRAS-style: steps with its load unserved in any part × the step
    /// length, hours per sample.
    pub lole_hours: Estimate,
    /// Time with its load unserved, to the millisecond, hours per sample.
    pub loss_of_load_hours: Estimate,
    /// EUE of the tier, MWh per sample.
    pub eue_mwh: Estimate,
    /// Its loss-of-load events per sample.
    pub lolf: Estimate,
}

/// Streaming accumulator of the backup chain's per-sample counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BackupAcc {
    transfers: Moments,
    any_drop: Moments,
    transfer_unserved: Moments,
    transfer_drop_hours: Moments,
    demands: Moments,
    failed_starts: Moments,
    running_failures: Moments,
    generation: Moments,
    curtailed: Moments,
    fuel_burnt: Moments,
    fuel_outs: Moments,
    any_fuel_out: Moments,
}

impl BackupAcc {
    fn push(&mut self, b: &BackupState) {
        let t = b.tally();
        let g = b.generator_tally();
        self.transfers.push(t.transfers as f64);
        self.any_drop
            .push(if t.transfers_with_drop > 0 { 1.0 } else { 0.0 });
        self.transfer_unserved.push(t.transfer_unserved_mwh);
        self.transfer_drop_hours
            .push(Duration::from_millis(t.transfer_drop_ms).hours().value());
        self.demands.push(g.demands as f64);
        self.failed_starts.push(g.failed_starts as f64);
        self.running_failures.push(g.running_failures as f64);
        self.generation.push(t.generation_mwh);
        self.curtailed.push(t.curtailed_mwh);
        self.fuel_burnt.push(t.fuel_burnt_l);
        let outs = b.fuel_tally().map_or(0, |f| f.fuel_outs);
        self.fuel_outs.push(outs as f64);
        self.any_fuel_out.push(if outs > 0 { 1.0 } else { 0.0 });
    }

    fn merge(&mut self, o: &BackupAcc) {
        self.transfers.merge(&o.transfers);
        self.any_drop.merge(&o.any_drop);
        self.transfer_unserved.merge(&o.transfer_unserved);
        self.transfer_drop_hours.merge(&o.transfer_drop_hours);
        self.demands.merge(&o.demands);
        self.failed_starts.merge(&o.failed_starts);
        self.running_failures.merge(&o.running_failures);
        self.generation.merge(&o.generation);
        self.curtailed.merge(&o.curtailed);
        self.fuel_burnt.merge(&o.fuel_burnt);
        self.fuel_outs.merge(&o.fuel_outs);
        self.any_fuel_out.merge(&o.any_fuel_out);
    }

    fn indices(&self) -> BackupIndices {
        BackupIndices {
            transfers_per_sample: self.transfers.estimate(),
            transfer_drop_probability: self.any_drop.estimate(),
            transfer_unserved_mwh: self.transfer_unserved.estimate(),
            transfer_drop_hours: self.transfer_drop_hours.estimate(),
            starts_per_sample: self.demands.estimate(),
            failed_starts_per_sample: self.failed_starts.estimate(),
            running_failures_per_sample: self.running_failures.estimate(),
            generation_mwh: self.generation.estimate(),
            curtailed_mwh: self.curtailed.estimate(),
            fuel_burnt_l: self.fuel_burnt.estimate(),
            fuel_outs_per_sample: self.fuel_outs.estimate(),
            fuel_out_probability: self.any_fuel_out.estimate(),
        }
    }
}

/// The backup chain's indices, per sampled horizon, each ± its standard error (sites with
/// generators; see [`crate::engine::backup`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupIndices {
    /// Generator outages (transfers to the sets).
    pub transfers_per_sample: Estimate,
    /// Probability that a sampled horizon drops load in transfer at least once.
    pub transfer_drop_probability: Estimate,
    /// Load dropped in transfer, MWh.
    pub transfer_unserved_mwh: Estimate,
    /// Time with load dropped in transfer, hours.
    pub transfer_drop_hours: Estimate,
    /// Start demands on sets.
    pub starts_per_sample: Estimate,
    /// Sets that failed to start (every attempt failed).
    pub failed_starts_per_sample: Estimate,
    /// Sets that failed while running.
    pub running_failures_per_sample: Estimate,
    /// Energy generated, MWh.
    pub generation_mwh: Estimate,
    /// Generated energy curtailed, MWh.
    pub curtailed_mwh: Estimate,
    /// Fuel burnt, litres.
    pub fuel_burnt_l: Estimate,
    /// Times a tank ran dry.
    pub fuel_outs_per_sample: Estimate,
    /// Probability that a sampled horizon runs a tank dry.
    pub fuel_out_probability: Estimate,
}

fn bin_of(hours: f64) -> usize {
    DURATION_EDGES_H
        .iter()
        .rposition(|&e| hours >= e)
        .unwrap_or(0)
}

impl Acc {
    fn push(
        &mut self,
        (tally, backup): &(Tally, Option<BackupState>),
        cal: &Calendar,
        index: u64,
        seed: u64,
        keep: bool,
        tiered: bool,
    ) {
        if let Some(b) = backup {
            self.backup.get_or_insert_with(BackupAcc::default).push(b);
        }
        if tiered {
            let step_h = cal.time.step().hours().value();
            let t = tally.tier_tally().copied().unwrap_or_default();
            self.tiers
                .get_or_insert_with(TierAcc::default)
                .push(&t, step_h);
        }
        let t = tally.totals();
        self.lol_hours.push(t.loss_of_load_step_hours);
        self.unserved.push(t.unserved_mwh);
        self.facility.push(t.facility_mwh);
        self.unserved_hist.push(t.unserved_mwh);
        let mut by_hour = [0u32; 24];
        let mut by_month = [0u32; 12];
        let mut by_month_hour = [[0u32; 24]; 12];
        let mut n_lol = 0u32;
        // Steps already counted: two events can share a step (one ends in it, the next starts).
        let mut counted = 0u64;
        for ev in tally.loss_of_load_events() {
            n_lol += 1;
            let h = ev.duration.hours().value();
            self.lol_duration.push(h);
            self.lol_duration_bins[bin_of(h)] += 1;
            for k in ev.start_step.max(counted)..ev.end_step {
                let (h, m) = (cal.hour(k), cal.month(k));
                by_hour[h] += 1;
                by_month[m] += 1;
                by_month_hour[m][h] += 1;
            }
            counted = counted.max(ev.end_step);
        }
        self.sla.push(t.loss_of_load_hours, n_lol);
        for (m, c) in self.lol_by_hour.iter_mut().zip(by_hour) {
            m.push(f64::from(c));
        }
        for (m, c) in self.lol_by_month.iter_mut().zip(by_month) {
            m.push(f64::from(c));
        }
        for (row, counts) in self.lol_by_month_hour.iter_mut().zip(by_month_hour) {
            for (m, c) in row.iter_mut().zip(counts) {
                m.push(f64::from(c));
            }
        }
        let (mut n_out, mut n_carried, mut out_h) = (0u32, 0u32, 0.0);
        for o in tally.grid_outage_events() {
            n_out += 1;
            let h = o.duration.hours().value();
            out_h += h;
            self.outage_duration.push(h);
            self.outage_duration_bins[bin_of(h)] += 1;
            self.soc_at_start.push(o.soc_at_start);
            self.carried.push(if o.carried_through { 1.0 } else { 0.0 });
            n_carried += u32::from(o.carried_through);
        }
        self.outages.push(f64::from(n_out));
        self.outage_hours.push(out_h);
        if keep {
            self.kept.push(SampleSummary {
                index,
                seed,
                unserved_mwh: t.unserved_mwh,
                loss_of_load_hours: t.loss_of_load_hours,
                loss_of_load_step_hours: t.loss_of_load_step_hours,
                loss_of_load_events: n_lol,
                grid_outages: n_out,
                grid_outages_carried: n_carried,
                facility_mwh: t.facility_mwh,
            });
        }
    }

    fn merge(&mut self, o: &Acc) {
        self.lol_hours.merge(&o.lol_hours);
        self.sla.merge(&o.sla);
        self.unserved.merge(&o.unserved);
        self.facility.merge(&o.facility);
        self.lol_duration.merge(&o.lol_duration);
        for (a, b) in self.lol_duration_bins.iter_mut().zip(&o.lol_duration_bins) {
            *a += b;
        }
        for (a, b) in self.lol_by_hour.iter_mut().zip(&o.lol_by_hour) {
            a.merge(b);
        }
        for (a, b) in self.lol_by_month.iter_mut().zip(&o.lol_by_month) {
            a.merge(b);
        }
        for (ra, rb) in self.lol_by_month_hour.iter_mut().zip(&o.lol_by_month_hour) {
            for (a, b) in ra.iter_mut().zip(rb) {
                a.merge(b);
            }
        }
        self.unserved_hist.merge(&o.unserved_hist);
        self.outages.merge(&o.outages);
        self.outage_hours.merge(&o.outage_hours);
        self.outage_duration.merge(&o.outage_duration);
        for (a, b) in self
            .outage_duration_bins
            .iter_mut()
            .zip(&o.outage_duration_bins)
        {
            *a += b;
        }
        self.soc_at_start.merge(&o.soc_at_start);
        self.carried.merge(&o.carried);
        self.kept.extend_from_slice(&o.kept);
        if let Some(ob) = &o.backup {
            self.backup.get_or_insert_with(BackupAcc::default).merge(ob);
        }
        if let Some(ot) = &o.tiers {
            self.tiers.get_or_insert_with(TierAcc::default).merge(ot);
        }
    }

    /// The study's result: its indices, its SLA figures and, when `keep`, its per-sample
    /// summaries.
    fn result(
        &self,
        cal: &Calendar,
        seed: u64,
        stopped_early: bool,
        keep: bool,
    ) -> Result<McResult, ConfigError> {
        Ok(McResult {
            indices: self.indices(cal, seed),
            sla: self.sla.metrics(cal.sample_hours)?,
            stopped_early,
            samples: keep.then(|| self.kept.clone()),
        })
    }

    fn indices(&self, cal: &Calendar, seed: u64) -> Indices {
        let eue = self.unserved.estimate();
        let f = self.facility.estimate().mean;
        let ppm = if f > 0.0 {
            eue.scaled(1e6 / f)
        } else {
            Estimate {
                mean: 0.0,
                se: 0.0,
                n: eue.n,
            }
        };
        let lolp = |m: &Moments, steps: u64| {
            if steps == 0 {
                Estimate {
                    mean: 0.0,
                    se: 0.0,
                    n: m.count(),
                }
            } else {
                m.estimate().scaled(1.0 / steps as f64)
            }
        };
        Indices {
            samples: self.unserved.count(),
            sample_hours: cal.sample_hours,
            seed,
            lole_hours: self.lol_hours.estimate(),
            loss_of_load_hours: self.sla.downtime_hours().estimate(),
            eue_mwh: eue,
            eue_ppm: ppm,
            lolf: self.sla.interruptions_per_sample().estimate(),
            lol_duration_mean_hours: self.lol_duration.estimate(),
            lol_duration_distribution: distribution(&self.lol_duration_bins),
            lolp_by_hour: self
                .lol_by_hour
                .iter()
                .zip(cal.steps_by_hour)
                .map(|(m, s)| lolp(m, s))
                .collect(),
            lolp_by_month: self
                .lol_by_month
                .iter()
                .zip(cal.steps_by_month)
                .map(|(m, s)| lolp(m, s))
                .collect(),
            lolp_by_month_hour: self
                .lol_by_month_hour
                .iter()
                .zip(&cal.steps_by_month_hour)
                .map(|(row, steps)| row.iter().zip(steps).map(|(m, &s)| lolp(m, s)).collect())
                .collect(),
            unserved_p50_mwh: self.unserved_hist.quantile_estimate(0.5),
            unserved_p90_mwh: self.unserved_hist.quantile_estimate(0.9),
            unserved_p99_mwh: self.unserved_hist.quantile_estimate(0.99),
            unserved_cvar95_mwh: self.unserved_hist.tail_mean(0.95),
            grid_outages_per_sample: self.outages.estimate(),
            grid_outage_hours: self.outage_hours.estimate(),
            grid_outage_duration_mean_hours: self.outage_duration.estimate(),
            grid_outage_duration_distribution: distribution(&self.outage_duration_bins),
            soc_at_outage_start: self.soc_at_start.estimate(),
            ride_through_share: self.carried.estimate(),
            backup: self.backup.as_ref().map(BackupAcc::indices),
            tiers: self.tiers.as_ref().map(TierAcc::indices),
        }
    }
}

fn share(count: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        count as f64 / total as f64
    }
}

fn distribution(bins: &[u64; DURATION_EDGES_H.len()]) -> Vec<DurationBin> {
    let total: u64 = bins.iter().sum();
    DURATION_EDGES_H
        .iter()
        .enumerate()
        .map(|(i, &lo)| DurationBin {
            from_hours: lo,
            to_hours: DURATION_EDGES_H
                .get(i + 1)
                .copied()
                .unwrap_or(f64::INFINITY),
            share: share(bins[i], total),
            se: if total == 0 {
                0.0
            } else {
                let p = share(bins[i], total);
                (p * (1.0 - p) / total as f64).sqrt()
            },
            n: total,
        })
        .collect()
}

/// The result of a study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McResult {
    /// The indices.
    pub indices: Indices,
    /// The service-level figures ([`crate::studies::sla`]): availability, nines, downtime
    /// minutes per year, P(≥ 1 interruption per year), SAIFI and CAIDI, from the same samples.
    pub sla: SlaMetrics,
    /// Whether the target relative standard error stopped the study before `samples`.
    pub stopped_early: bool,
    /// Per-sample summaries, in index order, when [`McConfig::keep_samples`] is set.
    pub samples: Option<Vec<SampleSummary>>,
}

/// Runs one sample of `site` under `policy` and returns its final tally and backup chain.
fn run_sample<P: Dispatch + Clone>(
    site: &Site,
    policy: &P,
    sample: u64,
    ff: bool,
) -> (Tally, Option<BackupState>) {
    let mut sim = Simulation::new(site, policy.clone(), sample);
    sim.set_fast_forward(ff).set_lean().run(&mut ());
    let state = sim.into_state();
    (state.tally, state.backup)
}

/// Runs the samples `range` (one chunk) sequentially into a fresh accumulator. Boxed: an
/// accumulator is ≈12 kB (mostly the histogram), moved from the worker to the board and on to
/// the merge; a box moves a pointer.
fn run_chunk<P: Dispatch + Clone>(
    site: &Site,
    policy: &P,
    cfg: &McConfig,
    cal: &Calendar,
    range: std::ops::Range<u64>,
) -> Box<Acc> {
    let mut a = Box::<Acc>::default();
    for i in range {
        let s = sample_seed(cfg.seed, i);
        let sample = run_sample(site, policy, s, cfg.fast_forward);
        a.push(
            &sample,
            cal,
            i,
            s,
            cfg.keep_samples,
            site.load.tiers().is_some(),
        );
    }
    a
}

/// Drives `cfg.samples` samples in fixed chunks on `cfg.threads` threads (see [`schedule`]):
/// `chunk(range) -> A` runs a chunk sequentially; chunks are merged in index order on the
/// calling thread; `checkpoint(&total, done)` is asked every [`CHECKPOINT`] merged samples and at
/// the end, and `true` stops the study there.
pub(crate) fn drive<A, C, M, S>(
    cfg: &McConfig,
    chunk: C,
    merge: M,
    checkpoint: S,
) -> Result<(A, bool), ConfigError>
where
    A: Send + Default,
    C: Fn(std::ops::Range<u64>) -> A + Sync,
    M: Fn(&mut A, &A),
    S: FnMut(&A, u64) -> bool,
{
    cfg.validate()?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads)
        .build()
        .map_err(|source| ConfigError::ThreadPool { source })?;
    let plan = Plan {
        samples: cfg.samples,
        chunk: CHUNK,
        checkpoint_every: CHECKPOINT,
        window: LOOKAHEAD_PER_THREAD * pool.current_num_threads() as u64,
    };
    Ok(schedule::run_chunks(&pool, plan, chunk, merge, checkpoint))
}

fn reached(cfg: &McConfig, eue: &Estimate) -> bool {
    match cfg.target_relative_se {
        Some(t) => eue.n >= cfg.min_samples.max(2) && eue.mean > 0.0 && eue.relative_se() <= t,
        None => false,
    }
}

/// Runs a Monte Carlo study of `site` under `policy`.
///
/// `progress` is called (from the calling thread) every 512 merged samples and at the end.
///
/// # Errors
/// [`ConfigError::OutOfRange`] for a bad [`McConfig`] or a policy refused by
/// [`Dispatch::validate`] for this site; [`ConfigError::ThreadPool`] if the worker threads cannot
/// be started.
pub fn run<P>(
    site: &Site,
    policy: &P,
    cfg: &McConfig,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<McResult, ConfigError>
where
    P: Dispatch + Clone + Sync,
{
    policy.validate(site)?;
    let cal = Calendar::new(&site.time);
    let (acc, early) = drive(
        cfg,
        |range| run_chunk(site, policy, cfg, &cal, range),
        |total, chunk| total.merge(chunk),
        |acc, done| {
            let eue = acc.unserved.estimate();
            progress(&Progress {
                done,
                planned: cfg.samples,
                eue_mwh: eue,
            });
            reached(cfg, &eue)
        },
    )?;
    acc.result(&cal, cfg.seed, early, cfg.keep_samples)
}

/// Two variants of a site run on the same samples (common random numbers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Indices of the first variant.
    pub a: Indices,
    /// Indices of the second variant.
    pub b: Indices,
    /// EUE of `b` minus EUE of `a`, from the paired per-sample differences.
    pub eue_difference_mwh: Estimate,
    /// LOLE of `b` minus LOLE of `a`, from the paired per-sample differences.
    pub lole_difference_hours: Estimate,
    /// Samples where `b` lost more energy than `a`.
    pub samples_b_worse: u64,
    /// Samples where `b` had more loss-of-load steps (PRAS-style, as LOLE) than `a`.
    pub samples_b_more_lol_hours: u64,
}

#[derive(Default)]
struct PairAcc {
    a: Acc,
    b: Acc,
    d_eue: Moments,
    d_lole: Moments,
    b_worse: u64,
    b_more_lol: u64,
}

/// Runs two variants (e.g. 100 vs 120 Megapacks) on the same sampled outage histories and
/// estimates their difference from paired samples.
///
/// # Errors
/// As [`run`]; also [`ConfigError::Inconsistent`] if the two sites' time grids differ.
pub fn compare<P, Q>(
    a: (&Site, &P),
    b: (&Site, &Q),
    cfg: &McConfig,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<Comparison, ConfigError>
where
    P: Dispatch + Clone + Sync,
    Q: Dispatch + Clone + Sync,
{
    a.1.validate(a.0)?;
    b.1.validate(b.0)?;
    if a.0.time != b.0.time {
        return Err(ConfigError::Inconsistent {
            field: "time".into(),
            why: "the two variants must share one time grid to be paired",
        });
    }
    let cal = Calendar::new(&a.0.time);
    let (acc, _) = drive(
        cfg,
        |range| {
            let mut p = Box::<PairAcc>::default();
            for i in range {
                let s = sample_seed(cfg.seed, i);
                let ta = run_sample(a.0, a.1, s, cfg.fast_forward);
                let tb = run_sample(b.0, b.1, s, cfg.fast_forward);
                let (ua, ub) = (ta.0.totals(), tb.0.totals());
                p.d_eue.push(ub.unserved_mwh - ua.unserved_mwh);
                p.d_lole
                    .push(ub.loss_of_load_step_hours - ua.loss_of_load_step_hours);
                p.b_worse += u64::from(ub.unserved_mwh > ua.unserved_mwh);
                p.b_more_lol += u64::from(ub.loss_of_load_step_hours > ua.loss_of_load_step_hours);
                p.a.push(&ta, &cal, i, s, false, a.0.load.tiers().is_some());
                p.b.push(&tb, &cal, i, s, false, b.0.load.tiers().is_some());
            }
            p
        },
        |x, y| {
            x.a.merge(&y.a);
            x.b.merge(&y.b);
            x.d_eue.merge(&y.d_eue);
            x.d_lole.merge(&y.d_lole);
            x.b_worse += y.b_worse;
            x.b_more_lol += y.b_more_lol;
        },
        |acc, done| {
            progress(&Progress {
                done,
                planned: cfg.samples,
                eue_mwh: acc.d_eue.estimate(),
            });
            false
        },
    )?;
    Ok(Comparison {
        a: acc.a.indices(&cal, cfg.seed),
        b: acc.b.indices(&cal, cfg.seed),
        eue_difference_mwh: acc.d_eue.estimate(),
        lole_difference_hours: acc.d_lole.estimate(),
        samples_b_worse: acc.b_worse,
        samples_b_more_lol_hours: acc.b_more_lol,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Duration;

    /// The calendar's step counts by hour and by month and hour are the counts of the steps
    /// one by one, at steps that divide a day (1, 60 and 90 min), one that does not (7 min) and
    /// one longer than a day (2 days).
    #[test]
    fn calendar_counts_every_step_once() {
        for (step, steps) in [
            (1u64, 525_600u64),
            (7, 1_000),
            (60, 960),
            (90, 16),
            (2_880, 10),
        ] {
            let time = TimeGrid::with_steps(Duration::from_minutes(step), steps)
                .unwrap()
                .starting_at(jiff::civil::date(2025, 1, 30).at(5, 0, 0, 0));
            let cal = Calendar::new(&time);
            // Each step counted one by one in its hour and its month's hour (the calendar
            // counts whole days at once when the step divides a day: 7 min does not).
            let mut by_hour = [0u64; 24];
            let mut by_month_hour = [[0u64; 24]; 12];
            for k in 0..time.steps() {
                let h = usize::from(time.hour_of_day(k));
                by_hour[h] += 1;
                by_month_hour[usize::from(time.month(k)) - 1][h] += 1;
            }
            assert_eq!(cal.steps_by_hour, by_hour, "{step} min");
            assert_eq!(cal.steps_by_month_hour, by_month_hour, "{step} min");
            assert_eq!(
                cal.steps_by_hour.iter().sum::<u64>(),
                time.steps(),
                "{step} min"
            );
            assert_eq!(
                cal.steps_by_month.iter().sum::<u64>(),
                time.steps(),
                "{step} min"
            );
            for (m, row) in cal.steps_by_month_hour.iter().enumerate() {
                assert_eq!(row.iter().sum::<u64>(), cal.steps_by_month[m], "{step} min");
            }
            for h in 0..24 {
                let column: u64 = cal.steps_by_month_hour.iter().map(|row| row[h]).sum();
                assert_eq!(column, cal.steps_by_hour[h], "{step} min, hour {h}");
            }
            for k in [0, time.steps() / 2, time.steps() - 1] {
                assert_eq!(
                    cal.hour(k),
                    usize::from(time.hour_of_day(k)),
                    "{step} min, step {k}"
                );
                assert_eq!(
                    cal.month(k) + 1,
                    usize::from(time.month(k)),
                    "{step} min, step {k}"
                );
            }
        }
    }

    /// Relative tolerance of a sum of per-cell LOLPs, each weighted by its steps, against the
    /// month's or hour's own LOLP: the same counts divided and multiplied back (rounding only).
    const LOLP_SUM_REL_TOL: f64 = 1e-12;

    #[test]
    fn lolp_by_month_and_hour_sums_to_the_monthly_and_hourly_figures() {
        // A quarter of the default fleet on hourly steps: loss of load in many cells.
        let text = crate::io::scenario::DEFAULT_SCENARIO_TOML
            .replace("step = \"1m\"", "step = \"1h\"")
            .replace("units = 16", "units = 4");
        let study = crate::io::scenario::Scenario::from_toml_str(&text)
            .and_then(|s| s.validate())
            .unwrap();
        let site = study.site();
        let cal = Calendar::new(&site.time);
        let ix = run(site, study.policy(), &McConfig::new(64, 7), &|_| {})
            .unwrap()
            .indices;
        assert_eq!(ix.lolp_by_month_hour.len(), 12);
        assert!(ix.lolp_by_month_hour.iter().all(|row| row.len() == 24));
        assert!(
            ix.lolp_by_month.iter().any(|e| e.mean > 0.0),
            "no loss of load"
        );
        let close = |a: f64, b: f64| (a - b).abs() <= LOLP_SUM_REL_TOL * a.abs().max(b.abs());
        for m in 0..12 {
            let sum: f64 = (0..24)
                .map(|h| ix.lolp_by_month_hour[m][h].mean * cal.steps_by_month_hour[m][h] as f64)
                .sum();
            let month = ix.lolp_by_month[m].mean * cal.steps_by_month[m] as f64;
            assert!(close(sum, month), "month {m}: {sum} vs {month}");
        }
        for h in 0..24 {
            let sum: f64 = (0..12)
                .map(|m| ix.lolp_by_month_hour[m][h].mean * cal.steps_by_month_hour[m][h] as f64)
                .sum();
            let hour = ix.lolp_by_hour[h].mean * cal.steps_by_hour[h] as f64;
            assert!(close(sum, hour), "hour {h}: {sum} vs {hour}");
        }
        // The joint cells come from the same per-sample loop, so their n is the samples'.
        assert!(ix.lolp_by_month_hour.iter().flatten().all(|e| e.n == 64));
    }

    #[test]
    fn lolp_by_month_and_hour_does_not_depend_on_the_thread_count() {
        let text = crate::io::scenario::DEFAULT_SCENARIO_TOML
            .replace("step = \"1m\"", "step = \"1h\"")
            .replace("units = 16", "units = 4");
        let study = crate::io::scenario::Scenario::from_toml_str(&text)
            .and_then(|s| s.validate())
            .unwrap();
        let go = |threads| {
            let cfg = McConfig {
                threads,
                ..McConfig::new(48, 11)
            };
            run(study.site(), study.policy(), &cfg, &|_| {})
                .unwrap()
                .indices
                .lolp_by_month_hour
        };
        let (one, two) = (go(1), go(2));
        let bits = |v: &Vec<Vec<Estimate>>| -> Vec<(u64, u64)> {
            v.iter()
                .flatten()
                .map(|e| (e.mean.to_bits(), e.se.to_bits()))
                .collect()
        };
        assert_eq!(bits(&one), bits(&two));
    }
}
