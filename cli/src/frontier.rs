//! `ridethrough frontier`: the reserve-versus-value sweep
//! ([`ridethrough::studies::frontier`]): for each SoC reserve of `--reserve`, Monte Carlo
//! reliability (LOLE, EUE, P(survive `--duration`)) and value ($/yr saved on the scenario's
//! tariff) ± standard errors, every reserve on the same samples; a table, `--json`, `--csv` and
//! a chart (`--plot FILE.svg|.png`).

use crate::error::CliError;
use crate::flags::Refusal;
use crate::output::{write_csv, write_json, Stdout};
use crate::progress::Bars;
use ridethrough::plot;
use ridethrough::prelude::*;
use ridethrough::studies::frontier::{
    self, Frontier, FrontierConfig, FrontierProgress, MAX_RESERVES,
};
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// What the command line asks of the sweep.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// The reserves, in order.
    pub reserves: Vec<f64>,
    /// Samples.
    pub samples: u64,
    /// The study's seed.
    pub seed: u64,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    /// D of P(survive D).
    pub duration: Option<Duration>,
    /// Forced outages per sample.
    pub starts: u64,
    /// Write the result as JSON here.
    pub json: Option<&'a Path>,
    /// Write the table as CSV here.
    pub csv: Option<&'a Path>,
    /// Draw the chart here (.svg or .png).
    pub plot: Option<&'a Path>,
}

/// The reserves of `--reserve`, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Reserves(pub Vec<f64>);

/// `--reserve`: `START:END:STEP` (both ends included, e.g. `0:0.8:0.1`), a comma-separated list
/// (`0.1,0.3,0.5`) or one value; each reserve `0 ≤ x ≤ 1`, at most [`MAX_RESERVES`] of them.
pub fn reserves(text: &str) -> Result<Reserves, Refusal> {
    let malformed = || {
        Refusal::Malformed(
            "not START:END:STEP (e.g. 0:0.8:0.1) or a list of fractions (e.g. 0.1,0.3)".into(),
        )
    };
    let number = |t: &str| t.trim().parse::<f64>().map_err(|_| malformed());
    let range = || {
        Refusal::OutOfRange(format!("reserves 0 ≤ x ≤ 1, at most {MAX_RESERVES} of them, a range's STEP > 0 and END ≥ START"))
    };
    let values: Vec<f64> = if text.contains(':') {
        let parts: Vec<&str> = text.split(':').collect();
        let [a, b, s] = parts[..] else {
            return Err(malformed());
        };
        let (a, b, s) = (number(a)?, number(b)?, number(s)?);
        if !(a.is_finite() && b.is_finite() && s.is_finite() && s > 0.0 && b >= a) {
            return Err(range());
        }
        // Whole steps from START, END included within a millionth of a step (decimal steps do
        // not add up exactly in binary); each value rounded to 12 decimals.
        let n = ((b - a) / s + 1e-6).floor();
        if n + 1.0 > MAX_RESERVES as f64 {
            return Err(range());
        }
        (0..=n as u64)
            .map(|i| ((a + i as f64 * s) * 1e12).round() / 1e12)
            .collect()
    } else {
        text.split(',').map(number).collect::<Result<_, _>>()?
    };
    if values.is_empty()
        || values.len() > MAX_RESERVES
        || values.iter().any(|r| !(0.0..=1.0).contains(r))
    {
        return Err(range());
    }
    Ok(Reserves(values))
}

/// `--starts`: 1 ≤ x ≤ [`frontier::MAX_OUTAGE_STARTS`].
pub fn starts(text: &str) -> Result<u64, Refusal> {
    match text.trim().parse::<i128>() {
        Ok(n) if (1..=i128::from(frontier::MAX_OUTAGE_STARTS)).contains(&n) => Ok(n as u64),
        Ok(_) => Err(Refusal::OutOfRange(format!(
            "1 ≤ x ≤ {}",
            frontier::MAX_OUTAGE_STARTS
        ))),
        Err(_) => Err(Refusal::Malformed("not a whole number".into())),
    }
}

/// Runs the sweep on `study`, prints the table, writes the JSON, CSV and chart asked for.
pub fn run(
    study: &Study,
    opts: &Options<'_>,
    bars: Bars,
    out: &mut Stdout,
) -> Result<(), CliError> {
    if let Some(path) = opts.plot {
        // Refuse a bad extension before the study runs.
        plot::Format::from_path(path)?;
    }
    let cfg = FrontierConfig {
        threads: opts.threads.unwrap_or(0),
        survive: opts.duration,
        outage_starts: opts.starts,
        ..FrontierConfig::new(opts.reserves.clone(), opts.samples, opts.seed)
    };
    let bar = bars.samples(opts.samples);
    bar.set_message(format!("× {} reserves", opts.reserves.len()));
    let started = Instant::now();
    let result = frontier::run(study, &cfg, &|p: &FrontierProgress| {
        bar.set_position(p.done);
    });
    bar.finish_and_clear();
    let result = result?;
    write!(out, "{result}")?;
    out.note(format_args!(
        "{} samples × {} reserves in {:.2} s",
        result.samples,
        result.points.len(),
        started.elapsed().as_secs_f64()
    ))?;
    if let Some(path) = opts.json {
        write_json(path, &result)?;
        out.note(format_args!("frontier written to {}", path.display()))?;
    }
    if let Some(path) = opts.csv {
        write_csv(path, &rows(&result))?;
        out.note(format_args!("table written to {}", path.display()))?;
    }
    if let Some(path) = opts.plot {
        plot::frontier(&result, path)?;
        out.note(format_args!("chart written to {}", path.display()))?;
    }
    Ok(())
}

/// A row of the CSV table: one reserve, every estimate as its mean and standard error.
#[derive(Debug, Serialize)]
struct Row {
    reserve: f64,
    lole_h_per_yr: f64,
    lole_se: f64,
    eue_mwh_per_yr: f64,
    eue_se: f64,
    survival: Option<f64>,
    survival_se: Option<f64>,
    value_usd_per_yr: f64,
    value_se: f64,
    energy_cost_usd_per_yr: f64,
    energy_cost_se: f64,
    demand_charges_usd_per_yr: f64,
    demand_charges_se: f64,
    value_minus_first_usd_per_yr: f64,
    value_minus_first_se: f64,
    eue_minus_first_mwh_per_yr: f64,
    eue_minus_first_se: f64,
    samples: u64,
}

fn rows(f: &Frontier) -> Vec<Row> {
    f.points
        .iter()
        .map(|p| Row {
            reserve: p.reserve,
            lole_h_per_yr: p.lole_hours.mean,
            lole_se: p.lole_hours.se,
            eue_mwh_per_yr: p.eue_mwh.mean,
            eue_se: p.eue_mwh.se,
            survival: p.survival.map(|s| s.mean),
            survival_se: p.survival.map(|s| s.se),
            value_usd_per_yr: p.value_usd_per_year.mean,
            value_se: p.value_usd_per_year.se,
            energy_cost_usd_per_yr: p.energy_cost_usd_per_year.mean,
            energy_cost_se: p.energy_cost_usd_per_year.se,
            demand_charges_usd_per_yr: p.demand_charges_usd_per_year.mean,
            demand_charges_se: p.demand_charges_usd_per_year.se,
            value_minus_first_usd_per_yr: p.value_difference_usd_per_year.mean,
            value_minus_first_se: p.value_difference_usd_per_year.se,
            eue_minus_first_mwh_per_yr: p.eue_difference_mwh.mean,
            eue_minus_first_se: p.eue_difference_mwh.se,
            samples: p.value_usd_per_year.n,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserves_parse_ranges_and_lists() {
        let r = reserves("0:0.8:0.1").unwrap();
        let r = r.0;
        assert_eq!(r.len(), 9);
        assert_eq!(r[3], 0.3);
        assert_eq!(r[8], 0.8);
        assert_eq!(reserves("0.1,0.5").unwrap().0, vec![0.1, 0.5]);
        assert_eq!(reserves("0.2").unwrap().0, vec![0.2]);
        for bad in ["0:1.2:0.1", "0:0.8:0", "0.8:0:0.1", "-0.1", "0:1:0.001"] {
            assert!(
                matches!(reserves(bad), Err(Refusal::OutOfRange(_))),
                "{bad}"
            );
        }
        for bad in ["a", "0:1", "0.1,,0.2", ""] {
            assert!(matches!(reserves(bad), Err(Refusal::Malformed(_))), "{bad}");
        }
    }
}
