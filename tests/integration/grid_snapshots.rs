//! Snapshots of the grid's own state: every snapshot of a grid with supply units (with and
//! without random outages of the feed) resumes, the accessors agree with the state a snapshot
//! carries, and a snapshot with one grid field forged is refused by name.

use ridethrough::prelude::*;
use std::path::Path;

/// The Colossus scenario with two supply-unit entries (2 × 120 MW and 3 × 40 MW, each unit
/// failing on its own every ~300 h for ~20 h), with or without the feed's random outages.
fn site(random_outages: bool) -> Study {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios/colossus_150mw.toml");
    let mut text = std::fs::read_to_string(path).unwrap();
    let feed = "[grid.random_outages]\npreset = \"distribution\"\nscale = 0.3\n";
    assert!(text.contains(feed), "the scenario's feed changed");
    if !random_outages {
        text = text.replacen(feed, "", 1);
    }
    let units = "[[grid.supply_units]]\ncapacity_mw = 120.0\ncount = 2\n\
                 processes = [{ model = \"markov\", mttf = \"300h\", mttr = \"20h\" }]\n\n\
                 [[grid.supply_units]]\ncapacity_mw = 40.0\ncount = 3\n\
                 processes = [{ model = \"markov\", mttf = \"300h\", mttr = \"20h\" }]\n\n[battery]";
    let text = text.replacen("[battery]", units, 1);
    Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap()
}

/// The per-unit down flags of a snapshot's supply units, read from its JSON (entry by entry,
/// expanded in order).
fn down_flags(snap: &serde_json::Value) -> Vec<bool> {
    snap["grid"]["units"]["sets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|set| {
            set["down"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_bool().unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Walks a whole year step by step: every snapshot resumes, and the grid's accessors agree with
/// the unit flags the snapshot carries. Returns how many snapshots had a unit down.
fn every_snapshot_resumes(study: &Study) -> u32 {
    let site = study.site();
    let capacities = [120.0, 120.0, 40.0, 40.0, 40.0];
    let mut sim = study.simulate();
    let mut with_unit_down = 0;
    loop {
        let json = serde_json::to_value(sim.snapshot()).unwrap();
        let down = down_flags(&json);
        assert_eq!(down.len(), 5);
        let grid = &sim.state().grid;
        for (j, &d) in down.iter().enumerate() {
            assert_eq!(grid.unit_down(j), Some(d), "unit {j}");
        }
        assert_eq!(grid.unit_down(5), None);
        let up: f64 = capacities
            .iter()
            .zip(&down)
            .filter(|(_, &d)| !d)
            .map(|(c, _)| c)
            .sum();
        assert!(
            (grid.up_capacity().value() - up).abs() < 1e-9,
            "step {}: up capacity {} against {up} from the flags",
            sim.state().step,
            grid.up_capacity().value()
        );
        with_unit_down += u32::from(down.iter().any(|&d| d));
        let snap: SimState<Policy> = serde_json::from_value(json).unwrap();
        if let Err(e) = Simulation::resume(site, snap) {
            panic!("snapshot at step {} refused: {e}", sim.state().step);
        }
        if sim.step(&mut ()).is_none() {
            break;
        }
    }
    with_unit_down
}

#[test]
fn every_snapshot_of_a_grid_with_supply_units_resumes() {
    for random_outages in [true, false] {
        let down = every_snapshot_resumes(&site(random_outages));
        assert!(down > 500, "{down} snapshots with a supply unit down");
    }
}

/// Asserts that `snap` is refused with a [`ConfigError::SnapshotMismatch`] naming `want`.
fn refused(site: &Site, snap: serde_json::Value, want: &str, what: &str) {
    let snap: SimState<Policy> = serde_json::from_value(snap).unwrap();
    match Simulation::resume(site, snap) {
        Err(ConfigError::SnapshotMismatch { field, .. }) => assert_eq!(field, want, "{what}"),
        Err(other) => panic!("{what}: want SnapshotMismatch, got {other}"),
        Ok(_) => panic!("{what}: accepted"),
    }
}

/// The snapshot of `study` after `at` steps, as JSON.
fn snapshot_json(study: &Study, at: u64) -> serde_json::Value {
    let mut sim = study.simulate();
    for _ in 0..at {
        sim.step(&mut ());
    }
    serde_json::to_value(sim.snapshot()).unwrap()
}

#[test]
fn a_snapshot_with_one_grid_field_forged_is_refused() {
    // Each edit breaks one field only, so a check that needs two broken at once lets it through.
    let study = site(true);
    let site = study.site();
    // Inside the 48 h derate (45 d + 12 h), where the scheduled window is the current one.
    let at = 45 * 24 + 12;
    let snap = snapshot_json(&study, at);
    assert!(
        Simulation::<Policy>::resume(site, serde_json::from_value(snap.clone()).unwrap()).is_ok(),
        "the genuine snapshot resumes"
    );
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut s = snap.clone();
        f(&mut s["grid"]);
        s
    };
    const UNITS: &str = "snapshot.grid.supply_units";
    let capacity = snap["grid"]["units"]["up_capacity"].as_f64().unwrap();
    refused(
        site,
        edit(&|g| g["units"]["up_capacity"] = (capacity + 1.0).into()),
        UNITS,
        "1 MW more capacity up",
    );
    refused(
        site,
        edit(&|g| g["units"]["up_capacity"] = (capacity - 1.0).into()),
        UNITS,
        "1 MW less capacity up",
    );
    let next = snap["grid"]["units"]["next_event"].as_u64().unwrap();
    refused(
        site,
        edit(&|g| g["units"]["next_event"] = (next - 1).into()),
        UNITS,
        "a unit event 1 ms early",
    );
    let level = snap["grid"]["now"]["level"].as_f64().unwrap();
    assert!(level < 1.0, "the snapshot lies inside the derate");
    refused(
        site,
        edit(&|g| g["now"]["level"] = 1.0.into()),
        "snapshot.grid",
        "the feed fully up inside the derate",
    );
    refused(
        site,
        edit(&|g| g["window"] = 1.into()),
        "snapshot.grid",
        "the window after the current one",
    );
    // After the derate, a snapshot that still points at its window is refused, also at the
    // millisecond the window ends.
    let end = 45 * 24 + 48;
    for at in [end, end + 1] {
        let snap = snapshot_json(&study, at);
        assert_eq!(snap["grid"]["window"], 1, "past the only window");
        let mut s = snap.clone();
        s["grid"]["window"] = 0.into();
        refused(site, s, "snapshot.grid", "a window that has ended");
    }
}

#[test]
fn a_snapshot_with_feed_outages_is_refused_by_a_grid_without_them() {
    let (with, without) = (site(true), site(false));
    let mut snap = snapshot_json(&with, 24 * 100);
    snap["site_fingerprint"] = without.site().fingerprint().into();
    refused(
        without.site(),
        snap,
        "snapshot.grid.random_outages",
        "a feed state on a grid without random outages",
    );
    // And the other way round.
    let mut snap = snapshot_json(&without, 24 * 100);
    snap["site_fingerprint"] = with.site().fingerprint().into();
    let snap: SimState<Policy> = serde_json::from_value(snap).unwrap();
    assert!(matches!(
        Simulation::resume(with.site(), snap),
        Err(ConfigError::SnapshotMismatch { field, .. }) if field == "snapshot.grid.random_outages"
    ));
}
