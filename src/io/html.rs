//! A study as one self-contained HTML page (feature `plots`): a planner can mail the file and
//! open it anywhere, offline.
//!
//! [`page`] lays out what a study produced ([`PageInputs`]: a single run with its trace, a
//! Monte Carlo result with its per-sample summaries and its [`SlaMetrics`], and a survival
//! curve)
//! as sections, each with an `id` ([`SECTION_IDS`]):
//!
//! * `summary`: the site (grid, battery, generators if any, load, policy, horizon, seed);
//! * `single-run`: the run's energy totals, grid outages, loss-of-load events and load dropped
//!   in transfer;
//! * `monte-carlo`: the reliability indices, mean ± standard error (LOLE, EUE, LOLP by month,
//!   quantiles, CVaR);
//! * `sla`: availability, nines, downtime per year, P(interruption), SAIFI and CAIDI;
//! * `survival`: P(ride through an outage of d hours);
//! * `charts`: the charts of [`crate::plot`] inlined as SVG (the run's trace, its longest grid
//!   outage, the survival curve, the LOLP month × hour heat map, the distribution of unserved
//!   energy per sample);
//! * `scenario`: the scenario text that produced the page, the overrides, the seed and the
//!   ridethrough version.
//!
//! The page needs no network and no JavaScript: the CSS is inline, the charts are inline SVG
//! (their namespace attribute dropped, which HTML does not need), and there is no `src`,
//! `href` to another document, `@import` or `url(...)`. Every string that can come from a user
//! (names, descriptions, the scenario text, paths, overrides, policy names) is escaped with
//! [`escape`].
//!
//! ```
//! use ridethrough::io::html::{self, PageInputs};
//! use ridethrough::prelude::*;
//! use ridethrough::studies::montecarlo::{self, McConfig};
//! use ridethrough::studies::survival;
//! let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML
//!     .replace("step = \"1m\"", "step = \"1h\"")
//!     .replace("horizon = \"365d\"", "horizon = \"14d\"")
//!     .replace("start = \"120d\"", "start = \"3d\"");
//! let study = Scenario::from_toml_str(&text)?.validate()?;
//! let mut trace = TraceRecorder::default();
//! let run = study.simulate().run(&mut trace).report();
//! let cfg = McConfig { keep_samples: true, ..McConfig::new(32, study.seed()) };
//! let mc = montecarlo::run(study.site(), study.policy(), &cfg, &|_| {})?;
//! let curve = survival::sweep(
//!     study.site(),
//!     study.policy(),
//!     study.seed(),
//!     &survival::SurvivalConfig::new(Duration::from_hours(12)),
//! )?;
//! let page = html::page(&PageInputs {
//!     study: &study,
//!     source: "the default scenario, 14 days",
//!     scenario_text: &text,
//!     overrides: &[],
//!     run: &run,
//!     trace: &trace.rows,
//!     monte_carlo: &mc,
//!     survival: &curve,
//! })?;
//! assert!(page.starts_with("<!DOCTYPE html>"));
//! assert!(html::SECTION_IDS.iter().all(|id| page.contains(&format!("id=\"{id}\""))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::engine::report::{Report, StepRecord};
use crate::engine::study::Study;
use crate::io::report::when;
use crate::plot::{self, PlotError};
use crate::studies::montecarlo::McResult;
use crate::studies::sla::{SlaFigure, SlaMetrics};
use crate::studies::stats::Estimate;
use crate::studies::survival::SurvivalCurve;
use std::fmt::Write as _;

/// The `id`s of the page's sections, in order.
pub const SECTION_IDS: [&str; 7] = [
    "summary",
    "single-run",
    "monte-carlo",
    "sla",
    "survival",
    "charts",
    "scenario",
];

/// Rows of an event table shown before "and N more".
const EVENTS_SHOWN: usize = 50;

/// The page's style sheet.
const CSS: &str = "
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #1f77b4; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f0f4f8; }
td.name, th.name { text-align: left; }
.meta { color: #555; }
.lost { color: #b00; font-weight: bold; }
figure { margin: 1.5em 0; }
figure svg { width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { color: #555; font-size: 0.9em; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 0.85em; }
nav a { margin-right: 1em; }
";

/// What the page shows.
#[derive(Debug, Clone, Copy)]
pub struct PageInputs<'a> {
    /// The validated scenario (its name, description and seed).
    pub study: &'a Study,
    /// Where the scenario came from (a file path, or a phrase such as "the embedded default").
    pub source: &'a str,
    /// The scenario text as read, before any override.
    pub scenario_text: &'a str,
    /// Overrides applied on top of the text (e.g. `--set battery.units=20`, `--step 1h`).
    pub overrides: &'a [String],
    /// The single run's report.
    pub run: &'a Report,
    /// The single run's trace (every step; the charts decimate it).
    pub trace: &'a [StepRecord],
    /// The Monte Carlo study, run with `keep_samples` (the distribution chart needs them); the
    /// page's SLA section shows its [`McResult::sla`].
    pub monte_carlo: &'a McResult,
    /// The outage survival sweep.
    pub survival: &'a SurvivalCurve,
}

/// `text` with `&`, `<`, `>`, `"` and `'` replaced by character references, safe in HTML text
/// and in quoted attribute values.
///
/// ```
/// assert_eq!(
///     ridethrough::io::html::escape("<b>\"A&B\"</b>"),
///     "&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;"
/// );
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The whole page, as HTML text.
///
/// # Errors
/// A [`PlotError`] if a chart cannot be drawn: [`PlotError::Empty`] for an empty trace or
/// survival curve, [`PlotError::NoSamples`] for a Monte Carlo result without per-sample
/// summaries.
pub fn page(p: &PageInputs<'_>) -> Result<String, PlotError> {
    let charts = charts(p)?;
    let mut h = String::with_capacity(64 * 1024 + charts.len());
    let title = match p.study.name() {
        Some(name) => format!("ridethrough report: {}", escape(name)),
        None => "ridethrough report".to_string(),
    };
    // `write!` into a String cannot fail; the results are ignored with `let _`.
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    );
    let _ = writeln!(
        h,
        "<p class=\"meta\">Scenario from {}; seed {}; ridethrough {}.</p>",
        escape(p.source),
        p.study.seed(),
        env!("CARGO_PKG_VERSION")
    );
    if let Some(d) = p.study.description() {
        let _ = writeln!(h, "<p>{}</p>", escape(d));
    }
    h.push_str("<nav>");
    for id in SECTION_IDS {
        let _ = write!(h, "<a href=\"#{id}\">{id}</a>");
    }
    h.push_str("</nav>\n");
    summary(&mut h, p);
    single_run(&mut h, p.run);
    monte_carlo(&mut h, p.monte_carlo);
    sla(&mut h, &p.monte_carlo.sla);
    survival(&mut h, p.survival);
    h.push_str(&charts);
    scenario(&mut h, p);
    h.push_str("</body>\n</html>\n");
    Ok(h)
}

/// A number to about four significant digits (scientific notation when very large or small).
fn num(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let mag = x.abs().log10().floor();
    if !(-3.0..6.0).contains(&mag) {
        return format!("{x:.3e}");
    }
    let decimals = (3.0 - mag).max(0.0) as usize;
    format!("{x:.decimals$}")
}

/// A duration in hours, to about four digits (`1.5 h`); events last to the millisecond.
fn hours(d: crate::units::Duration) -> String {
    format!("{} h", num(d.hours().value()))
}

/// `mean ± se` with the SE to the mean's decimals.
fn est(e: &Estimate) -> String {
    format!("{} ± {}", num(e.mean), num(e.se))
}

/// An SLA figure: `mean ± se`, `≥ bound (95 %)` or `≤ bound (95 %)`.
fn figure(f: &SlaFigure) -> String {
    match *f {
        SlaFigure::Estimated(e) => est(&e),
        SlaFigure::AtLeast {
            value, confidence, ..
        } => format!("≥ {} ({:.0} % confidence)", num(value), confidence * 100.0),
        SlaFigure::AtMost {
            value, confidence, ..
        } => format!("≤ {} ({:.0} % confidence)", num(value), confidence * 100.0),
    }
}

/// Opens a section with its `id` and heading.
fn open(h: &mut String, id: &str, heading: &str) {
    let _ = writeln!(h, "<section id=\"{id}\">\n<h2>{heading}</h2>");
}

/// A two-column table of (name, value) rows; names and values are already HTML.
fn pairs(h: &mut String, rows: &[(&str, String)]) {
    h.push_str("<table>\n");
    for (name, value) in rows {
        let _ = writeln!(
            h,
            "<tr><th class=\"name\">{name}</th><td class=\"name\">{value}</td></tr>"
        );
    }
    h.push_str("</table>\n");
}

/// A table with a header row; cells are already HTML, the first column is left-aligned.
fn table(h: &mut String, header: &[&str], rows: &[Vec<String>]) {
    h.push_str("<table>\n<tr>");
    for (i, c) in header.iter().enumerate() {
        let class = if i == 0 { " class=\"name\"" } else { "" };
        let _ = write!(h, "<th{class}>{c}</th>");
    }
    h.push_str("</tr>\n");
    for row in rows {
        h.push_str("<tr>");
        for (i, c) in row.iter().enumerate() {
            let class = if i == 0 { " class=\"name\"" } else { "" };
            let _ = write!(h, "<td{class}>{c}</td>");
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

fn summary(h: &mut String, p: &PageInputs<'_>) {
    let s = &p.run.site;
    open(h, "summary", "Summary");
    let horizon = s.time.step() * s.time.steps();
    let start = s.time.start().map_or_else(
        || "no calendar start".to_string(),
        |d| d.strftime("%Y-%m-%d %H:%M").to_string(),
    );
    let mut rows = vec![
        (
            "scenario",
            escape(p.study.name().unwrap_or("unnamed scenario")),
        ),
        (
            "horizon",
            format!(
                "{horizon} in {} steps of {}, from {start}",
                s.time.steps(),
                s.time.step()
            ),
        ),
        ("policy", escape(&s.policy)),
        (
            "grid import limit",
            format!("{} MW", num(s.import_limit_mw)),
        ),
        ("facility peak", format!("≤ {} MW", num(s.peak_facility_mw))),
        (
            "battery",
            format!(
                "{} units, {} MW / {} MWh ({} MWh usable)",
                s.battery_units,
                num(s.battery_power_mw),
                num(s.battery_capacity_mwh),
                num(s.battery_usable_mwh)
            ),
        ),
    ];
    rows.push((
        "generators",
        match &p.run.backup {
            Some(b) => format!(
                "{} sets of {} MW ({} MW)",
                b.sets,
                num(b.set_rating_mw),
                num(b.set_rating_mw * f64::from(b.sets))
            ),
            None => "none".into(),
        },
    ));
    rows.push(("seed", s.seed.to_string()));
    pairs(h, &rows);
    h.push_str("</section>\n");
}

fn single_run(h: &mut String, r: &Report) {
    let t = &r.totals;
    open(h, "single-run", "Single run");
    let _ = writeln!(
        h,
        "<p>One horizon with the scenario's seed: {} grid outages ({} carried through, {} h \
         impaired), {} loss-of-load events ({} h, {} MWh unserved).</p>",
        r.grid_outages.len(),
        r.outages_carried(),
        num(t.grid_impaired_hours),
        r.loss_of_load.len(),
        num(t.loss_of_load_hours),
        num(t.unserved_mwh)
    );
    h.push_str("<h3>Energy (MWh)</h3>\n");
    let mut rows = vec![
        ("facility load", num(t.facility_mwh)),
        ("battery auxiliary", num(t.aux_mwh)),
        ("grid import", num(t.import_mwh)),
        ("grid export", num(t.export_mwh)),
        ("battery charge", num(t.charge_mwh)),
        ("battery discharge", num(t.discharge_mwh)),
        ("battery losses", num(r.battery_losses_mwh)),
    ];
    if r.backup.is_some() {
        rows.push(("generation", num(t.generation_mwh)));
        rows.push(("curtailed", num(t.curtailment_mwh)));
    }
    rows.push(("unserved", num(t.unserved_mwh)));
    pairs(h, &rows);
    let soc = &r.soc;
    let _ = writeln!(
        h,
        "<p>Battery state of charge: min {:.1} %, mean {:.1} %, last {:.1} %; {} h inside the \
         backup reserve (SoC under {:.0} %: energy held back from peak shaving and smoothing, used \
         only in outages); {} equivalent full cycles.</p>",
        soc.min * 100.0,
        soc.mean * 100.0,
        soc.last * 100.0,
        num(soc.hours_below_reserve),
        soc.reserve * 100.0,
        num(r.equivalent_full_cycles)
    );
    let time = &r.site.time;
    h.push_str("<h3>Grid outages</h3>\n");
    if r.grid_outages.is_empty() {
        h.push_str("<p>None.</p>\n");
    } else {
        let rows: Vec<Vec<String>> = r
            .grid_outages
            .iter()
            .take(EVENTS_SHOWN)
            .map(|o| {
                vec![
                    when(time, o.start),
                    hours(o.duration),
                    num(o.depth_mw),
                    format!("{:.1} %", o.soc_at_start * 100.0),
                    format!("{:.1} %", o.min_soc * 100.0),
                    num(o.unserved_mwh),
                    if o.carried_through {
                        "carried through".into()
                    } else {
                        "<span class=\"lost\">load lost</span>".into()
                    },
                ]
            })
            .collect();
        table(
            h,
            &[
                "start",
                "duration",
                "depth (MW)",
                "SoC at start",
                "lowest SoC",
                "unserved (MWh)",
                "outcome",
            ],
            &rows,
        );
        more(h, r.grid_outages.len());
    }
    h.push_str("<h3>Loss-of-load events</h3>\n");
    if r.loss_of_load.is_empty() {
        h.push_str("<p>None.</p>\n");
    } else {
        let rows: Vec<Vec<String>> = r
            .loss_of_load
            .iter()
            .take(EVENTS_SHOWN)
            .map(|e| {
                vec![
                    when(time, e.start),
                    hours(e.duration),
                    num(e.unserved_mwh),
                    num(e.peak_shortfall_mw),
                ]
            })
            .collect();
        table(
            h,
            &["start", "duration", "unserved (MWh)", "peak shortfall (MW)"],
            &rows,
        );
        more(h, r.loss_of_load.len());
    }
    if let Some(b) = &r.backup {
        let g = &b.generators;
        h.push_str("<h3>Backup chain</h3>\n");
        pairs(
            h,
            &[
                ("transfers to generators", b.transfers.to_string()),
                (
                    "with load dropped in transfer",
                    b.transfers_with_drop.to_string(),
                ),
                (
                    "dropped in transfer",
                    format!(
                        "{} MWh over {} s",
                        num(b.transfer_unserved_mwh),
                        num(b.transfer_drop_hours * 3600.0)
                    ),
                ),
                ("start demands", g.demands.to_string()),
                ("failed start attempts", g.failed_attempts.to_string()),
                ("sets failed to start", g.failed_starts.to_string()),
                ("failures while running", g.running_failures.to_string()),
                ("stopped by load demand", g.load_demand_stops.to_string()),
                ("stopped by the policy", g.commanded_stops.to_string()),
                ("run hours", num(b.run_hours)),
                ("fuel burnt", format!("{} L", num(b.fuel_burnt_l))),
            ],
        );
        h.push_str("<h3>Load dropped in transfer</h3>\n");
        if b.transfer_drops.is_empty() {
            h.push_str("<p>None.</p>\n");
        } else {
            let rows: Vec<Vec<String>> = b
                .transfer_drops
                .iter()
                .take(EVENTS_SHOWN)
                .map(|d| {
                    vec![
                        when(time, d.start),
                        hours(d.duration),
                        num(d.unserved_mwh),
                        num(d.peak_shortfall_mw),
                    ]
                })
                .collect();
            table(
                h,
                &["start", "duration", "dropped (MWh)", "peak (MW)"],
                &rows,
            );
            more(h, b.transfer_drops.len());
        }
    }
    h.push_str("</section>\n");
}

/// "and N more" under a table of the first [`EVENTS_SHOWN`] of `total` events.
fn more(h: &mut String, total: usize) {
    if total > EVENTS_SHOWN {
        let _ = writeln!(
            h,
            "<p class=\"meta\">The first {EVENTS_SHOWN} of {total}.</p>"
        );
    }
}

fn monte_carlo(h: &mut String, mc: &McResult) {
    let ix = &mc.indices;
    open(h, "monte-carlo", "Monte Carlo reliability indices");
    let _ = writeln!(
        h,
        "<p>{} sampled horizons of {} h (study seed {}{}); each figure is the mean per sample ± \
         its standard error.</p>",
        ix.samples,
        num(ix.sample_hours),
        ix.seed,
        if mc.stopped_early {
            ", stopped early at the target standard error"
        } else {
            ""
        }
    );
    let rows: Vec<Vec<String>> = [
        (
            "LOLE (steps with loss of load)",
            &ix.lole_hours,
            "h per sample",
        ),
        (
            "time with loss of load",
            &ix.loss_of_load_hours,
            "h per sample",
        ),
        ("EUE", &ix.eue_mwh, "MWh per sample"),
        ("normalised EUE", &ix.eue_ppm, "ppm of facility energy"),
        ("LOLF", &ix.lolf, "events per sample"),
        (
            "mean loss-of-load duration",
            &ix.lol_duration_mean_hours,
            "h",
        ),
        ("unserved energy P50", &ix.unserved_p50_mwh, "MWh"),
        ("unserved energy P90", &ix.unserved_p90_mwh, "MWh"),
        ("unserved energy P99", &ix.unserved_p99_mwh, "MWh"),
        ("unserved energy CVaR 95 %", &ix.unserved_cvar95_mwh, "MWh"),
        (
            "grid outages (sampled)",
            &ix.grid_outages_per_sample,
            "per sample",
        ),
        (
            "grid outage hours (sampled)",
            &ix.grid_outage_hours,
            "h per sample",
        ),
        ("SoC at outage start", &ix.soc_at_outage_start, "share"),
        ("outages ridden through", &ix.ride_through_share, "share"),
    ]
    .iter()
    .map(|(name, e, unit)| {
        vec![
            (*name).to_string(),
            num(e.mean),
            num(e.se),
            e.n.to_string(),
            (*unit).to_string(),
        ]
    })
    .collect();
    table(h, &["index", "mean", "± SE", "n", "unit"], &rows);
    h.push_str("<h3>LOLP by month</h3>\n");
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let rows: Vec<Vec<String>> = ix
        .lolp_by_month
        .iter()
        .zip(MONTHS)
        .map(|(e, m)| vec![m.to_string(), num(e.mean), num(e.se)])
        .collect();
    table(h, &["month", "LOLP", "± SE"], &rows);
    h.push_str("</section>\n");
}

fn sla(h: &mut String, s: &SlaMetrics) {
    open(h, "sla", "Service levels (SLA)");
    let _ = writeln!(
        h,
        "<p>From the {} samples of {} h, scaled to a year of 8760 h. An interruption is a \
         loss-of-load event; downtime is the time with unserved load. A study in which no sample \
         lost load gives one-sided 95 % bounds (the rule of three), not a figure.</p>",
        s.samples,
        num(s.sample_hours)
    );
    let a = &s.availability;
    let rows = vec![
        (
            "availability",
            format!("{:.6} % ± {:.6} %", a.mean * 100.0, a.se * 100.0),
        ),
        ("nines", figure(&s.nines)),
        ("downtime (min per year)", est(&s.downtime_minutes_per_year)),
        (
            "downtime P50 (min per year)",
            est(&s.downtime_p50_minutes_per_year),
        ),
        (
            "downtime P90 (min per year)",
            est(&s.downtime_p90_minutes_per_year),
        ),
        (
            "downtime P99 (min per year)",
            est(&s.downtime_p99_minutes_per_year),
        ),
        (
            "P(at least one interruption in a year)",
            figure(&s.interruption_probability_per_year),
        ),
        (
            "interruptions per year (SAIFI)",
            figure(&s.interruptions_per_year),
        ),
        ("interruptions in all samples", s.interruptions.to_string()),
        (
            "mean interruption duration (CAIDI, min)",
            s.interruption_duration_minutes
                .as_ref()
                .map_or_else(|| "no interruption".to_string(), est),
        ),
    ];
    pairs(h, &rows);
    h.push_str("</section>\n");
}

fn survival(h: &mut String, c: &SurvivalCurve) {
    open(h, "survival", "Outage survival");
    let o = &c.overall;
    let _ = writeln!(
        h,
        "<p>A total grid outage of up to {} h from each of {} start steps of the single run: the \
         site carried its load for {} h at least, {} h on average, {} h at most.</p>",
        num(c.max_hours),
        c.starts.len(),
        num(o.min_hours),
        num(o.mean_hours),
        num(o.max_hours)
    );
    let rows: Vec<Vec<String>> = c
        .probability
        .iter()
        .filter(|(d, _)| {
            let whole = *d as u64;
            whole <= 8 || whole % 12 == 0 || *d == c.max_hours.floor()
        })
        .map(|(d, p)| vec![format!("{d} h"), format!("{:.1} %", p * 100.0)])
        .collect();
    table(h, &["outage of at least", "P(ride through)"], &rows);
    h.push_str("</section>\n");
}

/// The charts section: every chart inlined as SVG.
fn charts(p: &PageInputs<'_>) -> Result<String, PlotError> {
    let time = &p.run.site.time;
    let mut figures: Vec<(&str, String, String)> = vec![(
        "chart-time-series",
        plot::time_series_svg(p.trace, time)?,
        "The single run: state of charge, grid availability and power flows.".into(),
    )];
    if let Some(worst) = p.run.grid_outages.iter().max_by(|a, b| {
        a.unserved_mwh
            .total_cmp(&b.unserved_mwh)
            .then(a.duration.cmp(&b.duration))
    }) {
        figures.push((
            "chart-outage-zoom",
            plot::outage_zoom_svg(p.trace, time, worst)?,
            "The single run around its worst grid outage (most unserved energy, then longest)."
                .into(),
        ));
    }
    figures.push((
        "chart-survival",
        plot::survival_svg(p.survival)?,
        "P(ride through) against outage length, with 95 % Wilson bands.".into(),
    ));
    figures.push((
        "chart-lolp-heatmap",
        plot::lolp_heatmap_svg(&p.monte_carlo.indices)?,
        "Loss-of-load probability by month × hour of day (Monte Carlo).".into(),
    ));
    figures.push((
        "chart-unserved-distribution",
        plot::unserved_distribution_svg(p.monte_carlo)?,
        "Distribution of unserved energy per sample (Monte Carlo).".into(),
    ));
    let mut h = String::new();
    open(&mut h, "charts", "Charts");
    for (id, svg, caption) in figures {
        let _ = writeln!(
            h,
            "<figure id=\"{id}\">\n{}\n<figcaption>{}</figcaption>\n</figure>",
            inline_svg(&svg),
            escape(&caption)
        );
    }
    h.push_str("</section>\n");
    Ok(h)
}

/// An SVG document as an element inside HTML: from its `<svg` on, without the namespace
/// attribute (HTML puts `<svg>` in the SVG namespace itself).
fn inline_svg(svg: &str) -> String {
    let from = svg.find("<svg").unwrap_or(0);
    svg[from..].replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
}

fn scenario(h: &mut String, p: &PageInputs<'_>) {
    open(h, "scenario", "Scenario");
    let _ = writeln!(
        h,
        "<p>Read from {}; seed {}; ridethrough {}.</p>",
        escape(p.source),
        p.study.seed(),
        env!("CARGO_PKG_VERSION")
    );
    if p.overrides.is_empty() {
        h.push_str("<p>No overrides.</p>\n");
    } else {
        h.push_str("<p>Overrides applied to the text below, in order:</p>\n<ul>\n");
        for o in p.overrides {
            let _ = writeln!(h, "<li><code>{}</code></li>", escape(o));
        }
        h.push_str("</ul>\n");
    }
    let _ = writeln!(h, "<pre>{}</pre>", escape(p.scenario_text));
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_markup_character() {
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
        assert_eq!(escape("plain ± é"), "plain ± é");
    }

    #[test]
    fn numbers_read_to_four_digits() {
        assert_eq!(num(0.0), "0");
        assert_eq!(num(12.3456), "12.35");
        assert_eq!(num(1234.5), "1234");
        assert_eq!(num(0.012345), "0.01235");
        assert_eq!(num(1.5e-5), "1.500e-5");
        assert_eq!(num(2.5e7), "2.500e7");
    }

    #[test]
    fn inline_svg_drops_the_namespace_and_any_prolog() {
        let svg = "<?xml version=\"1.0\"?>\n<svg width=\"1\" xmlns=\"http://www.w3.org/2000/svg\"><g/></svg>";
        assert_eq!(inline_svg(svg), "<svg width=\"1\"><g/></svg>");
    }
}
