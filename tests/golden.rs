//! Golden files for the human output: what a user reads, byte for byte.
//!
//! The inputs are reproducible on any machine: `testbins/netuser` built by a pinned Go
//! toolchain (`GOTOOLCHAIN=go1.24.0`, which `go` fetches through the module proxy) with
//! `CGO_ENABLED=0 -trimpath -buildvcs=false`, so neither the local Go patch release, the
//! C compiler nor the checkout path changes a byte; images are assembled from it and from
//! seeded filler files. goaudit runs from the directory holding them, with relative
//! paths and `NO_COLOR=1`.
//!
//! A change to the output fails here with a diff. When the change is intended, rewrite
//! the files with `GOAUDIT_BLESS=1 cargo test --test golden` and review the diff in git.

mod support;

#[path = "fixtures/images/mod.rs"]
mod fixtures;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use fixtures::{E, file, layer_tar};

const TOOLCHAIN: &str = "go1.24.0";

/// The directory with the golden inputs: `netuser`, `netuser-sw`, `app.tar`, `base.tar`,
/// and `dist/` holding both binaries and a file that is not one.
fn inputs() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = support::repo_root().join("target/golden-inputs");
        std::fs::create_dir_all(&dir).unwrap();
        let src = support::repo_root().join("testbins/netuser");
        for (name, extra) in [
            ("netuser", &[][..]),
            ("netuser-sw", &["-ldflags=-s -w"][..]),
        ] {
            let tmp = dir.join(format!("{name}.tmp"));
            let out = Command::new(support::go_binary())
                .current_dir(&src)
                .env("GOTOOLCHAIN", TOOLCHAIN)
                .env("CGO_ENABLED", "0")
                .env("GOOS", "linux")
                .env("GOARCH", "amd64")
                .env("GOAMD64", "v1")
                .env("GOFLAGS", "-mod=mod")
                .args(["build", "-trimpath", "-buildvcs=false"])
                .args(extra)
                .arg("-o")
                .arg(&tmp)
                .arg(".")
                .output()
                .expect("run go build");
            assert!(
                out.status.success(),
                "GOTOOLCHAIN={TOOLCHAIN} go build failed (the toolchain module is fetched \
                 through the Go module proxy): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::fs::rename(&tmp, dir.join(name)).unwrap();
        }
        let bin = std::fs::read(dir.join("netuser")).unwrap();
        let stripped = std::fs::read(dir.join("netuser-sw")).unwrap();
        let dist = dir.join("dist");
        std::fs::create_dir_all(&dist).unwrap();
        std::fs::write(dist.join("api"), &bin).unwrap();
        std::fs::write(dist.join("api-slim"), &stripped).unwrap();
        std::fs::write(dist.join("README"), "not a binary\n").unwrap();
        // A base of ordinary files, then the application layer.
        let base = layer_tar(&[
            E::Dir("etc/".into()),
            file("etc/passwd", "root:x:0:0:root:/root:/sbin/nologin\n"),
            E::Dir("etc/ssl/certs/".into()),
            file(
                "etc/ssl/certs/ca-certificates.crt",
                fixtures::filler(214_000, 1),
            ),
            E::Dir("usr/share/zoneinfo/".into()),
            file("usr/share/zoneinfo/UTC", fixtures::filler(114, 2)),
        ]);
        let image = |layers: Vec<Vec<u8>>, tag: &str, out: &str| {
            let refs: Vec<&[u8]> = layers.iter().map(|l| l.as_slice()).collect();
            // Dockerfile-like steps, one per layer (not numbers: the reports number
            // layers themselves).
            let history = ["ADD rootfs.tar /", "COPY server /app/server"][..layers.len()]
                .iter()
                .map(|step| serde_json::json!({"created_by": step}))
                .collect();
            let cfg = fixtures::config(
                &refs,
                serde_json::json!({"Entrypoint": ["/app/server"]}),
                history,
            );
            std::fs::write(dir.join(out), fixtures::docker25(&cfg, &layers, tag)).unwrap();
        };
        let app = layer_tar(&[E::Dir("app/".into()), file("app/server", bin)]);
        let app_sw = layer_tar(&[E::Dir("app/".into()), file("app/server", stripped)]);
        image(vec![base.clone(), app], "example/app:debug", "app.tar");
        image(vec![base, app_sw], "example/app:slim", "slim.tar");
        dir
    })
}

/// Run goaudit in the inputs directory and compare stdout with tests/golden/NAME.txt.
fn golden(name: &str, args: &[&str]) {
    let out = support::goaudit()
        .current_dir(inputs())
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("run goaudit");
    let actual = format!(
        "$ goaudit {}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout)
    );
    let path = support::repo_root()
        .join("tests/golden")
        .join(format!("{name}.txt"));
    if std::env::var_os("GOAUDIT_BLESS").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with GOAUDIT_BLESS=1 cargo test --test golden",
            path.display()
        )
    });
    if expected != actual {
        let mut diff = String::new();
        let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
        for i in 0..e.len().max(a.len()) {
            let (x, y) = (e.get(i), a.get(i));
            if x != y {
                diff.push_str(&format!(
                    "line {}:\n  - {}\n  + {}\n",
                    i + 1,
                    x.unwrap_or(&"<none>"),
                    y.unwrap_or(&"<none>")
                ));
            }
        }
        panic!(
            "{} differs from the output (stderr: {}):\n{diff}\nIf the change is intended: \
             GOAUDIT_BLESS=1 cargo test --test golden, then review the diff",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn audit() {
    golden("audit", &["netuser"]);
}

#[test]
fn audit_stripped() {
    golden("audit-stripped", &["netuser-sw"]);
}

/// A directory: one line per binary.
#[test]
fn audit_directory() {
    golden("audit-dir", &["dist"]);
}

#[test]
fn size_by_module() {
    golden("size-by-module", &["size", "netuser"]);
}

#[test]
fn size_by_package_top_8() {
    golden(
        "size-by-package",
        &["size", "--by", "package", "-n", "8", "netuser"],
    );
}

#[test]
fn size_by_section() {
    golden(
        "size-by-section",
        &["size", "--by", "section", "netuser-sw"],
    );
}

#[test]
fn check_failing() {
    golden(
        "check",
        &[
            "check",
            "--max-size",
            "2MiB",
            "--deny",
            "symtab-present",
            "netuser",
            "netuser-sw",
        ],
    );
}

#[test]
fn shrink_dry_run() {
    golden("shrink-dry-run", &["shrink", "--dry-run", "netuser"]);
}

#[test]
fn image() {
    golden("image", &["app.tar"]);
}

#[test]
fn image_comparison() {
    golden("image-comparison", &["app.tar", "slim.tar"]);
}

#[test]
fn size_of_an_image() {
    golden("size-image", &["size", "-n", "5", "app.tar"]);
}

/// `size --json` on an image is the image artifact, whose binaries carry their full
/// attribution, adding up to each binary's size.
#[test]
fn size_json_of_an_image() {
    let out = support::goaudit()
        .current_dir(inputs())
        .args(["size", "--json", "app.tar", "netuser"])
        .output()
        .expect("run goaudit");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let arts = doc["artifacts"].as_array().unwrap();
    assert_eq!(arts[0]["kind"], "image");
    assert_eq!(arts[1]["kind"], "binary");
    let size = std::fs::metadata(inputs().join("netuser")).unwrap().len();
    let inner = &arts[0]["binaries"][0];
    assert_eq!(inner["path"], "/app/server");
    assert_eq!(inner["size_attribution"]["total"], size);
    // The same program inside and outside the image is attributed the same way.
    assert_eq!(
        inner["size_attribution"]["by_module"],
        arts[1]["size_attribution"]["by_module"]
    );
}

/// `buildinfo` on an image prints `go version -m` for each Go binary inside, labelled
/// `<archive>:<path in the image>`.
#[test]
fn buildinfo_of_an_image_is_go_version_m_of_its_binaries() {
    let ours = support::goaudit()
        .current_dir(inputs())
        .args(["buildinfo", "app.tar"])
        .output()
        .expect("run goaudit");
    assert!(
        ours.status.success(),
        "{}",
        String::from_utf8_lossy(&ours.stderr)
    );
    let go = Command::new(support::go_binary())
        .current_dir(inputs())
        .args(["version", "-m", "netuser"])
        .output()
        .expect("run go version -m");
    assert!(go.status.success());
    let want = String::from_utf8_lossy(&go.stdout).replacen("netuser:", "app.tar:/app/server:", 1);
    assert_eq!(String::from_utf8_lossy(&ours.stdout), want);
}

#[test]
fn diff_strip_flags() {
    golden("diff", &["diff", "-n", "5", "netuser-sw", "netuser"]);
}

#[test]
fn diff_markdown() {
    golden(
        "diff-markdown",
        &[
            "diff",
            "--format",
            "markdown",
            "--threshold",
            "2KiB",
            "-n",
            "8",
            "netuser-sw",
            "netuser",
        ],
    );
}

#[test]
fn diff_images() {
    golden("diff-image", &["diff", "-n", "5", "app.tar", "slim.tar"]);
}
