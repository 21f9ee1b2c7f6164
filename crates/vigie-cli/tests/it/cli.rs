//! `vigie city check`, `vigie log verify`, `vigie log replay`.

use crate::{demo_pack, scratch, vigie};

#[test]
fn city_check_accepts_the_demo_pack() {
    let output = vigie().args(["city", "check"]).arg(demo_pack()).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("23 communes") && stdout.contains("6 command posts"), "{stdout}");
}

#[test]
fn city_check_names_the_file_and_fails() {
    let dir = scratch("broken-pack");
    for entry in std::fs::read_dir(demo_pack()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
        }
    }
    std::fs::create_dir_all(dir.join("playbooks")).unwrap();
    for entry in std::fs::read_dir(demo_pack().join("playbooks")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join("playbooks").join(entry.file_name())).unwrap();
    }
    let city = std::fs::read_to_string(dir.join("city.toml")).unwrap();
    std::fs::write(dir.join("city.toml"), format!("{city}\n[[bogus]]\nx = 1\n")).unwrap();
    let output = vigie().args(["city", "check"]).arg(&dir).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("city.toml") && stderr.contains("bogus"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn log_verify_fails_on_a_missing_log() {
    let output = vigie().args(["log", "verify", "--store", "/nonexistent/vigie.db"]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("there is no event log"));
}
