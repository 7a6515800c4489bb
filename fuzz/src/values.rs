//! The values every generator draws from: a mix of sane numbers, boundaries, zero, negatives,
//! huge finite values, subnormals and non-finite literals, as TOML text and as `f64`.

use arbitrary::{Arbitrary, Result, Unstructured};
use std::cell::Cell;

thread_local! {
    /// Per mille of the values drawn with [`number`], [`integer`] and [`duration`] that may be
    /// extreme or malformed; the rest are sane. Set per scenario by [`set_chaos`].
    static CHAOS: Cell<u16> = const { Cell::new(1000) };
}

/// Sets how many values in 1000 may be extreme (0: a sane scenario, 1000: anything goes). A
/// scenario with every value extreme almost never validates, so most scenarios have a few.
pub fn set_chaos(per_mille: u16) {
    CHAOS.with(|c| c.set(per_mille.min(1000)));
}

/// Whether the next value may be extreme.
fn wild(u: &mut Unstructured) -> Result<bool> {
    Ok(u.int_in_range(0u16..=999)? < CHAOS.with(Cell::get))
}

/// Numbers that break arithmetic: zero and its sign, boundaries, the largest finite `f64` and
/// its neighbours, subnormals, integers beyond 2^53, and the non-finite literals TOML accepts.
pub const EXTREME_NUMBERS: &[&str] = &[
    "0",
    "0.0",
    "-0.0",
    "1",
    "-1",
    "1.0",
    "0.5",
    "1e-9",
    "1e-300",
    "5e-324",
    "2.2250738585072014e-308",
    "1e15",
    "1e300",
    "-1e300",
    "1.7976931348623157e308",
    "-1.7976931348623157e308",
    "9007199254740993",
    "4294967296",
    "nan",
    "inf",
    "-inf",
];

/// Integer keys (counts, seeds, steps): zero, one, limits of `u32` and `u64`, negatives.
pub const EXTREME_INTEGERS: &[&str] = &[
    "0",
    "1",
    "2",
    "16",
    "168",
    "1000000",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "-1",
    "-9223372036854775808",
];

/// Durations from nothing to far beyond any horizon, multi-part and fractional ones.
pub const EXTREME_DURATIONS: &[&str] = &[
    "0ms",
    "1ms",
    "100ms",
    "200ms",
    "1s",
    "2s",
    "60s",
    "1m",
    "15m",
    "1h",
    "1.5h",
    "4h",
    "24h",
    "7d",
    "365d",
    "100000d",
    "1h30m",
    "0.1s",
    "1w",
    "213503982334d",
];

/// Duration strings that must not parse (or, rarely, parse to something odd).
pub const MALFORMED_DURATIONS: &[&str] = &[
    "0.0001s",
    "999999999999999999999d",
    "-1h",
    "1e3s",
    "abc",
    "",
];

/// Steps a plausible scenario uses (the time grid is the thing that makes a case slow or fast).
pub const PLAUSIBLE_STEPS: &[&str] = &["100ms", "1s", "1m", "5m", "15m", "1h"];

/// Horizons a plausible scenario uses.
pub const PLAUSIBLE_HORIZONS: &[&str] = &["1h", "2h", "1d", "7d", "30d", "365d"];

/// A number for a key whose sane values lie in `lo..hi`: mostly sane, often extreme, sometimes
/// an integer or a value of the wrong type. Returned as TOML text.
pub fn number(u: &mut Unstructured, lo: f64, hi: f64) -> Result<String> {
    if !wild(u)? {
        return Ok(format!("{:?}", sane(u, lo, hi)?));
    }
    Ok(match u.int_in_range(0u16..=999)? {
        0..=599 => format!("{:?}", sane(u, lo, hi)?),
        600..=929 => u.choose(EXTREME_NUMBERS)?.to_string(),
        930..=959 => format!("{}", sane(u, lo, hi)?.round()),
        960..=996 => format!("{:?}", -sane(u, lo, hi)?),
        _ => u.choose(&["\"1.0\"", "true", "[]", "{}"])?.to_string(),
    })
}

/// A value uniformly in `lo..hi` (a sane value for its key).
pub fn sane(u: &mut Unstructured, lo: f64, hi: f64) -> Result<f64> {
    let t = f64::from(u.int_in_range(0u32..=1_000_000)?) / 1e6;
    Ok(lo + t * (hi - lo))
}

/// An integer key whose sane values lie in `lo..=hi`, as TOML text.
pub fn integer(u: &mut Unstructured, lo: u64, hi: u64) -> Result<String> {
    Ok(if !wild(u)? || u.ratio(7u8, 8u8)? {
        u.int_in_range(lo..=hi)?.to_string()
    } else {
        u.choose(EXTREME_INTEGERS)?.to_string()
    })
}

/// A duration key whose sane values come from `plausible`, as a quoted TOML string (rarely a
/// malformed one, or a bare number: a type error).
pub fn duration(u: &mut Unstructured, plausible: &[&str]) -> Result<String> {
    if !wild(u)? {
        return Ok(format!("\"{}\"", u.choose(plausible)?));
    }
    Ok(match u.int_in_range(0u8..=99)? {
        0..=69 => format!("\"{}\"", u.choose(plausible)?),
        70..=96 => format!("\"{}\"", u.choose(EXTREME_DURATIONS)?),
        97..=98 => format!("\"{}\"", u.choose(MALFORMED_DURATIONS)?),
        _ => u.choose(&["0", "3600", "-1"])?.to_string(),
    })
}

/// A fraction key (SoC, availability, duty, efficiency), as TOML text.
pub fn fraction(u: &mut Unstructured) -> Result<String> {
    number(u, 0.0, 1.0)
}

/// An `f64` for the library API: sane values of a chosen scale, boundaries, huge, tiny and
/// non-finite ones. Its `Arbitrary` impl is what the derived API inputs are built from.
#[derive(Clone, Copy, PartialEq)]
pub struct Num(pub f64);

/// The extreme values of [`Num`].
const EXTREME_F64: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    1e-9,
    f64::MIN_POSITIVE,
    5e-324,
    1e15,
    1e300,
    -1e300,
    f64::MAX,
    f64::MIN,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
];

impl<'a> Arbitrary<'a> for Num {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Num> {
        Ok(Num(match u.int_in_range(0u8..=9)? {
            0..=4 => sane(u, 0.0, 200.0)?,
            5 => -sane(u, 0.0, 200.0)?,
            6 => sane(u, 0.0, 1.0)?,
            _ => *u.choose(EXTREME_F64)?,
        }))
    }
}

impl std::fmt::Debug for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0)
    }
}
