//! Target `scenario`: TOML scenario text → `Scenario::from_toml_str` → `validate` → a short run.
//!
//! Half the cases are generated from the scenario format (every section and key, each present
//! or not, values from [`crate::values`]); the other half are byte-level and token-level
//! mutations of the bundled scenarios in `examples/scenarios/`.

use crate::check::{check_scenario, Finding};
use crate::values::{
    duration, fraction, integer, number, set_chaos, EXTREME_DURATIONS, EXTREME_NUMBERS,
    MALFORMED_DURATIONS, PLAUSIBLE_HORIZONS, PLAUSIBLE_STEPS,
};
use arbitrary::{Result, Unstructured};
use ridethrough::prelude::*;
use std::fmt::Write;

/// The bundled scenarios, the seeds of the mutation half.
pub const BUNDLED: [&str; 3] = [
    include_str!("../../examples/scenarios/austin_10k_gpu.toml"),
    include_str!("../../examples/scenarios/colossus_150mw.toml"),
    include_str!("../../examples/scenarios/training_swing_100ms.toml"),
];

/// Parses, validates and (if valid) runs `text`.
///
/// # Errors
/// The [`Finding`] of the first broken invariant (see [`crate::check`]).
pub fn check(text: &str) -> std::result::Result<(), Finding> {
    check_scenario(Scenario::from_toml_str(text))
}

/// A scenario's text: generated (half the time) or a bundled one mutated.
pub fn generate(u: &mut Unstructured) -> Result<String> {
    if u.arbitrary()? {
        structured(u)
    } else {
        mutated(u)
    }
}

/// Whether to write an optional key (about `n` times in 8).
fn maybe(u: &mut Unstructured, n: u8) -> Result<bool> {
    Ok(u.int_in_range(0u8..=7)? < n)
}

/// Whether to write a required key: almost always (a missing one only tests serde).
fn required(u: &mut Unstructured) -> Result<bool> {
    Ok(u.int_in_range(0u8..=63)? > 0)
}

/// A name from `valid`, or rarely `invalid` (an unknown variant only tests serde).
fn name<'a>(u: &mut Unstructured, valid: &[&'a str], invalid: &'a str) -> Result<&'a str> {
    if u.int_in_range(0u8..=31)? == 0 {
        Ok(invalid)
    } else {
        u.choose(valid).copied()
    }
}

/// A scenario written key by key from the format in README.md.
pub fn structured(u: &mut Unstructured) -> Result<String> {
    set_chaos(*u.choose(&[0, 10, 30, 100, 1000])?);
    let mut s = String::new();
    // `write!` to a String cannot fail; the results are ignored below for brevity.
    if required(u)? {
        let _ = writeln!(s, "seed = {}", integer(u, 0, 1000)?);
    }
    if maybe(u, 1)? {
        let _ = writeln!(s, "name = \"fuzz\"");
    }
    if required(u)? {
        let _ = writeln!(s, "[time]\nstep = {}", duration(u, PLAUSIBLE_STEPS)?);
        if u.arbitrary()? {
            let _ = writeln!(s, "horizon = {}", duration(u, PLAUSIBLE_HORIZONS)?);
        } else {
            let _ = writeln!(s, "steps = {}", integer(u, 1, 5000)?);
        }
        if maybe(u, 2)? {
            let start = u.choose(&[
                "2025-01-01T00:00:00",
                "2024-02-29T23:59:59",
                "9999-12-31T23:00:00",
                "-009999-01-01T00:00:00",
                "2025-06-01T12:30:00.5",
            ])?;
            let _ = writeln!(s, "start = \"{start}\"");
        }
    }
    grid(u, &mut s)?;
    battery(u, &mut s)?;
    load(u, &mut s)?;
    policy(u, &mut s)?;
    if u.int_in_range(0u8..=31)? == 0 {
        let _ = writeln!(s, "unknown_key = 1");
    }
    Ok(s)
}

fn grid(u: &mut Unstructured, s: &mut String) -> Result<()> {
    let _ = writeln!(s, "[grid]");
    if required(u)? {
        let _ = writeln!(s, "import_limit_mw = {}", number(u, 1.0, 200.0)?);
    }
    if maybe(u, 2)? {
        let _ = writeln!(s, "export_limit_mw = {}", number(u, 0.0, 50.0)?);
    }
    for i in 0..u.int_in_range(0u8..=3)? {
        // Sane windows start ten days apart and last at most two: they never overlap.
        let start = format!("{}d", 10 * u32::from(i) + u.int_in_range(0u32..=7)?);
        let _ = writeln!(
            s,
            "[[grid.scheduled_outages]]\nstart = {}\nduration = {}",
            duration(u, &[start.as_str()])?,
            duration(u, &["1h", "4h", "48h", "1m"])?
        );
        if maybe(u, 4)? {
            let _ = writeln!(s, "available_fraction = {}", fraction(u)?);
        }
    }
    if maybe(u, 3)? {
        let _ = writeln!(s, "[grid.random_outages]");
        if maybe(u, 5)? {
            let preset = name(u, &["distribution", "transmission"], "none")?;
            let _ = writeln!(s, "preset = \"{preset}\"");
        }
        if maybe(u, 3)? {
            let _ = writeln!(s, "scale = {}", number(u, 0.0, 10.0)?);
        }
        for _ in 0..u.int_in_range(0u8..=2)? {
            let rate = number(u, 0.0, 50.0)?;
            let _ = writeln!(
                s,
                "[[grid.random_outages.processes]]\nfailures_per_year = {rate}\nduration = {}",
                duration_law(u)?
            );
            if maybe(u, 2)? {
                let _ = writeln!(s, "monthly_multipliers = {}", number_list(u, 12, 0.0, 3.0)?);
            }
        }
    }
    for _ in 0..u.int_in_range(0u8..=2)? {
        let _ = writeln!(
            s,
            "[[grid.supply_units]]\ncapacity_mw = {}",
            number(u, 0.0, 100.0)?
        );
        if maybe(u, 5)? {
            let _ = writeln!(s, "count = {}", integer(u, 1, 40)?);
        }
        for _ in 0..u.int_in_range(1u8..=2)? {
            let _ = writeln!(s, "[[grid.supply_units.processes]]\n{}", process(u)?);
        }
    }
    Ok(())
}

/// An availability process's keys (one per line).
fn process(u: &mut Unstructured) -> Result<String> {
    Ok(match u.int_in_range(0u8..=2)? {
        0 => format!(
            "model = \"markov\"\nmttf = {}\nmttr = {}",
            duration(u, &["1100h", "4380h", "8760h", "1h"])?,
            duration(u, &["50h", "4h", "72h", "1ms"])?
        ),
        1 => format!(
            "model = \"markov_per_step\"\nfailure_probability = {}\nrepair_probability = {}",
            fraction(u)?,
            fraction(u)?
        ),
        _ => {
            let mut p = format!(
                "model = \"renewal\"\nevents_per_year = {}\nduration = {}",
                number(u, 0.0, 20.0)?,
                duration_law(u)?
            );
            if maybe(u, 2)? {
                p += &format!("\nmonthly_multipliers = {}", number_list(u, 12, 0.0, 3.0)?);
            }
            p
        }
    })
}

/// A duration law as an inline table.
fn duration_law(u: &mut Unstructured) -> Result<String> {
    let lengths = &["30m", "1.2h", "4h", "8h", "1ms"];
    Ok(match u.int_in_range(0u8..=4)? {
        0 => format!(
            "{{ law = \"fixed\", duration = {} }}",
            duration(u, lengths)?
        ),
        1 => format!(
            "{{ law = \"exponential\", mean = {} }}",
            duration(u, lengths)?
        ),
        2 => format!(
            "{{ law = \"lognormal\", median = {}, sigma_ln = {} }}",
            duration(u, lengths)?,
            number(u, 0.0, 3.0)?
        ),
        3 => format!(
            "{{ law = \"weibull\", shape = {}, scale = {} }}",
            number(u, 0.0, 5.0)?,
            duration(u, lengths)?
        ),
        _ => {
            let n = u.int_in_range(0usize..=3)?;
            let mut durations = Vec::new();
            for _ in 0..n {
                durations.push(duration(u, lengths)?);
            }
            let m = if u.ratio(7u8, 8u8)? { n } else { n + 1 };
            format!(
                "{{ law = \"empirical\", durations = [{}], probabilities = {} }}",
                durations.join(", "),
                number_list(u, m, 0.0, 1.0)?
            )
        }
    })
}

/// A TOML list of `n` numbers (sane ones in `lo..hi`, sometimes extreme).
fn number_list(u: &mut Unstructured, n: usize, lo: f64, hi: f64) -> Result<String> {
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        items.push(number(u, lo, hi)?);
    }
    Ok(format!("[{}]", items.join(", ")))
}

fn battery(u: &mut Unstructured, s: &mut String) -> Result<()> {
    let _ = writeln!(s, "[battery]");
    if required(u)? {
        let _ = writeln!(s, "units = {}", integer(u, 0, 200)?);
    }
    if maybe(u, 5)? {
        let preset = name(
            u,
            &[
                "megapack2xl_2h",
                "megapack2xl_4h",
                "megapack3",
                "megapack_2019",
            ],
            "powerwall",
        )?;
        let _ = writeln!(s, "preset = \"{preset}\"");
    }
    let keys: [(&str, f64, f64); 10] = [
        ("power_mw", 0.1, 2.0),
        ("energy_mwh", 0.1, 8.0),
        ("round_trip_efficiency", 0.5, 1.0),
        ("charge_power_mw", 0.1, 2.0),
        ("discharge_power_mw", 0.1, 2.0),
        ("charge_efficiency", 0.5, 1.0),
        ("discharge_efficiency", 0.5, 1.0),
        ("self_discharge_per_day", 0.0, 0.05),
        ("aux_load_mw", 0.0, 0.01),
        ("soc_min", 0.0, 0.3),
    ];
    // Without a preset the first three are required.
    let custom = !s.ends_with("\"\n");
    for (i, (key, lo, hi)) in keys.into_iter().enumerate() {
        if (custom && i < 3 && required(u)?) || maybe(u, 2)? {
            let _ = writeln!(s, "{key} = {}", number(u, lo, hi)?);
        }
    }
    for (key, lo, hi) in [
        ("soc_max", 0.7, 1.0),
        ("initial_soc", 0.3, 0.7),
        ("reserve_soc", 0.3, 0.7),
    ] {
        if maybe(u, 3)? {
            let _ = writeln!(s, "{key} = {}", number(u, lo, hi)?);
        }
    }
    if maybe(u, 2)? {
        let mut list = Vec::new();
        for _ in 0..u.int_in_range(0u8..=2)? {
            list.push(format!("{{ {} }}", process(u)?.replace('\n', ", ")));
        }
        let _ = writeln!(s, "unit_failures = [{}]", list.join(", "));
    }
    Ok(())
}

fn load(u: &mut Unstructured, s: &mut String) -> Result<()> {
    let _ = writeln!(s, "[load]");
    if maybe(u, 4)? {
        let _ = writeln!(s, "pue = {}", number(u, 1.0, 2.0)?);
    }
    for _ in 0..u.int_in_range(1u8..=3)? {
        let _ = writeln!(s, "[[load.it]]");
        match u.int_in_range(0u8..=2)? {
            0 => {
                let _ = writeln!(s, "kind = \"constant\"\nit_mw = {}", number(u, 0.0, 150.0)?);
            }
            1 => {
                let _ = writeln!(
                    s,
                    "kind = \"training_swing\"\nhigh_mw = {}\nlow_mw = {}\nperiod = {}\nduty = {}",
                    number(u, 50.0, 120.0)?,
                    number(u, 0.0, 50.0)?,
                    duration(u, &["2s", "1s", "500ms", "7s"])?,
                    number(u, 0.3, 0.9)?
                );
                if maybe(u, 5)? {
                    let _ = writeln!(s, "ramp = {}", duration(u, &["200ms", "0ms", "1s"])?);
                }
                if maybe(u, 4)? {
                    let level = if maybe(u, 2)? {
                        format!(", level_mw = {}", number(u, 0.0, 60.0)?)
                    } else {
                        String::new()
                    };
                    let _ = writeln!(
                        s,
                        "checkpoint = {{ every = {}, duration = {}{level} }}",
                        duration(u, &["60m", "1h", "10m"])?,
                        duration(u, &["60s", "1m", "5s"])?
                    );
                }
            }
            _ => {
                let n = if u.ratio(15u8, 16u8)? {
                    24
                } else {
                    u.int_in_range(0usize..=30)?
                };
                let _ = writeln!(
                    s,
                    "kind = \"daily\"\npeak_mw = {}\nshape = {}",
                    number(u, 0.0, 100.0)?,
                    number_list(u, n, 0.0, 1.0)?
                );
            }
        }
    }
    Ok(())
}

fn policy(u: &mut Unstructured, s: &mut String) -> Result<()> {
    if !maybe(u, 6)? {
        return Ok(());
    }
    let _ = writeln!(s, "[policy]");
    match u.int_in_range(0u8..=2)? {
        0 => {
            let _ = writeln!(s, "kind = \"backup_only\"");
            if maybe(u, 3)? {
                let _ = writeln!(s, "recharge_rate_mw = {}", number(u, 0.0, 20.0)?);
            }
        }
        1 => {
            let _ = writeln!(
                s,
                "kind = \"peak_shaving\"\nimport_cap_mw = {}",
                number(u, 0.0, 150.0)?
            );
            if maybe(u, 3)? {
                let _ = writeln!(s, "recharge_rate_mw = {}", number(u, 0.0, 20.0)?);
            }
        }
        _ => {
            let _ = writeln!(
                s,
                "kind = \"ramp_limiting\"\nmax_ramp_mw_per_s = {}",
                number(u, 0.0, 1.0)?
            );
            if maybe(u, 3)? {
                let _ = writeln!(s, "soc_target = {}", fraction(u)?);
            }
            if maybe(u, 3)? {
                let _ = writeln!(s, "recovery = {}", duration(u, &["15m", "1h", "1ms"])?);
            }
        }
    }
    Ok(())
}

/// A bundled scenario with one to four mutations: a number or a duration replaced by an extreme
/// one, a line deleted or duplicated, a key's line inserted, a byte replaced or the text cut.
pub fn mutated(u: &mut Unstructured) -> Result<String> {
    set_chaos(1000);
    let mut text = u.choose(&BUNDLED)?.to_string();
    for _ in 0..u.int_in_range(1u8..=4)? {
        text = mutate_once(u, &text)?;
    }
    Ok(text)
}

/// Lines that set a key to an extreme value, inserted at random places.
const INSERTED_LINES: &[&str] = &[
    "soc_min = 0.9",
    "soc_max = 0.1",
    "initial_soc = 1e-300",
    "reserve_soc = 1.0",
    "units = 4294967295",
    "energy_mwh = 1e300",
    "power_mw = 1.7976931348623157e308",
    "aux_load_mw = 1e308",
    "pue = 1e308",
    "it_mw = 1.7976931348623157e308",
    "export_limit_mw = 1e308",
    "steps = 18446744073709551615",
    "count = 4294967295",
    "scale = 1e300",
    "self_discharge_per_day = 1.0",
    "round_trip_efficiency = 5e-324",
];

fn mutate_once(u: &mut Unstructured, text: &str) -> Result<String> {
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return Ok(text.to_string());
    }
    let at = u.choose_index(lines.len())?;
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    match u.int_in_range(0u8..=9)? {
        0..=3 => out[at] = replace_number(u, &out[at])?,
        4 | 5 => out[at] = replace_duration(u, &out[at])?,
        6 => {
            out.remove(at);
        }
        7 => out.insert(at, out[at].clone()),
        8 => out.insert(at, u.choose(INSERTED_LINES)?.to_string()),
        _ => {
            let mut bytes = out.join("\n").into_bytes();
            if !bytes.is_empty() {
                let i = u.choose_index(bytes.len())?;
                if u.arbitrary()? {
                    bytes[i] = u.arbitrary()?;
                } else {
                    bytes.truncate(i);
                }
            }
            return Ok(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    Ok(out.join("\n"))
}

/// `line` with the value after `=` replaced by an extreme number, if it is a number.
fn replace_number(u: &mut Unstructured, line: &str) -> Result<String> {
    match line.split_once('=') {
        Some((key, value))
            if value
                .trim()
                .starts_with(|c: char| c.is_ascii_digit() || c == '-') =>
        {
            Ok(format!("{key}= {}", u.choose(EXTREME_NUMBERS)?))
        }
        _ => Ok(line.to_string()),
    }
}

/// `line` with its first quoted duration replaced by an extreme one.
fn replace_duration(u: &mut Unstructured, line: &str) -> Result<String> {
    let mut parts = line.splitn(3, '"');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(head), Some(_), Some(tail)) => {
            let pool = if u.ratio(1u8, 8u8)? {
                MALFORMED_DURATIONS
            } else {
                EXTREME_DURATIONS
            };
            Ok(format!("{head}\"{}\"{tail}", u.choose(pool)?))
        }
        _ => Ok(line.to_string()),
    }
}
