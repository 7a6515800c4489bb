//! Recorders observe every step's [`StepRecord`].
//!
//! The engine always keeps the summary (the [`crate::engine::tally::Tally`] behind every
//! [`crate::engine::report::Report`]); a recorder adds per-step observation:
//!
//! * `()` records nothing (summary only, the fastest);
//! * [`TraceRecorder`] keeps every row in memory;
//! * [`CsvRecorder`] streams rows to any writer, in bounded memory (a year at 1-second steps is
//!   31.5 M rows on disk and a few kilobytes of buffer), with an RFC 3339 `timestamp` column
//!   when the time grid has a calendar start ([`CsvRecorder::with_timestamps`]).
//!
//! Users can write their own (decimation, live plots) by implementing [`Recorder`].

use crate::engine::report::StepRecord;
use crate::time::TimeGrid;
use jiff::civil::DateTime;
use jiff::SignedDuration;
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write;

/// Observes each step of a simulation.
pub trait Recorder {
    /// Called once per step, after the step is settled.
    fn record(&mut self, row: &StepRecord);

    /// Whether the recorder needs a row for every step (the default). A recorder that answers
    /// `false` lets [`Simulation::run`](crate::engine::Simulation::run) fast-forward through
    /// quiet stretches, whose steps it then never sees; only `()` does.
    fn wants_every_step(&self) -> bool {
        true
    }
}

/// Records nothing.
impl Recorder for () {
    #[inline]
    fn record(&mut self, _row: &StepRecord) {}
    #[inline]
    fn wants_every_step(&self) -> bool {
        false
    }
}

/// Two recorders side by side (a tariff's meter beside a CSV trace, say): both see every row;
/// the pair wants every step if either does.
impl<A: Recorder, B: Recorder> Recorder for (A, B) {
    #[inline]
    fn record(&mut self, row: &StepRecord) {
        self.0.record(row);
        self.1.record(row);
    }
    #[inline]
    fn wants_every_step(&self) -> bool {
        self.0.wants_every_step() || self.1.wants_every_step()
    }
}

impl<R: Recorder + ?Sized> Recorder for &mut R {
    #[inline]
    fn record(&mut self, row: &StepRecord) {
        (**self).record(row);
    }
    #[inline]
    fn wants_every_step(&self) -> bool {
        (**self).wants_every_step()
    }
}

/// Keeps every step in memory.
#[derive(Debug, Clone, Default)]
pub struct TraceRecorder {
    /// The rows recorded so far.
    pub rows: Vec<StepRecord>,
}

impl TraceRecorder {
    /// An empty trace with room for `steps` rows (so recording does not reallocate).
    pub fn with_capacity(steps: usize) -> TraceRecorder {
        TraceRecorder {
            rows: Vec::with_capacity(steps),
        }
    }
}

impl Recorder for TraceRecorder {
    #[inline]
    fn record(&mut self, row: &StepRecord) {
        self.rows.push(*row);
    }
}

/// Streams rows as CSV (a header, then one line per step; the columns are the fields of
/// [`StepRecord`], and with [`CsvRecorder::with_timestamps`] on a grid with a calendar start a
/// `timestamp` column after `time_s`). An I/O error stops the writing and is returned by
/// [`CsvRecorder::finish`].
pub struct CsvRecorder<W: Write> {
    writer: csv::Writer<W>,
    error: Option<csv::Error>,
    calendar: Option<Calendar>,
}

/// What the `timestamp` column needs: the grid's start and step, and a buffer reused for every
/// row (so writing a row allocates nothing once the buffer has grown).
struct Calendar {
    start: DateTime,
    step_ms: i64,
    /// Whether the step has a fraction of a second (then every timestamp shows milliseconds).
    millis: bool,
    buf: String,
}

impl Calendar {
    /// Step `k`'s start in RFC 3339, UTC: `2025-07-01T14:00:00Z`, or `…:00.250Z` with
    /// milliseconds.
    fn format(&mut self, k: u64) -> &str {
        let ms = self.step_ms.saturating_mul(k as i64);
        let t = self
            .start
            .checked_add(SignedDuration::from_millis(ms))
            .unwrap_or(DateTime::MAX);
        self.buf.clear();
        // Writing to a String cannot fail.
        let _ = write!(
            self.buf,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        if self.millis {
            let _ = write!(self.buf, ".{:03}", t.subsec_nanosecond() / 1_000_000);
        }
        self.buf.push('Z');
        &self.buf
    }
}

/// A [`StepRecord`] with the step's timestamp after its seconds (the CSV columns of a trace
/// with a calendar).
#[derive(Serialize)]
struct TimedRow<'a> {
    step: u64,
    time_s: f64,
    timestamp: &'a str,
    facility_mw: f64,
    aux_mw: f64,
    availability: f64,
    available_import_mw: f64,
    import_mw: f64,
    export_mw: f64,
    discharge_mw: f64,
    charge_mw: f64,
    generation_mw: f64,
    unserved_mw: f64,
    curtailment_mw: f64,
    soc: f64,
}

impl<'a> TimedRow<'a> {
    fn new(r: &StepRecord, timestamp: &'a str) -> TimedRow<'a> {
        // Destructured, so a new field of `StepRecord` fails to compile here until it is added.
        let StepRecord {
            step,
            time_s,
            facility_mw,
            aux_mw,
            availability,
            available_import_mw,
            import_mw,
            export_mw,
            discharge_mw,
            charge_mw,
            generation_mw,
            unserved_mw,
            curtailment_mw,
            soc,
        } = *r;
        TimedRow {
            step,
            time_s,
            timestamp,
            facility_mw,
            aux_mw,
            availability,
            available_import_mw,
            import_mw,
            export_mw,
            discharge_mw,
            charge_mw,
            generation_mw,
            unserved_mw,
            curtailment_mw,
            soc,
        }
    }
}

impl<W: Write> CsvRecorder<W> {
    /// A recorder writing to `w` (buffered internally), without timestamps.
    pub fn new(w: W) -> CsvRecorder<W> {
        CsvRecorder {
            writer: csv::WriterBuilder::new()
                .buffer_capacity(1 << 16)
                .from_writer(w),
            error: None,
            calendar: None,
        }
    }

    /// The recorder with a `timestamp` column after `time_s` when `time` has a calendar start
    /// ([`TimeGrid::start`]): step `k`'s start, `start + k·step`, in RFC 3339 with the
    /// scenario's start read as UTC (`2025-07-01T14:00:00Z`), with milliseconds
    /// (`2025-07-01T14:00:00.100Z`) on every row when the step has a fraction of a second.
    /// Without a calendar start the columns stay those of [`StepRecord`]. Call it before the
    /// first row.
    pub fn with_timestamps(mut self, time: &TimeGrid) -> CsvRecorder<W> {
        self.calendar = time.start().map(|start| {
            let step_ms = time.step().as_millis();
            Calendar {
                start,
                step_ms: i64::try_from(step_ms).unwrap_or(i64::MAX),
                millis: step_ms % 1_000 != 0,
                buf: String::with_capacity(32),
            }
        });
        self
    }

    /// Flushes and returns the writer.
    ///
    /// # Errors
    /// The first I/O error met while recording or flushing.
    pub fn finish(mut self) -> Result<W, std::io::Error> {
        if let Some(e) = self.error.take() {
            return Err(std::io::Error::other(e));
        }
        self.writer
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))
    }
}

impl<W: Write> Recorder for CsvRecorder<W> {
    fn record(&mut self, row: &StepRecord) {
        if self.error.is_none() {
            let written = match &mut self.calendar {
                None => self.writer.serialize(row),
                Some(c) => self
                    .writer
                    .serialize(TimedRow::new(row, c.format(row.step))),
            };
            if let Err(e) = written {
                self.error = Some(e);
            }
        }
    }
}
