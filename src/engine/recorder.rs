//! Recorders observe every step's [`StepRecord`].
//!
//! The engine always keeps the summary (the [`crate::engine::tally::Tally`] behind every
//! [`crate::engine::report::Report`]); a recorder adds per-step observation:
//!
//! * `()` records nothing (summary only, the fastest);
//! * [`TraceRecorder`] keeps every row in memory;
//! * [`CsvRecorder`] streams rows to any writer, in bounded memory (a year at 1-second steps is
//!   31.5 M rows on disk and a few kilobytes of buffer).
//!
//! Users can write their own (decimation, live plots) by implementing [`Recorder`].

use crate::engine::report::StepRecord;
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
/// [`StepRecord`]). An I/O error stops the writing and is returned by [`CsvRecorder::finish`].
pub struct CsvRecorder<W: Write> {
    writer: csv::Writer<W>,
    error: Option<csv::Error>,
}

impl<W: Write> CsvRecorder<W> {
    /// A recorder writing to `w` (buffered internally).
    pub fn new(w: W) -> CsvRecorder<W> {
        CsvRecorder {
            writer: csv::WriterBuilder::new()
                .buffer_capacity(1 << 16)
                .from_writer(w),
            error: None,
        }
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
            if let Err(e) = self.writer.serialize(row) {
                self.error = Some(e);
            }
        }
    }
}
