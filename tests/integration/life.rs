//! Reliability by year of life (issue 10, `studies::life_reliability`):
//!
//! * without ageing every year's indices agree with a one-year Monte Carlo study's within three
//!   combined standard errors;
//! * with strong ageing the last year loses more energy than the first, beyond three standard
//!   errors;
//! * the result is bit-identical on 1 and 2 threads;
//! * survival of a 0-hour outage is 1 every year, of an outage longer than the battery carries 0;
//! * bad settings are typed errors naming the field.

use ridethrough::prelude::*;
use ridethrough::studies::life_reliability::{self, LifeConfig, LifeReliability};
use ridethrough::studies::montecarlo::{self, McConfig};
use ridethrough::studies::sizing::Target;
use ridethrough::studies::stats::Estimate;

/// Monte Carlo comparisons: three standard errors (of the difference).
const Z: f64 = 3.0;

/// The Austin site at hourly steps over `days`, with `units` Megapacks, without its scheduled
/// window (it would fall in the first year only), with `extra` appended.
fn austin(days: u64, units: u32, extra: &str) -> Study {
    Scenario::from_toml_str(&(austin_text(days, units) + extra))
        .and_then(Scenario::validate)
        .unwrap()
}

/// [`austin`]'s scenario text.
fn austin_text(days: u64, units: u32) -> String {
    let window = "[[grid.scheduled_outages]]\nstart = \"120d\"\nduration = \"4h\"\n";
    assert!(ridethrough::io::scenario::DEFAULT_SCENARIO_TOML.contains(window));
    ridethrough::io::scenario::DEFAULT_SCENARIO_TOML
        .replace("step = \"1m\"", "step = \"1h\"")
        .replace("horizon = \"365d\"", &format!("horizon = \"{days}d\""))
        .replace("units = 16", &format!("units = {units}"))
        .replace(window, "")
}

fn life(study: &Study, cfg: &LifeConfig) -> LifeReliability {
    life_reliability::run(study.site(), study.policy(), cfg, &|_| {}).unwrap()
}

/// Whether two independent estimates agree within [`Z`] combined standard errors.
fn agree(a: &Estimate, b: &Estimate) -> bool {
    (a.mean - b.mean).abs() <= Z * (a.se * a.se + b.se * b.se).sqrt()
}

#[test]
fn without_ageing_every_year_is_a_one_year_study() {
    let lives = life(&austin(3 * 365, 4, ""), &LifeConfig::new(400, 11));
    let year = austin(365, 4, "");
    let mc = montecarlo::run(year.site(), year.policy(), &McConfig::new(400, 12), &|_| {})
        .unwrap()
        .indices;
    assert_eq!(lives.years.len(), 3);
    assert!(mc.eue_mwh.mean > 0.0, "loss of load to compare");
    for y in &lives.years {
        assert_eq!(y.hours, 8760.0);
        assert_eq!(y.capacity_factor_end.mean, 1.0);
        for (name, a, b) in [
            ("LOLE", &y.lole_hours, &mc.lole_hours),
            ("LOL time", &y.loss_of_load_hours, &mc.loss_of_load_hours),
            ("EUE", &y.eue_mwh, &mc.eue_mwh),
        ] {
            assert!(agree(a, b), "year {}: {name} {a} against {b}", y.year);
            assert!(a.se > 0.0, "year {}: {name} varies", y.year);
        }
    }
}

#[test]
fn with_strong_ageing_the_last_year_loses_more_than_the_first() {
    // Six total outages of 4 h a year (≈50 MWh at the site's ≈12.4 MW): the new fleet (16
    // units, 62.7 MWh) carries them; faded to the 50 % floor by the third year (20 %/yr
    // calendar fade at 50 % SoC, linear in time, faster held full), it loses about 20 MWh in
    // each.
    let extra = r#"
[battery.ageing]
calendar_fade_first_year = 0.2
calendar_time_exponent = 1.0
"#;
    let text = austin_text(3 * 365, 16).replace(
        "preset = \"distribution\"\n",
        "[[grid.random_outages.processes]]\nfailures_per_year = 6.0\n\
         duration = { law = \"fixed\", duration = \"4h\" }\n",
    ) + extra;
    let study = Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap();
    let r = life(&study, &LifeConfig::new(200, 5));
    let (first, last) = (&r.years[0], &r.years[2]);
    assert!(last.capacity_factor_end.mean < first.capacity_factor_end.mean);
    let d = last.eue_mwh.mean - first.eue_mwh.mean;
    let se = (last.eue_mwh.se.powi(2) + first.eue_mwh.se.powi(2)).sqrt();
    assert!(
        d > Z * se,
        "EUE year 3 {} against year 1 {}",
        last.eue_mwh,
        first.eue_mwh
    );
    let lole = last.lole_hours.mean - first.lole_hours.mean;
    let se = (last.lole_hours.se.powi(2) + first.lole_hours.se.powi(2)).sqrt();
    assert!(
        lole > Z * se,
        "LOLE year 3 {} against year 1 {}",
        last.lole_hours,
        first.lole_hours
    );
}

#[test]
fn the_result_does_not_depend_on_the_thread_count() {
    let study = austin(2 * 365, 4, "\n[battery.ageing]\n");
    let cfg = |threads| LifeConfig {
        threads,
        survive: Some(Duration::from_hours(4)),
        target: Some(Target::Lole { max_hours: 1.0 }),
        ..LifeConfig::new(40, 3)
    };
    let (one, two) = (life(&study, &cfg(1)), life(&study, &cfg(2)));
    assert_eq!(one.samples, 40);
    assert_eq!(
        serde_json::to_string(&one).unwrap(),
        serde_json::to_string(&two).unwrap()
    );
}

#[test]
fn survival_of_no_outage_is_one_and_of_a_long_one_zero() {
    let study = austin(2 * 365, 16, "\n[battery.ageing]\n");
    let at = |hours| {
        let cfg = LifeConfig {
            survive: Some(Duration::from_hours(hours)),
            ..LifeConfig::new(24, 9)
        };
        life(&study, &cfg)
    };
    for y in &at(0).years {
        let p = y.survival.unwrap();
        assert_eq!((p.mean, p.se, p.n), (1.0, 0.0, 24), "year {}", y.year);
    }
    // 62.7 MWh carries the ≈12.4 MW site for about 5 h: never 24 h.
    for y in &at(24).years {
        let p = y.survival.unwrap();
        assert_eq!((p.mean, p.se, p.n), (0.0, 0.0, 24), "year {}", y.year);
    }
}

#[test]
fn a_target_is_missed_in_the_year_the_indices_say() {
    let study = austin(2 * 365, 4, "\n[battery.ageing]\n");
    let base = life(&study, &LifeConfig::new(64, 4));
    let y1 = base.years[0].eue_mwh;
    // A bound far above every year's EUE is never missed, one far below is missed in year 1.
    let high = Target::Eue {
        max_mwh: 10.0 * (base.years[1].eue_mwh.mean.max(y1.mean) + 1.0),
    };
    let outcome = |t| {
        let cfg = LifeConfig {
            target: Some(t),
            ..LifeConfig::new(64, 4)
        };
        life(&study, &cfg).target.unwrap()
    };
    let o = outcome(high);
    assert_eq!((o.first_year_missed, o.first_year_not_met), (None, None));
    let low = Target::Eue {
        max_mwh: (y1.mean - 4.0 * y1.se).max(1e-6),
    };
    assert!(y1.mean - 4.0 * y1.se > 0.0, "year 1 loses energy: {y1}");
    let o = outcome(low);
    assert_eq!(
        (o.first_year_missed, o.first_year_not_met),
        (Some(1), Some(1))
    );
}

#[test]
fn a_horizon_of_a_year_and_a_bit_has_a_partial_second_year() {
    // 400 days: a year of 8,760 h and one of 35 days, whose indices are over its 840 h.
    let r = life(
        &austin(400, 4, ""),
        &LifeConfig {
            survive: Some(Duration::from_hours(2)),
            ..LifeConfig::new(16, 2)
        },
    );
    let hours: Vec<f64> = r.years.iter().map(|y| y.hours).collect();
    assert_eq!(hours, [8760.0, 35.0 * 24.0]);
    assert!(r.years.iter().all(|y| y.eue_mwh.n == 16));
    assert_eq!(r.years[1].survival.map(|p| p.n), Some(16));
}

#[test]
fn bad_settings_are_typed_errors_naming_the_field() {
    let study = austin(365, 4, "");
    let err = |cfg: LifeConfig| {
        life_reliability::run(study.site(), study.policy(), &cfg, &|_| {}).expect_err("an error")
    };
    let field = |e: ConfigError| match e {
        ConfigError::OutOfRange { field, .. }
        | ConfigError::NotMultiple { field, .. }
        | ConfigError::Inconsistent { field, .. } => field,
        other => panic!("unexpected {other}"),
    };
    assert_eq!(field(err(LifeConfig::new(0, 1))), "life.samples");
    let with = |f: fn(&mut LifeConfig)| {
        let mut c = LifeConfig::new(4, 1);
        f(&mut c);
        c
    };
    assert_eq!(field(err(with(|c| c.threads = 100_000))), "life.threads");
    assert_eq!(
        field(err(with(|c| c.survive = Some(Duration::from_hours(9000))))),
        "life.survive"
    );
    let e = err(with(|c| c.survive = Some(Duration::from_minutes(90))));
    assert!(matches!(e, ConfigError::NotMultiple { .. }), "{e}");
    assert!(e.to_string().contains("life.survive"), "{e}");
    assert_eq!(
        field(err(with(
            |c| c.target = Some(Target::Lole { max_hours: -1.0 })
        ))),
        "life.target.max_hours"
    );
    assert_eq!(
        field(err(with(
            |c| c.target = Some(Target::Eue { max_mwh: f64::NAN })
        ))),
        "life.target.max_mwh"
    );
    assert_eq!(
        field(err(with(|c| {
            c.target = Some(Target::Survival {
                outage: Duration::from_hours(4),
                min_probability: 1.5,
            })
        }))),
        "life.target.min_probability"
    );
    assert_eq!(
        field(err(with(|c| {
            c.survive = Some(Duration::from_hours(2));
            c.target = Some(Target::Survival {
                outage: Duration::from_hours(4),
                min_probability: 0.9,
            });
        }))),
        "life.target.outage"
    );
    // Backup-chain targets are sizing's, not computed by year of life.
    assert_eq!(
        field(err(with(|c| {
            c.target = Some(Target::TransferDrop {
                max_probability: 0.1,
            })
        }))),
        "life.target"
    );
    // Unknown keys are refused when the settings are read.
    assert!(
        serde_json::from_str::<LifeConfig>(r#"{"samples": 4, "seed": 1, "sample": 2}"#).is_err()
    );
}

/// Each life jumps over the stretches in which the battery rests (ageing in closed form,
/// the temperature-driven draw summed): every year's indices, fade and survival agree with the
/// stepped lives to 1e-6 relative (the tolerance of a rest aged at its resting SoC; see the
/// fast-forward tests).
#[test]
fn fast_forwarded_lives_give_the_stepped_years() {
    let study = austin(
        3 * 365,
        16,
        "\n[battery.ageing]\ncalendar_fade_first_year = 0.05\n[battery.thermal]\nambient = \"austin_synthetic\"\n",
    );
    let cfg = |fast_forward| LifeConfig {
        survive: Some(Duration::from_hours(4)),
        fast_forward,
        ..LifeConfig::new(24, 8)
    };
    let (fast, stepped) = (life(&study, &cfg(true)), life(&study, &cfg(false)));
    assert!(
        fast.years[2].capacity_factor_end.mean < 0.95,
        "the fleet fades"
    );
    crate::common::assert_json_agree_to(&fast, &stepped, 1e-6, "lives");
}
