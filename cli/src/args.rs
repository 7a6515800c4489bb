//! The command line, as clap derive types: the global flags, the subcommands and their flags.
//! Numeric values are parsed and range-checked by [`crate::flags`].

use crate::flags::{self, Checked};
use crate::overrides::Override;
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use ridethrough::prelude::Duration;
use ridethrough::studies::montecarlo::Shard;
use std::path::PathBuf;

/// Exit codes, shown at the end of every `--help`.
pub const EXIT_CODES: &str = "Exit codes:
  0  done (also when the reader of the output goes away, as with `| head -1`)
  1  a bad scenario, data or shard file, an output file that cannot be written, a failed self-check
  2  a usage error: a bad flag value, a flag that does not fit the scenario, a run over the limits";

/// The command line.
#[derive(Parser, Debug)]
#[command(
    name = "ridethrough",
    version,
    about = "Simulate a datacenter site with grid feed and Megapack fleet",
    long_about = "Simulate a datacenter site with grid feed and Megapack fleet.\n\n\
        With no subcommand, `ridethrough [SCENARIO]` is `ridethrough run [SCENARIO]`: one \
        horizon of the scenario (the embedded default when omitted).",
    subcommand_negates_reqs = true
)]
pub struct Cli {
    /// What to do (default: `run`).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// `run`'s arguments, when no subcommand is given.
    #[command(flatten)]
    pub run: RunArgs,
    /// The flags every subcommand takes.
    #[command(flatten)]
    pub global: Global,
    /// Flags of the earlier, flag-based command line (hidden; refused with the new spelling).
    #[command(flatten)]
    pub moved: Moved,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run one horizon of the scenario and print its report (the default).
    Run(RunArgs),
    /// Monte Carlo reliability study: N sampled horizons, indices ± standard errors.
    Mc(McArgs),
    /// Merge the shard files of `mc --shard` into the study's indices, bit for bit those of
    /// the unsharded `mc`.
    Merge(MergeArgs),
    /// Outage survival sweep: a total grid outage of up to --max from every step.
    Survival(SurvivalArgs),
    /// Smallest number of battery units (or generator sets) meeting a LOLE, EUE, survival,
    /// transfer-drop or fuel-out target; with --generators A:B, a table of the battery units
    /// each generator count needs.
    Size(SizeArgs),
    /// Reliability by year of life: N sampled multi-year lives (ageing with
    /// `[battery.ageing]`), LOLE, EUE and P(survive --survive) ± SE for each year, and the
    /// first year a target is missed.
    Life(LifeArgs),
    /// Two scenarios on the same sampled outages (common random numbers): B − A ± SE.
    Compare(CompareArgs),
    /// Reserve versus value: for each SoC reserve, reliability (LOLE, EUE, P(survive
    /// --duration)) and the $/yr the battery saves on the scenario's [tariff], ± SE, every
    /// reserve on the same samples (common random numbers).
    Frontier(FrontierArgs),
    /// Draw the charts of a scenario (time series, survival, LOLP heat map, unserved energy).
    Plot(PlotArgs),
    /// Write one self-contained HTML report: summary, single run, Monte Carlo indices, SLA
    /// figures, survival, charts and the scenario text.
    ///
    /// A single run (energy totals, outages, loss-of-load events), a Monte Carlo study of
    /// --samples samples (indices ± standard errors; SLA figures: availability, nines, downtime
    /// minutes per year, P(interruption), SAIFI, CAIDI), the outage survival curve up to
    /// --survival-max, the charts as inline SVG and the scenario text, in one file that needs no
    /// network and no JavaScript: mail it and open it in any browser.
    Report(ReportArgs),
}

/// Flags that apply to every subcommand (and may come before or after it).
#[derive(Args, Debug)]
pub struct Global {
    /// No progress bars and no timing or status lines: only the results.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Override a scenario field by its dotted path before it is validated, e.g.
    /// `--set battery.units=40 --set grid.import_limit_mw=80` or
    /// `--set grid.scheduled_outages[0].duration=6h` (repeatable; every scenario read).
    #[arg(long = "set", value_name = "KEY=VALUE", global = true, value_parser = Checked(flags::set))]
    pub set: Vec<Override>,
    /// Run even if the run is estimated to take over the time limit or its trace to exceed the
    /// size limit.
    #[arg(long, global = true)]
    pub force: bool,
}

/// The scenario and the overrides of its seed and step (shared by the subcommands on one
/// scenario).
#[derive(Args, Debug, Clone)]
pub struct Source {
    /// Scenario file (.toml or .json); the embedded default when omitted.
    pub scenario: Option<PathBuf>,
    /// Override the scenario's seed.
    #[arg(long, value_parser = Checked(flags::seed), allow_hyphen_values = true)]
    pub seed: Option<u64>,
    /// Override the scenario's time step (e.g. 1h); it must divide the horizon.
    #[arg(long, value_parser = Checked(flags::step), allow_hyphen_values = true)]
    pub step: Option<Duration>,
}

/// `run`: one horizon.
#[derive(Args, Debug, Clone)]
#[command(after_help = EXIT_CODES)]
pub struct RunArgs {
    /// The scenario, its seed and step.
    #[command(flatten)]
    pub source: Source,
    /// Write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Stream the per-step trace to this file: Apache Parquet when its name ends in `.parquet`
    /// or `.pq`, CSV otherwise.
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// Replay Monte Carlo sample I of `ridethrough mc` (same scenario, --seed, --step and
    /// --set) as a single run, e.g. with --trace; the sample's seed is derived as `mc` does.
    #[arg(long, value_name = "I", value_parser = Checked(flags::sample_index), allow_hyphen_values = true)]
    pub replay_sample: Option<u64>,
}

impl RunArgs {
    /// The first of these arguments given (they belong after a subcommand, when there is one).
    pub fn first_given(&self) -> Option<&'static str> {
        [
            ("SCENARIO", self.source.scenario.is_some()),
            ("--seed", self.source.seed.is_some()),
            ("--step", self.source.step.is_some()),
            ("--json", self.json.is_some()),
            ("--trace", self.trace.is_some()),
            ("--replay-sample", self.replay_sample.is_some()),
        ]
        .into_iter()
        .find(|&(_, given)| given)
        .map(|(flag, _)| flag)
    }
}

/// `mc`: a Monte Carlo study.
#[derive(Args, Debug)]
#[command(after_help = EXIT_CODES)]
pub struct McArgs {
    /// The scenario, the study's seed and step.
    #[command(flatten)]
    pub source: Source,
    /// Sampled horizons to run (the most, with --target-se).
    #[arg(long, value_parser = Checked(flags::samples), allow_hyphen_values = true)]
    pub samples: u64,
    /// Worker threads (default: one per core).
    #[arg(long, value_parser = Checked(flags::threads), allow_hyphen_values = true)]
    pub threads: Option<usize>,
    /// Stop early once EUE's relative standard error is at most this.
    #[arg(long, value_parser = Checked(flags::target_se), allow_hyphen_values = true)]
    pub target_se: Option<f64>,
    /// Write one CSV row per sample (index, seed, unserved energy, LOL hours, …); with --shard,
    /// the shard's rows, which its file then keeps for `merge --per-sample`.
    #[arg(long)]
    pub per_sample: Option<PathBuf>,
    /// Write the indices as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Run only shard I of K of the study (0-based: 0 ≤ I < K ≤ ⌈samples/16⌉, e.g. 0/4 … 3/4)
    /// and write it to --out; `ridethrough merge` combines the K files.
    #[arg(long, value_name = "I/K", value_parser = Checked(flags::shard), allow_hyphen_values = true, conflicts_with = "shard_from_env")]
    pub shard: Option<Shard>,
    /// Take --shard from a Slurm job array task: I = SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN,
    /// K = SLURM_ARRAY_TASK_COUNT (or SLURM_ARRAY_TASK_MAX − SLURM_ARRAY_TASK_MIN + 1); or from a
    /// Kubernetes Indexed Job's pod: I = JOB_COMPLETION_INDEX, K = RIDETHROUGH_SHARDS.
    #[arg(long)]
    pub shard_from_env: bool,
    /// The shard file to write (JSON), with --shard or --shard-from-env.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `merge`: shard files into one study.
#[derive(Args, Debug)]
#[command(after_help = EXIT_CODES)]
pub struct MergeArgs {
    /// The shard files of `ridethrough mc --shard I/K --out FILE`, every I of one study once,
    /// in any order.
    #[arg(required = true, value_name = "SHARD")]
    pub shards: Vec<PathBuf>,
    /// Write the study's result as JSON to this file (byte for byte `mc --json`'s).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write the study's per-sample rows as CSV to this file, byte for byte `mc --per-sample`'s
    /// (the shards must have run with --per-sample).
    #[arg(long, value_name = "FILE")]
    pub per_sample: Option<PathBuf>,
}

/// `survival`: the outage survival sweep.
#[derive(Args, Debug)]
#[command(after_help = EXIT_CODES)]
pub struct SurvivalArgs {
    /// The scenario, its seed (of the normal run) and step.
    #[command(flatten)]
    pub source: Source,
    /// The longest outage, in whole hours (e.g. 96h).
    #[arg(long, value_parser = Checked(flags::survival), allow_hyphen_values = true)]
    pub max: Duration,
    /// Write the survival curve as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// What `size` sizes.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeOver {
    /// Battery units of the scenario's unit model (--min-units..=--max-units).
    Units,
    /// Generator sets of the scenario's [generators] set model (--min-sets..=--max-sets).
    Generators,
}

/// `size`: battery (or generator) sizing.
#[derive(Args, Debug)]
#[command(
    after_help = EXIT_CODES,
    group(ArgGroup::new("target").required(true).args(["lole", "eue", "survive", "transfer_drop", "fuel_outs"]))
)]
pub struct SizeArgs {
    /// The scenario (its fleet's unit model is sized), the study's seed and step.
    #[command(flatten)]
    pub source: Source,
    /// Target: LOLE at most this many hours per sample (e.g. 0.1).
    #[arg(long, value_parser = Checked(flags::positive), allow_hyphen_values = true)]
    pub lole: Option<f64>,
    /// Target: EUE at most this many MWh per sample.
    #[arg(long, value_parser = Checked(flags::positive), allow_hyphen_values = true)]
    pub eue: Option<f64>,
    /// Target: ride through an outage this long (whole hours) from at least --probability of
    /// the steps (the survival sweep; --samples does not apply).
    #[arg(long, value_parser = Checked(flags::survival), allow_hyphen_values = true, requires = "probability")]
    pub survive: Option<Duration>,
    /// The share of start steps that must ride through --survive (0 < p ≤ 1).
    #[arg(long, value_parser = Checked(flags::probability), allow_hyphen_values = true, requires = "survive")]
    pub probability: Option<f64>,
    /// Target: the probability that a sample (a year) drops load in transfer at least once at
    /// most this (0 < q < 1; the scenario needs generator sets).
    #[arg(long, value_parser = Checked(crate::size::open_probability), allow_hyphen_values = true)]
    pub transfer_drop: Option<f64>,
    /// Target: fuel-outs (a tank running dry) per sample at most this (the scenario needs
    /// generator sets and a [fuel] table).
    #[arg(long, value_parser = Checked(flags::positive), allow_hyphen_values = true)]
    pub fuel_outs: Option<f64>,
    /// Samples of the Monte Carlo study at each size (needed with every target but --survive).
    #[arg(long, value_parser = Checked(flags::samples), allow_hyphen_values = true)]
    pub samples: Option<u64>,
    /// What to size: battery units, or generator sets (copies of the scenario's [generators]
    /// set model, the battery fixed).
    #[arg(long, value_enum, default_value_t = SizeOver::Units)]
    pub over: SizeOver,
    /// The smallest unit count tried (default 1).
    #[arg(long, value_parser = Checked(flags::units), allow_hyphen_values = true)]
    pub min_units: Option<u32>,
    /// The largest unit count tried (default 400).
    #[arg(long, value_parser = Checked(flags::units), allow_hyphen_values = true)]
    pub max_units: Option<u32>,
    /// With --over generators: the smallest set count tried (default 0; 1 with
    /// --transfer-drop or --fuel-outs).
    #[arg(long, value_parser = Checked(crate::size::sets), allow_hyphen_values = true)]
    pub min_sets: Option<u32>,
    /// With --over generators: the largest set count tried (default 100).
    #[arg(long, value_parser = Checked(crate::size::sets), allow_hyphen_values = true)]
    pub max_sets: Option<u32>,
    /// A table: for each generator count from A to B (e.g. 0:4), the fewest battery units that
    /// meet the target.
    #[arg(long, value_name = "A:B", value_parser = Checked(crate::size::set_range), allow_hyphen_values = true)]
    pub generators: Option<(u32, u32)>,
    /// Evaluate every size in the range, in order, instead of bisecting (every breach of
    /// monotonicity is then seen; the answer is the first size that meets the target).
    #[arg(long)]
    pub scan: bool,
    /// Worker threads (default: one per core).
    #[arg(long, value_parser = Checked(flags::threads), allow_hyphen_values = true)]
    pub threads: Option<usize>,
    /// Write the sizes tried and the answer as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Draw the index against the size, with 95 % error bars, the target and the answer (with
    /// --generators: one line per generator count) to this .svg or .png file.
    #[arg(long, value_name = "FILE", value_parser = Checked(crate::size::plot_file))]
    pub plot: Option<PathBuf>,
}

/// `life`: reliability by year of life.
#[derive(Args, Debug)]
#[command(
    after_help = EXIT_CODES,
    group(ArgGroup::new("life_target").args(["lole", "eue", "probability"]))
)]
pub struct LifeArgs {
    /// The scenario (a horizon of several years), the study's seed and step.
    #[command(flatten)]
    pub source: Source,
    /// Sampled lives to run.
    #[arg(long, value_parser = Checked(flags::samples), allow_hyphen_values = true)]
    pub samples: u64,
    /// Worker threads (default: one per core).
    #[arg(long, value_parser = Checked(flags::threads), allow_hyphen_values = true)]
    pub threads: Option<usize>,
    /// Estimate P(ride through a total grid outage this long, whole hours, 1h to 8760h) for
    /// each year, from one instant drawn in every year of every life.
    #[arg(long, value_parser = Checked(flags::life_survive), allow_hyphen_values = true)]
    pub survive: Option<Duration>,
    /// Target: LOLE at most this many hours per year.
    #[arg(long, value_parser = Checked(flags::positive), allow_hyphen_values = true)]
    pub lole: Option<f64>,
    /// Target: EUE at most this many MWh per year.
    #[arg(long, value_parser = Checked(flags::positive), allow_hyphen_values = true)]
    pub eue: Option<f64>,
    /// Target: P(ride through --survive) at least this (0 < p ≤ 1).
    #[arg(long, value_parser = Checked(flags::probability), allow_hyphen_values = true, requires = "survive")]
    pub probability: Option<f64>,
    /// Write the per-year table and the target's outcome as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Run the scenario without its battery augmentation plan ([battery.augmentation]).
    #[arg(long, conflicts_with = "compare_plan")]
    pub without_plan: bool,
    /// Run the study with the scenario's augmentation plan and without it on the same sampled
    /// lives, and print both tables and what the plan saves each year.
    #[arg(long)]
    pub compare_plan: bool,
}

/// `compare`: two scenarios under common random numbers.
#[derive(Args, Debug)]
#[command(after_help = EXIT_CODES)]
pub struct CompareArgs {
    /// Scenario A (the base).
    pub a: PathBuf,
    /// Scenario B (the variant); it must have A's time grid.
    pub b: PathBuf,
    /// Samples, run on both scenarios with the same seeds.
    #[arg(long, value_parser = Checked(flags::samples), allow_hyphen_values = true)]
    pub samples: u64,
    /// The study's seed (default: A's).
    #[arg(long, value_parser = Checked(flags::seed), allow_hyphen_values = true)]
    pub seed: Option<u64>,
    /// Override both scenarios' time step (e.g. 1h).
    #[arg(long, value_parser = Checked(flags::step), allow_hyphen_values = true)]
    pub step: Option<Duration>,
    /// Worker threads (default: one per core).
    #[arg(long, value_parser = Checked(flags::threads), allow_hyphen_values = true)]
    pub threads: Option<usize>,
    /// Write the comparison as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// `frontier`: the reserve-versus-value sweep.
#[derive(Args, Debug)]
#[command(after_help = EXIT_CODES)]
pub struct FrontierArgs {
    /// The scenario (it needs a [tariff]), the study's seed and step.
    #[command(flatten)]
    pub source: Source,
    /// The SoC reserves: START:END:STEP (ends included, e.g. 0:0.8:0.1), a list (0.1,0.3,0.5)
    /// or one value; fractions of nameplate inside the battery's SoC window.
    #[arg(long, value_parser = Checked(crate::frontier::reserves), allow_hyphen_values = true)]
    pub reserve: crate::frontier::Reserves,
    /// Sampled horizons, each run at every reserve with the same seed.
    #[arg(long, value_parser = Checked(flags::samples), allow_hyphen_values = true)]
    pub samples: u64,
    /// Also estimate P(ride through a total grid outage this long, whole hours), from
    /// --starts instants of each sample.
    #[arg(long, value_parser = Checked(flags::survival), allow_hyphen_values = true)]
    pub duration: Option<Duration>,
    /// Forced outages per sample for --duration (1 ≤ x ≤ 10000).
    #[arg(long, default_value = "24", value_parser = Checked(crate::frontier::starts), allow_hyphen_values = true, requires = "duration")]
    pub starts: u64,
    /// Worker threads (default: one per core).
    #[arg(long, value_parser = Checked(flags::threads), allow_hyphen_values = true)]
    pub threads: Option<usize>,
    /// Write the frontier as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write the table as CSV to this file.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Draw the frontier (survival with --duration, else EUE, against $/yr) to this .svg or
    /// .png file.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
}

/// The image format of `plot`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// Scalable vector graphics.
    Svg,
    /// PNG bitmap.
    Png,
}

impl ImageFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Svg => "svg",
            ImageFormat::Png => "png",
        }
    }
}

/// `plot`: the charts.
#[derive(Args, Debug)]
#[command(after_help = EXIT_CODES)]
pub struct PlotArgs {
    /// The scenario, its seed and step.
    #[command(flatten)]
    pub source: Source,
    /// The folder to write the charts to (created if missing).
    #[arg(long, default_value = "plots")]
    pub out: PathBuf,
    /// The image format.
    #[arg(long, value_enum, default_value_t = ImageFormat::Svg)]
    pub format: ImageFormat,
    /// Samples of the Monte Carlo study behind the heat map and the distribution.
    #[arg(long, default_value = "400", value_parser = Checked(flags::samples), allow_hyphen_values = true)]
    pub samples: u64,
    /// The longest outage of the survival curve, in whole hours.
    #[arg(long, default_value = "24h", value_parser = Checked(flags::survival), allow_hyphen_values = true)]
    pub max: Duration,
    /// Worker threads (default: one per core).
    #[arg(long, value_parser = Checked(flags::threads), allow_hyphen_values = true)]
    pub threads: Option<usize>,
}

/// `report`: the HTML report.
#[derive(Args, Debug)]
#[command(after_help = EXIT_CODES)]
pub struct ReportArgs {
    /// The scenario, its seed and step.
    #[command(flatten)]
    pub source: Source,
    /// The HTML file to write.
    #[arg(long, default_value = "report.html")]
    pub out: PathBuf,
    /// Samples of the Monte Carlo study (indices, SLA figures, heat map, distribution).
    #[arg(long, default_value = "400", value_parser = Checked(flags::samples), allow_hyphen_values = true)]
    pub samples: u64,
    /// The longest outage of the survival curve, in whole hours (e.g. 96h).
    #[arg(long, default_value = "24h", value_parser = Checked(flags::survival), allow_hyphen_values = true)]
    pub survival_max: Duration,
    /// Worker threads (default: one per core).
    #[arg(long, value_parser = Checked(flags::threads), allow_hyphen_values = true)]
    pub threads: Option<usize>,
}

/// The earlier command line's mode flags at the top level: hidden, and refused with the
/// subcommand that replaces them ([`crate::error::UsageError::Moved`]).
#[derive(Args, Debug)]
pub struct Moved {
    /// Now `ridethrough mc --samples N`.
    #[arg(long, hide = true, allow_hyphen_values = true)]
    pub samples: Option<String>,
    /// Now `ridethrough survival --max D`.
    #[arg(long, hide = true, allow_hyphen_values = true)]
    pub survival: Option<String>,
    /// Now `ridethrough mc --threads N`.
    #[arg(long, hide = true, allow_hyphen_values = true)]
    pub threads: Option<String>,
    /// Now `ridethrough mc --target-se X`.
    #[arg(long, hide = true, allow_hyphen_values = true)]
    pub target_se: Option<String>,
    /// Now `ridethrough mc --per-sample FILE`.
    #[arg(long, hide = true, allow_hyphen_values = true)]
    pub per_sample: Option<String>,
}

impl Moved {
    /// The first earlier flag given, with its new spelling.
    pub fn first(&self) -> Option<(&'static str, &'static str)> {
        [
            (
                "--samples",
                "ridethrough mc --samples N",
                self.samples.is_some(),
            ),
            (
                "--survival",
                "ridethrough survival --max D",
                self.survival.is_some(),
            ),
            (
                "--threads",
                "ridethrough mc --threads N",
                self.threads.is_some(),
            ),
            (
                "--target-se",
                "ridethrough mc --target-se X",
                self.target_se.is_some(),
            ),
            (
                "--per-sample",
                "ridethrough mc --per-sample FILE",
                self.per_sample.is_some(),
            ),
        ]
        .into_iter()
        .find(|&(_, _, given)| given)
        .map(|(flag, now, _)| (flag, now))
    }
}
