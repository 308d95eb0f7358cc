//! The HTML report in a real browser (headless Chromium driven by playwright-core,
//! tests/browser/treemap.mjs) and the static SVG treemap, checked against the sizes
//! `goaudit size --json` reports.

mod support;

#[path = "fixtures/images/mod.rs"]
mod fixtures;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const CHROMIUM: &str = "/usr/bin/chromium";

/// node and playwright-core, or a failure saying how to get them.
fn browser_driver() -> (PathBuf, PathBuf) {
    let chromium = std::env::var_os("CHROMIUM").map_or(PathBuf::from(CHROMIUM), PathBuf::from);
    assert!(
        chromium.exists(),
        "headless Chromium not found at {}: run scripts/setup.sh (Debian: apt-get install chromium)",
        chromium.display()
    );
    let node = support::require_tool(
        "node",
        "install Node.js (Debian: apt-get install nodejs npm); scripts/setup.sh does",
    );
    let modules = support::repo_root().join("target/browser/node_modules");
    assert!(
        modules.join("playwright-core").is_dir(),
        "playwright-core not found in {}: run scripts/setup.sh (it runs npm install in target/browser)",
        modules.display()
    );
    (node, modules)
}

fn out_dir() -> PathBuf {
    let d = support::repo_root().join("target/html-tests");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Open `html` in the browser: optionally click the top-level box `click` and type
/// `search`; returns what the page showed.
fn open(html: &Path, shot: &Path, click: Option<&str>, search: Option<&str>) -> Value {
    let (node, modules) = browser_driver();
    let profile = tempfile::tempdir().unwrap();
    let out = support::run_with_timeout(
        {
            let mut c = Command::new(node);
            c.arg(support::repo_root().join("tests/browser/treemap.mjs"))
                .arg(html)
                .arg(shot)
                .arg(profile.path())
                .arg(click.unwrap_or(""))
                .arg(search.unwrap_or(""))
                .env("GOAUDIT_NODE_MODULES", &modules);
            c
        },
        std::time::Duration::from_secs(120),
    );
    assert!(
        out.status.success(),
        "browser driver failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("driver prints JSON")
}

fn write_report(args: &[&str], bin: &Path) {
    let out = support::goaudit()
        .arg("size")
        .args(args)
        .arg(bin)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn sizes(v: &Value, key: &str) -> Vec<(String, u64)> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["bytes"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Areas follow bytes: the largest item is the largest box, the boxes tile the canvas,
/// and each box's area is its share of the canvas.
fn assert_areas(rects: &[Value], canvas: f64, total: u64, what: &str) {
    let area = |r: &Value| r["area"].as_f64().unwrap();
    let bytes = |r: &Value| r["bytes"].as_u64().unwrap();
    let sum: f64 = rects.iter().map(area).sum();
    assert!(
        (sum - canvas).abs() <= canvas * 0.001 + 1.0,
        "{what}: areas sum to {sum}, canvas is {canvas}"
    );
    let largest = rects.iter().max_by_key(|r| bytes(r)).unwrap();
    let biggest_box = rects
        .iter()
        .max_by(|a, b| area(a).total_cmp(&area(b)))
        .unwrap();
    assert_eq!(largest["name"], biggest_box["name"], "{what}");
    for r in rects {
        let want = bytes(r) as f64 / total as f64 * canvas;
        assert!(
            (area(r) - want).abs() <= want * 0.01 + 1.0,
            "{what}: {} has area {} for {} bytes (want {want})",
            r["name"],
            area(r),
            bytes(r)
        );
    }
}

#[test]
fn treemap_in_chromium() {
    let bin = support::testbin("promserver-default");
    let dir = out_dir();
    let html = dir.join("promserver.html");
    write_report(&["--html", html.to_str().unwrap()], &bin);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        !page.contains("<link") && !page.contains(" src="),
        "self-contained: nothing loaded from elsewhere"
    );

    let report = support::size_artifact(&bin);
    let sa = &report["size_attribution"];
    let total = sa["total"].as_u64().unwrap();
    let modules = sizes(sa, "by_module");
    // The module with the most packages' bytes, to zoom into.
    let biggest = modules[0].0.clone();
    let shot = dir.join("treemap.png");
    let v = open(&html, &shot, Some(&biggest), Some("net/http"));
    assert!(
        shot.metadata().unwrap().len() > 10_000,
        "screenshot written"
    );
    assert_eq!(v["requests"], Value::Array(vec![]), "no network request");
    assert_eq!(v["errors"], Value::Array(vec![]), "no script error");

    // The top level is the modules, with the report's bytes.
    let top = v["top"].as_array().unwrap();
    let mut shown: Vec<(String, u64)> = top
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    shown.sort();
    let mut want = modules.clone();
    want.sort();
    assert_eq!(shown, want);
    let canvas = v["box"]["w"].as_f64().unwrap() * v["box"]["h"].as_f64().unwrap();
    assert_areas(top, canvas, total, "modules");

    // Clicking the largest module zooms into its packages.
    let z = &v["zoomed"];
    assert!(z["crumbs"].as_str().unwrap().contains(&biggest));
    let pkgs: Vec<(String, u64)> = sa["by_package"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["module"] == biggest.as_str())
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    let zr = z["rects"].as_array().unwrap();
    let module_bytes: u64 = pkgs.iter().map(|p| p.1).sum();
    assert_eq!(
        zr.iter().map(|r| r["bytes"].as_u64().unwrap()).sum::<u64>(),
        module_bytes
    );
    let largest_pkg = &pkgs.iter().max_by_key(|p| p.1).unwrap().0;
    assert_eq!(zr[0]["name"], largest_pkg.as_str());
    assert_areas(zr, canvas, module_bytes, "packages");

    // The search keeps matching rows only.
    let found = v["searched"].as_array().unwrap();
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|r| r.as_str().unwrap().to_lowercase().contains("net/http")),
        "{found:?}"
    );
}

#[test]
fn image_and_diff_pages_open() {
    let dir = out_dir();
    let (a, b) = (
        support::testbin("depdiff-base"),
        support::testbin("depdiff-extra"),
    );
    let html = dir.join("diff.html");
    let out = support::goaudit()
        .args(["diff", "--html"])
        .arg(&html)
        .arg(&a)
        .arg(&b)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v = open(&html, &dir.join("diff.png"), None, None);
    assert_eq!(v["requests"], Value::Array(vec![]));
    assert_eq!(v["errors"], Value::Array(vec![]));
    // Areas are absolute changes: the added module is one of the boxes.
    let top = v["top"].as_array().unwrap();
    assert!(
        top.iter().any(|r| r["name"] == "github.com/beorn7/perks"),
        "{top:?}"
    );

    // An image: one box per layer, sized by the layer's content.
    use fixtures::{E, file, layer_tar};
    let app = std::fs::read(support::testbin("netuser-cgo0")).unwrap();
    let layers = vec![
        layer_tar(&[file("etc/motd", fixtures::filler(300_000, 7))]),
        layer_tar(&[E::Dir("app/".into()), file("app/server", app.clone())]),
    ];
    let refs: Vec<&[u8]> = layers.iter().map(|l| l.as_slice()).collect();
    let cfg = fixtures::config(&refs, serde_json::json!({}), vec![]);
    let tar = dir.join("image.tar");
    std::fs::write(&tar, fixtures::docker25(&cfg, &layers, "example/app:x")).unwrap();
    let html = dir.join("image.html");
    write_report(&["--html", html.to_str().unwrap()], &tar);
    let v = open(&html, &dir.join("image.png"), None, None);
    assert_eq!(v["requests"], Value::Array(vec![]));
    let top = v["top"].as_array().unwrap();
    let mut bytes: Vec<u64> = top.iter().map(|r| r["bytes"].as_u64().unwrap()).collect();
    bytes.sort();
    assert_eq!(bytes, [300_000, app.len() as u64]);
    let canvas = v["box"]["w"].as_f64().unwrap() * v["box"]["h"].as_f64().unwrap();
    assert_areas(top, canvas, 300_000 + app.len() as u64, "layers");
}

#[test]
fn svg_treemap_is_proportional() {
    use quick_xml::events::Event;
    let bin = support::testbin("netuser-cgo0");
    let dir = out_dir();
    let svg = dir.join("netuser.svg");
    write_report(&["--svg", svg.to_str().unwrap()], &bin);
    let xml = std::fs::read_to_string(&svg).unwrap();
    let report = support::size_artifact(&bin);
    let sa = &report["size_attribution"];
    let total = sa["total"].as_u64().unwrap();
    let modules = sizes(sa, "by_module");

    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut depth, mut roots) = (0i32, 0);
    let mut items = Vec::new();
    let (mut width, mut height) = (0f64, 0f64);
    loop {
        let ev = reader
            .read_event()
            .unwrap_or_else(|e| panic!("SVG is not well-formed XML: {e}"));
        let (start, e) = match &ev {
            Event::Start(e) => (true, e.clone()),
            Event::Empty(e) => (false, e.clone()),
            Event::End(_) => {
                depth -= 1;
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        if depth == 0 {
            roots += 1;
        }
        let attr = |name: &str| {
            e.try_get_attribute(name).unwrap().map(|a| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .unwrap()
                    .into_owned()
            })
        };
        let num = |name: &str| attr(name).unwrap().parse::<f64>().unwrap();
        match e.name().0 {
            "svg" => {
                width = num("width");
                height = num("height");
            }
            "rect" if attr("class").as_deref() == Some("item") => items.push((
                attr("data-name").unwrap(),
                attr("data-bytes").unwrap().parse::<u64>().unwrap(),
                num("width") * num("height"),
            )),
            _ => {}
        }
        if start {
            depth += 1;
        }
    }
    assert_eq!((depth, roots), (0, 1), "one balanced root");
    // One rect per module, areas proportional to bytes.
    let mut names: Vec<(String, u64)> = items.iter().map(|i| (i.0.clone(), i.1)).collect();
    names.sort();
    let mut want = modules.clone();
    want.sort();
    assert_eq!(names, want);
    let canvas = width * height;
    let sum: f64 = items.iter().map(|i| i.2).sum();
    assert!((sum - canvas).abs() < canvas * 0.001, "{sum} vs {canvas}");
    for (name, bytes, area) in &items {
        let want = *bytes as f64 / total as f64 * canvas;
        // Coordinates are written with two decimals.
        assert!(
            (area - want).abs() <= want * 0.01 + 2.0,
            "{name}: {area} vs {want}"
        );
    }
}
