//! `goaudit diff`: two builds that differ by one dependency (testbins/depdiff with and
//! without `-tags extra`), by build flags (cgo on/off, `-s -w`), and two images that
//! differ by one layer. The expected deltas are computed from the two `goaudit size
//! --json` reports and from the files themselves, never from the diff's own output.

mod support;

#[path = "fixtures/images/mod.rs"]
mod fixtures;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

fn run_diff(args: &[&str]) -> Output {
    support::goaudit()
        .arg("diff")
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run goaudit diff")
}

fn diff_json(old: &Path, new: &Path) -> Value {
    let out = support::goaudit()
        .args(["diff", "--json"])
        .arg(old)
        .arg(new)
        .output()
        .expect("run goaudit diff");
    assert!(
        out.status.success(),
        "diff failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(doc["schema_version"], 2);
    doc["diff"].clone()
}

/// name → bytes of one list of a size report (packages keyed by name too).
fn list(a: &Value, key: &str) -> BTreeMap<String, i64> {
    a["size_attribution"][key]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["bytes"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// The changed rows of the diff for `key`, as name → delta.
fn changes(d: &Value, key: &str) -> BTreeMap<String, i64> {
    d[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["delta"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Every list of the diff is exactly the difference of the two reports' lists, and
/// sums to the difference of the file sizes.
fn assert_matches_reports(old: &Path, new: &Path, d: &Value) {
    let (a, b) = (support::size_artifact(old), support::size_artifact(new));
    let total =
        std::fs::metadata(new).unwrap().len() as i64 - std::fs::metadata(old).unwrap().len() as i64;
    assert_eq!(d["total"]["delta"].as_i64().unwrap(), total);
    for key in ["by_module", "by_package", "by_section", "by_kind"] {
        let (o, n) = (list(&a, key), list(&b, key));
        let mut expected = BTreeMap::new();
        for name in o.keys().chain(n.keys()) {
            let delta = n.get(name).unwrap_or(&0) - o.get(name).unwrap_or(&0);
            if delta != 0 {
                expected.insert(name.clone(), delta);
            }
        }
        let got = changes(d, key);
        assert_eq!(got, expected, "{key}");
        assert_eq!(
            got.values().sum::<i64>(),
            total,
            "{key} sums to the total change"
        );
        // Sorted by absolute change.
        let deltas: Vec<u64> = d[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["delta"].as_i64().unwrap().unsigned_abs())
            .collect();
        assert!(deltas.windows(2).all(|w| w[0] >= w[1]), "{key} sorted");
    }
}

/// `dep` lines of `go version -m`: path → version.
fn go_deps(bin: &Path) -> BTreeMap<String, String> {
    let out = std::process::Command::new(support::go_binary())
        .args(["version", "-m"])
        .arg(bin)
        .output()
        .expect("run go version -m");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.first() == Some(&"dep")).then(|| (f[1].to_string(), f[2].to_string()))
        })
        .collect()
}

#[test]
fn one_more_dependency() {
    let (old, new) = (
        support::testbin("depdiff-base"),
        support::testbin("depdiff-extra"),
    );
    let d = diff_json(&old, &new);
    assert_eq!(d["kind"], "binary");
    assert_matches_reports(&old, &new, &d);

    // The module that came in, as the Go toolchain sees the two builds.
    let (go_old, go_new) = (go_deps(&old), go_deps(&new));
    let added: Vec<(&String, &String)> = go_new
        .iter()
        .filter(|(p, _)| !go_old.contains_key(*p))
        .collect();
    assert_eq!(added.len(), 1, "the builds differ by one module: {added:?}");
    let modules = d["modules"].as_array().unwrap();
    assert_eq!(modules.len(), 1, "{modules:?}");
    assert_eq!(modules[0]["path"], added[0].0.as_str());
    assert_eq!(modules[0]["new"], added[0].1.as_str());
    assert!(modules[0]["old"].is_null());
    let b = support::size_artifact(&new);
    assert_eq!(
        modules[0]["delta"].as_i64().unwrap(),
        list(&b, "by_module")[added[0].0.as_str()]
    );
    let settings: Vec<&str> = d["settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["summary"].as_str().unwrap())
        .collect();
    assert_eq!(settings, ["-tags=extra added"]);
    assert!(d["verdicts"].as_array().unwrap().is_empty());

    // Human output names the module with its version and size.
    let out = run_diff(&[old.to_str().unwrap(), new.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = format!("{} {} added (+", added[0].0, added[0].1);
    assert!(text.contains(&line), "{text}");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn saved_reports_diff_like_the_binaries() {
    let (old, new) = (
        support::testbin("depdiff-base"),
        support::testbin("depdiff-extra"),
    );
    let dir = fixtures::fresh_dir("diff-reports");
    let save = |bin: &Path, name: &str| {
        let out = support::goaudit()
            .args(["size", "--json"])
            .arg(bin)
            .output()
            .unwrap();
        let p = dir.join(name);
        std::fs::write(&p, &out.stdout).unwrap();
        p
    };
    let (a, b) = (save(&old, "old.json"), save(&new, "new.json"));
    let mut from_files = diff_json(&old, &new);
    let mut from_reports = diff_json(&a, &b);
    assert_eq!(from_reports["total"], from_files["total"]);
    // Same diff, whatever was read.
    for d in [&mut from_files, &mut from_reports] {
        d["old_path"] = Value::Null;
        d["new_path"] = Value::Null;
    }
    assert_eq!(from_files, from_reports);

    // A damaged report (its lists no longer add up) is refused.
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&a).unwrap()).unwrap();
    doc["artifacts"][0]["size_attribution"]["by_module"][0]["bytes"] = 1.into();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, serde_json::to_vec(&doc).unwrap()).unwrap();
    let out = run_diff(&[bad.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("goaudit: ") && err.contains("damaged"),
        "{err}"
    );
}

#[test]
fn cgo_on_off() {
    let (old, new) = (
        support::testbin("netuser-cgo0"),
        support::testbin("netuser-default"),
    );
    let d = diff_json(&old, &new);
    assert_matches_reports(&old, &new, &d);
    let settings: Vec<&str> = d["settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["summary"].as_str().unwrap())
        .collect();
    assert!(settings.contains(&"CGO_ENABLED 0→1"), "{settings:?}");
    let verdicts: BTreeMap<&str, (&str, &str)> = d["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["id"].as_str().unwrap(),
                (v["old"].as_str().unwrap(), v["new"].as_str().unwrap()),
            )
        })
        .collect();
    assert_eq!(verdicts["linking"], ("static", "dynamic"));
    assert_eq!(verdicts["cgo-linked"], ("no", "yes"));
    assert_eq!(verdicts["net-resolver"], ("go", "cgo"));
    // The C code shows as its own kind, not only as runtime or std growing.
    let kinds = changes(&d, "by_kind");
    let b = support::size_artifact(&new);
    assert_eq!(kinds["cgo"], list(&b, "by_kind")["cgo"]);
    assert!(kinds["cgo"] > 0);
}

#[test]
fn strip_flags_explained_by_kind() {
    let (old, new) = (
        support::testbin("netuser-cgo0-trimpath-sw"),
        support::testbin("netuser-cgo0"),
    );
    let d = diff_json(&old, &new);
    assert_matches_reports(&old, &new, &d);
    let kinds = changes(&d, "by_kind");
    // DWARF and the symbol table are back: their growth equals the new file's
    // .debug_* and .symtab/.strtab sections.
    let sections = list(&support::size_artifact(&new), "by_section");
    let debug: i64 = sections
        .iter()
        .filter(|(k, _)| k.starts_with(".debug_") || k.starts_with(".zdebug_"))
        .map(|(_, v)| v)
        .sum();
    let symtab = sections[".symtab"] + sections[".strtab"];
    assert_eq!(kinds["dwarf"], debug);
    assert_eq!(kinds["symtab"], symtab);
    let settings: Vec<&str> = d["settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["summary"].as_str().unwrap())
        .collect();
    assert!(settings.contains(&"-trimpath dropped"), "{settings:?}");
    assert!(
        settings
            .iter()
            .any(|s| s.starts_with("-ldflags=-s -w dropped")),
        "{settings:?}"
    );
}

#[test]
fn threshold_and_exit_codes() {
    let (old, new) = (
        support::testbin("depdiff-base"),
        support::testbin("depdiff-extra"),
    );
    let (o, n) = (old.to_str().unwrap(), new.to_str().unwrap());
    let grown = std::fs::metadata(&new).unwrap().len() - std::fs::metadata(&old).unwrap().len();
    // Over the limit: 1; within: 0.
    let limit = format!("{}", grown - 1);
    assert_eq!(
        run_diff(&["--fail-on-growth", &limit, o, n]).status.code(),
        Some(1)
    );
    let limit = format!("{grown}");
    assert_eq!(
        run_diff(&["--fail-on-growth", &limit, o, n]).status.code(),
        Some(0)
    );
    assert_eq!(
        run_diff(&["--fail-on-growth", "0.1%", o, n]).status.code(),
        Some(1)
    );
    // Shrinking never fails.
    assert_eq!(
        run_diff(&["--fail-on-growth", "0", n, o]).status.code(),
        Some(0)
    );
    // Bad input: 2, one line.
    let out = run_diff(&[o, "/nonexistent/file"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("goaudit: /nonexistent/file"));

    // The threshold hides rows and says how many and how much.
    let out = run_diff(&["--threshold", "4KiB", "-n", "0", o, n]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("below the threshold of 4.0 KiB"), "{text}");
}

#[test]
fn images_differing_by_one_layer() {
    use fixtures::{E, file, layer_tar};
    let unstripped = std::fs::read(support::testbin("netuser-cgo0")).unwrap();
    let stripped = std::fs::read(support::testbin("netuser-cgo0-stripped")).unwrap();
    let base = layer_tar(&[
        E::Dir("etc/".into()),
        file("etc/passwd", "root:x:0:0:root:/root:/sbin/nologin\n"),
        file("etc/motd", fixtures::filler(50_000, 3)),
    ]);
    let dir = fixtures::fresh_dir("diff-images");
    let image = |app: &[u8], name: &str| {
        let layers = vec![
            base.clone(),
            layer_tar(&[E::Dir("app/".into()), file("app/server", app.to_vec())]),
        ];
        let refs: Vec<&[u8]> = layers.iter().map(|l| l.as_slice()).collect();
        let history = vec![
            serde_json::json!({"created_by": "base"}),
            serde_json::json!({"created_by": "COPY server /app/"}),
        ];
        let cfg = fixtures::config(&refs, serde_json::json!({}), history);
        let p = dir.join(name);
        std::fs::write(&p, fixtures::docker25(&cfg, &layers, "example/app:x")).unwrap();
        p
    };
    let (old, new) = (image(&unstripped, "old.tar"), image(&stripped, "new.tar"));
    let d = diff_json(&old, &new);
    assert_eq!(d["kind"], "image");
    let change = stripped.len() as i64 - unstripped.len() as i64;
    assert_eq!(d["total"]["delta"].as_i64().unwrap(), change);
    let layers = d["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);
    assert_eq!(layers[0]["status"], "same");
    assert_eq!(layers[0]["delta"], 0);
    assert_eq!(layers[1]["status"], "changed");
    assert_eq!(layers[1]["command"], "COPY server /app/");
    // Layers are numbered from 1 (the bottom one), as in every report.
    assert_eq!(layers[0]["old_number"], 1);
    assert_eq!(layers[0]["new_number"], 1);
    assert_eq!(layers[1]["old_number"], 2);
    assert_eq!(layers[1]["new_number"], 2);
    assert_eq!(layers[1]["delta"].as_i64().unwrap(), change);
    let causes = changes(&d, "by_cause");
    assert_eq!(causes.values().sum::<i64>(), change);
    let bins = d["binaries"].as_array().unwrap();
    assert_eq!(bins.len(), 1);
    assert_eq!(bins[0]["path"], "/app/server");
    assert_eq!(bins[0]["diff"]["total"]["delta"].as_i64().unwrap(), change);
    let kinds = changes(&bins[0]["diff"], "by_kind");
    assert!(kinds["dwarf"] < 0 && kinds["symtab"] < 0, "{kinds:?}");

    // An image against a binary is bad input.
    let out = run_diff(&[
        old.to_str().unwrap(),
        support::testbin("netuser-cgo0").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn hostile_reports_do_not_panic() {
    let dir = fixtures::fresh_dir("diff-hostile");
    let report = |total: u64, names: &[(&str, u64)]| {
        let list: Vec<Value> = names
            .iter()
            .map(|(n, b)| serde_json::json!({"name": n, "bytes": b}))
            .collect();
        let pkgs: Vec<Value> = names
            .iter()
            .map(|(n, b)| serde_json::json!({"name": n, "module": n, "bytes": b}))
            .collect();
        serde_json::json!({"schema_version": 1, "artifacts": [{
            "kind": "binary", "path": "x", "size": total,
            "size_attribution": {"total": total, "by_module": list, "by_package": pkgs,
                "by_section": list, "by_kind": list}
        }]})
    };
    let old = dir.join("old.json");
    let new = dir.join("new.json");
    std::fs::write(&old, report(0, &[]).to_string()).unwrap();
    std::fs::write(&new, report(u64::MAX, &[("a", u64::MAX)]).to_string()).unwrap();
    let html = dir.join("d.html");
    for args in [
        vec![],
        vec!["--format", "markdown"],
        vec!["--json"],
        vec!["--html", html.to_str().unwrap(), "--fail-on-growth", "1%"],
    ] {
        let mut a = args.clone();
        a.push(old.to_str().unwrap());
        a.push(new.to_str().unwrap());
        let out = run_diff(&a);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(matches!(out.status.code(), Some(0 | 1)), "{args:?}: {err}");
    }
    // Not a report at all: one line, exit 2.
    std::fs::write(&old, "{\"artifacts\": 3}").unwrap();
    let out = run_diff(&[old.to_str().unwrap(), new.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
}
