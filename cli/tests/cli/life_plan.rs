//! `ridethrough life` with a battery augmentation plan: the plan's units in the table,
//! `--without-plan`, `--compare-plan` (both studies on the same lives and what the plan saves,
//! as JSON too), and the flags refused for a scenario without a plan.

use super::{assert_ok, ridethrough, scenarios, stderr, stdout, temp_dir};

/// The default site over three years at hourly steps with 4 Megapacks, strong ageing and a
/// replacement of every unit at the start of year 3.
fn three_years(plan: bool) -> std::path::PathBuf {
    let dir = temp_dir(if plan { "life_plan" } else { "life_no_plan" });
    let default =
        std::fs::read_to_string(scenarios().join("austin_10k_gpu.toml")).expect("default scenario");
    let mut text = default
        .replace("step = \"1m\"", "step = \"1h\"")
        .replace("horizon = \"365d\"", "horizon = \"1095d\"")
        .replace("units = 16", "units = 4")
        + "\n[battery.ageing]\ncalendar_fade_first_year = 0.2\ncalendar_time_exponent = 1.0\n";
    if plan {
        text += "[battery.augmentation]\nreplace = [{ year = 3, which = \"all\" }]\n";
    }
    let path = dir.join("life.toml");
    std::fs::write(&path, text).expect("write the scenario");
    path
}

#[test]
fn life_runs_under_the_plan_without_it_and_compares_the_two() {
    let path = three_years(true);
    let json = path.with_file_name("compare.json");
    let base = |extra: &[&str]| {
        let mut a: Vec<std::ffi::OsString> = vec![
            "life".into(),
            path.clone().into(),
            "--samples".into(),
            "16".into(),
            "--threads".into(),
            "1".into(),
        ];
        a.extend(extra.iter().map(Into::into));
        ridethrough(a)
    };
    let out = base(&[]);
    assert_ok(&out);
    let text = stdout(&out);
    assert!(
        text.contains("under the battery's augmentation plan"),
        "{text}"
    );
    assert!(
        text.contains("units") && text.contains("usable MWh"),
        "{text}"
    );
    let out = base(&["--without-plan"]);
    assert_ok(&out);
    assert!(stdout(&out).contains("without the battery's augmentation plan"));
    assert!(!stdout(&out).contains("usable MWh"), "{}", stdout(&out));
    let out = base(&["--compare-plan", "--json", json.to_str().unwrap()]);
    assert_ok(&out);
    let text = stdout(&out);
    assert!(text.contains("what the plan saves"), "{text}");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("comparison written"))
            .expect("comparison is JSON");
    let saved = r["saved"].as_array().expect("a per-year table");
    assert_eq!(saved.len(), 3);
    // Years 1 and 2 are the same lives and the same fleet: nothing saved.
    for y in &saved[..2] {
        assert!(
            y["eue_saved_mwh"]["mean"].as_f64().unwrap().abs() < 1e-6,
            "{y}"
        );
    }
    let new = r["with_plan"]["years"][2]["capacity_factor_end"]["mean"]
        .as_f64()
        .unwrap();
    let old = r["without_plan"]["years"][2]["capacity_factor_end"]["mean"]
        .as_f64()
        .unwrap();
    assert!(new > old, "{new} against {old}");
    assert!(
        out.status.success()
            && base(&["--without-plan", "--compare-plan"]).status.code() == Some(2)
    );
}

#[test]
fn plan_flags_need_a_plan() {
    let path = three_years(false);
    for flag in ["--without-plan", "--compare-plan"] {
        let out = ridethrough([
            "life".as_ref(),
            path.as_os_str(),
            "--samples".as_ref(),
            "4".as_ref(),
            flag.as_ref(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{flag}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(flag) && stderr(&out).contains("[battery.augmentation]"),
            "{flag}: {}",
            stderr(&out)
        );
    }
}
