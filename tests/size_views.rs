//! `size --by symbol` (real functions and data only), `--filter` and `--code`: the rows
//! they keep, and the one row saying what they leave out.

mod support;

use std::collections::BTreeSet;

fn size(args: &[&str]) -> (Option<i32>, String) {
    let out = support::goaudit()
        .arg("size")
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The first label column (`header`) of each table row, cut at the header's offset.
fn column(text: &str, header: &str) -> Vec<String> {
    let mut lines = text.lines().skip(1);
    let head = lines.next().unwrap();
    let at = head
        .find(header)
        .unwrap_or_else(|| panic!("no {header} column: {head}"));
    lines
        .take_while(|l| !l.trim().is_empty() && !l.contains("total (file size)"))
        .map(|l| {
            let rest: String = l.chars().skip(at).collect();
            // Up to the next column (two or more spaces).
            rest.split("  ").next().unwrap_or("").trim().to_string()
        })
        .collect()
}

#[test]
fn symbols_are_functions_and_data() {
    let bin = support::testbin("netuser-cgo0");
    let (code, text) = size(&["--by", "symbol", "-n", "0", "-w", bin.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    let names: BTreeSet<String> = column(&text, "Symbol").into_iter().collect();
    for pseudo in [
        "symbol table",
        "DWARF unit",
        "funcdata",
        "alignment padding",
        "padding",
        "pclntab",
    ] {
        assert!(
            !names.contains(pseudo),
            "pseudo-row {pseudo} listed under --by symbol"
        );
    }
    assert!(names.contains("main.main"), "main.main is a function");
    assert!(names.contains("runtime.mallocgc"));
    assert!(
        text.contains("left out: not a symbol's code or data (see --by section)"),
        "{text}"
    );
}

#[test]
fn filter_and_code() {
    let bin = support::testbin("promserver-default");
    let p = bin.to_str().unwrap();
    let (_, text) = size(&[
        "--by",
        "package",
        "-n",
        "0",
        "-w",
        "--filter",
        "github.com/prometheus",
        p,
    ]);
    let r = column(&text, "Package");
    let kept: Vec<&String> = r.iter().filter(|r| !r.starts_with("left out")).collect();
    assert!(!kept.is_empty());
    for row in &kept {
        assert!(row.starts_with("github.com/prometheus"), "{row:?}");
    }
    assert!(
        text.contains("left out: not matching `github.com/prometheus`"),
        "{text}"
    );

    // --code keeps the packages with machine code, the rest in one row.
    let report = support::size_artifact(&bin);
    let with_text: BTreeSet<String> = report["size_attribution"]["by_package"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["text_bytes"].as_u64().unwrap() > 0)
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    let (_, text) = size(&["--by", "package", "--code", "-n", "0", "-w", p]);
    let shown: BTreeSet<String> = column(&text, "Package")
        .into_iter()
        .filter(|r| !r.starts_with("left out"))
        .collect();
    assert_eq!(shown, with_text);
    assert!(text.contains("left out: not code"), "{text}");

    // Sections belong to no package.
    let (code, _) = size(&["--by", "section", "--filter", "net", p]);
    assert_eq!(code, Some(2));
}
