//! Hostile and broken inputs: every bad file gets exactly one `goaudit: <path>: <what>`
//! line on stderr and exit status 2, good files next to them are still reported, and no
//! input, however mangled, makes goaudit panic or hang.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

fn run_with_timeout(cmd: Command, limit: Duration) -> Output {
    support::run_with_timeout(cmd, limit)
}

fn goaudit_json(paths: &[PathBuf]) -> Output {
    let mut cmd = support::goaudit();
    // --size: the full attribution runs over every mangled copy too.
    cmd.args(["--json", "--size"]).args(paths);
    run_with_timeout(cmd, Duration::from_secs(120))
}

fn assert_no_panic(out: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "goaudit panicked on {what}:\n{stderr}"
    );
    assert!(
        matches!(out.status.code(), Some(0) | Some(2)),
        "goaudit on {what}: exit {:?} (want 0 or 2; None means killed by a signal)\n{stderr}",
        out.status.code()
    );
}

/// The stderr lines that name `path`, in the `goaudit: <path>: <what>` format.
fn error_lines_for<'a>(stderr: &'a str, path: &Path) -> Vec<&'a str> {
    let prefix = format!("goaudit: {}: ", path.display());
    stderr.lines().filter(|l| l.starts_with(&prefix)).collect()
}

/// One bad input on its own: exit 2, nothing reported, exactly one well-formed error
/// line naming it, whose message starts lowercase (the project's error style).
fn assert_one_error(path: &Path) -> String {
    let out = goaudit_json(&[path.to_path_buf()]);
    assert_no_panic(&out, &path.display().to_string());
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}: want exit 2, stderr:\n{stderr}",
        path.display()
    );
    let lines = error_lines_for(&stderr, path);
    assert_eq!(
        lines.len(),
        1,
        "{}: want exactly one `goaudit: <path>: <what>` line, stderr:\n{stderr}",
        path.display()
    );
    let what = &lines[0][format!("goaudit: {}: ", path.display()).len()..];
    assert!(!what.trim().is_empty(), "empty message: {}", lines[0]);
    assert!(
        !what.starts_with(|c: char| c.is_ascii_uppercase()) && !what.ends_with('.'),
        "error messages are lowercase without a trailing period: {}",
        lines[0]
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: stdout is not the JSON report ({e}): {}",
            path.display(),
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_eq!(v["artifacts"], Value::Array(vec![]), "{}", path.display());
    let errors = v["errors"].as_array().expect("errors array");
    assert_eq!(errors.len(), 1, "{}: {v:#}", path.display());
    assert_eq!(
        errors[0]["path"].as_str(),
        Some(path.display().to_string().as_str()),
        "{v:#}"
    );
    what.to_string()
}

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("goaudit-bad-input-")
        .tempdir()
        .expect("create temp dir")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
    p
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn good_binary() -> (PathBuf, Vec<u8>) {
    let p = support::testbin("hello-cgo0");
    let bytes = std::fs::read(&p).expect("read hello-cgo0");
    (p, bytes)
}

#[test]
fn empty_file() {
    let d = scratch();
    let p = write(d.path(), "empty", &[]);
    let what = assert_one_error(&p);
    assert!(
        what.contains("empty"),
        "message should say the file is empty: {what}"
    );
}

#[test]
fn truncated_elf_at_several_offsets() {
    let (_, bytes) = good_binary();
    let d = scratch();
    // Inside the ELF header, inside the program headers, inside the section headers
    // (Go puts them right after the program headers), just past them, and mid-file.
    for cut in [
        4usize,
        20,
        63,
        64,
        100,
        300,
        401,
        1000,
        4096,
        bytes.len() / 2,
    ] {
        let p = write(d.path(), &format!("trunc-{cut}"), &bytes[..cut]);
        assert_one_error(&p);
    }
}

#[test]
fn non_go_elf_named_explicitly() {
    let ls = PathBuf::from("/bin/ls");
    assert!(
        ls.is_file(),
        "/bin/ls is needed as a non-Go ELF (coreutils)"
    );
    let what = assert_one_error(&ls);
    assert!(what.contains("not a Go"), "{what}");
}

#[test]
fn random_bytes() {
    let d = scratch();
    let p = write(
        d.path(),
        "random.bin",
        &noise(0x9e37_79b9_7f4a_7c15, 64 * 1024),
    );
    assert_one_error(&p);
    // Random bytes behind a valid ELF magic must not be taken at face value either.
    let mut fake = b"\x7fELF\x02\x01\x01\x00".to_vec();
    fake.extend(noise(42, 64 * 1024));
    let p = write(d.path(), "fake-elf", &fake);
    assert_one_error(&p);
}

#[test]
fn nonexistent_path() {
    let d = scratch();
    let p = d.path().join("does-not-exist");
    let what = assert_one_error(&p);
    assert!(
        what.to_ascii_lowercase().contains("no such file"),
        "message should say the file does not exist: {what}"
    );
}

#[test]
fn directory_with_symlink_loop() {
    let d = scratch();
    let root = d.path().join("tree");
    std::fs::create_dir_all(root.join("sub")).expect("mkdir");
    std::os::unix::fs::symlink("..", root.join("sub").join("up")).expect("symlink up");
    std::os::unix::fs::symlink("b", root.join("a")).expect("symlink a");
    std::os::unix::fs::symlink("a", root.join("b")).expect("symlink b");
    let good = root.join("sub").join("hello");
    std::fs::copy(good_binary().0, &good).expect("copy hello");

    // Version-control metadata is not walked: a Go binary under .git/ is no artifact.
    std::fs::create_dir_all(root.join(".git/objects")).expect("mkdir .git");
    std::fs::copy(good_binary().0, root.join(".git/objects/hello")).expect("copy");

    let out = goaudit_json(std::slice::from_ref(&root));
    assert_no_panic(&out, "a directory with symlink loops");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A loop (Debian ships `/usr/bin/X11 -> .`) is noted and skipped, not an error.
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    for looped in [root.join("a"), root.join("b"), root.join("sub").join("up")] {
        let note = format!("goaudit: note: {}: symlink loop", looped.display());
        assert_eq!(
            stderr.lines().filter(|l| l.starts_with(&note)).count(),
            1,
            "want one note for {}; stderr:\n{stderr}",
            looped.display()
        );
    }
    assert!(
        stderr.lines().all(|l| l.starts_with("goaudit: note: ")),
        "only notes: {stderr}"
    );
    // The walk terminates and still audits the real file exactly once.
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let paths: Vec<&str> = v["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .filter_map(|a| a["path"].as_str())
        .collect();
    assert_eq!(
        paths.iter().filter(|p| p.ends_with("/hello")).count(),
        1,
        "{paths:?}"
    );
    assert!(!paths.iter().any(|p| p.contains("/.git/")), "{paths:?}");
}

#[test]
fn nothing_to_audit_exits_2_and_a_mistyped_subcommand_gets_a_hint() {
    let d = scratch();
    let dir = d.path().join("dist");
    std::fs::create_dir(&dir).expect("mkdir");
    write(&dir, "README.txt", b"not a binary\n");
    for json in [false, true] {
        let mut c = support::goaudit();
        if json {
            c.arg("--json");
        }
        let out = c.arg(&dir).env("NO_COLOR", "1").output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "json={json}: {stderr}");
        assert!(
            stderr.contains("no Go binaries or container images found (1 other file skipped)"),
            "{stderr}"
        );
        if json {
            let v: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
            assert_eq!(v["errors"].as_array().unwrap().len(), 1, "{v}");
        }
    }
    // `check` agrees on the same directory.
    let out = support::goaudit()
        .args(["check"])
        .arg(&dir)
        .current_dir(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    let out = support::goaudit()
        .arg("chek")
        .current_dir(d.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("did you mean `goaudit check`?"), "{stderr}");
    // A real path-like typo gets no subcommand guess.
    let out = support::goaudit()
        .arg("./dsit")
        .current_dir(d.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr.contains("did you mean"), "{stderr}");
}

#[test]
fn directory_mixing_good_binaries_and_junk() {
    let (_, hello) = good_binary();
    let d = scratch();
    let dir = d.path().join("mixed");
    std::fs::create_dir(&dir).expect("mkdir");
    let good1 = dir.join("hello");
    std::fs::write(&good1, &hello).expect("write");
    let good2 = dir.join("netuser");
    std::fs::copy(support::testbin("netuser-cgo0-trimpath-sw"), &good2).expect("copy");
    let broken = write(&dir, "broken-elf", &hello[..300]);
    // Not executables: skipped silently inside a directory, not errors.
    write(&dir, "README.txt", b"not a binary\n");
    write(&dir, "noise.bin", &noise(7, 4096));
    std::fs::copy("/bin/ls", dir.join("ls")).expect("copy /bin/ls");

    let out = goaudit_json(std::slice::from_ref(&dir));
    assert_no_panic(&out, "a mixed directory");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{stderr}");
    assert_eq!(
        error_lines_for(&stderr, &broken).len(),
        1,
        "want one error line for the broken ELF; stderr:\n{stderr}"
    );
    assert_eq!(
        stderr.lines().count(),
        1,
        "only the broken ELF is an error; stderr:\n{stderr}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let mut paths: Vec<String> = v["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .filter_map(|a| a["path"].as_str().map(str::to_string))
        .collect();
    paths.sort();
    let mut want = vec![good1.display().to_string(), good2.display().to_string()];
    want.sort();
    assert_eq!(paths, want, "good binaries are still reported");

    // The same mix named file by file: junk named explicitly is an error too, and the
    // text report still shows the good ones.
    let junk = [
        broken,
        dir.join("README.txt"),
        dir.join("noise.bin"),
        dir.join("ls"),
    ];
    let mut cmd = support::goaudit();
    cmd.arg(&good1).args(&junk).arg(&good2);
    let out = run_with_timeout(cmd, Duration::from_secs(120));
    assert_no_panic(&out, "explicit good and bad files");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{stderr}");
    for j in &junk {
        assert_eq!(
            error_lines_for(&stderr, j).len(),
            1,
            "one error line for {}; stderr:\n{stderr}",
            j.display()
        );
    }
    assert_eq!(stderr.lines().count(), junk.len(), "stderr:\n{stderr}");
    for g in [&good1, &good2] {
        assert!(
            stdout.contains(&g.display().to_string()),
            "{} missing from the report:\n{stdout}",
            g.display()
        );
    }
}

/// File offsets worth breaking: headers, and the starts of the Go structures every
/// verdict reads.
fn interesting_offsets(bytes: &[u8]) -> Vec<usize> {
    use object::{Object, ObjectSection};
    let mut offs: Vec<usize> = (0..64).collect();
    let file = object::File::parse(bytes).expect("hello-cgo0 parses");
    let e_phoff = u64::from_le_bytes(bytes[32..40].try_into().unwrap()) as usize;
    let e_shoff = u64::from_le_bytes(bytes[40..48].try_into().unwrap()) as usize;
    let phnum = u16::from_le_bytes(bytes[56..58].try_into().unwrap()) as usize;
    let shnum = u16::from_le_bytes(bytes[60..62].try_into().unwrap()) as usize;
    offs.extend((e_phoff..e_phoff + phnum * 56).step_by(11));
    offs.extend((e_shoff..e_shoff + shnum * 64).step_by(23));
    for (name, len, step) in [
        (".go.buildinfo", 64, 1),
        (".gopclntab", 72, 1),
        (".note.go.buildid", 24, 2),
        (".symtab", 96, 8),
        (".shstrtab", 64, 8),
        (".debug_info", 32, 4),
    ] {
        let s = file
            .section_by_name(name)
            .unwrap_or_else(|| panic!("hello-cgo0 has no {name}"));
        let (start, size) = s.file_range().expect("section in file");
        let end = (start + size.min(len)) as usize;
        offs.extend((start as usize..end).step_by(step));
    }
    offs.retain(|&o| o < bytes.len());
    offs
}

/// Flip and truncate a real Go binary at a few hundred deterministic places: goaudit
/// must answer each with a report or an error line, never a panic or a hang.
#[test]
fn mangled_binary_never_panics() {
    let (_, bytes) = good_binary();
    let d = scratch();
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();

    let mut offs = interesting_offsets(&bytes);
    // Plus spread-out positions from a fixed xorshift sequence.
    let r = noise(0x5eed, 64);
    for c in r.chunks(4) {
        let v = u32::from_le_bytes(c.try_into().unwrap()) as usize;
        offs.push(v % bytes.len());
    }
    for (i, &o) in offs.iter().enumerate() {
        let mut m = bytes.clone();
        // Cycle through the values most likely to break length and offset checks.
        m[o] = match i % 4 {
            0 => 0xff,
            1 => 0x00,
            2 => m[o] ^ 0x80,
            _ => m[o].wrapping_add(1),
        };
        cases.push((format!("flip-{o:07x}-{}", i % 4), m));
    }
    let mut cut = 8usize;
    while cut < bytes.len() {
        cases.push((format!("cut-{cut:07x}"), bytes[..cut].to_vec()));
        cut = cut * 3 / 2 + 1;
    }
    for o in [0x190usize, 0x1000, bytes.len() - 1, bytes.len() - 64] {
        cases.push((format!("cut-{o:07x}"), bytes[..o].to_vec()));
    }
    assert!(cases.len() >= 300, "only {} cases", cases.len());

    // Batches keep the process count (and disk use) down; each file is named explicitly
    // so each must come back as an artifact or an error.
    for batch in cases.chunks(25) {
        let paths: Vec<PathBuf> = batch.iter().map(|(n, b)| write(d.path(), n, b)).collect();
        let out = goaudit_json(&paths);
        let names: Vec<&str> = batch.iter().map(|(n, _)| n.as_str()).collect();
        assert_no_panic(&out, &format!("mangled copies {names:?}"));
        // The human report takes the fast path (names visited, no size attribution).
        let mut text = support::goaudit();
        text.arg("--color=never").args(&paths);
        let text = run_with_timeout(text, Duration::from_secs(120));
        assert_no_panic(&text, &format!("mangled copies, text report {names:?}"));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}) for {names:?}: {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        let mut seen: Vec<String> = Vec::new();
        for key in ["artifacts", "errors"] {
            for x in v[key].as_array().expect("array") {
                seen.push(x["path"].as_str().unwrap_or_default().to_string());
            }
        }
        for p in &paths {
            let p = p.display().to_string();
            assert_eq!(
                seen.iter().filter(|s| **s == p).count(),
                1,
                "{p} must be reported exactly once (as artifact or error): {seen:?}"
            );
        }
        for p in &paths {
            std::fs::remove_file(p).ok();
        }
    }
}
