//! Every verdict of `goaudit --json` on every binary of the Go test matrix
//! (testbins/build.sh), against an explicit expectation table. The expectations come
//! from the build flags and the measured facts (docs/verdicts.md renders the same
//! table); where the Go version matters, the values are those of Go 1.21+ on linux/amd64.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

const DYLD: &str = "/usr/lib/dyld";
const LD_SO: &str = "/lib64/ld-linux-x86-64.so.2";
const LIBC: &[&str] = &["libc.so.6"];
/// Go's darwin runtime, crypto/x509 and net call libSystem and these frameworks
/// directly (no cgo needed), so every darwin Go binary loads them.
const DARWIN_LIBS: &[&str] = &[
    "/usr/lib/libSystem.B.dylib",
    "/usr/lib/libresolv.9.dylib",
    "/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation",
    "/System/Library/Frameworks/Security.framework/Versions/A/Security",
];

/// What `goaudit --json` must say about one test binary.
#[derive(Debug, Clone, Copy)]
struct Expect {
    name: &'static str,
    format: &'static str,
    arch: &'static str,
    /// `linking.kind`.
    link: &'static str,
    /// `linking.interpreter`.
    interp: Option<&'static str>,
    /// `linking.needed` (compared as a case-insensitive set).
    needed: &'static [&'static str],
    /// `cgo.setting`.
    cgo_setting: Option<&'static str>,
    /// `cgo.linked`.
    cgo_linked: bool,
    /// `net.resolver`.
    resolver: &'static str,
    /// `net.netgo`: why the pure-Go resolver is in effect.
    netgo: Option<&'static str>,
    /// `os_user.impl`.
    os_user: &'static str,
    /// `os_user.osusergo`.
    osusergo: Option<&'static str>,
    symtab: bool,
    dwarf: bool,
    trimpath: Option<bool>,
    /// `go_version` equals `go env GOVERSION` (false: it must be null).
    go_version: bool,
    packed: Option<&'static str>,
    /// `vcs.modified` (None: `vcs` must be null).
    vcs_modified: Option<bool>,
    /// `hardening.pie` and `hardening.relro` (None: `hardening` must be null).
    hardening: Option<(bool, &'static str)>,
}

/// A CGO_ENABLED=0 static linux/amd64 netuser with full debug info: the base every row
/// below modifies.
const BASE: Expect = Expect {
    name: "",
    format: "elf",
    arch: "amd64",
    link: "static",
    interp: None,
    needed: &[],
    cgo_setting: Some("0"),
    cgo_linked: false,
    resolver: "go",
    netgo: Some("cgo-disabled"),
    os_user: "go",
    osusergo: Some("cgo-disabled"),
    symtab: true,
    dwarf: true,
    trimpath: Some(false),
    go_version: true,
    packed: None,
    vcs_modified: None,
    hardening: Some((false, "none")),
};

/// The default cgo build: dynamic, libc resolver and libc user lookups.
const CGO: Expect = Expect {
    link: "dynamic",
    interp: Some(LD_SO),
    needed: LIBC,
    cgo_setting: Some("1"),
    cgo_linked: true,
    resolver: "cgo",
    netgo: None,
    os_user: "cgo",
    osusergo: None,
    ..BASE
};

const TABLE: &[Expect] = &[
    Expect {
        name: "netuser-default",
        ..CGO
    },
    Expect {
        name: "netuser-cgo0",
        ..BASE
    },
    // -tags netgo only replaces the resolver; os/user still pulls in cgo.
    Expect {
        name: "netuser-netgo",
        resolver: "go",
        netgo: Some("netgo-tag"),
        ..CGO
    },
    Expect {
        name: "netuser-osusergo",
        os_user: "go",
        osusergo: Some("osusergo-tag"),
        ..CGO
    },
    // Trap: CGO_ENABLED=1 recorded, but with both tags nothing uses cgo, so runtime/cgo is
    // not linked and the binary is as static as CGO_ENABLED=0.
    Expect {
        name: "netuser-netgo-osusergo",
        cgo_setting: Some("1"),
        netgo: Some("netgo-tag"),
        osusergo: Some("osusergo-tag"),
        ..BASE
    },
    // -trimpath hides -ldflags in buildinfo; symtab/DWARF absence must come from the file.
    Expect {
        name: "netuser-cgo0-trimpath-sw",
        symtab: false,
        dwarf: false,
        trimpath: Some(true),
        ..BASE
    },
    // -s implies -w on ELF.
    Expect {
        name: "netuser-s",
        symtab: false,
        dwarf: false,
        ..CGO
    },
    Expect {
        name: "netuser-w",
        dwarf: false,
        ..CGO
    },
    // Trap: a CGO_ENABLED=0 PIE still has PT_INTERP (the loader relocates it) but no
    // DT_NEEDED.
    Expect {
        name: "netuser-pie-cgo0",
        link: "dynamic",
        interp: Some(LD_SO),
        hardening: Some((true, "partial")),
        ..BASE
    },
    Expect {
        name: "netuser-pie-cgo1",
        hardening: Some((true, "partial")),
        ..CGO
    },
    // Static glibc: no loader, no libraries, yet cgo and the libc resolver are inside.
    // ld emits PT_GNU_RELRO even for a static executable.
    Expect {
        name: "netuser-extstatic",
        link: "static",
        interp: None,
        needed: &[],
        hardening: Some((false, "partial")),
        ..CGO
    },
    Expect {
        name: "netuser-race",
        ..CGO
    },
    // strip is post-link: buildinfo still says nothing about -s, the file must.
    Expect {
        name: "netuser-cgo0-stripped",
        symtab: false,
        dwarf: false,
        ..BASE
    },
    Expect {
        name: "netuser-default-stripped",
        symtab: false,
        dwarf: false,
        ..CGO
    },
    // UPX compresses every Go structure; with `upx` installed goaudit unpacks a copy and
    // reports the program inside, while `packed` and `size` still describe the file.
    Expect {
        name: "netuser-cgo0-trimpath-sw-upx",
        symtab: false,
        dwarf: false,
        trimpath: Some(true),
        packed: Some("upx"),
        ..BASE
    },
    Expect {
        name: "netuser-vcs",
        vcs_modified: Some(true),
        ..BASE
    },
    // darwin: Go reaches libSystem's getaddrinfo and getpwuid_r through its own syscall
    // trampolines even with CGO_ENABLED=0 (net/cgo_unix_syscall.go, os/user/
    // cgo_lookup_syscall.go: `!netgo && darwin`, `!osusergo && darwin`), so the libc
    // resolver and user lookups are compiled in without runtime/cgo.
    Expect {
        name: "netuser-darwin-arm64",
        format: "macho",
        arch: "arm64",
        link: "dynamic",
        interp: Some(DYLD),
        needed: DARWIN_LIBS,
        resolver: "cgo",
        netgo: None,
        os_user: "cgo",
        osusergo: None,
        hardening: None,
        ..BASE
    },
    // windows: only kernel32.dll is imported; net resolves through the Windows API
    // (GetAddrInfoW, net/lookup_windows.go) and os/user reads the process token
    // (os/user/lookup_windows.go): neither pure Go nor libc, hence "system".
    Expect {
        name: "netuser-windows-amd64.exe",
        format: "pe",
        needed: &["kernel32.dll"],
        resolver: "system",
        netgo: None,
        os_user: "system",
        osusergo: None,
        hardening: None,
        ..BASE
    },
    // httpserver: a plain net/http server. On linux CGO_ENABLED=0 it is pure Go.
    Expect {
        name: "httpserver-cgo0",
        os_user: "absent",
        osusergo: None,
        ..BASE
    },
    // On darwin the same server resolves through libSystem's getaddrinfo without cgo:
    // it never calls net.LookupHost, so only the IP and port lookups Listen makes
    // (net.cgoLookupIP, net.cgoLookupPort) and internal/syscall/unix.Getaddrinfo are
    // there. A "pure Go" verdict here would be the trap.
    Expect {
        name: "httpserver-darwin-arm64",
        format: "macho",
        arch: "arm64",
        link: "dynamic",
        interp: Some(DYLD),
        needed: DARWIN_LIBS,
        resolver: "cgo",
        netgo: None,
        os_user: "absent",
        osusergo: None,
        hardening: None,
        ..BASE
    },
    // -tags netgo on darwin: the pure-Go resolver only (net/cgo_stub.go).
    Expect {
        name: "httpserver-darwin-arm64-netgo",
        format: "macho",
        arch: "arm64",
        link: "dynamic",
        interp: Some(DYLD),
        needed: DARWIN_LIBS,
        netgo: Some("netgo-tag"),
        os_user: "absent",
        osusergo: None,
        hardening: None,
        ..BASE
    },
    // depdiff hashes its arguments: no net, no os/user; -trimpath.
    Expect {
        name: "depdiff-base",
        resolver: "absent",
        netgo: None,
        os_user: "absent",
        osusergo: None,
        trimpath: Some(true),
        ..BASE
    },
    Expect {
        name: "depdiff-extra",
        resolver: "absent",
        netgo: None,
        os_user: "absent",
        osusergo: None,
        trimpath: Some(true),
        ..BASE
    },
    // hello links neither net nor os/user; CGO_ENABLED=1 changes nothing in its code.
    Expect {
        name: "hello-default",
        cgo_setting: Some("1"),
        resolver: "absent",
        netgo: None,
        os_user: "absent",
        osusergo: None,
        ..BASE
    },
    Expect {
        name: "hello-cgo0",
        resolver: "absent",
        netgo: None,
        os_user: "absent",
        osusergo: None,
        ..BASE
    },
    // promserver uses net/http (cgo resolver by default) but not os/user.
    Expect {
        name: "promserver-default",
        os_user: "absent",
        osusergo: None,
        ..CGO
    },
    Expect {
        name: "promserver-cgo0-trimpath-sw",
        os_user: "absent",
        osusergo: None,
        symtab: false,
        dwarf: false,
        trimpath: Some(true),
        ..BASE
    },
];

fn expectation(name: &str) -> Expect {
    *TABLE
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no expectation row for {name}"))
}

/// `goaudit --json PATH`, checked for the JSON envelope; returns the one artifact.
fn audit_json(path: &Path) -> Value {
    let out = support::goaudit()
        .arg("--json")
        .arg(path)
        .output()
        .expect("run goaudit");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "goaudit panicked on {}: {stderr}",
        path.display()
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "goaudit --json {} exited {:?}: {stderr}",
        path.display(),
        out.status.code()
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout of goaudit --json {} is not JSON ({e}): {}",
            path.display(),
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_eq!(v["schema_version"], 2, "schema_version");
    assert_eq!(v["errors"], Value::Array(vec![]), "errors");
    let arts = v["artifacts"].as_array().expect("artifacts array");
    assert_eq!(arts.len(), 1, "one artifact per file: {v:#}");
    arts[0].clone()
}

fn opt_str(v: &Value) -> Option<&str> {
    v.as_str()
}

fn lower_set<'a>(it: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    it.into_iter().map(|s| s.to_ascii_lowercase()).collect()
}

/// Compare every verdict key, collecting all mismatches so one run shows them all.
fn check(name: &str) {
    let e = expectation(name);
    if e.packed == Some("upx") {
        support::require_tool(
            "upx",
            "run scripts/setup.sh (Debian 12: apt-get install -t bookworm-backports upx-ucl)",
        );
    }
    let path = support::testbin(name);
    let a = audit_json(&path);
    let mut bad: Vec<String> = Vec::new();
    let mut eq = |key: &str, got: String, want: String| {
        if got != want {
            bad.push(format!("{key}: got {got}, want {want}"));
        }
    };

    eq(
        "kind",
        format!("{:?}", opt_str(&a["kind"])),
        format!("{:?}", Some("binary")),
    );
    eq(
        "path",
        format!("{:?}", opt_str(&a["path"])),
        format!("{:?}", Some(path.display().to_string().as_str())),
    );
    let size = std::fs::metadata(&path).expect("stat testbin").len();
    eq("size", a["size"].to_string(), size.to_string());
    eq(
        "format",
        format!("{:?}", opt_str(&a["format"])),
        format!("{:?}", Some(e.format)),
    );
    eq(
        "arch",
        format!("{:?}", opt_str(&a["arch"])),
        format!("{:?}", Some(e.arch)),
    );

    let want_version = e.go_version.then(|| support::go_env("GOVERSION"));
    eq(
        "go_version",
        format!("{:?}", opt_str(&a["go_version"])),
        format!("{:?}", want_version.as_deref()),
    );
    eq(
        "packed",
        format!("{:?}", opt_str(&a["packed"])),
        format!("{:?}", e.packed),
    );

    let ids: Vec<&str> = a["findings"]
        .as_array()
        .map(|f| f.iter().filter_map(|x| x["id"].as_str()).collect())
        .unwrap_or_default();
    eq(
        "findings has upx-packed",
        ids.contains(&"upx-packed").to_string(),
        e.packed.is_some().to_string(),
    );

    let l = &a["linking"];
    eq(
        "linking.kind",
        format!("{:?}", opt_str(&l["kind"])),
        format!("{:?}", Some(e.link)),
    );
    eq(
        "linking.interpreter",
        format!("{:?}", opt_str(&l["interpreter"])),
        format!("{:?}", e.interp),
    );
    let needed = l["needed"]
        .as_array()
        .map(|v| lower_set(v.iter().filter_map(Value::as_str)));
    eq(
        "linking.needed",
        format!("{needed:?}"),
        format!("{:?}", Some(lower_set(e.needed.iter().copied()))),
    );

    let c = &a["cgo"];
    eq(
        "cgo.setting",
        format!("{:?}", opt_str(&c["setting"])),
        format!("{:?}", e.cgo_setting),
    );
    eq(
        "cgo.linked",
        c["linked"].to_string(),
        e.cgo_linked.to_string(),
    );
    // The note explains a setting that the reality contradicts (the CGO_ENABLED=1 trap).
    let contradiction = matches!(
        (e.cgo_setting, e.cgo_linked),
        (Some("1"), false) | (Some("0"), true)
    );
    eq(
        "cgo.note present",
        (!c["note"].is_null()).to_string(),
        contradiction.to_string(),
    );

    eq(
        "net.resolver",
        format!("{:?}", opt_str(&a["net"]["resolver"])),
        format!("{:?}", Some(e.resolver)),
    );
    eq(
        "net.netgo",
        format!("{:?}", opt_str(&a["net"]["netgo"])),
        format!("{:?}", e.netgo),
    );
    eq(
        "os_user.impl",
        format!("{:?}", opt_str(&a["os_user"]["impl"])),
        format!("{:?}", Some(e.os_user)),
    );
    eq(
        "os_user.osusergo",
        format!("{:?}", opt_str(&a["os_user"]["osusergo"])),
        format!("{:?}", e.osusergo),
    );

    eq("symtab", a["symtab"].to_string(), e.symtab.to_string());
    eq("dwarf", a["dwarf"].to_string(), e.dwarf.to_string());
    eq(
        "trimpath",
        format!("{:?}", a["trimpath"].as_bool()),
        format!("{:?}", e.trimpath),
    );

    match e.vcs_modified {
        None => eq("vcs", a["vcs"].to_string(), "null".into()),
        Some(m) => {
            let v = &a["vcs"];
            eq(
                "vcs.modified",
                format!("{:?}", v["modified"].as_bool()),
                format!("{:?}", Some(m)),
            );
            eq(
                "vcs.system",
                format!("{:?}", opt_str(&v["system"])),
                format!("{:?}", Some("git")),
            );
            let rev = git_head(&support::testbins_dir().join(format!(".src-{name}")));
            eq(
                "vcs.revision",
                format!("{:?}", opt_str(&v["revision"])),
                format!("{:?}", Some(rev.as_str())),
            );
            // build.sh commits with this fixed date.
            eq(
                "vcs.time",
                format!("{:?}", opt_str(&v["time"])),
                format!("{:?}", Some("2024-01-02T03:04:05Z")),
            );
        }
    }

    match e.hardening {
        None => eq("hardening", a["hardening"].to_string(), "null".into()),
        Some((pie, relro)) => {
            let h = &a["hardening"];
            eq("hardening.pie", h["pie"].to_string(), pie.to_string());
            eq(
                "hardening.relro",
                format!("{:?}", opt_str(&h["relro"])),
                format!("{:?}", Some(relro)),
            );
            // Every Go ELF (internal or external link) marks its stack non-executable.
            eq("hardening.nx", h["nx"].to_string(), "true".into());
        }
    }

    assert!(
        bad.is_empty(),
        "{name}: {} verdict(s) wrong:\n  {}\n(file: {})",
        bad.len(),
        bad.join("\n  "),
        path.display()
    );
}

fn git_head(dir: &Path) -> String {
    let git = support::require_tool("git", "apt-get install git");
    let out = Command::new(git)
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .output()
        .expect("run git rev-parse");
    assert!(out.status.success(), "git rev-parse in {}", dir.display());
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

macro_rules! verdict_tests {
    ($($fn_name:ident => $bin:literal,)*) => {
        $(
            #[test]
            fn $fn_name() {
                check($bin);
            }
        )*

        /// Every binary build.sh makes has a test and every row names a real binary.
        #[test]
        fn table_covers_the_matrix() {
            let tested: BTreeSet<&str> = [$($bin),*].into_iter().collect();
            let rows: BTreeSet<&str> = TABLE.iter().map(|e| e.name).collect();
            assert_eq!(tested, rows, "test functions vs expectation rows");
            let built: BTreeSet<String> = support::testbin_names().into_iter().collect();
            let built: BTreeSet<&str> = built.iter().map(String::as_str).collect();
            assert_eq!(built, rows, "manifest.tsv vs expectation rows");
        }
    };
}

verdict_tests! {
    netuser_default => "netuser-default",
    netuser_cgo0 => "netuser-cgo0",
    netuser_netgo => "netuser-netgo",
    netuser_osusergo => "netuser-osusergo",
    netuser_netgo_osusergo => "netuser-netgo-osusergo",
    netuser_cgo0_trimpath_sw => "netuser-cgo0-trimpath-sw",
    netuser_s => "netuser-s",
    netuser_w => "netuser-w",
    netuser_pie_cgo0 => "netuser-pie-cgo0",
    netuser_pie_cgo1 => "netuser-pie-cgo1",
    netuser_extstatic => "netuser-extstatic",
    netuser_race => "netuser-race",
    netuser_cgo0_stripped => "netuser-cgo0-stripped",
    netuser_default_stripped => "netuser-default-stripped",
    netuser_upx => "netuser-cgo0-trimpath-sw-upx",
    netuser_vcs => "netuser-vcs",
    netuser_darwin_arm64 => "netuser-darwin-arm64",
    netuser_windows_amd64 => "netuser-windows-amd64.exe",
    hello_default => "hello-default",
    hello_cgo0 => "hello-cgo0",
    promserver_default => "promserver-default",
    promserver_cgo0_trimpath_sw => "promserver-cgo0-trimpath-sw",
    httpserver_cgo0 => "httpserver-cgo0",
    httpserver_darwin_arm64 => "httpserver-darwin-arm64",
    httpserver_darwin_arm64_netgo => "httpserver-darwin-arm64-netgo",
    depdiff_base => "depdiff-base",
    depdiff_extra => "depdiff-extra",
}

/// The matrix really builds and the programs really run: the expectations above are
/// only meaningful if the binaries are what build.sh says they are.
#[test]
fn testbins_run() {
    let out = Command::new(support::testbin("hello-default"))
        .output()
        .expect("run hello-default");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello, world\n");

    for name in [
        "netuser-cgo0",
        "netuser-default",
        "netuser-extstatic",
        "netuser-cgo0-trimpath-sw-upx",
    ] {
        let out = Command::new(support::testbin(name))
            .output()
            .unwrap_or_else(|e| panic!("run {name}: {e}"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name} failed: {stdout}");
        assert!(stdout.contains("lookup localhost:"), "{name}: {stdout}");
        assert!(stdout.contains("user"), "{name}: {stdout}");
    }

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

/// The build flags are what the table assumes: checked with the Go toolchain's own
/// reader (`go version -m`), independently of goaudit.
#[test]
fn buildinfo_matches_manifest() {
    let go = support::go_binary();
    for row in support::manifest() {
        if row.post == "upx" {
            continue;
        }
        let path = support::testbin(&row.name);
        let out = Command::new(&go)
            .args(["version", "-m"])
            .arg(&path)
            .output()
            .expect("run go version -m");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("\tbuild\t"),
            "go version -m {}: {text}",
            row.name
        );
        let cgo = if row.env.contains("CGO_ENABLED=0") {
            "0"
        } else {
            "1"
        };
        assert!(
            text.contains(&format!("\tbuild\tCGO_ENABLED={cgo}\n")),
            "{}: expected CGO_ENABLED={cgo} in\n{text}",
            row.name
        );
        if row.flags.contains("-trimpath") {
            assert!(text.contains("\tbuild\t-trimpath=true\n"), "{}", row.name);
        }
        if let Some(tags) = row
            .flags
            .split_whitespace()
            .skip_while(|f| *f != "-tags")
            .nth(1)
        {
            assert!(
                text.contains(&format!("\tbuild\t-tags={tags}\n")),
                "{}: tags {tags} in\n{text}",
                row.name
            );
        }
    }
}

fn yn(b: bool) -> &'static str {
    if b { "yes" } else { "–" }
}

/// The expectation table as Markdown, with each binary's build from manifest.tsv.
fn render_table() -> String {
    let manifest = support::manifest();
    let mut s = String::from(
        "| binary | build | format | linking | interpreter | needed | CGO_ENABLED | cgo linked | resolver | os/user | symtab | DWARF | trimpath | packed | vcs.modified | PIE | RELRO |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for e in TABLE {
        let row = manifest
            .iter()
            .find(|r| r.name == e.name)
            .unwrap_or_else(|| panic!("{} not in manifest.tsv", e.name));
        let build: Vec<&str> = [row.env.as_str(), row.flags.as_str(), row.post.as_str()]
            .into_iter()
            .filter(|x| !x.is_empty())
            .collect();
        let build = if build.is_empty() {
            "(defaults)".to_string()
        } else {
            build.join(" · ").replace('|', "\\|")
        };
        let with_reason = |v: &str, why: Option<&str>| match why {
            Some(w) => format!("{v} ({w})"),
            None => v.to_string(),
        };
        let needed = if e.needed.is_empty() {
            "–".to_string()
        } else {
            e.needed
                .iter()
                .map(|n| n.rsplit('/').next().unwrap_or(n))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (pie, relro) = match e.hardening {
            Some((p, r)) => (yn(p).to_string(), r.to_string()),
            None => ("n/a".into(), "n/a".into()),
        };
        s.push_str(&format!(
            "| `{}` | {} | {} {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            e.name,
            build,
            e.format,
            e.arch,
            e.link,
            e.interp.unwrap_or("–"),
            needed,
            e.cgo_setting.unwrap_or("–"),
            yn(e.cgo_linked),
            with_reason(e.resolver, e.netgo),
            with_reason(e.os_user, e.osusergo),
            yn(e.symtab),
            yn(e.dwarf),
            e.trimpath.map_or("–", yn),
            e.packed.unwrap_or("–"),
            e.vcs_modified.map_or("–", yn),
            pie,
            relro,
        ));
    }
    s
}

/// docs/verdicts.md shows exactly the table these tests enforce.
#[test]
fn docs_show_the_expectation_table() {
    let doc_path = support::repo_root().join("docs").join("verdicts.md");
    let doc = std::fs::read_to_string(&doc_path)
        .unwrap_or_else(|e| panic!("read {}: {e}", doc_path.display()));
    let table = render_table();
    assert!(
        doc.contains(&table),
        "docs/verdicts.md must contain the expectation table of tests/verdicts.rs; paste this:\n\n{table}"
    );
}

/// The Go toolchain's own programs (built by the Go project, not by build.sh): version
/// and cgo verdicts agree with what `go version -m` says about each.
#[test]
fn toolchain_binaries_agree_with_go_version_m() {
    let go = support::go_binary();
    let goversion = support::go_env("GOVERSION");
    for bin in support::go_toolchain_binaries() {
        let gv = Command::new(&go)
            .args(["version", "-m"])
            .arg(&bin)
            .output()
            .expect("run go version -m");
        let text = String::from_utf8_lossy(&gv.stdout);
        let cgo = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("build\tCGO_ENABLED="))
            .map(str::to_string);
        let a = audit_json(&bin);
        let name = bin.display();
        assert_eq!(a["format"], "elf", "{name}");
        assert_eq!(a["go_version"].as_str(), Some(goversion.as_str()), "{name}");
        assert_eq!(a["cgo"]["setting"].as_str(), cgo.as_deref(), "{name}");
        if cgo.as_deref() == Some("0") {
            assert_eq!(a["cgo"]["linked"], false, "{name}");
            assert_eq!(a["linking"]["kind"], "static", "{name}");
            assert_ne!(a["net"]["resolver"], "cgo", "{name}");
            assert_ne!(a["os_user"]["impl"], "cgo", "{name}");
        }
    }
}

/// A second run of build.sh over a built matrix rebuilds nothing (so every test process
/// can call it cheaply).
#[test]
fn build_script_is_idempotent() {
    let names = support::testbin_names();
    let dir = support::testbins_dir();
    // Under the same lock as tests/support takes (flock(1)).
    let out = Command::new("flock")
        .arg(dir.join(".lock"))
        .arg("bash")
        .arg(support::repo_root().join("testbins/build.sh"))
        .arg(&dir)
        .arg(support::go_binary())
        .output()
        .expect("run flock bash build.sh");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "build.sh failed:\n{stderr}");
    assert!(
        !stderr.contains("build.sh: building")
            && !stderr.contains("build.sh: stripping")
            && !stderr.contains("build.sh: packing"),
        "second run rebuilt something:\n{stderr}"
    );
    let again = support::testbin_names();
    assert_eq!(names, again, "manifest changed between runs");
}

/// darwin: the libc resolver is compiled in exactly when the binary imports libSystem's
/// `getaddrinfo`, as `go tool nm` (the Go toolchain's view, independent of goaudit)
/// shows it: `U _getaddrinfo`. Checked on every darwin binary of the matrix, whichever
/// of net's entry points the program reaches (netuser calls LookupHost, httpserver only
/// Listen).
#[test]
fn darwin_resolver_agrees_with_the_libsystem_import() {
    let darwin: Vec<String> = support::manifest()
        .into_iter()
        .filter(|r| r.env.contains("GOOS=darwin"))
        .map(|r| r.name)
        .collect();
    assert!(darwin.len() >= 3, "darwin rows: {darwin:?}");
    for name in darwin {
        let path = support::testbin(&name);
        let nm = Command::new(support::go_binary())
            .args(["tool", "nm"])
            .arg(&path)
            .output()
            .expect("go tool nm");
        assert!(nm.status.success(), "go tool nm {name}");
        let imports = String::from_utf8_lossy(&nm.stdout)
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["U", "_getaddrinfo"]);
        let a = audit_json(&path);
        let resolver = a["net"]["resolver"].as_str().unwrap();
        assert_eq!(
            resolver == "cgo",
            imports,
            "{name}: resolver {resolver}, imports _getaddrinfo: {imports}; evidence {}",
            a["net"]["evidence"]
        );
        if imports {
            let ev = a["net"]["evidence"].as_str().unwrap();
            assert!(
                ev.contains("internal/syscall/unix.Getaddrinfo"),
                "{name}: {ev}"
            );
        }
    }
}

/// `goaudit DIR` prints one line per binary, and each line says what the binary's own
/// JSON says; a directory holding one binary keeps the full report, and `--json` on a
/// directory is the same artifacts as on each file.
#[test]
fn a_directory_is_one_line_per_binary_agreeing_with_the_json() {
    let dir = tempfile::tempdir().unwrap();
    // In the order a directory is walked: sorted by name.
    let names = [
        "netuser-cgo0-stripped",
        "netuser-darwin-arm64",
        "netuser-default",
        "netuser-w",
    ];
    for n in names {
        std::fs::copy(support::testbin(n), dir.path().join(n)).unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "not a binary\n").unwrap();
    let out = support::goaudit()
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    let split = |l: &str| -> Vec<String> {
        l.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        split(lines[0]),
        [
            "Path", "Format", "Size", "Go", "Linking", "Cgo", "DNS", "os/user", "Debug"
        ],
        "{text}"
    );
    for (i, n) in names.iter().enumerate() {
        let cells = split(lines[1 + i]);
        let a = audit_json(&dir.path().join(n));
        let cgo = if a["cgo"]["linked"] == true {
            "linked"
        } else {
            "no"
        };
        let debug = match (a["symtab"] == true, a["dwarf"] == true) {
            (false, false) => "stripped",
            (true, true) => "symtab, DWARF",
            (true, false) => "symtab",
            (false, true) => "DWARF",
        };
        let format = format!(
            "{} {}",
            a["format"].as_str().unwrap().to_uppercase(),
            a["arch"].as_str().unwrap()
        );
        assert_eq!(
            cells,
            [
                a["path"].as_str().unwrap(),
                &format,
                cells[2].as_str(),
                a["go_version"].as_str().unwrap(),
                a["linking"]["kind"].as_str().unwrap(),
                cgo,
                a["net"]["resolver"].as_str().unwrap(),
                a["os_user"]["impl"].as_str().unwrap(),
                debug,
            ],
            "{n}: {text}"
        );
        assert!(cells[2].ends_with("iB"), "{n}: size {}", cells[2]);
    }
    assert_eq!(lines[1 + names.len()], "", "{text}");
    assert_eq!(
        lines[2 + names.len()],
        "4 Go binaries audited, 1 other file skipped; `goaudit PATH` gives one binary's full report"
    );
    assert_eq!(lines.len(), 3 + names.len(), "{text}");

    // --json on the directory: each binary's full artifact, as for the file alone.
    let out = support::goaudit()
        .arg("--json")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let arts = v["artifacts"].as_array().unwrap();
    assert_eq!(arts.len(), names.len());
    for (a, n) in arts.iter().zip(names) {
        assert_eq!(*a, audit_json(&dir.path().join(n)), "{n}");
    }

    // One binary in a directory: its full report.
    let one = tempfile::tempdir().unwrap();
    std::fs::copy(support::testbin("netuser-default"), one.path().join("app")).unwrap();
    let out = support::goaudit()
        .arg(one.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\n  linking   dynamic"), "{text}");
    assert!(!text.contains("Path  "), "{text}");
}
