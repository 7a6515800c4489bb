//! Charts for a design review, as SVG or PNG files (feature `plots`, on by default).
//!
//! One function per chart, each taking the crate's own result types and an output path whose
//! extension (`.svg` or `.png`, any case) chooses the format:
//!
//! * [`time_series`]: state of charge, grid availability and the site's power flows over a single
//!   run's whole trace; [`outage_zoom`]: the same around one grid outage;
//! * [`survival`]: probability of riding through an outage against its duration, with 95 %
//!   Wilson score bands;
//! * [`lolp_heatmap`]: loss-of-load probability by month × hour of day from a Monte Carlo study;
//! * [`unserved_distribution`]: the distribution of unserved energy per sample, with P90, P99 and
//!   CVaR 95 % marked;
//! * [`sizing`](fn@sizing): a sizing search's index against the size (battery units or generator
//!   sets) with 95 % error bars, the target and the answer; [`sizing_table`]: the battery units
//!   each generator count needs, one line per count.
//! * [`frontier`]: the reserve-versus-value frontier, survival (or EUE) against $/yr, one point
//!   per SoC reserve with 95 % error bars.
//!
//! Each chart also comes as SVG text in memory (`time_series_svg`, `outage_zoom_svg`, ...), to
//! inline in an HTML page (as [`crate::io::html`] does).
//!
//! Every chart has a title, axes labelled with their units and a legend where it shows more than
//! one series. Text is laid out and rasterised with DejaVu Sans, embedded in the crate (its
//! licence is in `src/plot/fonts/`), so a PNG looks the same on any machine, with or without
//! fonts installed; an SVG names the `sans-serif` family and leaves the glyphs to the viewer.
//!
//! Long traces are decimated before drawing ([`decimate`]): a 1-minute year is 525,600 rows, far
//! more than the pixels across a chart, so each series is reduced to its minimum and maximum in
//! every pixel column, which keeps every spike and dip visible at a few thousand points.
//!
//! ```
//! use ridethrough::plot;
//! use ridethrough::prelude::*;
//! let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML
//!     .replace("step = \"1m\"", "step = \"1h\"")
//!     .replace("horizon = \"365d\"", "horizon = \"7d\"")
//!     .replace("start = \"120d\"", "start = \"3d\""); // the maintenance outage, in the week
//! let study = Scenario::from_toml_str(&text)?.validate()?;
//! let mut trace = TraceRecorder::default();
//! study.simulate().run(&mut trace);
//! let dir = std::env::temp_dir().join(format!("ridethrough-plot-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! plot::time_series(&trace.rows, study.time(), dir.join("week.svg"))?;
//! assert!(std::fs::read_to_string(dir.join("week.svg"))?.contains("state of charge"));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use plotters::backend::{BitMapBackend, DrawingBackend, SVGBackend};
use plotters::chart::{ChartContext, SeriesLabelPosition};
use plotters::coord::{CoordTranslate, Shift};
use plotters::drawing::{DrawingArea, IntoDrawingArea};
use plotters::style::{Color, FontStyle, RGBColor, BLACK, WHITE};
use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub mod decimate;
mod distribution;
mod frontier;
mod heatmap;
mod sizing;
mod survival;
mod timeseries;

pub use distribution::{unserved_distribution, unserved_distribution_svg};
pub use frontier::{frontier, frontier_svg};
pub use heatmap::{lolp_heatmap, lolp_heatmap_svg};
pub use sizing::{sizing, sizing_svg, sizing_table, sizing_table_svg};
pub use survival::{survival, survival_svg, wilson_interval, Z_95};
pub use timeseries::{outage_zoom, outage_zoom_svg, time_series, time_series_svg};

/// What can go wrong while drawing or writing a chart.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// The path's extension is neither `.svg` nor `.png`.
    #[error("cannot choose a plot format for {}: the file name must end in .svg or .png", path.display())]
    UnsupportedFormat {
        /// The path asked for.
        path: PathBuf,
    },
    /// Writing the file failed.
    #[error("cannot write {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The plotting library failed to draw the chart.
    #[error("cannot draw {}", path.display())]
    Draw {
        /// The file being drawn.
        path: PathBuf,
        /// The plotting library's error.
        #[source]
        source: Box<dyn Error + Send + Sync>,
    },
    /// Encoding the PNG failed.
    #[error("cannot encode {} as PNG", path.display())]
    Encode {
        /// The file.
        path: PathBuf,
        /// The encoder's error.
        #[source]
        source: png::EncodingError,
    },
    /// The embedded font could not be loaded (a broken build).
    #[error("the embedded font cannot be loaded")]
    Font,
    /// The input has nothing to plot.
    #[error("nothing to plot: {what} is empty")]
    Empty {
        /// What was empty (`"trace"`, `"survival curve"`, ...).
        what: &'static str,
    },
    /// The outage to zoom on is not in the trace.
    #[error("the outage of steps {start_step}..{end_step} is not in the trace, which holds steps {first_step}..={last_step}")]
    OutageNotInTrace {
        /// The outage's first step.
        start_step: u64,
        /// One past the outage's last step.
        end_step: u64,
        /// The trace's first step.
        first_step: u64,
        /// The trace's last step.
        last_step: u64,
    },
    /// The Monte Carlo result has no per-sample summaries (run it with
    /// [`McConfig::keep_samples`](crate::studies::montecarlo::McConfig::keep_samples)).
    #[error("the Monte Carlo result kept no per-sample summaries: run it with keep_samples")]
    NoSamples,
}

/// An output format, chosen by the file name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Scalable vector graphics (`.svg`).
    Svg,
    /// A bitmap in PNG (`.png`), 8-bit RGB.
    Png,
}

impl Format {
    /// The format of `path`, from its extension (any case).
    ///
    /// ```
    /// use ridethrough::plot::Format;
    /// assert_eq!(Format::from_path("out/soc.SVG")?, Format::Svg);
    /// assert!(Format::from_path("out/soc.pdf").is_err());
    /// # Ok::<(), ridethrough::plot::PlotError>(())
    /// ```
    ///
    /// # Errors
    /// [`PlotError::UnsupportedFormat`] naming the path for any other extension or none.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Format, PlotError> {
        let path = path.as_ref();
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("svg") => Ok(Format::Svg),
            Some("png") => Ok(Format::Png),
            _ => Err(PlotError::UnsupportedFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// The font family every chart asks for; the embedded font is registered under it.
const FAMILY: &str = "sans-serif";
/// DejaVu Sans 2.37 (Bitstream Vera licence, DejaVu changes in the public domain).
static FONT: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

/// Registers the embedded font once per process.
fn register_font() -> Result<(), PlotError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

/// Text sizes, in pixels.
const TITLE_PX: u32 = 26;
const LABEL_PX: u32 = 18;
const TICK_PX: u32 = 15;

/// The series colours (the Tableau 10 palette's first four, and a grey).
const BLUE: RGBColor = RGBColor(31, 119, 180);
const ORANGE: RGBColor = RGBColor(255, 127, 14);
const GREEN: RGBColor = RGBColor(44, 160, 44);
const RED: RGBColor = RGBColor(214, 39, 40);
const GREY: RGBColor = RGBColor(110, 110, 110);
const PURPLE: RGBColor = RGBColor(148, 103, 189);

/// A drawing error from any backend.
type DrawResult = Result<(), Box<dyn Error + Send + Sync>>;

/// A chart that can be drawn on any plotters backend.
trait Figure {
    /// Width and height, pixels.
    fn size(&self) -> (u32, u32);
    /// Draws the chart on `root` (already white).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

/// Draws `fig` in memory in the format of `path`, then writes the file.
fn render(fig: &impl Figure, path: &Path) -> Result<(), PlotError> {
    let format = Format::from_path(path)?;
    register_font()?;
    let (w, h) = fig.size();
    let draw_err = |source| PlotError::Draw {
        path: path.to_path_buf(),
        source,
    };
    let io_err = |source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    };
    match format {
        Format::Svg => std::fs::write(path, render_svg(fig, path)?).map_err(io_err),
        Format::Png => {
            let mut pixels = vec![0u8; w as usize * h as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
                root.fill(&plotters::style::WHITE)
                    .map_err(|e| draw_err(e.into()))?;
                fig.draw(&root).map_err(draw_err)?;
                root.present().map_err(|e| draw_err(e.into()))?;
            }
            let file = std::fs::File::create(path).map_err(io_err)?;
            let encode_err = |e: png::EncodingError| match e {
                png::EncodingError::IoError(source) => io_err(source),
                source => PlotError::Encode {
                    path: path.to_path_buf(),
                    source,
                },
            };
            let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), w, h);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder.write_header().map_err(encode_err)?;
            writer.write_image_data(&pixels).map_err(encode_err)?;
            writer.finish().map_err(encode_err)
        }
    }
}

/// Draws `fig` as SVG text in memory; `path` names the chart in errors (the file it is for, or
/// the chart's name when it is kept in memory).
fn render_svg(fig: &impl Figure, path: &Path) -> Result<String, PlotError> {
    register_font()?;
    let (w, h) = fig.size();
    let draw_err = |source| PlotError::Draw {
        path: path.to_path_buf(),
        source,
    };
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (w, h)).into_drawing_area();
        root.fill(&plotters::style::WHITE)
            .map_err(|e| draw_err(e.into()))?;
        fig.draw(&root).map_err(draw_err)?;
        root.present().map_err(|e| draw_err(e.into()))?;
    }
    Ok(text)
}

/// A linear `f64` axis with tick marks (and grid lines) exactly at `ticks`: plotters' own
/// `with_key_points` wrapper loses the `f64` axes' label formatting.
struct Ticked {
    range: std::ops::Range<f64>,
    ticks: Vec<f64>,
}

impl plotters::coord::ranged1d::Ranged for Ticked {
    type FormatOption = plotters::coord::ranged1d::NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        if span == 0.0 {
            return (limit.0 + limit.1) / 2;
        }
        let t = (value - self.range.start) / span;
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}

impl plotters::coord::ranged1d::ValueFormatter<f64> for Ticked {
    fn format(value: &f64) -> String {
        trim(*value, 2)
    }
}

/// Formats a number with at most `digits` decimals and no trailing zeros (`12.50` → `12.5`).
/// Draws `chart`'s legend at `at`, in the style every chart shares: a translucent white box
/// with a black border, in the tick font.
fn legend<'a, DB, CT>(chart: &mut ChartContext<'a, DB, CT>, at: SeriesLabelPosition) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(at)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FAMILY, TICK_PX))
        .draw()?;
    Ok(())
}

fn trim(x: f64, digits: usize) -> String {
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_extension() {
        assert_eq!(Format::from_path("a.svg").unwrap(), Format::Svg);
        assert_eq!(Format::from_path("dir/a.b.PNG").unwrap(), Format::Png);
        for bad in ["a.jpg", "a", "a.svg.txt", "svg"] {
            match Format::from_path(bad) {
                Err(PlotError::UnsupportedFormat { path }) => assert_eq!(path, Path::new(bad)),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn trims_numbers() {
        assert_eq!(trim(12.5, 2), "12.5");
        assert_eq!(trim(3.0, 1), "3");
        assert_eq!(trim(0.126, 2), "0.13");
    }
}
