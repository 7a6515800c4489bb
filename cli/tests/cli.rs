//! The `ridethrough` binary end to end: version, the default run (with and without `run`), a
//! bundled scenario, bad input, every subcommand on a tiny scenario, `--set`, `--quiet`, replay
//! of a Monte Carlo sample, and exit codes. (One integration-test binary.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "cli/enclosure.rs"]
mod enclosure;
#[path = "cli/life_plan.rs"]
mod life_plan;
#[path = "cli/size.rs"]
mod size;

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
fn help_lists_the_subcommands_and_flags() {
    let out = ridethrough(["--help"]);
    assert_ok(&out);
    for needle in [
        "run", "mc", "merge", "survival", "size", "life", "compare", "plot", "--json", "--trace",
        "--seed", "--step", "--set", "--quiet",
    ] {
        assert!(stdout(&out).contains(needle), "--help lacks {needle}");
    }
    for (sub, flags) in [
        (
            "mc",
            &[
                "--samples",
                "--threads",
                "--target-se",
                "--per-sample",
                "--shard",
                "--shard-from-env",
                "--out",
            ][..],
        ),
        ("merge", &["--json"]),
        ("survival", &["--max"]),
        (
            "size",
            &["--lole", "--eue", "--survive", "--min-units", "--max-units"],
        ),
        (
            "life",
            &["--samples", "--survive", "--lole", "--eue", "--probability"],
        ),
        ("compare", &["--samples"]),
        ("plot", &["--out", "--format"]),
        ("run", &["--replay-sample", "--trace"]),
    ] {
        let out = ridethrough([sub, "--help"]);
        assert_ok(&out);
        assert!(stdout(&out).contains("Exit codes:"), "{sub} --help");
        for flag in flags {
            assert!(stdout(&out).contains(flag), "{sub} --help lacks {flag}");
        }
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
    // The reserve is named for what it is: the window serves an outage, the reserve's 20 % of
    // 62.7 MWh is held back from everything else.
    assert!(text.contains("62.7 MWh usable in an outage (the whole SoC window)"));
    assert!(text.contains(
        "backup reserve SoC 20 % (12.5 MWh stored): held back from peak shaving and smoothing, \
         used only in outages"
    ));
    assert!(text.contains("0.25 h inside the backup reserve (SoC < 20 %)"));
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
        "mc".as_ref(),
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
    let life_survive =
        "out of range: allowed a whole number of hours, 1h ≤ x ≤ 8760h (an outage inside a year of life)";
    let positive = "out of range: allowed a finite number > 0";
    for (sub, flag, value, says) in [
        ("mc", "--threads", "100000", threads),
        ("mc", "--threads", "0", threads),
        ("mc", "--threads", "-1", threads),
        ("mc", "--samples", "0", samples),
        ("mc", "--samples", "-5", samples),
        ("mc", "--samples", "1000000000000", samples),
        ("mc", "--samples", "2.5", "not a whole number"),
        (
            "run",
            "--seed",
            "-1",
            "out of range: allowed 0 ≤ x ≤ 18446744073709551615",
        ),
        ("mc", "--target-se", "1", target_se),
        ("mc", "--target-se", "0", target_se),
        ("mc", "--target-se", "-0.1", target_se),
        ("mc", "--target-se", "NaN", target_se),
        ("run", "--step", "0s", step),
        ("run", "--step", "-1h", step),
        ("run", "--step", "fortnight", "not a duration"),
        ("survival", "--max", "1ms", survival),
        ("survival", "--max", "90m", survival),
        ("survival", "--max", "-3h", survival),
        // The library takes up to a year of life; the flag refuses past it, and 0h, as the
        // other survival flags do (P(survive 0 h) is 1), with one message.
        ("life", "--survive", "10000h", life_survive),
        ("life", "--survive", "8761h", life_survive),
        ("life", "--survive", "0h", life_survive),
        ("life", "--survive", "90m", life_survive),
        ("life", "--survive", "-2h", life_survive),
        ("size", "--lole", "0", positive),
        ("size", "--lole", "-1", positive),
        ("size", "--eue", "inf", positive),
        (
            "size",
            "--max-units",
            "100001",
            "out of range: allowed 0 ≤ x ≤ 100000",
        ),
        (
            "size",
            "--probability",
            "1.5",
            "out of range: allowed 0 < x ≤ 1",
        ),
        (
            "run",
            "--replay-sample",
            "-1",
            "out of range: allowed 0 ≤ x ≤ 99999999",
        ),
    ] {
        let out = ridethrough([sub, flag, value]);
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
        &ridethrough(["survival", "--step", "1d", "--max", "36h"]),
        "--max = 36h is out of range: allowed a whole number of steps of 1d",
    );
}

#[test]
fn flags_outside_their_subcommand_fail_naming_the_flag() {
    // The earlier top-level mode flags name the subcommand that replaces them.
    for (args, message) in [
        (
            &["--samples", "10"][..],
            "--samples now belongs to a subcommand: ridethrough mc",
        ),
        (
            &["--threads", "2"],
            "--threads now belongs to a subcommand: ridethrough mc",
        ),
        (
            &["--target-se", "0.1"],
            "--target-se now belongs to a subcommand",
        ),
        (
            &["--per-sample", "rows.csv"],
            "--per-sample now belongs to a subcommand",
        ),
        (
            &["--survival", "96h"],
            "--survival now belongs to a subcommand: ridethrough survival --max",
        ),
        // `run`'s flags before another subcommand.
        (
            &["--json", "x.json", "mc", "--samples", "3"],
            "--json cannot be used with a subcommand after it",
        ),
        // Sizing flags that do not fit the target.
        (&["size", "--lole", "0.1"], "--lole needs --samples"),
        (
            &[
                "size",
                "--survive",
                "4h",
                "--probability",
                "0.9",
                "--samples",
                "10",
            ],
            "--samples cannot be used with --survive",
        ),
        (
            &[
                "size",
                "--lole",
                "1",
                "--samples",
                "5",
                "--min-units",
                "9",
                "--max-units",
                "3",
            ],
            "--min-units cannot be used with a smaller --max-units",
        ),
    ] {
        let out = ridethrough(args);
        assert_usage_error(&out, message);
    }
    // clap's own: a Monte Carlo flag on `run`, a trace on `mc`, no target for `size`.
    for args in [
        &["run", "--samples", "10"][..],
        &["mc", "--samples", "10", "--trace", "steps.csv"],
        &["size", "--samples", "10"],
    ] {
        let out = ridethrough(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn survival_sweeps_the_scenario() {
    let out = ridethrough(["survival", "--step", "1h", "--max", "24h"]);
    assert_ok(&out);
    assert!(stdout(&out).contains("Outage survival (8760 start steps"));
}

#[test]
fn cost_guard_refuses_long_runs_and_names_force() {
    for args in [
        // 10⁸ samples of a year at 1-minute steps: 5 × 10¹³ sample-steps.
        &["mc", "--samples", "100000000"][..],
        // A year at 1 ms steps: 3 × 10¹⁰ steps.
        &["--step", "1ms"],
        // A 1000-year horizon at 100 ms steps is the same order as a year at 1 ms.
        &["mc", "--step", "100ms", "--samples", "1000"],
        // A sizing search repeats its study at up to 11 sizes.
        &["size", "--step", "1ms", "--lole", "1", "--samples", "2"],
    ] {
        let out = ridethrough(args);
        assert_usage_error(&out, "this run could take about");
        assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
        assert!(stdout(&out).is_empty(), "nothing ran: {}", stdout(&out));
    }
}

#[test]
fn the_cost_guard_names_the_outage_flag_of_the_subcommand_run() {
    let twenty = scenarios().join("austin_20yr.toml");
    let twenty = twenty.to_str().expect("a UTF-8 path");
    for (args, hint) in [
        (
            &["life", twenty, "--samples", "100000000", "--survive", "4h"][..],
            "lower --samples, coarsen --step or shorten --survive, or pass --force",
        ),
        (
            &["survival", "--step", "1ms", "--max", "1h"],
            "lower --samples, coarsen --step or shorten --max, or pass --force",
        ),
        (
            &[
                "size",
                "--step",
                "1ms",
                "--survive",
                "1h",
                "--probability",
                "0.9",
            ],
            "lower --samples, coarsen --step or shorten --survive, or pass --force",
        ),
        // No outage flag: none named.
        (
            &["mc", "--samples", "100000000"],
            "lower --samples or coarsen --step, or pass --force",
        ),
    ] {
        let out = ridethrough(args);
        assert_usage_error(&out, hint);
        assert!(!stderr(&out).contains("--survival"), "{}", stderr(&out));
    }
}

#[test]
fn the_cost_guard_judges_a_fast_forwarded_study_on_a_pilot() {
    // 30,000 years at 1-minute steps: 1.6 × 10¹⁰ sample-steps if every step were stepped (over
    // the limit), but a backup-only year steps only its outages and recharges.
    let out = ridethrough(["mc", "--samples", "30000"]);
    assert_ok(&out);
    assert!(stdout(&out).contains("30000 samples"), "{}", stdout(&out));
    // A survival sweep in closed form is cheap at any length.
    let out = ridethrough(["survival", "--step", "1h", "--max", "70000h"]);
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
    let refused = ridethrough([
        "survival".as_ref(),
        path.as_os_str(),
        "--max".as_ref(),
        "70000h".as_ref(),
    ]);
    assert_usage_error(&refused, "--force");
    let forced = ridethrough([
        "survival".as_ref(),
        path.as_os_str(),
        "--max".as_ref(),
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

/// A tiny scenario for the subcommands: the default site over 28 days at hourly steps, its
/// maintenance outage moved to day 3, and 4 Megapacks (so some sampled outages lose load),
/// written as `name` in `test`'s temp folder (with `units` units).
fn tiny(test: &str, name: &str, units: u32) -> PathBuf {
    let default =
        std::fs::read_to_string(scenarios().join("austin_10k_gpu.toml")).expect("default scenario");
    let text = default
        .replace("step = \"1m\"", "step = \"1h\"")
        .replace("horizon = \"365d\"", "horizon = \"28d\"")
        .replace("start = \"120d\"", "start = \"3d\"")
        .replace("units = 16", &format!("units = {units}"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(test);
    std::fs::create_dir_all(&dir).expect("create the test's temp folder");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the tiny scenario");
    path
}

fn args<'a>(items: &'a [&'a str], path: &'a Path) -> Vec<&'a std::ffi::OsStr> {
    items
        .iter()
        .map(|s| {
            if *s == "SCENARIO" {
                path.as_os_str()
            } else {
                s.as_ref()
            }
        })
        .collect()
}

#[test]
fn no_subcommand_is_run() {
    let path = tiny("no_subcommand", "tiny.toml", 4);
    let plain = ridethrough(args(&["SCENARIO", "--quiet"], &path));
    let run = ridethrough(args(&["run", "SCENARIO", "--quiet"], &path));
    assert_ok(&plain);
    assert_ok(&run);
    assert!(
        stdout(&plain).contains("672 steps of 1h"),
        "{}",
        stdout(&plain)
    );
    assert_eq!(stdout(&plain), stdout(&run));
}

#[test]
fn every_subcommand_runs_on_a_tiny_scenario() {
    let path = tiny("subcommands", "tiny.toml", 4);
    let dir = temp_dir("subcommands_out");
    let out = ridethrough(args(&["mc", "SCENARIO", "--samples", "64"], &path));
    assert_ok(&out);
    assert!(stdout(&out).contains("Monte Carlo reliability: 64 samples"));
    let out = ridethrough(args(&["survival", "SCENARIO", "--max", "12h"], &path));
    assert_ok(&out);
    assert!(stdout(&out).contains("Outage survival (672 start steps"));
    let out = ridethrough(args(
        &[
            "size",
            "SCENARIO",
            "--survive",
            "4h",
            "--probability",
            "0.9",
            "--max-units",
            "40",
        ],
        &path,
    ));
    assert_ok(&out);
    let text = stdout(&out);
    assert!(
        text.contains("Battery sizing: P(ride through 4h) ≥ 0.9"),
        "{text}"
    );
    // 4 hours of ≈12.4 MW from 3.92 MWh units: 13 hold ≈51 MWh, not enough with the
    // auxiliary load and losses; 14 are (see the library's sizing tests for the closed form).
    assert!(text.contains("answer: 14 units"), "{text}");
    assert!(text.contains("13 units do not meet the target"), "{text}");
    let out = ridethrough(args(
        &[
            "size",
            "SCENARIO",
            "--lole",
            "5",
            "--samples",
            "32",
            "--max-units",
            "40",
        ],
        &path,
    ));
    assert_ok(&out);
    assert!(stdout(&out).contains("answer: "), "{}", stdout(&out));
    let b = tiny("subcommands", "tiny_b.toml", 16);
    let json = dir.join("compare.json");
    let out = ridethrough([
        "compare".as_ref(),
        path.as_os_str(),
        b.as_os_str(),
        "--samples".as_ref(),
        "64".as_ref(),
        "--json".as_ref(),
        json.as_os_str(),
    ]);
    assert_ok(&out);
    let text = stdout(&out);
    assert!(
        text.contains("EUE (MWh per sample)") && text.contains("(paired)"),
        "{text}"
    );
    let c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("comparison written"))
            .expect("comparison is JSON");
    // More Megapacks never lose more on the same outages.
    assert!(c["eue_difference_mwh"]["mean"].as_f64().unwrap() <= 0.0);
    let plots = dir.join("plots");
    let out = ridethrough([
        "plot".as_ref(),
        path.as_os_str(),
        "--out".as_ref(),
        plots.as_os_str(),
        "--format".as_ref(),
        "png".as_ref(),
        "--samples".as_ref(),
        "32".as_ref(),
        "--max".as_ref(),
        "12h".as_ref(),
    ]);
    assert_ok(&out);
    for chart in [
        "time_series",
        "outage_zoom",
        "survival",
        "lolp_heatmap",
        "unserved_distribution",
    ] {
        let file = plots.join(format!("{chart}.png"));
        let bytes = std::fs::read(&file).unwrap_or_else(|_| panic!("{chart} drawn"));
        assert!(bytes.starts_with(b"\x89PNG"), "{chart} is a PNG");
    }
}

#[test]
fn set_overrides_a_field_by_its_path() {
    let path = tiny("set", "tiny.toml", 4);
    let out = ridethrough(args(
        &[
            "run",
            "SCENARIO",
            "--set",
            "time.horizon=4d",
            "--set",
            "battery.units=40",
        ],
        &path,
    ));
    assert_ok(&out);
    let text = stdout(&out);
    assert!(text.contains("96 steps of 1h"), "{text}");
    assert!(text.contains("40 units"), "{text}");
    // Global: before the subcommand, on the embedded default, into an array of tables.
    let out = ridethrough([
        "--set",
        "grid.scheduled_outages[0].duration=6h",
        "--set",
        "time.step=1h",
        "run",
    ]);
    assert_ok(&out);
    assert!(
        stdout(&out).contains("8760 steps of 1h"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn bad_set_overrides_fail_naming_the_key() {
    let path = tiny("bad_set", "tiny.toml", 4);
    for (set, says) in [
        (
            "batery.units=4",
            "--set batery.units=4: the scenario has no batery",
        ),
        (
            "grid.scheduled_outages[5].duration=1h",
            "the scenario has no grid.scheduled_outages[5]",
        ),
        ("battery.unitz=4", "--set battery.unitz=4 is refused"),
        ("battery.units=lots", "--set battery.units=lots is refused"),
        (
            "battery.units=200000",
            "--set battery.units=200000 is refused: battery.units = 200000 is out of range",
        ),
        (
            "battery.initial_soc=1.5",
            "--set battery.initial_soc=1.5 is refused: battery.initial_soc = 1.5 is out of range",
        ),
        ("battery.units", "--set = battery.units is not KEY=VALUE"),
    ] {
        let out = ridethrough(args(&["run", "SCENARIO", "--set", set], &path));
        assert_usage_error(&out, says);
    }
    let out = ridethrough(args(
        &["run", "SCENARIO", "--set", "battery.unitz=4"],
        &path,
    ));
    assert!(stderr(&out).contains("unitz"), "{}", stderr(&out));
}

#[test]
fn set_overrides_of_the_lifetime_keys_are_refused_naming_the_entry_and_the_forms() {
    let twenty = scenarios().join("austin_20yr.toml");
    let twenty = twenty.to_str().expect("a UTF-8 path");
    for (set, says) in [
        // A year past the 20-year horizon: the entry, its index and the last year allowed.
        (
            "battery.augmentation.add=[{year=5,units=1},{year=21,units=1}]",
            "battery.augmentation.add[1].year = 21 is out of range: allowed 2 ≤ year \
             ≤ 20 (the years of life the horizon of 7300d starts",
        ),
        // The accepted forms, not serde's untagged-enum message.
        (
            "battery.thermal.ambient=\"paris_synthetic\"",
            "invalid value: string \"paris_synthetic\", expected a temperature in °C (e.g. \
             25.0), \"austin_synthetic\", { synthetic = { … } } or { trace = \"file.csv\", \
             column = \"temp_c\" }\nin `battery.thermal.ambient`",
        ),
        (
            "battery.efficiency_curve=\"pvwatts\"",
            "expected \"calibrated\" or a list of points",
        ),
    ] {
        let out = ridethrough(["life", twenty, "--samples", "1", "--set", set]);
        assert_usage_error(&out, &format!("--set {set} is refused: "));
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
        assert!(!stderr(&out).contains("untagged"), "{}", stderr(&out));
    }
}

#[test]
fn quiet_prints_only_results() {
    let path = tiny("quiet", "tiny.toml", 4);
    let loud = ridethrough(args(&["run", "SCENARIO"], &path));
    let quiet = ridethrough(args(&["run", "SCENARIO", "--quiet"], &path));
    assert_ok(&quiet);
    assert!(stdout(&loud).contains("physics checks passed"));
    assert!(stdout(&quiet).contains("ridethrough report"));
    for line in ["simulated ", "physics checks passed"] {
        assert!(!stdout(&quiet).contains(line), "{}", stdout(&quiet));
    }
    let quiet = ridethrough(args(&["-q", "mc", "SCENARIO", "--samples", "16"], &path));
    assert_ok(&quiet);
    assert!(stdout(&quiet).contains("Monte Carlo reliability"));
    assert!(!stdout(&quiet).contains("index checks passed"));
    assert!(
        stderr(&quiet).is_empty(),
        "no progress bar: {}",
        stderr(&quiet)
    );
}

/// Energy of a replayed sample against its Monte Carlo row: the study fast-forwards through
/// quiet time and sums energies in another order (rounding only).
const REPLAY_MWH: f64 = 1e-6;

#[test]
fn replay_reruns_a_monte_carlo_sample() {
    let path = tiny("replay", "tiny.toml", 4);
    let dir = temp_dir("replay_out");
    let rows = dir.join("rows.csv");
    let out = ridethrough([
        "mc".as_ref(),
        path.as_os_str(),
        "--samples".as_ref(),
        "64".as_ref(),
        "--per-sample".as_ref(),
        rows.as_os_str(),
    ]);
    assert_ok(&out);
    let text = std::fs::read_to_string(&rows).expect("rows written");
    let rows: Vec<Vec<String>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    // The sample that lost the most, so the replay has something to match.
    let worst = rows
        .iter()
        .max_by(|a, b| {
            a[2].parse::<f64>()
                .unwrap()
                .total_cmp(&b[2].parse().unwrap())
        })
        .unwrap();
    let (index, seed, unserved, lol_steps) = (
        &worst[0],
        &worst[1],
        worst[2].parse::<f64>().unwrap(),
        worst[4].parse::<f64>().unwrap(),
    );
    assert!(unserved > 0.0, "no sample lost load");
    let json = dir.join("replay.json");
    let trace = dir.join("replay.csv");
    let out = ridethrough([
        "run".as_ref(),
        path.as_os_str(),
        "--replay-sample".as_ref(),
        index.as_ref(),
        "--json".as_ref(),
        json.as_os_str(),
        "--trace".as_ref(),
        trace.as_os_str(),
    ]);
    assert_ok(&out);
    assert!(
        stdout(&out).contains(&format!("sample seed {seed}")),
        "{}",
        stdout(&out)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("report written")).unwrap();
    let totals = &report["totals"];
    assert!((totals["unserved_mwh"].as_f64().unwrap() - unserved).abs() <= REPLAY_MWH);
    assert_eq!(
        totals["loss_of_load_step_hours"].as_f64().unwrap(),
        lol_steps
    );
    assert_eq!(
        std::fs::read_to_string(&trace).unwrap().lines().count(),
        673,
        "a header and a row per step"
    );
}

#[test]
fn exit_codes_are_0_1_and_2() {
    let path = tiny("exit_codes", "tiny.toml", 4);
    assert_eq!(
        ridethrough(args(&["SCENARIO", "-q"], &path)).status.code(),
        Some(0)
    );
    assert_eq!(ridethrough(["run", "missing.toml"]).status.code(), Some(1));
    assert_eq!(ridethrough(["mc", "--samples", "0"]).status.code(), Some(2));
    assert_eq!(
        ridethrough(["no-such-subcommand-or-file"]).status.code(),
        Some(1)
    );
}

/// The section ids of `ridethrough report`'s page (`ridethrough::io::html::SECTION_IDS`).
const REPORT_SECTIONS: [&str; 7] = [
    "summary",
    "single-run",
    "monte-carlo",
    "sla",
    "survival",
    "charts",
    "scenario",
];

/// A scenario name with markup in it, which the page must escape.
const MARKUP_NAME: &str = "Tiny <b>site</b> & \"co\"";

/// Writes the report of a tiny scenario (4 Megapacks, so samples lose load) whose name holds
/// markup, and returns the page's path.
fn tiny_report(test: &str) -> PathBuf {
    let path = tiny(test, "tiny.toml", 4);
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "name = \"Austin 10k-GPU training cluster\"",
        &format!("name = {MARKUP_NAME:?}"),
    );
    std::fs::write(&path, text).unwrap();
    let html = path.with_file_name("report.html");
    let out = ridethrough(
        args(
            &[
                "report",
                "SCENARIO",
                "--samples",
                "48",
                "--survival-max",
                "12h",
                "--set",
                "battery.reserve_soc=0.25",
                "--out",
            ],
            &path,
        )
        .into_iter()
        .chain([html.as_os_str()]),
    );
    assert_ok(&out);
    let printed = stdout(&out);
    assert!(printed.contains("nines"), "{printed}");
    assert!(
        printed.contains(&format!("wrote {}", html.display())),
        "{printed}"
    );
    html
}

/// Elements and attributes that would make a page load something from elsewhere.
const EXTERNAL: [&str; 10] = [
    "<script",
    "<link",
    "<img",
    "<iframe",
    "<object",
    "<embed",
    " src=",
    "@import",
    "url(",
    "href=\"http",
];

#[test]
fn report_writes_one_self_contained_escaped_page() {
    let html = tiny_report("report_page");
    let page = std::fs::read_to_string(&html).expect("the page");
    assert!(page.starts_with("<!DOCTYPE html>"));
    for id in REPORT_SECTIONS {
        assert!(
            page.contains(&format!("<section id=\"{id}\">")),
            "section {id}"
        );
    }
    for bad in EXTERNAL {
        assert!(!page.contains(bad), "the page holds {bad:?}");
    }
    assert!(!page.contains("http://") && !page.contains("https://"));
    // The name is escaped wherever it appears (title, heading, summary, scenario text).
    assert!(!page.contains("<b>site</b>"));
    assert!(page.contains("Tiny &lt;b&gt;site&lt;/b&gt; &amp; &quot;co&quot;"));
    // The charts: the run, its outage, survival, heat map, distribution.
    assert_eq!(page.matches("<svg").count(), 5);
    for id in ["sla", "monte-carlo"] {
        let from = page.find(&format!("<section id=\"{id}\">")).unwrap();
        let section = &page[from..from + page[from..].find("</section>").unwrap()];
        assert!(section.contains(" ± "), "{id} shows standard errors");
    }
    assert!(page.contains("--set battery.reserve_soc=0.25"));
    assert!(page.contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn report_refuses_bad_flags_naming_them() {
    let path = tiny("report_bad_flags", "tiny.toml", 4);
    let out = ridethrough(args(
        &["report", "SCENARIO", "--survival-max", "90m"],
        &path,
    ));
    assert_fails_naming(&out, "--survival-max");
    assert_eq!(out.status.code(), Some(2));
    let out = ridethrough(args(&["report", "SCENARIO", "--samples", "0"], &path));
    assert_fails_naming(&out, "--samples = 0 is out of range");
    let missing = path.with_file_name("no-such-dir").join("report.html");
    let out = ridethrough(
        args(&["report", "SCENARIO", "--samples", "16", "--out"], &path)
            .into_iter()
            .chain([missing.as_os_str()]),
    );
    assert_fails_naming(&out, "cannot write");
    assert_eq!(out.status.code(), Some(1));
}

/// How long a headless browser may take to render the page.
const BROWSER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// The headless browser: `chromium` (Debian) or `chromium-browser` on the `PATH`.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|p| p.is_file())
}

/// Runs `browser` with `args` and returns its output, killing it after [`BROWSER_TIMEOUT`].
fn run_browser(browser: &Path, args: &[&std::ffi::OsStr]) -> Output {
    let mut child = Command::new(browser)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the browser starts");
    // Read both pipes on threads so a full pipe cannot stall the browser.
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let read_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut so, &mut v).ok();
        v
    });
    let read_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut se, &mut v).ok();
        v
    });
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the browser") {
            break status;
        }
        if started.elapsed() > BROWSER_TIMEOUT {
            let _ = child.kill();
            panic!("the browser did not finish within {BROWSER_TIMEOUT:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    Output {
        status,
        stdout: read_out.join().unwrap(),
        stderr: read_err.join().unwrap(),
    }
}

#[test]
fn report_renders_in_a_headless_browser() {
    // A fresh machine may have no browser: the test is then skipped with a note, unless
    // `RIDETHROUGH_REQUIRE_BROWSER=1` (CI installs Chromium and sets it) makes that a failure.
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("RIDETHROUGH_REQUIRE_BROWSER").is_none_or(|v| v != "1"),
            "RIDETHROUGH_REQUIRE_BROWSER=1 but chromium is not installed: install it with \
             `apt-get install -y chromium` (as root, or with sudo) on Debian"
        );
        eprintln!(
            "note: chromium not found (`apt-get install -y chromium` on Debian): browser test \
             skipped"
        );
        return;
    };
    let html = tiny_report("report_browser");
    let page = std::fs::read_to_string(&html).unwrap();
    let profile = html.with_file_name("chromium-profile");
    let url = format!("file://{}", html.canonicalize().unwrap().display());
    let profile_flag = format!("--user-data-dir={}", profile.display());
    let flags = [
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--enable-logging=stderr",
        "--v=0",
        &profile_flag,
        "--dump-dom",
        &url,
    ];
    let flags: Vec<&std::ffi::OsStr> = flags.iter().map(|s| s.as_ref()).collect();
    let out = run_browser(&browser, &flags);
    let dom = stdout(&out);
    let log = stderr(&out);
    assert!(out.status.success(), "chromium failed: {log}");
    // Every section, as the browser parsed it.
    for id in REPORT_SECTIONS {
        assert!(
            dom.contains(&format!("id=\"{id}\"")),
            "section {id} not in the DOM: {log}"
        );
    }
    // Every chart survived HTML parsing as a whole SVG element with text and drawing.
    let svgs: Vec<&str> = dom.split("<svg").skip(1).collect();
    assert_eq!(
        svgs.len(),
        page.matches("<svg").count(),
        "charts in the DOM"
    );
    for (i, svg) in svgs.iter().enumerate() {
        let body = &svg[..svg
            .find("</svg>")
            .unwrap_or_else(|| panic!("chart {i} not closed"))];
        assert!(body.contains("<text"), "chart {i} has no text");
        assert!(
            ["<path", "<polyline", "<rect", "<line"]
                .iter()
                .any(|e| body.contains(e)),
            "chart {i} draws nothing"
        );
    }
    // No script ran into an error, and nothing was fetched from elsewhere.
    for line in log.lines() {
        assert!(
            !(line.contains("CONSOLE") || line.contains("Uncaught")),
            "console error: {line}"
        );
    }
    for bad in EXTERNAL {
        assert!(!dom.contains(bad), "the DOM holds {bad:?}");
    }
    let _ = std::fs::remove_dir_all(&profile);
}

/// Runs `mc --shard i/count` of the tiny scenario at `path` for every i, writing
/// `dir/shard-i.json`; returns the files in reverse order (merge must sort them).
fn run_shards(path: &Path, dir: &Path, samples: &str, seed: &str, count: u64) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = (0..count)
        .map(|i| {
            let file = dir.join(format!("shard-{seed}-{i}.json"));
            let shard = format!("{i}/{count}");
            let out = ridethrough(
                args(
                    &[
                        "--quiet",
                        "mc",
                        "SCENARIO",
                        "--samples",
                        samples,
                        "--seed",
                        seed,
                        "--shard",
                        &shard,
                        "--out",
                    ],
                    path,
                )
                .into_iter()
                .chain([file.as_os_str()]),
            );
            assert_ok(&out);
            assert!(stdout(&out).contains(&format!("shard {shard}: samples")));
            file
        })
        .collect();
    files.reverse();
    files
}

#[test]
fn shards_merge_to_what_mc_prints_and_writes() {
    let path = tiny("shard_merge", "tiny.toml", 3);
    let dir = temp_dir("shard_merge_out");
    let single_json = dir.join("single.json");
    let single = ridethrough(
        args(
            &[
                "--quiet",
                "mc",
                "SCENARIO",
                "--samples",
                "100",
                "--seed",
                "5",
                "--json",
            ],
            &path,
        )
        .into_iter()
        .chain([single_json.as_os_str()]),
    );
    assert_ok(&single);
    // 100 samples: 7 chunks of 16 in 3 shards of 2, 2 and 3 chunks.
    let files = run_shards(&path, &dir, "100", "5", 3);
    let merged_json = dir.join("merged.json");
    let merged = ridethrough(
        ["--quiet", "merge"]
            .iter()
            .map(std::ffi::OsStr::new)
            .chain(files.iter().map(|f| f.as_os_str()))
            .chain(["--json".as_ref(), merged_json.as_os_str()]),
    );
    assert_ok(&merged);
    assert!(stdout(&single).contains("EUE"), "{}", stdout(&single));
    assert_eq!(stdout(&merged), stdout(&single));
    assert_eq!(
        std::fs::read(&merged_json).unwrap(),
        std::fs::read(&single_json).unwrap(),
        "merge --json is byte for byte mc --json"
    );
    // `mc --shard-from-env --out OUT` of the same study in an environment with `set` (the
    // variables of the other scheduler removed).
    let shard_from_env = |out_file: &Path, set: &[(&str, &str)], removed: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ridethrough"));
        cmd.args(args(
            &[
                "--quiet",
                "mc",
                "SCENARIO",
                "--samples",
                "100",
                "--seed",
                "5",
                "--shard-from-env",
                "--out",
            ],
            &path,
        ))
        .arg(out_file)
        .env("CI", "1");
        for name in removed {
            cmd.env_remove(name);
        }
        for (name, value) in set {
            cmd.env(name, value);
        }
        cmd.output().unwrap()
    };
    // The shard from the environment of a Slurm array task is the same shard.
    let from_env = dir.join("from-env.json");
    let slurm = [
        ("SLURM_ARRAY_TASK_ID", "1"),
        ("SLURM_ARRAY_TASK_COUNT", "3"),
        ("SLURM_ARRAY_TASK_MIN", "0"),
        ("SLURM_ARRAY_TASK_MAX", "2"),
    ];
    let out = shard_from_env(&from_env, &slurm, &["JOB_COMPLETION_INDEX"]);
    assert_ok(&out);
    assert_eq!(
        std::fs::read(&from_env).unwrap(),
        std::fs::read(&files[1]).unwrap(),
        "--shard-from-env with task 1 of 3 is --shard 1/3"
    );
    // And from the environment of pod 1 of a Kubernetes Indexed Job of 3 completions.
    let from_k8s = dir.join("from-k8s.json");
    let k8s = [("JOB_COMPLETION_INDEX", "1"), ("RIDETHROUGH_SHARDS", "3")];
    let out = shard_from_env(&from_k8s, &k8s, &["SLURM_ARRAY_TASK_ID"]);
    assert_ok(&out);
    assert_eq!(
        std::fs::read(&from_k8s).unwrap(),
        std::fs::read(&files[1]).unwrap(),
        "--shard-from-env in pod 1 of an Indexed Job of 3 is --shard 1/3"
    );
    // Without the number of shards: a usage error naming the variable.
    let out = Command::new(env!("CARGO_BIN_EXE_ridethrough"))
        .args(args(
            &[
                "mc",
                "SCENARIO",
                "--samples",
                "100",
                "--shard-from-env",
                "--out",
            ],
            &path,
        ))
        .arg(dir.join("never.json"))
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("RIDETHROUGH_SHARDS")
        .env("JOB_COMPLETION_INDEX", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_fails_naming(&out, "RIDETHROUGH_SHARDS");
}

/// The Kubernetes manifest, checked for its structure without a YAML parser (the project
/// keeps no YAML dependency): the Job's kind and mode, a shard count that is the Job's
/// completions, and the command that writes each shard to the shared volume.
#[test]
fn the_kubernetes_indexed_job_runs_one_shard_per_completion() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/k8s-indexed-job.yaml");
    let text = std::fs::read_to_string(path).expect("the manifest");
    // The first document (the merge Job after it is commented out).
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .collect();
    assert!(
        lines.iter().all(|l| !l.contains('\t')),
        "YAML indents with spaces"
    );
    assert!(!lines.contains(&"---"), "one document to apply");
    let value = |key: &str| -> &str {
        let hits: Vec<&str> = lines
            .iter()
            .filter_map(|l| l.trim().strip_prefix(key))
            .map(str::trim)
            .collect();
        assert_eq!(hits.len(), 1, "one `{key}` in the manifest: {hits:?}");
        hits[0]
    };
    assert_eq!(value("apiVersion:"), "batch/v1");
    assert_eq!(value("kind:"), "Job");
    assert_eq!(value("completionMode:"), "Indexed");
    assert_eq!(value("restartPolicy:"), "Never");
    let completions: u64 = value("completions:").parse().expect("a whole number");
    let parallelism: u64 = value("parallelism:").parse().expect("a whole number");
    assert!((1..=completions).contains(&parallelism));
    // RIDETHROUGH_SHARDS is the Job's completions.
    let at = lines
        .iter()
        .position(|l| l.trim() == "- name: RIDETHROUGH_SHARDS")
        .expect("RIDETHROUGH_SHARDS in the container's env");
    assert_eq!(
        lines[at + 1].trim(),
        format!("value: \"{completions}\""),
        "RIDETHROUGH_SHARDS = completions"
    );
    // The command: one shard from the pod's index, written to the shared volume.
    let command = text.split("args:").nth(1).expect("the container's args");
    let command: String = command
        .lines()
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with("env:"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    for part in [
        "exec ridethrough",
        " mc ",
        "--samples",
        "--shard-from-env",
        "--out /shards/shard-${JOB_COMPLETION_INDEX}.json",
    ] {
        assert!(command.contains(part), "{part:?} in {command:?}");
    }
    assert_eq!(
        value("mountPath: /shards").len(),
        0,
        "the shared volume is mounted"
    );
    assert!(value("claimName:").starts_with("ridethrough-shards"));
    // The samples make at least one chunk of 16 per shard.
    let samples: u64 = command
        .split("--samples ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("--samples N");
    assert!(samples >= 16 * completions);
}

#[test]
fn shard_files_of_another_study_or_missing_are_refused_naming_the_file() {
    let path = tiny("shard_refuse", "tiny.toml", 3);
    let dir = temp_dir("shard_refuse_out");
    let five = run_shards(&path, &dir, "64", "5", 2);
    let six = run_shards(&path, &dir, "64", "6", 2);
    // five[1] is shard 0, six[0] is shard 1 of another seed.
    let out = ridethrough([five[1].as_os_str(), six[0].as_os_str()].into_iter().fold(
        vec![std::ffi::OsStr::new("merge")],
        |mut v, f| {
            v.push(f);
            v
        },
    ));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let name = six[0].file_name().unwrap().to_string_lossy().into_owned();
    assert_fails_naming(&out, &name);
    assert_fails_naming(&out, "belongs to another study: its seed is 6");
    // A missing shard is named.
    let out = ridethrough([std::ffi::OsStr::new("merge"), five[0].as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert_fails_naming(&out, "shard 0/2 is missing");
    // A file that is not a shard file.
    let not_shard = dir.join("not-a-shard.json");
    std::fs::write(&not_shard, "{\"indices\": {}}").unwrap();
    let out = ridethrough([std::ffi::OsStr::new("merge"), not_shard.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert_fails_naming(&out, "not-a-shard.json");
    // Flags that do not go with a shard, and shards the study cannot have: usage errors.
    for (flags, needle) in [
        (&["--shard", "0/2"][..], "--shard needs --out"),
        (&["--out", "x.json"], "--out needs --shard"),
        (
            &["--shard", "2/2", "--out", "x.json"],
            "--shard = 2/2 is out of range",
        ),
        (
            &["--shard", "1/x", "--out", "x.json"],
            "--shard = 1/x is not I/K",
        ),
        (&["--shard", "0/5", "--out", "x.json"], "allowed 1 ≤ x ≤ 4"),
        (
            &["--shard", "0/2", "--out", "x.json", "--json", "y.json"],
            "--json",
        ),
        (
            &["--shard", "0/2", "--out", "x.json", "--target-se", "0.1"],
            "--target-se",
        ),
        (
            &["--shard-from-env", "--out", "x.json"],
            "SLURM_ARRAY_TASK_ID",
        ),
    ] {
        let out = ridethrough(
            args(&["mc", "SCENARIO", "--samples", "64"], &path)
                .into_iter()
                .chain(flags.iter().map(std::ffi::OsStr::new)),
        );
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", stderr(&out));
        assert_fails_naming(&out, needle);
    }
}

#[test]
fn life_prints_each_year_of_a_tiny_two_year_life() {
    // The default site over two years at hourly steps, ageing, with 4 Megapacks.
    let dir = temp_dir("life");
    let default =
        std::fs::read_to_string(scenarios().join("austin_10k_gpu.toml")).expect("default scenario");
    let text = default
        .replace("step = \"1m\"", "step = \"1h\"")
        .replace("horizon = \"365d\"", "horizon = \"730d\"")
        .replace("units = 16", "units = 4")
        + "\n[battery.ageing]\n";
    let path = dir.join("life.toml");
    std::fs::write(&path, text).expect("write the scenario");
    let json = dir.join("life.json");
    let out = ridethrough([
        "life".as_ref(),
        path.as_os_str(),
        "--samples".as_ref(),
        "32".as_ref(),
        "--survive".as_ref(),
        "2h".as_ref(),
        "--eue".as_ref(),
        "1e6".as_ref(),
        "--json".as_ref(),
        json.as_os_str(),
    ]);
    assert_ok(&out);
    let text = stdout(&out);
    assert!(
        text.contains("Reliability by year of life: 32 sampled lives"),
        "{text}"
    );
    assert!(text.contains("P(survive 2 h)"), "{text}");
    // 1e6 MWh a year is never missed.
    assert!(
        text.contains("target EUE ≤ 1000000 MWh/yr: first missed at 95 % confidence"),
        "{text}"
    );
    assert!(text.contains("): never; first not met"), "{text}");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("life table written"))
            .expect("life table is JSON");
    let years = r["years"].as_array().expect("a per-year table");
    assert_eq!(years.len(), 2);
    for y in years {
        assert_eq!(y["eue_mwh"]["n"], 32);
        let p = y["survival"]["mean"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p), "{p}");
    }
    // The capacity fades from the first year to the second.
    let cf = |i: usize| years[i]["capacity_factor_end"]["mean"].as_f64().unwrap();
    assert!(cf(1) < cf(0) && cf(0) < 1.0);
    // One target at a time, --probability only with --survive, whole hours.
    for (bad, needle) in [
        (&["--lole", "1", "--eue", "1"][..], "--eue"),
        (&["--probability", "0.9"][..], "--survive"),
        (&["--survive", "90m"][..], "--survive"),
    ] {
        let mut a: Vec<&std::ffi::OsStr> = vec![
            "life".as_ref(),
            path.as_os_str(),
            "--samples".as_ref(),
            "4".as_ref(),
        ];
        a.extend(bad.iter().map(std::ffi::OsStr::new));
        let out = ridethrough(a);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{bad:?}: {}", stderr(&out));
    }
}

#[test]
fn run_traces_have_timestamps_when_the_scenario_has_a_start() {
    // The tiny scenario starts 2025-01-01T00:00:00 and runs 28 days of hours.
    let path = tiny("trace_timestamps", "tiny.toml", 4);
    let trace = path.with_file_name("steps.csv");
    let run = |scenario: &Path| {
        let out = ridethrough([
            "run".as_ref(),
            scenario.as_os_str(),
            "-q".as_ref(),
            "--trace".as_ref(),
            trace.as_os_str(),
        ]);
        assert_ok(&out);
        std::fs::read_to_string(&trace).expect("trace written")
    };
    let csv = run(&path);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 673, "a header and a row per step");
    for (line, start) in [
        (0, "step,time_s,timestamp,"),
        (1, "0,0.0,2025-01-01T00:00:00Z,"),
        (25, "24,86400.0,2025-01-02T00:00:00Z,"),
        (672, "671,2415600.0,2025-01-28T23:00:00Z,"),
    ] {
        assert!(lines[line].starts_with(start), "{}", lines[line]);
    }
    // Without a calendar start, no timestamp column.
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("start = \"2025-01-01T00:00:00\"\n", "");
    let no_start = path.with_file_name("no_start.toml");
    std::fs::write(&no_start, text).unwrap();
    let csv = run(&no_start);
    assert!(
        csv.starts_with("step,time_s,facility_mw,"),
        "{}",
        &csv[..80]
    );
}

/// The bundled value-stacking scenario shortened to `days` days at hourly steps (its price trace
/// beside it).
fn value_stacking(test: &str, days: u64) -> PathBuf {
    let text = std::fs::read_to_string(scenarios().join("austin_value_stacking.toml"))
        .expect("value-stacking scenario")
        .replace("step = \"1m\"", "step = \"1h\"")
        .replace("horizon = \"365d\"", &format!("horizon = \"{days}d\""))
        .replace("start = \"120d\"", "start = \"3d\"")
        .replace(
            "path = \"austin_prices_hourly.csv\"",
            &format!(
                "path = {:?}",
                scenarios()
                    .join("austin_prices_hourly.csv")
                    .display()
                    .to_string()
            ),
        );
    let dir = temp_dir(test);
    let path = dir.join("value_stacking.toml");
    std::fs::write(&path, text).expect("write the scenario");
    path
}

#[test]
fn run_bills_a_scenario_with_a_tariff() {
    let path = value_stacking("run_tariff", 28);
    let json = path.with_file_name("report.json");
    let out = ridethrough([
        "run".as_ref(),
        path.as_os_str(),
        "--json".as_ref(),
        json.as_os_str(),
    ]);
    assert_ok(&out);
    let text = stdout(&out);
    assert!(text.contains("policy value_stacking"), "{text}");
    assert!(
        text.contains("costs ($/yr") && text.contains("savings"),
        "{text}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("report written")).unwrap();
    assert!(report["costs"]["savings_usd_per_year"].as_f64().unwrap() > 0.0);
    assert_eq!(report["costs"]["months"].as_array().unwrap().len(), 1);
}

#[test]
fn frontier_writes_its_table_json_csv_and_charts() {
    let path = value_stacking("frontier", 28);
    let dir = path.parent().unwrap().to_path_buf();
    let (json, csv, svg, png) = (
        dir.join("f.json"),
        dir.join("f.csv"),
        dir.join("f.svg"),
        dir.join("f.png"),
    );
    let run = |plot: &Path, extra: &[&str]| {
        let mut a: Vec<std::ffi::OsString> = vec![
            "frontier".into(),
            path.clone().into(),
            "--reserve".into(),
            "0:0.8:0.4".into(),
            "--samples".into(),
            "32".into(),
            "--plot".into(),
            plot.into(),
        ];
        a.extend(extra.iter().map(Into::into));
        ridethrough(a)
    };
    let out = run(
        &svg,
        &[
            "--duration",
            "2h",
            "--starts",
            "6",
            "--json",
            json.to_str().unwrap(),
            "--csv",
            csv.to_str().unwrap(),
        ],
    );
    assert_ok(&out);
    let text = stdout(&out);
    assert!(text.contains("Reserve vs value: 32 samples"), "{text}");
    assert!(
        text.contains("P(survive 2 h)") && text.contains("value $/yr"),
        "{text}"
    );
    let f: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("JSON written")).unwrap();
    let points = f["points"].as_array().unwrap();
    assert_eq!(points.len(), 3);
    assert_eq!(points[2]["reserve"].as_f64(), Some(0.8));
    assert!(points[0]["survival"]["mean"].as_f64().is_some());
    let table = std::fs::read_to_string(&csv).expect("CSV written");
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("reserve,lole_h_per_yr,lole_se,eue_mwh_per_yr"),
        "{header}"
    );
    assert_eq!(lines.count(), 3);
    let chart = std::fs::read_to_string(&svg).expect("SVG written");
    assert!(
        chart.contains("<svg") && chart.contains("Reserve vs value"),
        "{chart}"
    );
    assert!(chart.contains("P(survive a 2 h outage) (%)"));
    // PNG, and EUE on the y axis without --duration.
    let out = run(&png, &["--quiet"]);
    assert_ok(&out);
    let bytes = std::fs::read(&png).expect("PNG written");
    assert!(bytes.starts_with(b"\x89PNG"));
    // Bad flags and scenarios: usage errors naming the flag, a config error naming the field.
    let out = ridethrough(args(
        &[
            "frontier",
            "SCENARIO",
            "--reserve",
            "0:1.5:0.1",
            "--samples",
            "4",
        ],
        &path,
    ));
    assert_usage_error(&out, "--reserve = 0:1.5:0.1 is out of range");
    let out = ridethrough(args(
        &[
            "frontier",
            "SCENARIO",
            "--reserve",
            "0.2",
            "--samples",
            "4",
            "--starts",
            "0",
            "--duration",
            "1h",
        ],
        &path,
    ));
    assert_usage_error(&out, "--starts = 0 is out of range");
    let plain = tiny("frontier_plain", "tiny.toml", 4);
    let out = ridethrough(args(
        &["frontier", "SCENARIO", "--reserve", "0.2", "--samples", "4"],
        &plain,
    ));
    assert_config_error(&out, "tariff is required");
}

/// Whether `python3` can import pyarrow (the Parquet reader pandas uses). A missing one skips
/// the Parquet reader test, unless `RIDETHROUGH_REQUIRE_PYARROW=1` (CI installs it) makes that
/// a failure.
fn pyarrow() -> bool {
    let found = Command::new("python3")
        .args(["-c", "import pyarrow.parquet"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("RIDETHROUGH_REQUIRE_PYARROW").is_none_or(|v| v != "1"),
            "RIDETHROUGH_REQUIRE_PYARROW=1 but python3 cannot import pyarrow: \
             `pip install pyarrow`"
        );
        eprintln!("note: python3 cannot import pyarrow (`pip install pyarrow`): test skipped");
    }
    found
}

/// Compares a Parquet trace, read by pyarrow, with the CSV trace of the same run: the same
/// columns in the same order, every number equal (the CSV's shortest round-trip text parses to
/// the same double), and every timestamp the same instant to the millisecond.
const COMPARE_PARQUET_WITH_CSV: &str = r#"
import csv, sys
import pyarrow.parquet as pq
table = pq.read_table(sys.argv[1])
with open(sys.argv[2], newline="") as f:
    rows = list(csv.reader(f))
header, rows = rows[0], rows[1:]
assert table.column_names == header, (table.column_names, header)
assert table.num_rows == len(rows), (table.num_rows, len(rows))
for c, name in enumerate(header):
    col = table.column(name).to_pylist()
    for k, (got, text) in enumerate(zip(col, (r[c] for r in rows))):
        if name == "timestamp":
            want = got.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            assert want == text or want.replace(".000Z", "Z") == text, (k, name, got, text)
        elif name == "step":
            assert got == int(text), (k, name, got, text)
        else:
            assert got == float(text), (k, name, got, text)
print(table.num_rows, len(header), pq.ParquetFile(sys.argv[1]).metadata.num_row_groups)
"#;

#[test]
fn a_parquet_trace_reads_in_pyarrow_as_the_csv_trace() {
    if !pyarrow() {
        return;
    }
    let dir = temp_dir("parquet_pyarrow");
    let scenario = scenarios().join("training_swing_100ms.toml");
    // A calendar start half an hour before the new year: the timestamps cross it, with
    // milliseconds (100 ms steps).
    let mut written = Vec::new();
    for name in ["steps.parquet", "steps.csv"] {
        let path = dir.join(name);
        let out = ridethrough([
            "--quiet".as_ref(),
            "--set".as_ref(),
            "time.start=2025-12-31T23:30:00".as_ref(),
            "run".as_ref(),
            scenario.as_os_str(),
            "--trace".as_ref(),
            path.as_os_str(),
        ]);
        assert_ok(&out);
        written.push(path);
    }
    let parquet = std::fs::read(&written[0]).unwrap();
    assert_eq!(&parquet[..4], b"PAR1");
    let csv_len = std::fs::metadata(&written[1]).unwrap().len();
    assert!(
        (parquet.len() as u64) * 2 < csv_len,
        "Parquet {} B against CSV {csv_len} B",
        parquet.len()
    );
    let out = Command::new("python3")
        .arg("-c")
        .arg(COMPARE_PARQUET_WITH_CSV)
        .args(&written)
        .output()
        .unwrap();
    assert!(out.status.success(), "pyarrow check: {}", stderr(&out));
    // Two hours of 100 ms steps, 15 columns, one row group.
    assert_eq!(stdout(&out).trim(), "72000 15 1");
}

#[test]
fn the_cost_guard_refuses_an_enormous_parquet_trace() {
    let dir = temp_dir("parquet_guard");
    // A year at 100 ms: 315 M rows, ≈ 15 GB even as Parquet: refused, naming its estimate.
    let trace = dir.join("year.parquet");
    let out = ridethrough([
        "--step".as_ref(),
        "100ms".as_ref(),
        "--trace".as_ref(),
        trace.as_os_str(),
    ]);
    assert_usage_error(&out, "would be about 15.1 GB (315360000 rows of ≈48 bytes)");
    assert!(stderr(&out).contains("2 GB limit"), "{}", stderr(&out));
    assert!(!trace.exists(), "no trace file was started");
}

/// `mc --shard i/count --out TAG-i.json` for every i of `count`, with `--per-sample TAG-i.csv`
/// when `per_sample`; returns the shard files (in reverse order: merge must sort them) and the
/// per-sample files (in shard order).
fn shards_with(
    path: &Path,
    dir: &Path,
    tag: &str,
    samples: &str,
    count: u64,
    per_sample: bool,
) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut files = Vec::new();
    let mut rows = Vec::new();
    for i in 0..count {
        let file = dir.join(format!("{tag}-{i}.json"));
        let csv = dir.join(format!("{tag}-{i}.csv"));
        let shard = format!("{i}/{count}");
        let flags = [
            "--quiet",
            "mc",
            "SCENARIO",
            "--samples",
            samples,
            "--seed",
            "5",
            "--shard",
            &shard,
            "--out",
        ];
        let mut cmd = args(&flags, path);
        cmd.push(file.as_os_str());
        if per_sample {
            cmd.extend([std::ffi::OsStr::new("--per-sample"), csv.as_os_str()]);
        }
        let out = ridethrough(cmd);
        assert_ok(&out);
        files.push(file);
        rows.push(csv);
    }
    files.reverse();
    (files, rows)
}

/// `merge FILES… FLAGS…`.
fn merge_files(files: &[PathBuf], flags: &[&std::ffi::OsStr]) -> Output {
    ridethrough(
        ["--quiet", "merge"]
            .iter()
            .map(std::ffi::OsStr::new)
            .chain(files.iter().map(|f| f.as_os_str()))
            .chain(flags.iter().copied()),
    )
}

#[test]
fn shards_1_2_and_7_merge_to_mc_with_its_sla_figures_and_per_sample_rows() {
    let path = tiny("shard_sla", "tiny.toml", 3);
    let dir = temp_dir("shard_sla_out");
    let (json, csv, plain) = (
        dir.join("single.json"),
        dir.join("single.csv"),
        dir.join("plain.json"),
    );
    let mc = |flags: &[&std::ffi::OsStr]| {
        let mut cmd = args(
            &[
                "--quiet",
                "mc",
                "SCENARIO",
                "--samples",
                "112",
                "--seed",
                "5",
            ],
            &path,
        );
        cmd.extend(flags);
        let out = ridethrough(cmd);
        assert_ok(&out);
        out
    };
    let single = mc(&[
        "--json".as_ref(),
        json.as_os_str(),
        "--per-sample".as_ref(),
        csv.as_os_str(),
    ]);
    let single_plain = mc(&["--json".as_ref(), plain.as_os_str()]);
    let text = stdout(&single);
    assert_eq!(text, stdout(&single_plain));
    for line in [
        "Service levels: 112 samples of 672 h",
        "nines",
        "downtime P99",
        "interruptions (SAIFI)",
        "mean interruption (CAIDI)",
    ] {
        assert!(text.contains(line), "{line} not in:\n{text}");
    }
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plain).unwrap()).unwrap();
    assert!(value["sla"]["downtime_p90_minutes_per_year"]["mean"].is_number());
    assert!(value["samples"].is_null());
    let single_rows = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(single_rows.lines().count(), 113, "a header and 112 rows");
    // 112 samples are 7 chunks of 16: 1, 2 and 7 shards.
    for count in [1, 2, 7] {
        let tag = format!("k{count}");
        let (files, rows) = shards_with(&path, &dir, &tag, "112", count, true);
        // Each shard's rows are the single run's, in order, under the same header.
        let header = single_rows.lines().next().unwrap();
        let mut joined = format!("{header}\n");
        for f in &rows {
            let part = std::fs::read_to_string(f).unwrap();
            let (first, rest) = part.split_once('\n').unwrap();
            assert_eq!(first, header, "{}", f.display());
            joined.push_str(rest);
        }
        assert_eq!(joined, single_rows, "{count} shards' rows");
        let (m_json, m_csv) = (
            dir.join(format!("{tag}.json")),
            dir.join(format!("{tag}.csv")),
        );
        let merged = merge_files(
            &files,
            &[
                "--json".as_ref(),
                m_json.as_os_str(),
                "--per-sample".as_ref(),
                m_csv.as_os_str(),
            ],
        );
        assert_ok(&merged);
        assert_eq!(stdout(&merged), text, "{count} shards print what mc prints");
        assert_eq!(
            std::fs::read(&m_json).unwrap(),
            std::fs::read(&json).unwrap(),
            "{count} shards: merge --json --per-sample is mc --json --per-sample"
        );
        assert_eq!(
            std::fs::read(&m_csv).unwrap(),
            single_rows.as_bytes(),
            "{count} shards: merge --per-sample is mc --per-sample, byte for byte"
        );
        // Without --per-sample, the JSON is that of mc without it.
        let m_plain = dir.join(format!("{tag}-plain.json"));
        let merged = merge_files(&files, &["--json".as_ref(), m_plain.as_os_str()]);
        assert_ok(&merged);
        assert_eq!(
            std::fs::read(&m_plain).unwrap(),
            std::fs::read(&plain).unwrap(),
            "{count} shards: merge --json is mc --json"
        );
    }
}

#[test]
fn merging_per_sample_rows_refuses_gaps_duplicates_other_studies_and_old_files() {
    let path = tiny("shard_rows_refuse", "tiny.toml", 3);
    let dir = temp_dir("shard_rows_refuse_out");
    let rows_out = dir.join("rows.csv");
    let with_rows = ["--per-sample".as_ref(), rows_out.as_os_str()];
    // 64 samples, 3 shards (files in reverse: [2, 1, 0]), with and without their rows.
    let (kept, _) = shards_with(&path, &dir, "kept", "64", 3, true);
    let (plain, _) = shards_with(&path, &dir, "plain", "64", 3, false);
    let name = |f: &PathBuf| f.file_name().unwrap().to_string_lossy().into_owned();
    // A gap: shard 1 missing.
    let out = merge_files(&[kept[0].clone(), kept[2].clone()], &with_rows);
    assert_config_error(&out, "shard 1/3 is missing (samples 16..32)");
    // Shard 0 twice.
    let out = merge_files(
        &[
            kept[2].clone(),
            kept[1].clone(),
            kept[0].clone(),
            kept[2].clone(),
        ],
        &with_rows,
    );
    assert_config_error(&out, "shard 0/3 is given twice");
    // Shards that kept no rows: refused naming the first file.
    let out = merge_files(&plain, &with_rows);
    assert_config_error(&out, &name(&plain[0]));
    assert_config_error(&out, "kept no per-sample rows");
    // Shards with and without rows are not one study.
    let out = merge_files(
        &[kept[0].clone(), plain[1].clone(), kept[2].clone()],
        &with_rows,
    );
    assert_config_error(&out, &name(&plain[1]));
    assert_config_error(&out, "its keep_samples is false");
    // Another seed.
    let other = dir.join("other-seed.json");
    let out = ridethrough(
        args(
            &[
                "--quiet",
                "mc",
                "SCENARIO",
                "--samples",
                "64",
                "--seed",
                "6",
                "--shard",
                "1/3",
                "--out",
            ],
            &path,
        )
        .into_iter()
        .chain([
            other.as_os_str(),
            "--per-sample".as_ref(),
            dir.join("o.csv").as_os_str(),
        ]),
    );
    assert_ok(&out);
    let out = merge_files(
        &[kept[0].clone(), other.clone(), kept[2].clone()],
        &with_rows,
    );
    assert_config_error(&out, "other-seed.json");
    assert_config_error(&out, "its seed is 6");
    assert!(!rows_out.exists(), "no rows written by a refused merge");
    // A shard file of an earlier layout: refused naming the file and its format.
    let text = std::fs::read_to_string(&kept[1]).unwrap();
    let old = dir.join("old-layout.json");
    let current = format!(
        "\"format\":{}",
        ridethrough::studies::montecarlo::shard::SHARD_FORMAT
    );
    assert!(text.contains(&current));
    std::fs::write(&old, text.replacen(&current, "\"format\":1", 1)).unwrap();
    let out = merge_files(&[kept[0].clone(), old, kept[2].clone()], &[]);
    assert_config_error(&out, "old-layout.json");
    assert_config_error(&out, "format = 1, this program reads format");
    // And all three in any order merge.
    let out = merge_files(&kept, &with_rows);
    assert_ok(&out);
    assert_eq!(
        std::fs::read_to_string(&rows_out).unwrap().lines().count(),
        65
    );
}

/// Issue 10's new-user pass: a replacement takes the units' stored energy away and the
/// self-check must count it (it failed every run with a replacement); a fleet with an efficiency
/// curve but no ageing has no fade line to print.
#[test]
fn a_replacement_passes_the_self_checks_and_a_fleet_without_ageing_prints_no_fade() {
    let ageing = scenarios().join("austin_ageing.toml");
    let out = ridethrough([
        ageing.to_str().unwrap(),
        "--set",
        "time.step=\"1h\"",
        "--set",
        "time.horizon=\"730d\"",
        "--set",
        "battery.augmentation={replace=[{year=2,which=\"all\"}]}",
    ]);
    assert_ok(&out);
    let text = stdout(&out);
    assert!(text.contains("16 added, 16 removed"), "{text}");
    // The same site without `[battery.ageing]` (an empty table in the bundled file).
    let dir = temp_dir("no_ageing_fade");
    let text = std::fs::read_to_string(&ageing).unwrap();
    let without: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("[battery.ageing]"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(without, text, "the bundled file has an ageing table");
    let path = dir.join("no_ageing.toml");
    std::fs::write(&path, without).unwrap();
    let out = ridethrough([path.to_str().unwrap(), "--set", "time.step=\"1h\""]);
    assert_ok(&out);
    let text = stdout(&out);
    assert!(
        text.contains("fade           none (no [battery.ageing])"),
        "{text}"
    );
    assert!(!text.contains("equivalent full cycles"), "{text}");
}
