//! A single run over time: state of charge, grid availability and power flows, over the whole
//! trace or around one grid outage.

use super::decimate::{columns, points};
use super::{
    render, render_svg, trim, DrawResult, Figure, PlotError, Ticked, BLUE, FAMILY, GREEN, GREY,
    LABEL_PX, ORANGE, PURPLE, RED, TICK_PX, TITLE_PX,
};
use crate::engine::report::{GridOutage, StepRecord};
use crate::time::TimeGrid;
use jiff::civil::DateTime;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Draws a single run's trace over its whole length: state of charge (%), grid availability
/// (% of the import limit) and the power flows (MW: the facility's demand with the battery's
/// auxiliary load, grid import, generator output when the trace has any, battery discharge and
/// unserved load), in three panels sharing a
/// time axis. The axis shows calendar dates when `time` has a calendar start, days from the
/// start of the run otherwise (hours for a trace of three days or less).
///
/// `rows` is a [`TraceRecorder`](crate::engine::recorder::TraceRecorder)'s rows on `time`
/// (consecutive steps, in order; any stretch of the horizon). Flows and availability are step
/// averages, drawn as steps; the state of charge is drawn at the end of each step. A trace with
/// more steps than half the chart's pixel columns is decimated to the minimum and maximum of
/// each series in each pixel column ([`decimate`](super::decimate)), drawn at the middle of the
/// steps where they occur: a 1-minute year (525,600 rows) draws as at most about 2,600 points
/// per series, with every spike and dip kept.
///
/// # Errors
/// [`PlotError::UnsupportedFormat`] for a path that does not end in `.svg` or `.png`,
/// [`PlotError::Empty`] for no rows, [`PlotError::Io`] naming the file when it cannot be
/// written, [`PlotError::Draw`] if the plotting library fails.
pub fn time_series(
    rows: &[StepRecord],
    time: &TimeGrid,
    path: impl AsRef<Path>,
) -> Result<(), PlotError> {
    let path = path.as_ref();
    super::Format::from_path(path)?;
    render(&whole_figure(rows, time)?, path)
}

/// [`time_series`] as SVG text in memory (errors name the chart `time_series.svg`).
///
/// # Errors
/// As [`time_series`], without the file's.
pub fn time_series_svg(rows: &[StepRecord], time: &TimeGrid) -> Result<String, PlotError> {
    render_svg(&whole_figure(rows, time)?, Path::new("time_series.svg"))
}

/// The panels of [`time_series`].
fn whole_figure<'a>(rows: &'a [StepRecord], time: &TimeGrid) -> Result<Panels<'a>, PlotError> {
    let (first, last) = match (rows.first(), rows.last()) {
        (Some(f), Some(l)) => (f, l),
        _ => return Err(PlotError::Empty { what: "trace" }),
    };
    let step_h = time.step_hours().value();
    let span_h = last.time_s / 3600.0 + step_h - first.time_s / 3600.0;
    let days = span_h / 24.0;
    let title = format!(
        "Single run over {}: state of charge, grid availability and power",
        if days >= 2.0 {
            format!("{} days", trim(days, 1))
        } else {
            format!("{} h", trim(span_h, 1))
        }
    );
    let axis = TimeAxis::whole(time, first.time_s / 3600.0, span_h);
    Ok(Panels {
        rows,
        step_h,
        axis,
        title,
        shade: None,
    })
}

/// Draws a single run's trace around one grid outage: the panels of [`time_series`], on a time
/// axis in hours from the outage's start, from half the outage's length (at least an hour)
/// before it to as long after it, with the outage shaded. The title gives the outage's start
/// (its calendar date when `time` has a calendar start), length, depth and whether the load was
/// carried through.
///
/// # Errors
/// As [`time_series`], and [`PlotError::OutageNotInTrace`] when no row of `rows` falls inside
/// the outage's steps.
pub fn outage_zoom(
    rows: &[StepRecord],
    time: &TimeGrid,
    outage: &GridOutage,
    path: impl AsRef<Path>,
) -> Result<(), PlotError> {
    let path = path.as_ref();
    super::Format::from_path(path)?;
    render(&zoom_figure(rows, time, outage)?, path)
}

/// [`outage_zoom`] as SVG text in memory (errors name the chart `outage_zoom.svg`).
///
/// # Errors
/// As [`outage_zoom`], without the file's.
pub fn outage_zoom_svg(
    rows: &[StepRecord],
    time: &TimeGrid,
    outage: &GridOutage,
) -> Result<String, PlotError> {
    render_svg(
        &zoom_figure(rows, time, outage)?,
        Path::new("outage_zoom.svg"),
    )
}

/// The panels of [`outage_zoom`].
fn zoom_figure<'a>(
    rows: &'a [StepRecord],
    time: &TimeGrid,
    outage: &GridOutage,
) -> Result<Panels<'a>, PlotError> {
    let (first, last) = match (rows.first(), rows.last()) {
        (Some(f), Some(l)) => (f.step, l.step),
        _ => return Err(PlotError::Empty { what: "trace" }),
    };
    if outage.start_step > last || outage.end_step <= first {
        return Err(PlotError::OutageNotInTrace {
            start_step: outage.start_step,
            end_step: outage.end_step,
            first_step: first,
            last_step: last,
        });
    }
    let step_ms = time.step().as_millis().max(1);
    let len = outage.end_step.saturating_sub(outage.start_step).max(1);
    let pad = (len / 2).max(3_600_000u64.div_ceil(step_ms)).max(2);
    let from = outage.start_step.saturating_sub(pad);
    let to = outage.end_step.saturating_add(pad);
    let lo = rows.partition_point(|r| r.step < from);
    let hi = rows.partition_point(|r| r.step < to);
    let window = &rows[lo..hi];
    let start_h = outage.start.hours().value();
    let dur_h = outage.duration.hours().value();
    let when = match time.start() {
        Some(_) => {
            let at = time
                .start_or_default()
                .checked_add(jiff::SignedDuration::from_millis(
                    i64::try_from(outage.start.as_millis()).unwrap_or(i64::MAX),
                ));
            at.map_or_else(
                |_| format!("{} h", trim(start_h, 2)),
                |d| d.strftime("%Y-%m-%d %H:%M").to_string(),
            )
        }
        None => format!("{} h into the run", trim(start_h, 2)),
    };
    let outcome = if outage.carried_through {
        "carried through".to_string()
    } else {
        format!("{} MWh unserved", trim(outage.unserved_mwh, 2))
    };
    let title = format!(
        "Grid outage at {when}: {} h, {} MW lost, {outcome}",
        trim(dur_h, 2),
        trim(outage.depth_mw, 1)
    );
    let first_h = window.first().map_or(start_h, |r| r.time_s / 3600.0);
    let last_h = window.last().map_or(start_h + dur_h, |r| {
        r.time_s / 3600.0 + time.step_hours().value()
    });
    let axis = TimeAxis {
        origin_h: start_h,
        per_unit_h: 1.0,
        range: (first_h - start_h)..(last_h - start_h),
        desc: "time from the outage's start (h)".into(),
        calendar: None,
    };
    Ok(Panels {
        rows: window,
        step_h: time.step_hours().value(),
        axis,
        title,
        shade: Some(0.0..dur_h),
    })
}

/// How hours from the start of the run map to the x axis and its labels.
struct TimeAxis {
    /// Hours from the start of the run at x = 0.
    origin_h: f64,
    /// Hours per x unit (1 or 24).
    per_unit_h: f64,
    /// The x range, in x units.
    range: std::ops::Range<f64>,
    /// The axis description, with its unit.
    desc: String,
    /// The calendar start and the label format, for date labels (x in hours from the start).
    calendar: Option<(DateTime, &'static str, Vec<f64>)>,
}

impl TimeAxis {
    /// The axis of a whole trace starting `from_h` hours into the run and `span_h` long.
    fn whole(time: &TimeGrid, from_h: f64, span_h: f64) -> TimeAxis {
        let range_h = from_h..from_h + span_h;
        if let Some(start) = time.start() {
            let (ticks, format) = calendar_ticks(start, range_h.clone());
            return TimeAxis {
                origin_h: 0.0,
                per_unit_h: 1.0,
                range: range_h,
                desc: "date (the scenario's calendar)".into(),
                calendar: Some((start, format, ticks)),
            };
        }
        let (per_unit_h, desc) = if span_h > 72.0 {
            (24.0, "time from the start of the run (days)")
        } else {
            (1.0, "time from the start of the run (h)")
        };
        TimeAxis {
            origin_h: 0.0,
            per_unit_h,
            range: range_h.start / per_unit_h..range_h.end / per_unit_h,
            desc: desc.into(),
            calendar: None,
        }
    }

    /// The x of a time `h` hours from the start of the run.
    fn x(&self, h: f64) -> f64 {
        (h - self.origin_h) / self.per_unit_h
    }

    fn ticks(&self) -> Vec<f64> {
        match &self.calendar {
            Some((_, _, ticks)) => ticks.clone(),
            None => nice_ticks(self.range.clone(), 10),
        }
    }

    fn label(&self, x: f64) -> String {
        match &self.calendar {
            Some((start, format, _)) => {
                let ms = (x * 3_600_000.0).round() as i64;
                start
                    .checked_add(jiff::SignedDuration::from_millis(ms))
                    .map_or_else(|_| trim(x, 1), |d| d.strftime(format).to_string())
            }
            None => trim(x, 2),
        }
    }
}

/// Round tick positions (1, 2 or 5 × 10^k apart) in `range`, at most about `max`.
fn nice_ticks(range: std::ops::Range<f64>, max: usize) -> Vec<f64> {
    let span = range.end - range.start;
    if span.is_nan() || span <= 0.0 {
        return vec![range.start];
    }
    let raw = span / max as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (range.start / step).ceil() as i64;
    let last = (range.end / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// Tick positions (hours from the start of the run) at round calendar times in `range_h`, and the
/// label format that suits their spacing: whole hours, days, weeks or months.
fn calendar_ticks(start: DateTime, range_h: std::ops::Range<f64>) -> (Vec<f64>, &'static str) {
    const MAX_TICKS: f64 = 10.0;
    let span = range_h.end - range_h.start;
    let midnight_h = {
        let t = start.time();
        f64::from(t.hour()) + f64::from(t.minute()) / 60.0 + f64::from(t.second()) / 3600.0
    };
    for (step_h, format) in [
        (1.0, "%m-%d %H:%M"),
        (2.0, "%m-%d %H:%M"),
        (3.0, "%m-%d %H:%M"),
        (6.0, "%m-%d %H:%M"),
        (12.0, "%m-%d %H:%M"),
        (24.0, "%Y-%m-%d"),
        (48.0, "%Y-%m-%d"),
        (168.0, "%Y-%m-%d"),
        (336.0, "%Y-%m-%d"),
    ] {
        if span / step_h <= MAX_TICKS {
            // Multiples of the step from the start's midnight.
            let first = ((range_h.start + midnight_h) / step_h).ceil() as i64;
            let last = ((range_h.end + midnight_h) / step_h).floor() as i64;
            let ticks = (first..=last)
                .map(|i| i as f64 * step_h - midnight_h)
                .collect();
            return (ticks, format);
        }
    }
    // Months: the first of every `every`-th month.
    let months = (span / (24.0 * 30.44)).ceil().max(1.0);
    let every = [1, 2, 3, 6, 12]
        .into_iter()
        .find(|&k| months / f64::from(k) <= MAX_TICKS)
        .unwrap_or(12);
    let mut ticks = Vec::new();
    let mut date = start.date().first_of_month();
    let mut i = 0;
    while let Ok(next) = date.checked_add(jiff::Span::new().months(1)) {
        let at = date.to_datetime(jiff::civil::Time::midnight());
        let h = start.duration_until(at).as_secs_f64() / 3600.0;
        if h > range_h.end {
            break;
        }
        if h >= range_h.start && (i32::from(date.month()) - 1) % every == 0 {
            ticks.push(h);
        }
        date = next;
        i += 1;
        if i > 12 * 1000 {
            break;
        }
    }
    (ticks, if every >= 12 { "%Y" } else { "%b %Y" })
}

/// The three-panel chart of a trace.
struct Panels<'a> {
    rows: &'a [StepRecord],
    step_h: f64,
    axis: TimeAxis,
    title: String,
    /// An interval (x units) to shade as the grid outage.
    shade: Option<std::ops::Range<f64>>,
}

/// The outage's shading.
const SHADE: RGBAColor = RGBAColor(214, 39, 40, 0.12);

/// Where a value belongs in its step.
#[derive(Clone, Copy)]
enum At {
    /// A step average: over the whole step (its middle, when decimated).
    Average,
    /// A state at the step's end.
    End,
}

/// One line: its legend name, colour, where in the step it is drawn, and its value.
type Line = (&'static str, RGBColor, At, fn(&StepRecord) -> f64);

impl Panels<'_> {
    /// Draws one panel with `lines` on `area`; `last` gets the time axis's description.
    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        y_desc: &str,
        y_range: std::ops::Range<f64>,
        lines: &[Line],
        last: bool,
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let axis = &self.axis;
        let mut chart = ChartBuilder::on(area)
            .margin(10)
            .margin_right(30)
            .x_label_area_size(if last { 60 } else { 30 })
            .y_label_area_size(90)
            .build_cartesian_2d(
                Ticked {
                    range: axis.range.clone(),
                    ticks: axis.ticks(),
                },
                y_range.clone(),
            )?;
        let label = |x: &f64| axis.label(*x);
        let y_label = |y: &f64| trim(*y, 1);
        let mut mesh = chart.configure_mesh();
        mesh.x_label_formatter(&label)
            .y_label_formatter(&y_label)
            .y_desc(y_desc)
            .label_style((FAMILY, TICK_PX))
            .axis_desc_style((FAMILY, LABEL_PX))
            .light_line_style(WHITE);
        if last {
            mesh.x_desc(axis.desc.as_str());
        }
        mesh.draw()?;
        let legend = lines.len() > 1;
        if let Some(shade) = &self.shade {
            let drawn = chart.draw_series(std::iter::once(Rectangle::new(
                [(shade.start, y_range.start), (shade.end, y_range.end)],
                SHADE.filled(),
            )))?;
            if legend {
                drawn
                    .label("grid outage")
                    .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], SHADE.filled()));
            }
        }
        let width = chart.plotting_area().dim_in_pixel().0.max(1) as usize;
        let mut values = Vec::with_capacity(self.rows.len());
        for &(name, color, at, value) in lines {
            values.clear();
            values.extend(self.rows.iter().map(value));
            let start = |i: usize| self.rows[i].time_s / 3600.0;
            let decimated = self.rows.len() > width / 2;
            let pts: Vec<(f64, f64)> = if !decimated {
                // Few steps: step averages held over their step, states at the step's end.
                match at {
                    At::Average => values
                        .iter()
                        .enumerate()
                        .flat_map(|(i, &v)| {
                            let t = start(i);
                            [(axis.x(t), v), (axis.x(t + self.step_h), v)]
                        })
                        .collect(),
                    At::End => values
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| (axis.x(start(i) + self.step_h), v))
                        .collect(),
                }
            } else {
                // More steps than pixels: each column's minimum and maximum, where they occur.
                let offset_h = match at {
                    At::Average => 0.5 * self.step_h,
                    At::End => self.step_h,
                };
                points(&columns(&values, width))
                    .into_iter()
                    .map(|(i, v)| (axis.x(start(i) + offset_h), v))
                    .collect()
            };
            // A decimated series turns back on itself in every column; plotters' bitmap backend
            // draws the joins of wide lines as unbounded miters, so it gets hairlines.
            let stroke = if decimated { 1 } else { 2 };
            chart
                .draw_series(LineSeries::new(pts, color.stroke_width(stroke)))?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
                });
        }
        if legend {
            super::legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    }
}

impl Figure for Panels<'_> {
    fn size(&self) -> (u32, u32) {
        (1400, 1000)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let body = root.titled(&self.title, (FAMILY, TITLE_PX))?;
        let h = body.dim_in_pixel().1;
        let (top, rest) = body.split_vertically(h * 30 / 100);
        let (middle, bottom) = rest.split_vertically(h * 22 / 100);
        let soc: [Line; 1] = [("state of charge", BLUE, At::End, |r| 100.0 * r.soc)];
        self.panel(&top, "state of charge (%)", 0.0..100.0, &soc, false)?;
        let avail: [Line; 1] = [("grid availability", GREEN, At::Average, |r| {
            100.0 * r.availability
        })];
        self.panel(
            &middle,
            "grid availability (% of import limit)",
            0.0..105.0,
            &avail,
            false,
        )?;
        let mut flows: Vec<Line> = vec![
            (
                "demand (facility + battery auxiliaries)",
                GREY,
                At::Average,
                |r| r.facility_mw + r.aux_mw,
            ),
            ("grid import", BLUE, At::Average, |r| r.import_mw),
        ];
        // Generator output (the curtailed part included), on a site whose sets ran in the
        // stretch drawn: who carried the load in an outage must be visible.
        if self.rows.iter().any(|r| r.generation_mw > 0.0) {
            flows.push(("generator output", PURPLE, At::Average, |r| r.generation_mw));
        }
        flows.push(("battery discharge", ORANGE, At::Average, |r| r.discharge_mw));
        flows.push(("unserved load", RED, At::Average, |r| r.unserved_mw));
        let peak = self
            .rows
            .iter()
            .map(|r| {
                (r.facility_mw + r.aux_mw)
                    .max(r.import_mw)
                    .max(r.generation_mw)
                    .max(r.discharge_mw)
                    .max(r.unserved_mw)
            })
            .fold(1.0, f64::max);
        // Headroom above the peak for the legend.
        self.panel(&bottom, "power (MW)", 0.0..peak * 1.45, &flows, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_are_round_and_inside() {
        let t = nice_ticks(0.0..365.0, 10);
        assert_eq!(t.first(), Some(&0.0));
        assert!(t.len() <= 11 && t.len() >= 5, "{t:?}");
        assert!(t.iter().all(|x| (0.0..=365.0).contains(x)));
        assert_eq!(nice_ticks(3.0..3.0, 10), vec![3.0]);
    }

    /// Tick positions are sums of a few hours and fractions of an hour (rounding only).
    const TICK_TOL_H: f64 = 1e-9;

    #[test]
    fn calendar_ticks_of_a_year_are_months() {
        let start = jiff::civil::date(2025, 1, 1).at(0, 0, 0, 0);
        let (ticks, format) = calendar_ticks(start, 0.0..8760.0);
        assert_eq!(format, "%b %Y");
        assert_eq!(ticks.first(), Some(&0.0));
        assert!(ticks.len() <= 10, "{ticks:?}");
        // A day from 06:30: ticks on whole hours of the calendar.
        let start = jiff::civil::date(2025, 3, 1).at(6, 30, 0, 0);
        let (ticks, format) = calendar_ticks(start, 0.0..24.0);
        assert_eq!(format, "%m-%d %H:%M");
        assert!(
            ticks.iter().all(|h| ((h + 6.5) % 3.0).abs() < TICK_TOL_H),
            "{ticks:?}"
        );
    }
}
