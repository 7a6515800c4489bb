//! Issue 8: events take effect at their own millisecond inside a step. A step with a change
//! inside it (an outage starting or ending, a unit failing, the battery emptying) is settled in
//! segments, so the answers do not depend on the step:
//!
//! * the closed form of a ride-through: an outage starting mid-step, a battery of energy `E`
//!   above its floor at discharge efficiency `η`, a constant load `L`: load is lost from
//!   `E·η/L` after the outage's start, to the millisecond, at 1 h, 7 min and 13 s steps, and
//!   `L·D − E·η` is unserved;
//! * a property test: random sites whose load is constant within each hour, random outage
//!   processes and scheduled windows at arbitrary milliseconds, run at hourly and at 1-minute
//!   steps with the same seed, give the same unserved energy, loss-of-load time and grid
//!   outages;
//! * a battery that fills inside a step stops charging at its ceiling, to the millisecond.

use crate::common::*;
use proptest::prelude::*;
use ridethrough::prelude::*;
use ridethrough::reliability::availability::AvailabilityProcess;

/// Relative agreement of energies and times between step sizes and with closed forms: the
/// same physics summed in a different number of pieces (60 times more at 1-minute steps), so
/// rounding only; plus [`ABS_FLOOR`] for values near zero.
const REL_TOL: f64 = 1e-6;
/// Absolute floor of [`REL_TOL`] comparisons (MWh or h).
const ABS_FLOOR: f64 = 1e-9;
/// Closed-form energies (a few dozen segments): rounding only.
const CLOSED_FORM_REL_TOL: f64 = 1e-9;
/// The battery empties at the last whole millisecond before its energy runs out, and its
/// energy is a sum of a few thousand segments' flows: ±1 ms of the closed form.
const ONE_MS: u64 = 1;

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()) + ABS_FLOOR
}

// ---- the closed form ---------------------------------------------------------------------------

const L_MW: f64 = 10.0;
const E_MWH: f64 = 25.0;
const ETA: f64 = 0.95;

/// 91 h (a multiple of 1 h, 7 min and 13 s), a full outage of `duration` from 10 h 17 min
/// 23.456 s, a 20 MW / 25 MWh battery at η_d = 0.95 starting full, a constant 10 MW load.
fn ride_through(step: Duration, duration: Duration) -> (Report, Duration) {
    let start = "10h17m23s456ms".parse::<Duration>().unwrap();
    let time = TimeGrid::new(step, Duration::from_hours(91)).unwrap();
    let grid = GridParams {
        scheduled_outages: vec![outage(start, duration)],
        ..GridParams::new(Power::mw(50.0))
    };
    let site = Site::new(
        time,
        &grid,
        &simple_battery(20.0, E_MWH, ETA),
        &constant_load(L_MW),
    )
    .unwrap();
    let report = site.simulate(Policy::default(), 1).run(&mut ()).report();
    (report, start)
}

#[test]
fn loss_of_load_starts_at_the_closed_form_millisecond_at_any_step() {
    let d = Duration::from_hours(6);
    let ride_ms = (E_MWH * ETA / L_MW * 3_600_000.0).round() as u64; // 2 h 22 min 30 s
    let unserved = L_MW * d.hours().value() - E_MWH * ETA;
    for step in [
        Duration::from_hours(1),
        Duration::from_minutes(7),
        Duration::from_secs(13),
    ] {
        let (r, start) = ride_through(step, d);
        // The grid outage, exactly as scheduled.
        assert_eq!(r.grid_outages.len(), 1, "step {step}");
        let o = r.grid_outages[0];
        assert_eq!((o.start, o.duration), (start, d), "step {step}");
        assert!(!o.carried_through);
        // One loss of load, from E·η/L after the outage's start to its end.
        assert_eq!(r.loss_of_load.len(), 1, "step {step}");
        let lol = r.loss_of_load[0];
        let from = lol.start.as_millis() - start.as_millis();
        assert!(
            from.abs_diff(ride_ms) <= ONE_MS,
            "step {step}: load lost {from} ms into the outage, closed form {ride_ms} ms"
        );
        assert_eq!(
            lol.start + lol.duration,
            start + d,
            "step {step}: the loss of load ends with the outage"
        );
        assert_eq!(lol.start_step, lol.start.as_millis() / step.as_millis());
        // The energy: L·D − E·η, and all of it in the event.
        assert!(
            close(r.totals.unserved_mwh, unserved, CLOSED_FORM_REL_TOL),
            "step {step}: unserved {} MWh, closed form {unserved}",
            r.totals.unserved_mwh
        );
        assert!(close(lol.unserved_mwh, unserved, CLOSED_FORM_REL_TOL));
        assert!(close(o.unserved_mwh, unserved, CLOSED_FORM_REL_TOL));
        // Time with loss of load is the event's; the PRAS-style count rounds it out to steps.
        let lol_h = lol.duration.hours().value();
        assert!(close(
            r.totals.loss_of_load_hours,
            lol_h,
            CLOSED_FORM_REL_TOL
        ));
        let first = lol.start_step;
        let last = (lol.start + lol.duration)
            .as_millis()
            .div_ceil(step.as_millis());
        let steps_h = (last - first) as f64 * step.hours().value();
        assert!(close(
            r.totals.loss_of_load_step_hours,
            steps_h,
            CLOSED_FORM_REL_TOL
        ));
        assert!(r.totals.loss_of_load_step_hours >= r.totals.loss_of_load_hours);
        // The impaired time is the outage's, not whole steps.
        assert!(close(
            r.totals.grid_impaired_hours,
            d.hours().value(),
            CLOSED_FORM_REL_TOL
        ));
    }
}

#[test]
fn an_outage_shorter_than_the_ride_through_is_carried_at_any_step() {
    for step in [
        Duration::from_hours(1),
        Duration::from_minutes(7),
        Duration::from_secs(13),
    ] {
        let (r, _) = ride_through(step, Duration::from_hours(2));
        assert_eq!(r.totals.unserved_mwh, 0.0, "step {step}");
        assert!(r.loss_of_load.is_empty());
        assert!(r.grid_outages[0].carried_through);
        // 2 h at 10 MW drains 20/0.95 MWh of 25: SoC bottoms at 1 − 21.05/25.
        let expected_min = 1.0 - 2.0 * L_MW / ETA / E_MWH;
        assert!(close(
            r.grid_outages[0].min_soc,
            expected_min,
            CLOSED_FORM_REL_TOL
        ));
    }
}

// ---- a battery that fills inside a step --------------------------------------------------------

/// Charges at the fleet's whole charging limit, always (the built-ins cut their request to
/// what the window takes over the whole step, so they never fill inside one).
#[derive(Debug, Clone, Copy)]
struct ChargeFlatOut;

impl Dispatch for ChargeFlatOut {
    fn decide(&mut self, _obs: &Observation) -> Power {
        Power::mw(-1e3)
    }
}

#[test]
fn a_battery_that_fills_inside_a_step_stops_at_its_ceiling_to_the_millisecond() {
    // Empty 10 MWh, 4 MW charging at η_c = 1 (round trip 1): full after 2.5 h, i.e. halfway
    // through the third hourly step. Import is 4 MW until then and the load's 1 MW after.
    let time = TimeGrid::new(Duration::from_hours(1), Duration::from_hours(4)).unwrap();
    let battery = BatteryParams {
        units: 1,
        power_mw: Some(Power::mw(4.0)),
        energy_mwh: Some(Energy::mwh(10.0)),
        round_trip_efficiency: Some(Fraction::ratio(1.0)),
        initial_soc: Some(Fraction::ratio(0.0)),
        reserve_soc: Some(Fraction::ratio(0.0)),
        aux_load_mw: Some(Power::ZERO),
        self_discharge_per_day: Some(Fraction::ratio(0.0)),
        ..BatteryParams::none()
    };
    let site = Site::new(
        time,
        &GridParams::new(Power::mw(50.0)),
        &battery,
        &constant_load(1.0),
    )
    .unwrap();
    let mut trace = TraceRecorder::default();
    site.simulate(ChargeFlatOut, 1).run(&mut trace);
    let charge: Vec<f64> = trace.rows.iter().map(|r| r.charge_mw).collect();
    let want = [4.0, 4.0, 2.0, 0.0];
    for (k, (&c, w)) in charge.iter().zip(want).enumerate() {
        assert!(
            close(c, w, CLOSED_FORM_REL_TOL),
            "step {k}: {c} MW, want {w}"
        );
    }
    assert!(close(trace.rows[2].import_mw, 3.0, CLOSED_FORM_REL_TOL));
    assert!(close(trace.rows[2].soc, 1.0, CLOSED_FORM_REL_TOL));
}

// ---- hourly and 1-minute steps agree -----------------------------------------------------------

/// A random site whose load is constant within each hour.
#[derive(Debug, Clone)]
struct Case {
    hours: u64,
    load_mw: Vec<f64>,
    pue: f64,
    import_mw: f64,
    /// Scheduled windows: the gap before each (in quarters of the horizon), its duration (ms)
    /// and its available fraction.
    windows: Vec<(f64, u64, f64)>,
    /// Random renewal outages: failures per year and exponential mean (ms).
    random: Option<(f64, u64)>,
    units: u32,
    unit_power_mw: f64,
    unit_energy_mwh: f64,
    rte: f64,
    soc_lo: f64,
    soc_hi: f64,
    initial: f64,
    reserve: f64,
    aux_kw: f64,
    /// Battery units fail and return (mean times, ms).
    failures: Option<(u64, u64)>,
    /// Peak shaving at this fraction of the peak demand (backup only when `None`).
    peak_shaving: Option<f64>,
    recharge_mw: Option<f64>,
    seed: u64,
}

const MS_PER_HOUR: u64 = 3_600_000;

fn case() -> impl Strategy<Value = Case> {
    (
        (
            24u64..72,
            prop::collection::vec(0.5..15.0f64, 72),
            1.0..1.4f64,
            0.0..30.0f64,
            prop::collection::vec((0.0..1.0f64, 1u64..20 * MS_PER_HOUR, 0.0..1.0f64), 0..4),
            prop::option::of((50.0..2000.0f64, 60_000u64..8 * MS_PER_HOUR)),
        ),
        (
            1u32..4,
            0.5..8.0f64,
            0.5..20.0f64,
            0.6..1.0f64,
            0.0..0.3f64,
            0.7..1.0f64,
            0.0..1.0f64,
            0.0..1.0f64,
            0.0..50.0f64,
            prop::option::of((
                5 * MS_PER_HOUR..60 * MS_PER_HOUR,
                600_000u64..6 * MS_PER_HOUR,
            )),
        ),
        (
            prop::option::of(0.3..1.0f64),
            prop::option::of(0.5..5.0f64),
            any::<u64>(),
        ),
    )
        .prop_map(|(a, b, c)| Case {
            hours: a.0,
            load_mw: a.1,
            pue: a.2,
            import_mw: a.3,
            windows: a.4,
            random: a.5,
            units: b.0,
            unit_power_mw: b.1,
            unit_energy_mwh: b.2,
            rte: b.3,
            soc_lo: b.4,
            soc_hi: b.5,
            initial: b.4 + (b.5 - b.4) * b.6,
            reserve: b.4 + (b.5 - b.4) * b.7,
            aux_kw: b.8,
            failures: b.9,
            peak_shaving: c.0,
            recharge_mw: c.1,
            seed: c.2,
        })
}

/// The case's site at `step`, and its policy.
///
/// Backup only runs every case. Peak shaving spreads the energy above the reserve that it uses
/// for shaving evenly over a segment (its request is cut to what the reserve allows for the
/// whole segment), so the state at a segment's end depends on the segment only while the grid
/// can carry the load: with a shortfall outside outages (an import limit below the demand) or
/// during a derate, the shaving and the shortfall share that energy differently at different
/// steps. Its cases therefore have an import limit above the peak demand and only full outages
/// (available fraction 0), where it asks for the whole demand as backup only does.
fn build(c: &Case, step: Duration) -> (Site, Policy) {
    let horizon = Duration::from_hours(c.hours);
    let time = TimeGrid::new(step, horizon).unwrap();
    let hourly: Vec<Power> = c.load_mw[..c.hours as usize]
        .iter()
        .map(|&p| Power::mw(p))
        .collect();
    let mut load: LoadParams = toml::from_str(&format!("pue = {}\nit = []\n", c.pue)).unwrap();
    load.it.push(ItProfile::Trace(
        ridethrough::components::load::LoadTrace::from_values(Duration::from_hours(1), hourly),
    ));
    let aux_mw = c.aux_kw / 1e3 * f64::from(c.units);
    let peak = c.load_mw[..c.hours as usize]
        .iter()
        .fold(0.0f64, |m, &p| m.max(p))
        * c.pue
        + aux_mw;
    let shaving = c.peak_shaving.is_some();
    let import = if shaving {
        peak + c.import_mw
    } else {
        c.import_mw
    };
    let mut grid = GridParams::new(Power::mw(import));
    // Windows at arbitrary milliseconds, laid end to end after random gaps (no overlaps).
    let horizon_ms = horizon.as_millis();
    let mut at = 0u64;
    for &(gap, len, fraction) in &c.windows {
        at += (gap * horizon_ms as f64 / 4.0) as u64;
        if at >= horizon_ms {
            break;
        }
        grid.scheduled_outages.push(ScheduledOutage {
            start: Duration::from_millis(at),
            duration: Duration::from_millis(len),
            available_fraction: Fraction::ratio(if shaving { 0.0 } else { fraction }),
        });
        at += len;
    }
    if let Some((rate, mean_ms)) = c.random {
        grid = toml::from_str(&format!(
            "import_limit_mw = {import}\n[random_outages]\n[[random_outages.processes]]\nfailures_per_year = {rate}\nduration = {{ law = \"exponential\", mean = \"{mean_ms}ms\" }}\n",
        ))
        .map(|g: GridParams| GridParams {
            scheduled_outages: grid.scheduled_outages.clone(),
            ..g
        })
        .unwrap();
    }
    let battery = BatteryParams {
        units: c.units,
        power_mw: Some(Power::mw(c.unit_power_mw)),
        energy_mwh: Some(Energy::mwh(c.unit_energy_mwh)),
        round_trip_efficiency: Some(Fraction::ratio(c.rte)),
        soc_min: Some(Fraction::ratio(c.soc_lo)),
        soc_max: Some(Fraction::ratio(c.soc_hi)),
        initial_soc: Some(Fraction::ratio(c.initial)),
        reserve_soc: Some(Fraction::ratio(c.reserve)),
        // Self-discharge is taken once per step, so it is step-dependent by design.
        self_discharge_per_day: Some(Fraction::ratio(0.0)),
        aux_load_mw: Some(Power::kw(c.aux_kw)),
        unit_failures: c
            .failures
            .map(|(mttf, mttr)| {
                vec![AvailabilityProcess::Markov {
                    mttf: Duration::from_millis(mttf),
                    mttr: Duration::from_millis(mttr),
                }]
            })
            .unwrap_or_default(),
        ..BatteryParams::none()
    };
    let site = Site::new(time, &grid, &battery, &load).unwrap();
    let recharge_rate_mw = c.recharge_mw.map(Power::mw);
    let policy = match c.peak_shaving {
        Some(f) => Policy::PeakShaving {
            import_cap_mw: Power::mw(f * peak),
            recharge_rate_mw,
        },
        None => Policy::BackupOnly { recharge_rate_mw },
    };
    (site, policy)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn hourly_and_minute_steps_give_the_same_events(c in case()) {
        let run = |step| {
            let (site, policy) = build(&c, step);
            site.simulate(policy, c.seed).run(&mut ()).report()
        };
        let hourly = run(Duration::from_hours(1));
        let minute = run(Duration::from_minutes(1));
        let (h, m) = (&hourly.totals, &minute.totals);
        prop_assert!(close(h.unserved_mwh, m.unserved_mwh, REL_TOL),
            "unserved: hourly {} vs minute {} MWh", h.unserved_mwh, m.unserved_mwh);
        prop_assert!(close(h.loss_of_load_hours, m.loss_of_load_hours, REL_TOL),
            "loss of load: hourly {} vs minute {} h", h.loss_of_load_hours, m.loss_of_load_hours);
        prop_assert!(close(h.grid_impaired_hours, m.grid_impaired_hours, REL_TOL));
        prop_assert!(close(h.discharge_mwh, m.discharge_mwh, REL_TOL),
            "discharge: hourly {} vs minute {} MWh", h.discharge_mwh, m.discharge_mwh);
        prop_assert!(close(h.import_mwh, m.import_mwh, REL_TOL));
        // The same grid outages, to the millisecond.
        let outages = |r: &Report| -> Vec<(u64, u64)> {
            r.grid_outages.iter().map(|o| (o.start.as_millis(), o.duration.as_millis())).collect()
        };
        prop_assert_eq!(outages(&hourly), outages(&minute));
        for (a, b) in hourly.grid_outages.iter().zip(&minute.grid_outages) {
            prop_assert!(close(a.unserved_mwh, b.unserved_mwh, REL_TOL));
            prop_assert_eq!(a.carried_through, b.carried_through);
        }
        // The same losses of load (their times within the rounding of a millisecond).
        prop_assert_eq!(hourly.loss_of_load.len(), minute.loss_of_load.len());
        for (a, b) in hourly.loss_of_load.iter().zip(&minute.loss_of_load) {
            prop_assert!(a.start.as_millis().abs_diff(b.start.as_millis()) <= ONE_MS,
                "loss of load at {} vs {}", a.start, b.start);
            prop_assert!(close(a.unserved_mwh, b.unserved_mwh, REL_TOL));
        }
        // And the PRAS-style count is at least the time itself.
        prop_assert!(h.loss_of_load_step_hours + ABS_FLOOR >= h.loss_of_load_hours);
    }
}

// ---- the span cap ------------------------------------------------------------------------------

/// A step with more changes than [`MAX_SPANS_PER_STEP`](ridethrough::engine::MAX_SPANS_PER_STEP)
/// is settled span by span up to the cap, then as one span averaged over the rest of the step:
/// a 1-day step holding 100 five-minute outages, one every 10 minutes, records each outage
/// exactly while spans last, then one impaired piece that extends the outage open at the cap.
#[test]
fn a_step_with_more_changes_than_the_cap_averages_the_rest() {
    let cap = u64::from(ridethrough::engine::MAX_SPANS_PER_STEP);
    let time = TimeGrid::new(Duration::from_hours(24), Duration::from_hours(48)).unwrap();
    let grid = GridParams {
        scheduled_outages: (0..100)
            .map(|i| outage(Duration::from_minutes(10 * i), Duration::from_minutes(5)))
            .collect(),
        ..GridParams::new(Power::mw(50.0))
    };
    let site = Site::new(
        time,
        &grid,
        &simple_battery(20.0, E_MWH, ETA),
        &constant_load(1.0),
    )
    .unwrap();
    let report = site.simulate(Policy::default(), 1).run(&mut ()).report();
    // Spans 1, 3, 5, … are outages; span `cap − 1` is the last settled exactly, and the
    // averaged rest (impaired: the grid is out for part of it) extends the outage open then
    // (`cap` even) or is an outage event of its own (`cap` odd).
    let exact_outages = (cap - 1).div_ceil(2);
    let want = exact_outages + u64::from(cap % 2 == 1);
    assert_eq!(report.grid_outages.len() as u64, want, "cap {cap}");
    // The outages settled exactly are each 5 minutes long; the last runs to the step's end.
    for o in &report.grid_outages[..want as usize - 1] {
        assert_eq!(o.duration, Duration::from_minutes(5));
    }
    let last = report.grid_outages.last().unwrap();
    assert_eq!(last.start + last.duration, Duration::from_hours(24));
    assert_eq!(report.totals.unserved_mwh, 0.0);
}
