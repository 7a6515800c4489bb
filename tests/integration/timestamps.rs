//! The CSV trace's `timestamp` column: RFC 3339 in UTC when the time grid has a calendar
//! start, none without one.

use crate::common::{constant_load, simple_battery};
use ridethrough::prelude::*;

/// A constant 5 MW site on `time` under the feed `grid` (10 MW), with a 1 MW / 1 MWh battery.
fn five_mw_site(time: TimeGrid, grid: &GridParams) -> Site {
    Site::new(
        time,
        grid,
        &simple_battery(1.0, 1.0, 1.0),
        &constant_load(5.0),
    )
    .unwrap()
}

/// The rows of a CSV trace of `time` (a constant 5 MW site), as (header, rows of fields).
fn trace(time: TimeGrid) -> (Vec<String>, Vec<Vec<String>>) {
    let site = five_mw_site(time, &GridParams::new(Power::mw(10.0)));
    let mut csv = CsvRecorder::new(Vec::new()).with_timestamps(&site.time);
    site.simulate(Policy::default(), 1).run(&mut csv);
    let text = String::from_utf8(csv.finish().unwrap()).unwrap();
    let mut lines = text
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect());
    let header = lines.next().unwrap();
    (header, lines.collect())
}

fn start(text: &str) -> jiff::civil::DateTime {
    text.parse().unwrap()
}

#[test]
fn a_trace_with_a_start_has_rfc3339_timestamps_after_the_seconds() {
    // Half-hour steps from 22:00 on 30 June: step 4 is midnight, the last (11) 03:30.
    let time = TimeGrid::new(Duration::from_minutes(30), Duration::from_hours(6))
        .unwrap()
        .try_starting_at(start("2025-06-30T22:00:00"))
        .unwrap();
    let (header, rows) = trace(time);
    assert_eq!(&header[..4], ["step", "time_s", "timestamp", "facility_mw"]);
    assert_eq!(rows.len(), 12);
    let at = |k: usize| (rows[k][1].as_str(), rows[k][2].as_str());
    assert_eq!(at(0), ("0.0", "2025-06-30T22:00:00Z"));
    assert_eq!(at(3), ("5400.0", "2025-06-30T23:30:00Z"));
    assert_eq!(at(4), ("7200.0", "2025-07-01T00:00:00Z"));
    assert_eq!(at(11), ("19800.0", "2025-07-01T03:30:00Z"));
    // Every row has as many fields as the header.
    assert!(rows.iter().all(|r| r.len() == header.len()));
}

#[test]
fn sub_second_steps_show_milliseconds_on_every_row() {
    // 250-ms steps across the new year.
    let time = TimeGrid::new(Duration::from_millis(250), Duration::from_secs(2))
        .unwrap()
        .try_starting_at(start("2025-12-31T23:59:59"))
        .unwrap();
    let (_, rows) = trace(time);
    assert_eq!(rows.len(), 8);
    assert_eq!(rows[0][2], "2025-12-31T23:59:59.000Z");
    assert_eq!(rows[3][2], "2025-12-31T23:59:59.750Z");
    assert_eq!(rows[4][2], "2026-01-01T00:00:00.000Z");
    assert_eq!(rows[7][2], "2026-01-01T00:00:00.750Z");
}

#[test]
fn a_trace_without_a_start_has_no_timestamp_column() {
    let time = TimeGrid::new(Duration::from_minutes(30), Duration::from_hours(2)).unwrap();
    let (header, rows) = trace(time);
    assert!(!header.iter().any(|h| h == "timestamp"), "{header:?}");
    // The columns are the step record's, as without `with_timestamps`.
    assert_eq!(&header[..3], ["step", "time_s", "facility_mw"]);
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r.len() == header.len()));
}

/// The value columns carry the step record's fields under their own names, with a timestamp
/// column or without: each CSV field, read back, is the bits of the field of that name in the
/// in-memory trace of the same run (catches `StepRecord::values` returning anything else: the
/// timestamped rows are written from it). The run has a one-hour outage, so that discharge,
/// unserved load, availability and SoC move.
#[test]
fn the_value_columns_are_the_step_records_fields_by_name() {
    let time = TimeGrid::new(Duration::from_minutes(30), Duration::from_hours(4))
        .unwrap()
        .try_starting_at(start("2025-06-30T22:00:00"))
        .unwrap();
    let grid = GridParams {
        scheduled_outages: vec![crate::common::outage(
            Duration::from_hours(1),
            Duration::from_hours(1),
        )],
        ..GridParams::new(Power::mw(10.0))
    };
    let site = five_mw_site(time, &grid);
    let mut rows = TraceRecorder::default();
    site.simulate(Policy::default(), 1).run(&mut rows);
    assert!(rows
        .rows
        .iter()
        .any(|r| r.unserved_mw > 0.0 && r.discharge_mw > 0.0));
    for timestamps in [true, false] {
        let mut csv = CsvRecorder::new(Vec::new());
        if timestamps {
            csv = csv.with_timestamps(&site.time);
        }
        site.simulate(Policy::default(), 1).run(&mut csv);
        let text = csv.finish().unwrap();
        let mut reader = csv::Reader::from_reader(text.as_slice());
        let header = reader.headers().unwrap().clone();
        assert_eq!(header.iter().any(|h| h == "timestamp"), timestamps);
        let mut n = 0;
        for (record, row) in reader.records().zip(&rows.rows) {
            let record = record.unwrap();
            let fields = serde_json::to_value(row).unwrap();
            for name in StepRecord::VALUE_COLUMNS {
                let at = header.iter().position(|h| h == name).unwrap();
                let got: f64 = record[at].parse().unwrap();
                let want = fields[name].as_f64().unwrap();
                assert_eq!(got.to_bits(), want.to_bits(), "{name} at step {}", row.step);
            }
            n += 1;
        }
        assert_eq!(n, rows.rows.len());
    }
}
