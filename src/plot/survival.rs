//! Survival probability against outage duration, with Wilson score bands.

use super::{
    render, render_svg, trim, DrawResult, Figure, PlotError, BLUE, FAMILY, LABEL_PX, TICK_PX,
    TITLE_PX,
};
use crate::studies::survival::SurvivalCurve;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The standard normal quantile of 97.5 %: a two-sided 95 % interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// The Wilson score interval `(low, high)` of a proportion `p` observed in `n` trials, at the
/// confidence of the normal quantile `z` ([`Z_95`] for 95 %). Unlike `p ± z·√(p(1−p)/n)` it stays
/// inside [0, 1] and does not collapse to a point at p = 0 or 1. With n = 0 it is (0, 1).
///
/// ```
/// use ridethrough::plot::{wilson_interval, Z_95};
/// let (lo, hi) = wilson_interval(0.0, 10, Z_95);
/// assert_eq!(lo, 0.0);
/// assert!((hi - 0.2775).abs() < 1e-4);
/// ```
pub fn wilson_interval(p: f64, n: u64, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n = n as f64;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).max(0.0).sqrt();
    // At p = 0 (or 1) the lower (upper) end is 0 (1) exactly; the formula gets it to rounding.
    let low = if p <= 0.0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let high = if p >= 1.0 {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (low, high)
}

/// Draws the probability that the site carries its load through an outage of at least `d`
/// hours, against `d` from 0 to the sweep's longest outage: the empirical survival function of
/// the hours survived from every start in `curve` (to the resolution of the sweep's steps, not
/// only at whole hours), with a 95 % Wilson score band around it, n = the number of starts.
///
/// The band is optimistic: consecutive starts share most of their outage window and the battery
/// state that precedes it, so they are strongly correlated, and the effective number of
/// independent trials is well below the number of starts. Read it as the sampling noise of the
/// sweep's arithmetic, not as the uncertainty of the site's survival (for that, run survival
/// sweeps over Monte Carlo samples).
///
/// # Errors
/// [`PlotError::UnsupportedFormat`] for a path that does not end in `.svg` or `.png`,
/// [`PlotError::Empty`] for a curve with no starts, [`PlotError::Io`] naming the file when it
/// cannot be written, [`PlotError::Draw`] if the plotting library fails.
pub fn survival(curve: &SurvivalCurve, path: impl AsRef<Path>) -> Result<(), PlotError> {
    let path = path.as_ref();
    super::Format::from_path(path)?;
    render(&figure(curve)?, path)
}

/// [`survival`] as SVG text in memory (errors name the chart `survival.svg`).
///
/// # Errors
/// As [`survival`], without the file's.
pub fn survival_svg(curve: &SurvivalCurve) -> Result<String, PlotError> {
    render_svg(&figure(curve)?, Path::new("survival.svg"))
}

/// The figure of [`survival`].
fn figure(curve: &SurvivalCurve) -> Result<SurvivalFigure, PlotError> {
    if curve.survived_hours.is_empty() {
        return Err(PlotError::Empty {
            what: "survival curve",
        });
    }
    let mut sorted = curve.survived_hours.clone();
    sorted.sort_by(f64::total_cmp);
    Ok(SurvivalFigure {
        sorted,
        max_hours: curve.max_hours.max(f64::MIN_POSITIVE),
    })
}

struct SurvivalFigure {
    /// Hours survived from each start, ascending.
    sorted: Vec<f64>,
    max_hours: f64,
}

impl SurvivalFigure {
    /// P(survived ≥ d).
    fn p(&self, d: f64) -> f64 {
        let below = self.sorted.partition_point(|&h| h < d);
        (self.sorted.len() - below) as f64 / self.sorted.len() as f64
    }
}

const BAND: RGBAColor = RGBAColor(31, 119, 180, 0.2);

impl Figure for SurvivalFigure {
    fn size(&self) -> (u32, u32) {
        (1200, 800)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let n = self.sorted.len() as u64;
        let title = format!(
            "Outage survival: P(carry the load through an outage of at least d hours), {n} starts"
        );
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FAMILY, TITLE_PX))
            .margin(15)
            .margin_right(40)
            .x_label_area_size(60)
            .y_label_area_size(90)
            .build_cartesian_2d(0.0..self.max_hours, 0.0..105.0)?;
        let number = |v: &f64| trim(*v, 2);
        chart
            .configure_mesh()
            .x_label_formatter(&number)
            .y_label_formatter(&number)
            .x_desc("outage duration d (h)")
            .y_desc("probability of survival (%)")
            .label_style((FAMILY, TICK_PX))
            .axis_desc_style((FAMILY, LABEL_PX))
            .draw()?;
        // One point per pixel column, plus the curve's own steps where they fall between.
        let width = chart.plotting_area().dim_in_pixel().0.max(2) as usize;
        let mut ds: Vec<f64> = (0..=width)
            .map(|i| self.max_hours * i as f64 / width as f64)
            .collect();
        if self.sorted.len() <= 4 * width {
            ds.extend(self.sorted.iter().copied().filter(|&h| h <= self.max_hours));
            ds.sort_by(f64::total_cmp);
            ds.dedup();
        }
        let band: Vec<(f64, f64, f64)> = ds
            .iter()
            .map(|&d| {
                let p = self.p(d);
                let (lo, hi) = wilson_interval(p, n, Z_95);
                (d, 100.0 * lo, 100.0 * hi)
            })
            .collect();
        let polygon: Vec<(f64, f64)> = band
            .iter()
            .map(|&(d, _, hi)| (d, hi))
            .chain(band.iter().rev().map(|&(d, lo, _)| (d, lo)))
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(polygon, BAND.filled())))?
            .label(format!(
                "95 % Wilson band (n = {n} starts; optimistic: starts are correlated)"
            ))
            .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], BAND.filled()));
        // The survival function is left-continuous and falls at each hour survived: draw it as
        // steps.
        let mut steps = Vec::with_capacity(2 * ds.len());
        for w in ds.windows(2) {
            let p = 100.0 * self.p(w[1]);
            steps.push((w[0], p));
            steps.push((w[1], p));
        }
        let median = self.sorted[self.sorted.len() / 2];
        chart
            .draw_series(LineSeries::new(steps, BLUE.stroke_width(3)))?
            .label(format!(
                "survival probability (median ride-through: {} h)",
                trim(median, 2)
            ))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(3)));
        super::legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tolerance of the interval's ends against the values worked by hand (4 decimals).
    const WILSON_TOL: f64 = 1e-4;

    #[test]
    fn wilson_interval_by_hand() {
        // p = 0.5, n = 100: 0.5 ± 0.0960/1.0384 around 0.5.
        let (lo, hi) = wilson_interval(0.5, 100, Z_95);
        assert!((lo - 0.4038).abs() < WILSON_TOL, "{lo}");
        assert!((hi - 0.5962).abs() < WILSON_TOL, "{hi}");
        // All successes: the upper end is 1 and the lower n/(n + z²).
        let (lo, hi) = wilson_interval(1.0, 10, Z_95);
        assert_eq!(hi, 1.0);
        assert!(
            (lo - 10.0 / (10.0 + Z_95 * Z_95)).abs() < WILSON_TOL,
            "{lo}"
        );
        assert_eq!(wilson_interval(0.3, 0, Z_95), (0.0, 1.0));
    }

    #[test]
    fn survival_function_counts_at_least() {
        let f = SurvivalFigure {
            sorted: vec![1.0, 2.0, 2.0, 4.0],
            max_hours: 4.0,
        };
        assert_eq!(f.p(0.0), 1.0);
        assert_eq!(f.p(2.0), 0.75);
        assert_eq!(f.p(2.5), 0.25);
        assert_eq!(f.p(4.0), 0.25);
        assert_eq!(f.p(4.5), 0.0);
    }
}
