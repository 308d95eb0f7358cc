//! The gate never fails open: a rule whose input could not be read (a UPX-packed binary
//! audited without `upx`, a growth limit without a baseline) is reported as not
//! evaluated in every output format, and at deny level ends the run with exit 2.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use support::{goaudit, testbin};

const PACKED: &str = "netuser-cgo0-trimpath-sw-upx";
const UPX_HINT: &str = "install UPX: on Debian 12 enable bookworm-backports and `apt-get install -t bookworm-backports upx-ucl` (scripts/setup.sh does this)";
const FORMATS: &[&str] = &["human", "json", "markdown", "github", "sarif", "junit"];

/// Every rule that reads the program's own facts, which UPX hides.
const PROGRAM_RULES: &[&str] = &[
    "dynamic-link",
    "cgo-linked",
    "cgo-resolver",
    "cgo-os-user",
    "symtab-present",
    "dwarf-present",
    "no-trimpath",
    "vcs-dirty",
    "nix-store-ref",
];

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("goaudit was killed by a signal")
}

/// An empty directory to use as PATH: no `upx` (nor anything else) on it.
fn empty_path() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn run(dir: &Path, path_env: Option<&Path>, args: &[&str]) -> Output {
    let mut c = goaudit();
    c.current_dir(dir)
        .args(args)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env("NO_COLOR", "1");
    if let Some(p) = path_env {
        c.env("PATH", p);
    }
    c.output().expect("run goaudit")
}

/// A copy of the packed test binary in a fresh directory (no goaudit.toml above it).
fn packed_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join("app");
    std::fs::copy(testbin(PACKED), &dst).unwrap();
    // Independently of goaudit: UPX writes its `UPX!` magic into the packed file.
    let bytes = std::fs::read(&dst).unwrap();
    assert!(
        bytes.windows(4).any(|w| w == b"UPX!"),
        "{PACKED} carries no UPX magic: the testbin is not packed"
    );
    (dir, dst)
}

#[test]
fn a_packed_binary_without_upx_has_unknown_verdicts_in_json_and_human() {
    let (dir, _) = packed_copy();
    let no_upx = empty_path();
    let o = run(dir.path(), Some(no_upx.path()), &["--json", "app"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let a = &doc["artifacts"][0];
    assert_eq!(a["packed"], "upx");
    assert_eq!(a["unpacked"], false);
    // The stub's headers are static and cgo-free whatever the program is: no verdict.
    assert_eq!(a["linking"]["kind"], "unknown", "{a}");
    assert_eq!(a["cgo"]["linked"], Value::Null, "{a}");
    assert_eq!(a["net"]["resolver"], "unknown");
    assert_eq!(a["net"]["netgo"], Value::Null);
    assert_eq!(a["os_user"]["impl"], "unknown");
    assert_eq!(a["os_user"]["osusergo"], Value::Null);
    let reason = a["unknown"]["reason"].as_str().unwrap();
    assert!(reason.contains("`upx` is not on PATH"), "{reason}");
    assert_eq!(a["unknown"]["fix"], "install upx to verify a packed binary");
    for k in ["linking", "cgo", "net", "os_user"] {
        let ev = a[k]["evidence"].as_str().unwrap();
        assert!(
            ev.starts_with("unknown: ") && ev.contains("install upx to verify a packed binary"),
            "{k}: {ev}"
        );
    }

    let o = run(dir.path(), Some(no_upx.path()), &["app"]);
    let t = text(&o);
    assert_eq!(code(&o), 0, "{t}");
    for label in ["linking", "cgo", "dns", "os/user"] {
        assert!(
            t.lines()
                .any(|l| l.trim_start().starts_with(label) && l.trim_end().ends_with("unknown")),
            "no `{label} unknown` line:\n{t}"
        );
    }
    assert!(
        !t.contains("static"),
        "the stub's headers leaked as a verdict:\n{t}"
    );
    assert!(t.contains("install upx to verify a packed binary"), "{t}");
}

/// Independent truth for the unpacked program: `upx -d` restores it and `go version -m`
/// reads its build settings.
fn unpacked_settings(packed: &Path) -> String {
    let upx = support::require_tool("upx", UPX_HINT);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("unpacked");
    let st = Command::new(upx)
        .args(["-d", "-q", "-o"])
        .arg(&out)
        .arg(packed)
        .output()
        .unwrap();
    assert!(st.status.success(), "upx -d: {}", text(&st));
    let o = Command::new(support::go_binary())
        .args(["version", "-m"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "go version -m: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn every_program_rule_on_a_packed_binary_without_upx_exits_2_in_every_format() {
    let (dir, packed) = packed_copy();
    let no_upx = empty_path();
    for rule in PROGRAM_RULES {
        for format in FORMATS {
            let o = run(
                dir.path(),
                Some(no_upx.path()),
                &["check", "--deny", rule, "--format", format, "app"],
            );
            let out = String::from_utf8_lossy(&o.stdout).into_owned();
            assert_eq!(
                code(&o),
                2,
                "{rule} {format}: a deny rule on unknown input must exit 2:\n{}",
                text(&o)
            );
            match *format {
                "json" => {
                    let doc: Value = serde_json::from_str(&out).unwrap();
                    let r = doc["artifacts"][0]["results"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|r| r["rule"] == *rule)
                        .unwrap();
                    assert_eq!(r["status"], "unknown", "{rule}: {r}");
                    assert!(
                        r["note"]
                            .as_str()
                            .unwrap()
                            .contains("install upx to verify a packed binary"),
                        "{rule}: {r}"
                    );
                    assert_eq!(doc["summary"]["passed"], false);
                    assert!(doc["summary"]["unevaluated"].as_u64().unwrap() >= 1);
                }
                "sarif" => {
                    let doc: Value = serde_json::from_str(&out).unwrap();
                    let run0 = &doc["runs"][0];
                    assert_eq!(run0["invocations"][0]["executionSuccessful"], false);
                    let res = run0["results"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|r| r["ruleId"] == *rule)
                        .unwrap_or_else(|| panic!("{rule}: no SARIF result:\n{out}"));
                    assert_eq!(res["kind"], "open", "{res}");
                    let notes = run0["invocations"][0]["toolExecutionNotifications"]
                        .as_array()
                        .unwrap();
                    assert!(
                        notes.iter().any(|n| n["associatedRule"]["id"] == *rule
                            && n["level"] == "error"
                            && n["message"]["text"]
                                .as_str()
                                .unwrap()
                                .contains("install upx to verify a packed binary")),
                        "{rule}: {out}"
                    );
                }
                "junit" => {
                    let case = format!(r#"name="{rule}" time="0">"#);
                    let at = out.find(&case).unwrap_or_else(|| panic!("{rule}: {out}"));
                    let after = &out[at..];
                    let body = &after[..after.find("</testcase>").unwrap()];
                    assert!(
                        body.contains("<error ")
                            && body.contains("install upx to verify a packed binary"),
                        "{rule}: {body}"
                    );
                }
                "github" => {
                    assert!(
                        out.lines().any(|l| l.starts_with("::error ")
                            && l.contains(&format!("{rule} not evaluated"))
                            && l.contains("install upx to verify a packed binary")),
                        "{rule}: {out}"
                    );
                }
                "markdown" => {
                    assert!(out.contains("incomplete"), "{out}");
                    assert!(
                        out.lines().any(|l| l.contains("not evaluated (deny)")
                            && l.contains(&format!("`{rule}`"))
                            && l.contains("install upx to verify a packed binary")),
                        "{rule}: {out}"
                    );
                }
                _ => {
                    assert!(out.contains("goaudit check incomplete"), "{out}");
                    assert!(
                        out.lines().any(|l| l.contains("skipped")
                            && l.contains(rule)
                            && l.contains("install upx to verify a packed binary")
                            && l.contains("incomplete")),
                        "{rule}: {out}"
                    );
                }
            }
        }
        // At warn level the rule is still reported as not evaluated, without exit 2.
        let o = run(
            dir.path(),
            Some(no_upx.path()),
            &["check", "--warn", rule, "--allow", "upx-packed", "app"],
        );
        let t = text(&o);
        assert_eq!(code(&o), 0, "{rule} at warn: {t}");
        assert!(
            t.lines().any(|l| l.contains("skipped") && l.contains(rule)),
            "{rule} at warn, not reported:\n{t}"
        );
    }

    // With upx on PATH the rules are evaluated on the unpacked program: built with
    // CGO_ENABLED=0 -trimpath (as `go version -m` of `upx -d`'s output confirms) and
    // -ldflags='-s -w' (the manifest's build line), every one of them passes.
    let settings = unpacked_settings(&packed);
    for want in ["CGO_ENABLED=0", "-trimpath=true"] {
        assert!(settings.contains(want), "{want} not in:\n{settings}");
    }
    let mut args = vec!["check", "--format", "json"];
    for rule in PROGRAM_RULES {
        args.extend(["--deny", rule]);
    }
    args.push("app");
    let o = run(dir.path(), None, &args);
    assert_eq!(code(&o), 0, "with upx: {}", text(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    for r in doc["artifacts"][0]["results"].as_array().unwrap() {
        if PROGRAM_RULES.contains(&r["rule"].as_str().unwrap()) {
            assert_eq!(r["status"], "pass", "{r}");
        }
    }
}

#[test]
fn growth_limits_without_a_baseline_are_reported_and_exit_2_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(testbin("hello-cgo0"), dir.path().join("app")).unwrap();
    const NOTE: &str = "no baseline; record one with `goaudit baseline write`";
    for format in FORMATS {
        let o = run(
            dir.path(),
            None,
            &["check", "--max-growth", "5", "--format", format, "app"],
        );
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        assert_eq!(code(&o), 2, "{format}: {}", text(&o));
        match *format {
            "json" => {
                let doc: Value = serde_json::from_str(&out).unwrap();
                let r = doc["artifacts"][0]["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["rule"] == "size-growth")
                    .unwrap();
                assert_eq!(r["status"], "unknown");
                assert_eq!(r["note"], format!("skipped: {NOTE}"));
                assert_eq!(doc["summary"]["unevaluated"], 1);
            }
            "sarif" => {
                let doc: Value = serde_json::from_str(&out).unwrap();
                assert_eq!(
                    doc["runs"][0]["invocations"][0]["executionSuccessful"],
                    false
                );
                assert!(out.contains(NOTE), "{out}");
            }
            "junit" => assert!(out.contains("<error ") && out.contains(NOTE), "{out}"),
            "github" => assert!(
                out.lines().any(|l| l.starts_with("::error ")
                    && l.contains("size-growth")
                    && l.contains(NOTE)),
                "{out}"
            ),
            "markdown" => assert!(
                out.contains("incomplete") && out.contains("`size-growth`") && out.contains(NOTE),
                "{out}"
            ),
            _ => assert!(
                out.contains("size-growth") && out.contains(NOTE) && out.contains("incomplete"),
                "{out}"
            ),
        }
    }

    // A budget in goaudit.toml with a growth limit, same thing; an artifact missing from
    // an existing baseline is not evaluated either.
    std::fs::write(
        dir.path().join("goaudit.toml"),
        "version = 1\n\n[[budget]]\npath = \"app\"\nmax_growth_bytes = \"1KiB\"\n",
    )
    .unwrap();
    let o = run(dir.path(), None, &["check"]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains(NOTE), "{}", text(&o));

    std::fs::copy(testbin("hello-default"), dir.path().join("other")).unwrap();
    let o = run(dir.path(), None, &["baseline", "write", "other"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let o = run(dir.path(), None, &["check", "--format", "json", "app"]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(
        text(&o).contains("skipped: not in the baseline; record it with `goaudit baseline write`")
    );

    // Once recorded, the limit is evaluated and passes (the file did not change).
    let o = run(dir.path(), None, &["baseline", "write", "app"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let o = run(dir.path(), None, &["check", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = doc["artifacts"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "size-growth")
        .unwrap();
    assert_eq!(r["status"], "pass", "{r}");

    // Allowed, the rule is skipped and says why; nothing is left unevaluated.
    std::fs::remove_dir_all(dir.path().join(".goaudit")).unwrap();
    let o = run(dir.path(), None, &["check", "--allow", "size-growth"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
}
