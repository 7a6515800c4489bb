//! A study cut into shards that run on separate machines (a Slurm job array, a Kubernetes
//! indexed job) and merge into the single-machine result, bit for bit.
//!
//! Shard `i` of `k` runs the chunks `⌊i·c/k⌋ .. ⌊(i+1)·c/k⌋` of the study's `c` chunks of 16
//! samples ([`Shard::samples`]): contiguous sample ranges whose boundaries fall on chunk
//! boundaries, each shard at least one chunk. It runs them on its threads like [`run`](super::run) does and
//! returns a [`ShardResult`]: the study's identity ([`StudyId`]: site and policy fingerprints,
//! seed, samples, chunk size, crate version, …) and **one accumulator per chunk**, in index
//! order. [`merge_shards`] checks that the shards are every shard of one study, once each, and
//! folds all their chunks into one total in index order, as [`run`](super::run) does.
//!
//! # Why one accumulator per chunk, not one per shard
//! The moments' merge (Chan et al.) is exact in real numbers but not in floating point: merging
//! chunks 0..8 into a shard total and that total into the study's gives other bits than merging
//! chunks 0, 1, …, 8 one by one into the study's total, which is what [`run`](super::run) defines the result
//! as. A shard therefore hands over its chunks' accumulators unmerged; the merge replays the
//! single-machine merge order exactly, for the indices and the SLA figures alike. The price is
//! size: a chunk is ≈18 kB of JSON (most of it the 288 month × hour moments and the two
//! 1,500-bin histograms, unserved energy and downtime), so shard files take about 1.1 kB per
//! sample in all (≈11 MB for 10,000 samples, ≈1.1 GB for a million), and ≈0.2 kB more per
//! sample with the per-sample summaries ([`McConfig::keep_samples`], which
//! [`ShardResult::kept_samples`] gives back).
//!
//! # Exactness of the files
//! Shard results go through JSON; `serde_json` (with its `float_roundtrip` feature, which this
//! crate enables) writes every `f64` in the shortest form that reads back to the same bits, and
//! reads it back to those bits. The tests check this on random bit patterns and on whole shards.
//!
//! # Not supported
//! Early stopping ([`McConfig::target_relative_se`]): the decision needs the merged prefix of
//! the whole study, which no shard has. [`run_shard`] refuses it.

use super::{drive, run_chunk, Acc, Calendar, McConfig, McResult, Progress, SampleSummary, CHUNK};
use crate::engine::json_fingerprint;
use crate::engine::policy::Dispatch;
use crate::engine::Site;
use crate::error::ConfigError;
use crate::studies::stats::Moments;
use crate::time::TimeGrid;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// The layout version of [`ShardResult`]'s serialized form; a file of another layout is refused.
///
/// * 1: the first layout.
/// * 2: each chunk's accumulator carries the SLA figures' sums
///   ([`SlaAccumulator`](crate::studies::sla::SlaAccumulator)).
pub const SHARD_FORMAT: u32 = 2;

/// Which share of a study to run: shard `index` of `count` (0-based: `0 ≤ index < count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shard {
    /// This shard, `0 ≤ index < count`.
    pub index: u64,
    /// Shards in the study, at least 1 and at most the study's chunks (one chunk each at least).
    pub count: u64,
}

impl Shard {
    /// The sample indices of this shard of a study of `samples` samples: chunks
    /// `⌊index·c/count⌋ .. ⌊(index+1)·c/count⌋` of the study's `c = ⌈samples/16⌉` chunks.
    ///
    /// # Errors
    /// [`ShardError::Count`] for a count of 0 or more shards than chunks;
    /// [`ShardError::Index`] for an index at or beyond the count.
    pub fn samples(&self, samples: u64) -> Result<Range<u64>, ConfigError> {
        Ok(self.range(samples)?)
    }

    /// [`Shard::samples`], with the shard's own error.
    fn range(&self, samples: u64) -> Result<Range<u64>, ShardError> {
        let chunks = samples.div_ceil(CHUNK);
        if self.count == 0 || self.count > chunks {
            return Err(ShardError::Count {
                count: self.count,
                chunks,
                chunk: CHUNK,
                samples,
            });
        }
        if self.index >= self.count {
            return Err(ShardError::Index {
                index: self.index,
                count: self.count,
            });
        }
        // u128: index · chunks overflows u64 for very large studies.
        let cut = |i: u64| (u128::from(i) * u128::from(chunks) / u128::from(self.count)) as u64;
        let (first, end) = (cut(self.index), cut(self.index + 1));
        Ok(first * CHUNK..(end * CHUNK).min(samples))
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What makes shards parts of one study: every field must agree for them to merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyId {
    /// [`Site::fingerprint`] of the site (its parameters, time grid and traces).
    pub site_fingerprint: u64,
    /// FNV-1a of the dispatch policy's JSON.
    pub policy_fingerprint: u64,
    /// The site's time grid (the calendar of the LOLP-by-hour and -month indices).
    pub time: TimeGrid,
    /// The study's seed.
    pub seed: u64,
    /// Samples in the whole study.
    pub samples: u64,
    /// Samples per chunk (16): part of the results' definition.
    pub chunk: u64,
    /// Whether per-sample summaries are kept ([`McConfig::keep_samples`]).
    pub keep_samples: bool,
    /// Whether quiet stretches are jumped over ([`McConfig::fast_forward`]).
    pub fast_forward: bool,
    /// The version of this crate that ran the shard.
    pub version: String,
}

impl StudyId {
    /// The first field in which `self` and `other` differ, with both values as text.
    fn difference(&self, other: &StudyId) -> Option<(&'static str, String, String)> {
        let hex = |x: u64| format!("{x:016x}");
        let fields = [
            (
                "site_fingerprint",
                hex(self.site_fingerprint),
                hex(other.site_fingerprint),
            ),
            (
                "policy_fingerprint",
                hex(self.policy_fingerprint),
                hex(other.policy_fingerprint),
            ),
            (
                "time",
                format!("{:?}", self.time),
                format!("{:?}", other.time),
            ),
            ("seed", self.seed.to_string(), other.seed.to_string()),
            (
                "samples",
                self.samples.to_string(),
                other.samples.to_string(),
            ),
            ("chunk", self.chunk.to_string(), other.chunk.to_string()),
            (
                "keep_samples",
                self.keep_samples.to_string(),
                other.keep_samples.to_string(),
            ),
            (
                "fast_forward",
                self.fast_forward.to_string(),
                other.fast_forward.to_string(),
            ),
            ("version", self.version.clone(), other.version.clone()),
        ];
        fields.into_iter().find(|(_, a, b)| a != b)
    }
}

/// One shard's share of a study, ready to be written (serde) and merged by [`merge_shards`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardResult {
    /// [`SHARD_FORMAT`] of the program that wrote it.
    format: u32,
    /// The study it is a share of.
    study: StudyId,
    /// Which share.
    shard: Shard,
    /// Its first sample index.
    first_sample: u64,
    /// One past its last sample index.
    end_sample: u64,
    /// One accumulator per chunk of 16 samples, in index order (see the module docs for why
    /// they are not merged here).
    chunks: Vec<Acc>,
}

impl ShardResult {
    /// The study this shard belongs to.
    pub fn study(&self) -> &StudyId {
        &self.study
    }

    /// Which shard it is.
    pub fn shard(&self) -> Shard {
        self.shard
    }

    /// The sample indices it ran.
    pub fn samples(&self) -> Range<u64> {
        self.first_sample..self.end_sample
    }

    /// Its per-sample summaries in index order, when it ran with
    /// [`McConfig::keep_samples`]: the rows of [`McResult::samples`] for its samples.
    pub fn kept_samples(&self) -> Option<Vec<SampleSummary>> {
        self.study.keep_samples.then(|| {
            self.chunks
                .iter()
                .flat_map(|c| c.kept.iter().copied())
                .collect()
        })
    }
}

/// Shards that cannot be run or merged: each variant names the shard (by its position in the
/// list given to [`merge_shards`], and by its index), the field and the values.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ShardError {
    /// A shard count of 0, or more shards than the study has chunks.
    #[error("shard.count = {count} is out of range: allowed 1 ≤ x ≤ {chunks} (the study's {samples} samples make {chunks} chunks of {chunk}; a shard runs whole chunks, one at least)")]
    Count {
        /// The count asked for.
        count: u64,
        /// The study's chunks.
        chunks: u64,
        /// Samples per chunk.
        chunk: u64,
        /// The study's samples.
        samples: u64,
    },
    /// A shard index at or beyond the count.
    #[error("shard.index = {index} is out of range: allowed 0 ≤ x < {count} (shard.count)")]
    Index {
        /// The index asked for.
        index: u64,
        /// The shard count.
        count: u64,
    },
    /// Early stopping asked of a shard.
    #[error("montecarlo.target_relative_se = {target} cannot be used with shards: early stopping needs the merged prefix of the whole study; run a fixed number of samples")]
    EarlyStopping {
        /// The target asked for.
        target: f64,
    },
    /// Nothing to merge.
    #[error("no shards to merge")]
    Empty,
    /// A shard written in another layout.
    #[error("the shard at list position {position} has format = {found}, this program reads format {expected}")]
    Format {
        /// Its position in the list.
        position: usize,
        /// Its format.
        found: u32,
        /// The format this program reads.
        expected: u32,
    },
    /// A shard of another study than the first shard's.
    #[error("shard {shard} (list position {position}) belongs to another study: its {field} is {found}, the first shard's is {expected}")]
    OtherStudy {
        /// Its position in the list.
        position: usize,
        /// The shard.
        shard: Shard,
        /// The first field that differs.
        field: &'static str,
        /// Its value in this shard.
        found: String,
        /// Its value in the first shard.
        expected: String,
    },
    /// A shard whose count differs from the first shard's (cut another way).
    #[error("shard {shard} (list position {position}) is one of {found} shards, the first shard's study is cut into {expected}")]
    OtherCount {
        /// Its position in the list.
        position: usize,
        /// The shard.
        shard: Shard,
        /// Its count.
        found: u64,
        /// The first shard's count.
        expected: u64,
    },
    /// A shard whose contents do not fit its index: other samples, or chunks of other sizes.
    #[error("shard {shard} (list position {position}) is damaged: {field} is {found}, shard {shard} of this study has {expected}")]
    Damaged {
        /// Its position in the list.
        position: usize,
        /// The shard.
        shard: Shard,
        /// What does not fit.
        field: &'static str,
        /// What the file has.
        found: String,
        /// What the shard should have.
        expected: String,
    },
    /// The same shard given twice.
    #[error("shard {shard} is given twice: list positions {first} and {second}")]
    Duplicate {
        /// The shard.
        shard: Shard,
        /// The position of its first copy.
        first: usize,
        /// The position of its second copy.
        second: usize,
    },
    /// Per-sample rows asked of shards that ran without keeping them.
    #[error("shard {shard} (list position {position}) kept no per-sample rows (its study's keep_samples is false): run every shard with them (ridethrough mc --shard I/K --per-sample FILE)")]
    NoSamples {
        /// Its position in the list.
        position: usize,
        /// The shard.
        shard: Shard,
    },
    /// A shard of the study that is not given (the first one missing, in index order).
    #[error("shard {shard} is missing (samples {first_sample}..{end_sample}); {given} of {count} shards given")]
    Missing {
        /// The shard.
        shard: Shard,
        /// Its first sample.
        first_sample: u64,
        /// One past its last sample.
        end_sample: u64,
        /// Shards given.
        given: usize,
        /// Shards in the study.
        count: u64,
    },
}

impl ShardError {
    /// The position, in the list given to [`merge_shards`], of the shard the error is about
    /// (the second copy, for a duplicate), so a caller can name the file.
    pub fn position(&self) -> Option<usize> {
        match self {
            ShardError::Format { position, .. }
            | ShardError::OtherStudy { position, .. }
            | ShardError::OtherCount { position, .. }
            | ShardError::Damaged { position, .. }
            | ShardError::NoSamples { position, .. } => Some(*position),
            ShardError::Duplicate { second, .. } => Some(*second),
            _ => None,
        }
    }
}

/// The running state of a shard: its chunks in index order, and its EUE so far for progress.
#[derive(Default)]
struct ShardAcc {
    unserved: Moments,
    chunks: Vec<Acc>,
}

/// Runs shard `shard` of the study `cfg` of `site` under `policy`: its samples
/// ([`Shard::samples`]) in chunks of 16 on `cfg.threads` threads, kept one accumulator per
/// chunk in index order. `progress` is called every 512 samples of the shard and at its end
/// (`done` and `planned` count the shard's samples). The policy is `Serialize`: the shard
/// records a fingerprint of its JSON, so shards run under another policy do not merge.
///
/// ```
/// use ridethrough::studies::montecarlo::{self, McConfig, Shard};
/// use ridethrough::prelude::*;
/// let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML
///     .replace("step = \"1m\"", "step = \"1h\"");
/// let study = Scenario::from_toml_str(&text)?.validate()?;
/// let (site, policy, cfg) = (study.site(), study.policy(), McConfig::new(100, 1));
/// // Each shard may run on another machine; its result serializes to JSON.
/// let shards = (0..3)
///     .map(|index| {
///         let shard = Shard { index, count: 3 };
///         montecarlo::run_shard(site, policy, &cfg, shard, &|_| {})
///     })
///     .collect::<Result<Vec<_>, _>>()?;
/// let merged = montecarlo::merge_shards(&shards)?;
/// assert_eq!(merged, montecarlo::run(site, policy, &cfg, &|_| {})?);
/// # Ok::<(), ridethrough::ConfigError>(())
/// ```
///
/// # Errors
/// As [`run`](super::run); also [`ShardError::Count`] and [`ShardError::Index`] for a shard
/// that is not one of the study's, and [`ShardError::EarlyStopping`] when
/// [`McConfig::target_relative_se`] is set.
pub fn run_shard<P>(
    site: &Site,
    policy: &P,
    cfg: &McConfig,
    shard: Shard,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<ShardResult, ConfigError>
where
    P: Dispatch + Clone + Sync + Serialize + std::fmt::Debug,
{
    cfg.validate()?;
    if let Some(target) = cfg.target_relative_se {
        return Err(ShardError::EarlyStopping { target }.into());
    }
    let range = shard.samples(cfg.samples)?;
    policy.validate(site)?;
    let cal = Calendar::new(&site.time);
    let first = range.start;
    // The shard as a study of its own samples: chunk c of it is chunk first/16 + c of the study
    // (`first` is a multiple of 16, and only the study's last chunk is short).
    let part = McConfig {
        samples: range.end - range.start,
        ..cfg.clone()
    };
    let (acc, _) = drive(
        &part,
        |r| {
            let a = run_chunk(site, policy, cfg, &cal, first + r.start..first + r.end);
            ShardAcc {
                unserved: a.unserved,
                chunks: vec![*a],
            }
        },
        |total: &mut ShardAcc, chunk: &ShardAcc| {
            total.unserved.merge(&chunk.unserved);
            total.chunks.extend(chunk.chunks.iter().cloned());
        },
        |acc, done| {
            progress(&Progress {
                done,
                planned: part.samples,
                eue_mwh: acc.unserved.estimate(),
            });
            false
        },
    )?;
    Ok(ShardResult {
        format: SHARD_FORMAT,
        study: StudyId {
            site_fingerprint: site.fingerprint(),
            policy_fingerprint: json_fingerprint(policy),
            time: site.time,
            seed: cfg.seed,
            samples: cfg.samples,
            chunk: CHUNK,
            keep_samples: cfg.keep_samples,
            fast_forward: cfg.fast_forward,
            version: env!("CARGO_PKG_VERSION").to_owned(),
        },
        shard,
        first_sample: range.start,
        end_sample: range.end,
        chunks: acc.chunks,
    })
}

/// Checks that `shards` are every shard of one study, once each (in any order), and merges
/// their chunks in index order: the result is bit for bit that of [`run`](super::run) on one
/// machine with the same site, policy and [`McConfig`].
///
/// # Errors
/// [`ShardError`] (inside [`ConfigError::Shard`]): no shards, a shard of another format,
/// another study ([`ShardError::OtherStudy`] names the first field that differs) or another
/// count, a shard whose samples or chunks do not fit its index, a duplicate, a missing shard.
pub fn merge_shards(shards: &[ShardResult]) -> Result<McResult, ConfigError> {
    let head = shards.first().ok_or(ShardError::Empty)?;
    let study = &head.study;
    let count = head.shard.count;
    // Where each index was given. A map, not a vector of `count` slots: a damaged first file
    // could claim any count.
    let mut at = std::collections::BTreeMap::<u64, usize>::new();
    for (position, s) in shards.iter().enumerate() {
        check_one(position, s, head)?;
        if let Some(&first) = at.get(&s.shard.index) {
            return Err(ShardError::Duplicate {
                shard: s.shard,
                first,
                second: position,
            }
            .into());
        }
        at.insert(s.shard.index, position);
    }
    // The first index not given: the first place where the sorted indices skip one.
    let missing = at
        .keys()
        .zip(0u64..)
        .find(|&(&index, expected)| index != expected)
        .map_or(at.len() as u64, |(_, expected)| expected);
    if missing < count {
        let shard = Shard {
            index: missing,
            count,
        };
        let range = shard.range(study.samples)?;
        return Err(ShardError::Missing {
            shard,
            first_sample: range.start,
            end_sample: range.end,
            given: shards.len(),
            count,
        }
        .into());
    }
    let mut total = Acc::default();
    for &position in at.values() {
        for chunk in &shards[position].chunks {
            total.merge(chunk);
        }
    }
    let cal = Calendar::new(&study.time);
    total.result(&cal, study.seed, false, study.keep_samples)
}

/// Checks shard `s` (at `position`) against the first shard `head`: format, study, count, its
/// index, samples and chunks.
fn check_one(position: usize, s: &ShardResult, head: &ShardResult) -> Result<(), ShardError> {
    if s.format != SHARD_FORMAT {
        return Err(ShardError::Format {
            position,
            found: s.format,
            expected: SHARD_FORMAT,
        });
    }
    if let Some((field, found, expected)) = s.study.difference(&head.study) {
        return Err(ShardError::OtherStudy {
            position,
            shard: s.shard,
            field,
            found,
            expected,
        });
    }
    if s.shard.count != head.shard.count {
        return Err(ShardError::OtherCount {
            position,
            shard: s.shard,
            found: s.shard.count,
            expected: head.shard.count,
        });
    }
    let damaged = |field, found: String, expected: String| ShardError::Damaged {
        position,
        shard: s.shard,
        field,
        found,
        expected,
    };
    if s.study.chunk != CHUNK {
        return Err(damaged(
            "study.chunk",
            s.study.chunk.to_string(),
            CHUNK.to_string(),
        ));
    }
    let range = s.shard.range(s.study.samples)?;
    if s.samples() != range {
        return Err(damaged(
            "its samples",
            format!("{:?}", s.samples()),
            format!("{range:?}"),
        ));
    }
    let sizes: Vec<u64> = (range.start..range.end)
        .step_by(CHUNK as usize)
        .map(|i| (i + CHUNK).min(range.end) - i)
        .collect();
    let found: Vec<u64> = s.chunks.iter().map(|c| c.unserved.count()).collect();
    if found != sizes {
        return Err(damaged(
            "its chunks' sample counts",
            format!("{found:?}"),
            format!("{sizes:?}"),
        ));
    }
    let sla: Vec<u64> = s.chunks.iter().map(|c| c.sla.samples()).collect();
    if sla != sizes {
        return Err(damaged(
            "its chunks' SLA sample counts",
            format!("{sla:?}"),
            format!("{sizes:?}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::study::Study;
    use crate::io::scenario::{Scenario, DEFAULT_SCENARIO_TOML};
    use crate::studies::montecarlo::run;
    use proptest::prelude::*;

    /// The default site on hourly steps over `days` days with `units` battery units.
    fn tiny(days: u32, units: u32) -> Study {
        let text = DEFAULT_SCENARIO_TOML
            .replace("step = \"1m\"", "step = \"1h\"")
            .replace("horizon = \"365d\"", &format!("horizon = \"{days}d\""))
            .replace("start = \"120d\"", "start = \"2d\"")
            .replace("units = 16", &format!("units = {units}"));
        Scenario::from_toml_str(&text)
            .and_then(|s| s.validate())
            .expect("the tiny scenario is valid")
    }

    /// Every shard of `count`, each written to JSON and read back, in the order `order` (a
    /// rotation, so the merge must sort them).
    fn shards(study: &Study, cfg: &McConfig, count: u64, rotate: usize) -> Vec<ShardResult> {
        let mut all: Vec<ShardResult> = (0..count)
            .map(|index| {
                let s = run_shard(
                    study.site(),
                    study.policy(),
                    cfg,
                    Shard { index, count },
                    &|_| {},
                )
                .expect("the shard runs");
                let text = serde_json::to_string(&s).expect("a shard writes as JSON");
                let back: ShardResult = serde_json::from_str(&text).expect("and reads back");
                assert_eq!(back, s, "shard {index}/{count} changed through JSON");
                back
            })
            .collect();
        let n = all.len();
        all.rotate_left(rotate % n);
        all
    }

    /// `==` and the same JSON text (which tells -0.0 from 0.0, where `==` does not).
    fn assert_bit_identical(merged: &McResult, single: &McResult, what: &str) {
        assert_eq!(merged, single, "{what}");
        assert_eq!(
            serde_json::to_string(merged).unwrap(),
            serde_json::to_string(single).unwrap(),
            "{what}"
        );
    }

    fn err(e: ConfigError) -> ShardError {
        match e {
            ConfigError::Shard(e) => e,
            e => panic!("not a shard error: {e}"),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

        /// k shards (unequal when the chunks do not divide evenly, and the last chunk short
        /// when the samples are not a multiple of 16) merge to the single run, bit for bit.
        #[test]
        fn merged_shards_are_the_single_run_bit_for_bit(
            days in 100u32..366,
            units in 1u32..6,
            samples in 1u64..100,
            seed in any::<u64>(),
            keep in any::<bool>(),
            threads in 1usize..3,
            rotate in 0usize..5,
        ) {
            let study = tiny(days, units);
            let cfg = McConfig {
                keep_samples: keep,
                threads,
                ..McConfig::new(samples, seed)
            };
            let single = run(study.site(), study.policy(), &cfg, &|_| {}).unwrap();
            // Outages in most samples: the merged moments are not all zeros.
            prop_assert!(single.indices.grid_outages_per_sample.mean > 0.0);
            let chunks = samples.div_ceil(CHUNK);
            for count in 1..=chunks.min(5) {
                let merged = merge_shards(&shards(&study, &cfg, count, rotate)).unwrap();
                assert_bit_identical(&merged, &single, &format!("{count} shards of {samples}"));
            }
        }

        /// JSON gives back every finite `f64` bit for bit (serde_json's `float_roundtrip`).
        #[test]
        fn json_keeps_every_finite_f64(bits in any::<u64>(), xs in prop::collection::vec(any::<f64>(), 1..20)) {
            let x = f64::from_bits(bits);
            prop_assume!(x.is_finite());
            let back: f64 = serde_json::from_str(&serde_json::to_string(&x).unwrap()).unwrap();
            prop_assert_eq!(back.to_bits(), x.to_bits());
            let mut m = Moments::default();
            for x in xs.into_iter().filter(|x| x.is_finite()) {
                // Scaled so that squared deviations stay finite (|x| ≤ 1.8e108), as they are
                // for any physical quantity; an infinite m2 would be written as null.
                m.push(x * 1e-200);
            }
            let back: Moments = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
            let e = (back.estimate(), m.estimate());
            prop_assert_eq!((e.0.mean.to_bits(), e.0.se.to_bits()), (e.1.mean.to_bits(), e.1.se.to_bits()));
            prop_assert_eq!(back, m);
        }
    }

    #[test]
    fn shards_with_the_backup_chain_merge_to_the_single_run() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/scenarios/austin_backup_chain.toml"
        ))
        .unwrap();
        let text = text
            .replace("step = \"1m\"", "step = \"1h\"")
            .replace("horizon = \"365d\"", "horizon = \"240d\"");
        let study = Scenario::from_toml_str(&text)
            .and_then(|s| s.validate())
            .unwrap();
        let cfg = McConfig::new(70, 3);
        let single = run(study.site(), study.policy(), &cfg, &|_| {}).unwrap();
        assert!(single.indices.backup.is_some(), "the site has generators");
        assert!(single.indices.grid_outages_per_sample.mean > 0.0);
        let merged = merge_shards(&shards(&study, &cfg, 3, 1)).unwrap();
        assert_bit_identical(&merged, &single, "backup chain, 3 shards");
    }

    #[test]
    fn shards_cut_the_study_into_whole_chunks_in_order() {
        // 100 samples: 7 chunks (the last of 4 samples) in 3 shards of 2, 2 and 3 chunks.
        let cut = |index| Shard { index, count: 3 }.samples(100).unwrap();
        assert_eq!((cut(0), cut(1), cut(2)), (0..32, 32..64, 64..100));
        assert_eq!(Shard { index: 0, count: 1 }.samples(5).unwrap(), 0..5);
        // Any count from 1 to the chunks tiles the study with whole chunks.
        for samples in [16u64, 17, 100, 1000] {
            for count in 1..=samples.div_ceil(CHUNK) {
                let mut end = 0;
                for index in 0..count {
                    let r = Shard { index, count }.samples(samples).unwrap();
                    assert_eq!(r.start, end, "{index}/{count} of {samples}");
                    assert_eq!(r.start % CHUNK, 0);
                    assert!(r.end > r.start, "{index}/{count} of {samples} is empty");
                    end = r.end;
                }
                assert_eq!(end, samples);
            }
        }
    }

    #[test]
    fn bad_shards_and_early_stopping_are_refused_naming_the_field() {
        let study = tiny(10, 4);
        let cfg = McConfig::new(40, 1);
        let go = |index, count| {
            run_shard(
                study.site(),
                study.policy(),
                &cfg,
                Shard { index, count },
                &|_| {},
            )
        };
        let e = err(go(3, 3).unwrap_err());
        assert_eq!(e, ShardError::Index { index: 3, count: 3 });
        assert!(e.to_string().contains("shard.index = 3"), "{e}");
        let e = err(go(0, 4).unwrap_err());
        assert!(
            matches!(
                e,
                ShardError::Count {
                    count: 4,
                    chunks: 3,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("allowed 1 ≤ x ≤ 3"), "{e}");
        assert!(matches!(
            err(go(0, 0).unwrap_err()),
            ShardError::Count { .. }
        ));
        let early = McConfig {
            target_relative_se: Some(0.1),
            ..cfg.clone()
        };
        let e = err(run_shard(
            study.site(),
            study.policy(),
            &early,
            Shard { index: 0, count: 1 },
            &|_| {},
        )
        .unwrap_err());
        assert!(
            e.to_string()
                .contains("montecarlo.target_relative_se = 0.1"),
            "{e}"
        );
        assert_eq!(err(merge_shards(&[]).unwrap_err()), ShardError::Empty);
    }

    #[test]
    fn shards_of_another_study_missing_or_twice_are_refused() {
        let study = tiny(10, 4);
        let cfg = McConfig::new(64, 5);
        let three = shards(&study, &cfg, 3, 0);
        let field = |e: ShardError| match e {
            ShardError::OtherStudy {
                position, field, ..
            } => (position, field),
            e => panic!("not another study: {e}"),
        };
        // Another seed.
        let other_seed = shards(&study, &McConfig::new(64, 6), 3, 0);
        let mixed = [three[0].clone(), other_seed[1].clone(), three[2].clone()];
        let e = err(merge_shards(&mixed).unwrap_err());
        assert!(e.to_string().contains("seed is 6"), "{e}");
        assert_eq!(field(e), (1, "seed"));
        // Another site (another fleet).
        let other_site = shards(&tiny(10, 5), &cfg, 3, 0);
        let mixed = [three[0].clone(), three[1].clone(), other_site[2].clone()];
        assert_eq!(
            field(err(merge_shards(&mixed).unwrap_err())),
            (2, "site_fingerprint")
        );
        // Another number of samples.
        let other_samples = shards(&study, &McConfig::new(80, 5), 3, 0);
        let mixed = [three[0].clone(), other_samples[1].clone(), three[2].clone()];
        assert_eq!(
            field(err(merge_shards(&mixed).unwrap_err())),
            (1, "samples")
        );
        // Cut into another number of shards.
        let two = shards(&study, &cfg, 2, 0);
        let e = err(merge_shards(&[three[0].clone(), two[1].clone()]).unwrap_err());
        assert!(
            matches!(
                e,
                ShardError::OtherCount {
                    position: 1,
                    found: 2,
                    expected: 3,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.position(), Some(1));
        // A missing shard, named.
        let e = err(merge_shards(&[three[0].clone(), three[2].clone()]).unwrap_err());
        assert!(
            matches!(
                e,
                ShardError::Missing {
                    shard: Shard { index: 1, count: 3 },
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().starts_with("shard 1/3 is missing"), "{e}");
        let e = err(merge_shards(&three[..2]).unwrap_err());
        assert!(e.to_string().starts_with("shard 2/3 is missing"), "{e}");
        // The same shard twice.
        let twice = [three[0].clone(), three[1].clone(), three[1].clone()];
        let e = err(merge_shards(&twice).unwrap_err());
        assert!(
            matches!(
                e,
                ShardError::Duplicate {
                    first: 1,
                    second: 2,
                    ..
                }
            ),
            "{e:?}"
        );
        // A shard whose samples were edited.
        let mut edited = three[1].clone();
        edited.end_sample += 1;
        let e = err(merge_shards(&[three[0].clone(), edited, three[2].clone()]).unwrap_err());
        assert!(
            matches!(e, ShardError::Damaged { position: 1, .. }),
            "{e:?}"
        );
        // A shard whose SLA sums hold one sample too many.
        let mut edited = three[1].clone();
        edited.chunks[0].sla.push(1.0, 1);
        let e = err(merge_shards(&[three[0].clone(), edited, three[2].clone()]).unwrap_err());
        assert!(
            matches!(
                e,
                ShardError::Damaged {
                    position: 1,
                    field: "its chunks' SLA sample counts",
                    ..
                }
            ),
            "{e:?}"
        );
        // A shard from another layout.
        let mut old = three[2].clone();
        old.format = SHARD_FORMAT + 1;
        let e = err(merge_shards(&[three[0].clone(), three[1].clone(), old]).unwrap_err());
        assert!(matches!(e, ShardError::Format { position: 2, .. }), "{e:?}");
        // And all three, in any order, merge.
        let mut all = three.clone();
        all.reverse();
        assert!(merge_shards(&all).is_ok());
    }
}
