//! Loss-of-load probability by month × hour of day.

use super::{
    render, render_svg, trim, DrawResult, Figure, PlotError, Ticked, FAMILY, LABEL_PX, TICK_PX,
    TITLE_PX,
};
use crate::studies::montecarlo::Indices;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Draws the loss-of-load probability of a Monte Carlo study as a heat map: 12 rows (January at
/// the top) by 24 hours of day, each cell coloured by the share of that month's steps in that
/// hour with loss of load ([`Indices::lolp_by_month_hour`]), on a linear scale from white (0) to
/// dark red (the largest cell), with a colour bar in %. Cells with no loss of load in any sample
/// are light grey; a study with none at all says so in the title.
///
/// # Errors
/// [`PlotError::UnsupportedFormat`] for a path that does not end in `.svg` or `.png`,
/// [`PlotError::Empty`] when `indices` has no month × hour table (a result read from a file
/// written before it existed), [`PlotError::Io`] naming the file when it cannot be written,
/// [`PlotError::Draw`] if the plotting library fails.
pub fn lolp_heatmap(indices: &Indices, path: impl AsRef<Path>) -> Result<(), PlotError> {
    let path = path.as_ref();
    super::Format::from_path(path)?;
    render(&figure(indices)?, path)
}

/// [`lolp_heatmap`] as SVG text in memory (errors name the chart `lolp_heatmap.svg`).
///
/// # Errors
/// As [`lolp_heatmap`], without the file's.
pub fn lolp_heatmap_svg(indices: &Indices) -> Result<String, PlotError> {
    render_svg(&figure(indices)?, Path::new("lolp_heatmap.svg"))
}

/// The figure of [`lolp_heatmap`].
fn figure(indices: &Indices) -> Result<Heatmap, PlotError> {
    let table = &indices.lolp_by_month_hour;
    if table.len() != 12 || table.iter().any(|row| row.len() != 24) {
        return Err(PlotError::Empty {
            what: "the month × hour LOLP table",
        });
    }
    let cells: Vec<[f64; 24]> = table
        .iter()
        .map(|row| std::array::from_fn(|h| 100.0 * row[h].mean))
        .collect();
    Ok(Heatmap {
        cells,
        samples: indices.samples,
    })
}

struct Heatmap {
    /// LOLP (%) by month and hour.
    cells: Vec<[f64; 24]>,
    samples: u64,
}

/// Colour stops of the scale, from 0 to the largest cell.
const STOPS: [(f64, (u8, u8, u8)); 4] = [
    (0.0, (255, 255, 255)),
    (0.33, (254, 217, 118)),
    (0.66, (253, 141, 60)),
    (1.0, (165, 0, 38)),
];
/// A cell with no loss of load at all.
const NONE: RGBColor = RGBColor(236, 236, 236);

/// The colour of `t` in [0, 1] on the scale.
fn colour(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let i = STOPS.iter().rposition(|s| s.0 <= t).unwrap_or(0).min(2);
    let ((a, ca), (b, cb)) = (STOPS[i], STOPS[i + 1]);
    let u = ((t - a) / (b - a)).clamp(0.0, 1.0);
    let mix = |x: u8, y: u8| (f64::from(x) + u * (f64::from(y) - f64::from(x))).round() as u8;
    RGBColor(mix(ca.0, cb.0), mix(ca.1, cb.1), mix(ca.2, cb.2))
}

impl Figure for Heatmap {
    fn size(&self) -> (u32, u32) {
        (1300, 750)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let max = self.cells.iter().flatten().copied().fold(0.0, f64::max);
        let title = if max > 0.0 {
            format!(
                "Loss-of-load probability by month and hour of day ({} samples)",
                self.samples
            )
        } else {
            format!(
                "Loss-of-load probability by month and hour of day: none in {} samples",
                self.samples
            )
        };
        let body = root.titled(&title, (FAMILY, TITLE_PX))?;
        let w = body.dim_in_pixel().0;
        let (left, right) = body.split_horizontally(w - 170);
        let mut chart = ChartBuilder::on(&left)
            .margin(15)
            .x_label_area_size(60)
            .y_label_area_size(70)
            .build_cartesian_2d(
                Ticked {
                    range: 0.0..24.0,
                    ticks: (0..24).map(|h| f64::from(h) + 0.5).collect(),
                },
                Ticked {
                    range: 0.0..12.0,
                    ticks: (0..12).map(|m| f64::from(m) + 0.5).collect(),
                },
            )?;
        let hour = |x: &f64| trim(x.floor(), 0);
        let month = |y: &f64| MONTHS[11 - (y.floor() as usize).min(11)].to_string();
        chart
            .configure_mesh()
            .x_label_formatter(&hour)
            .y_label_formatter(&month)
            .x_desc("hour of day (scenario's local time, h)")
            .y_desc("month")
            .label_style((FAMILY, TICK_PX))
            .axis_desc_style((FAMILY, LABEL_PX))
            .disable_mesh()
            .draw()?;
        chart.draw_series(self.cells.iter().enumerate().flat_map(|(m, row)| {
            let y = 11.0 - m as f64;
            row.iter().enumerate().map(move |(h, &p)| {
                let fill = if p > 0.0 { colour(p / max) } else { NONE };
                let x = h as f64;
                Rectangle::new([(x, y), (x + 1.0, y + 1.0)], fill.filled())
            })
        }))?;
        // The colour bar.
        let top = if max > 0.0 { max } else { 1.0 };
        let mut bar = ChartBuilder::on(&right)
            .margin(15)
            .margin_top(40)
            .x_label_area_size(60)
            .y_label_area_size(90)
            .build_cartesian_2d(0.0..1.0, 0.0..top)?;
        bar.configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_desc("LOLP (% of steps)")
            .label_style((FAMILY, TICK_PX))
            .axis_desc_style((FAMILY, LABEL_PX))
            .draw()?;
        const BAR_STEPS: usize = 100;
        bar.draw_series((0..BAR_STEPS).map(|i| {
            let (a, b) = (
                i as f64 / BAR_STEPS as f64,
                (i + 1) as f64 / BAR_STEPS as f64,
            );
            Rectangle::new([(0.0, a * top), (1.0, b * top)], colour(a).filled())
        }))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_runs_from_white_to_dark_red() {
        assert_eq!(colour(0.0), RGBColor(255, 255, 255));
        assert_eq!(colour(1.0), RGBColor(165, 0, 38));
        assert_eq!(colour(2.0), RGBColor(165, 0, 38));
        // Monotone in red-to-dark: green falls all the way.
        let greens: Vec<u8> = (0..=20).map(|i| colour(f64::from(i) / 20.0).1).collect();
        assert!(greens.windows(2).all(|w| w[0] >= w[1]), "{greens:?}");
    }
}
