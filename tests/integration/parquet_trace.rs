//! Parquet traces (`io::parquet::ParquetRecorder`, feature `parquet`), read back with the
//! `parquet` crate's own reader: the same rows as the in-memory trace, bit for bit, across row
//! groups, with the CSV trace's columns and a UTC millisecond timestamp when the grid has a
//! calendar start. (`cli/tests/cli.rs` also reads one with pyarrow, the reader pandas uses.)

use crate::common::{constant_load, outage, simple_battery};
use parquet::basic::{LogicalType, Type as Physical};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::RowAccessor;
use ridethrough::io::parquet::{ParquetRecorder, ROWS_PER_GROUP, VALUE_COLUMNS};
use ridethrough::prelude::*;
use std::path::PathBuf;

/// A 5 MW site on a 6 MW feed with two outages (the second longer than the battery lasts, so
/// rows have discharge, unserved load and recharge), over `time`.
fn site(time: TimeGrid) -> Site {
    let grid = GridParams {
        scheduled_outages: vec![
            outage(Duration::from_minutes(90), Duration::from_minutes(20)),
            outage(Duration::from_hours(20), Duration::from_hours(3)),
        ],
        ..GridParams::new(Power::mw(6.0))
    };
    Site::new(
        time,
        &grid,
        &simple_battery(6.0, 4.0, 0.95),
        &constant_load(5.0),
    )
    .unwrap()
}

/// Writes `site`'s trace as Parquet to a file of its own and returns the path, with the rows of
/// the same run kept in memory.
fn write(site: &Site, name: &str) -> (PathBuf, Vec<StepRecord>) {
    let path = std::env::temp_dir().join(format!(
        "ridethrough-parquet-{}-{name}.parquet",
        std::process::id()
    ));
    let file = std::fs::File::create(&path).unwrap();
    let mut pq = ParquetRecorder::new(file, &site.time).unwrap();
    site.simulate(Policy::default(), 3).run(&mut pq);
    pq.finish().unwrap();
    let mut mem = TraceRecorder::default();
    site.simulate(Policy::default(), 3).run(&mut mem);
    (path, mem.rows)
}

/// The CSV trace's header for `site` (the column names both formats share).
fn csv_header(site: &Site) -> Vec<String> {
    let mut csv = CsvRecorder::new(Vec::new()).with_timestamps(&site.time);
    site.simulate(Policy::default(), 3).run(&mut csv);
    let text = String::from_utf8(csv.finish().unwrap()).unwrap();
    text.lines()
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_parquet_trace_holds_every_row_bit_for_bit_across_row_groups() {
    // Two days at 1-second steps: 172,800 rows, one full row group and part of another.
    let time = TimeGrid::new(Duration::from_secs(1), Duration::from_days(2))
        .unwrap()
        .try_starting_at("2025-12-31T12:00:00".parse().unwrap())
        .unwrap();
    let site = site(time);
    let (path, rows) = write(&site, "groups");
    assert_eq!(rows.len(), 172_800);
    assert!(rows.len() > ROWS_PER_GROUP);
    // The run has what a trace is for: discharge, unserved load and recharge.
    assert!(rows.iter().any(|r| r.discharge_mw > 0.0));
    assert!(rows.iter().any(|r| r.unserved_mw > 0.0));
    assert!(rows.iter().any(|r| r.charge_mw > 0.0));

    let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
    let meta = reader.metadata();
    assert_eq!(meta.file_metadata().num_rows(), rows.len() as i64);
    assert_eq!(meta.num_row_groups(), rows.len().div_ceil(ROWS_PER_GROUP));

    // The columns are the CSV trace's, in its order, with their Parquet types.
    let schema = meta.file_metadata().schema_descr();
    let names: Vec<String> = schema
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    assert_eq!(names, csv_header(&site));
    assert_eq!(names.len(), 3 + VALUE_COLUMNS.len());
    assert_eq!(schema.column(0).physical_type(), Physical::INT64);
    assert_eq!(schema.column(2).physical_type(), Physical::INT64);
    assert!(matches!(
        schema.column(2).logical_type_ref(),
        Some(LogicalType::Timestamp {
            is_adjusted_to_u_t_c: true,
            ..
        })
    ));
    for c in (1..names.len()).filter(|&c| c != 2) {
        assert_eq!(
            schema.column(c).physical_type(),
            Physical::DOUBLE,
            "{}",
            names[c]
        );
    }

    // Step k starts at 2025-12-31T12:00:00Z + k s.
    let origin_ms = "2025-12-31T12:00:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    let mut n = 0;
    for (row, want) in reader.get_row_iter(None).unwrap().zip(&rows) {
        let row = row.unwrap();
        assert_eq!(row.get_long(0).unwrap(), want.step as i64);
        assert_eq!(row.get_double(1).unwrap().to_bits(), want.time_s.to_bits());
        assert_eq!(
            row.get_timestamp_millis(2).unwrap(),
            origin_ms + 1_000 * want.step as i64
        );
        let got: Vec<u64> = (3..names.len())
            .map(|c| row.get_double(c).unwrap().to_bits())
            .collect();
        let want_values = [
            want.facility_mw,
            want.aux_mw,
            want.availability,
            want.available_import_mw,
            want.import_mw,
            want.export_mw,
            want.discharge_mw,
            want.charge_mw,
            want.generation_mw,
            want.unserved_mw,
            want.curtailment_mw,
            want.soc,
        ]
        .map(f64::to_bits);
        assert_eq!(got, want_values, "row {}", want.step);
        n += 1;
    }
    assert_eq!(n, rows.len());
    std::fs::remove_file(path).unwrap();
}

#[test]
fn without_a_calendar_start_there_is_no_timestamp_column() {
    let site = site(TimeGrid::new(Duration::from_minutes(10), Duration::from_days(1)).unwrap());
    let (path, rows) = write(&site, "nostart");
    let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
    let schema = reader.metadata().file_metadata().schema_descr();
    let names: Vec<String> = schema
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    assert_eq!(names, csv_header(&site));
    assert!(!names.iter().any(|n| n == "timestamp"));
    assert_eq!(
        reader.metadata().file_metadata().num_rows(),
        rows.len() as i64
    );
    let last = reader.get_row_iter(None).unwrap().last().unwrap().unwrap();
    assert_eq!(last.get_long(0).unwrap(), rows.len() as i64 - 1);
    assert_eq!(
        last.get_double(names.len() - 1).unwrap(),
        rows.last().unwrap().soc
    );
    std::fs::remove_file(path).unwrap();
}

/// A writer that accepts `room` bytes, then fails.
struct Full {
    room: usize,
}

impl std::io::Write for Full {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() > self.room {
            return Err(std::io::Error::other("disk full"));
        }
        self.room -= buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failing_writer_is_an_error_from_finish_not_a_panic() {
    let time = TimeGrid::new(Duration::from_secs(1), Duration::from_days(2)).unwrap();
    let site = site(time);
    // Room for the header only: the first row group (recorded mid-run) fails, later rows are
    // dropped, and `finish` returns the error.
    let mut pq = ParquetRecorder::new(Full { room: 64 }, &site.time).unwrap();
    site.simulate(Policy::default(), 3).run(&mut pq);
    let err = pq.finish().err().expect("the write must fail");
    assert!(err.to_string().contains("disk full"), "{err}");
}
