//! The tariff, the value-stacking policy and the reserve-versus-value frontier: a bill computed
//! by hand on a tiny site, monotonicity in the reserve under common random numbers, bad tariff
//! inputs, and the frontier's chart.

use proptest::prelude::*;
use ridethrough::components::tariff::{PriceTrace, TariffParams};
use ridethrough::prelude::*;
use ridethrough::studies::frontier::{self, FrontierConfig};

/// Dollars compared after a few hundred products and a scaling: far above rounding, far below a
/// cent.
const USD_TOL: f64 = 1e-6;
/// Unserved energy compared across reserves on the same outages: rounding only (segments end
/// at whole milliseconds, so equal states give equal energies to the last bits or close).
const EUE_TOL_MWH: f64 = 1e-6;

/// One unit of 2 MW / 8 MWh with 0.9 each way (round trip 0.81), empty, reserve 0, no aux or
/// self-discharge; a constant 10 MW load; a 20 MW feed; `days` days at hourly steps from
/// 2025-01-01; a price of $20 for the first 12 h of every day and $100 for the last 12.
fn two_price_site(days: u64, charge_usd_per_kw_month: f64) -> Site {
    let time = TimeGrid::new(Duration::from_hours(1), Duration::from_days(days)).unwrap();
    let grid: GridParams = toml::from_str("import_limit_mw = 20.0").unwrap();
    let battery = BatteryParams {
        units: 1,
        power_mw: Some(Power::mw(2.0)),
        energy_mwh: Some(Energy::mwh(8.0)),
        charge_efficiency: Some(Fraction::ratio(0.9)),
        discharge_efficiency: Some(Fraction::ratio(0.9)),
        aux_load_mw: Some(Power::ZERO),
        self_discharge_per_day: Some(Fraction::ratio(0.0)),
        initial_soc: Some(Fraction::ratio(0.0)),
        reserve_soc: Some(Fraction::ratio(0.0)),
        ..BatteryParams::none()
    };
    let load: LoadParams =
        toml::from_str("pue = 1.0\n[[it]]\nkind = \"constant\"\nit_mw = 10.0\n").unwrap();
    let prices = (0..24 * days)
        .map(|h| if h % 24 < 12 { 20.0 } else { 100.0 })
        .collect();
    let tariff = TariffParams {
        demand_charge_usd_per_kw_month: charge_usd_per_kw_month,
        demand_interval: None,
        energy_price_usd_per_mwh: None,
        energy_price_trace: Some(PriceTrace::from_values(Duration::from_hours(1), prices)),
    };
    Site::new(time, &grid, &battery, &load)
        .unwrap()
        .with_tariff(Some(&tariff))
        .unwrap()
}

fn arbitrage(cap_mw: f64) -> Policy {
    Policy::ValueStacking {
        import_cap_mw: Power::mw(cap_mw),
        charge_below_usd_per_mwh: ridethrough::components::tariff::Price::usd_per_mwh(20.0),
        discharge_above_usd_per_mwh: ridethrough::components::tariff::Price::usd_per_mwh(100.0),
        recharge_rate_mw: None,
    }
}

/// The run's bill, from a meter beside nothing else.
fn bill(site: &Site, policy: Policy) -> ridethrough::components::tariff::Bill {
    let tariff = site.tariff.as_ref().unwrap();
    let mut meter = tariff.meter();
    site.try_simulate(policy, 1).unwrap().run(&mut meter);
    meter.finish()
}

#[test]
fn a_two_price_day_saves_what_the_round_trip_allows() {
    // Each day the empty battery charges 8 MWh of storage in the $20 half (8 / 0.9 MWh from the
    // grid) and delivers 8 × 0.9 = 7.2 MWh in the $100 half, ending empty: a day saves
    // E·(η_d·H − L/η_c) = 8 × (0.9 × 100 − 20 / 0.9) = 542.22 $.
    let days = 3;
    let site = two_price_site(days, 0.0);
    let b = bill(&site, arbitrage(20.0));
    let per_day = 8.0 * (0.9 * 100.0 - 20.0 / 0.9);
    assert!(
        (b.savings_usd - days as f64 * per_day).abs() < USD_TOL,
        "{} against {}",
        b.savings_usd,
        days as f64 * per_day
    );
    let baseline = days as f64 * 10.0 * (12.0 * 20.0 + 12.0 * 100.0);
    assert!((b.baseline_energy_cost_usd - baseline).abs() < USD_TOL);
    assert!((b.energy_cost_usd - (baseline - days as f64 * per_day)).abs() < USD_TOL);
    assert!((b.savings_usd_per_year - b.savings_usd * 8760.0 / 72.0).abs() < 1e-6);
    assert_eq!(b.hours, 72.0);
    // With a demand charge the charging (2 MW above the 10 MW baseline) sets the month's peak:
    // it costs 2,000 kW × $10 × 3/31 of January.
    let site = two_price_site(days, 10.0);
    let b = bill(&site, arbitrage(20.0));
    let peak_cost = 2_000.0 * 10.0 * 3.0 / 31.0;
    assert!((b.demand_charges_usd - b.baseline_demand_charges_usd - peak_cost).abs() < USD_TOL);
    assert!((b.savings_usd - (days as f64 * per_day - peak_cost)).abs() < USD_TOL);
    // Capped at the baseline's 10 MW, it never charges: nothing earned, nothing lost.
    let b = bill(&site, arbitrage(10.0));
    assert!(b.savings_usd.abs() < USD_TOL, "{}", b.savings_usd);
}

#[test]
fn the_report_carries_the_bill_and_its_json() {
    let site = two_price_site(2, 0.0);
    let mut meter = site.tariff.as_ref().unwrap().meter();
    let mut sim = site.try_simulate(arbitrage(20.0), 1).unwrap();
    sim.run(&mut meter);
    let report = sim.report().with_costs(meter.finish());
    let text = report.to_string();
    assert!(text.contains("costs ($/yr"), "{text}");
    assert!(text.contains("savings"), "{text}");
    let json = serde_json::to_value(&report).unwrap();
    assert!(json["costs"]["savings_usd_per_year"].as_f64().unwrap() > 0.0);
    // Without a tariff there is no cost block, and the JSON has no `costs` key.
    let plain = Scenario::default_scenario()
        .and_then(Scenario::validate)
        .unwrap()
        .with_time(TimeGrid::new(Duration::from_hours(1), Duration::from_days(365)).unwrap())
        .unwrap();
    let r = plain.simulate().run(&mut ()).report();
    assert!(!r.to_string().contains("costs ($/yr"));
    assert!(serde_json::to_value(&r).unwrap().get("costs").is_none());
}

/// The default site at hourly steps over `days` days with `scale` × its outage rates (with
/// `scale` 0 its scheduled window derates nothing: no outage at all), a daily
/// inference load, the value-stacking policy and the bundled price trace's first weeks
/// (repeated as needed) as an in-memory trace.
fn austin(days: u64, scale: f64) -> Study {
    let window = if scale == 0.0 {
        "duration = \"4h\"\navailable_fraction = 1.0"
    } else {
        "duration = \"4h\""
    };
    let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML
        .replace("step = \"1m\"", "step = \"1h\"")
        .replace("horizon = \"365d\"", &format!("horizon = \"{days}d\""))
        .replace("start = \"120d\"", "start = \"5d\"")
        .replace("duration = \"4h\"", window)
        .replace(
            "preset = \"distribution\"",
            &format!("preset = \"distribution\"\nscale = {scale}"),
        )
        .replace(
            "[policy]\nkind = \"backup_only\"\nrecharge_rate_mw = 5.0",
            "[policy]\nkind = \"value_stacking\"\nimport_cap_mw = 14.0\n\
             charge_below_usd_per_mwh = 30.0\ndischarge_above_usd_per_mwh = 50.0",
        )
        + "\n[[load.it]]\nkind = \"daily\"\npeak_mw = 3.0\nshape = [0.2, 0.2, 0.2, 0.2, 0.2, 0.2, \
           0.3, 0.4, 0.6, 0.7, 0.8, 0.9, 1, 1, 1, 1, 1, 1, 0.9, 0.7, 0.5, 0.4, 0.3, 0.2]\n";
    let mut scenario = Scenario::from_toml_str(&text).unwrap();
    let file = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/scenarios/austin_prices_hourly.csv"),
    )
    .unwrap();
    let prices: Vec<f64> = file
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    scenario.tariff = Some(TariffParams {
        demand_charge_usd_per_kw_month: 9.0,
        demand_interval: None,
        energy_price_usd_per_mwh: None,
        energy_price_trace: Some(PriceTrace::from_values(Duration::from_hours(1), prices)),
    });
    scenario.validate().unwrap()
}

fn with_reserve(study: &Study, r: f64) -> Study {
    study
        .clone()
        .with_battery(BatteryParams {
            reserve_soc: Some(Fraction::ratio(r)),
            ..study.battery_params().clone()
        })
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// On the same outages (the same seed), a higher reserve never loses more load, nor more
    /// loss-of-load steps: every stage of the value-stacking rule is monotone in the stored
    /// energy and the reserve (see the policy's docs), so the higher reserve holds at least as
    /// much energy at every step. Rounding is the only slack.
    #[test]
    fn more_reserve_never_loses_more_load_on_the_same_outages(seed in any::<u64>()) {
        let base = austin(45, 6.0);
        let mut last: Option<(f64, f64)> = None;
        for r in [0.0, 0.2, 0.45, 0.7, 0.95] {
            let s = with_reserve(&base, r);
            let t = s.site().simulate(*s.policy(), seed).run(&mut ()).report().totals;
            if let Some((eue, lole)) = last {
                prop_assert!(t.unserved_mwh <= eue + EUE_TOL_MWH,
                    "reserve {r}: EUE {} above {eue}", t.unserved_mwh);
                prop_assert!(t.loss_of_load_step_hours <= lole + 1e-9,
                    "reserve {r}: LOLE {} above {lole}", t.loss_of_load_step_hours);
            }
            last = Some((t.unserved_mwh, t.loss_of_load_step_hours));
        }
    }
}

#[test]
fn the_frontier_trades_reliability_for_value() {
    let study = austin(60, 6.0);
    let cfg = FrontierConfig {
        survive: Some(Duration::from_hours(3)),
        outage_starts: 8,
        ..FrontierConfig::new(vec![0.0, 0.3, 0.6, 0.9], 48, 11)
    };
    let f = frontier::run(&study, &cfg, &|_| {}).unwrap();
    assert_eq!(f.samples, 48);
    for w in f.points.windows(2) {
        // Survival and EUE: monotone in every sample (the forced outages start at the same
        // instants for every reserve), so in the means.
        let (a, b) = (w[0].survival.unwrap(), w[1].survival.unwrap());
        assert!(b.mean >= a.mean - 1e-12, "{} → {}", a.mean, b.mean);
        assert!(w[1].eue_mwh.mean <= w[0].eue_mwh.mean + EUE_TOL_MWH);
    }
    let (first, last) = (&f.points[0], &f.points[3]);
    assert!(last.survival.unwrap().mean > first.survival.unwrap().mean);
    assert!(last.value_usd_per_year.mean < first.value_usd_per_year.mean);
    // The paired difference is the difference of the means, with a far smaller SE.
    let d = last.value_difference_usd_per_year;
    assert!((d.mean - (last.value_usd_per_year.mean - first.value_usd_per_year.mean)).abs() < 1e-6);
    assert!(d.se < last.value_usd_per_year.se + first.value_usd_per_year.se);
    assert_eq!(first.value_difference_usd_per_year.mean, 0.0);
    // Every reserve's baseline is the same site with the battery idle.
    assert!(f.baseline_cost_usd_per_year.mean > 0.0);
}

#[test]
fn without_outages_value_does_not_rise_with_the_reserve() {
    let study = austin(60, 0.0);
    let cfg = FrontierConfig::new(vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0], 2, 5);
    let f = frontier::run(&study, &cfg, &|_| {}).unwrap();
    for w in f.points.windows(2) {
        assert!(
            w[1].value_usd_per_year.mean <= w[0].value_usd_per_year.mean + USD_TOL,
            "reserve {} → {}: {} → {}",
            w[0].reserve,
            w[1].reserve,
            w[0].value_usd_per_year.mean,
            w[1].value_usd_per_year.mean
        );
        assert_eq!(w[1].eue_mwh.mean, 0.0);
    }
    // All reserved: the battery only stands by, it earns nothing (it starts full: nothing to
    // recharge), and the first reserve earns something.
    assert!(f.points[5].value_usd_per_year.mean.abs() < USD_TOL);
    assert!(f.points[0].value_usd_per_year.mean > 0.0);
}

#[test]
fn the_frontier_chart_has_its_title_and_axes() {
    let study = austin(30, 6.0);
    let cfg = FrontierConfig {
        survive: Some(Duration::from_hours(2)),
        outage_starts: 4,
        ..FrontierConfig::new(vec![0.1, 0.5, 0.9], 16, 2)
    };
    let f = frontier::run(&study, &cfg, &|_| {}).unwrap();
    let svg = ridethrough::plot::frontier_svg(&f).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let text: String = doc
        .descendants()
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("\n");
    for want in [
        "Reserve vs value: P(survive a 2 h outage) against $/yr",
        "P(survive a 2 h outage) (%)",
        "saved against the battery idle",
        "reserve 50 %",
        "95 % interval",
    ] {
        assert!(text.contains(want), "no {want:?} in:\n{text}");
    }
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("frontier_chart");
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join("frontier.png");
    ridethrough::plot::frontier(&f, &png).unwrap();
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
    let reader = decoder.read_info().unwrap();
    assert_eq!((reader.info().width, reader.info().height), (1200, 800));
    // Without survival the y axis is EUE.
    let f = frontier::run(&study, &FrontierConfig::new(vec![0.1, 0.9], 8, 2), &|_| {}).unwrap();
    let svg = ridethrough::plot::frontier_svg(&f).unwrap();
    assert!(svg.contains("EUE: expected unserved energy (MWh/yr)"));
}

/// The error of validating the two-price site's scenario with `edit` applied to its text.
fn scenario_error(tariff: &str, policy: &str) -> ConfigError {
    let text = format!(
        "seed = 1\n[time]\nstep = \"1h\"\nhorizon = \"2d\"\n[grid]\nimport_limit_mw = 20.0\n\
         [battery]\npreset = \"megapack2xl_4h\"\nunits = 2\n[load]\npue = 1.0\n[[load.it]]\n\
         kind = \"constant\"\nit_mw = 5.0\n[policy]\n{policy}\n{tariff}"
    );
    match Scenario::from_toml_str(&text).and_then(Scenario::validate) {
        Err(e) => e,
        Ok(_) => panic!("accepted:\n{text}"),
    }
}

#[test]
fn bad_tariffs_and_value_stacking_inputs_are_typed_errors() {
    let stacking = "kind = \"value_stacking\"\nimport_cap_mw = 8.0\n\
                    charge_below_usd_per_mwh = 20.0\ndischarge_above_usd_per_mwh = 60.0";
    let ok = "[tariff]\ndemand_charge_usd_per_kw_month = 5.0\nenergy_price_usd_per_mwh = 40.0";
    let field = |e: ConfigError| match e {
        ConfigError::OutOfRange { field, .. }
        | ConfigError::Inconsistent { field, .. }
        | ConfigError::Missing { field, .. }
        | ConfigError::NotMultiple { field, .. } => field,
        other => panic!("{other:?}"),
    };
    // Out of range: the field, the value and the range in the message.
    let e = scenario_error(
        "[tariff]\ndemand_charge_usd_per_kw_month = -3.0\nenergy_price_usd_per_mwh = 40.0",
        "kind = \"backup_only\"",
    );
    assert_eq!(
        e.to_string(),
        "tariff.demand_charge_usd_per_kw_month = -3 is out of range: allowed 0 ≤ x ≤ 1e4 ($/kW-month)"
    );
    let e = scenario_error(
        "[tariff]\ndemand_charge_usd_per_kw_month = 3.0\nenergy_price_usd_per_mwh = 1e6",
        "kind = \"backup_only\"",
    );
    assert_eq!(field(e), "tariff.energy_price_usd_per_mwh");
    // Both prices, or neither.
    let e = scenario_error(
        "[tariff]\ndemand_charge_usd_per_kw_month = 3.0",
        "kind = \"backup_only\"",
    );
    assert_eq!(field(e), "tariff.energy_price_usd_per_mwh");
    // A billing interval that is not a whole number of steps.
    let e = scenario_error(
        &format!("{ok}\ndemand_interval = \"90m\""),
        "kind = \"backup_only\"",
    );
    assert_eq!(field(e), "tariff.demand_interval");
    // An unknown key.
    let e = scenario_error(
        &format!("{ok}\ndemand_charge = 3.0"),
        "kind = \"backup_only\"",
    );
    assert!(e.to_string().contains("demand_charge"), "{e}");
    // Value stacking without a tariff, and with thresholds no cycle can earn on.
    let e = scenario_error("", stacking);
    assert_eq!(field(e), "tariff");
    let e = scenario_error(
        ok,
        &stacking.replace(
            "discharge_above_usd_per_mwh = 60.0",
            "discharge_above_usd_per_mwh = 21.0",
        ),
    );
    assert_eq!(field(e), "policy.discharge_above_usd_per_mwh");
    let e = scenario_error(
        ok,
        &stacking.replace(
            "charge_below_usd_per_mwh = 20.0",
            "charge_below_usd_per_mwh = -2e5",
        ),
    );
    assert_eq!(field(e), "policy.charge_below_usd_per_mwh");
    // A price trace that does not cover the horizon names the field and the rows.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bad_price_trace");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("p.csv"), "t_s,usd\n0,10\n3600,12\n").unwrap();
    std::fs::write(
        dir.join("s.toml"),
        format!(
            "seed = 1\n[time]\nstep = \"1h\"\nhorizon = \"2d\"\n[grid]\nimport_limit_mw = 20.0\n\
             [battery]\npreset = \"megapack2xl_4h\"\nunits = 2\n[load]\npue = 1.0\n[[load.it]]\n\
             kind = \"constant\"\nit_mw = 5.0\n[policy]\n{stacking}\n[tariff]\n\
             demand_charge_usd_per_kw_month = 1.0\nenergy_price_trace = {{ path = \"p.csv\" }}\n"
        ),
    )
    .unwrap();
    let e = Scenario::load(dir.join("s.toml"))
        .and_then(Scenario::validate)
        .unwrap_err();
    assert!(
        matches!(&e, ConfigError::TraceLength { field, expected: 48, found: 2, .. }
            if field == "tariff.energy_price_trace"),
        "{e:?}"
    );
    // A non-number in the trace names the row.
    std::fs::write(dir.join("p.csv"), "t_s,usd\n0,10\n3600,abc\n").unwrap();
    let e = Scenario::load(dir.join("s.toml")).unwrap_err();
    assert!(
        matches!(&e, ConfigError::TraceValue { field, row: 2, .. } if field == "tariff.energy_price_trace"),
        "{e:?}"
    );
}

#[test]
fn the_bundled_value_stacking_scenario_loads_and_bills() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/scenarios/austin_value_stacking.toml");
    let study = Scenario::load(&path)
        .and_then(Scenario::validate)
        .unwrap()
        .with_time(TimeGrid::new(Duration::from_hours(1), Duration::from_days(365)).unwrap())
        .unwrap();
    assert_eq!(study.policy().name(), "value_stacking");
    let tariff = study.site().tariff.as_ref().unwrap();
    assert_eq!(tariff.months().len(), 12);
    let mut meter = tariff.meter();
    let mut sim = study.simulate();
    sim.run(&mut meter);
    let b = meter.finish();
    assert_eq!(b.months.len(), 12);
    assert!(b.savings_usd_per_year > 0.0, "{b:?}");
    assert!(b.demand_charges_usd > 0.0 && b.energy_cost_usd > 0.0);
}
