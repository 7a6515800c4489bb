//! Every kind of nonsense gets its typed error, naming the field; none panics.

use ridethrough::io::scenario::DEFAULT_SCENARIO_TOML;
use ridethrough::prelude::*;
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
        | ConfigError::TraceValue { field, .. } => field.clone(),
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
    let hourly = TimeGrid::new(Duration::from_hours(1), Duration::from_days(30)).unwrap();
    let short = study.clone().with_time(hourly).unwrap();
    assert_eq!(short.time().steps(), 720);
    assert_eq!(short.site().time, hourly);
    // The seed changes nothing else.
    let other = study.clone().with_seed(7);
    assert_eq!((other.seed(), study.seed()), (7, 2023));
    assert_eq!(other.policy(), study.policy());
}
