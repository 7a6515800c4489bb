//! Every chart of the `plot` module for the default scenario (the 10,000-GPU Austin cluster with
//! 16 Megapacks), as SVG and PNG, written to the directory given as the first argument
//! (default `target/plots`).
//!
//! ```text
//! cargo run --release --example plots [DIR]
//! ```
//!
//! 1. A single run of the default 1-minute year with a [`TraceRecorder`] (525,600 rows): the
//!    whole year (decimated to each pixel column's minimum and maximum) and a zoom on its
//!    longest grid outage.
//! 2. A survival sweep at hourly steps (outages of up to 24 h from every hour of the year).
//! 3. A Monte Carlo study of 400 sample-years at 1-minute steps, keeping the per-sample
//!    summaries: the LOLP heat map by month × hour of day and the distribution of unserved
//!    energy per year with P90, P99 and CVaR 95 %.
//!
//! It prints how long each chart took to draw and checks that every file exists and is not
//! empty, that each SVG is a whole document and each PNG starts with the PNG signature.

use ridethrough::plot::{self, PlotError};
use ridethrough::prelude::*;
use ridethrough::studies::montecarlo::{self, McConfig};
use ridethrough::studies::survival::{self, SurvivalConfig};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The first bytes of every PNG file.
const PNG_SIGNATURE: [u8; 8] = [137, 80, 78, 71, 13, 10, 26, 10];

/// Draws one chart as `DIR/name.svg` and `DIR/name.png`, prints the time each took and adds the
/// files to `written`.
fn both(
    dir: &Path,
    name: &str,
    written: &mut Vec<PathBuf>,
    draw: impl Fn(&Path) -> Result<(), PlotError>,
) -> Result<(), PlotError> {
    for ext in ["svg", "png"] {
        let path = dir.join(format!("{name}.{ext}"));
        let t = Instant::now();
        draw(&path)?;
        println!(
            "  {:<28} {:>7.1} ms",
            format!("{name}.{ext}"),
            t.elapsed().as_secs_f64() * 1e3
        );
        written.push(path);
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/plots".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let study = Scenario::default_scenario()?.validate()?;
    let time = *study.time();
    let mut written = Vec::new();

    // 1. One year at 1-minute steps, every row kept.
    let t = Instant::now();
    let mut trace = TraceRecorder::with_capacity(time.steps() as usize);
    let report = study.simulate().run(&mut trace).report();
    println!(
        "single run: {} rows in {:.2} s, {} grid outages",
        trace.rows.len(),
        t.elapsed().as_secs_f64(),
        report.grid_outages.len()
    );
    assert_eq!(trace.rows.len(), 525_600);
    both(&dir, "time_series", &mut written, |p| {
        plot::time_series(&trace.rows, &time, p)
    })?;
    let longest = report
        .grid_outages
        .iter()
        .max_by_key(|o| o.duration)
        .expect("the default year has a scheduled outage");
    both(&dir, "outage_zoom", &mut written, |p| {
        plot::outage_zoom(&trace.rows, &time, longest, p)
    })?;

    // 2. Survival at hourly steps.
    let hourly = Scenario::from_toml_str(
        &ridethrough::io::scenario::DEFAULT_SCENARIO_TOML.replace("step = \"1m\"", "step = \"1h\""),
    )?
    .validate()?;
    let t = Instant::now();
    let curve = survival::sweep(
        hourly.site(),
        hourly.policy(),
        hourly.seed(),
        &SurvivalConfig::new(Duration::from_hours(24)),
    )?;
    println!(
        "survival sweep: {} starts in {:.2} s",
        curve.starts.len(),
        t.elapsed().as_secs_f64()
    );
    both(&dir, "survival", &mut written, |p| {
        plot::survival(&curve, p)
    })?;

    // 3. Monte Carlo with the per-sample summaries kept.
    let t = Instant::now();
    let cfg = McConfig {
        keep_samples: true,
        ..McConfig::new(400, study.seed())
    };
    let mc = montecarlo::run(study.site(), study.policy(), &cfg, &|_| {})?;
    println!(
        "Monte Carlo: {} samples in {:.2} s, EUE {} MWh/yr",
        mc.indices.samples,
        t.elapsed().as_secs_f64(),
        mc.indices.eue_mwh
    );
    both(&dir, "lolp_heatmap", &mut written, |p| {
        plot::lolp_heatmap(&mc.indices, p)
    })?;
    both(&dir, "unserved_distribution", &mut written, |p| {
        plot::unserved_distribution(&mc, p)
    })?;

    // Check what was written.
    assert_eq!(written.len(), 10);
    for path in &written {
        let bytes = std::fs::read(path)?;
        assert!(!bytes.is_empty(), "{} is empty", path.display());
        if path.extension().is_some_and(|e| e == "png") {
            assert_eq!(bytes[..8], PNG_SIGNATURE, "{}", path.display());
        } else {
            let text = String::from_utf8(bytes)?;
            assert!(text.starts_with("<svg"), "{}", path.display());
            assert!(text.trim_end().ends_with("</svg>"), "{}", path.display());
        }
    }
    println!("{} charts in {}", written.len(), dir.display());
    Ok(())
}
