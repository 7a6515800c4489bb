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
    /// Whether the header is still to be written (rows with a timestamp are tuples, which carry
    /// no field names).
    header_due: bool,
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

impl<W: Write> CsvRecorder<W> {
    /// A recorder writing to `w` (buffered internally), without timestamps.
    pub fn new(w: W) -> CsvRecorder<W> {
        CsvRecorder {
            writer: csv::WriterBuilder::new()
                .buffer_capacity(1 << 16)
                .from_writer(w),
            error: None,
            calendar: None,
            header_due: false,
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
        self.header_due = self.calendar.is_some();
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
                Some(c) => {
                    if std::mem::take(&mut self.header_due) {
                        let header = ["step", "time_s", "timestamp"]
                            .into_iter()
                            .chain(StepRecord::VALUE_COLUMNS);
                        if let Err(e) = self.writer.write_record(header) {
                            self.error = Some(e);
                            return;
                        }
                    }
                    // The step's columns with its timestamp after its seconds.
                    self.writer
                        .serialize((row.step, row.time_s, c.format(row.step), row.values()))
                }
            };
            if let Err(e) = written {
                self.error = Some(e);
            }
        }
    }
}
