//! The distribution of unserved energy per sample, with its tail marked.

use super::{
    render, render_svg, trim, DrawResult, Figure, PlotError, BLUE, FAMILY, GREY, LABEL_PX, ORANGE,
    PURPLE, RED, TICK_PX, TITLE_PX,
};
use crate::studies::montecarlo::McResult;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Bars of the histogram.
const BINS: usize = 40;

/// Draws the distribution of unserved energy per sample (per sample-year in the bundled
/// scenarios) of a Monte Carlo study: a histogram of the samples that lost load, as a share of
/// all samples, with the samples that lost none counted in the legend, and vertical lines at
/// the study's P90, P99 and CVaR 95 % ([`Indices`](crate::studies::montecarlo::Indices)'
/// `unserved_p90_mwh`, `unserved_p99_mwh`, `unserved_cvar95_mwh`, from its log-binned histogram,
/// ≈2.3 % resolution) and the mean (EUE).
///
/// `result` must come from a study run with
/// [`McConfig::keep_samples`](crate::studies::montecarlo::McConfig::keep_samples), whose
/// per-sample summaries the histogram counts.
///
/// # Errors
/// [`PlotError::UnsupportedFormat`] for a path that does not end in `.svg` or `.png`,
/// [`PlotError::NoSamples`] without per-sample summaries, [`PlotError::Empty`] when they are
/// empty, [`PlotError::Io`] naming the file when it cannot be written, [`PlotError::Draw`] if the
/// plotting library fails.
pub fn unserved_distribution(result: &McResult, path: impl AsRef<Path>) -> Result<(), PlotError> {
    let path = path.as_ref();
    super::Format::from_path(path)?;
    render(&figure(result)?, path)
}

/// [`unserved_distribution`] as SVG text in memory (errors name the chart
/// `unserved_distribution.svg`).
///
/// # Errors
/// As [`unserved_distribution`], without the file's.
pub fn unserved_distribution_svg(result: &McResult) -> Result<String, PlotError> {
    render_svg(&figure(result)?, Path::new("unserved_distribution.svg"))
}

/// The figure of [`unserved_distribution`].
fn figure(result: &McResult) -> Result<Distribution, PlotError> {
    let samples = result.samples.as_ref().ok_or(PlotError::NoSamples)?;
    if samples.is_empty() {
        return Err(PlotError::Empty {
            what: "the per-sample summaries",
        });
    }
    let ix = &result.indices;
    let values: Vec<f64> = samples.iter().map(|s| s.unserved_mwh).collect();
    Ok(Distribution {
        values,
        markers: [
            ("EUE (mean)", ix.eue_mwh.mean, GREY),
            ("P90", ix.unserved_p90_mwh.mean, ORANGE),
            ("P99", ix.unserved_p99_mwh.mean, RED),
            ("CVaR 95 %", ix.unserved_cvar95_mwh.mean, PURPLE),
        ],
    })
}

struct Distribution {
    /// Unserved energy of each sample, MWh.
    values: Vec<f64>,
    /// Vertical lines: name, MWh, colour.
    markers: [(&'static str, f64, RGBColor); 4],
}

/// Below this a sample's unserved energy is rounding, not loss of load (MWh).
const ZERO_MWH: f64 = 1e-9;

impl Figure for Distribution {
    fn size(&self) -> (u32, u32) {
        (1200, 800)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let n = self.values.len();
        let lost: Vec<f64> = self
            .values
            .iter()
            .copied()
            .filter(|&v| v > ZERO_MWH)
            .collect();
        let top = lost
            .iter()
            .copied()
            .chain(self.markers.iter().map(|m| m.1))
            .fold(0.0, f64::max);
        let x_max = if top > 0.0 { top * 1.05 } else { 1.0 };
        let width = x_max / BINS as f64;
        let mut counts = [0usize; BINS];
        for &v in &lost {
            counts[((v / width) as usize).min(BINS - 1)] += 1;
        }
        let share = |c: usize| 100.0 * c as f64 / n as f64;
        let y_max = counts.iter().map(|&c| share(c)).fold(0.0, f64::max);
        let y_max = if y_max > 0.0 { y_max * 1.6 } else { 1.0 };
        let title = format!("Unserved energy per sample: distribution over {n} samples");
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FAMILY, TITLE_PX))
            .margin(15)
            .margin_right(40)
            .x_label_area_size(60)
            .y_label_area_size(90)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
        let number = |v: &f64| trim(*v, 2);
        chart
            .configure_mesh()
            .x_label_formatter(&number)
            .y_label_formatter(&number)
            .x_desc("unserved energy per sample (MWh)")
            .y_desc("share of samples (%)")
            .label_style((FAMILY, TICK_PX))
            .axis_desc_style((FAMILY, LABEL_PX))
            .draw()?;
        let no_loss = n - lost.len();
        chart
            .draw_series(
                counts
                    .iter()
                    .enumerate()
                    .filter(|(_, &c)| c > 0)
                    .map(|(i, &c)| {
                        let x0 = i as f64 * width;
                        Rectangle::new([(x0, 0.0), (x0 + width, share(c))], BLUE.mix(0.6).filled())
                    }),
            )?
            .label(format!(
                "samples with loss of load ({} of {n}; {} with none, {} %)",
                lost.len(),
                no_loss,
                trim(share(no_loss), 1)
            ))
            .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], BLUE.mix(0.6).filled()));
        for &(name, mwh, colour) in &self.markers {
            chart
                .draw_series(LineSeries::new(
                    [(mwh, 0.0), (mwh, y_max)],
                    colour.stroke_width(3),
                ))?
                .label(format!("{name} = {} MWh", trim(mwh, 2)))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3))
                });
        }
        super::legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    }
}
