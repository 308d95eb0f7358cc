//! The starter `goaudit.toml` that `goaudit init` writes: rule levels that the binaries
//! found already satisfy set to deny, the others to warn with what to change, and one
//! size budget per binary at its current size plus headroom. Every line is commented so
//! the file explains itself.

use std::fmt::Write as _;

use crate::finding::Code;
use crate::render::human_bytes;

/// What the starter file needs to know about one binary found.
#[derive(Debug, Clone)]
pub struct Found {
    /// Path relative to the config's directory, `/`-separated.
    pub key: String,
    /// File size in bytes.
    pub size: u64,
    /// Rule ids the binary's audit reported.
    pub findings: Vec<Code>,
    /// A slice of a universal Mach-O file (`app[arm64]`): no budget of its own.
    pub slice: bool,
}

/// The rules init decides on: deny when no binary violates them, warn otherwise.
const GATED: &[(Code, &str)] = &[
    (
        Code::DynamicLink,
        "build with CGO_ENABLED=0 to get a static binary",
    ),
    (
        Code::CgoLinked,
        "build with CGO_ENABLED=0 if no C code is needed",
    ),
    (Code::CgoResolver, "build with -tags netgo or CGO_ENABLED=0"),
    (
        Code::CgoOsUser,
        "build with -tags osusergo or CGO_ENABLED=0",
    ),
];

/// The budget for `size` with `headroom_percent` on top, rounded up to a tenth of a MiB
/// (a KiB below 1 MiB), as a size string `goaudit.toml` accepts.
pub fn budget_for(size: u64, headroom_percent: u32) -> String {
    let want = (u128::from(size) * (100 + u128::from(headroom_percent))).div_ceil(100);
    const MIB: u128 = 1 << 20;
    if want >= MIB {
        let tenths = (want * 10).div_ceil(MIB);
        format!("{}.{}MiB", tenths / 10, tenths % 10)
    } else {
        format!("{}KiB", want.div_ceil(1024).max(1))
    }
}

/// A path as a glob matching only itself.
fn glob_literal(path: &str) -> String {
    let mut o = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '*' | '?' | '[' | ']' | '{' | '}' => {
                o.push('[');
                o.push(c);
                o.push(']');
            }
            _ => o.push(c),
        }
    }
    o
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The file text. `found` must not be empty.
pub fn render(found: &[Found], headroom_percent: u32) -> String {
    let mut s = String::new();
    let bins = plural(found.len(), "Go binary", "Go binaries");
    let _ = writeln!(
        s,
        "# goaudit.toml: the policy `goaudit check` enforces (reference: docs/check.md in
# the goaudit repository). Written by `goaudit init` from the {bins} found here;
# edit freely. Check it now with `goaudit check`.
version = 1
"
    );

    let _ = writeln!(
        s,
        "# Levels: \"deny\" fails the check (exit 1), \"warn\" reports, \"allow\" turns a rule off.
# Rules the binaries already satisfy are set to deny so they stay that way.
[rules]"
    );
    let width = GATED.iter().map(|(c, _)| c.id().len()).max().unwrap_or(0);
    for &(code, fix) in GATED {
        let bad: Vec<&Found> = found
            .iter()
            .filter(|f| f.findings.contains(&code))
            .collect();
        let (level, why) = if bad.is_empty() {
            (
                "deny",
                match found.len() {
                    1 => "the binary passes".to_string(),
                    n => format!("all {n} binaries pass"),
                },
            )
        } else {
            let names: Vec<&str> = bad.iter().take(2).map(|f| f.key.as_str()).collect();
            let more = if bad.len() > 2 {
                format!(" and {} more", bad.len() - 2)
            } else {
                String::new()
            };
            (
                "warn",
                format!(
                    "fails on {}{more}: {fix}, then set \"deny\"",
                    names.join(", ")
                ),
            )
        };
        let _ = writeln!(
            s,
            "{:<w$} = {:<6}  # {why}",
            code.id(),
            toml_str(level),
            w = width
        );
    }
    let _ = writeln!(
        s,
        "# Others, at their defaults (uncomment to change):
# symtab-present = \"allow\"  # -ldflags=-s would drop the symbol table
# dwarf-present = \"allow\"   # -ldflags=-w would drop DWARF
# no-trimpath = \"allow\"     # build with -trimpath
# vcs-dirty = \"warn\"        # built from a tree with uncommitted changes
# upx-packed = \"warn\"
# size-budget = \"deny\"      # the budgets below
# size-growth = \"deny\"      # growth against `goaudit baseline write`
# module-budget = \"deny\"    # [budget.modules] caps
# module-budget-unmatched = \"warn\"  # a cap naming a module the binary lacks"
    );

    let _ = writeln!(
        s,
        "
# The pre-push hook (`goaudit hook install`) refuses binaries not built from the commit
# being pushed; name the command that builds them and the hook runs it first:
# [hook]
# build = \"make dist\""
    );
    let _ = writeln!(
        s,
        "
# Size budgets: each binary's size today plus {headroom_percent}% headroom. Paths are relative to
# this file; globs work (`dist/*-linux-*`). Rebuild the binaries before `goaudit check`:
# a missing one is an error, never a pass."
    );
    for f in found.iter().filter(|f| !f.slice) {
        let _ = writeln!(
            s,
            "
[[budget]]
path = {}
max_size = {:<10}  # today {}
# Growth limits compare with `goaudit baseline write`; uncomment after recording one.
# max_growth_percent = 5
# noise_floor = \"16KiB\"    # growth up to this never fails",
            toml_str(&glob_literal(&f.key)),
            toml_str(&budget_for(f.size, headroom_percent)),
            human_bytes(f.size)
        );
    }
    let slices: Vec<&Found> = found.iter().filter(|f| f.slice).collect();
    if !slices.is_empty() {
        let _ = writeln!(
            s,
            "
# Universal Mach-O slices have no budget here ({}); add one on the file if needed.",
            slices
                .iter()
                .map(|f| f.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn budgets_round_up_with_headroom() {
        assert_eq!(budget_for(10 << 20, 10), "11.0MiB");
        assert_eq!(budget_for((10 << 20) + 1, 10), "11.1MiB");
        assert_eq!(budget_for(1000, 10), "2KiB");
        assert_eq!(budget_for(0, 10), "1KiB");
        for size in [1u64, 999, 1 << 20, 8_612_345, 123_456_789_012] {
            let b = crate::check::config::parse_size(&budget_for(size, 10)).unwrap();
            assert!(b >= size + size / 10, "{size} -> {b}");
            assert!(
                b <= size + size / 10 + (1 << 20) / 10 + 1024,
                "{size} -> {b}"
            );
        }
    }

    #[test]
    fn rendered_file_parses_and_keeps_rules_the_binaries_pass() {
        let found = vec![
            Found {
                key: "dist/api".into(),
                size: 10 << 20,
                findings: vec![],
                slice: false,
            },
            Found {
                key: "dist/cgo[x]".into(),
                size: 3 << 20,
                findings: vec![Code::DynamicLink, Code::CgoLinked],
                slice: false,
            },
        ];
        let text = render(&found, 10);
        let cfg = crate::check::config::parse(&text, "goaudit.toml", Path::new("/r")).unwrap();
        let level = |c: Code| cfg.rules.iter().find(|r| r.0 == c).unwrap().1;
        use crate::check::config::Level;
        assert_eq!(level(Code::DynamicLink), Level::Warn);
        assert_eq!(level(Code::CgoLinked), Level::Warn);
        assert_eq!(level(Code::CgoResolver), Level::Deny);
        assert_eq!(cfg.budgets.len(), 2);
        assert!(cfg.budgets[1].path.matcher.is_match("dist/cgo[x]"));
        assert!(!cfg.budgets[1].path.matcher.is_match("dist/cgox"));
        assert_eq!(
            cfg.budgets[0].max_size.as_ref().unwrap().value,
            crate::check::config::parse_size("11.0MiB").unwrap()
        );
        assert!(text.contains("fails on dist/cgo[x]"), "{text}");
        // The commented-out [hook] example is valid once uncommented.
        let hook = text.replace("# [hook]\n# build", "[hook]\nbuild");
        let cfg = crate::check::config::parse(&hook, "goaudit.toml", Path::new("/r")).unwrap();
        assert_eq!(cfg.hook.build.as_deref(), Some("make dist"));
    }
}
