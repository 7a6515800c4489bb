//! `ridethrough run` and `ridethrough life` with the battery enclosure's thermal model
//! (`[battery.thermal.enclosure]`) added to a copy of the 20-year Austin scenario (two years of
//! it, to keep the test short): the scenario loads, the report shows the enclosure, and a
//! scenario giving both the aux curve and the enclosure is refused naming the curve.

use super::{assert_fails_naming, assert_ok, ridethrough, scenarios, stdout, temp_dir};

/// `austin_20yr.toml` over two years with its `[battery.thermal]` table followed by `extra`
/// lines, in `test`'s temp folder.
fn austin_two_years(test: &str, extra: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(scenarios().join("austin_20yr.toml"))
        .expect("the 20-year scenario");
    let thermal = "[battery.thermal]\nambient = \"austin_synthetic\"\n";
    let edited = text
        .replace("horizon = \"7300d\"", "horizon = \"730d\"")
        .replace(thermal, &format!("{thermal}{extra}\n"));
    assert!(
        edited.contains("730d") && edited.contains(extra),
        "the 20-year scenario has its horizon and its thermal table"
    );
    let path = temp_dir(test).join("scenario.toml");
    std::fs::write(&path, edited).expect("write the scenario");
    path
}

#[test]
fn a_scenario_with_the_enclosure_runs_and_reports_it() {
    let path = austin_two_years(
        "enclosure_runs",
        "\n[battery.thermal.enclosure]\nheating_setpoint_c = 10.0",
    );
    let out = ridethrough(["run".as_ref(), path.as_os_str()]);
    assert_ok(&out);
    let text = stdout(&out);
    assert!(
        text.contains("enclosure") && text.contains("MWh HVAC"),
        "{text}"
    );
    let out = ridethrough([
        "life".as_ref(),
        path.as_os_str(),
        "--samples".as_ref(),
        "4".as_ref(),
        "--threads".as_ref(),
        "1".as_ref(),
    ]);
    assert_ok(&out);
    let text = stdout(&out);
    assert!(text.contains("capacity left"), "{text}");
}

#[test]
fn the_enclosure_with_an_aux_curve_is_refused_naming_the_curve() {
    let path = austin_two_years(
        "enclosure_and_curve",
        "aux_curve = [{ temperature_c = 25, power_mw = 0.002 }]\n\n[battery.thermal.enclosure]",
    );
    let out = ridethrough(["run".as_ref(), path.as_os_str()]);
    assert_fails_naming(&out, "battery.thermal.aux_curve");
}
