//! The harness's own machinery, end to end: the `canary` target panics, aborts and hangs on
//! purpose, and the parent must report each as its own finding class, keep going after the
//! worker dies or hangs, and fail the run.

use std::process::Command;

#[test]
fn panics_aborts_and_hangs_are_findings_and_the_run_goes_on() {
    let out = Command::new(env!("CARGO_BIN_EXE_fuzz"))
        .args([
            "--target",
            "canary",
            "--seed",
            "0",
            "--cases",
            "4",
            "--seconds",
            "120",
            "--no-regressions",
        ])
        .output()
        .expect("run the fuzz binary");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    // Cases 0..4: modes 0, 1, 2, 3. Every case ran although a worker died at case 2 (an
    // abort) and its successor was killed at case 3 (a hang).
    assert!(text.contains("fuzz: canary: 4 cases"), "{text}");
    assert!(text.contains("fuzz: 3 distinct finding classes"), "{text}");
    assert!(text.contains("[NEW] panic in "), "{text}");
    assert!(
        text.contains("[NEW] abort: memory allocation failed"),
        "{text}"
    );
    assert!(text.contains("[NEW] hang"), "{text}");
    // Each class once, named with the case that replays it.
    assert_eq!(text.matches("1 case(s)").count(), 3, "{text}");
    assert!(
        text.contains("--seed 1 --cases 1 --seconds 1 --target canary"),
        "{text}"
    );
}

#[test]
fn usage_errors_exit_with_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_fuzz"))
        .args(["--target", "nonsense"])
        .output()
        .expect("run the fuzz binary");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown target"));
}
