//! `ridethrough mc --shard I/K --out FILE` and `ridethrough merge FILE…`: a Monte Carlo study
//! cut into K shards that run anywhere (a Slurm job array or a Kubernetes Indexed Job:
//! `--shard-from-env`), and their merge
//! into the study's indices, bit for bit those of the unsharded `mc`
//! (see `ridethrough::studies::montecarlo::shard`).
//!
//! A shard file is JSON: the scenario's name (so `merge` prints what `mc` prints) and the
//! library's `ShardResult`, whose `format` is read first, so a file of another layout is refused
//! naming it rather than with the first field serde misses.
//!
//! `mc --shard I/K --per-sample FILE` also writes the shard's per-sample rows (the columns of
//! `mc --per-sample`), and its shard file keeps them; `merge --per-sample OUT` writes the
//! study's rows from the shard files, byte for byte the unsharded `mc --per-sample`'s.

use crate::checks;
use crate::error::{CliError, UsageError};
use crate::monte_carlo;
use crate::output::{write_csv, write_json, Stdout};
use crate::progress::Bars;
use ridethrough::prelude::*;
use ridethrough::studies::montecarlo::{
    self, shard::SHARD_FORMAT, McConfig, Shard, ShardError, ShardResult,
};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What a shard file holds.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShardFile {
    /// The scenario's name, if it has one.
    scenario: Option<String>,
    /// The shard.
    result: ShardResult,
}

/// The variable holding the number of shards of a Kubernetes Indexed Job (the Job's
/// `completions`), which Kubernetes does not pass to its pods.
pub const SHARDS_VAR: &str = "RIDETHROUGH_SHARDS";

/// The shard of a Slurm job array task or of a Kubernetes Indexed Job's pod.
///
/// * Slurm: from `SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_MIN` (0 when unset) and
///   `SLURM_ARRAY_TASK_COUNT` (or `SLURM_ARRAY_TASK_MAX`): the array must be one contiguous
///   range with step 1 (`--array=0-7`, `--array=1-8`).
/// * Kubernetes: I = `JOB_COMPLETION_INDEX` (0-based, set in every pod of a Job with
///   `completionMode: Indexed`) and K = [`SHARDS_VAR`] (`RIDETHROUGH_SHARDS`, set in the
///   manifest to the Job's `completions`), I < K.
///
/// Both schedulers' variables at once are refused, as are missing or inconsistent ones,
/// naming the variable.
pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Shard, UsageError> {
    let number = number_of(&var);
    match (var("JOB_COMPLETION_INDEX"), var("SLURM_ARRAY_TASK_ID")) {
        (Some(index), Some(_)) => Err(UsageError::ShardEnv {
            var: "JOB_COMPLETION_INDEX",
            value: index,
            allowed: "unset when SLURM_ARRAY_TASK_ID is set (the variables of one scheduler)"
                .into(),
        }),
        (Some(_), None) => {
            let index = number("JOB_COMPLETION_INDEX")?.unwrap_or(0);
            let Some(count) = number(SHARDS_VAR)? else {
                return Err(UsageError::Needs {
                    flag: "--shard-from-env",
                    needs: "RIDETHROUGH_SHARDS in the environment with JOB_COMPLETION_INDEX",
                    why: "set it to the Indexed Job's completions: Kubernetes does not pass them",
                });
            };
            if count == 0 {
                return Err(UsageError::ShardEnv {
                    var: SHARDS_VAR,
                    value: count.to_string(),
                    allowed: "a whole number ≥ 1 (the Job's completions)".into(),
                });
            }
            if index >= count {
                return Err(UsageError::ShardEnv {
                    var: "JOB_COMPLETION_INDEX",
                    value: index.to_string(),
                    allowed: format!("0 ≤ x < RIDETHROUGH_SHARDS = {count}"),
                });
            }
            Ok(Shard { index, count })
        }
        (None, _) => from_slurm_env(&number),
    }
}

/// A variable of the environment as a whole number (`None` when unset), or a typed error
/// naming it.
fn number_of<'a>(
    var: &'a impl Fn(&str) -> Option<String>,
) -> impl Fn(&'static str) -> Result<Option<u64>, UsageError> + 'a {
    move |name: &'static str| -> Result<Option<u64>, UsageError> {
        match var(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| UsageError::ShardEnv {
                    var: name,
                    value: v,
                    allowed: "a whole number ≥ 0".into(),
                }),
        }
    }
}

/// [`from_env`] for a Slurm job array task.
fn from_slurm_env(
    number: &impl Fn(&'static str) -> Result<Option<u64>, UsageError>,
) -> Result<Shard, UsageError> {
    let Some(id) = number("SLURM_ARRAY_TASK_ID")? else {
        return Err(UsageError::Needs {
            flag: "--shard-from-env",
            needs: "SLURM_ARRAY_TASK_ID (Slurm) or JOB_COMPLETION_INDEX (Kubernetes) in the environment",
            why: "Slurm sets the first in every task of a job array, sbatch --array=0-K; Kubernetes the second in every pod of an Indexed Job",
        });
    };
    let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
    if let Some(step) = number("SLURM_ARRAY_TASK_STEP")? {
        if step != 1 {
            return Err(UsageError::ShardEnv {
                var: "SLURM_ARRAY_TASK_STEP",
                value: step.to_string(),
                allowed: "1 (one contiguous array, e.g. --array=0-7)".into(),
            });
        }
    }
    let span = number("SLURM_ARRAY_TASK_MAX")?
        .map(|max| {
            max.checked_sub(min)
                .map(|d| d + 1)
                .ok_or_else(|| UsageError::ShardEnv {
                    var: "SLURM_ARRAY_TASK_MAX",
                    value: max.to_string(),
                    allowed: format!("at least SLURM_ARRAY_TASK_MIN = {min}"),
                })
        })
        .transpose()?;
    let count = match (number("SLURM_ARRAY_TASK_COUNT")?, span) {
        (Some(count), Some(span)) if count != span => {
            return Err(UsageError::ShardEnv {
                var: "SLURM_ARRAY_TASK_COUNT",
                value: count.to_string(),
                allowed: format!(
                    "SLURM_ARRAY_TASK_MAX − SLURM_ARRAY_TASK_MIN + 1 = {span} (one contiguous array, e.g. --array=0-7)"
                ),
            })
        }
        (Some(count), _) | (None, Some(count)) => count,
        (None, None) => {
            return Err(UsageError::Needs {
                flag: "--shard-from-env",
                needs: "SLURM_ARRAY_TASK_COUNT or SLURM_ARRAY_TASK_MAX in the environment",
                why: "the number of shards is the array's size",
            })
        }
    };
    if id < min || id - min >= count {
        return Err(UsageError::ShardEnv {
            var: "SLURM_ARRAY_TASK_ID",
            value: id.to_string(),
            allowed: format!("{min} ≤ x < {}", u128::from(min) + u128::from(count)),
        });
    }
    Ok(Shard {
        index: id - min,
        count,
    })
}

/// What the command line asks of a shard.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// Samples of the whole study.
    pub samples: u64,
    /// The study's seed.
    pub seed: u64,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    /// The shard.
    pub shard: Shard,
    /// The shard file.
    pub out: &'a Path,
    /// Write the shard's per-sample rows as CSV here (the shard file then keeps them too).
    pub per_sample: Option<&'a Path>,
}

/// Runs one shard of the study and writes its file.
pub fn run(
    study: &Study,
    opts: &Options<'_>,
    bars: Bars,
    out: &mut Stdout,
) -> Result<(), CliError> {
    let mut cfg = McConfig::new(opts.samples, opts.seed);
    cfg.threads = opts.threads.unwrap_or(0);
    cfg.keep_samples = opts.per_sample.is_some();
    let range = opts.shard.samples(opts.samples)?;
    let bar = bars.samples(range.end - range.start);
    let started = Instant::now();
    let result = montecarlo::run_shard(study.site(), study.policy(), &cfg, opts.shard, &|p| {
        bar.set_position(p.done);
    })?;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let rows = result.kept_samples();
    let file = ShardFile {
        scenario: study.name().map(str::to_owned),
        result,
    };
    write_compact(opts.out, &file)?;
    writeln!(
        out,
        "shard {}: samples {}..{} of {} written to {}",
        opts.shard,
        range.start,
        range.end,
        opts.samples,
        opts.out.display()
    )?;
    out.note(format_args!(
        "{} samples in {elapsed:.2} s; merge every shard with ridethrough merge",
        range.end - range.start
    ))?;
    if let (Some(path), Some(rows)) = (opts.per_sample, rows) {
        write_csv(path, &rows)?;
        out.note(format_args!(
            "{} per-sample rows written to {}",
            rows.len(),
            path.display()
        ))?;
    }
    Ok(())
}

/// Writes `value` as compact JSON (shard files hold a few kB per chunk of 16 samples).
fn write_compact(path: &Path, value: &impl Serialize) -> Result<(), CliError> {
    let file = std::fs::File::create(path).map_err(|e| CliError::write(path, e))?;
    let mut w = std::io::BufWriter::new(file);
    serde_json::to_writer(&mut w, value).map_err(|e| CliError::write(path, e))?;
    w.flush().map_err(|e| CliError::write(path, e))
}

/// The one field of a shard file read before the rest: `result.format`.
#[derive(Deserialize)]
struct Probe {
    result: ProbeResult,
}

/// See [`Probe`].
#[derive(Deserialize)]
struct ProbeResult {
    format: u32,
}

/// Reads one shard file, the one at `position` in the merge's list. A file whose
/// `result.format` is not [`SHARD_FORMAT`] is refused as such ([`ShardError::Format`], naming
/// the file), before its other fields are read; one that has none is not a shard file.
fn read(path: &Path, position: usize) -> Result<ShardFile, CliError> {
    let bad = |source: Box<dyn std::error::Error + Send + Sync>| CliError::ShardFile {
        path: path.to_path_buf(),
        source,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.into()))?;
    if let Ok(probe) = serde_json::from_str::<Probe>(&text) {
        if probe.result.format != SHARD_FORMAT {
            return Err(CliError::Merge {
                path: path.to_path_buf(),
                source: ShardError::Format {
                    position,
                    found: probe.result.format,
                    expected: SHARD_FORMAT,
                },
            });
        }
    }
    serde_json::from_str(&text).map_err(|e| bad(e.into()))
}

/// Reads the shard files, merges them and prints the indices and SLA figures as `mc` does;
/// writes `json` and the `per_sample` rows if asked, byte for byte what `mc` writes with the
/// same flags (the JSON holds the rows only with `per_sample`, as `mc`'s does).
pub fn merge(
    paths: &[PathBuf],
    json: Option<&Path>,
    per_sample: Option<&Path>,
    out: &mut Stdout,
) -> Result<(), CliError> {
    let started = Instant::now();
    let mut name = None;
    let mut shards = Vec::with_capacity(paths.len());
    for (position, path) in paths.iter().enumerate() {
        let file = read(path, position)?;
        name = name.or(file.scenario);
        shards.push(file.result);
    }
    let mut result = montecarlo::merge_shards(&shards).map_err(|e| match e {
        ConfigError::Shard(source) => match source.position().and_then(|i| paths.get(i)) {
            Some(path) => CliError::Merge {
                path: path.clone(),
                source,
            },
            None => CliError::Config(ConfigError::Shard(source)),
        },
        e => CliError::Config(e),
    })?;
    match (per_sample, &result.samples) {
        (Some(_), None) => {
            return Err(CliError::Merge {
                path: paths[0].clone(),
                source: ShardError::NoSamples {
                    position: 0,
                    shard: shards[0].shard(),
                },
            })
        }
        (None, Some(_)) => result.samples = None,
        _ => {}
    }
    if let Some(name) = name {
        writeln!(out, "scenario: {name}")?;
    }
    let ix = &result.indices;
    monte_carlo::print(&result, out)?;
    out.note(format_args!(
        "{} shards of {} samples merged in {:.2} s",
        shards.len(),
        ix.samples,
        started.elapsed().as_secs_f64()
    ))?;
    if let Some(path) = json {
        write_json(path, &result)?;
        out.note(format_args!("indices written to {}", path.display()))?;
    }
    if let (Some(path), Some(rows)) = (per_sample, &result.samples) {
        write_csv(path, rows)?;
        out.note(format_args!(
            "{} per-sample rows written to {}",
            rows.len(),
            path.display()
        ))?;
        checks::samples(ix, rows)?;
    }
    checks::indices(&shards[0].study().time, ix)?;
    out.note(format_args!(
        "index checks passed: LOLP by hour adds up to LOLE, quantiles ordered"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> Result<Shard, UsageError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        from_env(|k| map.get(k).cloned())
    }

    #[test]
    fn slurm_array_variables_give_the_shard() {
        let s = env(&[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "3"),
        ]);
        assert_eq!(s.unwrap(), Shard { index: 2, count: 4 });
        // 1-based arrays, and the maximum alone.
        let s = env(&[
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "8"),
        ]);
        assert_eq!(s.unwrap(), Shard { index: 0, count: 8 });
    }

    #[test]
    fn kubernetes_indexed_job_variables_give_the_shard() {
        let s = env(&[("JOB_COMPLETION_INDEX", "3"), ("RIDETHROUGH_SHARDS", "8")]);
        assert_eq!(s.unwrap(), Shard { index: 3, count: 8 });
        let s = env(&[("JOB_COMPLETION_INDEX", "0"), ("RIDETHROUGH_SHARDS", "1")]);
        assert_eq!(s.unwrap(), Shard { index: 0, count: 1 });
    }

    #[test]
    fn bad_kubernetes_variables_are_refused_naming_them() {
        let msg = |vars: &[(&str, &str)]| env(vars).unwrap_err().to_string();
        let m = msg(&[]);
        assert!(m.contains("JOB_COMPLETION_INDEX"), "{m}");
        let m = msg(&[("JOB_COMPLETION_INDEX", "1")]);
        assert!(m.contains("RIDETHROUGH_SHARDS"), "{m}");
        let m = msg(&[("JOB_COMPLETION_INDEX", "4"), ("RIDETHROUGH_SHARDS", "4")]);
        assert!(
            m.contains("JOB_COMPLETION_INDEX = \"4\"")
                && m.contains("0 ≤ x < RIDETHROUGH_SHARDS = 4"),
            "{m}"
        );
        let m = msg(&[("JOB_COMPLETION_INDEX", "0"), ("RIDETHROUGH_SHARDS", "0")]);
        assert!(m.contains("RIDETHROUGH_SHARDS = \"0\""), "{m}");
        let m = msg(&[("JOB_COMPLETION_INDEX", "-1"), ("RIDETHROUGH_SHARDS", "4")]);
        assert!(m.contains("JOB_COMPLETION_INDEX = \"-1\""), "{m}");
        let m = msg(&[
            ("JOB_COMPLETION_INDEX", "1"),
            ("RIDETHROUGH_SHARDS", "four"),
        ]);
        assert!(m.contains("RIDETHROUGH_SHARDS = \"four\""), "{m}");
        // Both schedulers' variables: which one is meant is not clear.
        let m = msg(&[
            ("JOB_COMPLETION_INDEX", "1"),
            ("RIDETHROUGH_SHARDS", "4"),
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert!(
            m.contains("JOB_COMPLETION_INDEX") && m.contains("SLURM_ARRAY_TASK_ID"),
            "{m}"
        );
    }

    #[test]
    fn bad_slurm_array_variables_are_refused_naming_them() {
        let msg = |vars: &[(&str, &str)]| env(vars).unwrap_err().to_string();
        assert!(msg(&[]).contains("SLURM_ARRAY_TASK_ID"));
        assert!(msg(&[("SLURM_ARRAY_TASK_ID", "3")]).contains("SLURM_ARRAY_TASK_COUNT"));
        let m = msg(&[
            ("SLURM_ARRAY_TASK_ID", "x"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert!(m.contains("SLURM_ARRAY_TASK_ID = \"x\""), "{m}");
        let m = msg(&[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert!(m.contains("allowed 0 ≤ x < 4"), "{m}");
        // --array=0,2,5: three tasks over 0..=5.
        let m = msg(&[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MAX", "5"),
        ]);
        assert!(m.contains("SLURM_ARRAY_TASK_COUNT = \"3\""), "{m}");
        let m = msg(&[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
        ]);
        assert!(m.contains("SLURM_ARRAY_TASK_STEP"), "{m}");
    }
}
