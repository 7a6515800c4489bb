//! `ridethrough size` with the backup chain: `--over generators`, the `--generators A:B` table,
//! the `--transfer-drop` and `--fuel-outs` targets, `--scan` and `--plot`, and their bad values
//! and misfits (exit 2, naming the flag, the value and the range).

use super::{
    args, assert_ok, assert_usage_error, ridethrough, scenarios, stderr, stdout, temp_dir, tiny,
};
use std::path::PathBuf;

/// The bundled backup-chain scenario (six 2.5 MW sets, 16 Megapacks, a 100 m³ tank).
fn backup_chain() -> PathBuf {
    scenarios().join("austin_backup_chain.toml")
}

#[test]
fn bad_sizing_values_fail_naming_flag_value_and_range() {
    let chain = backup_chain();
    let chain = chain.to_str().unwrap();
    for (extra, message) in [
        (
            &["--generators", "4:0"][..],
            "--generators = 4:0 is out of range: allowed 0 ≤ A ≤ B ≤ 10000",
        ),
        (
            &["--generators", "0:10001"],
            "--generators = 0:10001 is out of range: allowed 0 ≤ A ≤ B ≤ 10000",
        ),
        (
            &["--generators", "two:four"],
            "--generators = two:four is not A:B (generator sets from A to B, e.g. 0:4)",
        ),
        (
            &["--over", "generators", "--max-sets", "20000"],
            "--max-sets = 20000 is out of range: allowed 0 ≤ x ≤ 10000",
        ),
        (
            &["--over", "generators", "--min-sets", "-1"],
            "--min-sets = -1 is out of range: allowed 0 ≤ x ≤ 10000",
        ),
        (
            &["--over", "generators", "--min-sets", "1.5"],
            "--min-sets = 1.5 is not a whole number",
        ),
        (
            &["--plot", "chart.jpg"],
            "--plot = chart.jpg is not a file name ending in .svg or .png",
        ),
    ] {
        let out = ridethrough(
            [
                "size",
                chain,
                "--step",
                "1h",
                "--lole",
                "1",
                "--samples",
                "8",
            ]
            .iter()
            .chain(extra),
        );
        assert_usage_error(&out, message);
    }
    for (target, message) in [
        (
            &["--transfer-drop", "1"][..],
            "--transfer-drop = 1 is out of range: allowed 0 < x < 1",
        ),
        (
            &["--transfer-drop", "0"],
            "--transfer-drop = 0 is out of range: allowed 0 < x < 1",
        ),
        (
            &["--transfer-drop", "-0.2"],
            "--transfer-drop = -0.2 is out of range: allowed 0 < x < 1",
        ),
        (
            &["--fuel-outs", "0"],
            "--fuel-outs = 0 is out of range: allowed a finite number > 0",
        ),
        (
            &["--fuel-outs", "NaN"],
            "--fuel-outs = NaN is out of range: allowed a finite number > 0",
        ),
    ] {
        let out = ridethrough(["size", chain, "--samples", "8"].iter().chain(target));
        assert_usage_error(&out, message);
    }
    // An unknown dimension is clap's own refusal, naming the flag and the values it takes.
    let out = ridethrough(["size", "--lole", "1", "--samples", "8", "--over", "tanks"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--over"), "{}", stderr(&out));
    assert!(stderr(&out).contains("generators"), "{}", stderr(&out));
}

#[test]
fn sizing_flags_that_do_not_fit_fail_naming_the_flag() {
    let chain = backup_chain();
    let chain = chain.to_str().unwrap();
    // The backup chain without its [fuel] table: sets that never run dry.
    let dir = temp_dir("size_misfits");
    let text = std::fs::read_to_string(backup_chain()).unwrap();
    let no_fuel = dir.join("no_fuel.toml");
    std::fs::write(&no_fuel, &text[..text.find("[fuel]").unwrap()]).unwrap();
    let no_fuel = no_fuel.to_str().unwrap();
    for (argv, message) in [
        (
            &[
                "size",
                chain,
                "--lole",
                "1",
                "--samples",
                "8",
                "--over",
                "generators",
                "--min-units",
                "3",
            ][..],
            "--min-units cannot be used with --over generators",
        ),
        (
            &[
                "size",
                chain,
                "--lole",
                "1",
                "--samples",
                "8",
                "--max-sets",
                "3",
            ],
            "--min-sets cannot be used with --over units",
        ),
        (
            &[
                "size",
                chain,
                "--lole",
                "1",
                "--samples",
                "8",
                "--generators",
                "0:3",
                "--over",
                "generators",
            ],
            "--generators cannot be used with --over generators",
        ),
        (
            &[
                "size",
                chain,
                "--lole",
                "1",
                "--samples",
                "8",
                "--generators",
                "0:3",
                "--min-sets",
                "1",
            ],
            "--min-sets cannot be used with --generators",
        ),
        (
            &[
                "size",
                chain,
                "--lole",
                "1",
                "--samples",
                "8",
                "--over",
                "generators",
                "--min-sets",
                "5",
                "--max-sets",
                "2",
            ],
            "--min-sets cannot be used with a smaller --max-sets",
        ),
        (
            &[
                "size",
                chain,
                "--transfer-drop",
                "0.1",
                "--samples",
                "8",
                "--generators",
                "0:3",
            ],
            "--generators 0:… cannot be used with --transfer-drop",
        ),
        (
            &[
                "size",
                chain,
                "--fuel-outs",
                "0.1",
                "--samples",
                "8",
                "--over",
                "generators",
                "--min-sets",
                "0",
            ],
            "--min-sets 0 cannot be used with --fuel-outs",
        ),
        (
            &["size", chain, "--transfer-drop", "0.1"],
            "--transfer-drop needs --samples",
        ),
        (
            &[
                "size",
                "--step",
                "1h",
                "--lole",
                "1",
                "--samples",
                "8",
                "--over",
                "generators",
            ],
            "--over generators cannot be used with a scenario without [generators]",
        ),
        (
            &[
                "size",
                "--step",
                "1h",
                "--lole",
                "1",
                "--samples",
                "8",
                "--generators",
                "0:2",
            ],
            "--generators cannot be used with a scenario without [generators]",
        ),
        (
            &[
                "size",
                "--step",
                "1h",
                "--transfer-drop",
                "0.1",
                "--samples",
                "8",
            ],
            "--transfer-drop cannot be used with a scenario without generator sets",
        ),
        (
            &[
                "size",
                no_fuel,
                "--step",
                "1h",
                "--fuel-outs",
                "0.1",
                "--samples",
                "8",
            ],
            "--fuel-outs cannot be used with a scenario without [fuel]",
        ),
    ] {
        let out = ridethrough(argv);
        assert_usage_error(&out, message);
        assert!(stdout(&out).is_empty(), "nothing ran: {}", stdout(&out));
    }
}

#[test]
fn the_transfer_drop_target_sizes_the_bridge_and_draws_it() {
    // At hourly steps the training cluster draws ≈ 12.4 MW in every hour; a Megapack 2 XL
    // 4-hour unit gives 0.979 MW. 12 units (11.7 MW) drop load at every transfer, 13 (12.7 MW)
    // never: ⌈12.4 / 0.979⌉ = 13.
    let dir = temp_dir("size_transfer_drop");
    let (svg, json) = (dir.join("drop.svg"), dir.join("drop.json"));
    let out = ridethrough(
        args(
            &[
                "size",
                "SCENARIO",
                "--step",
                "1h",
                "--transfer-drop",
                "0.05",
                "--samples",
                "200",
                "--min-units",
                "0",
                "--max-units",
                "40",
            ],
            &backup_chain(),
        )
        .into_iter()
        .chain([
            "--plot".as_ref(),
            svg.as_os_str(),
            "--json".as_ref(),
            json.as_os_str(),
        ]),
    );
    assert_ok(&out);
    let text = stdout(&out);
    assert!(
        text.contains("Battery sizing: P(load dropped in transfer) ≤ 0.05 per sample"),
        "{text}"
    );
    assert!(text.contains("the one-sided Wilson bound"), "{text}");
    assert!(text.contains("answer: 13 units"), "{text}");
    assert!(
        text.contains("12 units do not meet the target (1.0000 ± 0.0000"),
        "{text}"
    );
    assert!(text.contains("chart written to"), "{text}");
    // An SVG document with the chart's title (the library's tests parse the charts as XML).
    let chart = std::fs::read_to_string(&svg).unwrap();
    assert!(chart.trim_start().starts_with("<svg") && chart.trim_end().ends_with("</svg>"));
    assert!(chart.contains("P(load dropped in transfer) against battery units"));
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(result["answer"]["kind"], "smallest");
    assert_eq!(result["answer"]["units"], 13);
    assert_eq!(result["over"], "battery_units");
    assert_eq!(result["target"]["kind"], "transfer_drop");
}

#[test]
fn generator_sets_are_sized_and_tabled() {
    let chain = backup_chain();
    // The sets carry what the 16 Megapacks cannot: 4 sets leave EUE above 150 MWh a year.
    let out = ridethrough(args(
        &[
            "size",
            "SCENARIO",
            "--step",
            "1h",
            "--eue",
            "150",
            "--samples",
            "200",
            "--over",
            "generators",
            "--max-sets",
            "8",
        ],
        &chain,
    ));
    assert_ok(&out);
    let text = stdout(&out);
    assert!(
        text.contains("Generator sizing: EUE ≤ 150 MWh per sample"),
        "{text}"
    );
    assert!(text.contains("      sets  "), "{text}");
    assert!(text.contains("answer: 5 sets"), "{text}");
    // The table: more sets, fewer Megapacks; a PNG with one line per count.
    let dir = temp_dir("size_table");
    let (png, json) = (dir.join("table.png"), dir.join("table.json"));
    let out = ridethrough(
        args(
            &[
                "size",
                "SCENARIO",
                "--step",
                "1h",
                "--lole",
                "12",
                "--samples",
                "200",
                "--generators",
                "4:7",
                "--min-units",
                "0",
            ],
            &chain,
        )
        .into_iter()
        .chain([
            "--plot".as_ref(),
            png.as_os_str(),
            "--json".as_ref(),
            json.as_os_str(),
        ]),
    );
    assert_ok(&out);
    let text = stdout(&out);
    assert!(
        text.contains("Battery units per generator count: LOLE ≤ 12 h per sample"),
        "{text}"
    );
    for sets in 4..=7 {
        assert!(
            text.contains(&format!("with {sets} generator sets you need ")),
            "{text}"
        );
    }
    assert!(std::fs::read(&png)
        .unwrap()
        .starts_with(b"\x89PNG\r\n\x1a\n"));
    let table: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    let need: Vec<u64> = rows
        .iter()
        .map(|r| r["sizing"]["answer"]["units"].as_u64().unwrap())
        .collect();
    assert!(need.windows(2).all(|w| w[1] <= w[0]), "{need:?}");
}

#[test]
fn scan_evaluates_every_size_in_the_range() {
    let path = tiny("size_scan", "tiny.toml", 4);
    let out = ridethrough(args(
        &[
            "-q",
            "size",
            "SCENARIO",
            "--survive",
            "4h",
            "--probability",
            "0.9",
            "--min-units",
            "10",
            "--max-units",
            "16",
            "--scan",
        ],
        &path,
    ));
    assert_ok(&out);
    let text = stdout(&out);
    // Seven rows, one per size, and the bisection's answer (see every_subcommand_runs_on_a_tiny_scenario).
    for units in 10..=16 {
        assert!(
            text.contains(&format!("\n  {units:>8}  ")),
            "{units}: {text}"
        );
    }
    assert!(text.contains("answer: 14 units"), "{text}");
    assert!(!text.contains("sizes evaluated"), "--quiet: {text}");
}

#[test]
fn size_help_lists_the_new_flags() {
    let out = ridethrough(["size", "--help"]);
    assert_ok(&out);
    for flag in [
        "--over",
        "--min-sets",
        "--max-sets",
        "--generators",
        "--transfer-drop",
        "--fuel-outs",
        "--scan",
        "--plot",
    ] {
        assert!(stdout(&out).contains(flag), "size --help lacks {flag}");
    }
}
