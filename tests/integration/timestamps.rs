//! The CSV trace's `timestamp` column: RFC 3339 in UTC when the time grid has a calendar
//! start, none without one.

use crate::common::{constant_load, simple_battery};
use ridethrough::prelude::*;

/// The rows of a CSV trace of `time` (a constant 5 MW site), as (header, rows of fields).
fn trace(time: TimeGrid) -> (Vec<String>, Vec<Vec<String>>) {
    let site = Site::new(
        time,
        &GridParams::new(Power::mw(10.0)),
        &simple_battery(1.0, 1.0, 1.0),
        &constant_load(5.0),
    )
    .unwrap();
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
