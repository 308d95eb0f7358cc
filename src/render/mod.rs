//! Renderers: every output format is produced from the same report structs.
//!
//! Renderers write to a `&mut dyn Write` and never print directly, so tests can render
//! into a buffer and `--json` keeps stdout free of anything else.

pub mod diff;
pub mod github;
pub mod html;
pub mod image;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod size;
pub mod text;
pub mod treemap;

use std::io::IsTerminal;

/// `--color` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Resolved colour decision for one output stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Emit ANSI colour codes.
    pub color: bool,
}

impl Style {
    /// Decide for stdout: `NO_COLOR` (non-empty) wins over auto, never over `always`.
    pub fn for_stdout(choice: ColorChoice) -> Style {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        };
        Style { color }
    }

    /// Plain output.
    pub fn plain() -> Style {
        Style { color: false }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    /// Good news.
    pub fn good(&self, s: &str) -> String {
        self.paint("32", s)
    }

    /// Something to look at.
    pub fn warn(&self, s: &str) -> String {
        self.paint("33", s)
    }

    /// Bad news.
    pub fn bad(&self, s: &str) -> String {
        self.paint("31", s)
    }

    /// Emphasis.
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }

    /// De-emphasis.
    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
}

/// The coverage of a size report: `attributed 97.4%; 2.6% unattributed, per section
/// below`, then one line per section with unattributed bytes and the reason.
pub fn coverage_lines(r: &crate::size::SizeReport) -> Vec<String> {
    let total = r.total.max(1) as f64;
    let share = |b: u64| b as f64 * 100.0 / total;
    if r.unattributed == 0 {
        return vec!["attributed 100%".to_string()];
    }
    let mut v = vec![format!(
        "attributed {:.1}%; {:.1}% unattributed ({}), per section below",
        share(r.attributed_bytes),
        share(r.unattributed),
        human_bytes(r.unattributed)
    )];
    // The sections that matter; the crumbs summed on one line.
    let (shown, rest): (Vec<_>, Vec<_>) = r
        .unattributed_by_section
        .iter()
        .enumerate()
        .partition(|(i, u)| *i < 4 && u.bytes >= 1024);
    for (_, u) in shown {
        v.push(format!(
            "  {} {} ({:.1}%): {}",
            u.section,
            human_bytes(u.bytes),
            share(u.bytes),
            u.reason
        ));
    }
    if !rest.is_empty() {
        let bytes: u64 = rest.iter().map(|(_, u)| u.bytes).sum();
        let n = rest.len();
        v.push(format!(
            "  {} in {n} more section{}",
            human_bytes(bytes),
            if n == 1 { "" } else { "s" }
        ));
    }
    v
}

/// Binary units, as cargo-bloat prints them: `512 B`, `4.0 KiB`, `12.3 MiB`.
pub fn human_bytes(n: u64) -> String {
    bytesize::ByteSize::b(n).display().iec().to_string()
}

/// A count with its noun: `1 layer`, `3 layers`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
