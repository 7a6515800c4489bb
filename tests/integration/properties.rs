//! Property tests over random parameters, profiles, outages and policies (value stacking with a
//! random price trace among them): the energy balance
//! closes every step, the SoC stays in its window, nothing is unserved without an outage when
//! the import limit covers the peak, and the peak-shaving cap holds whenever the battery could
//! hold it; with tiered loads (random tiers, shedding orders, other shares and PUE curves, and in
//! half the cases generators with fuel), the balance still closes, the SoC stays in its window
//! and the tiers' unserved energy sums to the unserved energy.

use crate::common::*;
use proptest::prelude::*;
use ridethrough::components::load::{ItTier, Pue, PueCurve, PuePoint, ShedBlock, Tier, TierParams};
use ridethrough::components::tariff::{Price, PriceTrace, TariffParams};
use ridethrough::prelude::*;
use ridethrough::reliability::availability::AvailabilityProcess;

/// The shares of a step's time spent charging and discharging add to at most 1: two averages of
/// a few segments, so rounding only.
const TIME_SHARE_TOL: f64 = 1e-9;

#[derive(Debug, Clone)]
struct Case {
    step_ms: u64,
    steps: u64,
    import_mw: f64,
    it_mw: f64,
    swing: Option<(f64, f64, u64, f64)>,
    units: u32,
    power_mw: f64,
    energy_mwh: f64,
    rte: f64,
    soc_lo: f64,
    soc_hi: f64,
    initial: f64,
    reserve: f64,
    self_discharge: f64,
    aux_kw: f64,
    policy: u8,
    policy_x: f64,
    outage: Option<(f64, f64, f64)>,
    random_rate: f64,
    seed: u64,
    failures: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            prop::sample::select(vec![100u64, 1_000, 60_000, 900_000, 3_600_000]),
            20u64..300,
            0.0..40.0f64,
            0.0..15.0f64,
            prop::option::of((1.0..10.0f64, 0.0..1.0f64, 1u64..5, 0.1..1.0f64)),
        ),
        (
            0u32..4,
            0.1..10.0f64,
            0.1..30.0f64,
            0.5..1.0f64,
            0.0..0.4f64,
            0.6..1.0f64,
            0.0..1.0f64,
            0.0..1.0f64,
            0.0..0.2f64,
            0.0..50.0f64,
        ),
        (
            0u8..4,
            0.0..1.0f64,
            prop::option::of((0.0..1.0f64, 0.0..1.0f64, 0.0..1.0f64)),
            prop::sample::select(vec![0.0, 50.0, 2000.0]),
            any::<u64>(),
            any::<bool>(),
        ),
    )
        .prop_map(|(a, b, c)| Case {
            step_ms: a.0,
            steps: a.1,
            import_mw: a.2,
            it_mw: a.3,
            swing: a.4,
            units: b.0,
            power_mw: b.1,
            energy_mwh: b.2,
            rte: b.3,
            soc_lo: b.4,
            soc_hi: b.5,
            initial: b.4 + (b.5 - b.4) * b.6,
            reserve: b.4 + (b.5 - b.4) * b.7,
            self_discharge: b.8,
            aux_kw: b.9,
            policy: c.0,
            policy_x: c.1,
            outage: c.2,
            random_rate: c.3,
            seed: c.4,
            failures: c.5,
        })
}

fn build(c: &Case) -> (Site, Policy) {
    build_with(c, |_| {})
}

/// [`build`] with the load's parameters edited by `edit` before the site is built.
fn build_with(c: &Case, edit: impl FnOnce(&mut LoadParams)) -> (Site, Policy) {
    let step = Duration::from_millis(c.step_ms);
    let time = TimeGrid::with_steps(step, c.steps).unwrap();
    let mut toml_load = format!(
        "pue = 1.2\n[[it]]\nkind = \"constant\"\nit_mw = {}\n",
        c.it_mw
    );
    if let Some((high, low_frac, period_s, duty)) = c.swing {
        toml_load += &format!(
            "[[it]]\nkind = \"training_swing\"\nhigh_mw = {high}\nlow_mw = {}\nperiod = \"{period_s}s\"\nduty = {duty}\n",
            high * low_frac
        );
    }
    if c.seed % 3 == 0 {
        // A daily shape on top, from the seed's bits.
        let shape: Vec<String> = (0..24)
            .map(|h| format!("{}", ((c.seed >> h) & 7) as f64 / 7.0))
            .collect();
        toml_load += &format!(
            "[[it]]\nkind = \"daily\"\npeak_mw = 3.0\nshape = [{}]\n",
            shape.join(", ")
        );
    }
    let mut load: LoadParams = toml::from_str(&toml_load).unwrap();
    if c.seed % 5 == 0 {
        // A load trace at a step unrelated to the grid's (averaged or held).
        let trace_ms = (c.step_ms * 7 / 3).max(1);
        let n = (c.step_ms * c.steps).div_ceil(trace_ms);
        let values = (0..n)
            .map(|i| Power::mw(((c.seed.rotate_left(i as u32 % 64) & 15) as f64) * 0.5))
            .collect();
        load.it.push(ItProfile::Trace(
            ridethrough::components::load::LoadTrace::from_values(
                Duration::from_millis(trace_ms),
                values,
            ),
        ));
    }
    edit(&mut load);
    let horizon_ms = (c.step_ms * c.steps) as f64;
    let mut grid_toml = format!("import_limit_mw = {}\n", c.import_mw);
    if let Some((s, d, f)) = c.outage {
        grid_toml += &format!(
            "[[scheduled_outages]]\nstart = \"{}ms\"\nduration = \"{}ms\"\navailable_fraction = {f}\n",
            (s * horizon_ms) as u64,
            ((d * horizon_ms) as u64).max(1)
        );
    }
    if c.random_rate > 0.0 {
        grid_toml += &format!(
            "[random_outages]\n[[random_outages.processes]]\nfailures_per_year = {}\nduration = {{ law = \"exponential\", mean = \"{}ms\" }}\n",
            c.random_rate,
            (horizon_ms / 10.0).max(1.0) as u64
        );
    }
    let grid: GridParams = toml::from_str(&grid_toml).unwrap();
    let battery = BatteryParams {
        units: c.units,
        power_mw: Some(Power::mw(c.power_mw)),
        energy_mwh: Some(Energy::mwh(c.energy_mwh)),
        round_trip_efficiency: Some(Fraction::ratio(c.rte)),
        soc_min: Some(Fraction::ratio(c.soc_lo)),
        soc_max: Some(Fraction::ratio(c.soc_hi)),
        initial_soc: Some(Fraction::ratio(c.initial)),
        reserve_soc: Some(Fraction::ratio(c.reserve)),
        self_discharge_per_day: Some(Fraction::ratio(c.self_discharge)),
        aux_load_mw: Some(Power::kw(c.aux_kw)),
        // In half the cases units fail and return every few steps.
        unit_failures: if c.failures {
            vec![AvailabilityProcess::Markov {
                mttf: Duration::from_millis(c.step_ms * 7),
                mttr: Duration::from_millis(c.step_ms * 3),
            }]
        } else {
            Vec::new()
        },
        ..BatteryParams::none()
    };
    let site = Site::new(time, &grid, &battery, &load).unwrap();
    let policy = match c.policy {
        0 => Policy::BackupOnly {
            recharge_rate_mw: (c.policy_x > 0.5).then_some(Power::mw(c.policy_x * 5.0)),
        },
        1 => Policy::PeakShaving {
            import_cap_mw: Power::mw(c.policy_x * 20.0),
            recharge_rate_mw: None,
        },
        2 => Policy::RampLimiting {
            max_ramp_mw_per_s: RampRate::mw_per_s(0.001 + c.policy_x),
            soc_target: Some(Fraction::ratio(0.5)),
            recovery: None,
            initial_import_mw: None,
        },
        _ => Policy::ValueStacking {
            import_cap_mw: Power::mw(c.policy_x * 20.0),
            charge_below_usd_per_mwh: Price::usd_per_mwh(30.0),
            discharge_above_usd_per_mwh: Price::usd_per_mwh(80.0),
            recharge_rate_mw: (c.policy_x > 0.5).then_some(Power::mw(c.policy_x * 5.0)),
        },
    };
    // Value stacking trades against a price trace: one at a step unrelated to the grid's,
    // between −$20 and $200/MWh, from the seed's bits (so it crosses both thresholds).
    let site = if matches!(policy, Policy::ValueStacking { .. }) {
        let trace_ms = (c.step_ms * 5 / 2).max(1);
        let n = (c.step_ms * c.steps).div_ceil(trace_ms);
        let prices = (0..n)
            .map(|i| ((c.seed.rotate_left(i as u32 % 64) & 15) as f64) * 14.0 - 20.0)
            .collect();
        let tariff = TariffParams {
            demand_charge_usd_per_kw_month: 5.0,
            demand_interval: None,
            energy_price_usd_per_mwh: None,
            energy_price_trace: Some(PriceTrace::from_values(
                Duration::from_millis(trace_ms),
                prices,
            )),
        };
        site.with_tariff(Some(&tariff)).unwrap()
    } else {
        site
    };
    (site, policy)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn balance_closes_and_soc_stays_in_window(c in case()) {
        let (site, policy) = build(&c);
        let mut trace = TraceRecorder::default();
        let mut sim = site.simulate(policy, c.seed);
        sim.run(&mut trace);
        let window = (site.battery.units() > 0).then(|| site.battery.soc_window());
        for r in &trace.rows {
            check_balance_and_window(r, window)?;
            for v in [r.import_mw, r.export_mw, r.discharge_mw, r.charge_mw, r.unserved_mw] {
                prop_assert!(v >= 0.0 && v.is_finite());
            }
            prop_assert!(r.import_mw <= r.available_import_mw + 1e-9);
            // A step split by an outage that ends inside it can discharge in one segment and
            // charge in a later one, never both at once: the two share the step's time, each at
            // most its power limit.
            let (pc, pd) = (site.battery.max_charge_power().value(), site.battery.max_discharge_power().value());
            if pc > 0.0 && pd > 0.0 {
                prop_assert!(r.charge_mw / pc + r.discharge_mw / pd <= 1.0 + TIME_SHARE_TOL,
                    "step {}: charge {} of {pc} and discharge {} of {pd} MW", r.step, r.charge_mw, r.discharge_mw);
            } else {
                prop_assert!(r.charge_mw == 0.0 || r.discharge_mw == 0.0);
            }
        }
        // Storage energy: change in stored energy = charge − discharge − losses.
        let rep = sim.report();
        let t = &rep.totals;
        let stored = (rep.soc.last - rep.soc.initial) * rep.site.battery_capacity_mwh;
        let flows = t.charge_mwh - t.discharge_mwh - rep.battery_losses_mwh;
        prop_assert!((stored - flows).abs() < ENERGY_TOL_MWH, "storage residual {}", stored - flows);
        let lol: f64 = rep.loss_of_load.iter().map(|e| e.unserved_mwh).sum();
        prop_assert!((lol - t.unserved_mwh).abs() < ENERGY_TOL_MWH);
    }

    #[test]
    fn nothing_unserved_without_outage_when_import_covers_the_peak(mut c in case()) {
        c.outage = None;
        c.random_rate = 0.0;
        let (site, policy) = build(&c);
        let peak = site.load.peak_facility_power() + site.battery.aux_load();
        let c2 = Case { import_mw: peak.value() + c.import_mw, ..c.clone() };
        let (site, policy2) = build(&c2);
        let _ = policy;
        let mut sim = site.simulate(policy2, c.seed);
        let r = sim.run(&mut ()).report();
        prop_assert_eq!(r.totals.unserved_mwh, 0.0);
        prop_assert!(r.loss_of_load.is_empty());
    }

    #[test]
    fn peak_shaving_cap_holds_whenever_the_battery_could_hold_it(mut c in case()) {
        c.policy = 1;
        // With every unit up, so the fleet's power limit is the whole fleet's.
        c.failures = false;
        c.outage = None;
        c.random_rate = 0.0;
        let (site, policy) = build(&c);
        let cap = match policy { Policy::PeakShaving { import_cap_mw, .. } => import_cap_mw.value(), _ => unreachable!() };
        let reserve = site.battery.reserve_soc().value();
        let pmax = site.battery.max_discharge_power().value();
        let mut trace = TraceRecorder::default();
        let mut sim = site.simulate(policy, c.seed);
        sim.run(&mut trace);
        for r in &trace.rows {
            if r.import_mw > cap + 1e-9 {
                // Only allowed when the battery gave all it could: at its power limit, or down
                // to the reserve (or a fleet of no units).
                let at_power = r.discharge_mw >= pmax - 1e-9;
                let at_reserve = r.soc <= reserve + 1e-9;
                prop_assert!(at_power || at_reserve || site.battery.units() == 0,
                    "step {}: import {} > cap {cap} with discharge {} of {pmax} and SoC {} (reserve {reserve})",
                    r.step, r.import_mw, r.discharge_mw, r.soc);
            }
        }
    }
}

/// In half the cases (from the seed's bits) the site gets 1–3 diesel sets of 1–6 MW that
/// fail to start and while running, with a tank of a few hours' fuel: tiers, generators and
/// fuel together.
fn with_generators(site: Site, c: &Case) -> Site {
    let bits = c.seed.rotate_right(29);
    if bits & 1 == 0 {
        return site;
    }
    let sets = 1 + (bits >> 1) % 3;
    let rating = 1.0 + ((bits >> 3) % 6) as f64;
    let gens: ridethrough::components::generators::GeneratorParams = toml::from_str(&format!(
        "count = {sets}\nrating_mw = {rating}\nfail_to_start = 0.2\nstart_retries = 1\n\
         failures_per_running_hour = 0.5\nrepair = {{ law = \"exponential\", mean = \"2h\" }}\n\
         min_loading = 0.3\nfuel_l_per_h_idle = 40.0\nfuel_l_per_mwh = 260.0\n"
    ))
    .unwrap();
    let capacity = sets as f64 * (40.0 + 260.0 * rating) * (0.5 + ((bits >> 6) % 4) as f64);
    let fuel: ridethrough::components::fuel::FuelParams =
        toml::from_str(&format!("capacity_l = {capacity}")).unwrap();
    site.with_backup(Some(&gens), Some(&fuel)).unwrap()
}

/// The load of [`build`] split into tiers from the seed's bits: each profile critical or
/// deferrable, a random other share and shedding order, a checkpoint interval, and in half the
/// cases a PUE curve of the Austin year.
fn tiered(c: &Case) -> (Site, Policy) {
    build_with(c, |load| {
        let bits = c.seed.rotate_right(11);
        for (i, p) in load.it.iter_mut().enumerate() {
            let tier = if (bits >> i) & 1 == 1 {
                ItTier::Deferrable
            } else {
                ItTier::Critical
            };
            match p {
                ItProfile::Constant(x) => x.tier = tier,
                ItProfile::TrainingSwing(x) => x.tier = tier,
                ItProfile::Daily(x) => x.tier = tier,
                ItProfile::Trace(x) => x.tier = tier,
            }
        }
        let orders = [
            [ShedBlock::Deferrable, ShedBlock::Other, ShedBlock::Critical],
            [ShedBlock::Deferrable, ShedBlock::Critical, ShedBlock::Other],
            [ShedBlock::Other, ShedBlock::Deferrable, ShedBlock::Critical],
            [ShedBlock::Other, ShedBlock::Critical, ShedBlock::Deferrable],
            [ShedBlock::Critical, ShedBlock::Deferrable, ShedBlock::Other],
            [ShedBlock::Critical, ShedBlock::Other, ShedBlock::Deferrable],
        ];
        load.tiers = Some(TierParams {
            other_share: Fraction::ratio(((bits >> 8) & 7) as f64 / 7.0),
            shed_order: orders[((bits >> 12) % 6) as usize].to_vec(),
            checkpoint_interval: Some(Duration::from_millis(c.step_ms * 3 + 1)),
        });
        if (bits >> 16) & 1 == 1 {
            load.pue = Pue::Curve(PueCurve {
                ambient: ridethrough::components::ambient::AmbientSource::Named(
                    ridethrough::components::ambient::NamedAmbient::AustinSynthetic,
                ),
                curve: vec![
                    PuePoint {
                        temperature_c: 10.0,
                        pue: 1.1,
                    },
                    PuePoint {
                        temperature_c: 35.0,
                        pue: 1.5,
                    },
                ],
            });
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn tiered_loads_balance_and_their_tiers_sum_to_the_unserved(c in case()) {
        let (site, policy) = tiered(&c);
        let site = with_generators(site, &c);
        prop_assert!(site.load.tiers().is_some());
        let mut trace = TraceRecorder::default();
        let mut sim = site.simulate(policy, c.seed);
        sim.run(&mut trace);
        let window = (site.battery.units() > 0).then(|| site.battery.soc_window());
        for r in &trace.rows {
            check_balance_and_window(r, window)?;
        }
        let rep = sim.report();
        let tiers = rep.tiers.as_ref().expect("a tiered load reports its tiers");
        let sum: f64 = tiers.tiers.iter().map(|t| t.unserved_mwh).sum();
        let total = rep.totals.unserved_mwh;
        prop_assert!((sum - total).abs() <= ENERGY_TOL_MWH * total.max(1.0),
            "tiers {sum} vs unserved {total}");
        for t in &tiers.tiers {
            prop_assert!(t.unserved_mwh >= 0.0 && t.unserved_mwh.is_finite());
            prop_assert!(t.loss_of_load_hours <= rep.totals.loss_of_load_hours + 1e-12);
            prop_assert!(t.loss_of_load_step_hours <= rep.totals.loss_of_load_step_hours + 1e-12);
            // A tier loses load only while the site does.
            prop_assert!(!rep.loss_of_load.is_empty() || t.events == 0);
        }
        prop_assert!(tiers.training_pauses == tiers.tier(Tier::Deferrable).events);
        prop_assert!(tiers.lost_compute_mwh >= 0.0 && tiers.lost_compute_hours >= 0.0);
    }
}
