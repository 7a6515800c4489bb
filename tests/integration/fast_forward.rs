//! Fast-forward: a run that jumps over quiet stretches gives the report of the same run stepped
//! step by step (the same events, bit for bit; every number to rounding), over random sites,
//! policies and seeds; it skips most of a backup-only year; a policy that does not declare
//! itself idle is never skipped. A plain site (no unit failures, lifetime models or backup
//! chain), whose steps run a leaner compiled path, reports bit for bit what the general path
//! reports for the same site with unit failures that never happen.

use crate::common::*;
use proptest::prelude::*;
use ridethrough::prelude::*;
use ridethrough::reliability::availability::AvailabilityProcess;

#[derive(Debug, Clone)]
struct Case {
    step_ms: u64,
    steps: u64,
    import_mw: f64,
    it_mw: f64,
    swing: Option<(f64, f64)>,
    daily: bool,
    units: u32,
    power_mw: f64,
    energy_mwh: f64,
    initial: f64,
    self_discharge: bool,
    aux_kw: f64,
    policy: u8,
    policy_x: f64,
    window: Option<(f64, f64, f64)>,
    random_rate: f64,
    supply_units: bool,
    failures: bool,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            prop::sample::select(vec![1_000u64, 60_000, 300_000, 900_000, 3_600_000]),
            100u64..3_000,
            0.0..40.0f64,
            0.0..15.0f64,
            prop::option::of((1.0..10.0f64, 0.0..1.0f64)),
            any::<bool>(),
        ),
        (
            0u32..4,
            0.1..10.0f64,
            0.1..30.0f64,
            0.5..1.0f64,
            prop::bool::weighted(0.1),
            0.0..50.0f64,
        ),
        (
            0u8..4,
            0.0..1.0f64,
            prop::option::of((0.0..1.0f64, 0.0..0.3f64, 0.0..1.0f64)),
            prop::sample::select(vec![0.0, 20.0, 500.0]),
            any::<bool>(),
            any::<bool>(),
            any::<u64>(),
        ),
    )
        .prop_map(|(a, b, c)| Case {
            step_ms: a.0,
            steps: a.1,
            import_mw: a.2,
            it_mw: a.3,
            swing: a.4,
            daily: a.5,
            units: b.0,
            power_mw: b.1,
            energy_mwh: b.2,
            initial: b.3,
            self_discharge: b.4,
            aux_kw: b.5,
            policy: c.0,
            policy_x: c.1,
            window: c.2,
            random_rate: c.3,
            supply_units: c.4,
            failures: c.5,
            seed: c.6,
        })
}

fn build(c: &Case) -> (Site, Policy) {
    let (time, grid, battery, load, policy) = parts(c);
    (Site::new(time, &grid, &battery, &load).unwrap(), policy)
}

/// A case's site, as its parameters, and its policy.
fn parts(c: &Case) -> (TimeGrid, GridParams, BatteryParams, LoadParams, Policy) {
    let step = Duration::from_millis(c.step_ms);
    let time = TimeGrid::with_steps(step, c.steps).unwrap();
    let mut load = format!(
        "pue = 1.2\n[[it]]\nkind = \"constant\"\nit_mw = {}\n",
        c.it_mw
    );
    if let Some((high, low_frac)) = c.swing {
        // A swing slower than the step, with checkpoints: the step averages vary.
        let period_s = c.step_ms * 3 / 1000 + 1;
        load += &format!(
            "[[it]]\nkind = \"training_swing\"\nhigh_mw = {high}\nlow_mw = {}\nperiod = \"{period_s}s\"\nduty = 0.7\n",
            high * low_frac
        );
    }
    if c.daily {
        let shape: Vec<String> = (0..24)
            .map(|h| format!("{}", ((c.seed >> h) & 7) as f64 / 7.0))
            .collect();
        load += &format!(
            "[[it]]\nkind = \"daily\"\npeak_mw = 4.0\nshape = [{}]\n",
            shape.join(", ")
        );
    }
    let load: LoadParams = toml::from_str(&load).unwrap();
    let horizon_ms = (c.step_ms * c.steps) as f64;
    let mut grid = format!("import_limit_mw = {}\n", c.import_mw);
    if let Some((s, d, f)) = c.window {
        grid += &format!(
            "[[scheduled_outages]]\nstart = \"{}ms\"\nduration = \"{}ms\"\navailable_fraction = {f}\n",
            (s * horizon_ms) as u64,
            ((d * horizon_ms) as u64).max(1)
        );
    }
    if c.random_rate > 0.0 {
        grid += &format!(
            "[random_outages]\n[[random_outages.processes]]\nfailures_per_year = {}\nduration = {{ law = \"exponential\", mean = \"{}ms\" }}\n",
            c.random_rate,
            (horizon_ms / 50.0).max(1.0) as u64
        );
    }
    if c.supply_units {
        grid += &format!(
            "[[supply_units]]\ncapacity_mw = {}\ncount = 3\nprocesses = [{{ model = \"markov\", mttf = \"{}ms\", mttr = \"{}ms\" }}]\n",
            c.import_mw / 2.0,
            c.step_ms * 200,
            c.step_ms * 10
        );
    }
    let grid: GridParams = toml::from_str(&grid).unwrap();
    let battery = BatteryParams {
        units: c.units,
        power_mw: Some(Power::mw(c.power_mw)),
        energy_mwh: Some(Energy::mwh(c.energy_mwh)),
        round_trip_efficiency: Some(Fraction::ratio(0.9)),
        initial_soc: Some(Fraction::ratio(c.initial)),
        reserve_soc: Some(Fraction::ratio(0.2)),
        self_discharge_per_day: Some(Fraction::ratio(if c.self_discharge { 0.01 } else { 0.0 })),
        aux_load_mw: Some(Power::kw(c.aux_kw)),
        unit_failures: if c.failures {
            vec![AvailabilityProcess::Markov {
                mttf: Duration::from_millis(c.step_ms * 300),
                mttr: Duration::from_millis(c.step_ms * 20),
            }]
        } else {
            Vec::new()
        },
        ..BatteryParams::none()
    };
    let policy = match c.policy {
        0 => Policy::BackupOnly {
            recharge_rate_mw: None,
        },
        1 => Policy::BackupOnly {
            recharge_rate_mw: Some(Power::mw(0.1 + c.policy_x * 5.0)),
        },
        2 => Policy::PeakShaving {
            import_cap_mw: Power::mw(c.policy_x * 25.0),
            recharge_rate_mw: None,
        },
        _ => Policy::RampLimiting {
            max_ramp_mw_per_s: RampRate::mw_per_s(0.001 + c.policy_x),
            soc_target: Some(Fraction::ratio(0.5)),
            recovery: None,
            initial_import_mw: None,
        },
    };
    (time, grid, battery, load, policy)
}

/// The fast-forwarded and the stepped report of a case, and the steps skipped.
fn both(site: &Site, policy: Policy, seed: u64) -> (Report, Report, u64) {
    let mut fast = site.simulate(policy, seed);
    fast.run(&mut ());
    let stepped = site
        .simulate(policy, seed)
        .set_fast_forward(false)
        .run(&mut ())
        .report();
    (fast.report(), stepped, fast.steps_skipped())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn fast_forward_on_and_off_agree(c in case()) {
        let (site, policy) = build(&c);
        let (fast, stepped, skipped) = both(&site, policy, c.seed);
        assert_reports_agree(&fast, &stepped, &format!("{c:?}"));
        if c.self_discharge || matches!(policy, Policy::RampLimiting { .. }) {
            prop_assert_eq!(skipped, 0, "nothing is quiet");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// The engine runs a plain site's steps through stages compiled without unit failures,
    /// lifetime models and generators. Giving the same site a unit failure process that never
    /// fires sends every step through the general stages: the reports must be equal, bit for
    /// bit, stepped and fast-forwarded.
    #[test]
    fn the_plain_and_the_general_step_agree(c in case()) {
        // At least one unit, for a failure process to apply to.
        let c = Case { failures: false, units: c.units.max(1), ..c };
        let (time, grid, mut battery, load, policy) = parts(&c);
        let plain = Site::new(time, &grid, &battery, &load).unwrap();
        battery.unit_failures = vec![AvailabilityProcess::MarkovPerStep {
            failure_probability: 0.0,
            repair_probability: 0.0,
        }];
        let general = Site::new(time, &grid, &battery, &load).unwrap();
        prop_assert!(plain.battery.is_plain() && !general.battery.is_plain());
        for ff in [false, true] {
            let a = plain.simulate(policy, c.seed).set_fast_forward(ff).run(&mut ()).report();
            let b = general.simulate(policy, c.seed).set_fast_forward(ff).run(&mut ()).report();
            prop_assert_eq!(&a, &b, "fast-forward {}", ff);
        }
    }
}

/// Relative tolerance between a fast-forwarded and a stepped run with lifetime models: a rest
/// is aged as one segment at the midpoint of the SoC's creep under fading capacity (the exact
/// mean of the calendar SoC factor over that creep differs from it by about (b·ΔSoC/z)²/24 of
/// the increment), and the tally takes the SoC's course over it as linear.
const LIFETIME_FF_REL_TOL: f64 = 1e-6;

/// A case's site with lifetime models: calendar and cycle ageing (strong: `q1` in a year,
/// so that a stretch's fade shows), the auxiliary draw following the ambient (a constant,
/// or the synthetic Austin year, offset by the calendar start) and, with `curve`, the
/// calibrated part-load efficiency curve.
fn lifetime_site(c: &Case, q1: f64, austin: bool, curve: bool) -> Site {
    let (time, grid, mut battery, load, _) = parts(c);
    let time = time
        .try_starting_at("2025-06-30T17:00:00".parse().unwrap())
        .unwrap();
    battery.aux_load_mw = None;
    battery.ageing = Some(
        toml::from_str(&format!(
            "calendar_fade_first_year = {q1}\ncycle_fade_per_efc = 0.0005\n"
        ))
        .unwrap(),
    );
    battery.thermal = Some(
        toml::from_str(if austin {
            "ambient = \"austin_synthetic\"\n"
        } else {
            "ambient = 38.0\n"
        })
        .unwrap(),
    );
    if curve {
        battery.efficiency_curve = Some(
            toml::from_str::<toml::Value>("c = \"calibrated\"").unwrap()["c"]
                .clone()
                .try_into()
                .unwrap(),
        );
    }
    Site::new(time, &grid, &battery, &load).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// With ageing, a temperature-driven auxiliary draw and an efficiency curve, fast-forward
    /// ages the resting battery in closed form: the same events, every number (the lifetime
    /// report's fade, fade loss and auxiliary energy included) to [`LIFETIME_FF_REL_TOL`].
    #[test]
    fn fast_forward_with_lifetime_models_agrees(
        c in case(),
        q1 in 0.0..0.2f64,
        austin in any::<bool>(),
        curve in any::<bool>(),
    ) {
        let c = Case { failures: false, self_discharge: false, ..c };
        let site = lifetime_site(&c, q1, austin, curve);
        let (_, _, _, _, policy) = parts(&c);
        let (fast, stepped, skipped) = both(&site, policy, c.seed);
        assert_reports_agree_to(&fast, &stepped, LIFETIME_FF_REL_TOL, &format!("{c:?}"));
        prop_assert!(fast.lifetime.is_some());
        if matches!(policy, Policy::BackupOnly { .. }) && c.random_rate == 0.0 && c.window.is_none()
            && c.import_mw > 20.0 && c.initial >= 1.0
        {
            prop_assert!(skipped > 0, "a full battery under an ample feed rests");
        }
    }
}

/// A 20-year life at hourly steps, held full in the Austin heat with an augmentation plan:
/// fast-forward skips most of it and gives every year's fade, usable energy and unit count
/// as stepping does (to [`LIFETIME_FF_REL_TOL`]), the same events and the same year marks.
#[test]
fn a_life_fast_forwarded_ages_as_stepped() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/scenarios/austin_20yr.toml"),
    )
    .unwrap();
    let study = Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap();
    let site = study.site();
    let (fast, stepped, skipped) = both(site, *study.policy(), 5);
    assert_reports_agree_to(&fast, &stepped, LIFETIME_FF_REL_TOL, "austin_20yr");
    let share = skipped as f64 / site.time.steps() as f64;
    assert!(share > 0.9, "{share} of the steps skipped");
    let life = fast.lifetime.as_ref().unwrap();
    assert_eq!(life.years.len(), 20);
    assert!(
        life.years
            .iter()
            .any(|y| y.augmentation.is_some_and(|a| a.units_added > 0)),
        "the plan adds units"
    );
}

/// The embedded default (the Austin site, backup-only, a year at 1-minute steps) is quiet
/// almost all year: fast-forward skips nearly every step and reports what stepping reports.
#[test]
fn a_backup_only_year_is_mostly_skipped() {
    let study = Scenario::default_scenario()
        .and_then(Scenario::validate)
        .unwrap();
    let site = study.site();
    for seed in [1, 2, 3] {
        let (fast, stepped, skipped) = both(site, *study.policy(), seed);
        assert_reports_agree(&fast, &stepped, "the default scenario");
        let share = skipped as f64 / site.time.steps() as f64;
        assert!(share > 0.95, "seed {seed}: {share} of the steps skipped");
        assert!(!fast.grid_outages.is_empty(), "the year has outages");
    }
}

/// A policy that does not declare itself idle (the trait's default) is stepped every step, so
/// its report is bit-identical with fast-forward on or off.
#[test]
fn a_policy_that_does_not_declare_itself_idle_is_never_skipped() {
    #[derive(Clone)]
    struct Custom(Policy);
    impl Dispatch for Custom {
        fn decide(&mut self, obs: &Observation) -> Power {
            self.0.decide(obs)
        }
    }
    let study = Scenario::default_scenario()
        .and_then(Scenario::validate)
        .unwrap();
    let site = study.site();
    let mut fast = site.simulate(Custom(*study.policy()), 4);
    fast.run(&mut ());
    assert_eq!(fast.steps_skipped(), 0);
    let mut stepped = site.simulate(Custom(*study.policy()), 4);
    stepped.set_fast_forward(false).run(&mut ());
    assert_eq!(fast.report(), stepped.report());
    // A recorder that wants every step sees every step.
    let mut trace = TraceRecorder::default();
    let mut recorded = site.simulate(*study.policy(), 4);
    recorded.run(&mut trace);
    assert_eq!(recorded.steps_skipped(), 0);
    assert_eq!(trace.rows.len() as u64, site.time.steps());
}

/// A derate under which the demand still fits the import starts at a step boundary after a
/// quiet stretch: its steps extend a grid outage event, so fast-forward must step them, and
/// both runs record the same 48 h derate.
#[test]
fn a_derate_under_which_the_demand_still_fits_is_stepped() {
    let time = TimeGrid::new(Duration::from_hours(1), Duration::from_hours(24 * 20)).unwrap();
    let grid = GridParams {
        scheduled_outages: vec![ScheduledOutage {
            start: Duration::from_hours(100),
            duration: Duration::from_hours(48),
            available_fraction: Fraction::ratio(0.5),
        }],
        ..GridParams::new(Power::mw(50.0))
    };
    let site = Site::new(
        time,
        &grid,
        &simple_battery(20.0, 80.0, 0.95),
        &constant_load(10.0),
    )
    .unwrap();
    let (fast, stepped, skipped) = both(&site, Policy::default(), 1);
    assert_reports_agree(&fast, &stepped, "a derate to 25 MW under a 10 MW load");
    assert_eq!(fast.grid_outages.len(), 1);
    assert_eq!(fast.grid_outages[0].duration, Duration::from_hours(48));
    assert!(skipped > 0);
}

/// The battery's auxiliary draw counts in the demand that fast-forward holds against the
/// policy's idle level: a 9.99 MW facility under a 10 MW import is idle alone, but with the
/// battery's 50 kW draw the site needs 40 kW from the battery every step, so nothing may be
/// skipped, and the battery (full at the start) empties at that rate until the grid cannot
/// carry the site.
#[test]
fn the_auxiliary_draw_that_puts_the_demand_over_the_import_is_stepped() {
    let time = TimeGrid::new(Duration::from_secs(60), Duration::from_hours(24)).unwrap();
    let mut battery = simple_battery(1.0, 0.5, 1.0);
    battery.aux_load_mw = Some(Power::mw(0.05));
    let site = Site::new(
        time,
        &GridParams::new(Power::mw(10.0)),
        &battery,
        &constant_load(9.99),
    )
    .unwrap();
    let (fast, stepped, skipped) = both(&site, Policy::default(), 1);
    assert_reports_agree(&fast, &stepped, "a 40 kW shortfall from the battery's draw");
    assert_eq!(skipped, 0);
    // 0.5 MWh at 40 kW lasts 12.5 h; then 40 kW goes unserved for the day's other 11.5 h.
    let unserved = 0.04 * 11.5;
    assert!(
        (fast.totals.unserved_mwh - unserved).abs() < 1e-9,
        "{} MWh unserved",
        fast.totals.unserved_mwh
    );
}

/// A quiet site for the tests below: 20 days at hourly steps, a 10 MW load under a 50 MW feed,
/// a full 20 MW / 80 MWh battery, no outage.
fn quiet_site() -> Site {
    let time = TimeGrid::new(Duration::from_hours(1), Duration::from_days(20)).unwrap();
    Site::new(
        time,
        &GridParams::new(Power::mw(50.0)),
        &simple_battery(20.0, 80.0, 0.95),
        &constant_load(10.0),
    )
    .unwrap()
}

/// Peak shaving with a full battery is idle while the demand stays under its cap, so a quiet
/// site is skipped, not stepped (catches its `idle_below` guard → `false`, which steps it all).
#[test]
fn peak_shaving_with_a_full_battery_is_skipped_under_its_cap() {
    let site = quiet_site();
    let policy = Policy::PeakShaving {
        import_cap_mw: Power::mw(20.0),
        recharge_rate_mw: None,
    };
    let (fast, stepped, skipped) = both(&site, policy, 1);
    assert_reports_agree(
        &fast,
        &stepped,
        "peak shaving, a full battery, under the cap",
    );
    assert!(skipped >= site.time.steps() - 2, "{skipped} steps skipped");
}

/// A pair of recorders sees every row through both, and wants every step if either does: two
/// traces, or a trace beside `()`, get every row and nothing is skipped; `((), ())` wants
/// none, so the quiet site is skipped.
#[test]
fn a_pair_of_recorders_gets_every_row_if_either_wants_it() {
    fn skipped<R: Recorder>(site: &Site, recorder: &mut R) -> u64 {
        let mut sim = site.simulate(Policy::default(), 1);
        sim.run(recorder);
        sim.steps_skipped()
    }
    let site = quiet_site();
    let steps = site.time.steps() as usize;
    assert!(skipped(&site, &mut ((), ())) > 0);
    let (mut a, mut b) = (TraceRecorder::default(), TraceRecorder::default());
    assert_eq!(skipped(&site, &mut (&mut a, &mut b)), 0);
    assert_eq!((a.rows.len(), b.rows.len()), (steps, steps));
    assert_eq!(a.rows, b.rows);
    let mut t = TraceRecorder::default();
    assert_eq!(skipped(&site, &mut (&mut t, ())), 0);
    assert_eq!(t.rows.len(), steps, "a trace first");
    let mut t = TraceRecorder::default();
    assert_eq!(skipped(&site, &mut ((), &mut t)), 0);
    assert_eq!(t.rows.len(), steps, "a trace second");
}
