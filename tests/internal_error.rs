//! A panic in the analysis of one input becomes that input's error line and exit 2; the
//! other inputs are still reported. The panic is provoked with `GOAUDIT_DEBUG_PANIC`,
//! which only debug builds honour (the test is compiled only in debug builds too).

#![cfg(debug_assertions)]

mod support;

use std::time::Duration;

#[test]
fn one_panicking_input_leaves_the_others_reported() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim-app");
    let good = dir.path().join("good-app");
    std::fs::copy(support::testbin("hello-cgo0"), &victim).unwrap();
    std::fs::copy(support::testbin("hello-cgo0"), &good).unwrap();
    let commands: [&[&str]; 5] = [
        &["--json"],
        &[],
        &["size", "--json"],
        &["check", "--format", "json"],
        &["buildinfo"],
    ];
    for args in commands {
        let mut cmd = support::goaudit();
        cmd.current_dir(dir.path())
            .env("GOAUDIT_DEBUG_PANIC", "victim")
            .args(args)
            .arg(&victim)
            .arg(&good);
        let out = support::run_with_timeout(cmd, Duration::from_secs(120));
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        // check names inputs relative to its root, the others as given.
        let want = "victim-app: internal error, please report: GOAUDIT_DEBUG_PANIC matched";
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.starts_with("goaudit: ") && l.contains(want))
                .count(),
            1,
            "{args:?}: {stderr}"
        );
        // The default hook's message is not printed.
        assert!(!stderr.contains("panicked at"), "{args:?}: {stderr}");
        assert!(!stderr.contains("RUST_BACKTRACE"), "{args:?}: {stderr}");
        // The good input is still reported.
        assert!(
            stdout.contains("good-app"),
            "{args:?}: good input missing from stdout:\n{stdout}"
        );
        if args.contains(&"--json") || args.contains(&"json") {
            let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            let errors = v["errors"].as_array().unwrap();
            assert_eq!(errors.len(), 1, "{args:?}: {v}");
            assert!(
                errors[0]["error"]
                    .as_str()
                    .unwrap()
                    .contains("internal error, please report")
            );
        }
    }
}
