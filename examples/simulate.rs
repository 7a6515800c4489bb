//! Runs a scenario file and prints its report: the main job of the crate.
//!
//! ```text
//! cargo run --release --example simulate                       # the embedded default scenario
//! cargo run --release --example simulate -- examples/scenarios/colossus_150mw.toml
//! cargo run --release --example simulate -- SCENARIO.toml --json report.json --trace steps.csv
//! ```
//!
//! With no scenario it runs the embedded default (the 10,000-GPU Austin cluster with Megapacks,
//! a year at 1-minute steps). `--json FILE` writes the report as JSON; `--trace FILE` streams the
//! per-step CSV in bounded memory. Bad input exits non-zero with the typed error's message.
//!
//! Before exiting, the example checks the physical facts the report shows: the energy balance
//! closed every step, the SoC stayed in its window, the unserved energy equals the sum over the
//! loss-of-load events, and the energy flows add up over the run.

use clap::Parser;
use ridethrough::prelude::*;
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
    let scenario = match &args.scenario {
        Some(path) => Scenario::load(path)?,
        None => Scenario::default_scenario()?,
    };
    let seed = args.seed.unwrap_or(scenario.seed);
    let site = scenario.site()?;
    if let Some(name) = &scenario.name {
        println!("scenario: {name}");
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
    check_physics(&site, &report);
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
