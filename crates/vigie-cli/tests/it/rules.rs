//! Golden tests of `vigie rules test`: each `*.replay` stream of the demo pack's
//! `rules/tests/` must yield exactly its `*.expected` alarms. To accept a change on purpose,
//! run the command and review the new output before replacing the `.expected` file.

use crate::{demo_pack, vigie};
use std::path::Path;
use std::process::Output;

/// Runs `vigie rules test` with the demo pack's rules and city over `replay`.
fn rules_test(replay: &Path) -> Output {
    vigie()
        .args(["rules", "test", "--rules"])
        .arg(demo_pack().join("rules"))
        .arg("--replay")
        .arg(replay)
        .arg("--city")
        .arg(demo_pack())
        .output()
        .unwrap()
}

#[test]
fn every_recorded_stream_yields_its_expected_alarms() {
    let tests = demo_pack().join("rules/tests");
    let mut checked = 0;
    for entry in std::fs::read_dir(&tests).unwrap() {
        let replay = entry.unwrap().path();
        if replay.extension().is_none_or(|extension| extension != "replay") {
            continue;
        }
        let expected = std::fs::read_to_string(replay.with_extension("expected")).unwrap();
        let output = rules_test(&replay);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(String::from_utf8_lossy(&output.stdout), expected, "{}", replay.display());
        checked += 1;
    }
    assert!(checked >= 2, "the demo pack has recorded streams");
}

#[test]
fn a_broken_stream_names_its_line() {
    let dir = crate::scratch("bad-replay");
    let replay = dir.join("bad.replay");
    std::fs::write(&replay, "t=0 gauge-ouche-01 1.0\nt=10 gauge-ouche-01 high\n").unwrap();
    let output = rules_test(&replay);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("line 2"), "{}", String::from_utf8_lossy(&output.stderr));
    std::fs::remove_dir_all(&dir).unwrap();
}
