//! `goaudit init`: the starter goaudit.toml is built from the binaries found (not those
//! under .git, target or node_modules), proposes budgets at today's size plus headroom,
//! sets the linking and cgo rules from facts read independently (readelf, go version -m),
//! never overwrites without --force, and loads with `goaudit check`.

mod support;

use std::path::Path;
use std::process::Command;

use support::{goaudit, require_tool, testbin};

fn run_in(dir: &Path, args: &[&str]) -> std::process::Output {
    goaudit()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run goaudit")
}

/// Has a PT_INTERP program header, by readelf.
fn has_interp(p: &Path) -> bool {
    let readelf = require_tool("readelf", "apt-get install binutils");
    let out = Command::new(readelf).arg("-lW").arg(p).output().unwrap();
    String::from_utf8_lossy(&out.stdout).contains("INTERP")
}

/// The CGO_ENABLED build setting, by `go version -m`.
fn cgo_enabled(p: &Path) -> bool {
    let out = Command::new(support::go_binary())
        .args(["version", "-m"])
        .arg(p)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).contains("CGO_ENABLED=1")
}

fn level<'a>(doc: &'a toml::Table, rule: &str) -> &'a str {
    doc["rules"][rule].as_str().unwrap()
}

#[test]
fn init_writes_a_config_from_the_binaries_that_check_loads() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let stat = testbin("hello-cgo0");
    let dynamic = testbin("netuser-default");
    std::fs::create_dir_all(root.join("dist")).unwrap();
    std::fs::copy(&stat, root.join("dist/hello")).unwrap();
    std::fs::copy(&dynamic, root.join("dist/net[user]")).unwrap();
    for skipped in [".git/objects", "target/debug", "node_modules/x/bin"] {
        std::fs::create_dir_all(root.join(skipped)).unwrap();
        std::fs::copy(&dynamic, root.join(skipped).join("copy")).unwrap();
    }
    std::fs::write(root.join("README.md"), "not a binary\n").unwrap();

    // --dry-run prints the file and writes nothing.
    let dry = run_in(root, &["init", "--dry-run"]);
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert!(
        !root.join("goaudit.toml").exists(),
        "--dry-run wrote the file"
    );
    let text = String::from_utf8(dry.stdout).unwrap();

    let out = run_in(root, &["init"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(root.join("goaudit.toml")).unwrap();
    assert_eq!(
        written, text,
        "--dry-run printed something else than init wrote"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2 Go binaries found"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let doc: toml::Table = written.parse().expect("valid TOML");
    assert_eq!(doc["version"].as_integer(), Some(1));
    let budgets = doc["budget"].as_array().unwrap();
    let paths: Vec<&str> = budgets
        .iter()
        .map(|b| b["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["dist/hello", "dist/net[[]user[]]"], "{written}");
    for (b, src) in budgets.iter().zip([&stat, &dynamic]) {
        let size = std::fs::metadata(src).unwrap().len();
        let max = b["max_size"].as_str().unwrap();
        let mib: f64 = max
            .strip_suffix("MiB")
            .expect("MiB budget")
            .parse()
            .unwrap();
        let max = mib * (1 << 20) as f64;
        let want = size as f64 * 1.10;
        assert!(
            max >= want && max < want + 0.1 * (1 << 20) as f64 + 1.0,
            "budget {max} for size {size}"
        );
    }
    // Linking and cgo rules: deny what every binary satisfies, warn what one fails.
    let any_dynamic = [&stat, &dynamic].iter().any(|p| has_interp(p));
    let any_cgo = [&stat, &dynamic].iter().any(|p| cgo_enabled(p));
    assert!(
        any_dynamic && any_cgo,
        "fixture: netuser-default must be a dynamic cgo build"
    );
    assert!(
        !has_interp(&stat) && !cgo_enabled(&stat),
        "fixture: hello-cgo0 is static"
    );
    assert_eq!(level(&doc, "dynamic-link"), "warn");
    assert_eq!(level(&doc, "cgo-linked"), "warn");
    assert!(written.contains("fails on dist/net[user]"), "{written}");

    // The file loads and gates: warnings only, so it passes today.
    let check = run_in(root, &["check"]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "goaudit check on the starter file:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    // Only the static binary: every gated rule is deny, and check still passes.
    std::fs::remove_file(root.join("dist/net[user]")).unwrap();
    let out = run_in(root, &["init", "--force"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: toml::Table = std::fs::read_to_string(root.join("goaudit.toml"))
        .unwrap()
        .parse()
        .unwrap();
    for rule in ["dynamic-link", "cgo-linked", "cgo-resolver", "cgo-os-user"] {
        assert_eq!(level(&doc, rule), "deny", "{rule}");
    }
    assert_eq!(run_in(root, &["check"]).status.code(), Some(0));
    // A bigger binary in its place breaks the proposed budget.
    std::fs::copy(&dynamic, root.join("dist/hello")).unwrap();
    let check = run_in(root, &["check", "--format", "json"]);
    assert_eq!(check.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let failed: Vec<&str> = v["artifacts"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert!(failed.contains(&"size-budget"), "{failed:?}");
}

#[test]
fn init_refuses_to_overwrite_and_needs_binaries() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let out = run_in(root, &["init"]);
    assert_eq!(out.status.code(), Some(2), "no binaries must be an error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no Go binaries found"), "{err}");
    assert!(!root.join("goaudit.toml").exists());

    std::fs::copy(testbin("hello-cgo0"), root.join("app")).unwrap();
    std::fs::write(root.join("goaudit.toml"), "# mine\n").unwrap();
    let out = run_in(root, &["init"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("goaudit.toml")).unwrap(),
        "# mine\n"
    );
    // --dry-run works beside an existing file and leaves it alone.
    let out = run_in(root, &["init", "--dry-run"]);
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_to_string(root.join("goaudit.toml")).unwrap(),
        "# mine\n"
    );
    let out = run_in(root, &["init", "--force"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::read_to_string(root.join("goaudit.toml"))
            .unwrap()
            .contains("path = \"app\"")
    );
}
