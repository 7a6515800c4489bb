//! `fuzz`: runs the ridethrough fuzz targets for a time budget.
//!
//! ```text
//! cargo run --release -p ridethrough-fuzz -- [--seed S] [--seconds T] [--target NAME]
//!     [--cases N] [--allow-known] [--no-regressions]
//! ```
//!
//! * `--seed S`: case `i` of each target is seed `S + i` (default: from the clock, printed);
//!   `--seed S --cases 1 --target NAME` replays exactly the case a finding names.
//! * `--seconds T`: the budget of each target (default 10).
//! * `--target NAME`: `scenario`, `traces` or `api` (default: all three, in that order); `canary`
//!   checks the harness itself (cases that panic, abort and hang on purpose; never run by default).
//! * `--allow-known`: finding classes listed in `fuzz/known.txt` are reported but do not fail.
//! * `--no-regressions`: skip replaying `fuzz/regressions/` first.
//!
//! The cases run in a child process (this binary with `--worker`) under a memory limit, so that
//! an abort (an allocation of gigabytes) or a hang is a finding too, not the end of the run: the
//! parent notes it and starts a new child at the next case. A hang is classed by the library
//! file the worker is stuck in when `gdb` is there to ask (`hang in src/…`), else by the timeout. Each distinct finding class is
//! printed once, with its seed, its input (minimized when possible) and the replay command. The
//! exit status is 1 if any finding is not allowed, 2 for a usage error.

use ridethrough_fuzz::{known_match, parse_known, parse_regression, Input, Known, Target};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A case that shows no progress for this long is a hang: a case takes milliseconds (at most
/// `MAX_STEPS` steps; validation tabulates at most 2^20 load entries), and minimizing stops after
/// `MINIMIZE_TIME`; the margin covers a loaded 2-core machine. Every hang costs this much of the
/// budget, so it is not longer.
const HANG_TIMEOUT: Duration = Duration::from_secs(3);

/// The child's address-space limit (KiB): a case needs a few MB, so 4 GiB is only reached by an
/// allocation sized from an absurd input, which then fails and aborts the child instead of
/// taking the machine's memory.
const MEMORY_LIMIT_KIB: u64 = 4 * 1024 * 1024;

/// Line-deletion checks spent minimizing one finding.
const MINIMIZE_BUDGET: usize = 400;

/// The fuzz folder (for `known.txt` and `regressions/`).
fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Args {
    seed: u64,
    seconds: u64,
    targets: Vec<Target>,
    cases: u64,
    allow_known: bool,
    regressions: bool,
    worker: bool,
    /// The worker's budget in milliseconds (internal).
    budget_ms: u64,
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("fuzz: {msg}");
    eprintln!(
        "usage: fuzz [--seed S] [--seconds T] [--target scenario|traces|api] [--cases N] \
         [--allow-known] [--no-regressions]"
    );
    ExitCode::from(2)
}

fn parse_args() -> Result<Args, String> {
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut args = Args {
        seed: clock,
        seconds: 10,
        targets: Target::ALL.to_vec(),
        cases: u64::MAX,
        allow_known: false,
        regressions: true,
        worker: false,
        budget_ms: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        let number = |name: &str, v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{name} takes a whole number, not {v:?}"))
        };
        match flag.as_str() {
            "--seed" => args.seed = number("--seed", value("--seed")?)?,
            "--seconds" => args.seconds = number("--seconds", value("--seconds")?)?,
            "--cases" => args.cases = number("--cases", value("--cases")?)?,
            "--target" => {
                let name = value("--target")?;
                let t = Target::from_name(&name)
                    .ok_or(format!("unknown target {name:?} (scenario, traces, api)"))?;
                args.targets = vec![t];
            }
            "--allow-known" => args.allow_known = true,
            "--no-regressions" => args.regressions = false,
            "--worker" => args.worker = true,
            "--budget-ms" => args.budget_ms = number("--budget-ms", value("--budget-ms")?)?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => return usage(&msg),
    };
    if args.worker {
        worker(&args);
        return ExitCode::SUCCESS;
    }
    parent(&args)
}

// ---- the worker: runs cases, one line per event on stdout --------------------------------------

/// The regression files, sorted by name.
fn regression_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fuzz_dir().join("regressions"))
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "txt"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The input of case `index` of `target` (`None` = the regression files) from `seed`.
fn case_input(target: Option<Target>, seed: u64, index: u64) -> Option<Input> {
    // For the regression files the "seed" is the first file's index, as a restarted worker
    // continues after the file it died on.
    let n = seed.wrapping_add(index);
    match target {
        Some(t) => Some(Input::generate(t, n)),
        None => {
            let path = regression_files()
                .into_iter()
                .nth(usize::try_from(n).ok()?)?;
            parse_regression(&std::fs::read_to_string(path).ok()?)
        }
    }
}

/// Runs cases `0..cases` from `--seed` of the one `--target` (with `--no-regressions`; without
/// it, the regression files) until `--budget-ms` is spent, printing `case I`, `finding {json}`
/// and `done` lines.
fn worker(args: &Args) {
    let target = if args.regressions {
        None
    } else {
        args.targets.first().copied()
    };
    let deadline = Instant::now() + Duration::from_millis(args.budget_ms);
    let mut out = std::io::stdout().lock();
    let mut seen: Vec<String> = Vec::new();
    let mut index = 0u64;
    while index < args.cases && Instant::now() < deadline {
        let Some(input) = case_input(target, args.seed, index) else {
            break;
        };
        let _ = writeln!(out, "case {index}");
        let _ = out.flush();
        if let Err(f) = input.check() {
            let minimized = if seen.contains(&f.class) {
                None
            } else {
                seen.push(f.class.clone());
                Some(input.minimize(&f.class, MINIMIZE_BUDGET).show())
            };
            let record = serde_json::json!({
                "index": index, "class": f.class, "detail": f.detail,
                "input": input.show(), "minimized": minimized,
            });
            let _ = writeln!(out, "finding {record}");
            let _ = out.flush();
        }
        index += 1;
    }
    let _ = std::fs::remove_dir_all(ridethrough_fuzz::traces::scratch_dir());
    let _ = writeln!(out, "done");
}

// ---- the parent: budgets, children, findings ----------------------------------------------------

/// A distinct finding class, as first seen.
struct Seen {
    what: String,
    count: u64,
    known: Option<Known>,
}

struct Parent {
    known: Vec<Known>,
    allow_known: bool,
    findings: BTreeMap<String, Seen>,
}

impl Parent {
    /// Notes a finding; prints it the first time its class is seen.
    fn note(
        &mut self,
        what: &str,
        class: &str,
        detail: &str,
        input: &str,
        minimized: Option<&str>,
        replay: &str,
    ) {
        if let Some(seen) = self.findings.get_mut(class) {
            seen.count += 1;
            return;
        }
        let known = known_match(&self.known, class).cloned();
        let tag = if known.is_some() { "known" } else { "NEW" };
        println!("\n--- finding [{tag}]: {class}\n    case: {what}\n    detail: {detail}");
        if let Some(k) = &known {
            println!("    known.txt: {}", k.why);
        }
        println!("    replay: {replay}");
        match minimized {
            Some(m) if m != input => println!("    input (minimized):\n{}", indent(m)),
            _ => println!("    input:\n{}", indent(input)),
        }
        self.findings.insert(
            class.to_string(),
            Seen {
                what: what.to_string(),
                count: 1,
                known,
            },
        );
    }

    /// Runs one child after another from case `first` until the budget, the case count or the
    /// inputs are done. Returns the number of cases run.
    fn run(&mut self, target: Option<Target>, seed: u64, budget: Duration, cases: u64) -> u64 {
        let name = target.map_or("regressions", Target::name);
        let deadline = Instant::now() + budget;
        let mut next = 0u64;
        while next < cases && Instant::now() < deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            let describe = |i: u64| match target {
                Some(t) => (
                    format!("target {name}, seed {}", seed.wrapping_add(i)),
                    format!(
                        "cargo run --release -p ridethrough-fuzz -- --seed {} --cases 1 \
                         --seconds 1 --target {}",
                        seed.wrapping_add(i),
                        t.name()
                    ),
                ),
                None => {
                    let file = regression_files()
                        .into_iter()
                        .nth(i as usize)
                        .map(|p| p.display().to_string())
                        .unwrap_or_default();
                    (
                        format!("regression {file}"),
                        "cargo run --release -p ridethrough-fuzz -- --cases 0".into(),
                    )
                }
            };
            let outcome = run_child(target, seed.wrapping_add(next), left, cases - next);
            for f in &outcome.findings {
                let i = next + f.index;
                let (what, replay) = describe(i);
                self.note(
                    &what,
                    &f.class,
                    &f.detail,
                    &f.input,
                    f.minimized.as_deref(),
                    &replay,
                );
            }
            match outcome.end {
                End::Done => return next + outcome.cases,
                End::Died { at, class, detail } => {
                    let i = next + at;
                    let (what, replay) = describe(i);
                    let input = case_input(target, seed, i)
                        .map(|x| x.show())
                        .unwrap_or_default();
                    self.note(&what, &class, &detail, &input, None, &replay);
                    next = i + 1;
                }
            }
        }
        next
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("      {l}\n")).collect()
}

/// A finding a child reported.
#[derive(serde::Deserialize)]
struct ChildFinding {
    index: u64,
    class: String,
    detail: String,
    input: String,
    minimized: Option<String>,
}

enum End {
    /// The child finished its cases or its budget.
    Done,
    /// The child died or hung at its case `at`.
    Died {
        at: u64,
        class: String,
        detail: String,
    },
}

struct Outcome {
    findings: Vec<ChildFinding>,
    cases: u64,
    end: End,
}

/// Runs a worker on cases `0..cases` from `seed` (regression files when `target` is `None`).
fn run_child(target: Option<Target>, seed: u64, budget: Duration, cases: u64) -> Outcome {
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("fuzz"));
    let mut worker_args = vec![
        "--worker".to_string(),
        "--seed".into(),
        seed.to_string(),
        "--budget-ms".into(),
        budget.as_millis().to_string(),
        "--cases".into(),
        cases.to_string(),
    ];
    if let Some(t) = target {
        worker_args.extend([
            "--target".into(),
            t.name().into(),
            "--no-regressions".into(),
        ]);
    }
    // `ulimit -v` through the shell: no unsafe code and no libc binding needed.
    let mut cmd = if Path::new("/bin/sh").exists() {
        let mut c = Command::new("/bin/sh");
        c.arg("-c")
            .arg(format!(
                "ulimit -v {MEMORY_LIMIT_KIB} && exec \"$0\" \"$@\""
            ))
            .arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    let child = cmd
        .args(&worker_args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            return Outcome {
                findings: Vec::new(),
                cases: 0,
                end: End::Died {
                    at: 0,
                    class: "harness: cannot start a worker".into(),
                    detail: e.to_string(),
                },
            }
        }
    };
    // `exec` keeps the shell's process id: the worker's scratch folder is named after it, and a
    // worker that dies or hangs cannot remove it itself.
    let scratch = ridethrough_fuzz::traces::scratch_dir_of(child.id());
    let stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        if let Some(out) = stdout {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        }
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(e) = stderr.as_mut() {
            let _ = e.read_to_string(&mut text);
        }
        text
    });
    // The worker died or hung at its case `at` (its first if it never started one).
    let died = |findings, cases, at: Option<u64>, class, detail| Outcome {
        findings,
        cases,
        end: End::Died {
            at: at.unwrap_or(0),
            class,
            detail,
        },
    };
    let mut findings = Vec::new();
    let mut current: Option<u64> = None;
    let mut cases_run = 0;
    loop {
        match rx.recv_timeout(HANG_TIMEOUT) {
            Ok(line) => {
                if let Some(i) = line.strip_prefix("case ") {
                    current = i.parse().ok();
                    cases_run += 1;
                } else if let Some(json) = line.strip_prefix("finding ") {
                    match serde_json::from_str::<ChildFinding>(json) {
                        Ok(f) => findings.push(f),
                        Err(e) => eprintln!("fuzz: unreadable worker line ({e}): {line}"),
                    }
                } else if line == "done" {
                    let _ = child.wait();
                    return Outcome {
                        findings,
                        cases: cases_run,
                        end: End::Done,
                    };
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let (class, detail) = match hang_location(child.id()) {
                    Some((file, frames)) => (format!("hang in {file}"), frames),
                    None => (
                        format!("hang: no progress in {} s", HANG_TIMEOUT.as_secs()),
                        "the case ran past the hang timeout and was killed".into(),
                    ),
                };
                let _ = child.kill();
                let _ = child.wait();
                let _ = std::fs::remove_dir_all(&scratch);
                return died(findings, cases_run, current, class, detail);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = child.wait();
                let _ = std::fs::remove_dir_all(&scratch);
                let err = err_reader.join().unwrap_or_default();
                let tail: String = err.lines().rev().take(5).collect::<Vec<_>>().join(" / ");
                let class = if err.contains("memory allocation of") {
                    "abort: memory allocation failed (over the fuzz memory limit)".to_string()
                } else if err.contains("stack overflow") {
                    "abort: stack overflow".to_string()
                } else {
                    format!(
                        "abort: worker died ({})",
                        status.map_or("unknown status".into(), |s| s.to_string())
                    )
                };
                return died(findings, cases_run, current, class, tail);
            }
        }
    }
}

/// Where a hung worker is: the file of the innermost frame in the library (`ridethrough::…`),
/// read with `gdb` if the machine has it, and the top frames. `None` without gdb (the hang is
/// then classed by the timeout alone).
fn hang_location(pid: u32) -> Option<(String, String)> {
    let out = Command::new("gdb")
        .args(["-batch", "-nx", "-p", &pid.to_string(), "-ex", "bt 30"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let frames: Vec<&str> = text.lines().filter(|l| l.starts_with('#')).collect();
    let file = frames.iter().find_map(|f| {
        let (function, at) = f.rsplit_once(" at ")?;
        if !function.contains(" ridethrough::") {
            return None;
        }
        let path = at.rsplit_once(':').map_or(at, |(p, _)| p);
        path.starts_with("src/").then(|| path.to_string())
    })?;
    let top: Vec<String> = frames
        .iter()
        .take(4)
        .map(|f| f.chars().take(200).collect())
        .collect();
    Some((file, top.join(" / ")))
}

fn parent(args: &Args) -> ExitCode {
    let known_path = fuzz_dir().join("known.txt");
    let known = parse_known(&std::fs::read_to_string(&known_path).unwrap_or_default());
    let mut p = Parent {
        known,
        allow_known: args.allow_known,
        findings: BTreeMap::new(),
    };
    println!(
        "fuzz: seed {}, {} s per target, known classes {} ({})",
        args.seed,
        args.seconds,
        p.known.len(),
        if args.allow_known {
            "allowed"
        } else {
            "not allowed"
        }
    );
    if args.regressions {
        let n = regression_files().len() as u64;
        let ran = p.run(None, 0, Duration::from_secs(600), n);
        println!("fuzz: regressions: {ran} replayed");
    }
    for &target in &args.targets {
        let started = Instant::now();
        let ran = p.run(
            Some(target),
            args.seed,
            Duration::from_secs(args.seconds),
            args.cases,
        );
        println!(
            "fuzz: {}: {ran} cases in {:.1} s",
            target.name(),
            started.elapsed().as_secs_f64()
        );
    }
    let mut failing = 0;
    println!("\nfuzz: {} distinct finding classes", p.findings.len());
    for (class, seen) in &p.findings {
        let status = match (&seen.known, p.allow_known) {
            (Some(_), true) => "known, allowed",
            (Some(_), false) => "known",
            (None, _) => "NEW",
        };
        if !(seen.known.is_some() && p.allow_known) {
            failing += 1;
        }
        println!(
            "  [{status}] {class} — {} case(s), first {}",
            seen.count, seen.what
        );
    }
    if failing > 0 {
        println!("fuzz: {failing} finding class(es) not allowed");
        ExitCode::FAILURE
    } else {
        println!("fuzz: ok");
        ExitCode::SUCCESS
    }
}
