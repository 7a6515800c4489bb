//! The `ridethrough` binary end to end: version, the default run, a bundled scenario, bad input,
//! and Monte Carlo mode with its output files. (One integration-test binary.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The bundled scenario folder of the library.
fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/scenarios")
}

/// A fresh folder for one test's files.
fn temp_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(test);
    // A leftover from an earlier run may or may not be there.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the test's temp folder");
    dir
}

/// The default scenario with `from` replaced by `to`, written to `test`'s temp folder.
fn edited_default(test: &str, from: &str, to: &str) -> PathBuf {
    let default =
        std::fs::read_to_string(scenarios().join("austin_10k_gpu.toml")).expect("default scenario");
    let edited = default.replace(from, to);
    assert_ne!(edited, default, "the default scenario has {from:?}");
    let path = temp_dir(test).join("scenario.toml");
    std::fs::write(&path, edited).expect("write the edited scenario");
    path
}

/// Runs the binary with `args` (progress bar off, as under CI).
fn ridethrough<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_ridethrough"))
        .args(args)
        .env("CI", "1")
        .output()
        .expect("the binary starts")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts success, showing stderr if not.
fn assert_ok(out: &Output) {
    assert!(out.status.success(), "failed: {}", stderr(out));
}

/// Asserts failure with an `error: …` message on stderr that contains `needle`.
fn assert_fails_naming(out: &Output, needle: &str) {
    let err = stderr(out);
    assert!(
        !out.status.success(),
        "should fail; stdout: {}",
        stdout(out)
    );
    assert!(err.starts_with("error: "), "stderr: {err}");
    assert!(err.contains(needle), "stderr should name {needle:?}: {err}");
}

#[test]
fn version_prints_the_package_version() {
    let out = ridethrough(["--version"]);
    assert_ok(&out);
    assert_eq!(
        stdout(&out).trim(),
        format!("ridethrough {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_lists_the_flags() {
    let out = ridethrough(["--help"]);
    assert_ok(&out);
    for flag in [
        "--json",
        "--trace",
        "--seed",
        "--step",
        "--samples",
        "--survival",
    ] {
        assert!(stdout(&out).contains(flag), "--help lacks {flag}");
    }
}

#[test]
fn default_scenario_runs_and_prints_the_report() {
    let out = ridethrough(std::iter::empty::<&str>());
    assert_ok(&out);
    let text = stdout(&out);
    assert!(text.contains("scenario: Austin 10k-GPU training cluster"));
    assert!(text.contains("ridethrough report"));
    assert!(text.contains("525600 steps of 1m"));
    assert!(text.contains("physics checks passed"));
}

#[test]
fn bundled_scenario_runs_with_json_report() {
    let dir = temp_dir("bundled_scenario");
    let json = dir.join("report.json");
    let out = ridethrough([
        scenarios().join("colossus_150mw.toml").as_os_str(),
        "--json".as_ref(),
        json.as_os_str(),
    ]);
    assert_ok(&out);
    assert!(stdout(&out).contains("policy peak_shaving"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("report written"))
            .expect("report is JSON");
    assert_eq!(report["steps_done"], 8760);
}

#[test]
fn missing_scenario_fails_naming_the_file() {
    let out = ridethrough(["does-not-exist.toml"]);
    assert_config_error(&out, "does-not-exist.toml");
}

#[test]
fn bad_value_fails_naming_the_field() {
    let path = edited_default("bad_value", "initial_soc = 1.0", "initial_soc = 1.2");
    let out = ridethrough([&path]);
    assert_config_error(&out, "battery.initial_soc = 1.2 is out of range");
}

#[test]
fn monte_carlo_writes_indices_and_per_sample_rows() {
    const SAMPLES: usize = 300;
    let dir = temp_dir("monte_carlo");
    let json = dir.join("mc.json");
    let rows = dir.join("samples.csv");
    let samples = SAMPLES.to_string();
    let out = ridethrough([
        "--samples".as_ref(),
        samples.as_ref(),
        "--step".as_ref(),
        "1h".as_ref(),
        "--threads".as_ref(),
        "2".as_ref(),
        "--json".as_ref(),
        json.as_os_str(),
        "--per-sample".as_ref(),
        rows.as_os_str(),
    ]);
    assert_ok(&out);
    let text = stdout(&out);
    assert!(text.contains(&format!("Monte Carlo reliability: {SAMPLES} samples")));
    assert!(text.contains("index checks passed"));
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("indices written"))
            .expect("indices are JSON");
    assert_eq!(result["indices"]["samples"], SAMPLES);
    let csv = std::fs::read_to_string(&rows).expect("per-sample rows written");
    assert_eq!(
        csv.lines().count(),
        SAMPLES + 1,
        "a header and one row per sample"
    );
    assert!(csv.starts_with("index,seed,unserved_mwh"));
}

/// Asserts a scenario or configuration error: exit code 1 and an `error: …` message that
/// contains `needle`.
fn assert_config_error(out: &Output, needle: &str) {
    assert_fails_naming(out, needle);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(out));
}

/// Asserts a usage error: exit code 2 and an `error: …` message that contains `needle`.
fn assert_usage_error(out: &Output, needle: &str) {
    assert_fails_naming(out, needle);
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(out));
}

#[test]
fn bad_flag_values_fail_naming_flag_value_and_range() {
    // (flag, value, what the message says of it after "FLAG = VALUE is ").
    let threads = "out of range: allowed 1 ≤ x ≤ ";
    let samples = "out of range: allowed 1 ≤ x ≤ 100000000";
    let target_se = "out of range: allowed 0 < x < 1";
    let step = "out of range: allowed at least 1ms";
    let survival = "out of range: allowed a whole number of hours, at least 1h";
    for (flag, value, says) in [
        ("--threads", "100000", threads),
        ("--threads", "0", threads),
        ("--threads", "-1", threads),
        ("--samples", "0", samples),
        ("--samples", "-5", samples),
        ("--samples", "1000000000000", samples),
        ("--samples", "2.5", "not a whole number"),
        (
            "--seed",
            "-1",
            "out of range: allowed 0 ≤ x ≤ 18446744073709551615",
        ),
        ("--target-se", "1", target_se),
        ("--target-se", "0", target_se),
        ("--target-se", "-0.1", target_se),
        ("--target-se", "NaN", target_se),
        ("--step", "0s", step),
        ("--step", "-1h", step),
        ("--step", "fortnight", "not a duration"),
        ("--survival", "1ms", survival),
        ("--survival", "90m", survival),
        ("--survival", "-3h", survival),
    ] {
        let out = ridethrough([flag, value]);
        assert_usage_error(&out, &format!("{flag} = {value} is {says}"));
        // Negative numbers are values, not flags: no clap hint to write `-- -5`.
        assert!(!stderr(&out).contains("-- -"), "{}", stderr(&out));
    }
}

#[test]
fn values_that_do_not_fit_the_scenario_fail_naming_the_flag() {
    // 7 h does not divide the default's 365-day horizon.
    assert_usage_error(
        &ridethrough(["--step", "7h"]),
        "--step = 7h does not fit the scenario: time.horizon 365d",
    );
    // A 36 h sweep is not a whole number of 1-day steps (the sweep would round it to 48 h).
    assert_usage_error(
        &ridethrough(["--step", "1d", "--survival", "36h"]),
        "--survival = 36h is out of range: allowed a whole number of steps of 1d",
    );
}

#[test]
fn flags_outside_their_mode_fail_naming_both_flags() {
    for (args, message) in [
        (&["--threads", "2"][..], "--threads needs --samples"),
        (&["--target-se", "0.1"], "--target-se needs --samples"),
        (
            &["--per-sample", "rows.csv"],
            "--per-sample needs --samples",
        ),
        (
            &["--samples", "10", "--trace", "steps.csv"],
            "--trace cannot be used with --samples",
        ),
    ] {
        let out = ridethrough(args);
        assert_usage_error(&out, message);
    }
}

#[test]
fn survival_applies_without_samples() {
    let out = ridethrough(["--step", "1h", "--survival", "24h"]);
    assert_ok(&out);
    assert!(stdout(&out).contains("Outage survival (8760 start steps"));
}

#[test]
fn cost_guard_refuses_long_runs_and_names_force() {
    for args in [
        // 10⁸ samples of a year at 1-minute steps: 5 × 10¹³ sample-steps.
        &["--samples", "100000000"][..],
        // A year at 1 ms steps: 3 × 10¹⁰ steps.
        &["--step", "1ms"],
        // A 1000-year horizon at 100 ms steps is the same order as a year at 1 ms.
        &["--step", "100ms", "--samples", "1000"],
    ] {
        let out = ridethrough(args);
        assert_usage_error(&out, "this run could take about");
        assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
        assert!(stdout(&out).is_empty(), "nothing ran: {}", stdout(&out));
    }
}

#[test]
fn the_cost_guard_judges_a_fast_forwarded_study_on_a_pilot() {
    // 30,000 years at 1-minute steps: 1.6 × 10¹⁰ sample-steps if every step were stepped (over
    // the limit), but a backup-only year steps only its outages and recharges.
    let out = ridethrough(["--samples", "30000"]);
    assert_ok(&out);
    assert!(stdout(&out).contains("30000 samples"), "{}", stdout(&out));
    // A survival sweep in closed form is cheap at any length.
    let out = ridethrough(["--step", "1h", "--survival", "70000h"]);
    assert_ok(&out);
}

#[test]
fn cost_guard_refuses_an_enormous_trace() {
    let dir = temp_dir("enormous_trace");
    let trace = dir.join("steps.csv");
    let out = ridethrough([
        "--step".as_ref(),
        "1s".as_ref(),
        "--trace".as_ref(),
        trace.as_os_str(),
    ]);
    assert_usage_error(&out, "would be about 3.5 GB");
    assert!(stderr(&out).contains("--force"));
    assert!(!trace.exists(), "no trace file was started");
}

#[test]
fn force_runs_what_the_guard_refuses() {
    // Two days at 1-minute steps, swept for outages of up to 70 000 h: the estimate (every outage
    // running its full length) is over the limit, but the battery runs out within hours, so the
    // sweep is quick. (The maintenance window moves from day 120 into the two days; the battery
    // self-discharges, so the sweep steps its outages instead of taking the closed form.)
    let path = edited_default(
        "force",
        "start = \"120d\"\nduration = \"4h\"",
        "start = \"1d\"\nduration = \"4h\"",
    );
    let two_days = std::fs::read_to_string(&path)
        .unwrap()
        .replace("horizon = \"365d\"", "horizon = \"2d\"")
        .replace("units = 16", "units = 16\nself_discharge_per_day = 0.001");
    std::fs::write(&path, two_days).unwrap();
    let refused = ridethrough([path.as_os_str(), "--survival".as_ref(), "70000h".as_ref()]);
    assert_usage_error(&refused, "--force");
    let forced = ridethrough([
        path.as_os_str(),
        "--survival".as_ref(),
        "70000h".as_ref(),
        "--force".as_ref(),
    ]);
    assert_ok(&forced);
    assert!(stdout(&forced).contains("Outage survival (2880 start steps"));
}

#[test]
fn help_documents_exit_codes_and_limits() {
    let text = stdout(&ridethrough(["--help"]));
    for needle in ["Exit codes:", "  2  a usage error", "Limits:", "--force"] {
        assert!(text.contains(needle), "--help lacks {needle:?}");
    }
}

/// Spawns the default run with standard output piped, lets `read` take what it wants of it,
/// closes the pipe and waits: the program must end with exit code 0 and no panic.
fn assert_quiet_end_on_closed_pipe(read: impl FnOnce(&mut dyn std::io::BufRead)) {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ridethrough"))
        .env("CI", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let pipe = child.stdout.take().expect("stdout is piped");
    read(&mut std::io::BufReader::new(pipe)); // the reader (and the pipe) dropped here
    let out = child.wait_with_output().expect("the binary ends");
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "stderr: {err}");
    assert_eq!(out.status.code(), Some(0), "stderr: {err}");
}

#[test]
fn closed_pipe_after_the_first_line_ends_quietly() {
    // `ridethrough | head -1`.
    assert_quiet_end_on_closed_pipe(|r| {
        let mut line = String::new();
        r.read_line(&mut line).expect("a first line");
        assert!(line.starts_with("scenario: "), "{line}");
    });
}

#[test]
fn closed_pipe_before_any_output_ends_quietly() {
    assert_quiet_end_on_closed_pipe(|_| {});
}
