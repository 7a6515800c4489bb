//! Per-step traces as Apache Parquet (feature `parquet`): [`ParquetRecorder`].
//!
//! A CSV trace of a year at 1-second steps is 31.5 M rows and several GB; the same trace as
//! Parquet is columnar, typed and compressed (Snappy), so pandas, Polars, DuckDB, Spark or Arrow
//! read it directly and a column can be read alone. The columns are those of the CSV trace
//! ([`crate::engine::recorder::CsvRecorder`]), in the same order and with the same names:
//!
//! | column | Parquet type |
//! |---|---|
//! | `step` | `INT64` |
//! | `time_s` | `DOUBLE` |
//! | `timestamp` (only with a calendar start) | `INT64`, `TIMESTAMP(MILLIS, UTC)` |
//! | `facility_mw` … `soc` (the fields of [`StepRecord`]) | `DOUBLE` |
//!
//! Every column is `REQUIRED` (no nulls). Rows are buffered per column and written as one row
//! group every [`ROWS_PER_GROUP`] rows, so memory stays bounded (about 16 MB of buffers)
//! whatever the length of the run, and the buffers are allocated once: recording a row
//! allocates nothing. The scenario's start is the site's clock with no zone, written as UTC, as
//! in the CSV trace.
//!
//! ```
//! use ridethrough::io::parquet::ParquetRecorder;
//! use ridethrough::prelude::*;
//! let toml = r#"
//! seed = 1
//! [time]
//! start = "2025-07-01T00:00"
//! step = "1h"
//! horizon = "2d"
//! [grid]
//! import_limit_mw = 20.0
//! [battery]
//! preset = "megapack2xl_4h"
//! units = 4
//! [load]
//! [[load.it]]
//! kind = "constant"
//! it_mw = 8.0
//! "#;
//! let study = Scenario::from_toml_str(toml)?.validate()?;
//! let mut rec = ParquetRecorder::new(Vec::new(), study.time()).expect("schema");
//! study.simulate().run(&mut rec);
//! let bytes = rec.finish().expect("written");
//! assert_eq!(&bytes[..4], b"PAR1"); // Parquet's magic number, at both ends
//! assert_eq!(&bytes[bytes.len() - 4..], b"PAR1");
//! # Ok::<(), ridethrough::ConfigError>(())
//! ```

use crate::engine::recorder::Recorder;
use crate::engine::report::StepRecord;
use crate::time::TimeGrid;
use jiff::tz::TimeZone;
use parquet::basic::{Compression, Encoding, LogicalType, Repetition, TimeUnit, Type as Physical};
use parquet::data_type::{DoubleType, Int64Type};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{ColumnPath, Type};
use std::io::Write;
use std::sync::Arc;

/// Rows per row group (and per column buffer): 2¹⁷, about 1 MB per column before compression.
pub const ROWS_PER_GROUP: usize = 1 << 17;

/// The `DOUBLE` columns after `step`, `time_s` and the optional `timestamp`: the fields of
/// [`StepRecord`] in the CSV trace's order.
pub const VALUE_COLUMNS: [&str; 12] = [
    "facility_mw",
    "aux_mw",
    "availability",
    "available_import_mw",
    "import_mw",
    "export_mw",
    "discharge_mw",
    "charge_mw",
    "generation_mw",
    "unserved_mw",
    "curtailment_mw",
    "soc",
];

/// The values of [`VALUE_COLUMNS`] of one row, in that order.
fn values(r: &StepRecord) -> [f64; VALUE_COLUMNS.len()] {
    // Destructured, so a new field of `StepRecord` fails to compile here until it is added.
    let StepRecord {
        step: _,
        time_s: _,
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
    [
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
    ]
}

/// Step `k`'s start as milliseconds since the Unix epoch: `origin_ms + k · step_ms`.
#[derive(Debug, Clone, Copy)]
struct Clock {
    origin_ms: i64,
    step_ms: i64,
}

/// Streams a trace to a Parquet file (see the [module docs](self) for the columns). An error
/// while recording stops the writing and is returned by [`ParquetRecorder::finish`].
pub struct ParquetRecorder<W: Write + Send> {
    writer: Option<SerializedFileWriter<W>>,
    clock: Option<Clock>,
    step: Vec<i64>,
    time_s: Vec<f64>,
    timestamp: Vec<i64>,
    values: [Vec<f64>; VALUE_COLUMNS.len()],
    error: Option<ParquetError>,
}

impl<W: Write + Send> ParquetRecorder<W> {
    /// A recorder writing to `w`, with a `timestamp` column when `time` has a calendar start
    /// ([`TimeGrid::start`]). Allocates its column buffers ([`ROWS_PER_GROUP`] rows each).
    ///
    /// # Errors
    /// A [`ParquetError`] if the schema cannot be built or the file header cannot be written.
    pub fn new(w: W, time: &TimeGrid) -> Result<ParquetRecorder<W>, ParquetError> {
        let clock = match time.start() {
            None => None,
            Some(start) => {
                let origin = start
                    .to_zoned(TimeZone::UTC)
                    .map_err(|e| ParquetError::General(format!("time.start as UTC: {e}")))?;
                Some(Clock {
                    origin_ms: origin.timestamp().as_millisecond(),
                    step_ms: i64::try_from(time.step().as_millis()).unwrap_or(i64::MAX),
                })
            }
        };
        let column = |name: &str, physical: Physical, logical: Option<LogicalType>| {
            Type::primitive_type_builder(name, physical)
                .with_repetition(Repetition::REQUIRED)
                .with_logical_type(logical)
                .build()
                .map(Arc::new)
        };
        let mut fields = vec![
            column("step", Physical::INT64, None)?,
            column("time_s", Physical::DOUBLE, None)?,
        ];
        if clock.is_some() {
            fields.push(column(
                "timestamp",
                Physical::INT64,
                Some(LogicalType::Timestamp {
                    is_adjusted_to_u_t_c: true,
                    unit: TimeUnit::MILLIS,
                }),
            )?);
        }
        for name in VALUE_COLUMNS {
            fields.push(column(name, Physical::DOUBLE, None)?);
        }
        let schema = Type::group_type_builder("step_record")
            .with_fields(fields)
            .build()?;
        // `step` and `timestamp` rise by a constant: delta encoding stores them in almost
        // nothing, where a dictionary would hold every value.
        let mut props = WriterProperties::builder();
        for name in ["step", "timestamp"] {
            props = props
                .set_column_dictionary_enabled(ColumnPath::from(name), false)
                .set_column_encoding(ColumnPath::from(name), Encoding::DELTA_BINARY_PACKED);
        }
        let props = props
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_size(ROWS_PER_GROUP)
            .set_created_by(format!("ridethrough {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = SerializedFileWriter::new(w, Arc::new(schema), Arc::new(props))?;
        fn buffer<T>() -> Vec<T> {
            Vec::with_capacity(ROWS_PER_GROUP)
        }
        Ok(ParquetRecorder {
            writer: Some(writer),
            clock,
            step: buffer(),
            time_s: buffer(),
            timestamp: if clock.is_some() {
                buffer()
            } else {
                Vec::new()
            },
            values: std::array::from_fn(|_| buffer()),
            error: None,
        })
    }

    /// Writes the buffered rows as one row group and empties the buffers.
    fn flush_group(&mut self) -> Result<(), ParquetError> {
        let ParquetRecorder {
            writer: Some(writer),
            clock,
            step,
            time_s,
            timestamp,
            values,
            ..
        } = self
        else {
            return Ok(());
        };
        if step.is_empty() {
            return Ok(());
        }
        {
            let mut group = writer.next_row_group()?;
            let mut i64s = [&*step, &*timestamp].into_iter();
            let mut f64s = std::iter::once(&*time_s).chain(values.iter());
            // The columns come in schema order: step, time_s, [timestamp], the values.
            let mut index = 0;
            while let Some(mut col) = group.next_column()? {
                let is_int = index == 0 || (index == 2 && clock.is_some());
                if is_int {
                    let v = i64s.next().ok_or_else(|| missing(index))?;
                    col.typed::<Int64Type>().write_batch(v, None, None)?;
                } else {
                    let v = f64s.next().ok_or_else(|| missing(index))?;
                    col.typed::<DoubleType>().write_batch(v, None, None)?;
                }
                col.close()?;
                index += 1;
            }
            group.close()?;
        }
        step.clear();
        time_s.clear();
        timestamp.clear();
        for v in values.iter_mut() {
            v.clear();
        }
        Ok(())
    }

    /// Writes the last row group and the file's footer, and returns the writer.
    ///
    /// # Errors
    /// The first error met while recording, or while writing the last row group or the footer.
    pub fn finish(mut self) -> Result<W, ParquetError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.flush_group()?;
        match self.writer.take() {
            Some(w) => w.into_inner(),
            None => Err(ParquetError::General("the Parquet writer is gone".into())),
        }
    }
}

fn missing(index: usize) -> ParquetError {
    ParquetError::General(format!("no buffer for Parquet column {index}"))
}

impl<W: Write + Send> Recorder for ParquetRecorder<W> {
    fn record(&mut self, row: &StepRecord) {
        if self.error.is_some() {
            return;
        }
        self.step.push(i64::try_from(row.step).unwrap_or(i64::MAX));
        self.time_s.push(row.time_s);
        if let Some(c) = self.clock {
            let k = i64::try_from(row.step).unwrap_or(i64::MAX);
            self.timestamp
                .push(c.origin_ms.saturating_add(c.step_ms.saturating_mul(k)));
        }
        for (col, v) in self.values.iter_mut().zip(values(row)) {
            col.push(v);
        }
        if self.step.len() == ROWS_PER_GROUP {
            if let Err(e) = self.flush_group() {
                self.error = Some(e);
            }
        }
    }
}
