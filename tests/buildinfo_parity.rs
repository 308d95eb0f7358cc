//! `goaudit buildinfo FILE` must print exactly what the local `go version -m FILE` prints,
//! for the Go toolchain's own binaries, the test-binary matrix, binaries built here for the
//! layouts the matrix lacks (replacements, quoted settings, GOPATH mode, 32-bit and
//! big-endian targets, PE32), and the multi-version corpus of `scripts/corpus.sh`
//! (Go 1.13 onwards, which covers the pre-1.18 pointer layout).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn go_version_m(file: &Path) -> Output {
    run(Command::new(support::go_binary())
        .args(["version", "-m"])
        .arg(file))
}

fn goaudit_buildinfo(file: &Path) -> Output {
    run(support::goaudit().arg("buildinfo").arg(file))
}

/// A line diff good enough to spot the differing line of two short texts.
fn diff(want: &str, got: &str) -> String {
    let w: Vec<&str> = want.lines().collect();
    let g: Vec<&str> = got.lines().collect();
    let mut out = String::new();
    for i in 0..w.len().max(g.len()) {
        match (w.get(i), g.get(i)) {
            (Some(a), Some(b)) if a == b => {}
            (a, b) => {
                out.push_str(&format!(
                    "  line {}:\n    go:      {a:?}\n    goaudit: {b:?}\n",
                    i + 1
                ));
            }
        }
    }
    if out.is_empty() && want != got {
        out.push_str("  (differ only in trailing newlines)\n");
    }
    out
}

/// Compare every file; fail once, listing every mismatch. Returns how many files Go
/// could read (so callers can insist the set was not empty).
fn assert_parity(files: &[PathBuf]) -> usize {
    let mut failures = String::new();
    let mut go_readable = 0;
    for f in files {
        let want = go_version_m(f);
        let got = goaudit_buildinfo(f);
        let (w, g) = (
            String::from_utf8_lossy(&want.stdout),
            String::from_utf8_lossy(&got.stdout),
        );
        // Compare bytes: Go prints names and settings that are not UTF-8 as they are.
        let same = want.stdout == got.stdout;
        if want.status.success() {
            go_readable += 1;
            if !same || !got.status.success() {
                failures.push_str(&format!(
                    "{} (goaudit exit {:?}, stderr {:?}):\n{}",
                    f.display(),
                    got.status.code(),
                    String::from_utf8_lossy(&got.stderr),
                    diff(&w, &g)
                ));
            }
        } else if !g.is_empty() || got.status.code() != Some(2) {
            // Go cannot read it: goaudit must not invent buildinfo either.
            failures.push_str(&format!(
                "{}: go version -m failed ({}) but goaudit printed {g:?} with exit {:?}\n",
                f.display(),
                String::from_utf8_lossy(&want.stderr).trim(),
                got.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "buildinfo mismatches:\n{failures}");
    go_readable
}

#[test]
fn toolchain_binaries_match_go_version_m() {
    let files = support::go_toolchain_binaries();
    assert_eq!(
        assert_parity(&files),
        files.len(),
        "every toolchain binary is Go"
    );
}

#[test]
fn test_binaries_match_go_version_m() {
    let files: Vec<PathBuf> = support::testbin_names()
        .iter()
        .map(|n| support::testbin(n))
        .collect();
    assert!(files.len() >= 10, "matrix too small: {files:?}");
    assert!(assert_parity(&files) >= 10);
}

#[test]
fn corpus_of_go_versions_matches_go_version_m() {
    let rows: Vec<(String, PathBuf)> = support::corpus()
        .into_iter()
        .map(|e| (e.go, e.path))
        .collect();
    // The point of the corpus: the pre-1.18 pointer layout, and Mach-O and PE.
    let old = rows
        .iter()
        .filter(|(v, _)| {
            ["go1.13", "go1.14", "go1.15", "go1.16", "go1.17"]
                .iter()
                .any(|p| v.starts_with(p))
        })
        .count();
    assert!(
        old >= 3,
        "corpus has only {old} pre-1.18 binaries: {rows:?}"
    );
    // Go 1.12 wrote no buildinfo header: `go version -m` cannot read those binaries, and
    // goaudit prints the version the runtime's own string gives, saying it is inferred.
    let (headerless, files): (Vec<_>, Vec<_>) =
        rows.into_iter().partition(|(v, _)| v.starts_with("go1.12"));
    assert!(
        headerless.len() >= 3,
        "corpus lacks Go 1.12 ELF, Mach-O and PE: {headerless:?}"
    );
    for (v, f) in &headerless {
        assert!(
            !go_version_m(f).status.success(),
            "{}: go version -m read it",
            f.display()
        );
        let got = goaudit_buildinfo(f);
        assert!(got.status.success(), "{}: {got:?}", f.display());
        assert_eq!(
            String::from_utf8_lossy(&got.stdout),
            format!("{}: {v}\n", f.display())
        );
        assert!(
            String::from_utf8_lossy(&got.stderr).contains("inferred"),
            "{}: {got:?}",
            f.display()
        );
    }
    let files: Vec<PathBuf> = files.into_iter().map(|(_, p)| p).collect();
    assert_eq!(
        assert_parity(&files),
        files.len(),
        "every corpus binary is Go"
    );
}

const HELLO: &str = "package main\n\nimport \"fmt\"\n\nvar version = \"dev\"\n\nfunc main() { fmt.Println(\"hello\", version) }\n";

/// A module with a dependency replaced by a local directory, so that buildinfo gets a
/// `dep` line followed by `=>` (and Go's blank line after it).
fn write_replace_module(dir: &Path) {
    let lib = dir.join("lib");
    let app = dir.join("app");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(lib.join("go.mod"), "module example.com/lib\n\ngo 1.21\n").unwrap();
    std::fs::write(
        lib.join("lib.go"),
        "package lib\n\n// Hello greets.\nfunc Hello() string { return \"hi\" }\n",
    )
    .unwrap();
    std::fs::write(
        app.join("go.mod"),
        "module example.com/app\n\ngo 1.21\n\nrequire example.com/lib v1.2.3\n\nreplace example.com/lib => ../lib\n",
    )
    .unwrap();
    std::fs::write(
        app.join("main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/lib\"\n)\n\nvar version = \"dev\"\n\nfunc main() { fmt.Println(lib.Hello(), version) }\n",
    )
    .unwrap();
}

/// One `go build`: output name, extra environment, build flags, working directory.
type Build<'a> = (&'a str, Vec<(&'a str, &'a str)>, Vec<&'a str>, &'a Path);

/// Binaries built here, once per test process, under `target/buildinfo-parity`.
fn own_builds() -> &'static Vec<PathBuf> {
    static BUILT: OnceLock<Vec<PathBuf>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let go = support::go_binary();
        let dir = support::repo_root().join("target").join("buildinfo-parity");
        let _ = std::fs::remove_dir_all(&dir);
        write_replace_module(&dir.join("src"));
        let gopath_pkg = dir.join("gopath").join("src").join("hello");
        std::fs::create_dir_all(&gopath_pkg).unwrap();
        std::fs::write(gopath_pkg.join("main.go"), HELLO).unwrap();

        let app = dir.join("src").join("app");
        let ldflags = "-ldflags=-X 'main.version=with space' -X \"main.other=it's\" -buildid=";
        let builds: Vec<Build> = vec![
            ("replace-default", vec![], vec![], &app),
            ("replace-ldflags-quoted", vec![("CGO_ENABLED", "0")], vec![ldflags, "-tags=netgo,osusergo"], &app),
            ("replace-trimpath", vec![("CGO_ENABLED", "0")], vec!["-trimpath", "-ldflags=-s -w"], &app),
            ("replace-386", vec![("GOARCH", "386"), ("CGO_ENABLED", "0")], vec![], &app),
            ("replace-arm", vec![("GOARCH", "arm"), ("GOARM", "7"), ("CGO_ENABLED", "0")], vec![], &app),
            ("replace-s390x", vec![("GOARCH", "s390x"), ("CGO_ENABLED", "0")], vec![], &app),
            ("replace-mips", vec![("GOARCH", "mips"), ("CGO_ENABLED", "0")], vec![], &app),
            ("replace-windows-386.exe", vec![("GOOS", "windows"), ("GOARCH", "386")], vec![], &app),
            ("replace-darwin-amd64", vec![("GOOS", "darwin"), ("GOARCH", "amd64")], vec![], &app),
            ("gopath-hello", vec![("GO111MODULE", "off"), ("GOPATH", "")], vec![], &gopath_pkg),
        ];
        let gopath = dir.join("gopath");
        let mut out = Vec::new();
        for (name, env, flags, cwd) in builds {
            let target = dir.join(name);
            let mut cmd = Command::new(&go);
            cmd.current_dir(cwd)
                .env("GOFLAGS", "-buildvcs=false")
                .env("GOTOOLCHAIN", "local")
                .env("GOPROXY", "off")
                .arg("build")
                .arg("-o")
                .arg(&target);
            for (k, v) in env {
                if k == "GOPATH" {
                    cmd.env("GOPATH", &gopath);
                } else {
                    cmd.env(k, v);
                }
            }
            cmd.args(flags);
            let o = run(&mut cmd);
            assert!(
                o.status.success(),
                "go build {name} failed (needs the Go toolchain with its cross-compilation support):\n{}",
                String::from_utf8_lossy(&o.stderr)
            );
            out.push(target);
        }
        // A file name and a CGO_CFLAGS value that are not UTF-8 (Latin-1 "é"): Go copies
        // the environment into buildinfo unquoted and prints both as raw bytes.
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let target = dir.join(std::ffi::OsStr::from_bytes(b"latin1-caf\xe9"));
            let o = run(Command::new(&go)
                .current_dir(&app)
                .env("GOFLAGS", "-buildvcs=false")
                .env("GOTOOLCHAIN", "local")
                .env("GOPROXY", "off")
                .env("CGO_ENABLED", "1")
                .env("CGO_CFLAGS", std::ffi::OsStr::from_bytes(b"-O2 -DCAFE=caf\xe9"))
                .env("CGO_LDFLAGS", std::ffi::OsStr::from_bytes(b"-L/opt/caf\xe9"))
                .arg("build")
                .arg("-o")
                .arg(&target));
            assert!(
                o.status.success(),
                "go build with Latin-1 CGO flags failed (needs gcc: apt-get install gcc):\n{}",
                String::from_utf8_lossy(&o.stderr)
            );
            out.push(target);
        }
        out
    })
}

#[test]
fn own_builds_match_go_version_m() {
    let files = own_builds();
    assert_eq!(assert_parity(files), files.len());
    // The builds must really exercise what they are here for.
    let text = |name: &str| {
        let f = files.iter().find(|f| f.ends_with(name)).unwrap();
        String::from_utf8(goaudit_buildinfo(f).stdout).unwrap()
    };
    let replaced = text("replace-default");
    assert!(
        replaced.contains("\tdep\texample.com/lib\tv1.2.3\n\t=>\t../lib\t"),
        "{replaced}"
    );
    assert!(
        replaced.contains("\n\t\n\tbuild\t"),
        "no blank line after the replacement: {replaced}"
    );
    let quoted = text("replace-ldflags-quoted");
    assert!(
        quoted.contains("-ldflags=\"-X 'main.version=with space'"),
        "{quoted}"
    );
    assert!(
        quoted.contains("-X \\\"main.other=it's\\\" -buildid=\""),
        "{quoted}"
    );
    #[cfg(unix)]
    {
        let f = files
            .iter()
            .find(|f| f.to_string_lossy().contains("latin1"))
            .unwrap();
        let out = goaudit_buildinfo(f).stdout;
        let has = |needle: &[u8]| out.windows(needle.len()).any(|w| w == needle);
        assert!(
            has(b"latin1-caf\xe9: go"),
            "{}",
            String::from_utf8_lossy(&out)
        );
        assert!(
            has(b"CGO_LDFLAGS=-L/opt/caf\xe9\n"),
            "{}",
            String::from_utf8_lossy(&out)
        );
        assert!(
            has(b"CGO_CFLAGS=\"-O2 -DCAFE=caf\\xe9\"\n"),
            "{}",
            String::from_utf8_lossy(&out)
        );
    }
    let gopath = text("gopath-hello");
    assert!(
        gopath.contains("\tpath\thello\n") && !gopath.contains("\tmod\t"),
        "GOPATH build has a path but no module: {gopath}"
    );
}

#[test]
fn json_agrees_with_go_version_m_json() {
    let files = own_builds();
    let f = files
        .iter()
        .find(|f| f.ends_with("replace-ldflags-quoted"))
        .unwrap();
    let go = run(Command::new(support::go_binary())
        .args(["version", "-m", "-json"])
        .arg(f));
    assert!(go.status.success());
    let go: serde_json::Value = serde_json::from_slice(&go.stdout).unwrap();
    let ours = run(support::goaudit().args(["buildinfo", "--json"]).arg(f));
    assert!(ours.status.success());
    let ours: serde_json::Value = serde_json::from_slice(&ours.stdout).unwrap();
    assert_eq!(ours["schema_version"], 2);
    let entry = &ours["buildinfo"][0];
    assert_eq!(entry["path"], f.display().to_string());
    let bi = &entry["buildinfo"];
    assert_eq!(bi["go_version"], go["GoVersion"]);
    assert_eq!(bi["path"], go["Path"]);
    assert_eq!(bi["main"]["path"], go["Main"]["Path"]);
    assert_eq!(bi["main"]["version"], go["Main"]["Version"]);
    assert_eq!(bi["inferred"], false);
    let deps = go["Deps"].as_array().unwrap();
    assert_eq!(bi["deps"].as_array().unwrap().len(), deps.len());
    assert_eq!(bi["deps"][0]["path"], deps[0]["Path"]);
    assert_eq!(bi["deps"][0]["replace"]["path"], deps[0]["Replace"]["Path"]);
    let go_settings: Vec<(String, String)> = go["Settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let v = |k: &str| s[k].as_str().unwrap_or("").to_string();
            (v("Key"), v("Value"))
        })
        .collect();
    let our_settings: Vec<(String, String)> =
        serde_json::from_value(bi["settings"].clone()).unwrap();
    assert_eq!(our_settings, go_settings);
}

#[test]
fn non_go_files_are_one_error_line_and_exit_2() {
    let go_bin = support::testbin("hello-cgo0");
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "just text\n").unwrap();
    let ls = support::require_tool("ls", "install coreutils (apt-get install coreutils)");
    let out = run(support::goaudit()
        .arg("buildinfo")
        .arg(&ls)
        .arg(&go_bin)
        .arg(&text));
    assert_eq!(out.status.code(), Some(2));
    let want = go_version_m(&go_bin);
    assert!(want.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&want.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].contains(&ls.display().to_string()), "{stderr}");
    assert!(lines[1].contains("notes.txt"), "{stderr}");

    // With --json the same errors are in the document's `errors`, next to the common
    // envelope, and still on stderr.
    let out = run(support::goaudit()
        .args(["buildinfo", "--json"])
        .arg(&ls)
        .arg(&go_bin)
        .arg(&text));
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["schema_version"], 2);
    assert_eq!(doc["tool"]["name"], "goaudit");
    assert_eq!(doc["tool"]["version"], env!("CARGO_PKG_VERSION"));
    let infos = doc["buildinfo"].as_array().unwrap();
    assert_eq!(infos.len(), 1, "{doc}");
    assert_eq!(infos[0]["path"], go_bin.display().to_string());
    let errors = doc["errors"].as_array().unwrap();
    let paths: Vec<&str> = errors.iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        [ls.display().to_string(), text.display().to_string()],
        "{doc}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    for e in errors {
        let line = format!("goaudit: {}", e["error"].as_str().unwrap());
        assert!(stderr.lines().any(|l| l == line), "{line} not in {stderr}");
    }
    // All good: an empty `errors`, exit 0.
    let out = run(support::goaudit()
        .args(["buildinfo", "--json"])
        .arg(&go_bin));
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["errors"], serde_json::json!([]));
}

/// Remove every copy of the magic, as a release pipeline that scrubs it would.
fn scrub_header(src: &Path, dst: &Path) {
    let mut data = std::fs::read(src).unwrap();
    let magic = b"\xff Go buildinf:";
    let mut hits = 0;
    let mut i = 0;
    while let Some(p) = data[i..].windows(magic.len()).position(|w| w == magic) {
        data[i + p] = 0;
        hits += 1;
        i += p + 1;
    }
    assert!(hits > 0, "{} has no buildinfo magic", src.display());
    std::fs::write(dst, data).unwrap();
}

#[test]
fn version_is_inferred_when_the_header_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    // With a symbol table (runtime.buildVersion), without one (read-only data scan), and
    // the Mach-O and PE cross builds.
    for name in [
        "netuser-default",
        "netuser-default-stripped",
        "netuser-cgo0-trimpath-sw",
        "netuser-darwin-arm64",
        "netuser-windows-amd64.exe",
    ] {
        let src = support::testbin(name);
        let want = run(Command::new(support::go_binary()).arg("version").arg(&src));
        assert!(want.status.success());
        let want = String::from_utf8_lossy(&want.stdout);
        let version = want.split_whitespace().nth(1).unwrap().to_string();
        let dst = dir.path().join(name);
        scrub_header(&src, &dst);
        assert!(
            !go_version_m(&dst).status.success(),
            "go still reads buildinfo from the scrubbed {name}"
        );
        let out = goaudit_buildinfo(&dst);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("{}: {version}\n", dst.display()),
            "{name}"
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("inferred"));
        let json = run(support::goaudit().args(["buildinfo", "--json"]).arg(&dst));
        let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        assert_eq!(v["buildinfo"][0]["buildinfo"]["inferred"], true);
        assert_eq!(
            v["buildinfo"][0]["buildinfo"]["go_version"],
            version.as_str()
        );
    }
}

#[test]
fn upx_packed_file_gives_no_buildinfo() {
    let packed = support::testbin("netuser-cgo0-trimpath-sw-upx");
    let out = goaudit_buildinfo(&packed);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn best_of(n: usize, mut f: impl FnMut()) -> Duration {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

#[test]
fn large_binary_is_not_scanned_whole() {
    // `compile` is the largest toolchain binary (20+ MB); reading only the section keeps
    // goaudit within twice `go version -m`'s time (plus slack for a busy machine).
    let files = support::go_toolchain_binaries();
    let big = files
        .iter()
        .max_by_key(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .unwrap();
    let go = best_of(5, || assert!(go_version_m(big).status.success()));
    let ours = best_of(5, || assert!(goaudit_buildinfo(big).status.success()));
    assert!(
        ours <= go * 2 + Duration::from_millis(20),
        "goaudit took {ours:?} on {}, go version -m {go:?}",
        big.display()
    );
}
