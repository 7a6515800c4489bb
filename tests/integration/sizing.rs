//! Sizing with the backup chain (issue 11): generator sets against closed forms (⌈L/R⌉ sets that
//! never fail; the binomial tail of sets that fail to start), the transfer-drop target against
//! the battery's power, fuel-outs against the tank, the two-dimensional table against the
//! one-dimensional search, and the charts of a search and a table as SVG and PNG (feature
//! `plots`).

use ridethrough::prelude::*;
use ridethrough::studies::montecarlo::McConfig;
use ridethrough::studies::sizing::{
    self, Answer, Dimension, Evaluation, Search, Sizing, SizingConfig, Target,
};

/// A year (or `horizon`) at hourly steps: 8 MW of IT × PUE 1.25 = 10 MW constant, a 30 MW
/// feed with `outages` (start hour, hours) and optionally the distribution feed's random
/// outages; `units` lossless custom battery units of `unit_mw` and `unit_mwh` with no auxiliary
/// load; `sets` generator sets of `rating_mw` that fail each start with probability `fail`
/// (no retries), never while running, with no minimum loading; `fuel` an optional
/// `[fuel]` table.
struct Site<'a> {
    horizon: &'a str,
    outages: &'a [(u32, u32)],
    random: bool,
    units: u32,
    unit_mw: f64,
    unit_mwh: f64,
    sets: u32,
    rating_mw: f64,
    fail: f64,
    fuel: &'a str,
}

impl Default for Site<'_> {
    fn default() -> Self {
        Site {
            horizon: "7d",
            outages: &[(48, 5)],
            random: false,
            units: 4,
            unit_mw: 3.0,
            unit_mwh: 1.0,
            sets: 1,
            rating_mw: 2.5,
            fail: 0.0,
            fuel: "",
        }
    }
}

impl Site<'_> {
    fn study(&self) -> Study {
        let mut t = format!(
            "seed = 5\n[time]\nstep = \"1h\"\nhorizon = \"{}\"\n[grid]\nimport_limit_mw = 30.0\n",
            self.horizon
        );
        for (start, hours) in self.outages {
            t += &format!(
                "[[grid.scheduled_outages]]\nstart = \"{start}h\"\nduration = \"{hours}h\"\n"
            );
        }
        if self.random {
            t += "[grid.random_outages]\npreset = \"distribution\"\n";
        }
        t += &format!(
            "[battery]\nunits = {}\npower_mw = {:?}\nenergy_mwh = {:?}\n\
             round_trip_efficiency = 1.0\naux_load_mw = 0.0\n\
             [load]\npue = 1.25\n[[load.it]]\nkind = \"constant\"\nit_mw = 8.0\n\
             [generators]\ncount = {}\nrating_mw = {:?}\nfail_to_start = {:?}\n\
             failures_per_running_hour = 0.0\nmin_loading = 0.0\nfuel_l_per_mwh = 250.0\n{}",
            self.units,
            self.unit_mw,
            self.unit_mwh,
            self.sets,
            self.rating_mw,
            self.fail,
            self.fuel
        );
        Scenario::from_toml_str(&t)
            .and_then(Scenario::validate)
            .unwrap_or_else(|e| panic!("{e}\n{t}"))
    }
}

/// The load of every test site, MW.
const LOAD_MW: f64 = 10.0;

#[test]
fn sets_that_never_fail_are_sized_to_the_load_over_their_rating() {
    // Four units of 3 MW and 0.01 MWh bridge the 10 s start at 10 MW (0.028 MWh) and hold
    // 0.012 MWh more: any shortfall of the sets over the 5-hour outage (at least 0.1 MW here,
    // 0.5 MWh) loses load. The answer is ⌈L/R⌉ (a rating that divides the load exactly
    // included: 4 × 2.5 MW carry 10 MW).
    for rating in [2.5, 3.0, 1.1, 5.0, 10.0, 12.0, 0.7] {
        let study = Site {
            rating_mw: rating,
            unit_mwh: 0.01,
            ..Site::default()
        }
        .study();
        let cfg = SizingConfig::new(Target::Lole { max_hours: 0.5 }, 0, 40, McConfig::new(2, 1))
            .with_over(Dimension::GeneratorSets);
        let s = sizing::size(&study, &cfg, &|_| {}).unwrap();
        // No sets lose the outage, so the answer is never at the lower bound.
        let need = (LOAD_MW / rating).ceil() as u32;
        assert_eq!(
            s.answer,
            Answer::Smallest { units: need },
            "rating {rating} MW: {:?}",
            s.by_units()
        );
        assert!(s.violations.is_empty());
    }
}

/// P(X ≥ m) for X ~ Binomial(k, p).
fn binomial_tail(k: u32, p: f64, m: u32) -> f64 {
    let mut total = 0.0;
    for i in m..=k {
        let mut c = 1.0;
        for j in 0..i {
            c *= f64::from(k - j) / f64::from(j + 1);
        }
        total += c * p.powi(i as i32) * (1.0 - p).powi((k - i) as i32);
    }
    total
}

#[test]
fn sets_that_fail_to_start_survive_as_the_binomial_tail() {
    // 10 MW from sets of 2.5 MW: 4 must start. Each fails its one start attempt with
    // probability 0.1, independently, and never fails while running; the battery (4 units of
    // 3 MW, 0.25 MWh each: 1 MWh) bridges the start but covers a missing set's 2.5 MW for only
    // 0.4 h of a 4-hour outage. So P(ride through 4 h | k sets) = P(Bin(k, 0.9) ≥ 4). The sweep
    // starts an outage at each of the year's 8760 hours and reseeds the sets per start, so the
    // starts are independent draws: SE = √(p(1 − p)/8760).
    let study = Site {
        horizon: "365d",
        outages: &[],
        unit_mwh: 0.25,
        fail: 0.1,
        ..Site::default()
    }
    .study();
    let target = Target::Survival {
        outage: Duration::from_hours(4),
        min_probability: 0.95,
    };
    let cfg =
        SizingConfig::new(target, 0, 12, McConfig::new(1, 9)).with_over(Dimension::GeneratorSets);
    let s = sizing::size(&study, &cfg, &|_| {}).unwrap();
    let starts = 8760.0;
    for e in &s.evaluations {
        let p = binomial_tail(e.units, 0.9, 4);
        let se = (p * (1.0 - p) / starts).sqrt();
        assert_eq!(e.estimate.n, 8760);
        assert!(
            (e.estimate.mean - p).abs() <= 3.0 * se.max(1.0 / starts),
            "{} sets: {} against the binomial tail {p} (SE {se})",
            e.units,
            e.estimate.mean
        );
    }
    // 5 sets: 0.9185; 6 sets: 0.9842 (its limit ≈ 0.982 ≥ 0.95).
    assert_eq!(s.answer, Answer::Smallest { units: 6 });
    assert!(s.violations.is_empty(), "{:?}", s.violations);
}

#[test]
fn load_is_dropped_in_transfer_iff_the_battery_power_is_below_the_load() {
    // Sets that carry the 10 MW once started; in the 10 s gap only the battery does. With the
    // distribution feed's random outages on top of the scheduled one, every sample has at
    // least one transfer. P(drop) is 1 when units × P < 10 MW and 0 otherwise, so the fewest
    // units meeting P ≤ 0.1 are ⌈10 / P⌉.
    for unit_mw in [1.0, 2.0, 3.0, 4.5] {
        let study = Site {
            random: true,
            unit_mw,
            sets: 4,
            ..Site::default()
        }
        .study();
        let drop = Target::TransferDrop {
            max_probability: 0.1,
        };
        let s = sizing::size(
            &study,
            &SizingConfig::new(drop, 0, 30, McConfig::new(64, 2)),
            &|_| {},
        );
        // 0 units: nothing bridges; the search range starts there.
        let s = s.unwrap();
        let need = (LOAD_MW / unit_mw).ceil() as u32;
        assert_eq!(s.answer, Answer::Smallest { units: need }, "{unit_mw} MW");
        for e in &s.evaluations {
            let expected = if f64::from(e.units) * unit_mw < LOAD_MW {
                1.0
            } else {
                0.0
            };
            assert_eq!(
                e.estimate.mean, expected,
                "{} units of {unit_mw} MW",
                e.units
            );
        }
    }
}

#[test]
fn fuel_runs_out_when_the_outage_outlasts_the_tank() {
    // 10 MW at 250 L/MWh with no idle flow: 2500 L/h. A 10,000 L tank lasts 4 h of the 5-hour
    // outage (one fuel-out per sample); 15,000 L last 6 h (none).
    let outs = Target::FuelOuts {
        max_per_sample: 0.5,
    };
    for (litres, expected) in [(10_000.0, 1.0), (15_000.0, 0.0)] {
        let study = Site {
            sets: 4,
            fuel: &format!("[fuel]\ncapacity_l = {litres:?}\n"),
            ..Site::default()
        }
        .study();
        // Over the battery's units, or over the sets (each count keeps the `[fuel]` table).
        for over in [Dimension::BatteryUnits, Dimension::GeneratorSets] {
            let cfg = SizingConfig::new(outs, 4, 4, McConfig::new(8, 1)).with_over(over);
            let e = sizing::evaluate(&study, &cfg, 4, &|_| {}).unwrap();
            assert_eq!(e.estimate.mean, expected, "{litres} L over {over:?}");
            // 0 of 8 samples bounds the rate only to 3/8 per sample, within the 0.5 asked.
            assert_eq!(e.met, expected == 0.0);
        }
    }
}

#[test]
fn the_table_agrees_with_the_one_dimensional_search_at_each_count() {
    // Start failures make the rows noisy; the common random numbers keep each row's search
    // exactly what sizing the scenario with that many sets gives.
    let site = Site {
        horizon: "28d",
        outages: &[(48, 5), (300, 8)],
        random: true,
        unit_mwh: 4.0,
        fail: 0.2,
        ..Site::default()
    };
    let study = site.study();
    let cfg = SizingConfig::new(Target::Eue { max_mwh: 2.0 }, 0, 30, McConfig::new(48, 4));
    let table = sizing::table(&study, &cfg, 0, 5, &|_| {}).unwrap();
    assert_eq!(table.rows.len(), 6);
    for row in &table.rows {
        let alone = Site {
            sets: row.sets,
            ..site
        }
        .study();
        let s = sizing::size(&alone, &cfg, &|_| {}).unwrap();
        assert_eq!(row.sizing, s, "{} sets", row.sets);
    }
    // Five sets of 2.5 MW carry the load even with one failed start; none need at least the
    // battery that carries the 13 h of outages alone.
    let need = |sets| table.row(sets).unwrap().sizing.answer.units().unwrap();
    assert!(need(0) >= need(5));
    assert!(table.violations.is_empty(), "{:?}", table.violations);
}

/// Two sizings to draw: a bisection of LOLE over battery units and a scan of survival over
/// generator sets, and a table.
fn drawn() -> (Sizing, Sizing, sizing::SizingTable) {
    let study = Site {
        random: true,
        horizon: "28d",
        unit_mwh: 4.0,
        ..Site::default()
    }
    .study();
    let lole = SizingConfig::new(Target::Lole { max_hours: 0.5 }, 0, 40, McConfig::new(32, 3));
    let bisection = sizing::size(&study, &lole, &|_| {}).unwrap();
    let survive = Target::Survival {
        outage: Duration::from_hours(4),
        min_probability: 0.9,
    };
    let scan = sizing::size(
        &Site {
            fail: 0.1,
            unit_mwh: 0.25,
            horizon: "28d",
            ..Site::default()
        }
        .study(),
        &SizingConfig::new(survive, 0, 8, McConfig::new(1, 3))
            .with_over(Dimension::GeneratorSets)
            .with_search(Search::Scan),
        &|_| {},
    )
    .unwrap();
    assert_eq!(scan.evaluations.len(), 9);
    let table = sizing::table(&study, &lole, 0, 4, &|_| {}).unwrap();
    (bisection, scan, table)
}

#[cfg(feature = "plots")]
fn out_dir(test: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("sizing")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[cfg(feature = "plots")]
/// The text nodes of an SVG file, parsed as XML.
fn svg_text(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{} is not XML: {e}", path.display()));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(feature = "plots")]
/// A pixel this dark is text or an axis.
const DARK: u8 = 64;

#[cfg(feature = "plots")]
/// Checks a PNG: 1200 × 800 RGB, many colours, a title drawn in its top 50 rows.
fn check_png(path: &std::path::Path) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1200, 800));
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let pixels = &buf[..info.buffer_size()];
    let mut colours: Vec<&[u8]> = pixels.chunks_exact(3).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 10, "only {} colours", colours.len());
    let stride = 3 * info.width as usize;
    let dark = pixels[..50 * stride]
        .chunks_exact(3)
        .filter(|p| p.iter().all(|&c| c < DARK))
        .count();
    assert!(dark > 200, "no title drawn ({dark} dark pixels)");
}

#[cfg(feature = "plots")]
#[test]
fn the_charts_render_to_svg_and_png_with_title_axes_and_legend() {
    let (bisection, scan, table) = drawn();
    let dir = out_dir("charts");
    let answer = bisection.answer.units().unwrap();
    let scan_answer = scan.answer.units().unwrap();
    let cases: [(&str, Vec<String>); 3] = [
        (
            "search",
            vec![
                "LOLE against battery units: target LOLE ≤ 0.5 h per sample".into(),
                "battery units".into(),
                "LOLE (h per sample)".into(),
                "estimate ± 1.96·SE (95 %), 32 samples per size".into(),
                "meets the target at the one-sided 95 % level".into(),
                "one-sided 95 % limit, compared with the target".into(),
                "target: LOLE ≤ 0.5 h per sample".into(),
                format!("answer: {answer} battery units"),
            ],
        ),
        (
            "scan",
            vec![
                "P(ride through 4h) against generator sets".into(),
                "generator sets".into(),
                "P(ride through 4h) (% of starts)".into(),
                "672 starts per size".into(),
                "target: P(ride through 4h) ≥ 90 % of starts".into(),
                format!("answer: {scan_answer} generator sets"),
            ],
        ),
        (
            "table",
            vec![
                "LOLE against battery units with 0–4 generator sets".into(),
                "battery units".into(),
                "LOLE (h per sample)".into(),
                format!(
                    "0 sets: {} units",
                    table.rows[0].sizing.answer.units().unwrap()
                ),
                "target: LOLE ≤ 0.5 h per sample".into(),
            ],
        ),
    ];
    for (name, texts) in cases {
        for ext in ["svg", "png"] {
            let path = dir.join(format!("{name}.{ext}"));
            match name {
                "search" => ridethrough::plot::sizing(&bisection, &path),
                "scan" => ridethrough::plot::sizing(&scan, &path),
                _ => ridethrough::plot::sizing_table(&table, &path),
            }
            .unwrap_or_else(|e| panic!("{name}.{ext}: {e}"));
            if ext == "svg" {
                let text = svg_text(&path);
                for want in &texts {
                    assert!(
                        text.contains(want.as_str()),
                        "{name}: no {want:?} in\n{text}"
                    );
                }
            } else {
                check_png(&path);
            }
        }
    }
    // In memory, as the HTML report would inline it.
    let svg = ridethrough::plot::sizing_table_svg(&table).unwrap();
    assert!(roxmltree::Document::parse(&svg).is_ok());
}

#[cfg(feature = "plots")]
#[test]
fn charts_of_nothing_and_bad_paths_are_typed_errors() {
    let (mut bisection, _, mut table) = drawn();
    let dir = out_dir("errors");
    assert!(matches!(
        ridethrough::plot::sizing(&bisection, dir.join("a.jpg")),
        Err(ridethrough::plot::PlotError::UnsupportedFormat { .. })
    ));
    bisection.evaluations.clear();
    assert!(matches!(
        ridethrough::plot::sizing(&bisection, dir.join("a.svg")),
        Err(ridethrough::plot::PlotError::Empty { .. })
    ));
    table.rows.clear();
    assert!(matches!(
        ridethrough::plot::sizing_table(&table, dir.join("a.png")),
        Err(ridethrough::plot::PlotError::Empty { .. })
    ));
    assert!(std::fs::read_dir(&dir).unwrap().next().is_none());
}

/// An evaluation's estimate is the index at that size whatever the search: a scan and a
/// bisection agree where both evaluated.
#[test]
fn a_scan_and_a_bisection_agree_where_both_evaluated() {
    let (bisection, _, _) = drawn();
    let study = Site {
        random: true,
        horizon: "28d",
        unit_mwh: 4.0,
        ..Site::default()
    }
    .study();
    let cfg = SizingConfig::new(Target::Lole { max_hours: 0.5 }, 0, 40, McConfig::new(32, 3))
        .with_search(Search::Scan);
    let scan = sizing::size(&study, &cfg, &|_| {}).unwrap();
    assert_eq!(scan.answer, bisection.answer);
    for e in &bisection.evaluations {
        let at: &Evaluation = scan.at(e.units).unwrap();
        assert_eq!(at, e);
    }
}

/// Common random numbers across fleet sizes: set j's start attempts, running failures and
/// repairs come from its own streams, so sets 0..3 of a 7-set fleet live exactly the lives of a
/// 3-set fleet's sets through demands, failures, repairs and restarts.
#[test]
fn a_larger_fleet_holds_the_smaller_ones_sets_with_the_same_histories() {
    use ridethrough::components::generators::GeneratorParams;
    let fleet = |count| {
        let params: GeneratorParams = toml::from_str(&format!(
            "count = {count}\nrating_mw = 2.0\nfail_to_start = 0.3\nstart_retries = 1\n\
             failures_per_running_hour = 0.5\nfuel_l_per_mwh = 250.0\n\
             repair = {{ law = \"exponential\", mean = \"3h\" }}\n"
        ))
        .unwrap();
        params.validate().unwrap()
    };
    let (small, large) = (fleet(3), fleet(7));
    for seed in [1, 2, 3, 2023] {
        let (mut s, mut l) = (small.initial_state(seed), large.initial_state(seed));
        let hour = Duration::from_hours(1).as_millis();
        small.start_all(&mut s, 0);
        large.start_all(&mut l, 0);
        for h in 1..=48 {
            let t = h * hour;
            small.advance_to(&mut s, t);
            large.advance_to(&mut l, t);
            for j in 0..3 {
                assert_eq!(s.status(j), l.status(j), "seed {seed}, set {j}, hour {h}");
            }
            // Every 6 hours the outage ends and a new one demands every set that is off.
            if h % 6 == 0 {
                small.stop_all(&mut s, t);
                large.stop_all(&mut l, t);
                small.start_all(&mut s, t);
                large.start_all(&mut l, t);
            }
        }
    }
}
