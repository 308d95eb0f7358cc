//! Container images: every supported format read by content, the `docker image ls`
//! size rule, whiteouts, the causes (with byte counts computed here from what each
//! fixture put in), the comparison table, and hostile archives.
//!
//! Fixtures are built from the Go test binaries with real tools (umoci, skopeo; install
//! with `scripts/setup.sh` or `apt-get install umoci skopeo`) and, for the layouts no
//! offline tool writes (Docker 25+ save, Nix dockerTools), with tests/fixtures/images.

mod support;

#[path = "fixtures/images/mod.rs"]
mod fixtures;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use fixtures::{E, NixImage, file, filler, gzip, layer_tar, nix_hash};
use object::{Object, ObjectSection};
use serde_json::{Value, json};

fn need_image_tools() {
    support::require_tool(
        "umoci",
        "install umoci (`apt-get install umoci`, or run scripts/setup.sh)",
    );
    support::require_tool(
        "skopeo",
        "install skopeo (`apt-get install skopeo`, or run scripts/setup.sh)",
    );
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn goaudit(args: &[&std::ffi::OsStr]) -> Run {
    let out = support::goaudit().args(args).output().expect("run goaudit");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `goaudit --json PATH`: must succeed; returns the image artifacts.
fn images_json(path: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args: Vec<&std::ffi::OsStr> = vec!["--json".as_ref()];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    args.push(path.as_os_str());
    let r = goaudit(&args);
    assert_eq!(
        r.code,
        0,
        "goaudit --json {} failed: {}",
        path.display(),
        r.stderr
    );
    let doc: Value = serde_json::from_str(&r.stdout).expect("JSON document");
    let arts = doc["artifacts"].as_array().expect("artifacts").clone();
    assert!(!arts.is_empty(), "no artifact for {}", path.display());
    for a in &arts {
        assert_eq!(a["kind"], "image", "{}", path.display());
    }
    assert_partition(path, &arts);
    arts
}

/// The sizes Python's tarfile finds in the layer tars (tests/fixtures/images/image_sizes.py),
/// one entry per image.
fn independent_sizes(path: &Path) -> Vec<Value> {
    let py = support::require_tool("python3", "install python3 (`apt-get install python3`)");
    let script = support::repo_root().join("tests/fixtures/images/image_sizes.py");
    let out = Command::new(py)
        .arg(script)
        .arg(path)
        .output()
        .expect("run image_sizes.py");
    assert!(
        out.status.success(),
        "image_sizes.py {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("image_sizes.py JSON")
}

/// Every image's causes partition its content size, as computed from the layer tars by
/// Python: the rows add up to it exactly, the `wasted` row is content minus visible, and
/// the other rows add up to the visible bytes.
fn assert_partition(path: &Path, arts: &[Value]) {
    let ind = independent_sizes(path);
    let mut theirs: Vec<(u64, u64)> = ind
        .iter()
        .map(|i| (u(&i["content"]), u(&i["visible"])))
        .collect();
    let mut ours: Vec<(u64, u64)> = Vec::new();
    for a in arts {
        let causes = a["causes"].as_array().expect("causes");
        let total: u64 = causes.iter().map(|c| u(&c["bytes"])).sum();
        let wasted: u64 = causes
            .iter()
            .filter(|c| c["id"] == "wasted")
            .map(|c| u(&c["bytes"]))
            .sum();
        assert_eq!(
            total,
            u(&a["content_size"]),
            "{}: {causes:#?}",
            path.display()
        );
        assert_eq!(wasted, u(&a["wasted_bytes"]), "{}", path.display());
        assert_eq!(total - wasted, u(&a["visible_size"]), "{}", path.display());
        for c in causes {
            for p in c["parts"].as_array().into_iter().flatten() {
                assert!(
                    u(&p["bytes"]) <= u(&c["bytes"]),
                    "{}: part {p} of {c}",
                    path.display()
                );
            }
        }
        let by_layer: u64 = a["wasted_by_layer"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| u(&w["bytes"]))
            .sum();
        assert_eq!(by_layer, u(&a["wasted_bytes"]), "{}", path.display());
        ours.push((u(&a["content_size"]), u(&a["visible_size"])));
    }
    theirs.sort();
    ours.sort();
    assert_eq!(
        ours,
        theirs,
        "{}: goaudit vs the layer tars (content, visible)",
        path.display()
    );
}

fn image_json(path: &Path) -> Value {
    let v = images_json(path, &[]);
    assert_eq!(v.len(), 1, "one image expected in {}", path.display());
    v.into_iter().next().unwrap()
}

fn saving(img: &Value, id: &str) -> Option<u64> {
    img["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .and_then(|f| f["saving"].as_u64())
}

fn causes<'a>(img: &'a Value, id: &str) -> Vec<&'a Value> {
    img["causes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == id)
        .collect()
}

fn u(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("not an unsigned number: {v}"))
}

/// (.symtab + .strtab, DWARF) file bytes, read with the object crate.
fn symbol_bytes(data: &[u8]) -> (u64, u64) {
    let f = object::File::parse(data).expect("ELF");
    let mut sym = 0;
    let mut dwarf = 0;
    for s in f.sections() {
        let name = s.name().unwrap_or("");
        let size = s.file_range().map_or(0, |r| r.1);
        if name == ".symtab" || name == ".strtab" {
            sym += size;
        } else if name.starts_with(".debug_") || name.starts_with(".zdebug_") {
            dwarf += size;
        }
    }
    (sym, dwarf)
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

/// The host's loader and the libraries a dynamic test binary needs, as (path in the
/// binary's terms, bytes).
fn host_libs(bin: &[u8]) -> Vec<(String, Vec<u8>)> {
    let elf = goblin::elf::Elf::parse(bin).expect("ELF");
    let mut out = Vec::new();
    let interp = elf
        .interpreter
        .expect("dynamic binary has PT_INTERP")
        .to_string();
    out.push((interp.clone(), read(Path::new(&interp))));
    for lib in &elf.libraries {
        let dirs = [
            "/lib/x86_64-linux-gnu",
            "/usr/lib/x86_64-linux-gnu",
            "/lib/aarch64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu",
            "/lib64",
            "/usr/lib64",
            "/lib",
            "/usr/lib",
        ];
        let found = dirs
            .iter()
            .map(|d| PathBuf::from(d).join(lib))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("the host has no {lib}: install libc6"));
        out.push((found.display().to_string(), read(&found)));
    }
    out
}

// ---- scratch + static binary, in every format ------------------------------------------

#[test]
fn scratch_static_binary_in_every_format() {
    need_image_tools();
    let bin = read(&support::testbin("netuser-cgo0-trimpath-sw"));
    let dir = fixtures::fresh_dir("scratch");
    let layer = layer_tar(&[E::Dir("app/".into()), file("app/hello", bin.clone())]);
    let layout = fixtures::umoci_image(&dir, &[layer], "/app/hello");
    // Misleading names: detection must go by content.
    let docker = dir.join("image.json");
    let oci = dir.join("image.txt");
    let zst = dir.join("image-oci-zstd");
    fixtures::skopeo_copy(
        &layout,
        &format!("docker-archive:{}:example/app:latest", docker.display()),
        &[],
    );
    fixtures::skopeo_copy(&layout, &format!("oci-archive:{}:app", oci.display()), &[]);
    fixtures::skopeo_copy(
        &layout,
        &format!("oci-archive:{}:app", zst.display()),
        &["--dest-compress", "--dest-compress-format", "zstd"],
    );
    // skopeo's docker-archive: uncompressed <diffid>.tar plus <id>/layer.tar symlinks.
    let cases: [(&Path, &str, &str); 4] = [
        (&layout, "oci-layout", "gzip"),
        (&docker, "docker-archive", "none"),
        (&oci, "oci-archive", "gzip"),
        (&zst, "oci-archive", "zstd"),
    ];
    for (p, format, comp) in cases {
        let img = image_json(p);
        assert_eq!(img["format"], format, "{}", p.display());
        assert_eq!(u(&img["content_size"]), bin.len() as u64, "{}", p.display());
        assert_eq!(u(&img["wasted_bytes"]), 0);
        let layers = img["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 1);
        assert_eq!(layers[0]["compression"], comp, "{}", p.display());
        assert_eq!(u(&layers[0]["content_size"]), bin.len() as u64);
        assert!(u(&layers[0]["blob_size"]) > 0);
        assert!(layers[0]["digest"].as_str().unwrap().starts_with("sha256:"));
        let bins = img["binaries"].as_array().unwrap();
        assert_eq!(bins.len(), 1);
        assert_eq!(bins[0]["path"], "/app/hello");
        assert_eq!(bins[0]["linking"]["kind"], "static");
        assert_eq!(bins[0]["size"], bin.len() as u64);
        // The binary audit comes whole, size attribution included.
        assert_eq!(u(&bins[0]["size_attribution"]["total"]), bin.len() as u64);
        assert!(img["base"].is_null(), "a scratch image has no base");
        let gb = causes(&img, "go-binary");
        assert_eq!(gb.len(), 1);
        assert_eq!(u(&gb[0]["bytes"]), bin.len() as u64);
        // -s -w and CGO_ENABLED=0: nothing to fix.
        assert!(img["findings"].as_array().unwrap().is_empty(), "{img}");
    }
}

// ---- distroless-like base + binary, Docker 25+ save ------------------------------------

/// The distroless-like layers: a base of ordinary files and the unstripped binary;
/// with the base's content bytes and the binary.
fn distroless_layers() -> (Vec<u8>, Vec<u8>, u64, Vec<u8>) {
    let bin = read(&support::testbin("netuser-cgo0"));
    let certs = filler(180_000, 1);
    let tz = filler(3_000, 2);
    let passwd = b"root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n".to_vec();
    let base = layer_tar(&[
        E::Dir("etc/".into()),
        file("etc/passwd", passwd.clone()),
        E::Dir("etc/ssl/certs/".into()),
        file("etc/ssl/certs/ca-certificates.crt", certs.clone()),
        file("usr/share/zoneinfo/UTC", tz.clone()),
        E::Sym("usr/share/zoneinfo/Etc/UTC".into(), "../UTC".into()),
    ]);
    let base_bytes = (passwd.len() + certs.len() + tz.len() + "../UTC".len()) as u64;
    let app = layer_tar(&[file("app/server", bin.clone())]);
    (base, app, base_bytes, bin)
}

fn distroless_like(dir: &Path) -> (PathBuf, u64, u64, Vec<u8>) {
    let (base, app, base_bytes, bin) = distroless_layers();
    let cfg = fixtures::config(
        &[&base, &app],
        json!({"Entrypoint": ["/app/server"], "User": "65532"}),
        vec![
            json!({"created_by": "bazel build distroless/static"}),
            json!({"created_by": "COPY /go/bin/server /app/server # buildkit"}),
        ],
    );
    let tar = fixtures::docker25(&cfg, &[base, app], "example/distroless-app:1.0");
    let p = dir.join("distroless.tar");
    std::fs::write(&p, tar).unwrap();
    (p, base_bytes, bin.len() as u64, bin)
}

#[test]
fn distroless_like_base_and_unstripped_binary() {
    let dir = fixtures::fresh_dir("distroless");
    let (p, base_bytes, bin_len, bin) = distroless_like(&dir);
    let img = image_json(&p);
    assert_eq!(img["format"], "docker-archive+oci-layout");
    assert_eq!(img["name"], "example/distroless-app:1.0");
    assert_eq!(u(&img["content_size"]), base_bytes + bin_len);
    assert_eq!(u(&img["visible_size"]), base_bytes + bin_len);
    assert_eq!(u(&img["wasted_bytes"]), 0);
    assert_eq!(u(&img["base"]["layers"]), 1);
    assert_eq!(u(&img["base"]["bytes"]), base_bytes);
    assert_eq!(u(&causes(&img, "base")[0]["bytes"]), base_bytes);
    let (sym, dwarf) = symbol_bytes(&bin);
    assert!(sym > 0 && dwarf > 0, "netuser-cgo0 keeps symbols and DWARF");
    assert_eq!(saving(&img, "symbols-not-stripped"), Some(sym + dwarf));
    assert_eq!(saving(&img, "cgo-libc-closure"), None);
    let layers = img["layers"].as_array().unwrap();
    assert_eq!(layers[0]["compression"], "none");
    assert_eq!(
        layers[1]["history"],
        "COPY /go/bin/server /app/server # buildkit"
    );
    assert!(img["why"][0].as_str().unwrap().contains("-s -w"), "{img}");

    // A binary over the buffer limit is counted, noted, and not audited.
    let small = images_json(&p, &["--max-file-buffer", "1MiB"]);
    assert_eq!(u(&small[0]["content_size"]), base_bytes + bin_len);
    assert!(small[0]["binaries"].as_array().unwrap().is_empty());
    assert!(
        small[0]["notes"][0]
            .as_str()
            .unwrap()
            .contains("/app/server: ELF file of"),
        "{}",
        small[0]["notes"]
    );

    // Docker 25+ with the containerd store: the same layers, gzip blobs.
    let (base, app, _, _) = distroless_layers();
    let cfg = fixtures::config(&[&base, &app], json!({}), vec![]);
    let gz = dir.join("distroless-containerd.tar");
    std::fs::write(
        &gz,
        fixtures::docker25(&cfg, &[gzip(&base), gzip(&app)], "x:1"),
    )
    .unwrap();
    let img = image_json(&gz);
    assert_eq!(img["layers"][0]["compression"], "gzip");
    assert_eq!(u(&img["content_size"]), base_bytes + bin_len);
    assert_eq!(saving(&img, "symbols-not-stripped"), Some(sym + dwarf));
}

// ---- dynamic binary with the host's libc and loader ------------------------------------

#[test]
fn dynamic_binary_with_host_libc_names_the_closure() {
    need_image_tools();
    let bin = read(&support::testbin("netuser-default"));
    let libs = host_libs(&bin);
    let dir = fixtures::fresh_dir("dynamic");
    let mut entries = vec![file("app/netuser", bin.clone())];
    let mut lib_bytes = 0u64;
    for (path, data) in &libs {
        lib_bytes += data.len() as u64;
        entries.push(file(path.trim_start_matches('/'), data.clone()));
    }
    let layout = fixtures::umoci_image(&dir, &[layer_tar(&entries)], "/app/netuser");
    let docker = dir.join("dynamic-docker.tar");
    fixtures::skopeo_copy(
        &layout,
        &format!("docker-archive:{}:example/dyn:latest", docker.display()),
        &[],
    );
    let img = image_json(&docker);
    assert_eq!(img["format"], "docker-archive");
    assert_eq!(u(&img["content_size"]), bin.len() as u64 + lib_bytes);
    assert_eq!(saving(&img, "cgo-libc-closure"), Some(lib_bytes));
    let c = &causes(&img, "cgo-libc-closure")[0];
    assert_eq!(c["what"], "glibc (libc.so.6, ld-linux-x86-64.so.2)");
    let why = c["why"].as_str().unwrap();
    assert!(why.contains("/app/netuser is dynamically linked"), "{why}");
    assert!(why.contains("CGO_ENABLED=1"), "{why}");
    assert!(c["fix"].as_str().unwrap().contains("CGO_ENABLED=0"));
    let libraries = img["libraries"].as_array().unwrap();
    for (path, _) in &libs {
        let l = libraries
            .iter()
            .find(|l| l["path"] == path.as_str())
            .unwrap_or_else(|| panic!("{path} not listed in {libraries:?}"));
        assert!(
            l["needed_by"]
                .as_array()
                .unwrap()
                .contains(&json!("/app/netuser"))
        );
    }
}

// ---- Nix dockerTools result: the three causes of the 54.6 MB image ---------------------

fn nix_cgo_binary(interp: &str) -> Vec<u8> {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let p = BUILT.get_or_init(|| {
        let go = support::go_binary();
        support::require_tool("gcc", "install gcc (`apt-get install gcc`): cgo needs it");
        let out = support::repo_root().join("target/image-fixtures/bin/go_nix_simple-cgo1");
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        // As gomod2nix builds it: CGO_ENABLED=1 by default, -trimpath, no -s; stdenv's
        // strip -S drops DWARF (-w here) and keeps the symbol table; nixpkgs' Go
        // bakes the glibc store path's loader in.
        fixtures::run(
            Command::new(go)
                .current_dir(support::repo_root().join("testbins/netuser"))
                .env("CGO_ENABLED", "1")
                .env("GOTOOLCHAIN", "local")
                .env("GOFLAGS", "-buildvcs=false")
                .args([
                    "build",
                    "-trimpath",
                    "-ldflags",
                    &format!("-w -I {interp}"),
                    "-o",
                ])
                .arg(&out)
                .arg("."),
        );
        out
    });
    read(p)
}

struct NixFixture {
    path: PathBuf,
    content: u64,
    base: u64,
    closure: u64,
    dup: u64,
    symtab: u64,
    app_root: String,
    dup_root: String,
}

fn nix_fixture(dir: &Path) -> NixFixture {
    let glibc = format!("/nix/store/{}-glibc-2.40-66", nix_hash("glibc"));
    let idn = format!("/nix/store/{}-libidn2-2.3.7", nix_hash("libidn2"));
    let unis = format!("/nix/store/{}-libunistring-1.2", nix_hash("libunistring"));
    let app = format!(
        "/nix/store/{}-go-nix-simple-gomod2nix-0.1.1",
        nix_hash("gomod2nix")
    );
    let dupp = format!(
        "/nix/store/{}-go-nix-simple-0.1.1",
        nix_hash("buildGoModule")
    );
    let interp = format!("{glibc}/lib/ld-linux-x86-64.so.2");
    let app_bin = nix_cgo_binary(&interp);
    let dup_bin = read(&support::testbin("netuser-cgo0-trimpath-sw"));
    let host = host_libs(&read(&support::testbin("netuser-default")));
    let loader = host[0].1.clone();
    let libc = host
        .iter()
        .find(|(p, _)| p.ends_with("libc.so.6"))
        .expect("host libc.so.6")
        .1
        .clone();
    // glibc's own files reference libidn2, which references libunistring: Nix's
    // reference scan would find exactly these hashes.
    let glibc_ref = format!("{idn}/lib\n").into_bytes();
    let mut idn_so = filler(250_000, 3);
    idn_so.extend_from_slice(format!("\0{unis}/lib\0").as_bytes());
    let unis_so = filler(1_700_000, 4);

    let passwd = b"root:x:0:0::/root:/noshell\n".to_vec();
    let certs = filler(200_000, 5);
    let base1 = layer_tar(&[E::Dir("etc/".into()), file("etc/passwd", passwd.clone())]);
    let base2 = layer_tar(&[file("etc/ssl/certs/ca-certificates.crt", certs.clone())]);
    let base = (passwd.len() + certs.len()) as u64;

    let sl = |root: &str, files: Vec<(String, Vec<u8>)>| {
        let mut e = vec![
            E::Dir("/nix/".into()),
            E::Dir("/nix/store/".into()),
            E::Dir(format!("{root}/")),
        ];
        for (n, d) in files {
            e.push(E::File(format!("{root}/{n}"), d));
        }
        (root.to_string(), layer_tar(&e))
    };
    let store_layers = vec![
        sl(
            &unis,
            vec![("lib/libunistring.so.5".into(), unis_so.clone())],
        ),
        sl(&idn, vec![("lib/libidn2.so.0".into(), idn_so.clone())]),
        sl(
            &glibc,
            vec![
                ("lib/ld-linux-x86-64.so.2".into(), loader.clone()),
                ("lib/libc.so.6".into(), libc.clone()),
                ("share/refs".into(), glibc_ref.clone()),
            ],
        ),
        sl(&dupp, vec![("bin/go_nix_simple".into(), dup_bin.clone())]),
        sl(&app, vec![("bin/go_nix_simple".into(), app_bin.clone())]),
    ];
    let link_target = format!("{app}/bin/go_nix_simple");
    let customisation = layer_tar(&[
        E::Dir("bin/".into()),
        E::Sym("bin/go_nix_simple".into(), link_target.clone()),
    ]);
    let img = NixImage {
        base: vec![base1, base2],
        store_layers,
        customisation,
        // The copy-paste in go_nix_simple's flake: Cmd names the *other* derivation.
        cmd: vec![format!("{dupp}/bin/go_nix_simple")],
        tag: "randomizedcoder/go-nix-simple-gomod2nix:latest".into(),
    };
    let p = dir.join("result");
    std::fs::write(&p, gzip(&img.archive())).unwrap();
    let closure =
        (loader.len() + libc.len() + glibc_ref.len() + idn_so.len() + unis_so.len()) as u64;
    let (symtab, dwarf) = symbol_bytes(&app_bin);
    assert_eq!(dwarf, 0, "-w removes DWARF");
    assert!(symtab > 0);
    NixFixture {
        path: p,
        content: base
            + closure
            + dup_bin.len() as u64
            + app_bin.len() as u64
            + link_target.len() as u64,
        base,
        closure,
        dup: dup_bin.len() as u64,
        symtab,
        app_root: app,
        dup_root: dupp,
    }
}

#[test]
fn nix_result_names_the_three_causes() {
    let dir = fixtures::fresh_dir("nix");
    let fx = nix_fixture(&dir);
    let img = image_json(&fx.path);
    assert_eq!(img["format"], "docker-archive+nix");
    assert_eq!(img["outer_compression"], "gzip");
    assert_eq!(u(&img["content_size"]), fx.content);
    assert_eq!(u(&img["wasted_bytes"]), 0);
    assert_eq!(u(&img["base"]["layers"]), 2);
    assert_eq!(u(&img["base"]["bytes"]), fx.base);

    // 1. dynamic linking pulls in the glibc closure (glibc, libidn2, libunistring).
    assert_eq!(
        saving(&img, "cgo-libc-closure"),
        Some(fx.closure),
        "{:#}",
        img["causes"]
    );
    let c = &causes(&img, "cgo-libc-closure")[0];
    let why = format!(
        "{}: {}",
        c["what"].as_str().unwrap(),
        c["why"].as_str().unwrap()
    );
    assert!(
        c["what"]
            .as_str()
            .unwrap()
            .starts_with("glibc (glibc-2.40-66, libunistring-1.2, libidn2-2.3.7)"),
        "{c}"
    );
    for n in [
        "glibc-2.40-66",
        "libidn2-2.3.7",
        "libunistring-1.2",
        "CGO_ENABLED=1",
    ] {
        assert!(why.contains(n), "{n} missing from: {why}");
    }
    assert!(why.contains(&fx.app_root), "{why}");
    // 2. the config's Cmd drags in a second copy of the app.
    assert_eq!(
        saving(&img, "config-references-extra-closure"),
        Some(fx.dup)
    );
    let f = img["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "config-references-extra-closure")
        .unwrap();
    assert!(f["message"].as_str().unwrap().contains(&fx.dup_root));
    // The duplicate copy is charged once, to the duplicate row naming both paths;
    // the config's closure holds nothing else here, so it has no row of its own.
    assert_eq!(saving(&img, "duplicate-go-main-module"), Some(fx.dup));
    let d = &causes(&img, "duplicate-go-main-module")[0];
    assert_eq!(u(&d["bytes"]), fx.dup);
    for r in [&fx.app_root, &fx.dup_root] {
        assert!(d["why"].as_str().unwrap().contains(r.as_str()), "{d}");
    }
    assert!(causes(&img, "config-references-extra-closure").is_empty());
    // 3. the symbol table.
    assert_eq!(saving(&img, "symbols-not-stripped"), Some(fx.symtab));

    let bins = img["binaries"].as_array().unwrap();
    assert_eq!(bins.len(), 2);
    let app = bins
        .iter()
        .find(|b| b["path"].as_str().unwrap().starts_with(&fx.app_root))
        .unwrap();
    assert_eq!(app["linking"]["kind"], "dynamic");
    assert_eq!(app["cgo"]["setting"], "1");
    // Store paths and who references them.
    let sps = img["store_paths"].as_array().unwrap();
    let find = |frag: &str| {
        sps.iter()
            .find(|s| s["path"].as_str().unwrap().contains(frag))
            .unwrap_or_else(|| panic!("{frag} not in {sps:?}"))
    };
    assert!(
        find("libidn2")["referenced_by"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("glibc"))
    );
    assert!(
        find("glibc")["referenced_by"]
            .as_array()
            .unwrap()
            .contains(&json!(format!("{}/bin/go_nix_simple", fx.app_root)))
    );
    assert!(
        find("go-nix-simple-0.1.1")["referenced_by"]
            .as_array()
            .unwrap()
            .contains(&json!("image config Cmd"))
    );
    assert!(
        find("gomod2nix")["referenced_by"]
            .as_array()
            .unwrap()
            .contains(&json!("/bin/go_nix_simple"))
    );
    // The same archive plain and zstd-compressed, as newer nixpkgs' `compressor` writes it.
    support::require_tool("zstd", "install zstd (`apt-get install zstd`)");
    let plain = dir.join("result-plain");
    let gz_bytes = read(&fx.path);
    let mut d = flate2::read::GzDecoder::new(&gz_bytes[..]);
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut d, &mut bytes).unwrap();
    std::fs::write(&plain, &bytes).unwrap();
    let zst = dir.join("result-zst");
    fixtures::run(
        Command::new("zstd")
            .args(["-q", "-f", "-o"])
            .arg(&zst)
            .arg(&plain),
    );
    for (p, c) in [(&plain, "none"), (&zst, "zstd")] {
        let other = image_json(p);
        assert_eq!(other["outer_compression"], c);
        assert_eq!(u(&other["content_size"]), fx.content);
        assert_eq!(other["causes"], img["causes"]);
    }
    // The text report tells the story in one line per cause.
    let r = goaudit(&[fx.path.as_os_str()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("glibc (glibc-2.40-66"), "{}", r.stdout);
    assert!(
        r.stdout.contains("build with CGO_ENABLED=0"),
        "{}",
        r.stdout
    );
}

// ---- whiteouts and an opaque directory -------------------------------------------------

#[test]
fn whiteouts_and_opaque_directory() {
    need_image_tools();
    let hello = read(&support::testbin("hello-cgo0"));
    let hello_dyn = read(&support::testbin("hello-default"));
    let big = filler(50_000, 7);
    let l1 = layer_tar(&[
        E::Dir("app/".into()),
        file("app/hello", hello.clone()),
        file("app/VERSION", "v1\n"),
        E::Hard("app/VERSION.hardlink".into(), "app/VERSION".into()),
        E::Sym("app/hello.symlink".into(), "hello".into()),
        file("app/big.bin", big.clone()),
        E::Dir("etc/".into()),
        file("etc/motd", "hi\n"),
    ]);
    let l2 = layer_tar(&[
        file("app/hello-cgo", hello_dyn.clone()),
        file("app/.wh.big.bin", ""),
    ]);
    let l3 = layer_tar(&[
        file("app/.wh..wh..opq", ""),
        file("app/VERSION", "v3\n"),
        file("etc/motd", "bye!\n"),
    ]);
    let dir = fixtures::fresh_dir("whiteouts");
    let layout = fixtures::umoci_image(&dir, &[l1, l2, l3], "/app/hello");
    let img = image_json(&layout);
    // Layer 1: the hard link counts once, the symlink as its target's length.
    let c1 = hello.len() as u64 + 3 + 5 + big.len() as u64 + 3;
    let c2 = hello_dyn.len() as u64;
    let c3 = 3 + 5;
    let layers = img["layers"].as_array().unwrap();
    assert_eq!(u(&layers[0]["content_size"]), c1);
    assert_eq!(u(&layers[1]["content_size"]), c2);
    assert_eq!(u(&layers[2]["content_size"]), c3);
    assert_eq!(u(&img["content_size"]), c1 + c2 + c3);
    // After the opaque /app only the new VERSION and the new motd are visible.
    assert_eq!(u(&img["visible_size"]), 3 + 5);
    assert_eq!(u(&img["wasted_bytes"]), c1 + c2 + c3 - 8);
    assert!(img["binaries"].as_array().unwrap().is_empty());
    assert_eq!(u(&causes(&img, "wasted")[0]["bytes"]), c1 + c2 + c3 - 8);
    let wasted: Vec<&str> = img["wasted_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["path"].as_str().unwrap())
        .collect();
    assert!(
        wasted.contains(&"/app/hello") && wasted.contains(&"/app/big.bin"),
        "{wasted:?}"
    );
}

// ---- several images: one archive, and a comparison table -------------------------------

#[test]
fn several_images_in_one_archive_are_each_reported() {
    let a = layer_tar(&[file("a", filler(1000, 1))]);
    let b = layer_tar(&[file("b", filler(2000, 2))]);
    let cfg1 = fixtures::config(&[&a], json!({}), vec![]);
    let cfg2 = fixtures::config(&[&a, &b], json!({}), vec![]);
    let h = fixtures::sha256_hex;
    let mj = serde_json::to_vec(&json!([
        {"Config": format!("{}.json", h(&cfg1)), "RepoTags": ["one:latest"], "Layers": [format!("{}/layer.tar", h(&a))]},
        {"Config": format!("{}.json", h(&cfg2)), "RepoTags": ["two:latest"], "Layers": [format!("{}/layer.tar", h(&a)), format!("{}.tar", h(&b))]},
    ]))
    .unwrap();
    let tar = fixtures::outer_tar(&[
        fixtures::Member::File(format!("{}/layer.tar", h(&a)), a.clone()),
        fixtures::Member::File(format!("{}.tar", h(&b)), b.clone()),
        fixtures::Member::Sym(format!("{}/layer.tar", h(&b)), format!("../{}.tar", h(&b))),
        fixtures::Member::File(format!("{}.json", h(&cfg1)), cfg1),
        fixtures::Member::File(format!("{}.json", h(&cfg2)), cfg2),
        fixtures::Member::File("manifest.json".into(), mj),
    ]);
    let dir = fixtures::fresh_dir("multi");
    let p = dir.join("two-images.tar.zst");
    // zstd outer archive, written by the zstd tool.
    let plain = dir.join("two.tar");
    std::fs::write(&plain, tar).unwrap();
    support::require_tool("zstd", "install zstd (`apt-get install zstd`)");
    fixtures::run(
        Command::new("zstd")
            .args(["-q", "-f", "-o"])
            .arg(&p)
            .arg(&plain),
    );
    let imgs = images_json(&p, &[]);
    assert_eq!(imgs.len(), 2);
    assert_eq!(imgs[0]["name"], "one:latest");
    assert_eq!(u(&imgs[0]["content_size"]), 1000);
    assert_eq!(imgs[1]["name"], "two:latest");
    assert_eq!(u(&imgs[1]["content_size"]), 3000);
    assert_eq!(imgs[1]["outer_compression"], "zstd");
}

#[test]
fn comparison_table_has_one_row_per_image() {
    let dir = fixtures::fresh_dir("compare");
    let (distroless, ..) = distroless_like(&dir);
    let nix = nix_fixture(&dir);
    let static_bin = read(&support::testbin("netuser-cgo0-trimpath-sw"));
    let l = layer_tar(&[file("go_nix_simple", static_bin.clone())]);
    let cfg = fixtures::config(&[&l], json!({"Entrypoint": ["/go_nix_simple"]}), vec![]);
    let scratch = dir.join("scratch.tar");
    std::fs::write(
        &scratch,
        fixtures::docker25(&cfg, &[l], "example/scratch:1"),
    )
    .unwrap();
    let r = goaudit(&[
        scratch.as_os_str(),
        distroless.as_os_str(),
        nix.path.as_os_str(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let table_start = r.stdout.find("top cause").expect("comparison table header");
    let table = &r.stdout[table_start..];
    for p in [&scratch, &distroless, &nix.path] {
        assert!(table.contains(&p.display().to_string()), "{table}");
    }
    // The Nix image's top cause is its biggest actionable one.
    let top = if nix.closure > nix.dup {
        "cgo-libc-closure"
    } else {
        "config-references-extra-closure"
    };
    assert!(table.contains(top), "{table}");
    assert!(table.contains("symbols-not-stripped"), "{table}");
    assert!(table.contains("static cgo=0 stripped"), "{table}");
    assert!(table.contains("dynamic cgo=1 symtab"), "{table}");
}

// ---- hostile and broken archives -------------------------------------------------------

fn expect_error(args: &[&std::ffi::OsStr], needles: &[&str]) {
    let r = goaudit(args);
    assert_eq!(r.code, 2, "exit 2 expected; stderr: {}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    for n in needles {
        assert!(r.stderr.contains(n), "{n:?} not in: {}", r.stderr);
    }
}

#[test]
fn digest_mismatch_missing_blob_and_corrupt_layer_name_the_layer() {
    let dir = fixtures::fresh_dir("broken");
    let good = layer_tar(&[file("etc/x", filler(5000, 9))]);
    let other = layer_tar(&[file("etc/y", filler(5000, 10))]);
    let cfg = fixtures::config(&[&good], json!({}), vec![]);
    let gz = gzip(&good);

    // A blob whose bytes do not match its digest: the gzip header's MTIME changed, so
    // it is the same size and still decompresses to the same layer.
    let swapped = dir.join("swapped");
    fixtures::oci_layout_dir(
        &swapped,
        &cfg,
        std::slice::from_ref(&gz),
        "application/vnd.oci.image.layer.v1.tar+gzip",
    );
    let mut touched = gz.clone();
    touched[4] ^= 1;
    std::fs::write(
        swapped.join("blobs/sha256").join(fixtures::sha256_hex(&gz)),
        &touched,
    )
    .unwrap();
    expect_error(
        &[swapped.as_os_str()],
        &[
            "layer 1",
            "digest mismatch",
            &fixtures::digest(&gz),
            &fixtures::digest(&touched),
        ],
    );

    // A missing blob.
    let missing = dir.join("missing");
    fixtures::oci_layout_dir(
        &missing,
        &cfg,
        std::slice::from_ref(&gz),
        "application/vnd.oci.image.layer.v1.tar+gzip",
    );
    std::fs::remove_file(missing.join("blobs/sha256").join(fixtures::sha256_hex(&gz))).unwrap();
    expect_error(&[missing.as_os_str()], &["layer 1", "missing"]);

    // A layer whose tar is garbage but whose digests are right (Docker 25+ layout).
    let mut junk = good.clone();
    for b in junk.iter_mut().take(512).skip(100) {
        *b = 0x41;
    }
    let cfg_junk = fixtures::config(&[&junk], json!({}), vec![]);
    let p = dir.join("corrupt-layer.tar");
    std::fs::write(&p, fixtures::docker25(&cfg_junk, &[junk], "x:1")).unwrap();
    expect_error(&[p.as_os_str()], &["layer 1"]);

    // A diff_id that does not match the uncompressed layer.
    let cfg_wrong = fixtures::config(&[&other], json!({}), vec![]);
    let wrong = dir.join("wrong-diffid");
    fixtures::oci_layout_dir(
        &wrong,
        &cfg_wrong,
        std::slice::from_ref(&gz),
        "application/vnd.oci.image.layer.v1.tar+gzip",
    );
    expect_error(&[wrong.as_os_str()], &["layer 1", "diff_id mismatch"]);
}

#[test]
fn truncated_archive_is_an_error_not_a_panic() {
    let dir = fixtures::fresh_dir("truncated");
    let (p, ..) = distroless_like(&dir);
    let data = read(&p);
    for cut in [data.len() / 2, data.len() - 700, 1024, 600] {
        let t = dir.join(format!("cut-{cut}.tar"));
        std::fs::write(&t, &data[..cut]).unwrap();
        let r = goaudit(&[t.as_os_str()]);
        assert_eq!(r.code, 2, "cut at {cut}: {} {}", r.stdout, r.stderr);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        assert!(r.stderr.contains(&t.display().to_string()), "{}", r.stderr);
    }
    // A gzip Nix result cut short.
    let nix = nix_fixture(&dir);
    let data = read(&nix.path);
    let t = dir.join("result-cut");
    std::fs::write(&t, &data[..data.len() * 2 / 3]).unwrap();
    expect_error(&[t.as_os_str()], &["malformed"]);
}

#[test]
fn decompression_bomb_is_stopped_by_the_limit() {
    let dir = fixtures::fresh_dir("bomb");
    // 64 MiB of zeros in one file; gzip members concatenate, so the blob is built from
    // one small compressed chunk repeated.
    let chunk = 1 << 20;
    let n = 64u64;
    let mut h = tar::Header::new_ustar();
    h.set_path("zeros").unwrap();
    h.set_size(n * chunk as u64);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    let mut blob = gzip(h.as_bytes());
    let zeros = gzip(&vec![0u8; chunk]);
    for _ in 0..n {
        blob.extend_from_slice(&zeros);
    }
    blob.extend_from_slice(&gzip(&[0u8; 1024]));
    let mut uncompressed = h.as_bytes().to_vec();
    uncompressed.resize(512 + (n as usize) * chunk + 1024, 0);
    let cfg = fixtures::config(&[&uncompressed], json!({}), vec![]);
    let layout = dir.join("oci");
    fixtures::oci_layout_dir(
        &layout,
        &cfg,
        &[blob.clone()],
        "application/vnd.oci.image.layer.v1.tar+gzip",
    );
    assert!(blob.len() < 1 << 20, "the bomb is small on disk");
    // Under the default limit it is just a big layer.
    let img = image_json(&layout);
    assert_eq!(u(&img["content_size"]), n * chunk as u64);
    assert_eq!(u(&img["layers"][0]["tar_size"]), uncompressed.len() as u64);
    // With a 16 MiB limit it is refused.
    expect_error(
        &[
            "--max-decompressed".as_ref(),
            "16MiB".as_ref(),
            layout.as_os_str(),
        ],
        &["layer 1", "--max-decompressed"],
    );
    // Every command that reads images takes the same limit.
    for cmd in ["size", "buildinfo", "check"] {
        expect_error(
            &[
                cmd.as_ref(),
                "--max-decompressed".as_ref(),
                "16MiB".as_ref(),
                layout.as_os_str(),
            ],
            &["layer 1", "--max-decompressed"],
        );
    }
}

#[test]
fn mangled_archives_never_panic() {
    let dir = fixtures::fresh_dir("mangled");
    let bin = read(&support::testbin("hello-cgo0"));
    let l1 = layer_tar(&[file("bin/hello", bin)]);
    let l2 = layer_tar(&[file("etc/a", "a\n"), file("bin/.wh.hello", "")]);
    let cfg = fixtures::config(&[&l1, &l2], json!({}), vec![]);
    let data = gzip(&fixtures::docker25(&cfg, &[gzip(&l1), l2], "m:1"));
    // The layer digests above describe uncompressed layers while the first blob is gzip:
    // goaudit must say so rather than crash; then flip bytes all over.
    let mut x = 0x9e3779b97f4a7c15u64;
    for i in 0..24 {
        let mut m = data.clone();
        for _ in 0..(1 + i % 4) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let pos = (x as usize) % m.len();
            m[pos] ^= (x >> 32) as u8 | 1;
        }
        let p = dir.join(format!("m{i}"));
        std::fs::write(&p, &m).unwrap();
        let r = goaudit(&[p.as_os_str()]);
        assert!(
            r.code == 0 || r.code == 2,
            "exit {} on mutation {i}: {}",
            r.code,
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "mutation {i}: {}", r.stderr);
    }
}

#[test]
fn umoci_insert_unterminated_layers_are_read() {
    need_image_tools();
    let dir = fixtures::fresh_dir("umoci-insert");
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let b = filler(3000, 11);
    std::fs::write(src.join("a.txt"), "hello\n").unwrap();
    std::fs::write(src.join("b.bin"), &b).unwrap();
    let layout = dir.join("oci");
    let image = format!("{}:t", layout.display());
    fixtures::run(
        Command::new("umoci")
            .args(["init", "--layout"])
            .arg(&layout),
    );
    fixtures::run(Command::new("umoci").args(["new", "--image", &image]));
    // Debian's umoci 0.4.7 writes these layers without padding or end-of-archive.
    fixtures::run(
        Command::new("umoci")
            .args(["insert", "--image", &image])
            .arg(&src)
            .arg("/app"),
    );
    fixtures::run(Command::new("umoci").args([
        "insert",
        "--image",
        &image,
        "--whiteout",
        "/app/b.bin",
    ]));
    let img = image_json(&layout);
    assert_eq!(u(&img["content_size"]), 6 + b.len() as u64);
    assert_eq!(u(&img["visible_size"]), 6);
    assert_eq!(u(&img["wasted_bytes"]), b.len() as u64);
    assert_eq!(img["layers"][1]["whiteouts"], 1);
}

#[test]
fn index_with_a_missing_platform_reports_the_present_image() {
    let dir = fixtures::fresh_dir("multiplatform");
    let l = layer_tar(&[file("etc/x", filler(700, 12))]);
    let cfg = fixtures::config(&[&l], json!({}), vec![]);
    let layout = dir.join("oci");
    fixtures::oci_layout_dir(
        &layout,
        &cfg,
        std::slice::from_ref(&l),
        "application/vnd.oci.image.layer.v1.tar",
    );
    let idx_path = layout.join("index.json");
    let mut idx: Value = serde_json::from_slice(&read(&idx_path)).unwrap();
    idx["manifests"][0]["platform"] = json!({"os": "linux", "architecture": "amd64"});
    let absent = fixtures::digest(b"not exported");
    idx["manifests"].as_array_mut().unwrap().push(json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": absent, "size": 12,
        "platform": {"os": "linux", "architecture": "arm64"}
    }));
    std::fs::write(&idx_path, serde_json::to_vec(&idx).unwrap()).unwrap();
    let img = image_json(&layout);
    assert_eq!(img["format"], "oci-layout");
    assert_eq!(u(&img["content_size"]), 700);
    // With only the absent manifest left, there is no image: an error, exit 2.
    idx["manifests"].as_array_mut().unwrap().remove(0);
    std::fs::write(&idx_path, serde_json::to_vec(&idx).unwrap()).unwrap();
    expect_error(&[layout.as_os_str()], &["missing"]);
}

#[test]
fn a_walked_directory_reports_its_images_and_skips_other_tarballs() {
    let dir = fixtures::fresh_dir("walk");
    let l = layer_tar(&[file("srv/data", filler(1234, 13))]);
    let cfg = fixtures::config(&[&l], json!({}), vec![]);
    fixtures::oci_layout_dir(
        &dir.join("layout"),
        &cfg,
        &[gzip(&l)],
        "application/vnd.oci.image.layer.v1.tar+gzip",
    );
    std::fs::write(
        dir.join("saved.tar"),
        fixtures::docker25(&cfg, std::slice::from_ref(&l), "walk:1"),
    )
    .unwrap();
    // A source tarball is not an image: skipped inside a walk, an error when named.
    let src = dir.join("src.tar.gz");
    std::fs::write(&src, gzip(&layer_tar(&[file("main.go", "package main\n")]))).unwrap();
    let imgs = images_json(&dir, &[]);
    assert_eq!(imgs.len(), 2, "{imgs:?}");
    for i in &imgs {
        assert_eq!(u(&i["content_size"]), 1234);
    }
    expect_error(&[src.as_os_str()], &["no container image"]);
}

#[test]
fn dynamic_binary_on_scratch_is_reported_as_unable_to_start() {
    let bin = read(&support::testbin("netuser-default"));
    let interp = goblin::elf::Elf::parse(&bin)
        .unwrap()
        .interpreter
        .unwrap()
        .to_string();
    let l = layer_tar(&[file("app", bin.clone())]);
    let cfg = fixtures::config(&[&l], json!({"Entrypoint": ["/app"]}), vec![]);
    let dir = fixtures::fresh_dir("scratch-dynamic");
    let p = dir.join("img.tar");
    std::fs::write(&p, fixtures::docker25(&cfg, &[l], "broken:1")).unwrap();
    let img = image_json(&p);
    let first = img["why"][0].as_str().unwrap();
    assert!(first.contains("/app cannot start"), "{first}");
    assert!(
        img["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "image-cannot-start"),
        "{}",
        img["findings"]
    );
    assert!(
        first.contains(&interp) && first.contains("libc.so.6"),
        "{first}"
    );
    assert_eq!(u(&img["content_size"]), bin.len() as u64);
    assert_eq!(saving(&img, "cgo-libc-closure"), None);
    // The gate fails on it with no rule given: image-cannot-start is denied by default.
    let empty = tempfile::tempdir().unwrap();
    let out = support::goaudit()
        .current_dir(empty.path())
        .arg("check")
        .arg(&p)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("error") && l.contains("image-cannot-start")),
        "{text}"
    );
}

#[test]
fn cgo_free_pie_needs_only_the_loader() {
    let bin = read(&support::testbin("netuser-pie-cgo0"));
    let host = host_libs(&bin);
    assert_eq!(host.len(), 1, "a CGO_ENABLED=0 PIE needs only the loader");
    let (interp, loader) = &host[0];
    let l = layer_tar(&[
        file("app", bin.clone()),
        file(interp.trim_start_matches('/'), loader.clone()),
    ]);
    let cfg = fixtures::config(&[&l], json!({}), vec![]);
    let dir = fixtures::fresh_dir("pie");
    let p = dir.join("pie.tar");
    std::fs::write(&p, fixtures::docker25(&cfg, &[l], "pie:1")).unwrap();
    let img = image_json(&p);
    assert_eq!(saving(&img, "cgo-libc-closure"), Some(loader.len() as u64));
    let c = &causes(&img, "cgo-libc-closure")[0];
    assert!(c["why"].as_str().unwrap().contains("-buildmode=pie"), "{c}");
    assert!(
        c["fix"]
            .as_str()
            .unwrap()
            .contains("without -buildmode=pie"),
        "{c}"
    );
}

#[test]
fn other_payload_is_named_by_kind() {
    let bin = read(&support::testbin("netuser-cgo0-trimpath-sw"));
    let certs = filler(150_000, 21);
    let tz = filler(2_345, 22);
    let misc = b"hello\n".to_vec();
    let l = layer_tar(&[
        file("app", bin.clone()),
        file("etc/ssl/certs/ca-certificates.crt", certs.clone()),
        file("usr/share/zoneinfo/Europe/Paris", tz.clone()),
        file("etc/motd", misc.clone()),
    ]);
    let cfg = fixtures::config(&[&l], json!({}), vec![]);
    let dir = fixtures::fresh_dir("payload");
    let p = dir.join("payload.tar");
    std::fs::write(&p, fixtures::docker25(&cfg, &[l], "payload:1")).unwrap();
    let img = image_json(&p);
    assert!(img["base"].is_null());
    assert_eq!(
        u(&causes(&img, "certificates")[0]["bytes"]),
        certs.len() as u64
    );
    assert_eq!(u(&causes(&img, "tzdata")[0]["bytes"]), tz.len() as u64);
    assert_eq!(u(&causes(&img, "app-layer")[0]["bytes"]), misc.len() as u64);
    assert_eq!(u(&causes(&img, "go-binary")[0]["bytes"]), bin.len() as u64);
    // Here the causes partition the content.
    let sum: u64 = img["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| u(&c["bytes"]))
        .sum();
    assert_eq!(sum, u(&img["content_size"]));
}

// ---- several platforms in one index; skopeo's dir: layout ------------------------------

/// testbins/netuser built for linux/arm64 (static, stripped): the other half of a
/// two-platform index. Built here rather than in the shared matrix, which every test
/// of every Go binary walks.
fn linux_arm64_netuser() -> Vec<u8> {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let p = BUILT.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/image-fixtures/bin");
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("netuser-linux-arm64");
        fixtures::run(
            Command::new(support::go_binary())
                .current_dir(support::repo_root().join("testbins/netuser"))
                .env_remove("GOFLAGS")
                .env("GOOS", "linux")
                .env("GOARCH", "arm64")
                .env("CGO_ENABLED", "0")
                .env("GOTOOLCHAIN", "local")
                .args([
                    "build",
                    "-buildvcs=false",
                    "-trimpath",
                    "-ldflags=-s -w",
                    "-o",
                ])
                .arg(&out)
                .arg("."),
        );
        out
    });
    read(p)
}

/// A config for `arch` (and `variant` when given), otherwise as fixtures::config.
fn config_for(layers: &[&[u8]], arch: &str, variant: Option<&str>) -> Vec<u8> {
    let cfg = fixtures::config(layers, json!({"Entrypoint": ["/app/server"]}), vec![]);
    let mut v: Value = serde_json::from_slice(&cfg).unwrap();
    v["architecture"] = json!(arch);
    if let Some(var) = variant {
        v["variant"] = json!(var);
    }
    serde_json::to_vec(&v).unwrap()
}

/// A two-platform OCI layout (linux/amd64, linux/arm64 with its variant v8 named only by
/// the index), each with its own build of netuser at /app/server; with both binaries.
fn two_platform_layout(dir: &Path) -> (PathBuf, Vec<u8>, Vec<u8>) {
    let amd64 = read(&support::testbin("netuser-cgo0-trimpath-sw"));
    let arm64 = linux_arm64_netuser();
    assert_eq!(
        goblin::elf::Elf::parse(&arm64).unwrap().header.e_machine,
        goblin::elf::header::EM_AARCH64
    );
    let la = layer_tar(&[E::Dir("app/".into()), file("app/server", amd64.clone())]);
    let lb = layer_tar(&[E::Dir("app/".into()), file("app/server", arm64.clone())]);
    let layout = dir.join("multi");
    fixtures::oci_index_dir(
        &layout,
        &[
            fixtures::PlatformImage {
                config: config_for(&[&la], "amd64", None),
                blobs: vec![gzip(&la)],
                media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
                platform: json!({"os": "linux", "architecture": "amd64"}),
            },
            fixtures::PlatformImage {
                config: config_for(&[&lb], "arm64", None),
                blobs: vec![gzip(&lb)],
                media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
                platform: json!({"os": "linux", "architecture": "arm64", "variant": "v8"}),
            },
        ],
    );
    (layout, amd64, arm64)
}

#[test]
fn two_platform_index_names_each_platform_and_platform_picks_one() {
    let dir = fixtures::fresh_dir("two-platforms");
    let (layout, amd64, arm64) = two_platform_layout(&dir);
    let imgs = images_json(&layout, &[]);
    let platforms: Vec<&str> = imgs
        .iter()
        .map(|i| i["platform"].as_str().unwrap())
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64/v8"]);
    assert_eq!(u(&imgs[0]["content_size"]), amd64.len() as u64);
    assert_eq!(u(&imgs[1]["content_size"]), arm64.len() as u64);
    for i in &imgs {
        // Each binary is built for its image's platform: nothing keeps it from starting.
        assert!(
            !i["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["id"] == "image-cannot-start"),
            "{}",
            i["findings"]
        );
    }

    // The human report and the comparison table name the platform of each image.
    let r = goaudit(&[layout.as_os_str()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for p in ["linux/amd64", "linux/arm64/v8"] {
        assert!(
            r.stdout
                .contains(&format!("image: oci-layout, {p}, 1 layer")),
            "{p}: {}",
            r.stdout
        );
    }
    let table = &r.stdout[r.stdout.find("top cause").expect("comparison table")..];
    for p in ["linux/amd64", "linux/arm64/v8"] {
        assert!(table.contains(p), "{p} not in {table}");
    }

    // --platform picks one image; without a variant it matches any, arm64 means v8.
    for (want, expect, size) in [
        ("linux/arm64", "linux/arm64/v8", arm64.len()),
        ("linux/arm64/v8", "linux/arm64/v8", arm64.len()),
        ("linux/amd64", "linux/amd64", amd64.len()),
    ] {
        let r = goaudit(&[
            "--json".as_ref(),
            "--platform".as_ref(),
            want.as_ref(),
            layout.as_os_str(),
        ]);
        assert_eq!(r.code, 0, "{want}: {}", r.stderr);
        let doc: Value = serde_json::from_str(&r.stdout).unwrap();
        let arts = doc["artifacts"].as_array().unwrap();
        assert_eq!(arts.len(), 1, "{want}");
        assert_eq!(arts[0]["platform"], expect);
        assert_eq!(u(&arts[0]["content_size"]), size as u64);
    }
    // No such platform: an error naming the ones there are.
    expect_error(
        &[
            "--platform".as_ref(),
            "linux/s390x".as_ref(),
            layout.as_os_str(),
        ],
        &[
            "no image for platform linux/s390x",
            "linux/amd64, linux/arm64/v8",
        ],
    );
    expect_error(
        &["--platform".as_ref(), "linux".as_ref(), layout.as_os_str()],
        &["invalid platform"],
    );
    // Every command that reads images takes it.
    let r = goaudit(&[
        "buildinfo".as_ref(),
        "--platform".as_ref(),
        "linux/arm64".as_ref(),
        layout.as_os_str(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("GOARCH=arm64"), "{}", r.stdout);
    assert!(!r.stdout.contains("GOARCH=amd64"), "{}", r.stdout);
    for cmd in ["size", "check"] {
        let r = goaudit(&[
            cmd.as_ref(),
            "--platform".as_ref(),
            "linux/ppc64le".as_ref(),
            layout.as_os_str(),
        ]);
        assert_eq!(r.code, 2, "{cmd}: {}", r.stderr);
        assert!(
            r.stderr.contains("no image for platform"),
            "{cmd}: {}",
            r.stderr
        );
    }
}

#[test]
fn skopeo_dir_layout_is_read_by_content() {
    need_image_tools();
    let dir = fixtures::fresh_dir("skopeo-dir");
    let bin = read(&support::testbin("netuser-cgo0"));
    let layer = layer_tar(&[E::Dir("app/".into()), file("app/hello", bin.clone())]);
    let layout = fixtures::umoci_image(&dir, &[layer], "/app/hello");
    let plain = dir.join("plain");
    fixtures::skopeo_copy(&layout, &format!("dir:{}", plain.display()), &[]);
    assert!(plain.join("version").is_file() && plain.join("manifest.json").is_file());
    let img = image_json(&plain);
    assert_eq!(img["format"], "skopeo-dir");
    assert_eq!(u(&img["content_size"]), bin.len() as u64);
    assert_eq!(img["binaries"][0]["path"], "/app/hello");
    assert_eq!(img["platform"], "linux/amd64");
    // The same image read from the OCI layout has the same layers.
    let from_oci = image_json(&layout);
    assert_eq!(img["layers"], from_oci["layers"]);

    // Every command that reads images reads it: check (with its binary inside), size,
    // buildinfo, and a directory walk.
    let r = goaudit(&[
        "check".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        plain.as_os_str(),
    ]);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let keys: Vec<&str> = doc["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys[1].ends_with("plain:/app/hello"), "{keys:?}");
    let r = goaudit(&["buildinfo".as_ref(), plain.as_os_str()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("example.com/netuser"), "{}", r.stdout);
    let r = goaudit(&["size".as_ref(), plain.as_os_str()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let walked = images_json(&dir, &[]);
    assert!(
        walked.iter().any(|i| i["format"] == "skopeo-dir"),
        "a walk finds the dir: layout"
    );

    // `skopeo copy --all` of a two-platform index: manifest.json is the index, each
    // platform's manifest is <hex>.manifest.json.
    let (multi, _, _) = two_platform_layout(&dir);
    let all = dir.join("all");
    fixtures::skopeo_copy(&multi, &format!("dir:{}", all.display()), &["--all"]);
    let imgs = images_json(&all, &[]);
    let platforms: Vec<&str> = imgs
        .iter()
        .map(|i| i["platform"].as_str().unwrap())
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64/v8"]);
    for i in &imgs {
        assert_eq!(i["format"], "skopeo-dir");
    }
}

// ---- hard links, duplicates outside Nix, a Go toolchain -------------------------------

/// A non-Go ELF program from the host: coreutils' `true`.
fn host_true() -> Vec<u8> {
    let p = ["/usr/bin/true", "/bin/true"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .expect("the host has no /usr/bin/true: install coreutils");
    let b = read(&p);
    assert_eq!(&b[..4], b"\x7fELF", "{} is not ELF", p.display());
    b
}

#[test]
fn hard_links_are_one_file_and_duplicates_are_found_outside_nix() {
    let bin = read(&support::testbin("netuser-cgo0"));
    let (sym, dwarf) = symbol_bytes(&bin);
    assert!(sym + dwarf > 0);
    let t = host_true();
    let big = filler(2_000_000, 41);
    let l1 = layer_tar(&[
        file("app/server", bin.clone()),
        // The same Go program again, and the same C program twice.
        file("usr/local/bin/server-copy", bin.clone()),
        file("bin/true", t.clone()),
        file("usr/bin/true", t.clone()),
        // One file under three names.
        file("data/big.bin", big.clone()),
        E::Hard("data/big.link".into(), "data/big.bin".into()),
        E::Hard("srv/big.bin".into(), "data/big.bin".into()),
    ]);
    // A hidden file with a hard link: one hidden copy.
    let old = filler(30_000, 42);
    let l0 = layer_tar(&[
        file("old/a", old.clone()),
        E::Hard("old/b".into(), "old/a".into()),
    ]);
    let l2 = layer_tar(&[file("old/.wh..wh..opq", "")]);
    let cfg = fixtures::config(
        &[&l0, &l1, &l2],
        json!({"Entrypoint": ["/app/server"]}),
        vec![],
    );
    let dir = fixtures::fresh_dir("duplicates");
    let p = dir.join("dups.tar");
    std::fs::write(&p, fixtures::docker25(&cfg, &[l0, l1, l2], "dups:1")).unwrap();
    let img = image_json(&p);

    // largest_files: the three names of big.bin are one entry.
    let largest = img["largest_files"].as_array().unwrap();
    let bigs: Vec<&Value> = largest
        .iter()
        .filter(|f| u(&f["bytes"]) == big.len() as u64)
        .collect();
    assert_eq!(bigs.len(), 1, "{largest:#?}");
    assert_eq!(bigs[0]["path"], "/data/big.bin");
    assert_eq!(bigs[0]["links"], json!(["/data/big.link", "/srv/big.bin"]));
    // wasted_files: the hidden file and its hard link are one copy.
    let wasted = img["wasted_files"].as_array().unwrap();
    assert_eq!(wasted.len(), 1, "{wasted:#?}");
    assert_eq!(u(&wasted[0]["bytes"]), old.len() as u64);
    assert_eq!(wasted[0]["links"], json!(["/old/b"]));
    assert_eq!(u(&img["wasted_bytes"]), old.len() as u64);

    // The Go duplicate: the copy that is not the entrypoint goes, symbols and all; the
    // symbols are a saving of the kept copy only.
    assert_eq!(
        saving(&img, "duplicate-go-main-module"),
        Some(bin.len() as u64)
    );
    let sym_findings: Vec<&Value> = img["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "symbols-not-stripped")
        .collect();
    assert_eq!(sym_findings.len(), 1, "{sym_findings:#?}");
    assert_eq!(u(&sym_findings[0]["saving"]), sym + dwarf);
    assert!(
        sym_findings[0]["message"]
            .as_str()
            .unwrap()
            .contains("/app/server"),
        "{sym_findings:?}"
    );
    // The C duplicate: one copy charged, the other kept.
    let d = causes(&img, "duplicate-elf");
    assert_eq!(d.len(), 1, "{:#?}", img["causes"]);
    assert_eq!(u(&d[0]["bytes"]), t.len() as u64);
    assert!(
        d[0]["why"].as_str().unwrap().contains("/bin/true is kept"),
        "{}",
        d[0]["why"]
    );
    assert!(
        img["why"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().starts_with("duplicate copies of true ")),
        "{}",
        img["why"]
    );
}

#[test]
fn go_toolchain_is_one_cause() {
    let go = read(&support::testbin("hello-cgo0"));
    let compile = read(&support::testbin("netuser-cgo0"));
    let app = read(&support::testbin("netuser-cgo0-trimpath-sw"));
    let src = b"package runtime\n".to_vec();
    let version = b"go1.99.0\n".to_vec();
    let l = layer_tar(&[
        file("usr/local/go/bin/go", go.clone()),
        file("usr/local/go/pkg/tool/linux_amd64/compile", compile.clone()),
        file("usr/local/go/src/runtime/proc.go", src.clone()),
        file("usr/local/go/VERSION", version.clone()),
        E::Sym("usr/local/bin/go".into(), "../go/bin/go".into()),
        file("app/server", app.clone()),
    ]);
    let cfg = fixtures::config(&[&l], json!({"Entrypoint": ["/app/server"]}), vec![]);
    let dir = fixtures::fresh_dir("toolchain");
    let p = dir.join("toolchain.tar");
    std::fs::write(&p, fixtures::docker25(&cfg, &[l], "toolchain:1")).unwrap();
    let img = image_json(&p);
    let tree = (go.len() + compile.len() + src.len() + version.len()) as u64;
    let c = causes(&img, "go-toolchain");
    assert_eq!(c.len(), 1, "{:#?}", img["causes"]);
    assert_eq!(u(&c[0]["bytes"]), tree);
    assert_eq!(c[0]["what"], "Go toolchain /usr/local/go");
    assert!(
        c[0]["why"]
            .as_str()
            .unwrap()
            .ends_with("4 files, 2 of them Go programs"),
        "{}",
        c[0]["why"]
    );
    assert_eq!(saving(&img, "go-toolchain"), Some(tree));
    // The toolchain's programs are part of it, not Go binaries of the image: no
    // symbols finding for the unstripped compile.
    let bins: Vec<&str> = img["binaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["path"].as_str().unwrap())
        .collect();
    assert_eq!(bins, ["/app/server"]);
    assert_eq!(saving(&img, "symbols-not-stripped"), None);
    assert_eq!(u(&causes(&img, "go-binary")[0]["bytes"]), app.len() as u64);
}

// ---- the progress line ------------------------------------------------------------------

/// Run goaudit with stderr (and stdout) on a pseudo-terminal, through util-linux
/// `script`; returns everything the terminal received.
fn on_a_terminal(args: &str, env: &[(&str, &str)]) -> String {
    let script = support::require_tool(
        "script",
        "install util-linux (`apt-get install util-linux`)",
    );
    let bin = env!("CARGO_BIN_EXE_goaudit");
    let mut c = Command::new(script);
    c.args(["-q", "-e", "-c", &format!("{bin} {args}"), "/dev/null"])
        .env("TERM", "xterm")
        .env_remove("NO_COLOR");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("run script");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn progress_is_drawn_only_on_a_terminal_and_erased() {
    let dir = fixtures::fresh_dir("progress");
    let (p, ..) = distroless_like(&dir);
    let gz = dir.join("distroless.tar.gz");
    std::fs::write(&gz, gzip(&read(&p))).unwrap();
    // Debug builds draw the line at once with this; release builds after a second.
    let now = [("GOAUDIT_DEBUG_PROGRESS_DELAY_MS", "0")];

    // Not a terminal (the usual situation of a test, a pipe, a CI log): not one byte.
    for path in [&p, &gz] {
        for extra in [&[][..], &["--json"][..], &["size"][..]] {
            let out = support::goaudit()
                .args(extra)
                .arg(path)
                .env("GOAUDIT_DEBUG_PROGRESS_DELAY_MS", "0")
                .env("TERM", "xterm")
                .output()
                .unwrap();
            assert!(out.status.success());
            assert!(
                out.stderr.is_empty(),
                "{extra:?}: {:?}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    // On a terminal: the layer being read and its bytes, then erased before the report.
    let t = on_a_terminal(&p.display().to_string(), &now);
    let line = t
        .find("\rgoaudit: reading ")
        .unwrap_or_else(|| panic!("{t:?}"));
    assert!(
        t[line..].contains("\rgoaudit: reading layer 2/2 of distroless.tar: "),
        "{t:?}"
    );
    let report = t.find("example/distroless-app:1.0").expect("the report");
    assert!(line < report, "{t:?}");
    let between = &t[line..report];
    let erased = between.rfind('\r').unwrap();
    let last_drawn = between[..erased].rfind("\rgoaudit: reading ").unwrap();
    let width = between[last_drawn + 1..]
        .find('\r')
        .map(|n| between[last_drawn + 1..last_drawn + 1 + n].chars().count())
        .unwrap();
    // The last write before the report blanks the whole line.
    let blank = format!("\r{}\r", " ".repeat(width));
    assert!(between.contains(&blank), "{between:?}");
    assert!(
        !between[..=erased].contains('\x1b'),
        "no escape sequences: {between:?}"
    );
    // The compressed archive's first pass is shown too.
    let t = on_a_terminal(&gz.display().to_string(), &now);
    assert!(
        t.contains("\rgoaudit: reading the member list of distroless.tar.gz: "),
        "{t:?}"
    );

    // Not for machines, not on a dumb terminal, and not before the delay.
    let t = on_a_terminal(&format!("--json {}", p.display()), &now);
    assert!(!t.contains("goaudit: reading"), "{t:?}");
    let t = on_a_terminal(&p.display().to_string(), &[now[0], ("TERM", "dumb")]);
    assert!(!t.contains("goaudit: reading"), "{t:?}");
    let t = on_a_terminal(
        &p.display().to_string(),
        &[("GOAUDIT_DEBUG_PROGRESS_DELAY_MS", "600000")],
    );
    assert!(!t.contains("goaudit: reading"), "{t:?}");
}

/// The closure is found the way ld.so finds it, inside the image: the interpreter reached
/// through a symlink, libc through `/etc/ld.so.conf` and an `include`d drop-in directory
/// and a version symlink, libc's own `DT_NEEDED` (the loader) resolved again; a library
/// nobody needs is neither charged nor listed.
#[test]
fn closure_follows_ld_so_conf_and_symlinks_and_leaves_unneeded_libraries_out() {
    let bin = read(&support::testbin("netuser-default"));
    let libs = host_libs(&bin);
    let interp = &libs[0].0;
    let ld = &libs[0].1;
    let libc = &libs
        .iter()
        .find(|(p, _)| p.ends_with("/libc.so.6"))
        .expect("libc.so.6 among the host's libraries")
        .1;
    let unused = [
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/usr/lib/x86_64-linux-gnu/libm.so.6",
    ]
    .iter()
    .map(Path::new)
    .find(|p| p.is_file())
    .map(read)
    .expect("the host has no libm.so.6: install libc6");
    let ld_name = Path::new(interp).file_name().unwrap().to_str().unwrap();
    let entries = vec![
        file("app/netuser", bin.clone()),
        // The interpreter path the binary names is a symlink into the real directory.
        E::Sym(
            interp.trim_start_matches('/').to_string(),
            format!("/opt/glibc/lib/{ld_name}"),
        ),
        file(&format!("opt/glibc/lib/{ld_name}"), ld.clone()),
        file("opt/glibc/lib/libc-2.36.so", libc.clone()),
        E::Sym("opt/glibc/lib/libc.so.6".into(), "libc-2.36.so".into()),
        file("etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n"),
        file(
            "etc/ld.so.conf.d/glibc.conf",
            "# glibc lives here\n/opt/glibc/lib\n",
        ),
        file("usr/lib/x86_64-linux-gnu/libm.so.6", unused.clone()),
    ];
    let l = layer_tar(&entries);
    let cfg = fixtures::config(&[&l], json!({"Entrypoint": ["/app/netuser"]}), vec![]);
    let dir = fixtures::fresh_dir("ldsoconf");
    let p = dir.join("img.tar");
    std::fs::write(&p, fixtures::docker25(&cfg, &[l], "ldsoconf:1")).unwrap();
    let img = image_json(&p);
    // The files, plus the two symlinks the loader follows (a symlink's bytes are its
    // target's length, as `docker image ls` counts them).
    let files = (ld.len() + libc.len()) as u64;
    let links = (format!("/opt/glibc/lib/{ld_name}").len() + "libc-2.36.so".len()) as u64;
    assert_eq!(
        saving(&img, "cgo-libc-closure"),
        Some(files + links),
        "{:#}",
        img["causes"]
    );
    let libraries = img["libraries"].as_array().unwrap();
    let listed: Vec<&str> = libraries
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert!(
        listed.iter().all(|p| !p.contains("libm")),
        "an unneeded library is listed: {listed:?}"
    );
    assert!(
        listed.iter().any(|p| p.contains("libc")),
        "libc is not listed: {listed:?}"
    );
    let listed_bytes: u64 = libraries.iter().map(|l| u(&l["bytes"])).sum();
    assert_eq!(listed_bytes, files, "{libraries:?}");
    // The image can start: nothing is missing.
    assert!(
        !img["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "image-cannot-start"),
        "{}",
        img["findings"]
    );
}
