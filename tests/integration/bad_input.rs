//! Every kind of nonsense gets its typed error, naming the field; none panics.

use proptest::prelude::*;
use ridethrough::components::limits::{
    MAX_BATTERY_UNITS, MAX_ENERGY_MWH, MAX_POWER_MW, MAX_SUPPLY_UNITS, MIN_UNIT_ENERGY_MWH,
};
use ridethrough::io::scenario::DEFAULT_SCENARIO_TOML;
use ridethrough::prelude::*;
use ridethrough::reliability::availability::{MAX_EVENTS_PER_YEAR, MAX_TRANSITIONS_PER_YEAR};
use std::path::PathBuf;

/// The default scenario with one edit, parsed and validated into a study.
fn with(from: &str, to: &str) -> Result<Study, ConfigError> {
    assert!(
        DEFAULT_SCENARIO_TOML.contains(from),
        "{from:?} not in the default scenario"
    );
    Scenario::from_toml_str(&DEFAULT_SCENARIO_TOML.replacen(from, to, 1))
        .and_then(Scenario::validate)
}

fn field(e: &ConfigError) -> String {
    match e {
        ConfigError::OutOfRange { field, .. }
        | ConfigError::Inconsistent { field, .. }
        | ConfigError::Missing { field, .. }
        | ConfigError::NotMultiple { field, .. }
        | ConfigError::TraceLength { field, .. }
        | ConfigError::TraceGap { field, .. }
        | ConfigError::TraceValue { field, .. }
        | ConfigError::TraceOutOfRange { field, .. }
        | ConfigError::TraceStep { field, .. }
        | ConfigError::TraceIo { field, .. }
        | ConfigError::YearBeyondHorizon { field, .. } => field.clone(),
        other => format!("{other}"),
    }
}

#[test]
fn out_of_range_numbers_name_field_value_and_range() {
    let cases = [
        (
            "import_limit_mw = 20.0",
            "import_limit_mw = -5.0",
            "grid.import_limit_mw",
        ),
        (
            "import_limit_mw = 20.0",
            "import_limit_mw = nan",
            "grid.import_limit_mw",
        ),
        (
            "import_limit_mw = 20.0",
            "import_limit_mw = inf",
            "grid.import_limit_mw",
        ),
        (
            "initial_soc = 1.0",
            "initial_soc = 1.2",
            "battery.initial_soc",
        ),
        (
            "initial_soc = 1.0",
            "initial_soc = -0.1",
            "battery.initial_soc",
        ),
        (
            "reserve_soc = 0.2",
            "reserve_soc = 1.5",
            "battery.reserve_soc",
        ),
        (
            "units = 16",
            "units = 16\nround_trip_efficiency = 1.1",
            "battery.round_trip_efficiency",
        ),
        (
            "units = 16",
            "units = 16\ncharge_efficiency = 1.01",
            "battery.charge_efficiency",
        ),
        (
            "units = 16",
            "units = 16\nenergy_mwh = -3.9",
            "battery.energy_mwh",
        ),
        ("pue = 1.3", "pue = 0.9", "load.pue"),
        ("high_mw = 10.6", "high_mw = -10.6", "load.it[0]"),
        ("duty = 0.8", "duty = 1.8", "load.it[0].duty"),
        (
            "recharge_rate_mw = 5.0",
            "recharge_rate_mw = -5.0",
            "policy.recharge_rate_mw",
        ),
    ];
    for (from, to, want) in cases {
        let err = with(from, to).expect_err(to);
        let got = field(&err);
        assert!(
            got.starts_with(want),
            "{to}: error names {got:?}, want {want:?} ({err})"
        );
        let msg = err.to_string();
        assert!(!msg.is_empty() && !msg.ends_with('.'), "{msg}");
    }
}

#[test]
fn reserve_above_the_window_is_an_error() {
    let err = with(
        "initial_soc = 1.0\nreserve_soc = 0.2",
        "initial_soc = 0.9\nsoc_max = 0.9\nreserve_soc = 0.95",
    )
    .unwrap_err();
    assert_eq!(field(&err), "battery.reserve_soc");
}

#[test]
fn time_grid_errors() {
    assert!(matches!(
        with("step = \"1m\"", "step = \"0s\""),
        Err(ConfigError::ZeroStep)
    ));
    assert!(matches!(
        with("step = \"1m\"", "step = \"7m\""),
        Err(ConfigError::HorizonNotMultiple { .. })
    ));
    assert!(matches!(
        with("horizon = \"365d\"", "horizon = \"365d\"\nsteps = 10"),
        Err(ConfigError::Inconsistent { .. })
    ));
    // A malformed duration is a parse error naming the key.
    let err = with("step = \"1m\"", "step = \"1 fortnight\"").unwrap_err();
    assert!(matches!(err, ConfigError::Toml { .. }));
    assert!(err.to_string().contains("step"), "{err}");
}

#[test]
fn unknown_keys_are_errors_everywhere() {
    for (from, to) in [
        ("seed = 2023", "seed = 2023\ncolour = \"red\""),
        ("step = \"1m\"", "step = \"1m\"\nstepp = \"1m\""),
        (
            "import_limit_mw = 20.0",
            "import_limit_mw = 20.0\nimport_limt_mw = 1.0",
        ),
        ("units = 16", "units = 16\ncapacity_mwh = 3"),
        ("pue = 1.3", "pue = 1.3\npeu = 1.3"),
        ("duty = 0.8", "duty = 0.8\nduty_cycle = 0.8"),
        ("recharge_rate_mw = 5.0", "recharge_rate_mw = 5.0\nrate = 1"),
        (
            "preset = \"distribution\"",
            "preset = \"distribution\"\nfrequency = 1",
        ),
    ] {
        let err = with(from, to).expect_err(to);
        assert!(matches!(err, ConfigError::Toml { .. }), "{to}: {err}");
        assert!(err.to_string().contains("unknown"), "{to}: {err}");
    }
    let err = with("preset = \"megapack2xl_4h\"", "preset = \"megapack9\"").unwrap_err();
    assert!(err.to_string().contains("unknown variant"), "{err}");
}

fn temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ridethrough-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn traces_of_the_wrong_length_or_with_gaps() {
    let base = "seed = 1\n[time]\nstep = \"1h\"\nhorizon = \"4h\"\n[battery]\nunits = 0\n[load]\n[[load.it]]\nkind = \"constant\"\nit_mw = 1.0\n";
    // Availability trace: 3 rows for 4 steps.
    temp("avail3.csv", "availability\n1\n1\n0\n");
    let p = temp(
        "short.toml",
        &format!("{base}[grid]\nimport_limit_mw = 5.0\navailability_trace = {{ path = \"avail3.csv\" }}\n"),
    );
    assert!(matches!(
        Scenario::load(&p).and_then(Scenario::validate),
        Err(ConfigError::TraceLength { .. })
    ));
    // Load trace with a gap in its time column.
    temp("gap.csv", "t_s,it_mw\n0,1\n3600,1\n10800,1\n14400,1\n");
    let p = temp(
        "gap.toml",
        &base
            .replace(
                "kind = \"constant\"\nit_mw = 1.0",
                "kind = \"trace\"\npath = \"gap.csv\"",
            )
            .replace("[load]", "[grid]\nimport_limit_mw = 5.0\n[load]"),
    );
    assert!(matches!(
        Scenario::load(&p).and_then(Scenario::validate),
        Err(ConfigError::TraceGap { row: 3, .. })
    ));
    // Load trace too short for the horizon.
    temp("short_load.csv", "t_s,it_mw\n0,1\n3600,1\n");
    let p = temp(
        "short_load.toml",
        &base
            .replace(
                "kind = \"constant\"\nit_mw = 1.0",
                "kind = \"trace\"\npath = \"short_load.csv\"",
            )
            .replace("[load]", "[grid]\nimport_limit_mw = 5.0\n[load]"),
    );
    assert!(matches!(
        Scenario::load(&p).and_then(Scenario::validate),
        Err(ConfigError::TraceLength { .. })
    ));
    // A trace that is named but missing.
    let p = temp(
        "missing.toml",
        &format!(
            "{base}[grid]\nimport_limit_mw = 5.0\navailability_trace = {{ path = \"nope.csv\" }}\n"
        ),
    );
    assert!(matches!(Scenario::load(&p), Err(ConfigError::Io { .. })));
}

#[test]
fn unreadable_and_unknown_files() {
    assert!(matches!(
        Scenario::load("/nonexistent/scenario.toml"),
        Err(ConfigError::Io { .. })
    ));
    let p = temp("scenario.yaml", "seed: 1\n");
    assert!(matches!(
        Scenario::load(&p),
        Err(ConfigError::UnknownFormat { .. })
    ));
    let p = temp("broken.json", "{ \"seed\": 1, ");
    assert!(matches!(Scenario::load(&p), Err(ConfigError::Json { .. })));
}

#[test]
fn json_scenarios_work_too() {
    let s = Scenario::default_scenario().unwrap();
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(Scenario::from_json_str(&json).unwrap(), s);
    let bad = json.replacen("\"seed\":", "\"sede\":1,\"seed\":", 1);
    assert!(matches!(
        Scenario::from_json_str(&bad),
        Err(ConfigError::Json { .. })
    ));
}

#[test]
fn snapshots_from_another_site_are_rejected() {
    let s = Scenario::default_scenario()
        .and_then(Scenario::validate)
        .unwrap();
    let site = s.site();
    let mut snap = site.simulate(*s.policy(), 1).snapshot();
    snap.step = site.time.steps() + 1;
    assert!(matches!(
        Simulation::resume(site, snap),
        Err(ConfigError::Inconsistent { .. })
    ));
}

/// The default scenario's policy replaced by `policy` (TOML lines after `[policy]`).
fn with_policy(policy: &str) -> Result<Study, ConfigError> {
    with("kind = \"backup_only\"\nrecharge_rate_mw = 5.0", policy)
}

/// Asserts an out-of-range error naming `field`, with the value and the allowed range.
fn assert_out_of_range(r: Result<Study, ConfigError>, want: &str, value: &str) {
    let err = r.expect_err(want);
    let msg = err.to_string();
    match &err {
        ConfigError::OutOfRange { field, allowed, .. } => {
            assert_eq!(field, want, "{msg}");
            assert!(!allowed.is_empty(), "{msg}");
        }
        other => panic!("{want}: want OutOfRange, got {other}"),
    }
    assert!(
        msg.starts_with(&format!("{want} = {value} is out of range: allowed ")),
        "{msg}"
    );
}

#[test]
fn negative_nan_or_infinite_policy_powers_are_rejected() {
    for (toml, field, value) in [
        (
            "kind = \"peak_shaving\"\nimport_cap_mw = -1.0",
            "policy.import_cap_mw",
            "-1",
        ),
        (
            "kind = \"peak_shaving\"\nimport_cap_mw = nan",
            "policy.import_cap_mw",
            "NaN",
        ),
        (
            "kind = \"peak_shaving\"\nimport_cap_mw = inf",
            "policy.import_cap_mw",
            "inf",
        ),
        (
            "kind = \"peak_shaving\"\nimport_cap_mw = 1e300",
            "policy.import_cap_mw",
            "1e300",
        ),
        (
            "kind = \"backup_only\"\nrecharge_rate_mw = 1.7976931348623157e308",
            "policy.recharge_rate_mw",
            "1.7976931348623157e308",
        ),
        (
            "kind = \"ramp_limiting\"\nmax_ramp_mw_per_s = 1e9",
            "policy.max_ramp_mw_per_s",
            "1000000000",
        ),
        (
            "kind = \"peak_shaving\"\nimport_cap_mw = 12.0\nrecharge_rate_mw = -inf",
            "policy.recharge_rate_mw",
            "-inf",
        ),
        (
            "kind = \"backup_only\"\nrecharge_rate_mw = 0.0",
            "policy.recharge_rate_mw",
            "0",
        ),
        (
            "kind = \"backup_only\"\nrecharge_rate_mw = nan",
            "policy.recharge_rate_mw",
            "NaN",
        ),
        (
            "kind = \"ramp_limiting\"\nmax_ramp_mw_per_s = -0.05",
            "policy.max_ramp_mw_per_s",
            "-0.05",
        ),
        (
            "kind = \"ramp_limiting\"\nmax_ramp_mw_per_s = 0.0",
            "policy.max_ramp_mw_per_s",
            "0",
        ),
        (
            "kind = \"ramp_limiting\"\nmax_ramp_mw_per_s = inf",
            "policy.max_ramp_mw_per_s",
            "inf",
        ),
    ] {
        assert_out_of_range(with_policy(toml), field, value);
    }
    // A cap of zero is allowed (serve everything from the battery while it lasts).
    with_policy("kind = \"peak_shaving\"\nimport_cap_mw = 0.0").unwrap();
}

#[test]
fn soc_target_outside_the_battery_window_is_rejected() {
    let ramp = "kind = \"ramp_limiting\"\nmax_ramp_mw_per_s = 0.05\nsoc_target = ";
    for bad in ["1.2", "-0.1", "nan"] {
        assert_out_of_range(
            with_policy(&format!("{ramp}{bad}")),
            "policy.soc_target",
            if bad == "nan" { "NaN" } else { bad },
        );
    }
    with_policy(&format!("{ramp}0.6")).unwrap();
    // Inside [0, 1] but outside this battery's window (0.1 ..= 0.9).
    let narrow = |target: &str| {
        Scenario::from_toml_str(
            &DEFAULT_SCENARIO_TOML
                .replacen(
                    "initial_soc = 1.0",
                    "soc_min = 0.1\nsoc_max = 0.9\ninitial_soc = 0.9",
                    1,
                )
                .replacen(
                    "kind = \"backup_only\"\nrecharge_rate_mw = 5.0",
                    &format!("{ramp}{target}"),
                    1,
                ),
        )
        .and_then(Scenario::validate)
    };
    assert_out_of_range(narrow("0.95"), "policy.soc_target", "0.95");
    assert_out_of_range(narrow("0.05"), "policy.soc_target", "0.05");
    narrow("0.5").unwrap();
}

#[test]
fn zero_recovery_is_rejected() {
    assert_out_of_range(
        with_policy("kind = \"ramp_limiting\"\nmax_ramp_mw_per_s = 0.05\nrecovery = \"0s\""),
        "policy.recovery",
        "0",
    );
}

#[test]
fn a_study_revalidates_every_change() {
    let study = Scenario::default_scenario()
        .and_then(Scenario::validate)
        .unwrap();
    // Policies built in code are checked too, not only those read from files.
    assert_out_of_range(
        study.clone().with_policy(Policy::PeakShaving {
            import_cap_mw: Power::mw(-1.0),
            recharge_rate_mw: None,
        }),
        "policy.import_cap_mw",
        "-1",
    );
    assert_out_of_range(
        study.clone().with_policy(Policy::RampLimiting {
            max_ramp_mw_per_s: RampRate::mw_per_s(f64::NAN),
            soc_target: None,
            recovery: None,
            initial_import_mw: None,
        }),
        "policy.max_ramp_mw_per_s",
        "NaN",
    );
    // A new fleet whose window excludes the policy's SoC target.
    let ramp = study
        .clone()
        .with_policy(Policy::RampLimiting {
            max_ramp_mw_per_s: RampRate::mw_per_s(0.05),
            soc_target: Some(Fraction::ratio(0.95)),
            recovery: None,
            initial_import_mw: None,
        })
        .unwrap();
    let narrow = BatteryParams {
        soc_max: Some(Fraction::ratio(0.9)),
        initial_soc: Some(Fraction::ratio(0.9)),
        ..ramp.battery_params().clone()
    };
    assert_out_of_range(ramp.with_battery(narrow), "policy.soc_target", "0.95");
    // The default target (0.6) is checked against the window too, when none is given.
    let default_target = study
        .clone()
        .with_policy(Policy::RampLimiting {
            max_ramp_mw_per_s: RampRate::mw_per_s(0.05),
            soc_target: None,
            recovery: None,
            initial_import_mw: None,
        })
        .unwrap();
    let high = BatteryParams {
        soc_min: Some(Fraction::ratio(0.7)),
        reserve_soc: Some(Fraction::ratio(0.7)),
        ..default_target.battery_params().clone()
    };
    assert_out_of_range(
        default_target.with_battery(high),
        "policy.soc_target",
        "0.6",
    );
    // A new time grid rebuilds the site (and checks the policy again).
    let hourly = TimeGrid::new(Duration::from_hours(1), Duration::from_days(150)).unwrap();
    let short = study.clone().with_time(hourly).unwrap();
    assert_eq!(short.time().steps(), 3600);
    assert_eq!(short.site().time, hourly);
    // A horizon that ends before the scheduled maintenance window (day 120) is refused: the
    // window could never happen.
    let month = TimeGrid::new(Duration::from_hours(1), Duration::from_days(30)).unwrap();
    assert_out_of_range(
        study.clone().with_time(month),
        "grid.scheduled_outages[0].start",
        "2880",
    );
    // The seed changes nothing else.
    let other = study.clone().with_seed(7);
    assert_eq!((other.seed(), study.seed()), (7, 2023));
    assert_eq!(other.policy(), study.policy());
}

// ---- physical ranges ---------------------------------------------------------------------------

/// A small valid scenario: two days of hourly steps, a 20 MW feed, four Megapacks, 8 MW of IT.
const SMALL: &str = r#"seed = 1
[time]
step = "1h"
horizon = "2d"
[grid]
import_limit_mw = 20.0
[battery]
preset = "megapack2xl_4h"
units = 4
[load]
pue = 1.3
[[load.it]]
kind = "constant"
it_mw = 8.0
"#;

/// [`SMALL`] with one edit, parsed and validated.
fn small_with(from: &str, to: &str) -> Result<Study, ConfigError> {
    assert!(SMALL.contains(from), "{from:?} not in the small scenario");
    Scenario::from_toml_str(&SMALL.replacen(from, to, 1)).and_then(Scenario::validate)
}

/// [`SMALL`] with `extra` appended (TOML tables that come after `[load]`).
fn small_plus(extra: &str) -> Result<Study, ConfigError> {
    Scenario::from_toml_str(&format!("{SMALL}{extra}")).and_then(Scenario::validate)
}

/// Asserts an out-of-range error naming exactly `want` with exactly the value `value`.
fn assert_field_value(r: Result<Study, ConfigError>, want: &str, value: f64) {
    match r {
        Err(ConfigError::OutOfRange {
            field,
            value: v,
            allowed,
        }) => {
            assert_eq!(field, want, "allowed {allowed}");
            assert_eq!(v, value, "{want}: value");
            assert!(!allowed.is_empty());
        }
        other => panic!("{want}: want OutOfRange, got {other:?}"),
    }
}

#[test]
fn the_small_scenario_is_valid() {
    small_with("", "").unwrap();
}

#[test]
fn finite_but_absurd_powers_are_out_of_range() {
    assert_field_value(
        small_with("it_mw = 8.0", "it_mw = 1.7976931348623157e308"),
        "load.it[0].it_mw",
        f64::MAX,
    );
    assert_field_value(
        small_with("import_limit_mw = 20.0", "import_limit_mw = 1e300"),
        "grid.import_limit_mw",
        1e300,
    );
    assert_field_value(
        small_with(
            "import_limit_mw = 20.0",
            "import_limit_mw = 20.0\nexport_limit_mw = 1e6",
        ),
        "grid.export_limit_mw",
        1e6,
    );
    let shape = vec!["1.0"; 24].join(", ");
    assert_field_value(
        small_with(
            "kind = \"constant\"\nit_mw = 8.0",
            &format!("kind = \"daily\"\npeak_mw = 1.7976931348623157e308\nshape = [{shape}]"),
        ),
        "load.it[0].peak_mw",
        f64::MAX,
    );
    assert_field_value(
        small_with(
            "kind = \"constant\"\nit_mw = 8.0",
            "kind = \"training_swing\"\nhigh_mw = 2e5\nlow_mw = 1.0\nperiod = \"2s\"\nduty = 0.5",
        ),
        "load.it[0].high_mw",
        2e5,
    );
    // The largest power is allowed on its own.
    small_with(
        "import_limit_mw = 20.0",
        &format!("import_limit_mw = {MAX_POWER_MW:e}"),
    )
    .unwrap();
}

#[test]
fn the_facility_peak_is_checked_as_well_as_each_profile() {
    // 90 GW of IT is in range, but × PUE 1.3 it is 117 GW at the meter.
    match small_with("it_mw = 8.0", "it_mw = 90000.0") {
        Err(ConfigError::OutOfRange { field, value, .. }) => {
            assert_eq!(field, "load.it[0]");
            assert_eq!(value, 90_000.0 * 1.3);
        }
        other => panic!("want OutOfRange, got {other:?}"),
    }
    // Two profiles each in range whose sum is not: the second is named.
    let two = "it_mw = 60000.0\n[[load.it]]\nkind = \"constant\"\nit_mw = 60000.0";
    match small_with("it_mw = 8.0", two) {
        Err(ConfigError::OutOfRange { field, value, .. }) => {
            assert_eq!(field, "load.it[1]");
            assert_eq!(value, 120_000.0 * 1.3);
        }
        other => panic!("want OutOfRange, got {other:?}"),
    }
}

#[test]
fn a_huge_trace_value_is_out_of_range() {
    let mut csv = String::from("t_s,it_mw\n");
    for k in 0..48 {
        let v = if k == 5 {
            "1.7976931348623157e308"
        } else {
            "8.0"
        };
        csv += &format!("{},{v}\n", k * 3600);
    }
    temp("huge_trace.csv", &csv);
    let p = temp(
        "huge_trace.toml",
        &SMALL.replace(
            "kind = \"constant\"\nit_mw = 8.0",
            "kind = \"trace\"\npath = \"huge_trace.csv\"",
        ),
    );
    match Scenario::load(&p).and_then(Scenario::validate) {
        Err(ConfigError::OutOfRange { field, value, .. }) => {
            assert_eq!(field, "load.it[0].values_mw[5]");
            assert_eq!(value, f64::MAX);
        }
        other => panic!("want OutOfRange, got {other:?}"),
    }
}

#[test]
fn battery_energy_and_fleet_totals() {
    // 5e-324 MWh would make 1 / capacity infinite.
    assert_field_value(
        small_with("units = 4", "units = 4\nenergy_mwh = 5e-324"),
        "battery.energy_mwh",
        5e-324,
    );
    assert_field_value(
        small_with("units = 4", "units = 4\nenergy_mwh = 1e12"),
        "battery.energy_mwh",
        1e12,
    );
    // Exactly 0 (power electronics only) and the smallest positive energy are allowed.
    small_with("units = 4", "units = 4\nenergy_mwh = 0.0").unwrap();
    small_with(
        "units = 4",
        &format!("units = 4\nenergy_mwh = {MIN_UNIT_ENERGY_MWH:e}"),
    )
    .unwrap();
    // Each unit in range, the fleet not: 100,000 units × 2 MW = 200 GW; × 1e7 MWh = 1e12 MWh.
    assert_field_value(
        small_with("units = 4", "units = 100000\npower_mw = 2.0"),
        "battery.charge_power_mw",
        2e5,
    );
    assert_field_value(
        small_with(
            "units = 4",
            "units = 100000\npower_mw = 0.5\nenergy_mwh = 1e7",
        ),
        "battery.energy_mwh",
        1e12,
    );
    const { assert!(1e12 > MAX_ENERGY_MWH) };
    // Efficiencies so low that losses explode.
    assert_field_value(
        small_with("units = 4", "units = 4\nround_trip_efficiency = 1e-300"),
        "battery.round_trip_efficiency",
        1e-300,
    );
    assert_field_value(
        small_with("units = 4", "units = 4\ndischarge_efficiency = 0.05"),
        "battery.discharge_efficiency",
        0.05,
    );
}

#[test]
fn counts_near_u32_max_are_refused_before_allocating() {
    let started = std::time::Instant::now();
    assert_field_value(
        small_plus(
            "[[grid.supply_units]]\ncapacity_mw = 0.001\ncount = 4294967295\n\
             processes = [{ model = \"markov\", mttf = \"1100h\", mttr = \"50h\" }]\n",
        ),
        "grid.supply_units[0].count",
        4_294_967_295.0,
    );
    // The total over all entries is bounded too: the second entry passes it.
    let n = MAX_SUPPLY_UNITS / 2 + 1;
    assert_field_value(
        small_plus(&format!(
            "[[grid.supply_units]]\ncapacity_mw = 0.001\ncount = {n}\nprocesses = []\n\
             [[grid.supply_units]]\ncapacity_mw = 0.001\ncount = {n}\nprocesses = []\n"
        )),
        "grid.supply_units[1].count",
        f64::from(n),
    );
    assert_field_value(
        small_with(
            "units = 4",
            "units = 4294967295\nunit_failures = [{ model = \"markov\", mttf = \"8760h\", mttr = \"72h\" }]",
        ),
        "battery.units",
        4_294_967_295.0,
    );
    assert_field_value(
        small_with("units = 4", &format!("units = {}", MAX_BATTERY_UNITS + 1)),
        "battery.units",
        f64::from(MAX_BATTERY_UNITS + 1),
    );
    // Refused at once (no gigabytes were allocated and filled).
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn failure_rates_that_would_never_finish_are_refused() {
    let feed = |process: &str| {
        small_plus(&format!(
            "[grid.random_outages]\n[[grid.random_outages.processes]]\n{process}\n"
        ))
    };
    assert_field_value(
        feed("failures_per_year = 1e300\nduration = { law = \"fixed\", duration = \"1h\" }"),
        "grid.random_outages.processes[0].failures_per_year",
        1e300,
    );
    assert_field_value(
        feed(&format!(
            "failures_per_year = {:e}\nduration = {{ law = \"fixed\", duration = \"1h\" }}",
            MAX_EVENTS_PER_YEAR * 2.0
        )),
        "grid.random_outages.processes[0].failures_per_year",
        MAX_EVENTS_PER_YEAR * 2.0,
    );
    // In range alone, out of range after `scale`.
    assert_field_value(
        small_plus(
            "[grid.random_outages]\nscale = 5000.0\n[[grid.random_outages.processes]]\n\
             failures_per_year = 10.0\nduration = { law = \"fixed\", duration = \"1h\" }\n",
        ),
        "grid.random_outages.scale",
        5000.0,
    );
    // Monthly multipliers multiply the rate.
    assert_field_value(
        feed(
            "failures_per_year = 100.0\nduration = { law = \"fixed\", duration = \"1h\" }\n\
              monthly_multipliers = [1, 1, 1, 1, 1, 1, 200, 1, 1, 1, 1, 1]",
        ),
        "grid.random_outages.processes[0].monthly_multipliers",
        200.0,
    );
    assert_field_value(
        feed("failures_per_year = 1.0\nduration = { law = \"log_normal\", median = \"1h\", sigma_ln = 1e300 }"),
        "grid.random_outages.processes[0].duration.sigma_ln",
        1e300,
    );
    assert_field_value(
        feed("failures_per_year = 1.0\nduration = { law = \"weibull\", shape = 1e-300, scale = \"1h\" }"),
        "grid.random_outages.processes[0].duration.shape",
        1e-300,
    );
    // Millisecond MTTF/MTTR on 168 battery units: refused, naming the field (value in seconds).
    let units = |mttf: &str, mttr: &str| {
        small_with(
            "units = 4",
            &format!(
                "units = 168\nunit_failures = [{{ model = \"markov\", mttf = \"{mttf}\", mttr = \"{mttr}\" }}]"
            ),
        )
    };
    assert_field_value(units("1ms", "8h"), "battery.unit_failures[0].mttf", 0.001);
    assert_field_value(
        units("8760h", "1ms"),
        "battery.unit_failures[0].mttr",
        0.001,
    );
    // One-second sojourns on 168 units: each in range, but ≈ 5·10⁹ transitions a year.
    match units("1s", "1s") {
        Err(ConfigError::OutOfRange { field, value, .. }) => {
            assert_eq!(field, "battery.unit_failures");
            let want = 168.0 * 2.0 * 8760.0 * 3600.0 / 2.0;
            assert!(
                (value - want).abs() <= want * TRANSITIONS_REL_TOL,
                "{value}"
            );
            assert!(value > MAX_TRANSITIONS_PER_YEAR);
        }
        other => panic!("want OutOfRange, got {other:?}"),
    }
    units("8760h", "72h").unwrap();
}

/// The expected transitions of a unit set are a few float operations.
const TRANSITIONS_REL_TOL: f64 = 1e-12;

#[test]
fn the_horizon_must_fit_the_calendar_and_the_duration_bound() {
    let start = |s: &str| {
        small_with(
            "horizon = \"2d\"",
            &format!("horizon = \"2d\"\nstart = {s}"),
        )
    };
    assert_field_value(start("\"9999-12-30T00:00:00\""), "time.start", 9999.0);
    start("\"9999-12-29T00:00:00\"").unwrap();
    // A horizon or a step count past the longest duration, 1000 years.
    assert_field_value(
        small_with("horizon = \"2d\"", "horizon = \"365001d\""),
        "time.horizon",
        365_001.0 * 24.0,
    );
    assert_field_value(
        small_with(
            "step = \"1h\"\nhorizon = \"2d\"",
            "step = \"1d\"\nsteps = 365001",
        ),
        "time.steps",
        365_001.0,
    );
}

#[test]
fn a_json_number_out_of_range_names_its_key() {
    let json = serde_json::to_string(&Scenario::from_toml_str(SMALL).unwrap()).unwrap();
    for (from, key) in [
        ("\"import_limit_mw\":20.0", "grid.import_limit_mw"),
        ("\"pue\":1.3", "load.pue"),
        ("\"units\":4", "battery.units"),
    ] {
        assert!(json.contains(from), "{from} not in {json}");
        let bad = json.replacen(
            from,
            &format!("{}1e400", &from[..from.find(':').unwrap() + 1]),
            1,
        );
        match Scenario::from_json_str(&bad) {
            Err(ConfigError::Json { key: k, .. }) => assert_eq!(k, key, "{bad}"),
            other => panic!("{key}: want Json, got {other:?}"),
        }
        let p = temp("huge.json", &bad);
        let err = Scenario::load(&p).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(key) && msg.contains("huge.json"), "{msg}");
    }
    // A key of the wrong type inside an IT profile is named down to the profile.
    let bad = json.replacen("\"it_mw\":8.0", "\"it_mw\":\"eight\"", 1);
    match Scenario::from_json_str(&bad) {
        Err(ConfigError::Json { key, .. }) => assert!(key.starts_with("load.it"), "{key}"),
        other => panic!("want Json, got {other:?}"),
    }
}

#[test]
fn a_toml_number_out_of_range_names_its_key() {
    // The TOML parser refuses 1e400 itself; its message gives the line and column and quotes the
    // line, key included.
    let err = small_with("import_limit_mw = 20.0", "import_limit_mw = 1e400").unwrap_err();
    assert!(matches!(err, ConfigError::Toml { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("line 6") && msg.contains("import_limit_mw = 1e400"),
        "{msg}"
    );
}

#[test]
fn a_binary_trace_names_the_file_and_the_field() {
    let dir = std::env::temp_dir().join(format!("ridethrough-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("binary.csv"),
        b"\x89PNG\r\n\x1a\n\x00\xff\xfe\x00\n",
    )
    .unwrap();
    let p = temp(
        "binary.toml",
        &SMALL.replace(
            "kind = \"constant\"\nit_mw = 8.0",
            "kind = \"trace\"\npath = \"binary.csv\"",
        ),
    );
    let err = Scenario::load(&p).unwrap_err();
    match &err {
        ConfigError::TraceSyntax { field, path, .. } => {
            assert_eq!(field, "load.it[0]");
            assert!(path.ends_with("binary.csv"), "{path:?}");
        }
        other => panic!("want TraceSyntax, got {other:?}"),
    }
    assert!(err.to_string().contains("binary.csv"), "{err}");
}

// ---- any finite numbers that load give a finite report -----------------------------------------

/// The ordinary value of each number slot of the property test's scenario, in the order of
/// the `let [...]` that names them.
const TYPICAL: [f64; 22] = [
    20.0, 2.0, 0.5, 1.0, 1.0, 1.0, 5.0, // grid
    4.0, 1.0, 4.0, 0.9, 0.01, 0.002, 0.5, // battery
    1.3, 8.0, 3.0, 0.7, 10.6, 5.3, 0.8, // load
    5.0, // policy
];

/// Any finite number, favouring the bounds of this crate's ranges and the extremes of `f64`.
fn extreme() -> impl Strategy<Value = f64> {
    prop_oneof![
        1 => prop::sample::select(vec![
            0.0, 5e-324, 1e-300, 1e-6, 0.01, 0.1, 1.0, 5.0, 10.0, 1e4, 1e5, 1e7, 8.76e11, 1e300,
            f64::MAX, -1.0, -f64::MAX
        ]),
        1 => any::<f64>().prop_filter("finite", |x| x.is_finite()),
    ]
}

/// The slots' values: each its typical value or within ±50 % of it, then up to three slots
/// replaced by [`extreme`] numbers (so that a fair share of cases loads and is run).
fn slots() -> impl Strategy<Value = [f64; 22]> {
    (
        prop::collection::vec(prop_oneof![3 => Just(1.0), 2 => 0.5..1.5f64], 22),
        prop::collection::vec((0usize..22, extreme()), 0..=3),
    )
        .prop_map(|(scale, wild)| {
            let mut v = TYPICAL;
            for (x, k) in v.iter_mut().zip(scale) {
                *x *= k;
            }
            for (i, x) in wild {
                v[i] = x;
            }
            v
        })
}

proptest! {
    // About a quarter of the cases load (≈ 250 runs of 48 steps: well under a second).
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// Whatever finite numbers a scenario holds, if it loads, a short run reports only finite
    /// numbers (and the text report prints no `inf`, `NaN` or runaway digits).
    #[test]
    fn finite_numbers_that_load_give_a_finite_report(v in slots()) {
        let [
            import, export, frac, scale, rate, sigma, capacity,
            units, power, energy, rte, self_discharge, aux, initial,
            pue, it, peak, shape, high, low, duty,
            policy,
        ] = v;
        let units = units.clamp(0.0, 200_000.0) as u64;
        let text = format!(
            r#"seed = 7
[time]
step = "1h"
horizon = "2d"
[grid]
import_limit_mw = {import:e}
export_limit_mw = {export:e}
[[grid.scheduled_outages]]
start = "20h"
duration = "6h"
available_fraction = {frac:e}
[grid.random_outages]
preset = "distribution"
scale = {scale:e}
[[grid.random_outages.processes]]
failures_per_year = {rate:e}
duration = {{ law = "log_normal", median = "2h", sigma_ln = {sigma:e} }}
[[grid.supply_units]]
capacity_mw = {capacity:e}
count = 3
processes = [{{ model = "markov", mttf = "30h", mttr = "5h" }}]
[battery]
units = {units}
power_mw = {power:e}
energy_mwh = {energy:e}
round_trip_efficiency = {rte:e}
self_discharge_per_day = {self_discharge:e}
aux_load_mw = {aux:e}
initial_soc = {initial:e}
unit_failures = [{{ model = "markov", mttf = "20h", mttr = "4h" }}]
[load]
pue = {pue:e}
[[load.it]]
kind = "constant"
it_mw = {it:e}
[[load.it]]
kind = "daily"
peak_mw = {peak:e}
shape = [{shapes}]
[[load.it]]
kind = "training_swing"
high_mw = {high:e}
low_mw = {low:e}
period = "90m"
duty = {duty:e}
[policy]
kind = "backup_only"
recharge_rate_mw = {policy:e}
"#,
            shapes = vec![format!("{shape:e}"); 24].join(", "),
        );
        let Ok(study) = Scenario::from_toml_str(&text).and_then(Scenario::validate) else {
            return Ok(());
        };
        let report = study.simulate().run(&mut ()).report();
        let json = serde_json::to_value(&report).unwrap();
        assert_all_finite(&json, "report");
        let shown = report.to_string();
        prop_assert!(!shown.contains("inf") && !shown.contains("NaN"), "{shown}");
        prop_assert!(
            shown.split(|c: char| !c.is_ascii_digit()).all(|run| run.len() <= MAX_DIGITS),
            "{shown}"
        );
    }
}

/// The longest run of digits a report may print: 10⁵ MW for 1000 years is ≈ 9·10¹¹ MWh (12
/// digits), and the step count of 1000 years at 1 ms is 3·10¹³ (14 digits), plus a seed (u64, 20).
const MAX_DIGITS: usize = 20;

/// Every number in `v` is finite: serde_json writes a non-finite f64 as `null`, and the only
/// optional field of a report is the time grid's calendar `start`.
fn assert_all_finite(v: &serde_json::Value, at: &str) {
    match v {
        serde_json::Value::Null => assert!(at.ends_with(".start"), "{at} is null (not finite)"),
        serde_json::Value::Number(n) => {
            assert!(n.as_f64().is_some_and(f64::is_finite), "{at} = {n}")
        }
        serde_json::Value::Array(xs) => {
            for (i, x) in xs.iter().enumerate() {
                assert_all_finite(x, &format!("{at}[{i}]"));
            }
        }
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                assert_all_finite(x, &format!("{at}.{k}"));
            }
        }
        _ => {}
    }
}

#[test]
fn every_entry_point_checks_the_policy_against_the_site() {
    use ridethrough::studies::montecarlo::{self, McConfig};
    use ridethrough::studies::survival::{self, SurvivalConfig};
    let study = Scenario::default_scenario()
        .and_then(Scenario::validate)
        .unwrap();
    let site = study.site();
    let bad = Policy::PeakShaving {
        import_cap_mw: Power::mw(f64::NAN),
        recharge_rate_mw: None,
    };
    let want = "policy.import_cap_mw";
    let e = site.try_simulate(bad, 1).expect_err("try_simulate");
    assert_eq!(field(&e), want);
    let e = montecarlo::run(site, &bad, &McConfig::new(4, 1), &|_| {}).unwrap_err();
    assert_eq!(field(&e), want);
    let good = *study.policy();
    let cfg = McConfig::new(4, 1);
    let e = montecarlo::compare((site, &good), (site, &bad), &cfg, &|_| {}).unwrap_err();
    assert_eq!(field(&e), want);
    let e = montecarlo::compare((site, &bad), (site, &good), &cfg, &|_| {}).unwrap_err();
    assert_eq!(field(&e), want);
    let cfg = SurvivalConfig::new(Duration::from_hours(2));
    let e = survival::sweep(site, &bad, 1, &cfg).unwrap_err();
    assert_eq!(field(&e), want);
    // A policy that configures nothing has nothing to check.
    assert!(site.try_simulate(good, 1).is_ok());
}

// ---- battery-lifetime messages: field, value and the allowed range or forms --------------------

/// A bundled scenario's text.
fn bundled(name: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios");
    std::fs::read_to_string(dir.join(name)).expect("bundled scenario")
}

/// Asserts that `text`, with each `(from, to)` edit, is refused with a message containing
/// `want`.
fn assert_refused(text: &str, edits: &[(&str, &str)], want: &str) {
    let mut t = text.to_string();
    for (from, to) in edits {
        assert!(t.contains(from), "{from:?} not in the scenario");
        t = t.replacen(from, to, 1);
    }
    match Scenario::from_toml_str(&t).and_then(Scenario::validate) {
        Err(e) => assert!(e.to_string().contains(want), "want {want:?} in:\n{e}"),
        Ok(_) => panic!("{edits:?} was accepted"),
    }
}

#[test]
fn an_augmentation_year_past_the_horizon_names_the_entry_and_the_last_year() {
    let twenty = bundled("austin_20yr.toml");
    let rule = "threshold = { below = 0.9, restore_to = 1.0 }";
    // 7,300 days start years 1 to 20; 7,301 days start year 21 as well.
    for (edits, want) in [
        (
            &[(
                rule,
                "add = [{ year = 5, units = 1 }, { year = 21, units = 1 }]",
            )][..],
            "battery.augmentation.add[1].year = 21 is out of range: allowed 2 ≤ year ≤ 20 \
             (the years of life the horizon of 7300d starts",
        ),
        (
            &[(rule, "replace = [{ year = 25, which = \"oldest\" }]")],
            "battery.augmentation.replace[0].year = 25 is out of range: allowed 2 ≤ year ≤ 20",
        ),
        (
            &[
                (rule, "add = [{ year = 22, units = 1 }]"),
                ("horizon = \"7300d\"", "horizon = \"7301d\""),
            ],
            "battery.augmentation.add[0].year = 22 is out of range: allowed 2 ≤ year ≤ 21",
        ),
        (
            &[
                (rule, "add = [{ year = 2, units = 1 }]"),
                ("horizon = \"7300d\"", "horizon = \"365d\""),
            ],
            "battery.augmentation.add[0].year = 2 is out of range: the horizon of 365d starts \
             only year 1 of life: an augmentation needs a horizon over a year",
        ),
    ] {
        assert_refused(&twenty, edits, want);
    }
    // The last year the horizon starts is allowed.
    let ok = twenty.replacen(rule, "add = [{ year = 21, units = 1 }]", 1);
    let ok = ok.replacen("horizon = \"7300d\"", "horizon = \"7301d\"", 1);
    Scenario::from_toml_str(&ok)
        .and_then(Scenario::validate)
        .expect("year 21 of a 7,301-day horizon");
}

#[test]
fn ambient_efficiency_curve_and_pue_forms_are_listed_when_none_matches() {
    let twenty = bundled("austin_20yr.toml");
    let ambient = "ambient = \"austin_synthetic\"";
    let forms = "expected a temperature in °C (e.g. 25.0), \"austin_synthetic\", \
                 { synthetic = { … } } or { trace = \"file.csv\", column = \"temp_c\" }";
    let points =
        "expected \"calibrated\" or a list of points [{ loading = 0.1, efficiency = 0.93 }, …]";
    let curve = "efficiency_curve = \"calibrated\"";
    for (from, to, want) in [
        (
            ambient,
            "ambient = \"paris_synthetic\"",
            "string \"paris_synthetic\"",
        ),
        (ambient, "ambient = \"paris_synthetic\"", forms),
        (ambient, "ambient = true", forms),
        (ambient, "ambient = [25.0]", forms),
        (
            ambient,
            "ambient = { trace = \"t.csv\", colum = \"temp_c\" }",
            "unknown field `colum`, expected one of `synthetic`, `trace`, `column`",
        ),
        (
            ambient,
            "ambient = { column = \"temp_c\" }",
            "an ambient table is { synthetic = { … } } or { trace = \"file.csv\"",
        ),
        (
            ambient,
            "ambient = { synthetic = { peak_hour = 15 } }",
            "missing field `monthly_mean_c`",
        ),
        (
            curve,
            "efficiency_curve = \"pvwatts\"",
            "string \"pvwatts\"",
        ),
        (curve, "efficiency_curve = \"pvwatts\"", points),
        (curve, "efficiency_curve = 0.95", points),
        (
            curve,
            "efficiency_curve = [{ loading = 0.5, efficency = 0.97 }]",
            "unknown field `efficency`, expected `loading` or `efficiency`",
        ),
        (
            "pue = 1.3",
            "pue = { ambient = \"paris\", curve = [{ temperature_c = 20.0, pue = 1.2 }] }",
            forms,
        ),
        (
            "pue = 1.3",
            "pue = \"high\"",
            "a number (the constant PUE) or a table { ambient, curve }",
        ),
    ] {
        assert_refused(&twenty, &[(from, to)], want);
        // Never serde's untagged-enum message.
        let e = Scenario::from_toml_str(&twenty.replacen(from, to, 1)).unwrap_err();
        assert!(!e.to_string().contains("untagged"), "{e}");
    }
    // Every accepted form still loads.
    for (from, to) in [
        (ambient, "ambient = 30"),
        (ambient, "ambient = -5.5"),
        (ambient, "ambient = \"austin_synthetic\""),
        (
            ambient,
            "ambient = { synthetic = { monthly_mean_c = [10, 12, 16, 20, 24, 28, 30, 30, 27, \
             21, 15, 11], winter_swing_c = 8, summer_swing_c = 10, peak_hour = 15 } }",
        ),
        (
            curve,
            "efficiency_curve = [{ loading = 0.1, efficiency = 0.93 }, \
             { loading = 1.0, efficiency = 0.97 }]",
        ),
        (
            "pue = 1.3",
            "pue = { ambient = 30, curve = [{ temperature_c = 20.0, pue = 1.2 }] }",
        ),
    ] {
        Scenario::from_toml_str(&twenty.replacen(from, to, 1))
            .and_then(Scenario::validate)
            .unwrap_or_else(|e| panic!("{to}: {e}"));
    }
}

#[test]
fn ambient_trace_messages_name_the_key_the_file_and_the_data_row() {
    let rows = |f: &dyn Fn(u64) -> String| -> String { (0..48).map(|h| f(h) + "\n").collect() };
    temp(
        "hot.csv",
        &format!(
            "t_s,temp_c\n{}",
            rows(&|h| format!("{},{}", h * 3600, if h == 30 { 95 } else { 25 }))
        ),
    );
    temp(
        "badval.csv",
        &format!(
            "temp_c\n{}",
            rows(&|h| if h == 20 { "warm".into() } else { "25".into() })
        ),
    );
    temp(
        "minute.csv",
        &format!("t_s,temp_c\n{}", rows(&|h| format!("{},25", h * 60))),
    );
    let load = |trace: &str| {
        let p = temp(
            &format!("{trace}.toml"),
            &format!("{SMALL}[battery.thermal]\nambient = {{ trace = \"{trace}\" }}\n"),
        );
        Scenario::load(&p)
            .and_then(Scenario::validate)
            .expect_err(trace)
    };
    let field = "battery.thermal.ambient.trace: ";
    for (before, trace, after) in [
        // The 31st data row (0-based index 30), counted from 1 after the header.
        (
            "trace \"",
            "hot.csv",
            "\", data row 31 (counted from 1 after the header) = 95 is out of range: \
             allowed −70 ≤ x ≤ 60 °C",
        ),
        (
            "trace \"",
            "badval.csv",
            "\", data row 21 (counted from 1 after the header): value is not a number",
        ),
        (
            "trace \"",
            "minute.csv",
            "\" has a time step of 1m (its time column), must be 1h",
        ),
        ("cannot read trace \"", "nope.csv", "\": "),
    ] {
        let e = load(trace).to_string();
        assert!(e.starts_with(field), "{e}");
        // The file as read: the scenario's folder joined with the name it gives.
        assert!(
            e.contains(before) && e.contains(&format!("{trace}{after}")),
            "{e}"
        );
    }
    assert!(
        matches!(load("hot.csv"), ConfigError::TraceOutOfRange { row: 31, value, .. } if value == 95.0)
    );
    assert!(matches!(load("nope.csv"), ConfigError::TraceIo { .. }));
    // A trace set in memory is checked with the same convention, naming the file it names.
    use ridethrough::components::ambient::AmbientSource;
    let mut s = Scenario::from_toml_str(&format!(
        "{SMALL}[battery.thermal]\nambient = {{ trace = \"mem.csv\" }}\n"
    ))
    .unwrap();
    if let Some(AmbientSource::Trace(t)) =
        s.battery.thermal.as_mut().and_then(|t| t.ambient.as_mut())
    {
        t.data = Some(vec![25.0, 25.0, -80.0]);
    }
    let e = s.validate().unwrap_err().to_string();
    assert!(
        e.contains("battery.thermal.ambient.trace: trace \"mem.csv\", data row 3 (counted from 1 after the header) = -80"),
        "{e}"
    );
    // A PUE curve's ambient trace is read the same way, naming its own key.
    for (trace, after) in [
        (
            "minute.csv",
            "\" has a time step of 1m (its time column), must be 1h",
        ),
        ("nope.csv", "\": "),
        (
            "hot.csv",
            "\", data row 31 (counted from 1 after the header) = 95",
        ),
    ] {
        let text = SMALL.replacen(
            "pue = 1.3",
            &format!(
                "pue = {{ ambient = {{ trace = \"{trace}\" }}, curve = [{{ temperature_c = 20.0, pue = 1.2 }}] }}"
            ),
            1,
        );
        assert_ne!(text, SMALL);
        let p = temp(&format!("pue-{trace}.toml"), &text);
        let e = Scenario::load(&p)
            .and_then(Scenario::validate)
            .expect_err(trace)
            .to_string();
        assert!(
            e.starts_with("load.pue.ambient.trace: ") && e.contains(&format!("{trace}{after}")),
            "{e}"
        );
    }
}
