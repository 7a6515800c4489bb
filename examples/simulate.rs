//! Runs a scenario file and prints its report: the main job of the crate.
//!
//! ```text
//! cargo run --release --example simulate                       # the embedded default scenario
//! cargo run --release --example simulate -- examples/scenarios/colossus_150mw.toml
//! cargo run --release --example simulate -- SCENARIO.toml --json report.json --trace steps.csv
//! cargo run --release --example simulate -- --samples 2000 --step 1h --survival 96h
//! ```
//!
//! With no scenario it runs the embedded default (the 10,000-GPU Austin cluster with Megapacks,
//! a year at 1-minute steps). `--json FILE` writes the report as JSON; `--trace FILE` streams the
//! per-step CSV in bounded memory. Bad input exits non-zero with the typed error's message.
//!
//! `--samples N` switches to Monte Carlo: N sampled horizons (`--threads`, a progress bar,
//! `--target-se` for early stopping), printed as reliability indices with standard errors;
//! `--json` then writes the indices, `--per-sample FILE` one CSV row per sample (each with the
//! seed that replays it). `--survival D` adds an outage survival sweep (outages of up
//! to D from every step of the normal run). `--step` overrides the scenario's time step (e.g.
//! `1h` for fast Monte Carlo).
//!
//! Before exiting, the example checks the physical facts the report shows: the energy balance
//! closed every step, the SoC stayed in its window, the unserved energy equals the sum over the
//! loss-of-load events, and the energy flows add up over the run; in Monte Carlo mode, that the
//! indices are consistent (LOLP by hour sums to LOLE, quantiles are ordered).

use clap::Parser;
use ridethrough::prelude::*;
use ridethrough::studies::montecarlo::{self, McConfig};
use ridethrough::studies::survival::{self, SurvivalConfig};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(about = "Simulate a datacenter site with grid feed and Megapack fleet")]
struct Args {
    /// Scenario file (.toml or .json); the embedded default when omitted.
    scenario: Option<PathBuf>,
    /// Write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Stream the per-step trace as CSV to this file.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Override the scenario's time step (e.g. 1h).
    #[arg(long)]
    step: Option<Duration>,
    /// Monte Carlo: run this many sampled horizons.
    #[arg(long)]
    samples: Option<u64>,
    /// Monte Carlo worker threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Monte Carlo: stop early once EUE's relative standard error is at most this.
    #[arg(long)]
    target_se: Option<f64>,
    /// Monte Carlo: write one CSV row per sample (index, seed, unserved energy, LOL hours, …).
    #[arg(long)]
    per_sample: Option<PathBuf>,
    /// Outage survival sweep: outages of up to this long from every step (e.g. 96h).
    #[arg(long)]
    survival: Option<Duration>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut scenario = match &args.scenario {
        Some(path) => Scenario::load(path)?,
        None => Scenario::default_scenario()?,
    };
    if let Some(step) = args.step {
        scenario.time.step = step;
    }
    let seed = args.seed.unwrap_or(scenario.seed);
    let study = scenario.clone().validate()?;
    let site = study.site();
    if let Some(name) = &scenario.name {
        println!("scenario: {name}");
    }
    if let Some(samples) = args.samples {
        return monte_carlo(args, &scenario, site, samples, seed);
    }
    let started = std::time::Instant::now();
    let mut sim = site.simulate(scenario.policy, seed);
    match &args.trace {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            let mut csv = CsvRecorder::new(file);
            sim.run(&mut csv);
            csv.finish()
                .map_err(|e| format!("writing {}: {e}", path.display()))?;
        }
        None => {
            sim.run(&mut ());
        }
    }
    let elapsed = started.elapsed();
    let report = sim.report();
    print!("{report}");
    println!(
        "simulated {} steps in {:.3} s ({:.1} M steps/s)",
        report.steps_done,
        elapsed.as_secs_f64(),
        report.steps_done as f64 / elapsed.as_secs_f64() / 1e6
    );
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("report written to {}", path.display());
    }
    check_physics(site, &report);
    if let Some(d) = args.survival {
        survival_table(site, &scenario, seed, d)?;
    }
    Ok(())
}

fn monte_carlo(
    args: &Args,
    scenario: &Scenario,
    site: &Site,
    samples: u64,
    seed: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut cfg = McConfig::new(samples, seed);
    cfg.threads = args.threads;
    cfg.target_relative_se = args.target_se;
    cfg.min_samples = samples.min(1_000);
    cfg.keep_samples = args.per_sample.is_some();
    let bar = indicatif::ProgressBar::new(samples);
    bar.set_style(indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} samples, {elapsed_precise} elapsed, ETA {eta} {msg}",
    )?);
    if std::env::var_os("CI").is_some() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let started = std::time::Instant::now();
    let result = montecarlo::run(site, &scenario.policy, &cfg, &|p| {
        bar.set_position(p.done);
        bar.set_message(format!(
            "EUE {:.3} ± {:.3} MWh",
            p.eue_mwh.mean, p.eue_mwh.se
        ));
    })?;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let ix = &result.indices;
    print!("{ix}");
    println!(
        "{} samples × {} steps in {:.2} s ({:.1} M sample-steps/s){}",
        ix.samples,
        site.time.steps(),
        elapsed,
        ix.samples as f64 * site.time.steps() as f64 / elapsed / 1e6,
        if result.stopped_early {
            ", stopped at the target standard error"
        } else {
            ""
        }
    );
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&result)?)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("indices written to {}", path.display());
    }
    if let (Some(path), Some(rows)) = (&args.per_sample, &result.samples) {
        let mut w = csv::Writer::from_path(path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        for row in rows {
            w.serialize(row)?;
        }
        w.flush()?;
        println!(
            "{} per-sample rows written to {}",
            rows.len(),
            path.display()
        );
        let mean = rows.iter().map(|r| r.unserved_mwh).sum::<f64>() / rows.len() as f64;
        assert!(
            (mean - ix.eue_mwh.mean).abs() <= 1e-9 * mean.max(1.0),
            "per-sample rows add up to EUE"
        );
    }
    // Consistency of the indices.
    let by_hour: f64 =
        ix.lolp_by_hour.iter().map(|e| e.mean).sum::<f64>() * site.time.steps() as f64 / 24.0
            * site.time.step_hours().value();
    if site.time.horizon().as_millis() % 86_400_000 == 0
        && site.time.step().as_millis() <= 3_600_000
    {
        assert!(
            (by_hour - ix.lole_hours.mean).abs() <= 1e-6 * ix.lole_hours.mean.max(1.0),
            "LOLP by hour ({by_hour}) must add up to LOLE ({})",
            ix.lole_hours.mean
        );
    }
    assert!(ix.unserved_p50_mwh.mean <= ix.unserved_p99_mwh.mean);
    assert!(ix.eue_mwh.mean >= 0.0 && ix.lole_hours.mean >= 0.0);
    println!("index checks passed: LOLP by hour adds up to LOLE, quantiles ordered");
    if let Some(d) = args.survival {
        survival_table(site, scenario, seed, d)?;
    }
    Ok(())
}

fn survival_table(
    site: &Site,
    scenario: &Scenario,
    seed: u64,
    max: Duration,
) -> Result<(), Box<dyn std::error::Error>> {
    let started = std::time::Instant::now();
    let curve = survival::sweep(site, &scenario.policy, seed, &SurvivalConfig::new(max))?;
    print!("{curve}");
    println!(
        "  by month (mean h): {}",
        curve
            .by_month
            .iter()
            .map(|m| format!("{:.1}", m.mean_hours))
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("survival sweep in {:.3} s", started.elapsed().as_secs_f64());
    assert!(curve.probability.windows(2).all(|w| w[0].1 >= w[1].1));
    Ok(())
}

/// Asserts the physical facts the report shows.
fn check_physics(site: &Site, r: &Report) {
    const BALANCE_MW: f64 = 1e-6;
    const ENERGY_REL: f64 = 1e-9;
    let t = &r.totals;
    assert_eq!(r.steps_done, site.time.steps(), "the whole horizon ran");
    assert!(
        t.max_balance_residual_mw < BALANCE_MW,
        "energy balance residual {} MW",
        t.max_balance_residual_mw
    );
    let scale = t.facility_mwh.max(1.0);
    // Bus: import + discharge + unserved = facility + aux + charge + export.
    let bus = t.import_mwh + t.discharge_mwh + t.unserved_mwh
        - (t.facility_mwh + t.aux_mwh + t.charge_mwh + t.export_mwh + t.curtailment_mwh);
    assert!(
        bus.abs() < ENERGY_REL * scale,
        "bus energy residual {bus} MWh"
    );
    // Storage: what went in minus what came out equals the change in stored energy.
    let cap = r.site.battery_capacity_mwh;
    let stored_change = (r.soc.last - r.soc.initial) * cap;
    let flows = t.charge_mwh - t.discharge_mwh - r.battery_losses_mwh;
    assert!(
        (stored_change - flows).abs() < ENERGY_REL * scale.max(cap) * 10.0,
        "storage energy residual {} MWh",
        stored_change - flows
    );
    let (lo, hi) = site.battery.soc_window();
    assert!(r.soc.min >= lo.value() - 1e-12 && r.soc.last <= hi.value() + 1e-12);
    let events: f64 = r.loss_of_load.iter().map(|e| e.unserved_mwh).sum();
    assert!((events - t.unserved_mwh).abs() < ENERGY_REL * scale + 1e-9);
    println!("physics checks passed: balance closed every step (max residual {:.2e} MW), SoC within its window", t.max_balance_residual_mw);
}
