//! A sizing search's index against the size evaluated ([`crate::studies::sizing`]): each size
//! with its 95 % error bar, the one-sided limit the search compared with the target, the target
//! and the answer; and a [`SizingTable`] as one line per generator count.

use super::{
    render, render_svg, trim, DrawResult, Figure, PlotError, Ticked, BLUE, FAMILY, GREEN, GREY,
    LABEL_PX, ORANGE, PURPLE, RED, TICK_PX, TITLE_PX, Z_95,
};
use crate::studies::sizing::{Answer, Dimension, Evaluation, Sizing, SizingTable, Target};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Draws the target's index against the size for every size a search evaluated (bisection's
/// few, or every size of a [`Search::Scan`](crate::studies::sizing::Search::Scan)): the
/// estimate with a two-sided 95 % error bar (± 1.96·SE, clipped to the index's range), filled
/// where the size meets the target and hollow where it does not; a short black dash at the
/// one-sided 95 % limit the search compared with the target (`estimate ± 1.645·SE`, or the
/// Wilson or rule-of-three bound of a rare-event target); the target as a dashed line; and the
/// answer as a vertical line. Probabilities are drawn in %.
///
/// ```
/// use ridethrough::plot;
/// use ridethrough::studies::sizing::{Answer, Dimension, Evaluation, Sizing, Target};
/// use ridethrough::studies::stats::Estimate;
/// let lole = Target::Lole { max_hours: 2.0 };
/// let at = |units, mean: f64| {
///     let estimate = Estimate { mean, se: 0.1, n: 1000 };
///     Evaluation { units, estimate, met: lole.is_met_by(&estimate) }
/// };
/// let s = Sizing {
///     target: lole,
///     over: Dimension::BatteryUnits,
///     evaluations: vec![at(40, 1.2), at(1, 9.0), at(20, 2.5), at(30, 1.7), at(29, 1.9)],
///     answer: Answer::Smallest { units: 30 },
///     violations: vec![],
/// };
/// let svg = plot::sizing_svg(&s)?;
/// assert!(svg.contains("answer: 30 battery units"));
/// # Ok::<(), ridethrough::plot::PlotError>(())
/// ```
///
/// # Errors
/// [`PlotError::UnsupportedFormat`] for a path that does not end in `.svg` or `.png`,
/// [`PlotError::Empty`] for a search with no evaluation, [`PlotError::Io`] naming the file when
/// it cannot be written, [`PlotError::Draw`] if the plotting library fails.
pub fn sizing(s: &Sizing, path: impl AsRef<Path>) -> Result<(), PlotError> {
    let path = path.as_ref();
    super::Format::from_path(path)?;
    render(&search_figure(s)?, path)
}

/// [`sizing`] as SVG text in memory (errors name the chart `sizing.svg`).
///
/// # Errors
/// As [`sizing`], without the file's.
pub fn sizing_svg(s: &Sizing) -> Result<String, PlotError> {
    render_svg(&search_figure(s)?, Path::new("sizing.svg"))
}

/// Draws a [`SizingTable`]: the index against battery units, one line per generator count (each
/// through the sizes its search evaluated, with 95 % error bars, filled where the size meets the
/// target), each row's answer ringed, and the target as a dashed line; the legend gives each
/// row's answer ("3 sets: 40 units").
///
/// # Errors
/// As [`sizing`]; [`PlotError::Empty`] for a table with no row or rows with no evaluation.
pub fn sizing_table(t: &SizingTable, path: impl AsRef<Path>) -> Result<(), PlotError> {
    let path = path.as_ref();
    super::Format::from_path(path)?;
    render(&table_figure(t)?, path)
}

/// [`sizing_table`] as SVG text in memory (errors name the chart `sizing_table.svg`).
///
/// # Errors
/// As [`sizing_table`], without the file's.
pub fn sizing_table_svg(t: &SizingTable) -> Result<String, PlotError> {
    render_svg(&table_figure(t)?, Path::new("sizing_table.svg"))
}

/// More colours for the table's rows, after the shared palette (Tableau 10's brown, pink, olive
/// and cyan).
const ROW_COLOURS: [RGBColor; 10] = [
    BLUE,
    ORANGE,
    GREEN,
    RED,
    PURPLE,
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    GREY,
];

/// One line of a chart: a search's evaluations in size order.
struct Line {
    label: String,
    colour: RGBColor,
    points: Vec<Evaluation>,
    /// The size that meets the target, if any.
    answer: Option<u32>,
}

/// What both charts draw.
struct SizingFigure {
    target: Target,
    over: Dimension,
    title: String,
    lines: Vec<Line>,
    /// One search: colour the points by whether they meet the target, draw the one-sided limits
    /// and the answer as a vertical line. A table: colour by row, ring each row's answer.
    single: bool,
    /// The answer's legend text (single search).
    answer_label: String,
}

/// The target's operator and the index's scale to the chart (100 for probabilities, in %) and
/// its unit there.
fn scale(target: &Target) -> (f64, &'static str) {
    match target {
        Target::Survival { .. } => (100.0, "% of starts"),
        Target::TransferDrop { .. } => (100.0, "% of samples"),
        _ => (1.0, target.index_name().1),
    }
}

/// `"LOLE ≤ 2 h per sample"`.
fn target_words(target: &Target) -> String {
    let (name, _) = target.index_name();
    let (k, unit) = scale(target);
    let op = if target.is_lower_bound() {
        "≥"
    } else {
        "≤"
    };
    format!("{name} {op} {} {unit}", trim(target.bound() * k, 4))
}

fn search_figure(s: &Sizing) -> Result<SizingFigure, PlotError> {
    if s.evaluations.is_empty() {
        return Err(PlotError::Empty {
            what: "sizing search",
        });
    }
    let (name, _) = s.target.index_name();
    let plural = s.over.plural();
    let (k, unit) = scale(&s.target);
    let outcome = match s.answer {
        Answer::Smallest { units } => format!("answer {units}"),
        Answer::AtLowerBound { units } => format!("answer {units} (the lower bound)"),
        Answer::NotMet { max_units } => format!("not met by {max_units}"),
    };
    let mut title = format!(
        "{name} against {plural}: target {}, {outcome}",
        target_words(&s.target)
    );
    if !s.violations.is_empty() {
        let n = s.violations.len();
        title += &format!(
            " (not monotone at {n} pair{})",
            if n == 1 { "" } else { "s" }
        );
    }
    let answer_label = match s.chosen() {
        Some(e) => format!(
            "answer: {} {plural} ({name} {} ± {} {unit})",
            e.units,
            trim(e.estimate.mean * k, 4),
            trim(e.estimate.se * k, 4)
        ),
        None => String::new(),
    };
    let n = s.evaluations[0].estimate.n;
    let basis = if s.target.is_monte_carlo() {
        format!("{n} samples per size")
    } else {
        format!("{n} starts per size")
    };
    Ok(SizingFigure {
        target: s.target,
        over: s.over,
        title,
        lines: vec![Line {
            label: format!("estimate ± 1.96·SE (95 %), {basis}"),
            colour: GREY,
            points: s.by_units(),
            answer: s.answer.units(),
        }],
        single: true,
        answer_label,
    })
}

fn table_figure(t: &SizingTable) -> Result<SizingFigure, PlotError> {
    if t.rows.is_empty() || t.rows.iter().any(|r| r.sizing.evaluations.is_empty()) {
        return Err(PlotError::Empty {
            what: "sizing table",
        });
    }
    let (name, _) = t.target.index_name();
    let (first, last) = (t.rows[0].sets, t.rows[t.rows.len() - 1].sets);
    let mut title = format!(
        "{name} against battery units with {first}–{last} generator sets: target {}",
        target_words(&t.target)
    );
    if !t.violations.is_empty() {
        let n = t.violations.len();
        title += &format!(
            " (more sets need more units at {n} row{})",
            if n == 1 { "" } else { "s" }
        );
    }
    let lines = t
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| Line {
            label: match r.sizing.answer {
                Answer::Smallest { units } => format!("{} sets: {units} units", r.sets),
                Answer::AtLowerBound { units } => {
                    format!("{} sets: {units} units (the lower bound)", r.sets)
                }
                Answer::NotMet { max_units } => {
                    format!("{} sets: more than {max_units} units", r.sets)
                }
            },
            colour: ROW_COLOURS[i % ROW_COLOURS.len()],
            points: r.sizing.by_units(),
            answer: r.sizing.answer.units(),
        })
        .collect();
    Ok(SizingFigure {
        target: t.target,
        over: Dimension::BatteryUnits,
        title,
        lines,
        single: false,
        answer_label: String::new(),
    })
}

/// Integer ticks at a step of 1, 2 or 5 × 10ᵏ, at most about a dozen, over `lo..=hi`.
fn integer_ticks(lo: u32, hi: u32) -> Vec<f64> {
    let span = u64::from(hi - lo).max(1);
    let mut step = 1u64;
    'search: for decade in [1u64, 10, 100, 1_000, 10_000, 100_000] {
        for m in [1, 2, 5] {
            step = m * decade;
            if span / step <= 12 {
                break 'search;
            }
        }
    }
    let first = u64::from(lo).div_ceil(step) * step;
    (first..=u64::from(hi))
        .step_by(step as usize)
        .map(|x| x as f64)
        .collect()
}

/// No element: a legend entry for marks drawn elsewhere.
fn legend_only() -> std::iter::Empty<PathElement<(f64, f64)>> {
    std::iter::empty()
}

/// Half the width of an error bar's caps, pixels, where the sizes are far apart (the limit's
/// dash is 3 px wider).
const CAP_PX: i32 = 6;
/// Radius of a size's marker, pixels.
const POINT_PX: i32 = 5;

impl Figure for SizingFigure {
    fn size(&self) -> (u32, u32) {
        (1200, 800)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let t = self.target;
        let (k, unit) = scale(&t);
        let (name, _) = t.index_name();
        let cap = if k == 100.0 { 100.0 } else { f64::INFINITY };
        // The 95 % bar of an evaluation, in chart units.
        let bar = |e: &Evaluation| {
            let (m, se) = (e.estimate.mean * k, e.estimate.se * k);
            ((m - Z_95 * se).max(0.0), m, (m + Z_95 * se).min(cap))
        };
        let limit = |e: &Evaluation| (t.confidence_limit(&e.estimate) * k).clamp(0.0, cap);
        let all = || self.lines.iter().flat_map(|l| l.points.iter());
        let lo = all().map(|e| e.units).min().unwrap_or(0);
        let hi = all().map(|e| e.units).max().unwrap_or(1).max(lo + 1);
        let pad = f64::from(hi - lo) * 0.04 + 0.5;
        let x_range = (f64::from(lo) - pad)..(f64::from(hi) + pad);
        let top = all()
            .map(|e| bar(e).2.max(limit(e)))
            .fold(t.bound() * k, f64::max);
        // Headroom for the legend above the curve (upper-bound indices fall to the right, and
        // the legend sits in the upper right); a probability stays within its 100 %.
        let y_max = if k == 100.0 {
            if t.is_lower_bound() {
                105.0
            } else {
                (top * 1.6).clamp(1e-3, 105.0)
            }
        } else if top > 0.0 {
            top * 1.6
        } else {
            1.0
        };
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FAMILY, TITLE_PX))
            .margin(15)
            .margin_right(40)
            .x_label_area_size(60)
            .y_label_area_size(90)
            .build_cartesian_2d(
                Ticked {
                    range: x_range.clone(),
                    ticks: integer_ticks(lo, hi),
                },
                0.0..y_max,
            )?;
        let number = |v: &f64| trim(*v, 3);
        chart
            .configure_mesh()
            .y_label_formatter(&number)
            .x_desc(self.over.plural())
            .y_desc(format!("{name} ({unit})"))
            .label_style((FAMILY, TICK_PX))
            .axis_desc_style((FAMILY, LABEL_PX))
            .draw()?;
        // Caps and dashes narrow when many sizes share the width (a long --scan).
        let px_per_size =
            f64::from(chart.plotting_area().dim_in_pixel().0) / (x_range.end - x_range.start);
        let dash_px = ((px_per_size * 0.3) as i32).clamp(2, CAP_PX + 3);
        let cap_px = dash_px.min(CAP_PX);
        let point_px = ((px_per_size * 0.35) as i32).clamp(2, POINT_PX);
        for line in &self.lines {
            let colour = line.colour;
            let width = if self.single { 1 } else { 2 };
            chart
                .draw_series(LineSeries::new(
                    line.points.iter().map(|e| (f64::from(e.units), bar(e).1)),
                    colour.stroke_width(width),
                ))?
                .label(line.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
            // Error bars: the vertical stroke and its two caps.
            chart.draw_series(line.points.iter().map(|e| {
                let (lo, _, hi) = bar(e);
                let x = f64::from(e.units);
                PathElement::new(vec![(x, lo), (x, hi)], colour.stroke_width(1))
            }))?;
            for end in [|b: (f64, f64, f64)| b.0, |b: (f64, f64, f64)| b.2] {
                chart.draw_series(line.points.iter().map(|e| {
                    EmptyElement::at((f64::from(e.units), end(bar(e))))
                        + PathElement::new(vec![(-cap_px, 0), (cap_px, 0)], colour.stroke_width(1))
                }))?;
            }
            if self.single {
                chart.draw_series(line.points.iter().map(|e| {
                    EmptyElement::at((f64::from(e.units), limit(e)))
                        + PathElement::new(vec![(-dash_px, 0), (dash_px, 0)], BLACK.stroke_width(3))
                }))?;
            }
            let point_colour = |e: &Evaluation| match (self.single, e.met) {
                (true, true) => GREEN,
                (true, false) => RED,
                (false, _) => colour,
            };
            chart.draw_series(line.points.iter().map(|e| {
                let c = point_colour(e);
                let style = if e.met { c.filled() } else { c.stroke_width(2) };
                EmptyElement::at((f64::from(e.units), bar(e).1))
                    + Circle::new((0, 0), point_px, style)
            }))?;
            if !self.single {
                if let Some(e) = line
                    .answer
                    .and_then(|u| line.points.iter().find(|e| e.units == u))
                {
                    chart.draw_series(std::iter::once(
                        EmptyElement::at((f64::from(e.units), bar(e).1))
                            + Circle::new((0, 0), 2 * point_px + 2, colour.stroke_width(3)),
                    ))?;
                }
            }
        }
        if self.single {
            chart
                .draw_series(legend_only())?
                .label("meets the target at the one-sided 95 % level")
                .legend(|(x, y)| Circle::new((x + 10, y), POINT_PX, GREEN.filled()));
            chart
                .draw_series(legend_only())?
                .label("does not meet it")
                .legend(|(x, y)| Circle::new((x + 10, y), POINT_PX, RED.stroke_width(2)));
            chart
                .draw_series(legend_only())?
                .label("one-sided 95 % limit, compared with the target")
                .legend(|(x, y)| {
                    PathElement::new(vec![(x + 1, y), (x + 19, y)], BLACK.stroke_width(3))
                });
        } else {
            chart
                .draw_series(legend_only())?
                .label("filled: meets the target at the one-sided 95 % level; ringed: the row's answer")
                .legend(|(x, y)| Circle::new((x + 10, y), POINT_PX, GREY.filled()));
        }
        // Orange beside one search's green and red; black beside a table's row colours.
        let target_colour = if self.single { ORANGE } else { BLACK };
        chart
            .draw_series(DashedLineSeries::new(
                [(x_range.start, t.bound() * k), (x_range.end, t.bound() * k)],
                10,
                6,
                target_colour.stroke_width(2),
            ))?
            .label(format!("target: {}", target_words(&t)))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], target_colour.stroke_width(2))
            });
        if self.single {
            if let Some(units) = self.lines[0].answer {
                let x = f64::from(units);
                chart
                    .draw_series(LineSeries::new(
                        [(x, 0.0), (x, y_max)],
                        PURPLE.stroke_width(2),
                    ))?
                    .label(self.answer_label.clone())
                    .legend(|(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], PURPLE.stroke_width(2))
                    });
            }
        }
        // Where the curve is not: a lower-bound index rises to the right.
        super::legend(
            &mut chart,
            if t.is_lower_bound() {
                SeriesLabelPosition::UpperLeft
            } else {
                SeriesLabelPosition::UpperRight
            },
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_ticks_are_round_and_few() {
        assert_eq!(integer_ticks(0, 4), [0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(
            integer_ticks(1, 400),
            [50.0, 100.0, 150.0, 200.0, 250.0, 300.0, 350.0, 400.0]
        );
        assert_eq!(integer_ticks(13, 13), [13.0]);
        assert!(integer_ticks(0, 100_000).len() <= 13);
    }
}
