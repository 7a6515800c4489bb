//! Snapshots: every snapshot a simulation takes resumes (bit-identically), and a snapshot of
//! another site is refused with [`ConfigError::SnapshotMismatch`], never a panic.
//!
//! The site is the Colossus scenario (168 Megapacks) with unit failures, the case in which an
//! exact comparison of the SoC window refused about one snapshot in five.

use proptest::prelude::*;
use ridethrough::prelude::*;
use std::path::Path;

/// The Colossus scenario with `edit` applied (a `(from, to)` text replacement) and every
/// Megapack failing on its own (MTTF 1 year, MTTR 72 h).
fn colossus(edit: (&str, &str)) -> Study {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios/colossus_150mw.toml");
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(edit.0), "{:?} not in the scenario", edit.0);
    let text = text.replacen(edit.0, edit.1, 1).replace(
        "units = 168",
        "units = 168\nunit_failures = [{ model = \"markov\", mttf = \"8760h\", mttr = \"72h\" }]",
    );
    Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap()
}

fn base() -> Study {
    colossus(("units = 168", "units = 168"))
}

/// Runs `study` to step `at` and returns the snapshot, through JSON as it would be saved.
fn snapshot_at(study: &Study, at: u64) -> SimState<Policy> {
    let mut sim = study.simulate();
    for _ in 0..at {
        sim.step(&mut ());
    }
    let json = serde_json::to_string(&sim.snapshot()).unwrap();
    serde_json::from_str(&json).unwrap()
}

#[test]
fn every_snapshot_of_a_168_unit_site_with_failures_resumes() {
    let study = base();
    let site = study.site();
    let mut sim = study.simulate();
    let mut with_units_down = 0;
    loop {
        let json = serde_json::to_string(&sim.snapshot()).unwrap();
        let snap: SimState<Policy> = serde_json::from_str(&json).unwrap();
        with_units_down += u32::from(site.battery.units_up(&snap.battery) < 168);
        if let Err(e) = Simulation::resume(site, snap) {
            panic!("snapshot at step {} refused: {e}", sim.state().step);
        }
        if sim.step(&mut ()).is_none() {
            break;
        }
    }
    // The case that used to be refused: snapshots with a unit's energy locked.
    assert!(
        with_units_down > 1_000,
        "{with_units_down} snapshots with units down"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn snapshots_with_units_down_resume_bit_identically(at in 0u64..8760) {
        let study = base();
        let site = study.site();
        let whole = study.simulate().set_fast_forward(false).run(&mut ()).report();
        let snap = snapshot_at(&study, at);
        let mut resumed = Simulation::resume(site, snap).unwrap();
        prop_assert_eq!(resumed.set_fast_forward(false).run(&mut ()).report(), whole);
    }
}

/// Asserts that `snap` is refused on `site` with a [`ConfigError::SnapshotMismatch`] naming
/// `want`.
fn assert_mismatch(site: &Site, snap: SimState<Policy>, want: &str) {
    match Simulation::resume(site, snap) {
        Err(ConfigError::SnapshotMismatch { field, why }) => {
            assert_eq!(field, want, "{why}");
        }
        Err(other) => panic!("want SnapshotMismatch on {want}, got {other}"),
        Ok(_) => panic!("a foreign snapshot was accepted ({want})"),
    }
}

#[test]
fn snapshots_of_another_site_are_refused() {
    let study = base();
    let at = 24 * 50; // inside the derate, with units down
    let others = [
        colossus(("units = 168", "units = 167")),
        colossus(("import_limit_mw = 150.0", "import_limit_mw = 151.0")),
        colossus(("horizon = \"365d\"", "horizon = \"364d\"")),
        colossus(("step = \"1h\"", "step = \"30m\"")),
        colossus(("high_mw = 106.0", "high_mw = 106.5")),
    ];
    for other in &others {
        assert_ne!(other.site().fingerprint(), study.site().fingerprint());
        // Both ways round.
        assert_mismatch(
            other.site(),
            snapshot_at(&study, at),
            "snapshot.site_fingerprint",
        );
        assert_mismatch(
            study.site(),
            snapshot_at(other, at),
            "snapshot.site_fingerprint",
        );
    }
    // Another seed or policy on the same site is the same site.
    let reseeded = base().with_seed(99);
    assert_eq!(reseeded.site().fingerprint(), study.site().fingerprint());
    assert!(Simulation::resume(study.site(), snapshot_at(&reseeded, at)).is_ok());
    // A study whose fleet was swapped fingerprints like a site built with that fleet.
    let swapped = base()
        .with_battery(others[0].battery_params().clone())
        .unwrap();
    assert_eq!(swapped.site().fingerprint(), others[0].site().fingerprint());
}

#[test]
fn a_forged_fingerprint_is_caught_by_the_shapes() {
    let study = base();
    let site = study.site();
    let at = 24 * 50;
    let forge = |other: &Study| {
        let mut snap = snapshot_at(other, at);
        snap.site_fingerprint = site.fingerprint();
        snap
    };
    let fewer = colossus(("units = 168", "units = 167"));
    assert_mismatch(site, forge(&fewer), "snapshot.battery.units");
    let plain = Scenario::from_toml_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios/colossus_150mw.toml"),
        )
        .unwrap(),
    )
    .and_then(Scenario::validate)
    .unwrap();
    assert_mismatch(site, forge(&plain), "snapshot.battery.units");
    let with_supply = colossus((
        "[battery]",
        "[[grid.supply_units]]\ncapacity_mw = 200.0\ncount = 2\nprocesses = [{ model = \"markov\", mttf = \"1000h\", mttr = \"10h\" }]\n\n[battery]",
    ));
    assert_mismatch(site, forge(&with_supply), "snapshot.grid.supply_units");
    // A snapshot whose grid state is at another step than its own.
    let mut early = snapshot_at(&study, at);
    early.step += 1;
    assert_mismatch(site, early, "snapshot.grid");
}

#[test]
fn a_snapshot_outside_its_window_is_refused() {
    let study = base();
    let site = study.site();
    let mut snap = snapshot_at(&study, 24 * 50);
    snap.battery.energy = site.battery.capacity() * 1.01;
    assert!(matches!(
        Simulation::resume(site, snap),
        Err(ConfigError::Inconsistent { field, .. }) if field == "snapshot.battery.energy"
    ));
}

#[test]
fn a_forged_fingerprint_with_another_number_of_processes_is_caught() {
    // Same unit counts, another number of processes per unit: a snapshot that indexes by
    // unit × process would run off its arrays; it is refused before anything indexes into it.
    let supply = |processes: &str| {
        colossus((
            "[battery]",
            &format!(
                "[[grid.supply_units]]\ncapacity_mw = 200.0\ncount = 2\nprocesses = [{processes}]\n\n[battery]"
            ),
        ))
    };
    let one = "{ model = \"markov\", mttf = \"1000h\", mttr = \"10h\" }";
    let two = format!("{one}, {{ model = \"markov\", mttf = \"2000h\", mttr = \"5h\" }}");
    let (a, b) = (supply(one), supply(&two));
    let forge = |from: &Study, onto: &Study| {
        let mut snap = snapshot_at(from, 24 * 50);
        snap.site_fingerprint = onto.site().fingerprint();
        snap
    };
    assert_mismatch(b.site(), forge(&a, &b), "snapshot.grid.supply_units");
    assert_mismatch(a.site(), forge(&b, &a), "snapshot.grid.supply_units");
    // The battery's units with two failure processes each against one (`units=168` without
    // spaces, so `colossus` adds no second `unit_failures`).
    let two_failures = colossus((
        "units = 168",
        "units=168\nunit_failures = [{ model = \"markov\", mttf = \"8760h\", mttr = \"72h\" }, { model = \"markov\", mttf = \"20000h\", mttr = \"24h\" }]",
    ));
    assert_mismatch(
        base().site(),
        forge(&two_failures, &base()),
        "snapshot.battery.units",
    );
    assert_mismatch(
        two_failures.site(),
        forge(&base(), &two_failures),
        "snapshot.battery.units",
    );
    // The feed with and without random outages.
    let calm = colossus((
        "[grid.random_outages]\npreset = \"distribution\"\nscale = 0.3\n",
        "",
    ));
    assert_mismatch(
        calm.site(),
        forge(&base(), &calm),
        "snapshot.grid.random_outages",
    );
    assert_mismatch(
        base().site(),
        forge(&calm, &base()),
        "snapshot.grid.random_outages",
    );
}

#[test]
fn the_fingerprint_is_fnv1a_of_the_parameters_json() {
    // The documented definition, computed here from the FNV spec (draft-eastlake-fnv: 64-bit
    // offset basis and prime) rather than by the crate: a fingerprint that silently hashed
    // something else (the Debug text, say) would not be stable across Rust versions.
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    fn fnv1a_from(seed: u64, bytes: &[u8]) -> u64 {
        bytes.iter().fold(seed, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }
    fn fnv1a(bytes: &[u8]) -> u64 {
        fnv1a_from(OFFSET_BASIS, bytes)
    }
    // A part (the backup chain's or the tariff's fingerprint) extends a fingerprint as FNV-1a
    // over its little-endian bytes, seeded with the fingerprint xor the offset basis.
    fn extend(fingerprint: u64, part: u64) -> u64 {
        fnv1a_from(fingerprint ^ OFFSET_BASIS, &part.to_le_bytes())
    }
    let study = base();
    let parts = (
        study.time(),
        study.grid_params(),
        study.battery_params(),
        study.load_params(),
    );
    let json = serde_json::to_vec(&parts).unwrap();
    assert_eq!(study.site().fingerprint(), fnv1a(&json));
    assert_eq!(
        ridethrough::engine::site_fingerprint(parts.0, parts.1, parts.2, parts.3),
        fnv1a(&json)
    );
    // The backup chain's part is FNV-1a of the JSON of `(generators, fuel)`; the tariff's
    // follows it, whatever the order they were added in.
    use ridethrough::components::fuel::FuelParams;
    use ridethrough::components::generators::{GeneratorParams, GeneratorPreset};
    use ridethrough::components::tariff::TariffParams;
    let gens = GeneratorParams::preset(GeneratorPreset::Diesel2500kw, 8);
    let backed = study.site().clone().with_backup(Some(&gens), None).unwrap();
    let chain = fnv1a(&serde_json::to_vec(&(Some(&gens), None::<&FuelParams>)).unwrap());
    assert_eq!(backed.fingerprint(), extend(fnv1a(&json), chain));
    let tariff = TariffParams {
        demand_charge_usd_per_kw_month: 10.0,
        demand_interval: None,
        energy_price_usd_per_mwh: Some(50.0),
        energy_price_trace: None,
    };
    let both = backed.with_tariff(Some(&tariff)).unwrap();
    let priced = both.tariff.as_ref().unwrap().fingerprint();
    assert_eq!(
        both.fingerprint(),
        extend(extend(fnv1a(&json), chain), priced)
    );
    let other_order = study
        .site()
        .clone()
        .with_tariff(Some(&tariff))
        .unwrap()
        .with_backup(Some(&gens), None)
        .unwrap();
    assert_eq!(other_order.fingerprint(), both.fingerprint());
}

/// An edit of a snapshot's JSON.
type Edit = dyn Fn(&mut serde_json::Value);

/// `snap` with `edit` applied to its battery units' JSON (`snapshot.battery.units`).
fn edited(snap: &SimState<Policy>, edit: impl Fn(&mut serde_json::Value)) -> SimState<Policy> {
    let mut v = serde_json::to_value(snap).unwrap();
    edit(&mut v["battery"]["units"]);
    serde_json::from_value(v).unwrap()
}

#[test]
fn a_snapshot_with_one_impossible_unit_field_is_refused() {
    // Each edit breaks one thing only, so a check that needs two broken at once lets it through.
    let study = base();
    let site = study.site();
    let snap = snapshot_at(&study, 24 * 50);
    let held: Vec<bool> = serde_json::from_value(
        serde_json::to_value(&snap).unwrap()["battery"]["units"]["held"].clone(),
    )
    .unwrap();
    let down = held.iter().position(|&h| h).expect("a unit down");
    let up = held.iter().position(|&h| !h).expect("a unit up");
    let pop = |key: &'static str| {
        move |u: &mut serde_json::Value| {
            u[key].as_array_mut().unwrap().pop();
        }
    };
    let cases: Vec<(&str, Box<Edit>)> = vec![
        ("one flag fewer", Box::new(pop("held"))),
        ("one locked slot fewer", Box::new(pop("locked"))),
        (
            "one unit fewer in the set",
            Box::new(|u| {
                u["set"]["down"].as_array_mut().unwrap().pop();
            }),
        ),
        (
            "one next transition fewer in the set",
            Box::new(|u| {
                u["set"]["next"].as_array_mut().unwrap().pop();
            }),
        ),
        (
            "a negative locked slot",
            Box::new(move |u| u["locked"][down] = (-1.0).into()),
        ),
        (
            "a locked slot of an up unit",
            Box::new(move |u| u["locked"][up] = 1.0.into()),
        ),
        (
            "a mean of units up above the count",
            Box::new(|u| u["mean_up"] = 169.0.into()),
        ),
        (
            "a negative mean of units up",
            Box::new(|u| u["mean_up"] = (-1.0).into()),
        ),
    ];
    for (what, edit) in cases {
        match Simulation::resume(site, edited(&snap, edit)) {
            Err(ConfigError::SnapshotMismatch { field, .. }) => {
                assert_eq!(field, "snapshot.battery.units", "{what}");
            }
            Err(other) => panic!("{what}: want SnapshotMismatch, got {other}"),
            Ok(_) => panic!("{what}: accepted"),
        }
    }
    // The unedited snapshot resumes.
    assert!(Simulation::resume(site, edited(&snap, |_| {})).is_ok());
}

#[test]
fn the_window_of_a_snapshot_is_the_window_of_its_own_units() {
    // A window floor above zero, so a floor that is wrong per unit shows.
    let study = colossus(("reserve_soc = 0.2", "reserve_soc = 0.2\nsoc_min = 0.05"));
    let site = study.site();
    let fleet = &site.battery;
    // Every genuine snapshot resumes, with units down or not.
    let mut sim = study.simulate();
    let mut down_seen = 0;
    while !sim.is_finished() {
        let snap: SimState<Policy> =
            serde_json::from_str(&serde_json::to_string(&sim.snapshot()).unwrap()).unwrap();
        down_seen += u32::from(fleet.units_up(&sim.state().battery) < 168);
        if let Err(e) = Simulation::resume(site, snap) {
            panic!("step {}: {e}", sim.state().step);
        }
        for _ in 0..24 {
            sim.step(&mut ());
        }
    }
    assert!(down_seen > 10, "{down_seen} snapshots with units down");

    let snap = snapshot_at(&study, 24 * 50);
    let st = &snap.battery;
    let pooled = f64::from(fleet.units_up(st));
    assert!(pooled < 168.0, "units down at the snapshot");
    let (lo, hi) = fleet.soc_window();
    let capacity = fleet.capacity();
    let unit = capacity * (1.0 / 168.0);
    let slack = capacity * 1e-6;
    let refused = |s: SimState<Policy>, what: &str| {
        assert!(
            matches!(
                Simulation::resume(site, s),
                Err(ConfigError::Inconsistent { ref field, .. }) if field == "snapshot.battery.energy"
            ),
            "{what} was accepted"
        );
    };
    // The pool above the ceiling of the units pooled (below the whole fleet's), and below the
    // floor of the units pooled.
    let mut s = snap.clone();
    s.battery.energy = capacity * (hi.value() * pooled / 168.0) + slack;
    refused(s, "a pool above its units' ceiling");
    let mut s = snap.clone();
    s.battery.energy = capacity * (lo.value() * pooled / 168.0) - slack;
    refused(s, "a pool below its units' floor");
    // A locked slot above one unit's ceiling, or below its floor (the total kept consistent).
    let held: Vec<bool> = serde_json::from_value(
        serde_json::to_value(&snap).unwrap()["battery"]["units"]["held"].clone(),
    )
    .unwrap();
    let j = held.iter().position(|&h| h).unwrap();
    for (slot, what) in [
        (unit * hi.value() + slack, "a slot above one unit's ceiling"),
        (unit * lo.value() - slack, "a slot below one unit's floor"),
    ] {
        let s = edited(&snap, |u| {
            let old = u["locked"][j].as_f64().unwrap();
            u["locked"][j] = slot.value().into();
            let total = u["locked_total"].as_f64().unwrap();
            u["locked_total"] = (total - old + slot.value()).into();
        });
        refused(s, what);
    }
    // The locked total out of step with its slots.
    let s = edited(&snap, |u| {
        let total = u["locked_total"].as_f64().unwrap();
        u["locked_total"] = (total + 1.0).into();
    });
    refused(s, "a locked total that is not the sum of its slots");
}

/// A backup chain makes another site, and the fingerprint depends only on the chain the site
/// ends up with: adding one chain over another, removing it, or swapping the fleet under it
/// gives the fingerprint of the site built with the result directly.
#[test]
fn a_backup_chain_makes_another_site_whatever_the_path_to_it() {
    use ridethrough::components::generators::{GeneratorParams, GeneratorPreset};
    let study = base();
    let plain = study.site().clone();
    let sets = |n| GeneratorParams::preset(GeneratorPreset::Diesel2500kw, n);
    let eight = plain.clone().with_backup(Some(&sets(8)), None).unwrap();
    let nine = plain.clone().with_backup(Some(&sets(9)), None).unwrap();
    assert_ne!(eight.fingerprint(), plain.fingerprint());
    assert_ne!(nine.fingerprint(), eight.fingerprint());
    // Replacing the chain, or removing it, leaves no trace of the old one.
    let replaced = eight.clone().with_backup(Some(&sets(9)), None).unwrap();
    assert_eq!(replaced.fingerprint(), nine.fingerprint());
    let removed = eight.clone().with_backup(None, None).unwrap();
    assert_eq!(removed.fingerprint(), plain.fingerprint());
    // Through the study: a fleet swapped under a chain keeps the chain in the fingerprint.
    let backed = base().with_backup(Some(sets(8)), None).unwrap();
    assert_eq!(backed.site().fingerprint(), eight.fingerprint());
    let other = colossus(("units = 168", "units = 167"));
    let swapped = backed
        .clone()
        .with_battery(other.battery_params().clone())
        .unwrap();
    let direct = other.with_backup(Some(sets(8)), None).unwrap();
    assert_eq!(swapped.site().fingerprint(), direct.site().fingerprint());
    // Snapshots do not cross between the sites, either way round.
    let at = 24 * 50;
    assert_mismatch(
        backed.site(),
        snapshot_at(&study, at),
        "snapshot.site_fingerprint",
    );
    assert_mismatch(
        study.site(),
        snapshot_at(&backed, at),
        "snapshot.site_fingerprint",
    );
}
