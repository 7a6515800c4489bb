//! Reading the tables of a reliability test system from CSV: the generating units
//! ([`read_units_csv`], rows deserialised into [`UnitRecord`]s) and an hourly load
//! ([`read_load_csv`]), such as the IEEE RTS-79 files in `tests/data/ieee-rts-79/`.
//!
//! Every error names the file, the 1-based data row (0 for the header) and the column.

use super::csv_file;
use crate::error::ConfigError;
use crate::studies::adequacy::TwoStateUnit;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One row of a generating-unit table such as the IEEE RTS-79 `units.csv`. Columns are matched
/// by header name, so their order does not matter and other columns (`bus`, …) are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitRecord {
    /// Unit identifier.
    pub id: String,
    /// Capacity, MW.
    pub size_mw: f64,
    /// Forced outage rate (probability).
    pub forced_outage_rate: f64,
    /// Mean time to failure, hours.
    pub mttf_h: f64,
    /// Mean time to repair, hours.
    pub mttr_h: f64,
}

impl UnitRecord {
    /// The two-state unit of this record: capacity `size_mw`, forced outage rate
    /// `forced_outage_rate` as published (the MTTF/MTTR columns are not used).
    ///
    /// # Errors
    /// As [`TwoStateUnit::new`].
    pub fn two_state(&self) -> Result<TwoStateUnit, ConfigError> {
        TwoStateUnit::new(self.size_mw, self.forced_outage_rate)
    }

    /// The numeric columns with their names, for the finiteness check.
    fn numbers(&self) -> [(&'static str, f64); 4] {
        [
            ("size_mw", self.size_mw),
            ("forced_outage_rate", self.forced_outage_rate),
            ("mttf_h", self.mttf_h),
            ("mttr_h", self.mttr_h),
        ]
    }
}

/// The columns a unit table must have: the fields of [`UnitRecord`] (a test checks that they
/// are the names serde uses).
const UNIT_COLUMNS: [&str; 5] = ["id", "size_mw", "forced_outage_rate", "mttf_h", "mttr_h"];

/// Reads a generating-unit table from CSV. Columns are found by header name: `id`, `size_mw`,
/// `forced_outage_rate`, `mttf_h`, `mttr_h`, all required; other columns are ignored. Numbers
/// must be finite; their ranges are checked later, by [`UnitRecord::two_state`] or
/// [`Copt::new`](crate::studies::adequacy::Copt::new).
///
/// # Errors
/// [`ConfigError::Io`] if the file cannot be opened, [`ConfigError::Csv`] if it does not parse
/// (e.g. a row with too few fields), [`ConfigError::TraceValue`] (field = the column name) for a
/// missing column (row 0) or a value that is not a number or not finite (1-based data row).
pub fn read_units_csv(path: &Path) -> Result<Vec<UnitRecord>, ConfigError> {
    units_from_reader(csv_file::open(path)?, path)
}

/// Like [`read_units_csv`], from any reader; `path` is only used in error messages.
///
/// # Errors
/// As [`read_units_csv`].
pub fn units_from_reader<R: std::io::Read>(
    reader: R,
    path: &Path,
) -> Result<Vec<UnitRecord>, ConfigError> {
    let value_err = |field: &str, row: u64, why| csv_file::value_error(field, path, row, why);
    let mut rdr = csv_file::reader(reader);
    let headers = rdr
        .headers()
        .map_err(|e| csv_file::syntax_error(path, e))?
        .clone();
    if let Some(name) = UNIT_COLUMNS
        .iter()
        .find(|name| !headers.iter().any(|h| h == **name))
    {
        return Err(value_err(name, 0, "column missing from the header"));
    }
    let mut units = Vec::new();
    for (i, unit) in rdr.deserialize::<UnitRecord>().enumerate() {
        let row = i as u64 + 1;
        let unit = unit.map_err(|e| match e.kind() {
            csv::ErrorKind::Deserialize { err, .. } => {
                let column = err
                    .field()
                    .and_then(|f| headers.get(f as usize))
                    .unwrap_or("");
                let why = match err.kind() {
                    csv::DeserializeErrorKind::ParseFloat(_) => "value is not a number",
                    csv::DeserializeErrorKind::UnexpectedEndOfRow => "missing value",
                    _ => "value is not valid",
                };
                value_err(column, row, why)
            }
            _ => csv_file::syntax_error(path, e),
        })?;
        if let Some((name, _)) = unit.numbers().iter().find(|(_, v)| !v.is_finite()) {
            return Err(value_err(name, row, "value is not finite"));
        }
        units.push(unit);
    }
    Ok(units)
}

/// Reads one numeric column, named `column`, of a CSV load table (e.g. `load_mw` of the RTS-79
/// `load_8736h.csv`), in file order, MW. Uses [`crate::io::trace::read_csv`]; the first column
/// is interpreted as a time stamp only if it is named `t_s`, `time_s` or `seconds`.
///
/// # Errors
/// [`ConfigError::Io`], [`ConfigError::Csv`], and [`ConfigError::TraceValue`] (field = `column`)
/// for a missing column or a value that is not a finite number, as [`crate::io::trace::read_csv`].
pub fn read_load_csv(path: &Path, column: &str) -> Result<Vec<f64>, ConfigError> {
    Ok(crate::io::trace::read_csv(path, column, Some(column))?.values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<UnitRecord>, ConfigError> {
        units_from_reader(text.as_bytes(), Path::new("units.csv"))
    }

    #[test]
    fn unit_columns_are_the_serde_field_names() {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(UnitRecord {
            id: "A".into(),
            size_mw: 1.0,
            forced_outage_rate: 0.1,
            mttf_h: 9.0,
            mttr_h: 1.0,
        })
        .unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(text.lines().next().unwrap(), UNIT_COLUMNS.join(","));
    }

    #[test]
    fn reads_unit_tables_by_header_name() {
        let units =
            read("bus,id,mttr_h,size_mw,forced_outage_rate,mttf_h\n1, A ,60,12,0.02,2940\n2,B,150,400,0.12,1100\n")
                .unwrap();
        assert_eq!(units.len(), 2);
        assert_eq!(units[0].id, "A");
        assert_eq!(units[0].mttr_h, 60.0);
        assert_eq!(units[1].size_mw, 400.0);
        assert_eq!(units[1].two_state().unwrap().capacity_mw, 400.0);
        assert!(read("id,size_mw,forced_outage_rate,mttf_h,mttr_h\n")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn errors_name_the_file_row_and_column() {
        let err = |text: &str| read(text).expect_err(text);
        let value = |e: ConfigError| match e {
            ConfigError::TraceValue {
                field, path, row, ..
            } => {
                assert_eq!(path, Path::new("units.csv"));
                (field, row)
            }
            other => panic!("expected TraceValue, got {other:?}"),
        };
        assert_eq!(
            value(err("id,size_mw,forced_outage_rate,mttf_h\nA,1,0.1,5\n")),
            ("mttr_h".into(), 0)
        );
        assert_eq!(
            value(err(
                "id,size_mw,forced_outage_rate,mttf_h,mttr_h\nA,1,0.1,5,1\nB,x,0.1,5,1\n"
            )),
            ("size_mw".into(), 2)
        );
        assert_eq!(
            value(err(
                "id,size_mw,forced_outage_rate,mttf_h,mttr_h\nA,1,0.1,5,\n"
            )),
            ("mttr_h".into(), 1)
        );
        assert_eq!(
            value(err(
                "id,size_mw,forced_outage_rate,mttf_h,mttr_h\nA,1,0.1,5,1\nB,1,0.1,inf,1\nC,1,NaN,1,1\n"
            )),
            ("mttf_h".into(), 2)
        );
        let e = err("id,size_mw,forced_outage_rate,mttf_h,mttr_h\nA,1,0.1,5,1\nB,1\n");
        assert!(matches!(e, ConfigError::Csv { .. }), "{e:?}");
        assert!(e.to_string().contains("units.csv"), "{e}");
        assert!(matches!(
            read_units_csv(Path::new("/nonexistent/units.csv")),
            Err(ConfigError::Io { .. })
        ));
    }

    #[test]
    fn reads_a_load_column() {
        let dir = std::env::temp_dir().join(format!("ridethrough-rts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let load = dir.join("load.csv");
        std::fs::write(&load, "hour,load_mw\n1,10.5\n2,11\n").unwrap();
        assert_eq!(read_load_csv(&load, "load_mw").unwrap(), vec![10.5, 11.0]);
        assert!(matches!(
            read_load_csv(&load, "nope"),
            Err(ConfigError::TraceValue { row: 0, ref field, .. }) if field == "nope"
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
