//! `goaudit shrink` end to end: strip every test binary and check it against GNU strip,
//! `go version -m` and its own behaviour; UPX round trip; refusals; and the failure paths
//! that must leave the input byte-identical with no stray files.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

use serde_json::Value;

const UPX_HINT: &str = "install UPX: on Debian 12 enable bookworm-backports and `apt-get install -t bookworm-backports upx-ucl` (scripts/setup.sh does this)";
const BINUTILS_HINT: &str = "install binutils (`apt-get install binutils`) for strip and readelf";

/// A scratch directory under `target/` (same file system as the test binaries, and not
/// mounted noexec as /tmp sometimes is).
fn scratch() -> tempfile::TempDir {
    let base = support::testbins_dir()
        .parent()
        .expect("testbins dir has a parent")
        .join("shrink-tests");
    std::fs::create_dir_all(&base).unwrap();
    tempfile::Builder::new()
        .prefix("t-")
        .tempdir_in(&base)
        .unwrap()
}

fn copy_to(src: &Path, dir: &Path, name: &str) -> PathBuf {
    let dst = dir.join(name);
    std::fs::copy(src, &dst).unwrap();
    dst
}

fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stderr_of(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Arguments that make each test program run briefly and print deterministic output.
fn run_args(name: &str) -> Vec<&'static str> {
    if name.starts_with("promserver") {
        vec!["-once", "-interval", "1h"]
    } else if name.starts_with("httpserver") {
        // Serves one request to itself and exits; without it, it serves forever.
        vec!["-once"]
    } else {
        Vec::new()
    }
}

/// What a program did: exit status, stdout, stderr.
fn behaviour(exe: &Path, args: &[&str]) -> (Option<i32>, Vec<u8>, Vec<u8>) {
    let mut cmd = Command::new(exe);
    cmd.args(args);
    // A test program that does not exit is a failure, never a hung suite.
    let o = support::run_with_timeout(cmd, std::time::Duration::from_secs(60));
    (o.status.code(), o.stdout, o.stderr)
}

fn audit_json(path: &Path) -> Value {
    let o = run_ok(support::goaudit().arg("--json").arg(path));
    let v: Value = serde_json::from_slice(&o.stdout).expect("audit JSON");
    v["artifacts"][0].clone()
}

/// The audit facts that strip and UPX must not change.
fn facts(a: &Value) -> Value {
    serde_json::json!({
        "go_version": a["go_version"],
        "buildinfo": a["buildinfo"],
        "linking": [a["linking"]["kind"], a["linking"]["interpreter"], a["linking"]["needed"]],
        "cgo": [a["cgo"]["setting"], a["cgo"]["linked"]],
        "net": [a["net"]["resolver"], a["net"]["netgo"]],
        "os_user": [a["os_user"]["impl"], a["os_user"]["osusergo"]],
        "trimpath": a["trimpath"],
        "functions": a["functions"],
    })
}

/// `go version -m` without its first line (which names the file).
fn go_version_m(path: &Path) -> String {
    let go = support::go_binary();
    let o = run_ok(Command::new(go).args(["version", "-m"]).arg(path));
    let s = String::from_utf8_lossy(&o.stdout).into_owned();
    s.split_once('\n')
        .map(|x| x.1.to_string())
        .unwrap_or_default()
}

/// Section names from `readelf -S` (binutils), independent of goaudit's parser.
fn readelf_sections(path: &Path) -> Vec<String> {
    let readelf = support::require_tool("readelf", BINUTILS_HINT);
    let o = run_ok(Command::new(readelf).args(["-S", "-W"]).arg(path));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let rest = l.strip_prefix('[')?;
            let (_, after) = rest.split_once(']')?;
            after.split_whitespace().next().map(str::to_string)
        })
        .filter(|n| n != "NULL")
        .collect()
}

fn dir_listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn mtime(p: &Path) -> SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

fn is_elf(p: &Path) -> bool {
    std::fs::read(p)
        .map(|b| b.starts_with(b"\x7fELF"))
        .unwrap_or(false)
}

fn is_upx(p: &Path) -> bool {
    let b = std::fs::read(p).unwrap();
    b.windows(4).take(4096).any(|w| w == b"UPX!")
}

#[test]
fn strip_every_testbin() {
    let strip = support::require_tool("strip", BINUTILS_HINT);
    let dir = scratch();
    let mut failures = Vec::new();
    let mut stripped_count = 0;
    for name in support::testbin_names() {
        let src = support::testbin(&name);
        let out = dir.path().join(format!("{name}.shrunk"));
        let o = support::goaudit()
            .args(["shrink", "--json", "-o"])
            .arg(&out)
            .arg(&src)
            .output()
            .unwrap();
        if !is_elf(&src) {
            // Mach-O and PE: refused with a clear message, nothing written.
            let err = stderr_of(&o);
            if o.status.code() != Some(2) || !err.contains("not supported for shrink") {
                failures.push(format!(
                    "{name}: expected a refusal, got {:?}: {err}",
                    o.status
                ));
            }
            if out.exists() {
                failures.push(format!("{name}: refused, yet {} exists", out.display()));
            }
            continue;
        }
        if is_upx(&src) {
            let err = stderr_of(&o);
            if o.status.code() != Some(2) || !err.contains("already packed with UPX") {
                failures.push(format!("{name}: packed input not refused: {err}"));
            }
            continue;
        }
        if !o.status.success() {
            failures.push(format!("{name}: shrink failed: {}", stderr_of(&o)));
            continue;
        }
        stripped_count += 1;
        let report: Value = serde_json::from_slice(&o.stdout).unwrap();
        let after = std::fs::metadata(&out).unwrap().len();
        if report["shrink"]["after"].as_u64() != Some(after) {
            failures.push(format!(
                "{name}: report says {} bytes, file has {after}",
                report["shrink"]["after"]
            ));
        }

        // Within 1% of GNU strip on a copy.
        let gnu = copy_to(&src, dir.path(), &format!("{name}.gnu"));
        run_ok(Command::new(&strip).arg("--strip-all").arg(&gnu));
        let gnu_len = std::fs::metadata(&gnu).unwrap().len();
        if after as f64 > gnu_len as f64 * 1.01 {
            failures.push(format!(
                "{name}: {after} bytes, strip --strip-all gives {gnu_len}"
            ));
        }

        // Runs, and behaves exactly as before.
        let args = run_args(&name);
        let (a, b) = (behaviour(&src, &args), behaviour(&out, &args));
        if a != b {
            failures.push(format!(
                "{name}: behaves differently: {:?} {:?} vs {:?} {:?}",
                a.0,
                String::from_utf8_lossy(&a.1),
                b.0,
                String::from_utf8_lossy(&b.1)
            ));
        }
        if a.0 != Some(0) {
            failures.push(format!("{name}: the test program itself failed: {a:?}"));
        }

        // No symbol table or DWARF left; Go's own sections kept (readelf's view).
        let before_secs = readelf_sections(&src);
        let secs = readelf_sections(&out);
        for s in &secs {
            if s == ".symtab"
                || s == ".strtab"
                || s.starts_with(".debug_")
                || s.starts_with(".zdebug_")
            {
                failures.push(format!("{name}: {s} survived"));
            }
        }
        for keep in [
            ".gopclntab",
            ".go.buildinfo",
            ".note.go.buildid",
            ".text",
            ".rodata",
        ] {
            if before_secs.iter().any(|s| s == keep) && !secs.iter().any(|s| s == keep) {
                failures.push(format!("{name}: {keep} was removed"));
            }
        }

        // Buildinfo as the Go toolchain reads it, and goaudit's verdicts, unchanged.
        if go_version_m(&src) != go_version_m(&out) {
            failures.push(format!("{name}: `go version -m` output changed"));
        }
        let (fa, fb) = (audit_json(&src), audit_json(&out));
        if facts(&fa) != facts(&fb) {
            failures.push(format!(
                "{name}: audit changed:\n{}\n{}",
                facts(&fa),
                facts(&fb)
            ));
        }
        if fb["symtab"] != Value::Bool(false) || fb["dwarf"] != Value::Bool(false) {
            failures.push(format!(
                "{name}: audit of the result still sees symtab/DWARF"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        stripped_count >= 10,
        "only {stripped_count} ELF test binaries were stripped"
    );
}

#[test]
fn dry_run_matches_the_section_table_and_writes_nothing() {
    let dir = scratch();
    let src = copy_to(&support::testbin("netuser-default"), dir.path(), "bin");
    let before = std::fs::read(&src).unwrap();
    let listing = dir_listing(dir.path());
    let o = run_ok(
        support::goaudit()
            .args(["shrink", "--dry-run", "--json"])
            .arg(&src),
    );
    assert_eq!(dir_listing(dir.path()), listing);
    assert_eq!(std::fs::read(&src).unwrap(), before);
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let est_saved = r["shrink"]["saved"].as_u64().unwrap();

    // The same sum from readelf's section table.
    let readelf = support::require_tool("readelf", BINUTILS_HINT);
    let o = run_ok(Command::new(readelf).args(["-S", "-W"]).arg(&src));
    let mut expected = 0u64;
    for line in String::from_utf8_lossy(&o.stdout).lines() {
        let Some((_, rest)) = line
            .trim_start()
            .strip_prefix('[')
            .and_then(|r| r.split_once(']'))
        else {
            continue;
        };
        let cols: Vec<&str> = rest.split_whitespace().collect();
        if cols.len() < 6 {
            continue;
        }
        let (name, size) = (cols[0], cols[4]);
        if name == ".symtab" || name == ".strtab" || name.starts_with(".debug_") {
            expected += u64::from_str_radix(size, 16).unwrap();
        }
    }
    assert!(
        expected > 0,
        "netuser-default should carry a symbol table and DWARF"
    );
    assert_eq!(est_saved, expected);

    // And the real strip saves about that: section headers go too, while re-laying out
    // the remaining non-allocated sections adds alignment padding.
    let out = dir.path().join("out");
    run_ok(
        support::goaudit()
            .args(["shrink", "-o"])
            .arg(&out)
            .arg(&src),
    );
    let real_saved = before.len() as u64 - std::fs::metadata(&out).unwrap().len();
    assert!(
        real_saved.abs_diff(est_saved) <= est_saved / 100,
        "estimated {est_saved}, real {real_saved}"
    );
}

#[test]
fn upx_round_trip_on_a_stripped_static_binary() {
    let upx = support::require_tool("upx", UPX_HINT);
    let dir = scratch();
    let src = copy_to(
        &support::testbin("netuser-cgo0-stripped"),
        dir.path(),
        "bin",
    );
    let before = std::fs::read(&src).unwrap();
    let out = dir.path().join("packed");
    let o = run_ok(
        support::goaudit()
            .args(["shrink", "--upx", "-o"])
            .arg(&out)
            .arg(&src)
            .arg("--verify-run")
            .arg("--"),
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("upx --lzma"), "{text}");
    assert!(text.contains("What UPX costs"), "{text}");
    assert!(text.contains("startup"), "{text}");
    assert_eq!(std::fs::read(&src).unwrap(), before, "input changed");
    assert!(is_upx(&out));
    let packed_len = std::fs::metadata(&out).unwrap().len();
    assert!(
        packed_len < before.len() as u64 / 2,
        "{packed_len} vs {}",
        before.len()
    );

    // UPX's own test, run independently.
    run_ok(Command::new(&upx).arg("-t").arg(&out));
    // It runs and behaves as before.
    assert_eq!(behaviour(&src, &[]), behaviour(&out, &[]));
    // The audit of the packed file reports the unpacked program.
    let (fa, fp) = (audit_json(&src), audit_json(&out));
    assert_eq!(facts(&fa), facts(&fp));
    assert!(
        fp["go_version"]
            .as_str()
            .is_some_and(|v| v.starts_with("go"))
    );
    let note = fp["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "upx-packed")
        .expect("upx-packed finding");
    assert!(
        note["message"]
            .as_str()
            .unwrap()
            .contains("packed with UPX; figures are for the unpacked program"),
        "{note}"
    );
    let human = run_ok(support::goaudit().arg(&out));
    let human = String::from_utf8_lossy(&human.stdout);
    assert!(
        human.contains("figures are for the unpacked program"),
        "{human}"
    );
    assert!(human.contains("not linked"), "{human}");
}

#[test]
fn upx_refused_for_pie() {
    let dir = scratch();
    let src = copy_to(&support::testbin("netuser-pie-cgo0"), dir.path(), "bin");
    let listing = dir_listing(dir.path());
    let o = support::goaudit()
        .args(["shrink", "--upx", "-o"])
        .arg(dir.path().join("out"))
        .arg(&src)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr_of(&o);
    assert!(
        err.contains("bad DT_HASH") && err.contains("position-independent"),
        "{err}"
    );
    assert_eq!(dir_listing(dir.path()), listing);
}

/// A directory holding a fake `upx` script, to put first on PATH.
fn fake_upx(dir: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("fakebin");
    std::fs::create_dir_all(&bin).unwrap();
    let p = bin.join("upx");
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

fn path_with(first: &Path) -> std::ffi::OsString {
    let mut dirs = vec![first.to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}

/// Shrink `--in-place --upx` with a broken upx first on PATH: exit 2, input untouched.
fn broken_upx_leaves_input_untouched(script: &str) {
    let tools = scratch();
    let fakebin = fake_upx(tools.path(), script);
    let dir = scratch();
    let src = copy_to(&support::testbin("netuser-cgo0"), dir.path(), "bin");
    let before = std::fs::read(&src).unwrap();
    let t0 = mtime(&src);
    let listing = dir_listing(dir.path());
    for target in [vec!["--in-place"], vec!["-o", "out"]] {
        let o = support::goaudit()
            .current_dir(dir.path())
            .env("PATH", path_with(&fakebin))
            .arg("shrink")
            .arg("--upx")
            .args(&target)
            .arg("bin")
            .output()
            .unwrap();
        let err = stderr_of(&o);
        assert_eq!(o.status.code(), Some(2), "{target:?}: {err}");
        assert!(err.contains("upx"), "{err}");
        assert_eq!(std::fs::read(&src).unwrap(), before, "input changed");
        assert_eq!(mtime(&src), t0, "input mtime changed");
        assert_eq!(dir_listing(dir.path()), listing, "files left behind");
    }
}

#[test]
fn failing_upx_leaves_input_untouched() {
    broken_upx_leaves_input_untouched("echo 'upx: bin: CantPackException: simulated' >&2\nexit 1");
}

#[test]
fn garbage_writing_upx_leaves_input_untouched() {
    // Claims success everywhere and writes random bytes wherever -o points.
    broken_upx_leaves_input_untouched(
        r#"out=""; prev=""
for a in "$@"; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done
[ -n "$out" ] && head -c 65536 /dev/urandom > "$out"
exit 0"#,
    );
}

#[test]
fn elf_writing_upx_that_does_not_pack_is_caught() {
    // Copies its input to -o and says OK: a valid ELF, but not packed.
    broken_upx_leaves_input_untouched(
        r#"out=""; prev=""; last=""
for a in "$@"; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; last="$a"; done
[ -n "$out" ] && cp "$last" "$out"
exit 0"#,
    );
}

#[test]
fn upx_output_that_only_looks_packed_is_caught() {
    // An ELF magic and UPX! markers at both ends pass the cheap checks, so only the
    // independent `upx -d` round trip can tell this is not the program.
    broken_upx_leaves_input_untouched(
        r#"out=""; prev=""
for a in "$@"; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done
[ -n "$out" ] && { printf '\177ELF\002\001\001UPX!'; head -c 8192 /dev/zero; printf 'UPX!'; } > "$out"
exit 0"#,
    );
}

#[test]
fn missing_upx_is_exit_2_with_install_hint() {
    let dir = scratch();
    let empty = dir.path().join("emptybin");
    std::fs::create_dir(&empty).unwrap();
    let src = copy_to(&support::testbin("hello-cgo0"), dir.path(), "bin");
    let listing = dir_listing(dir.path());
    let o = support::goaudit()
        .env("PATH", &empty)
        .args(["shrink", "--upx", "-o"])
        .arg(dir.path().join("out"))
        .arg(&src)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr_of(&o);
    assert!(
        err.contains("upx-ucl") && err.contains("bookworm-backports"),
        "{err}"
    );
    assert_eq!(dir_listing(dir.path()), listing);
}

#[test]
fn in_place_in_a_read_only_directory_fails_cleanly() {
    let dir = scratch();
    let src = copy_to(&support::testbin("netuser-default"), dir.path(), "bin");
    let before = std::fs::read(&src).unwrap();
    let t0 = mtime(&src);
    let listing = dir_listing(dir.path());
    // Root ignores permission bits, so chmod cannot make a directory read-only for these
    // tests (which usually run as root in CI containers). A read-only bind mount of the
    // directory onto itself, inside a private mount namespace (`unshare -rm`), refuses
    // every write for root too, and vanishes with the namespace, leaving nothing to undo
    // if the test fails. As a normal user, plain permission bits do the job.
    let o = if is_root() {
        let unshare = support::require_tool(
            "unshare",
            "install util-linux (`apt-get install util-linux`)",
        );
        let script = "mount --bind -o ro \"$1\" \"$1\" && exec \"$2\" shrink --in-place \"$1/bin\"";
        Command::new(unshare)
            .args(["-rm", "sh", "-c", script, "sh"])
            .arg(dir.path())
            .arg(env!("CARGO_BIN_EXE_goaudit"))
            .output()
            .unwrap()
    } else {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
        let o = support::goaudit()
            .args(["shrink", "--in-place"])
            .arg(&src)
            .output()
            .unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        o
    };
    let err = stderr_of(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot create a temporary file beside the target"),
        "{err}"
    );
    assert_eq!(std::fs::read(&src).unwrap(), before);
    assert_eq!(mtime(&src), t0);
    assert_eq!(dir_listing(dir.path()), listing);
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

#[test]
fn in_place_strip_replaces_the_file_atomically() {
    let dir = scratch();
    let src = copy_to(&support::testbin("hello-default"), dir.path(), "bin");
    let before_len = std::fs::metadata(&src).unwrap().len();
    // Only root can hand a file to someone else, so only then is there an owner to keep.
    let owner = is_root().then(|| {
        std::os::unix::fs::chown(&src, Some(4321), Some(8765)).unwrap();
        (4321, 8765)
    });
    let o = run_ok(
        support::goaudit()
            .args(["shrink", "--in-place", "--verify-run"])
            .arg(&src)
            .arg("--"),
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("--verify-run: same exit status 0"), "{text}");
    let after_len = std::fs::metadata(&src).unwrap().len();
    assert!(after_len < before_len);
    if let Some((uid, gid)) = owner {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(&src).unwrap();
        assert_eq!((m.uid(), m.gid()), (uid, gid), "owner not kept");
    }
    assert_eq!(dir_listing(dir.path()), vec!["bin".to_string()]);
    let (code, out, _) = behaviour(&src, &[]);
    assert_eq!((code, out), (Some(0), b"hello, world\n".to_vec()));
    // A second run finds nothing to do and leaves the file alone.
    let t1 = mtime(&src);
    let o = run_ok(support::goaudit().args(["shrink", "--in-place"]).arg(&src));
    assert!(String::from_utf8_lossy(&o.stdout).contains("already stripped"));
    assert_eq!(mtime(&src), t1);
}

#[test]
fn usage_errors() {
    let src = support::testbin("hello-cgo0");
    let o = support::goaudit().arg("shrink").arg(&src).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr_of(&o).contains("-o OUT, --in-place"),
        "{}",
        stderr_of(&o)
    );
    let o = support::goaudit()
        .args(["shrink", "-o"])
        .arg(&src)
        .arg(&src)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr_of(&o).contains("use --in-place"),
        "{}",
        stderr_of(&o)
    );
}

/// `--verify-timeout` bounds each run: a program that does not exit in time fails the
/// shrink (exit 2, nothing written) with the flag to raise it.
#[test]
fn verify_run_has_a_settable_time_limit() {
    let dir = scratch();
    // Without `-once` the server serves forever.
    let src = copy_to(&support::testbin("httpserver-cgo0"), dir.path(), "bin");
    let out = dir.path().join("out");
    let start = std::time::Instant::now();
    let o = support::goaudit()
        .args(["shrink", "--verify-run", "--verify-timeout", "1", "-o"])
        .arg(&out)
        .arg(&src)
        .output()
        .unwrap();
    let se = stderr_of(&o);
    assert_eq!(o.status.code(), Some(2), "{se}");
    assert!(se.contains("did not exit within 1 s"), "{se}");
    assert!(se.contains("--verify-timeout SECONDS"), "{se}");
    assert!(
        start.elapsed() < std::time::Duration::from_secs(30),
        "the limit was not applied"
    );
    assert_eq!(dir_listing(dir.path()), vec!["bin".to_string()]);
    // The same program given arguments that make it exit passes within the limit.
    run_ok(
        support::goaudit()
            .args(["shrink", "--verify-run", "--verify-timeout", "30", "-o"])
            .arg(&out)
            .arg(&src)
            .args(["--", "-once"]),
    );
    // Zero seconds and a limit without --verify-run are usage errors.
    for args in [
        &["--verify-run", "--verify-timeout", "0"][..],
        &["--verify-timeout", "5"][..],
    ] {
        let o = support::goaudit()
            .args(["shrink", "--dry-run"])
            .args(args)
            .arg(&src)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr_of(&o));
    }
}

/// `--upx=nrv-max` is `upx --best`; its first spelling `best` still works.
#[test]
fn upx_nrv_max_is_upx_best_and_best_is_still_accepted() {
    let src = support::testbin("hello-cgo0");
    for level in ["nrv-max", "best"] {
        let o = run_ok(
            support::goaudit()
                .args(["shrink", "--dry-run", &format!("--upx={level}")])
                .arg(&src),
        );
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains("`upx --best` would run next"),
            "{level}: {text}"
        );
        assert!(
            text.contains("lzma is smaller and faster"),
            "{level}: {text}"
        );
    }
    let help = run_ok(support::goaudit().args(["shrink", "--help"]));
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("nrv-max"), "{help}");
    assert!(
        !help.contains("- best"),
        "the old spelling is not advertised: {help}"
    );
}

/// An image archive is refused with what to do instead, and nothing is written.
#[test]
fn archives_are_refused_with_what_to_do_instead() {
    let dir = scratch();
    let archive = dir.path().join("image.tar.gz");
    let mut gz = vec![0x1f, 0x8b, 0x08, 0x00];
    gz.resize(512, 0);
    std::fs::write(&archive, &gz).unwrap();
    let out = dir.path().join("out");
    let o = support::goaudit()
        .args(["shrink", "-o"])
        .arg(&out)
        .arg(&archive)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr_of(&o);
    assert!(
        err.contains("container image") && err.contains("-ldflags=-s -w"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!out.exists());
    assert_eq!(std::fs::read(&archive).unwrap(), gz);
}
