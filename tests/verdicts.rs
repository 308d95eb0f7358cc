//! Every verdict of `goaudit --json` on every binary of the Go test matrix
//! (testbins/build.sh), against an explicit expectation table derived from the build
//! flags and the measured facts in docs/verdicts.md.

mod support;

use std::process::Command;

/// The matrix really builds and the programs really run: the expectations below are
/// only meaningful if the binaries are what build.sh says they are.
#[test]
fn testbins_run() {
    let out = Command::new(support::testbin("hello-default"))
        .output()
        .expect("run hello-default");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello, world\n");

    let out = Command::new(support::testbin("netuser-cgo0"))
        .output()
        .expect("run netuser-cgo0");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "netuser-cgo0 failed: {stdout}");
    assert!(stdout.contains("lookup localhost:"), "{stdout}");
    assert!(stdout.contains("user"), "{stdout}");

    let out = Command::new(support::testbin("promserver-default"))
        .arg("-once")
        .output()
        .expect("run promserver-default -once");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("status 200"),
        "promserver -once: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn manifest_lists_the_preamble_names() {
    let names = support::testbin_names();
    for n in [
        "netuser-default",
        "netuser-cgo0",
        "netuser-netgo",
        "netuser-osusergo",
        "netuser-netgo-osusergo",
        "netuser-cgo0-trimpath-sw",
        "netuser-s",
        "netuser-w",
        "netuser-pie-cgo0",
        "netuser-pie-cgo1",
        "netuser-extstatic",
        "netuser-race",
        "netuser-cgo0-stripped",
        "netuser-default-stripped",
        "hello-default",
        "hello-cgo0",
        "netuser-darwin-arm64",
        "netuser-windows-amd64.exe",
        "promserver-default",
        "promserver-cgo0-trimpath-sw",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
        assert!(support::testbin(n).is_file());
    }
    assert!(!support::go_toolchain_binaries().is_empty());
}
