//! The numeric flags' values, parsed and range-checked by clap before anything runs: a bad value
//! exits with the usage code 2 and a message naming the flag, the value and the allowed range,
//! e.g. `error: --threads = 100000 is out of range: allowed 1 ≤ x ≤ 8`.
//!
//! These flags take values that start with `-` (`allow_hyphen_values`), so `--samples -5` is
//! reported as out of range, not as an unknown flag `-5` with clap's "use `-- -5`" hint.

use crate::overrides::Override;
use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use ridethrough::components::limits::MAX_BATTERY_UNITS;
use ridethrough::prelude::Duration;
use ridethrough::studies::life_reliability::MAX_SURVIVE;
use ridethrough::studies::montecarlo::{Shard, MAX_USEFUL_THREADS};
use ridethrough::units::{DurationParseError, MS_PER_HOUR};
use std::num::IntErrorKind;

/// Most Monte Carlo samples. 10⁸ samples resolve an event that happens once in 10⁴ sampled
/// horizons to a 1 % relative standard error; past that a finer model, not more samples, is the
/// fix. It also keeps `--per-sample`'s in-memory table under 5 GB (48 bytes a row). The cost
/// guard ([`crate::guard`]) is the real brake on long studies.
pub const MAX_SAMPLES: u64 = 100_000_000;

/// Most Monte Carlo worker threads: 4 × the cores (the engine is CPU-bound, so more threads
/// than cores only time-slice; 4 × leaves room to try oversubscription), and never more than
/// [`MAX_USEFUL_THREADS`] (256), past which the study's serial merge, not the threads, sets the
/// pace.
pub fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    (4 * cores).min(MAX_USEFUL_THREADS)
}

/// Why a value was refused; [`Checked`] adds the flag and the value to the message.
#[derive(Debug)]
pub enum Refusal {
    /// A value of the right kind outside the allowed range (the range, in words).
    OutOfRange(String),
    /// Not a value of the flag's kind: what it is not, e.g. `not a whole number`.
    Malformed(String),
}

/// A clap value parser from a checking function, with the message in our form.
#[derive(Clone, Copy)]
pub struct Checked<T>(pub fn(&str) -> Result<T, Refusal>);

impl<T: Clone + Send + Sync + 'static> TypedValueParser for Checked<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let text = value.to_string_lossy();
        (self.0)(&text).map_err(|refusal| {
            let flag = arg.and_then(clap::Arg::get_long).unwrap_or("value");
            let message = match refusal {
                Refusal::OutOfRange(allowed) => {
                    format!("--{flag} = {text} is out of range: allowed {allowed}")
                }
                Refusal::Malformed(what) => format!("--{flag} = {text} is {what}"),
            };
            cmd.clone().error(ErrorKind::ValueValidation, message)
        })
    }
}

/// `--samples`: 1 ≤ x ≤ [`MAX_SAMPLES`].
pub fn samples(text: &str) -> Result<u64, Refusal> {
    whole(text, 1, MAX_SAMPLES)
}

/// `--threads`: 1 ≤ x ≤ [`max_threads`].
pub fn threads(text: &str) -> Result<usize, Refusal> {
    whole(text, 1, max_threads() as u64).map(|n| n as usize)
}

/// `--seed`: any 64-bit unsigned number.
pub fn seed(text: &str) -> Result<u64, Refusal> {
    whole(text, 0, u64::MAX)
}

/// `--target-se`: a relative standard error, 0 < x < 1.
pub fn target_se(text: &str) -> Result<f64, Refusal> {
    match text.trim().parse::<f64>() {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
        Ok(_) => Err(Refusal::OutOfRange("0 < x < 1".into())),
        Err(_) => Err(Refusal::Malformed("not a number".into())),
    }
}

/// `--step`: at least 1 ms. (Whether it divides the scenario's horizon is the library's check,
/// when the site is built.)
pub fn step(text: &str) -> Result<Duration, Refusal> {
    let allowed = "at least 1ms, dividing the scenario's horizon";
    match duration(text, allowed)? {
        d if d.is_zero() => Err(Refusal::OutOfRange(allowed.into())),
        d => Ok(d),
    }
}

/// `--survival`: a whole number of hours, at least one. The sweep reports survival in whole
/// hours (`P(survive ≥ d h)` for d = 1, 2, …) and rounds a maximum up to whole steps, so a
/// shorter or fractional maximum would quietly become something else.
pub fn survival(text: &str) -> Result<Duration, Refusal> {
    let allowed = "a whole number of hours, at least 1h";
    match duration(text, allowed)? {
        d if d.is_zero() || d.as_millis() % MS_PER_HOUR != 0 => {
            Err(Refusal::OutOfRange(allowed.into()))
        }
        d => Ok(d),
    }
}

/// `ridethrough life --survive`: a whole number of hours, 1h ≤ x ≤ 8760h. The outage is
/// drawn inside a year of life, so the library refuses one longer than a year
/// ([`MAX_SURVIVE`]); it would take 0 as well, but P(survive 0 h) is 1 by definition, so the
/// flag asks for at least an hour, as the other survival flags do.
pub fn life_survive(text: &str) -> Result<Duration, Refusal> {
    let allowed = format!(
        "a whole number of hours, 1h ≤ x ≤ {}h (an outage inside a year of life)",
        MAX_SURVIVE.as_millis() / MS_PER_HOUR
    );
    match duration(text, &allowed)? {
        d if d.is_zero() || d.as_millis() % MS_PER_HOUR != 0 || d > MAX_SURVIVE => {
            Err(Refusal::OutOfRange(allowed))
        }
        d => Ok(d),
    }
}

/// `--replay-sample`: a sample index, 0 ≤ x < [`MAX_SAMPLES`].
pub fn sample_index(text: &str) -> Result<u64, Refusal> {
    whole(text, 0, MAX_SAMPLES - 1)
}

/// `--min-units`, `--max-units`: 0 ≤ x ≤ [`MAX_BATTERY_UNITS`].
pub fn units(text: &str) -> Result<u32, Refusal> {
    whole(text, 0, u64::from(MAX_BATTERY_UNITS)).map(|n| n as u32)
}

/// `--lole`, `--eue`: a finite number above 0.
pub fn positive(text: &str) -> Result<f64, Refusal> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        Ok(_) => Err(Refusal::OutOfRange("a finite number > 0".into())),
        Err(_) => Err(Refusal::Malformed("not a number".into())),
    }
}

/// `--probability`: 0 < x ≤ 1.
pub fn probability(text: &str) -> Result<f64, Refusal> {
    match text.trim().parse::<f64>() {
        Ok(x) if x > 0.0 && x <= 1.0 => Ok(x),
        Ok(_) => Err(Refusal::OutOfRange("0 < x ≤ 1".into())),
        Err(_) => Err(Refusal::Malformed("not a number".into())),
    }
}

/// `--shard`: `I/K`, two whole numbers with 0 ≤ I < K. (That K is at most the study's chunks
/// of 16 samples is checked against `--samples` before the study runs.)
pub fn shard(text: &str) -> Result<Shard, Refusal> {
    let malformed = || Refusal::Malformed("not I/K (shard I of K, 0-based, e.g. 0/4)".into());
    let (i, k) = text.trim().split_once('/').ok_or_else(malformed)?;
    let whole = |t: &str| t.trim().parse::<u64>().map_err(|_| malformed());
    let (index, count) = (whole(i)?, whole(k)?);
    if count == 0 || index >= count {
        return Err(Refusal::OutOfRange(
            "0 ≤ I < K (shard I of K, 0-based)".into(),
        ));
    }
    Ok(Shard { index, count })
}

/// `--set`: `KEY=VALUE` with a dotted key (see [`crate::overrides`]).
pub fn set(text: &str) -> Result<Override, Refusal> {
    text.parse::<Override>()
        .map_err(|why| Refusal::Malformed(format!("not KEY=VALUE: {why}")))
}

/// A whole number in `lo..=hi`. Negative, too large and in-range fractional numbers are told
/// apart, so `-5` is out of range while `2.5` is not a whole number.
fn whole(text: &str, lo: u64, hi: u64) -> Result<u64, Refusal> {
    let range = || Refusal::OutOfRange(format!("{lo} ≤ x ≤ {hi}"));
    let text = text.trim();
    match text.parse::<i128>() {
        Ok(n) if n >= i128::from(lo) && n <= i128::from(hi) => Ok(n as u64),
        Ok(_) => Err(range()),
        Err(e)
            if matches!(
                e.kind(),
                IntErrorKind::PosOverflow | IntErrorKind::NegOverflow
            ) =>
        {
            Err(range())
        }
        Err(_) => match text.parse::<f64>() {
            Ok(x) if x < lo as f64 || x > hi as f64 => Err(range()),
            _ => Err(Refusal::Malformed("not a whole number".into())),
        },
    }
}

/// A duration such as `15m` or `1.5h`; a negative or too long one is out of range (`allowed`).
fn duration(text: &str, allowed: &str) -> Result<Duration, Refusal> {
    if let Some(magnitude) = text.trim().strip_prefix('-') {
        if magnitude.parse::<Duration>().is_ok() {
            return Err(Refusal::OutOfRange(allowed.into()));
        }
    }
    text.parse::<Duration>().map_err(|e| match e {
        DurationParseError::Overflow => Refusal::OutOfRange(allowed.into()),
        e => Refusal::Malformed(format!("not a duration: {e}")),
    })
}
