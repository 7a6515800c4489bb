//! The charts of `ridethrough::plot` (issue 11): each renders to valid SVG (parsed as XML, with
//! its title and axis labels in the text) and to PNG (decoded, of the chart's size, not blank,
//! with text drawn by the embedded font) for small real runs of the default scenario; bad
//! extensions, unwritable paths and inputs without data are typed errors.

use ridethrough::plot::{self, PlotError};
use ridethrough::prelude::*;
use ridethrough::studies::montecarlo::{self, McConfig, McResult};
use ridethrough::studies::survival::{self, SurvivalConfig, SurvivalCurve};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The default scenario at hourly steps over `horizon`.
fn study(horizon: &str) -> Study {
    let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML
        .replace("step = \"1m\"", "step = \"1h\"")
        .replace("horizon = \"365d\"", &format!("horizon = \"{horizon}\""));
    Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap()
}

/// What the charts are drawn from, computed once for all tests.
struct Inputs {
    study: Study,
    rows: Vec<StepRecord>,
    report: Report,
    curve: SurvivalCurve,
    mc: McResult,
}

fn inputs() -> &'static Inputs {
    static INPUTS: OnceLock<Inputs> = OnceLock::new();
    INPUTS.get_or_init(|| {
        // 150 days: past the scheduled 4 h maintenance outage on day 120.
        let study = study("150d");
        let mut trace = TraceRecorder::default();
        let report = study.simulate().run(&mut trace).report();
        let curve = survival::sweep(
            study.site(),
            study.policy(),
            study.seed(),
            &SurvivalConfig::new(Duration::from_hours(12)),
        )
        .unwrap();
        let year = self::study("365d");
        let cfg = McConfig {
            keep_samples: true,
            ..McConfig::new(256, 11)
        };
        let mc = montecarlo::run(year.site(), year.policy(), &cfg, &|_| {}).unwrap();
        Inputs {
            study,
            rows: trace.rows,
            report,
            curve,
            mc,
        }
    })
}

/// A fresh directory under the target directory for one test's files.
fn out_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("plots")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A chart: its name, the texts its SVG must contain (title and axis labels), its PNG size,
/// and how to draw it.
struct Chart {
    name: &'static str,
    texts: &'static [&'static str],
    size: (u32, u32),
    draw: fn(&Inputs, &Path) -> Result<(), PlotError>,
}

fn charts() -> Vec<Chart> {
    vec![
        Chart {
            name: "time_series",
            texts: &[
                "Single run over 150 days: state of charge, grid availability and power",
                "state of charge (%)",
                "grid availability (% of import limit)",
                "power (MW)",
                "date (the scenario's calendar)",
                "grid import",
                "battery discharge",
                "unserved load",
            ],
            size: (1400, 1000),
            draw: |i, p| plot::time_series(&i.rows, i.study.time(), p),
        },
        Chart {
            name: "outage_zoom",
            texts: &[
                "Grid outage at 2025-05-01 00:00: 4 h",
                "state of charge (%)",
                "power (MW)",
                "time from the outage's start (h)",
                "grid outage",
            ],
            size: (1400, 1000),
            draw: |i, p| {
                let scheduled = i
                    .report
                    .grid_outages
                    .iter()
                    .find(|o| o.start == Duration::from_days(120))
                    .expect("the scheduled outage is in the report");
                plot::outage_zoom(&i.rows, i.study.time(), scheduled, p)
            },
        },
        Chart {
            name: "survival",
            texts: &[
                "Outage survival: P(carry the load through an outage of at least d hours)",
                "outage duration d (h)",
                "probability of survival (%)",
                "95 % Wilson band",
            ],
            size: (1200, 800),
            draw: |i, p| plot::survival(&i.curve, p),
        },
        Chart {
            name: "lolp_heatmap",
            texts: &[
                "Loss-of-load probability by month and hour of day",
                "hour of day (scenario's local time, h)",
                "month",
                "Jan",
                "Dec",
                "LOLP (% of steps)",
            ],
            size: (1300, 750),
            draw: |i, p| plot::lolp_heatmap(&i.mc.indices, p),
        },
        Chart {
            name: "unserved_distribution",
            texts: &[
                "Unserved energy per sample: distribution over 256 samples",
                "unserved energy per sample (MWh)",
                "share of samples (%)",
                "P90 =",
                "P99 =",
                "CVaR 95 % =",
            ],
            size: (1200, 800),
            draw: |i, p| plot::unserved_distribution(&i.mc, p),
        },
    ]
}

/// All the text of an SVG document, one node per line.
fn svg_text(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{} is not XML: {e}", path.display()));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn each_chart_renders_to_valid_svg_with_its_title_and_axes() {
    let dir = out_dir("svg");
    let inputs = inputs();
    for chart in charts() {
        let path = dir.join(format!("{}.svg", chart.name));
        (chart.draw)(inputs, &path).unwrap_or_else(|e| panic!("{}: {e}", chart.name));
        let text = svg_text(&path);
        for want in chart.texts {
            assert!(
                text.contains(want),
                "{}: no {want:?} in the SVG's text:\n{text}",
                chart.name
            );
        }
    }
}

/// A pixel this dark is text or an axis (the charts' colours are lighter).
const DARK: u8 = 64;

#[test]
fn each_chart_renders_to_a_png_of_its_size_with_text() {
    let dir = out_dir("png");
    let inputs = inputs();
    for chart in charts() {
        let path = dir.join(format!("{}.png", chart.name));
        (chart.draw)(inputs, &path).unwrap_or_else(|e| panic!("{}: {e}", chart.name));
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), chart.size, "{}", chart.name);
        assert_eq!(info.color_type, png::ColorType::Rgb, "{}", chart.name);
        let pixels = &buf[..info.buffer_size()];
        let mut colours: Vec<[u8; 3]> =
            pixels.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
        colours.sort_unstable();
        colours.dedup();
        assert!(
            colours.len() > 10,
            "{}: only {} colours",
            chart.name,
            colours.len()
        );
        // The title is text drawn with the embedded font: dark pixels in the top 50 rows.
        let stride = 3 * info.width as usize;
        let title_dark = pixels[..50 * stride]
            .chunks_exact(3)
            .filter(|p| p.iter().all(|&c| c < DARK))
            .count();
        assert!(
            title_dark > 200,
            "{}: no title drawn ({title_dark} dark pixels)",
            chart.name
        );
    }
}

#[test]
fn a_bad_extension_is_a_typed_error_naming_the_path() {
    let dir = out_dir("bad_extension");
    let inputs = inputs();
    for chart in charts() {
        for name in ["chart.jpg", "chart", "chart.svg.gz"] {
            let path = dir.join(name);
            match (chart.draw)(inputs, &path) {
                Err(PlotError::UnsupportedFormat { path: p }) => {
                    assert_eq!(p, path, "{}", chart.name)
                }
                other => panic!("{} to {name}: {other:?}", chart.name),
            }
            assert!(!path.exists(), "{}: wrote {name}", chart.name);
        }
    }
}

#[test]
fn an_unwritable_path_is_an_io_error_naming_the_file() {
    let dir = out_dir("unwritable");
    let inputs = inputs();
    // A file where a directory should be: nothing can be created under it.
    let blocker = dir.join("not-a-directory");
    std::fs::write(&blocker, "x").unwrap();
    for chart in charts() {
        for ext in ["svg", "png"] {
            let path = blocker.join(format!("{}.{ext}", chart.name));
            match (chart.draw)(inputs, &path) {
                Err(e @ PlotError::Io { .. }) => {
                    let PlotError::Io { path: p, .. } = &e else {
                        unreachable!()
                    };
                    assert_eq!(p, &path, "{}", chart.name);
                    assert!(e.to_string().contains(&path.display().to_string()));
                }
                other => panic!("{} to {}: {other:?}", chart.name, path.display()),
            }
        }
    }
}

#[test]
fn inputs_without_data_are_typed_errors() {
    let dir = out_dir("no_data");
    let inputs = inputs();
    let time = inputs.study.time();
    assert!(matches!(
        plot::time_series(&[], time, dir.join("a.svg")),
        Err(PlotError::Empty { .. })
    ));
    // The scheduled outage is on day 120; the first 10 days do not reach it.
    let outage = inputs
        .report
        .grid_outages
        .iter()
        .find(|o| o.start == Duration::from_days(120))
        .unwrap();
    assert!(matches!(
        plot::outage_zoom(&inputs.rows[..240], time, outage, dir.join("a.svg")),
        Err(PlotError::OutageNotInTrace {
            first_step: 0,
            last_step: 239,
            ..
        })
    ));
    let mut no_samples = inputs.mc.clone();
    no_samples.samples = None;
    assert!(matches!(
        plot::unserved_distribution(&no_samples, dir.join("a.png")),
        Err(PlotError::NoSamples)
    ));
    let mut no_table = inputs.mc.indices.clone();
    no_table.lolp_by_month_hour.clear();
    assert!(matches!(
        plot::lolp_heatmap(&no_table, dir.join("a.png")),
        Err(PlotError::Empty { .. })
    ));
    assert!(
        std::fs::read_dir(&dir).unwrap().next().is_none(),
        "a file was written"
    );
}

/// The time series of a long trace is decimated: a 1-minute week (10,080 rows) draws as at most
/// two points per pixel column per series, and its SVG stays small.
#[test]
fn a_long_trace_is_decimated() {
    let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML
        .replace("horizon = \"365d\"", "horizon = \"7d\"")
        .replace("start = \"120d\"", "start = \"3d\"");
    let study = Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap();
    let mut trace = TraceRecorder::default();
    study.simulate().run(&mut trace);
    assert_eq!(trace.rows.len(), 10_080);
    let path = out_dir("decimated").join("week.svg");
    plot::time_series(&trace.rows, study.time(), &path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    // Each line series is one polyline; none has more than 2 points per pixel of the width.
    let most = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .map(|n| {
            n.attribute("points")
                .unwrap_or("")
                .split_whitespace()
                .count()
        })
        .max()
        .unwrap();
    assert!(
        most > 100 && most <= 2 * 1400,
        "{most} points in a polyline"
    );
}

#[test]
fn the_outage_zoom_of_a_site_with_generators_shows_their_output() {
    // The bundled backup chain at hourly steps: the 72 h regional outage is carried by the sets.
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios/austin_backup_chain.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let study = Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap()
        .with_time(TimeGrid::new(Duration::from_hours(1), Duration::from_hours(8760)).unwrap())
        .unwrap();
    let mut trace = TraceRecorder::default();
    let report = study.simulate().run(&mut trace).report();
    let longest = report
        .grid_outages
        .iter()
        .max_by_key(|o| o.duration)
        .unwrap();
    let dir = out_dir("generators");
    let svg = dir.join("zoom.svg");
    plot::outage_zoom(&trace.rows, study.time(), longest, &svg).unwrap();
    assert!(svg_text(&svg).contains("generator output"));
    // A site without sets has no such line.
    let plain = inputs();
    let outage = &plain.report.grid_outages[0];
    let svg = dir.join("plain.svg");
    plot::outage_zoom(&plain.rows, plain.study.time(), outage, &svg).unwrap();
    let text = svg_text(&svg);
    assert!(text.contains("battery discharge"));
    assert!(!text.contains("generator output"));
}
