//! The reserve-versus-value frontier: reliability against value, one point per SoC reserve.

use super::{
    render, render_svg, trim, DrawResult, Figure, PlotError, BLUE, FAMILY, GREY, LABEL_PX, TICK_PX,
    TITLE_PX, Z_95,
};
use crate::studies::frontier::Frontier;
use crate::studies::stats::Estimate;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Draws the frontier of [`studies::frontier`](crate::studies::frontier): the value of the
/// battery's dispatch ($/yr saved against the battery idle) on the x axis against, on the y
/// axis, P(survive a D-hour outage) (%) when the sweep estimated it, else EUE (MWh/yr); one point
/// per reserve, labelled with the reserve, joined in the sweep's order, with 95 % error bars
/// (± 1.96 standard errors) both ways. The title names the samples and the policy.
///
/// # Errors
/// [`PlotError::UnsupportedFormat`] for a path that does not end in `.svg` or `.png`,
/// [`PlotError::Empty`] for a frontier without points, [`PlotError::Io`] naming the file when it
/// cannot be written, [`PlotError::Draw`] if the plotting library fails.
pub fn frontier(f: &Frontier, path: impl AsRef<Path>) -> Result<(), PlotError> {
    let path = path.as_ref();
    super::Format::from_path(path)?;
    render(&figure(f)?, path)
}

/// [`frontier`] as SVG text in memory (errors name the chart `frontier.svg`).
///
/// # Errors
/// As [`frontier`], without the file's.
pub fn frontier_svg(f: &Frontier) -> Result<String, PlotError> {
    render_svg(&figure(f)?, Path::new("frontier.svg"))
}

/// One point: x and y estimates, and its label.
struct Point {
    x: Estimate,
    y: Estimate,
    label: String,
}

struct FrontierFigure {
    points: Vec<Point>,
    title: String,
    y_desc: String,
    x_desc: &'static str,
    /// The corner the trade-off leaves empty: more reserve moves a point towards less value
    /// and more survival (upper left) or less EUE (lower left), so the free corner is the
    /// upper right for survival and the lower right for EUE.
    legend: SeriesLabelPosition,
}

fn figure(f: &Frontier) -> Result<FrontierFigure, PlotError> {
    if f.points.is_empty() {
        return Err(PlotError::Empty { what: "frontier" });
    }
    let survival = f
        .survive_hours
        .filter(|_| f.points.iter().all(|p| p.survival.is_some()));
    let big = f
        .points
        .iter()
        .any(|p| p.value_usd_per_year.mean.abs() >= 10_000.0);
    let (x_scale, x_desc): (f64, &'static str) = if big {
        (
            1_000.0,
            "value: saved against the battery idle (thousand $/yr)",
        )
    } else {
        (1.0, "value: saved against the battery idle ($/yr)")
    };
    let points = f
        .points
        .iter()
        .map(|p| Point {
            x: p.value_usd_per_year.scaled(1.0 / x_scale),
            y: match (survival, p.survival) {
                (Some(_), Some(s)) => s.scaled(100.0),
                _ => p.eue_mwh,
            },
            label: format!("{} %", trim(100.0 * p.reserve, 1)),
        })
        .collect();
    let (title, y_desc) = match survival {
        Some(d) => (
            format!(
                "Reserve vs value: P(survive a {} h outage) against $/yr, {} samples, {}",
                trim(d, 2),
                f.samples,
                f.policy
            ),
            format!("P(survive a {} h outage) (%)", trim(d, 2)),
        ),
        None => (
            format!(
                "Reserve vs value: unserved energy against $/yr, {} samples, {}",
                f.samples, f.policy
            ),
            "EUE: expected unserved energy (MWh/yr)".to_string(),
        ),
    };
    Ok(FrontierFigure {
        points,
        title,
        y_desc,
        x_desc,
        legend: if survival.is_some() {
            SeriesLabelPosition::UpperRight
        } else {
            SeriesLabelPosition::LowerRight
        },
    })
}

/// `(lo, hi)` of a range holding every `mean ± 1.96·se`, padded by 8 % (a flat range gets ±1).
fn span(values: impl Iterator<Item = Estimate>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for e in values {
        lo = lo.min(e.mean - Z_95 * e.se);
        hi = hi.max(e.mean + Z_95 * e.se);
    }
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    let pad = if hi > lo {
        0.08 * (hi - lo)
    } else {
        lo.abs().max(1.0) * 0.1
    };
    (lo - pad, hi + pad)
}

impl Figure for FrontierFigure {
    fn size(&self) -> (u32, u32) {
        (1200, 800)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (x0, x1) = span(self.points.iter().map(|p| p.x));
        let (y0, y1) = span(self.points.iter().map(|p| p.y));
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FAMILY, TITLE_PX))
            .margin(15)
            .margin_right(40)
            .x_label_area_size(60)
            .y_label_area_size(100)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        let number = |v: &f64| trim(*v, 2);
        chart
            .configure_mesh()
            .x_label_formatter(&number)
            .y_label_formatter(&number)
            .x_desc(self.x_desc)
            .y_desc(self.y_desc.as_str())
            .label_style((FAMILY, TICK_PX))
            .axis_desc_style((FAMILY, LABEL_PX))
            .draw()?;
        let bars = GREY.stroke_width(2);
        // Error bars as two segments per point (plotters' ErrorBar needs a feature we leave
        // off): vertical for y, horizontal for x.
        chart
            .draw_series(self.points.iter().map(|p| {
                PathElement::new(
                    vec![
                        (p.x.mean, p.y.mean - Z_95 * p.y.se),
                        (p.x.mean, p.y.mean + Z_95 * p.y.se),
                    ],
                    bars,
                )
            }))?
            .label("95 % interval (± 1.96 standard errors, both axes)")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], bars));
        chart.draw_series(self.points.iter().map(|p| {
            PathElement::new(
                vec![
                    (p.x.mean - Z_95 * p.x.se, p.y.mean),
                    (p.x.mean + Z_95 * p.x.se, p.y.mean),
                ],
                bars,
            )
        }))?;
        chart
            .draw_series(LineSeries::new(
                self.points.iter().map(|p| (p.x.mean, p.y.mean)),
                BLUE.stroke_width(2),
            ))?
            .label("one point per SoC reserve (labelled), in the sweep's order")
            .legend(|(x, y)| Circle::new((x + 10, y), 5, BLUE.filled()));
        chart.draw_series(
            self.points
                .iter()
                .map(|p| Circle::new((p.x.mean, p.y.mean), 6, BLUE.filled())),
        )?;
        chart.draw_series(self.points.iter().map(|p| {
            EmptyElement::at((p.x.mean, p.y.mean))
                + Text::new(
                    format!("reserve {}", p.label),
                    (10, -22),
                    (FAMILY, TICK_PX).into_font(),
                )
        }))?;
        super::legend(&mut chart, self.legend.clone())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_span_holds_every_interval() {
        let e = |mean, se| Estimate { mean, se, n: 10 };
        let (lo, hi) = span([e(1.0, 0.5), e(4.0, 0.0)].into_iter());
        assert!(lo < 1.0 - Z_95 * 0.5 && hi > 4.0);
        let (lo, hi) = span([e(3.0, 0.0)].into_iter());
        assert!(lo < 3.0 && hi > 3.0);
    }
}
