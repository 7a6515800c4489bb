//! `ridethrough`: simulates a datacenter site scenario (grid feed, Megapack fleet, AI-training
//! load) and runs reliability studies of it, one subcommand each.
//!
//! ```text
//! ridethrough                                   # = ridethrough run: the embedded default scenario
//! ridethrough run examples/scenarios/colossus_150mw.toml --json report.json --trace steps.csv
//! ridethrough mc --samples 2000 --step 1h --per-sample samples.csv
//! ridethrough run --step 1h --replay-sample 17 --trace sample17.csv   # sample 17 of that study
//! ridethrough survival --step 1h --max 96h
//! ridethrough size --step 1h --lole 0.1 --samples 2000 --min-units 1 --max-units 400
//! ridethrough compare A.toml B.toml --samples 2000 --step 1h
//! ridethrough frontier examples/scenarios/austin_value_stacking.toml --reserve 0:0.8:0.1 --samples 200 --duration 4h --plot frontier.svg
//! ridethrough life examples/scenarios/austin_20yr.toml --samples 1000 --survive 4h --eue 1
//! ridethrough plot --step 1h --out plots --format png
//! ridethrough report --step 1h --samples 2000 --survival-max 96h --out report.html
//! ridethrough --set battery.units=40 --set grid.import_limit_mw=80 mc --samples 500
//! ```
//!
//! * [`single`] (`run`, and no subcommand): one horizon, its report, `--json`, `--trace`, and
//!   `--replay-sample I`, which reruns Monte Carlo sample I with its trace.
//! * [`monte_carlo`] (`mc`): N sampled horizons (`--threads`, `--target-se` for early stopping,
//!   `--per-sample` rows each with the seed that replays it), indices ± standard errors.
//! * [`shard`] (`mc --shard I/K --out FILE`, `mc --shard-from-env`, `merge`): one shard of a
//!   study, e.g. a Slurm job array task, and the merge of every shard into the study's indices,
//!   bit for bit the unsharded `mc`'s.
//! * [`survival`] (`survival`): an outage of up to `--max` from every step.
//! * [`size`] (`size`): the smallest battery fleet (or, `--over generators`, generator fleet)
//!   meeting `--lole`, `--eue`, `--survive` with `--probability`, `--transfer-drop` or
//!   `--fuel-outs`, by bisection (or `--scan`); `--generators A:B` tables the battery units
//!   each generator count needs; `--plot` draws the index against the size.
//! * [`compare`] (`compare`): two scenarios on common random numbers, B − A ± SE.
//! * [`frontier`] (`frontier`): reserve versus value: for each `--reserve`, LOLE, EUE,
//!   P(survive `--duration`) and the $/yr saved on the scenario's tariff, ± SE, on common
//!   random numbers; `--json`, `--csv`, `--plot`.
//! * [`life`] (`life`): reliability by year of a multi-year life, and the first year a
//!   `--lole`, `--eue` or `--probability` target is missed.
//! * [`plot`] (`plot`): every chart of `ridethrough::plot`, into `--out` as `--format`.
//! * [`report`] (`report`): one self-contained HTML page of the run, the study, its SLA
//!   figures, the survival curve, the charts and the scenario text, into `--out`.
//!
//! Global flags ([`args::Global`]): `--quiet` (no progress bars or status lines: only results),
//! `--set KEY=VALUE` (repeatable: overrides a scenario field by its dotted path before it is
//! validated, [`overrides`]), `--force` (past the cost guard). Every subcommand on one scenario
//! takes `--seed` and `--step` overrides.
//!
//! Before exiting, the program checks the physical facts the report shows ([`checks`]) and
//! fails if one does not hold. Bad input is refused before anything runs: flag values out of
//! range ([`flags`]), overrides the scenario refuses, and runs estimated to take over ten
//! minutes or to hold a trace over 1 GB as CSV (2 GB as Parquet) ([`guard`]; `--force` runs them anyway).
//!
//! Exit codes: 0 done (also when the reader of standard output goes away, as with `| head -1`),
//! 1 a scenario, data, output-file, chart or self-check error, 2 a usage error (clap's own code
//! for a bad flag; also a `--set` the scenario refuses, a flag that does not fit, a run over the
//! limits).

mod args;
mod checks;
mod compare;
mod error;
mod flags;
mod frontier;
mod guard;
mod life;
mod monte_carlo;
mod output;
mod overrides;
mod plot;
mod progress;
mod report;
mod scenario;
mod shard;
mod single;
mod size;
mod survival;

use args::{Cli, Command, Global, Source};
use clap::{CommandFactory, FromArgMatches};
use error::{CliError, UsageError};
use output::Stdout;
use progress::Bars;
use ridethrough::prelude::*;
use ridethrough::studies::montecarlo::{Shard, MAX_USEFUL_THREADS};
use std::process::ExitCode;

/// `--help`'s closing text: the exit codes and the limits, from the constants that enforce them.
fn after_help() -> String {
    format!(
        "{exit_codes}

Limits:
  --samples     1 ≤ x ≤ {max_samples}
  --threads     1 ≤ x ≤ {max_threads} here (4 × cores, at most {useful})
  --target-se   0 < x < 1
  --step        at least 1ms, dividing the scenario's horizon
  --max, --survival-max
                whole hours, at least 1h, and a whole number of steps
  --max-units   0 ≤ x ≤ {max_units}
  A run estimated at over {minutes:.0} minutes ({steps:.1e} engine steps at {rate:.0e} steps/s) or a
  --trace file estimated at over {gb:.0} GB as CSV ({pq_gb:.0} GB as Parquet) is refused unless
  --force. Monte Carlo studies
  fast-forward through quiet time: one whose every step would pass the limit is judged on
  the steps its first {pilot} samples really ran (×{margin:.0}).",
        exit_codes = args::EXIT_CODES,
        max_samples = flags::MAX_SAMPLES,
        max_threads = flags::max_threads(),
        useful = MAX_USEFUL_THREADS,
        max_units = ridethrough::components::limits::MAX_BATTERY_UNITS,
        minutes = guard::MAX_SECONDS / 60.0,
        steps = guard::MAX_SECONDS * guard::STEPS_PER_SECOND,
        rate = guard::STEPS_PER_SECOND,
        gb = guard::MAX_TRACE_BYTES as f64 / 1e9,
        pq_gb = guard::MAX_PARQUET_BYTES as f64 / 1e9,
        pilot = guard::PILOT_SAMPLES,
        margin = guard::PILOT_MARGIN,
    )
}

fn main() -> ExitCode {
    // A bad flag value exits here with clap's usage code 2 and our message (see `flags`).
    let matches = Cli::command().after_help(after_help()).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let mut out = Stdout::lock(cli.global.quiet);
    match run(cli, &mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe ends the program quietly, as a filter does.
        Err(e) if e.is_closed_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

/// The scenario of `source`, with the global overrides.
fn load(source: &Source, global: &Global) -> Result<Study, CliError> {
    scenario::load(
        source.scenario.as_deref(),
        &global.set,
        source.step,
        source.seed,
    )
}

/// Checks `plan` against the cost limits unless `--force`.
fn guard(global: &Global, site: &Site, plan: &guard::Plan<'_>) -> Result<(), UsageError> {
    if global.force {
        Ok(())
    } else {
        guard::check(site, plan)
    }
}

/// Prints the scenario's name, if it has one.
fn name(study: &Study, out: &mut Stdout) -> Result<(), CliError> {
    match study.name() {
        Some(name) => writeln!(out, "scenario: {name}"),
        None => Ok(()),
    }
}

/// The shard `mc` is asked to run (`--shard` or `--shard-from-env`, with `--out`), or `None`
/// for the whole study; flags that do not go with a shard are refused.
fn mc_shard(a: &args::McArgs) -> Result<Option<(Shard, &std::path::Path)>, UsageError> {
    let flag = if a.shard_from_env {
        "--shard-from-env"
    } else {
        "--shard"
    };
    let shard = match (a.shard, a.shard_from_env) {
        (Some(shard), _) => shard,
        (None, true) => shard::from_env(|k| std::env::var(k).ok())?,
        (None, false) => {
            if a.out.is_some() {
                return Err(UsageError::Needs {
                    flag: "--out",
                    needs: "--shard I/K or --shard-from-env",
                    why: "--out is the shard's file; the whole study's result goes to --json",
                });
            }
            return Ok(None);
        }
    };
    let refuse = |with, why| Err(UsageError::DoesNotApply { flag, with, why });
    if a.json.is_some() {
        return refuse(
            "--json",
            "a shard's indices are partial: ridethrough merge writes the study's --json",
        );
    }
    if a.target_se.is_some() {
        return refuse(
            "--target-se",
            "early stopping needs the merged prefix of the whole study",
        );
    }
    let Some(out) = a.out.as_deref() else {
        return Err(UsageError::Needs {
            flag,
            needs: "--out FILE",
            why: "the shard's file, for ridethrough merge",
        });
    };
    Ok(Some((shard, out)))
}

/// Runs the subcommand (`run` when none is given).
fn run(cli: Cli, out: &mut Stdout) -> Result<(), CliError> {
    let global = &cli.global;
    let bars = Bars::new(global.quiet);
    let command = match cli.command {
        Some(command) => {
            if let Some(flag) = cli.run.first_given() {
                return Err(UsageError::DoesNotApply {
                    flag,
                    with: "a subcommand after it",
                    why: "give it after the subcommand, e.g. ridethrough mc SCENARIO --json FILE",
                }
                .into());
            }
            command
        }
        None => {
            if let Some((flag, now)) = cli.moved.first() {
                return Err(UsageError::Moved { flag, now }.into());
            }
            Command::Run(cli.run)
        }
    };
    let plan = |samples, survival, policy| guard::Plan {
        samples,
        survival,
        outage_flag: None,
        trace: None,
        policy,
        seed: 0,
        repeat: 1,
    };
    match command {
        Command::Run(a) => {
            let study = load(&a.source, global)?;
            let seed = study.seed();
            let run_seed = match a.replay_sample {
                Some(i) => ridethrough::rng::sample_seed(seed, i),
                None => seed,
            };
            let p = guard::Plan {
                trace: a.trace.as_deref().map(|p| (p, "--trace")),
                seed: run_seed,
                ..plan(None, None, study.policy())
            };
            guard(global, study.site(), &p)?;
            name(&study, out)?;
            let opts = single::Options {
                seed,
                replay_sample: a.replay_sample,
                trace: a.trace.as_deref(),
                json: a.json.as_deref(),
            };
            single::run(study.site(), *study.policy(), &opts, bars, out)
        }
        Command::Mc(a) => {
            let shard = mc_shard(&a)?;
            let study = load(&a.source, global)?;
            // A shard runs its own samples only.
            let samples = match &shard {
                Some((s, _)) => {
                    let range = s.samples(a.samples).map_err(|e| UsageError::Shard {
                        flag: if a.shard_from_env {
                            "--shard-from-env"
                        } else {
                            "--shard"
                        },
                        source: Box::new(e),
                    })?;
                    range.end - range.start
                }
                None => a.samples,
            };
            let p = guard::Plan {
                seed: study.seed(),
                ..plan(Some(samples), None, study.policy())
            };
            guard(global, study.site(), &p)?;
            name(&study, out)?;
            if let Some((s, path)) = shard {
                let opts = shard::Options {
                    samples: a.samples,
                    seed: study.seed(),
                    threads: a.threads,
                    shard: s,
                    out: path,
                    per_sample: a.per_sample.as_deref(),
                };
                return shard::run(&study, &opts, bars, out);
            }
            let opts = monte_carlo::Options {
                samples: a.samples,
                seed: study.seed(),
                threads: a.threads,
                target_se: a.target_se,
                json: a.json.as_deref(),
                per_sample: a.per_sample.as_deref(),
            };
            monte_carlo::run(study.site(), study.policy(), &opts, bars, out)
        }
        Command::Merge(a) => {
            if !global.set.is_empty() {
                return Err(UsageError::DoesNotApply {
                    flag: "--set",
                    with: "merge",
                    why: "the shards ran their scenario already; give --set to mc --shard",
                }
                .into());
            }
            shard::merge(&a.shards, a.json.as_deref(), a.per_sample.as_deref(), out)
        }
        Command::Survival(a) => {
            let study = load(&a.source, global)?;
            survival::check(study.site(), "--max", a.max)?;
            let p = guard::Plan {
                seed: study.seed(),
                outage_flag: Some("--max"),
                ..plan(None, Some(a.max), study.policy())
            };
            guard(global, study.site(), &p)?;
            name(&study, out)?;
            survival::run(
                study.site(),
                study.policy(),
                study.seed(),
                a.max,
                a.json.as_deref(),
                bars,
                out,
            )
        }
        Command::Size(a) => size::command(&a, global, bars, out),
        Command::Life(a) => {
            let study = load(&a.source, global)?;
            if let Some(d) = a.survive {
                survival::check(study.site(), "--survive", d)?;
            }
            let p = guard::Plan {
                seed: study.seed(),
                outage_flag: a.survive.map(|_| "--survive"),
                ..plan(Some(a.samples), None, study.policy())
            };
            guard(global, study.site(), &p)?;
            name(&study, out)?;
            life::run(&study, &life::Options::of(&a, study.seed()), bars, out)
        }
        Command::Compare(a) => {
            let sa = scenario::load(Some(&a.a), &global.set, a.step, a.seed)?;
            let sb = scenario::load(Some(&a.b), &global.set, a.step, None)?;
            let seed = sa.seed();
            let p = guard::Plan {
                seed,
                ..plan(Some(2 * a.samples), None, sa.policy())
            };
            guard(global, sa.site(), &p)?;
            writeln!(
                out,
                "A: {} ({})\nB: {} ({})",
                a.a.display(),
                sa.name().unwrap_or("unnamed"),
                a.b.display(),
                sb.name().unwrap_or("unnamed")
            )?;
            let opts = compare::Options {
                samples: a.samples,
                seed,
                threads: a.threads,
                json: a.json.as_deref(),
            };
            compare::run(&sa, &sb, &opts, bars, out)
        }
        Command::Frontier(a) => {
            let study = load(&a.source, global)?;
            if let Some(d) = a.duration {
                survival::check(study.site(), "--duration", d)?;
            }
            let reserves = a.reserve.0.clone();
            // Every step of every sample at every reserve is stepped (the tariff's meter reads
            // them all): counted as that many single runs, with no fast-forward pilot.
            let p = guard::Plan {
                seed: study.seed(),
                repeat: a.samples.saturating_mul(reserves.len() as u64),
                outage_flag: a.duration.map(|_| "--duration"),
                ..plan(None, None, study.policy())
            };
            guard(global, study.site(), &p)?;
            name(&study, out)?;
            let opts = frontier::Options {
                reserves,
                samples: a.samples,
                seed: study.seed(),
                threads: a.threads,
                duration: a.duration,
                starts: a.starts,
                json: a.json.as_deref(),
                csv: a.csv.as_deref(),
                plot: a.plot.as_deref(),
            };
            frontier::run(&study, &opts, bars, out)
        }
        Command::Plot(a) => {
            let study = load(&a.source, global)?;
            survival::check(study.site(), "--max", a.max)?;
            let p = guard::Plan {
                seed: study.seed(),
                trace: Some((
                    a.out.as_path(),
                    "the time-series chart's trace (in memory) for",
                )),
                outage_flag: Some("--max"),
                ..plan(Some(a.samples + 1), Some(a.max), study.policy())
            };
            guard(global, study.site(), &p)?;
            name(&study, out)?;
            let opts = plot::Options {
                dir: &a.out,
                format: a.format,
                samples: a.samples,
                max: a.max,
                seed: study.seed(),
                threads: a.threads,
            };
            plot::run(&study, &opts, bars, out)
        }
        Command::Report(a) => {
            let study = load(&a.source, global)?;
            survival::check(study.site(), "--survival-max", a.survival_max)?;
            let p = guard::Plan {
                seed: study.seed(),
                trace: Some((
                    a.out.as_path(),
                    "the report's charts' trace (in memory) for",
                )),
                outage_flag: Some("--survival-max"),
                ..plan(Some(a.samples + 1), Some(a.survival_max), study.policy())
            };
            guard(global, study.site(), &p)?;
            name(&study, out)?;
            let opts = report::Options {
                out: &a.out,
                source: &a.source,
                sets: &global.set,
                samples: a.samples,
                max: a.survival_max,
                threads: a.threads,
            };
            report::run(&study, &opts, bars, out)
        }
    }
}
