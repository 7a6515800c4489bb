//! Target `traces`: random CSV bytes written to a temporary file and loaded three ways —
//! `io::trace::read_csv` directly, as a load trace (`[[load.it]] kind = "trace"`) and as the
//! grid's availability trace, through `Scenario::load` and `validate` — then, if valid, run.
//!
//! The CSV has headers (time columns or not, named columns or not), time stamps with gaps,
//! repeats, negatives, NaN and huge values, values from [`crate::values`], CRLF line ends,
//! quotes, ragged rows and non-UTF-8 bytes. Every outcome must be a typed error or a valid load:
//! finite values, a positive step when there is one, and a site that runs within the invariants.

use crate::check::{check_error, check_scenario, Finding};
use crate::values::{sane, EXTREME_NUMBERS};
use arbitrary::{Result, Unstructured};
use ridethrough::io::trace::read_csv;
use ridethrough::prelude::*;
use std::path::PathBuf;

/// One trace case: the file's bytes and how the scenarios around it use it.
#[derive(Clone, PartialEq)]
pub struct TraceCase {
    /// The CSV file's bytes.
    pub csv: Vec<u8>,
    /// The value column the scenarios name (`None`: the first non-time column).
    pub column: Option<String>,
    /// The time grid's step for the scenarios.
    pub step: String,
    /// The time grid's number of steps.
    pub steps: u64,
}

impl std::fmt::Debug for TraceCase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "column = {:?}, step = {:?}, steps = {}, csv =",
            self.column, self.step, self.steps
        )?;
        for line in self.csv.split(|b| *b == b'\n') {
            writeln!(f, "  {}", line.escape_ascii())?;
        }
        Ok(())
    }
}

/// A random CSV and the grid it is loaded on.
pub fn generate(u: &mut Unstructured) -> Result<TraceCase> {
    let time_col = *u.choose(&["t_s", "time_s", "seconds", "T_S", "t", ""])?;
    let value_cols = *u.choose(&[
        &["it_mw"][..],
        &["availability"],
        &["a", "b"],
        &[],
        &["it_mw", "it_mw"],
        &["\"quoted, name\""],
    ])?;
    let mut header: Vec<&str> = Vec::new();
    if !time_col.is_empty() {
        header.push(time_col);
    }
    header.extend_from_slice(value_cols);
    let width = header.len().max(1);
    let crlf: bool = u.ratio(1u8, 8u8)?;
    let end = if crlf { "\r\n" } else { "\n" };
    let mut text = String::new();
    if u.ratio(15u8, 16u8)? {
        text += &header.join(",");
        text += end;
    }
    let step_s = *u.choose(&[1.0, 0.1, 60.0, 3600.0, 0.0005, 0.0, 1e300, 86400.0 * 400.0])?;
    let rows = u.int_in_range(0usize..=40)?;
    let availability = value_cols.first() == Some(&"availability") || u.arbitrary()?;
    for i in 0..rows {
        let mut fields = Vec::with_capacity(width);
        if !time_col.is_empty() {
            fields.push(match u.int_in_range(0u8..=15)? {
                0 => u.choose(EXTREME_NUMBERS)?.to_string(),
                1 => format!("{}", step_s * (i as f64 + 1.5)),
                2 => String::new(),
                _ => format!("{}", step_s * i as f64),
            });
        }
        for _ in 0..value_cols.len().max(usize::from(time_col.is_empty())) {
            fields.push(match u.int_in_range(0u8..=11)? {
                0 => u.choose(EXTREME_NUMBERS)?.to_string(),
                1 => u
                    .choose(&["NaN", "", "abc", "1,2", "\"3\"", " 4 "])?
                    .to_string(),
                _ if availability => format!("{}", sane(u, 0.0, 1.0)?),
                _ => format!("{}", sane(u, 0.0, 20.0)?),
            });
        }
        if u.ratio(1u8, 20u8)? {
            fields.pop();
        }
        text += &fields.join(",");
        text += end;
    }
    let mut csv = text.into_bytes();
    if u.ratio(1u8, 8u8)? && !csv.is_empty() {
        let i = u.choose_index(csv.len())?;
        let bad = *u.choose(&[0xffu8, 0xc3, 0x80, 0x00, b'"'])?;
        csv.insert(i, bad);
    }
    let column = if u.ratio(1u8, 4u8)? {
        Some(
            u.choose(&["it_mw", "availability", "b", "missing"])?
                .to_string(),
        )
    } else {
        None
    };
    let step = u
        .choose(&["1s", "100ms", "1m", "1h", "500ms", "1ms"])?
        .to_string();
    let steps = if u.ratio(3u8, 4u8)? {
        rows.max(1) as u64
    } else {
        u.int_in_range(1u64..=100)?
    };
    Ok(TraceCase {
        csv,
        column,
        step,
        steps,
    })
}

/// A folder of this process's own under the system's temporary folder, for trace files.
pub fn scratch_dir() -> PathBuf {
    scratch_dir_of(std::process::id())
}

/// The scratch folder of process `pid` (removed by the parent when a worker dies).
pub fn scratch_dir_of(pid: u32) -> PathBuf {
    std::env::temp_dir().join(format!("ridethrough-fuzz-{pid}"))
}

/// Writes the case's files and loads them every way.
///
/// # Errors
/// The [`Finding`] of the first broken invariant.
pub fn check(case: &TraceCase) -> std::result::Result<(), Finding> {
    let dir = scratch_dir();
    let io = |e: std::io::Error| Finding {
        class: "harness: cannot write the scratch files".into(),
        detail: format!("{}: {e}", dir.display()),
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    let csv = dir.join("trace.csv");
    std::fs::write(&csv, &case.csv).map_err(io)?;
    match read_csv(&csv, "fuzz", case.column.as_deref()) {
        Ok(series) => {
            if let Some(v) = series.values.iter().find(|v| !v.is_finite()) {
                return Err(Finding {
                    class: "trace: a non-finite value is loaded".into(),
                    detail: format!("value {v}"),
                });
            }
            if series.step.is_some_and(|s| s.is_zero()) {
                return Err(Finding {
                    class: "trace: a zero step is loaded".into(),
                    detail: format!("{series:?}"),
                });
            }
        }
        Err(e) => check_error(&e)?,
    }
    let column = match &case.column {
        Some(c) => format!("column = \"{c}\"\n"),
        None => String::new(),
    };
    let time = format!(
        "seed = 1\n[time]\nstep = \"{}\"\nsteps = {}\n",
        case.step, case.steps
    );
    let battery = "[battery]\npreset = \"megapack2xl_4h\"\nunits = 4\n";
    let as_load = format!(
        "{time}[grid]\nimport_limit_mw = 20.0\n{battery}[load]\n[[load.it]]\nkind = \"trace\"\n\
         path = \"trace.csv\"\n{column}"
    );
    let as_availability = format!(
        "{time}[grid]\nimport_limit_mw = 20.0\n[grid.availability_trace]\npath = \"trace.csv\"\n\
         {column}{battery}[load]\n[[load.it]]\nkind = \"constant\"\nit_mw = 8.0\n"
    );
    for (name, text) in [
        ("load.toml", as_load),
        ("availability.toml", as_availability),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(io)?;
        check_scenario(Scenario::load(&path))?;
    }
    Ok(())
}
