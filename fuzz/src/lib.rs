//! # ridethrough-fuzz
//!
//! A fuzz harness for `ridethrough` that runs on the stable toolchain: no cargo-fuzz, no
//! nightly, no sanitizer runtime. The binary (`cargo run --release -p ridethrough-fuzz --
//! --seconds 60`) runs each target for a time budget; the same targets run as `#[test]`s on a
//! few fixed seeds.
//!
//! ## Why `arbitrary` over a seeded generator
//!
//! Each case is a `u64` seed. The seed fills a buffer from `Xoshiro256PlusPlus` (a named,
//! portable generator: the same seed gives the same bytes on every machine and every version of
//! `rand_xoshiro` 0.7), and `arbitrary::Unstructured` turns the bytes into a structured input —
//! a scenario's text, a CSV file, a policy and a script of dispatch requests (`#[derive(
//! Arbitrary)]`). This was chosen over proptest's `TestRunner` because
//!
//! * a case is replayed from one number on the command line (`--seed S`) with no persistence
//!   file, and case `i` of a run from seed `S` is simply seed `S + i`;
//! * the structured generators are plain functions of an `Unstructured`, which is also what
//!   cargo-fuzz would feed them, so the targets could move to coverage-guided fuzzing unchanged;
//! * the harness controls minimization itself: a found scenario or CSV is shrunk by deleting
//!   lines while the same finding class persists, which reads better than a shrunk strategy tree.
//!
//! ## Targets
//! * [`scenario`]: generated and mutated TOML → `Scenario::from_toml_str` → `validate` → a run
//!   of at most [`check::MAX_STEPS`] steps;
//! * [`traces`]: random CSV bytes loaded as a load trace and as an availability trace;
//! * [`api`]: random policies, custom dispatch requests, snapshots and resumes.
//!
//! [`check`] holds the invariants (no panic, finite numbers, the energy balance, the SoC window,
//! a finite report). A violation is a [`Finding`] with a class (the kind of failure, numbers
//! elided) so that one library bug is reported once; `known.txt` lists the classes that are
//! known and not fixed yet.

pub mod api;
pub mod check;
pub mod scenario;
pub mod traces;
pub mod values;

pub use check::Finding;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Bytes of generator output behind each case (the structured generators draw far fewer; when
/// they run out, `arbitrary` gives zeros and the input simply ends small).
const CASE_BYTES: usize = 16 * 1024;

/// Time spent minimizing one finding at most: well under the binary's hang timeout, since the
/// worker shows no progress while it minimizes.
pub const MINIMIZE_TIME: std::time::Duration = std::time::Duration::from_secs(1);

/// A fuzz target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Scenario text.
    Scenario,
    /// CSV traces.
    Traces,
    /// The library API.
    Api,
    /// The harness's own check, not the library's: case `n` is fine (`n % 4 == 0`), panics (1),
    /// aborts on an allocation over the memory limit (2) or hangs (3). Not in [`Target::ALL`];
    /// `fuzz/tests/machinery.rs` runs it to show that every kind of finding is caught and that
    /// the run goes on after a worker dies.
    Canary,
}

impl Target {
    /// All targets, in the order the binary runs them.
    pub const ALL: [Target; 3] = [Target::Scenario, Target::Traces, Target::Api];

    /// The target's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Target::Scenario => "scenario",
            Target::Traces => "traces",
            Target::Api => "api",
            Target::Canary => "canary",
        }
    }

    /// The target named `name` (one of [`Target::ALL`], or `canary`).
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL
            .into_iter()
            .chain([Target::Canary])
            .find(|t| t.name() == name)
    }
}

/// One input of one target.
#[derive(Debug, Clone)]
pub enum Input {
    /// A scenario's TOML text.
    Scenario(String),
    /// A CSV trace and its grid.
    Traces(traces::TraceCase),
    /// An API case.
    Api(api::ApiCase),
    /// A [`Target::Canary`] case: what it does is its value modulo 4.
    Canary(u64),
}

impl Input {
    /// The input of `target` for case seed `seed`.
    pub fn generate(target: Target, seed: u64) -> Input {
        if target == Target::Canary {
            return Input::Canary(seed);
        }
        let mut bytes = vec![0u8; CASE_BYTES];
        Xoshiro256PlusPlus::seed_from_u64(seed).fill_bytes(&mut bytes);
        let mut u = arbitrary::Unstructured::new(&bytes);
        // The generators only fail when the bytes run out, and then an empty input is as good
        // as any: the library must handle it too.
        match target {
            Target::Scenario => Input::Scenario(scenario::generate(&mut u).unwrap_or_default()),
            Target::Traces => {
                Input::Traces(
                    traces::generate(&mut u).unwrap_or_else(|_| traces::TraceCase {
                        csv: Vec::new(),
                        column: None,
                        step: "1s".into(),
                        steps: 1,
                    }),
                )
            }
            Target::Api => {
                let case = api::generate(&mut u);
                let case = case.or_else(|_| api::generate(&mut arbitrary::Unstructured::new(&[])));
                match case {
                    Ok(c) => Input::Api(c),
                    Err(_) => Input::Scenario(String::new()),
                }
            }
            Target::Canary => Input::Canary(seed),
        }
    }

    /// Runs the input's checks, with panics caught.
    ///
    /// # Errors
    /// The [`Finding`] of the first broken invariant.
    pub fn check(&self) -> Result<(), Finding> {
        check::guarded(|| match self {
            Input::Scenario(text) => scenario::check(text),
            Input::Traces(case) => traces::check(case),
            Input::Api(case) => api::check(case),
            Input::Canary(n) => canary(*n),
        })
    }

    /// The input as a reader (and a regression file) wants it.
    pub fn show(&self) -> String {
        match self {
            Input::Scenario(text) => text.clone(),
            Input::Traces(case) => format!("{case:?}"),
            Input::Canary(n) => format!("canary case {n} (mode {})", n % 4),
            Input::Api(case) => {
                let mut shown = case.clone();
                match shown.generated.take() {
                    Some(text) => format!("{shown:#?}\nwith the generated base scenario:\n{text}"),
                    None => format!("{shown:#?}"),
                }
            }
        }
    }

    /// A smaller input with the same finding class: lines of a scenario or CSV deleted one at a
    /// time (then pairs of lines, for table headers with their keys) while the class persists,
    /// within `budget` checks and [`MINIMIZE_TIME`]. An API case's generated base scenario is
    /// minimized the same way; its calls are not.
    pub fn minimize(&self, class: &str, budget: usize) -> Input {
        let same = |input: &Input| input.check().err().is_some_and(|f| f.class == class);
        let started = std::time::Instant::now();
        let mut best = self.clone();
        let mut tries = 0;
        for width in [1, 2] {
            let mut i = 0;
            while tries < budget && started.elapsed() < MINIMIZE_TIME {
                let Some(candidate) = best.without_lines(i, width) else {
                    break;
                };
                tries += 1;
                if same(&candidate) {
                    best = candidate;
                } else {
                    i += 1;
                }
            }
        }
        best
    }

    /// The input without lines `i..i + width`, or `None` past the end.
    fn without_lines(&self, i: usize, width: usize) -> Option<Input> {
        fn cut<T: Clone>(lines: &[T], i: usize, width: usize) -> Option<Vec<T>> {
            (i + width <= lines.len()).then(|| [&lines[..i], &lines[i + width..]].concat())
        }
        match self {
            Input::Scenario(text) => {
                let lines: Vec<&str> = text.lines().collect();
                cut(&lines, i, width).map(|l| Input::Scenario(l.join("\n")))
            }
            Input::Traces(case) => {
                let lines: Vec<&[u8]> = case.csv.split(|b| *b == b'\n').collect();
                cut(&lines, i, width).map(|l| {
                    Input::Traces(traces::TraceCase {
                        csv: l.join(&b'\n'),
                        ..case.clone()
                    })
                })
            }
            Input::Canary(_) => None,
            Input::Api(case) => {
                let text = case.generated.as_deref()?;
                let lines: Vec<&str> = text.lines().collect();
                cut(&lines, i, width).map(|l| {
                    Input::Api(api::ApiCase {
                        generated: Some(l.join("\n")),
                        ..case.clone()
                    })
                })
            }
        }
    }
}

/// What a [`Target::Canary`] case does: nothing, a panic, an allocation far over the worker's
/// memory limit (an abort), or a loop that never reports progress (a hang).
fn canary(n: u64) -> Result<(), Finding> {
    match n % 4 {
        1 => panic!("canary panic"),
        2 => {
            // 1 TiB: over the 4 GiB address-space limit, so the allocator aborts the worker.
            let huge: Vec<u8> = Vec::with_capacity(1 << 40);
            std::hint::black_box(&huge);
            Ok(())
        }
        3 => loop {
            std::thread::sleep(std::time::Duration::from_millis(100));
        },
        _ => Ok(()),
    }
}

/// A regression input: a file under `fuzz/regressions/` whose first line is `#! scenario` (the
/// rest is the scenario's TOML) or `#! traces step=1s steps=N [column=NAME]` (the rest is the
/// CSV), followed by `#! finding: CLASS` lines that say what it found when it was saved.
pub fn parse_regression(text: &str) -> Option<Input> {
    let (first, rest) = text.split_once('\n')?;
    let mut words = first.strip_prefix("#! ")?.split_whitespace();
    let body: String = rest
        .lines()
        .filter(|l| !l.starts_with("#! "))
        .map(|l| format!("{l}\n"))
        .collect();
    match words.next()? {
        "scenario" => Some(Input::Scenario(body)),
        "traces" => {
            let mut case = traces::TraceCase {
                csv: body.into_bytes(),
                column: None,
                step: "1s".into(),
                steps: 1,
            };
            for w in words {
                match w.split_once('=')? {
                    ("step", v) => case.step = v.to_string(),
                    ("steps", v) => case.steps = v.parse().ok()?,
                    ("column", v) => case.column = Some(v.to_string()),
                    _ => return None,
                }
            }
            Some(Input::Traces(case))
        }
        _ => None,
    }
}

/// A known finding class: a pattern and why it is listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Known {
    /// A substring of the finding class.
    pub pattern: String,
    /// Why it is known (the library file to fix).
    pub why: String,
}

/// Parses `known.txt`: one `PATTERN | WHY` a line; blank lines and `#` comments are skipped.
pub fn parse_known(text: &str) -> Vec<Known> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (pattern, why) = l.split_once(" | ").unwrap_or((l, ""));
            Known {
                pattern: pattern.trim().to_string(),
                why: why.trim().to_string(),
            }
        })
        .collect()
}

/// The known entry that `class` matches, if any.
pub fn known_match<'k>(known: &'k [Known], class: &str) -> Option<&'k Known> {
    known.iter().find(|k| class.contains(&k.pattern))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases per target in the unit tests: enough to cross every generator branch, few enough
    /// for a debug build.
    const TEST_CASES: u64 = 40;

    /// Runs seeds `0..TEST_CASES` of `target` and returns the distinct finding classes.
    fn run(target: Target) -> Vec<String> {
        let mut classes: Vec<String> = (0..TEST_CASES)
            .filter_map(|seed| Input::generate(target, seed).check().err())
            .map(|f| f.class)
            .collect();
        classes.sort();
        classes.dedup();
        classes
    }

    /// The known list of the repository, so that a test only fails on a new kind of finding.
    fn unknown(classes: Vec<String>) -> Vec<String> {
        let known = parse_known(include_str!("../known.txt"));
        classes
            .into_iter()
            .filter(|c| known_match(&known, c).is_none())
            .collect()
    }

    #[test]
    fn scenario_target_finds_nothing_new() {
        assert_eq!(unknown(run(Target::Scenario)), Vec::<String>::new());
    }

    #[test]
    fn traces_target_finds_nothing_new() {
        assert_eq!(unknown(run(Target::Traces)), Vec::<String>::new());
    }

    #[test]
    fn api_target_finds_nothing_new() {
        assert_eq!(unknown(run(Target::Api)), Vec::<String>::new());
    }

    #[test]
    fn a_case_is_a_function_of_its_seed() {
        for target in Target::ALL {
            assert_eq!(
                Input::generate(target, 7).show(),
                Input::generate(target, 7).show()
            );
        }
    }

    #[test]
    fn the_bundled_scenarios_pass_every_check() {
        for text in scenario::BUNDLED {
            assert_eq!(Input::Scenario(text.to_string()).check(), Ok(()));
        }
    }

    #[test]
    fn a_panic_is_a_finding_with_its_file_and_message() {
        let f = check::guarded(|| panic!("index 17 out of range for 3")).unwrap_err();
        assert!(f
            .class
            .starts_with("panic in fuzz/src/lib.rs: index N out of range for N"));
    }

    #[test]
    fn minimizing_keeps_the_class_and_drops_lines() {
        // An invalid TOML line does not crash anything: nothing to minimize toward, so the
        // input comes back whole; a finding-free input is never shrunk to a different class.
        let input = Input::Scenario(scenario::BUNDLED[0].to_string());
        assert_eq!(input.minimize("none", 50).show(), input.show());
    }

    #[test]
    fn regression_files_parse() {
        let s = parse_regression("#! scenario\n#! finding: x\nseed = 1\n").unwrap();
        assert_eq!(s.show(), "seed = 1\n");
        let t = parse_regression("#! traces step=1m steps=3 column=v\nt_s,v\n0,1\n").unwrap();
        let Input::Traces(case) = t else {
            panic!("a trace")
        };
        assert_eq!((case.step.as_str(), case.steps), ("1m", 3));
        assert_eq!(case.column.as_deref(), Some("v"));
        assert!(parse_regression("#! other\n").is_none());
    }

    #[test]
    fn known_patterns_match_by_substring() {
        let known = parse_known("# comment\n\nnon-finite report | load/model.rs\n");
        assert_eq!(known.len(), 1);
        assert!(known_match(&known, "non-finite report: totals.facility_mwh").is_some());
        assert!(known_match(&known, "energy balance does not close").is_none());
    }
}
