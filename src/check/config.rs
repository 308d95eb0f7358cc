//! `goaudit.toml`: discovery, parsing and validation.
//!
//! The file is parsed with serde and `deny_unknown_fields` so that a typo fails loudly
//! instead of silently weakening a gate. Every value that a report may point back at is
//! kept with its span, turned into `file:line:col` once, here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use toml::Spanned;

use crate::error::Error;
use crate::finding::Code;

/// File names looked for in each directory, first hit wins (cargo-deny's convention).
pub const CONFIG_NAMES: &[&str] = &["goaudit.toml", ".goaudit.toml", ".config/goaudit.toml"];

/// The only config schema version this goaudit reads.
pub const CONFIG_VERSION: i64 = 1;

/// Where `goaudit baseline write` records sizes, relative to the config's root.
pub const DEFAULT_BASELINE: &str = ".goaudit/baseline.json";

/// How strictly a rule is enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A violation fails the check (exit 1).
    Deny,
    /// A violation is reported; the check still passes.
    Warn,
    /// The rule is not evaluated.
    Allow,
}

impl Level {
    /// `deny`, `warn` or `allow`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Deny => "deny",
            Level::Warn => "warn",
            Level::Allow => "allow",
        }
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Level;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("\"deny\", \"warn\" or \"allow\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Level, E> {
                match v {
                    "deny" => Ok(Level::Deny),
                    "warn" => Ok(Level::Warn),
                    "allow" => Ok(Level::Allow),
                    _ => Err(E::custom(format!(
                        "invalid level {v:?}: expected \"deny\", \"warn\" or \"allow\""
                    ))),
                }
            }
        }
        d.deserialize_str(V)
    }
}

/// A position in the config file, 1-based, for messages and SARIF regions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    /// The config file, as shown to the user (relative to the root when possible).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// A byte count written as `12MiB`, `12.5 MB`, `800KiB` or a bare integer of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Size(pub u64);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Size;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a size such as \"12MiB\", \"12.5 MB\", \"800KiB\" or a number of bytes",
                )
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Size, E> {
                Ok(Size(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Size, E> {
                u64::try_from(v)
                    .map(Size)
                    .map_err(|_| E::custom(format!("invalid size {v}: must not be negative")))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Size, E> {
                parse_size(v).map(Size).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// Parse a size string. Decimal units (`kB`, `MB`, `GB`) are powers of 1000, binary ones
/// (`KiB`, `MiB`, `GiB`) powers of 1024; anything else is refused rather than guessed,
/// because `12M` silently meaning 12,000,000 or 12,582,912 would move a budget by 5%.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let bad = || {
        format!(
            "invalid size {s:?}: expected a number and a unit such as \"12MiB\", \"12.5 MB\", \"800KiB\" or \"4096\" (bytes)"
        )
    };
    let t = s.trim();
    let num_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(num_end);
    let unit = unit.trim_start();
    let mult: u64 = match unit {
        "" | "B" => 1,
        "kB" | "KB" => 1000,
        "MB" => 1000 * 1000,
        "GB" => 1000 * 1000 * 1000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => return Err(bad()),
    };
    let (int, frac) = match num.split_once('.') {
        Some((i, f)) => (i, f),
        None => (num, ""),
    };
    if int.is_empty() || frac.contains('.') || (num.contains('.') && frac.is_empty()) {
        return Err(bad());
    }
    let int: u64 = int.parse().map_err(|_| bad())?;
    let mut total = int
        .checked_mul(mult)
        .ok_or_else(|| format!("size {s:?} is too large"))?;
    if !frac.is_empty() {
        if frac.len() > 9 {
            return Err(bad());
        }
        let digits: u64 = frac.parse().map_err(|_| bad())?;
        let scale = 10u64.pow(frac.len() as u32);
        // u64 holds mult (≤ 2^30) × digits (< 10^9) without overflow.
        let part = digits * mult / scale;
        if (unit.is_empty() || unit == "B") && digits != 0 {
            return Err(format!("invalid size {s:?}: a byte count must be whole"));
        }
        total = total
            .checked_add(part)
            .ok_or_else(|| format!("size {s:?} is too large"))?;
    }
    Ok(total)
}

/// A cap on an image's wasted bytes: a size (`"20MiB"`) or a share of its content size
/// (`"5%"`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Wasted {
    /// At most this many bytes.
    Bytes(u64),
    /// At most this percentage of the content size.
    Percent(f64),
}

impl std::fmt::Display for Wasted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Wasted::Bytes(n) => f.write_str(&crate::render::human_bytes(*n)),
            Wasted::Percent(p) => write!(f, "{}%", super::rules::trim_float(*p)),
        }
    }
}

/// Parse `"20MiB"` (a size, as [`parse_size`]) or `"5%"` (a share of the content size).
pub fn parse_wasted(s: &str) -> Result<Wasted, String> {
    match s.trim().strip_suffix('%') {
        Some(p) => parse_percent(p).map(Wasted::Percent).map_err(|_| {
            format!("invalid share {s:?}: expected a percentage from 0 to 100 such as \"5%\"")
        }),
        None => parse_size(s)
            .map(Wasted::Bytes)
            .map_err(|e| format!("{e}, or a share of the content size such as \"5%\"")),
    }
}

/// A percentage from 0 to 100, with or without a trailing `%`.
pub fn parse_percent(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let t = t.strip_suffix('%').unwrap_or(t).trim_end();
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=100.0).contains(&v) && !t.starts_with(['+', '-']) => Ok(v),
        _ => Err(format!(
            "invalid percentage {s:?}: expected a number from 0 to 100 such as 95 or \"99.5%\""
        )),
    }
}

impl<'de> Deserialize<'de> for Wasted {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Wasted;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a size such as \"20MiB\" or a share of the content size such as \"5%\"",
                )
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Wasted, E> {
                Ok(Wasted::Bytes(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Wasted, E> {
                u64::try_from(v)
                    .map(Wasted::Bytes)
                    .map_err(|_| E::custom(format!("invalid size {v}: must not be negative")))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Wasted, E> {
                parse_wasted(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A percentage written as `95`, `99.5` or `"95%"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percent(pub f64);

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Percent;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a percentage from 0 to 100 such as 95 or \"99.5%\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Percent, E> {
                self.visit_f64(v as f64)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Percent, E> {
                self.visit_f64(v as f64)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Percent, E> {
                parse_percent(&v.to_string())
                    .map(Percent)
                    .map_err(E::custom)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Percent, E> {
                parse_percent(v).map(Percent).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    version: Option<Spanned<i64>>,
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    baseline: Option<Spanned<String>>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<Level>>,
    #[serde(default)]
    budget: Vec<RawBudget>,
    hook: Option<RawHook>,
    #[serde(default, rename = "override")]
    overrides: Vec<RawOverride>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHook {
    stale: Option<Spanned<String>>,
    build: Option<Spanned<String>>,
}

/// What the pre-push hook does with an artifact not built from the commit being pushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stale {
    /// Block the push (exit 2): the check would be about some other build.
    #[default]
    Fail,
    /// Report it, let the push go on.
    Warn,
    /// Do not compare.
    Off,
}

/// `[hook]`: how `goaudit check --hook` makes sure it checks what is pushed.
#[derive(Debug, Clone, Default)]
pub struct HookConfig {
    /// Artifacts whose `vcs.revision` is not the pushed commit (or `vcs.modified`).
    pub stale: Stale,
    /// Where `stale` was set.
    pub stale_location: Option<Location>,
    /// A shell command (`sh -c`) the hook runs in the config's root before checking,
    /// e.g. `make dist`.
    pub build: Option<String>,
    /// Where `build` was set.
    pub build_location: Option<Location>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    path: Spanned<String>,
    reason: Option<Spanned<String>>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<Level>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBudget {
    path: Spanned<String>,
    max_size: Option<Spanned<Size>>,
    max_gzip_size: Option<Spanned<Size>>,
    max_zstd_size: Option<Spanned<Size>>,
    max_growth_percent: Option<Spanned<f64>>,
    max_growth_bytes: Option<Spanned<Size>>,
    noise_floor: Option<Spanned<Size>>,
    max_wasted: Option<Spanned<Wasted>>,
    min_efficiency: Option<Spanned<Percent>>,
    #[serde(default)]
    modules: BTreeMap<Spanned<String>, Spanned<Size>>,
}

/// A path glob, relative to the config's root.
#[derive(Debug, Clone)]
pub struct PathPattern {
    /// The glob as written.
    pub glob: String,
    /// Compiled; `*` does not cross `/`, `**` does.
    pub matcher: GlobMatcher,
    /// Where it was written, when it came from a file.
    pub location: Option<Location>,
}

impl PathPattern {
    /// Compile `glob`; `location` is used in the error message.
    pub fn new(glob: &str, location: Option<Location>) -> Result<Self, Error> {
        let g = globset::GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
            .map_err(|e| {
                let at = location
                    .as_ref()
                    .map(|l| format!("{l}: "))
                    .unwrap_or_default();
                Error::Usage(format!("{at}invalid path glob {glob:?}: {}", e.kind()))
            })?;
        Ok(PathPattern {
            glob: glob.to_string(),
            matcher: Glob::compile_matcher(&g),
            location,
        })
    }

    /// The glob has wildcard characters (a literal path names one file).
    pub fn is_glob(&self) -> bool {
        self.glob.contains(['*', '?', '[', '{'])
    }
}

/// A limit with the place it was configured.
#[derive(Debug, Clone)]
pub struct Limit<T> {
    /// The limit.
    pub value: T,
    /// Where it was set (None for command-line flags).
    pub location: Option<Location>,
}

impl<T> Limit<T> {
    /// A limit set on the command line: it has no place in a config file.
    pub fn from_flag(value: T) -> Self {
        Limit {
            value,
            location: None,
        }
    }
}

/// A cap on one module's bytes.
#[derive(Debug, Clone)]
pub struct ModuleCap {
    /// Module path as in buildinfo (`std` for the standard library).
    pub module: String,
    /// The cap.
    pub limit: Limit<u64>,
}

/// One `[[budget]]` entry (or the one implied by `--max-size`).
#[derive(Debug, Clone)]
pub struct Budget {
    /// The artifacts it applies to.
    pub path: PathPattern,
    /// Maximum file size.
    pub max_size: Option<Limit<u64>>,
    /// Maximum size of the file gzip-compressed (level 6).
    pub max_gzip_size: Option<Limit<u64>>,
    /// Maximum size of the file zstd-compressed.
    pub max_zstd_size: Option<Limit<u64>>,
    /// Maximum growth against the baseline, in percent.
    pub max_growth_percent: Option<Limit<f64>>,
    /// Maximum growth against the baseline, in bytes.
    pub max_growth_bytes: Option<Limit<u64>>,
    /// Growth up to this many bytes never fails.
    pub noise_floor: u64,
    /// Per-module caps.
    pub modules: Vec<ModuleCap>,
    /// Images: the most wasted bytes (overwritten or deleted in a later layer) allowed.
    pub max_wasted: Option<Limit<Wasted>>,
    /// Images: the least efficiency (visible / content, in percent) allowed.
    pub min_efficiency: Option<Limit<f64>>,
}

impl Budget {
    /// A budget for `path` with every limit off; set the ones wanted.
    pub fn new(path: PathPattern) -> Self {
        Budget {
            path,
            max_size: None,
            max_gzip_size: None,
            max_zstd_size: None,
            max_growth_percent: None,
            max_growth_bytes: None,
            noise_floor: 0,
            modules: Vec::new(),
            max_wasted: None,
            min_efficiency: None,
        }
    }
}

/// One `[[override]]`: rule levels for the artifacts matching `path`, with the reason
/// the exception is made (required).
#[derive(Debug, Clone)]
pub struct Override {
    /// The artifacts it applies to.
    pub path: PathPattern,
    /// Levels for those artifacts, each with the line that sets it.
    pub rules: Vec<(Code, Level, Location)>,
    /// Why these artifacts are treated differently.
    pub reason: String,
}

/// A validated `goaudit.toml`.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file as found.
    pub file: PathBuf,
    /// The file as shown in messages and reports: relative to `root`.
    pub display: String,
    /// The directory that relative paths in the file are resolved against.
    pub root: PathBuf,
    /// Rule levels set in `[rules]`.
    pub rules: Vec<(Code, Level, Location)>,
    /// `paths = [...]`: artifacts to check besides the budgets' paths.
    pub paths: Vec<PathPattern>,
    /// `baseline = "..."`, resolved against `root`.
    pub baseline: Option<PathBuf>,
    /// `[[budget]]` entries, in file order.
    pub budgets: Vec<Budget>,
    /// `[hook]`.
    pub hook: HookConfig,
    /// `[[override]]` entries, in file order (a later one wins).
    pub overrides: Vec<Override>,
}

/// Find a config by walking up from `start`: the first directory holding one of
/// [`CONFIG_NAMES`] wins.
pub fn discover(start: &Path) -> Option<PathBuf> {
    for dir in start.ancestors() {
        for name in CONFIG_NAMES {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// The directory a config's relative paths refer to: its own directory, or the parent
/// of `.config/`.
pub fn root_of(file: &Path) -> PathBuf {
    let parent = file.parent().unwrap_or(Path::new("."));
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    if parent.file_name().is_some_and(|n| n == ".config") {
        parent.parent().unwrap_or(parent).to_path_buf()
    } else {
        parent.to_path_buf()
    }
}

/// Largest config file read; a budget file is a few hundred bytes.
const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// Read and validate a config file.
pub fn load(file: &Path) -> Result<Config, Error> {
    let io = |source| Error::Io {
        path: file.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(file).map_err(io)?;
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(Error::Usage(format!(
            "{}: config file is larger than {} bytes",
            file.display(),
            MAX_CONFIG_BYTES
        )));
    }
    let bytes = std::fs::read(file).map_err(io)?;
    let source = String::from_utf8(bytes)
        .map_err(|_| Error::Usage(format!("{}: config file is not UTF-8", file.display())))?;
    let root = root_of(file);
    let display = file
        .strip_prefix(&root)
        .unwrap_or(file)
        .to_string_lossy()
        .replace('\\', "/");
    let mut cfg = parse(&source, &display, &root)?;
    cfg.file = file.to_path_buf();
    Ok(cfg)
}

/// The message for a rule id that does not exist, with the nearest real one when the
/// word looks like a typo of it: shared by goaudit.toml and the `--deny`/`--warn`/
/// `--allow` flags.
pub fn unknown_rule(word: &str) -> String {
    let ids: Vec<&str> = Code::ALL.iter().map(|c| c.id()).collect();
    let hint = crate::suggest::nearest(word, ids.iter().copied())
        .map(|n| format!("; did you mean `{n}`?"))
        .unwrap_or_default();
    format!(
        "unknown rule `{word}`{hint} (expected one of {})",
        ids.join(", ")
    )
}

/// Parse config text. `display` names the file in messages; `root` resolves `baseline`.
pub fn parse(source: &str, display: &str, root: &Path) -> Result<Config, Error> {
    let loc = |span: std::ops::Range<usize>| location(source, display, span.start);
    let raw: RawConfig = toml::from_str(source).map_err(|e| {
        let at = match e.span() {
            Some(s) => loc(s).to_string(),
            None => display.to_string(),
        };
        Error::Usage(format!("{at}: {}", e.message().trim_end()))
    })?;

    match &raw.version {
        None => {
            return Err(Error::Usage(format!(
                "{display}:1:1: missing `version = {CONFIG_VERSION}` at the top of the file"
            )));
        }
        Some(v) if *v.get_ref() != CONFIG_VERSION => {
            return Err(Error::Usage(format!(
                "{}: unsupported config version {}; this goaudit reads version {CONFIG_VERSION}",
                loc(v.span()),
                v.get_ref()
            )));
        }
        Some(_) => {}
    }

    let rule_levels = |table: &BTreeMap<Spanned<String>, Spanned<Level>>| {
        let mut rules = Vec::new();
        for (k, v) in table {
            let Some(code) = Code::from_id(k.get_ref()) else {
                return Err(Error::Usage(format!(
                    "{}: {}",
                    loc(k.span()),
                    unknown_rule(k.get_ref())
                )));
            };
            rules.push((code, *v.get_ref(), loc(v.span())));
        }
        Ok(rules)
    };
    let rules = rule_levels(&raw.rules)?;

    let mut overrides = Vec::new();
    for o in &raw.overrides {
        let at = loc(o.path.span());
        let reason = match &o.reason {
            Some(r) if !r.get_ref().trim().is_empty() => r.get_ref().trim().to_string(),
            Some(r) => {
                return Err(Error::Usage(format!(
                    "{}: empty `reason`: say why `{}` is an exception",
                    loc(r.span()),
                    o.path.get_ref()
                )));
            }
            None => {
                return Err(Error::Usage(format!(
                    "{at}: [[override]] for `{}` has no `reason`: an exception needs one (reason = \"...\")",
                    o.path.get_ref()
                )));
            }
        };
        let rules = rule_levels(&o.rules)?;
        if rules.is_empty() {
            return Err(Error::Usage(format!(
                "{at}: [[override]] for `{}` sets no rules; add [override.rules] with rule = \"level\"",
                o.path.get_ref()
            )));
        }
        overrides.push(Override {
            path: PathPattern::new(o.path.get_ref(), Some(at))?,
            rules,
            reason,
        });
    }

    let mut paths = Vec::new();
    for p in &raw.paths {
        paths.push(PathPattern::new(p.get_ref(), Some(loc(p.span())))?);
    }

    let baseline = raw.baseline.as_ref().map(|b| root.join(b.get_ref()));

    let mut budgets = Vec::new();
    for b in raw.budget {
        let limit = |s: &Spanned<Size>| Limit {
            value: s.get_ref().0,
            location: Some(loc(s.span())),
        };
        let max_growth_percent = match &b.max_growth_percent {
            Some(p) => {
                let v = *p.get_ref();
                if !v.is_finite() || v < 0.0 {
                    return Err(Error::Usage(format!(
                        "{}: max_growth_percent must be a non-negative number",
                        loc(p.span())
                    )));
                }
                Some(Limit {
                    value: v,
                    location: Some(loc(p.span())),
                })
            }
            None => None,
        };
        let modules = b
            .modules
            .iter()
            .map(|(name, cap)| ModuleCap {
                module: name.get_ref().clone(),
                limit: limit(cap),
            })
            .collect();
        budgets.push(Budget {
            path: PathPattern::new(b.path.get_ref(), Some(loc(b.path.span())))?,
            max_size: b.max_size.as_ref().map(limit),
            max_gzip_size: b.max_gzip_size.as_ref().map(limit),
            max_zstd_size: b.max_zstd_size.as_ref().map(limit),
            max_growth_percent,
            max_growth_bytes: b.max_growth_bytes.as_ref().map(limit),
            noise_floor: b.noise_floor.map_or(0, |n| n.get_ref().0),
            modules,
            max_wasted: b.max_wasted.as_ref().map(|w| Limit {
                value: *w.get_ref(),
                location: Some(loc(w.span())),
            }),
            min_efficiency: b.min_efficiency.as_ref().map(|p| Limit {
                value: p.get_ref().0,
                location: Some(loc(p.span())),
            }),
        });
    }

    let mut hook = HookConfig::default();
    if let Some(h) = &raw.hook {
        if let Some(s) = &h.stale {
            hook.stale = match s.get_ref().as_str() {
                "fail" => Stale::Fail,
                "warn" => Stale::Warn,
                "off" => Stale::Off,
                other => {
                    return Err(Error::Usage(format!(
                        "{}: invalid stale {other:?}: expected \"fail\", \"warn\" or \"off\"",
                        loc(s.span())
                    )));
                }
            };
            hook.stale_location = Some(loc(s.span()));
        }
        if let Some(b) = &h.build {
            if b.get_ref().trim().is_empty() {
                return Err(Error::Usage(format!(
                    "{}: `build` is empty; name a command such as \"make dist\" or remove the key",
                    loc(b.span())
                )));
            }
            hook.build = Some(b.get_ref().clone());
            hook.build_location = Some(loc(b.span()));
        }
    }

    Ok(Config {
        file: PathBuf::from(display),
        display: display.to_string(),
        root: root.to_path_buf(),
        rules,
        paths,
        baseline,
        budgets,
        hook,
        overrides,
    })
}

/// 1-based line and column (in characters) of byte offset `at` in `source`.
pub fn location(source: &str, file: &str, at: usize) -> Location {
    let at = at.min(source.len());
    // A span never splits a character, but clamp to a boundary anyway.
    let at = (0..=at)
        .rev()
        .find(|&i| source.is_char_boundary(i))
        .unwrap_or(0);
    let before = &source[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = source[line_start..at].chars().count() + 1;
    Location {
        file: file.to_string(),
        line,
        col,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(s: &str) -> Config {
        parse(s, "goaudit.toml", Path::new("/repo")).unwrap()
    }

    fn parse_err(s: &str) -> String {
        parse(s, "goaudit.toml", Path::new("/repo"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn sizes_parse_strictly() {
        assert_eq!(parse_size("12MiB"), Ok(12 * 1024 * 1024));
        assert_eq!(parse_size("12.5 MB"), Ok(12_500_000));
        assert_eq!(parse_size("800KiB"), Ok(800 * 1024));
        assert_eq!(parse_size("1.5 GiB"), Ok(3 << 29));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("10 kB"), Ok(10_000));
        for bad in [
            "", "MiB", "12 mib", "12M", "1.2.3MB", "12.MB", ".5MB", "-1MB", "1.5", "12 MiB/s",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(
            parse_size("99999999999999 GiB")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn full_config_parses_with_locations() {
        let c = parse_ok(
            "version = 1\npaths = [\"bin/*\"]\n\n[rules]\ndynamic-link = \"deny\"\nsymtab-present = \"allow\"\n\n[[budget]]\npath = \"dist/api-*\"\nmax_size = \"12MiB\"\nmax_growth_percent = 5\nmax_growth_bytes = \"256 KiB\"\nnoise_floor = 4096\n[budget.modules]\n\"github.com/x/y\" = \"2MiB\"\n",
        );
        assert_eq!(c.rules.len(), 2);
        let (code, level, loc) = &c.rules[0];
        assert_eq!((*code, *level), (Code::DynamicLink, Level::Deny));
        assert_eq!((loc.line, loc.col), (5, 16));
        assert_eq!(c.paths[0].glob, "bin/*");
        let b = &c.budgets[0];
        assert_eq!(b.max_size.as_ref().unwrap().value, 12 << 20);
        assert_eq!(
            b.max_size.as_ref().unwrap().location.as_ref().unwrap().line,
            10
        );
        assert_eq!(b.max_growth_percent.as_ref().unwrap().value, 5.0);
        assert_eq!(b.max_growth_bytes.as_ref().unwrap().value, 256 << 10);
        assert_eq!(b.noise_floor, 4096);
        assert_eq!(b.modules[0].module, "github.com/x/y");
        assert_eq!(b.modules[0].limit.location.as_ref().unwrap().line, 15);
        assert!(b.path.matcher.is_match("dist/api-linux"));
        assert!(!b.path.matcher.is_match("dist/sub/api-linux"));
    }

    #[test]
    fn errors_carry_file_line_col() {
        let e = parse_err("version = 1\n[rules]\ndynamic-link = \"deny\"\nbogus = \"deny\"\n");
        assert!(
            e.starts_with("goaudit.toml:4:1: unknown rule `bogus`"),
            "{e}"
        );
        let e = parse_err("version = 1\nunknown_key = true\n");
        assert!(
            e.starts_with("goaudit.toml:2:1: unknown field `unknown_key`"),
            "{e}"
        );
        let e = parse_err("version = 1\n[[budget]]\npath = \"a\"\nmax_size = \"12 mb\"\n");
        assert!(
            e.starts_with("goaudit.toml:4:12: invalid size \"12 mb\""),
            "{e}"
        );
        let e = parse_err("version = 1\n[[budget]]\npath = 7\n");
        assert!(e.starts_with("goaudit.toml:3:8:"), "{e}");
        let e = parse_err("version = 1\n[rules]\ncgo-linked = \"never\"\n");
        assert!(
            e.starts_with("goaudit.toml:3:14: invalid level \"never\""),
            "{e}"
        );
        let e = parse_err("version = 1\n[rules]\ncgo-linked = 3\n");
        assert!(e.starts_with("goaudit.toml:3:14:"), "{e}");
        assert!(e.contains("\"deny\", \"warn\" or \"allow\""), "{e}");
        let e = parse_err("[rules]\n");
        assert!(
            e.starts_with("goaudit.toml:1:1: missing `version = 1`"),
            "{e}"
        );
        let e = parse_err("version = 2\n");
        assert!(
            e.starts_with("goaudit.toml:1:11: unsupported config version 2"),
            "{e}"
        );
        let e = parse_err("version = 1\n[[budget]]\npath = \"a\"\nmax_growth_percent = -3\n");
        assert!(e.starts_with("goaudit.toml:4:22:"), "{e}");
        let e = parse_err("version = 1\n[[budget]]\npath = \"a[\"\n");
        assert!(e.starts_with("goaudit.toml:3:8: invalid path glob"), "{e}");
        let e = parse_err("version = 1\nx = \n");
        assert!(e.starts_with("goaudit.toml:2:"), "{e}");
    }

    #[test]
    fn overrides_need_a_reason_and_rules() {
        let c = parse_ok(
            "version = 1\n[[override]]\npath = \"dist/pcap-*\"\nreason = \"needs libpcap\"\n[override.rules]\ndynamic-link = \"allow\"\ncgo-linked = \"warn\"\n\n[[budget]]\npath = \"a\"\nmax_gzip_size = \"3MiB\"\nmax_zstd_size = 1000\n",
        );
        let o = &c.overrides[0];
        assert_eq!(o.reason, "needs libpcap");
        assert!(o.path.matcher.is_match("dist/pcap-agent"));
        let dl = o.rules.iter().find(|r| r.0 == Code::DynamicLink).unwrap();
        assert_eq!((dl.1, dl.2.line, dl.2.col), (Level::Allow, 6, 16));
        assert_eq!(c.budgets[0].max_gzip_size.as_ref().unwrap().value, 3 << 20);
        assert_eq!(c.budgets[0].max_zstd_size.as_ref().unwrap().value, 1000);

        let e = parse_err(
            "version = 1\n\n[[override]]\npath = \"dist/x\"\n[override.rules]\ncgo-linked = \"allow\"\n",
        );
        assert!(
            e.starts_with("goaudit.toml:4:8: [[override]] for `dist/x` has no `reason`"),
            "{e}"
        );
        let e = parse_err(
            "version = 1\n[[override]]\npath = \"x\"\nreason = \" \"\n[override.rules]\ncgo-linked = \"allow\"\n",
        );
        assert!(e.starts_with("goaudit.toml:4:10: empty `reason`"), "{e}");
        let e = parse_err("version = 1\n[[override]]\npath = \"x\"\nreason = \"r\"\n");
        assert!(
            e.starts_with("goaudit.toml:3:8:") && e.contains("sets no rules"),
            "{e}"
        );
        let e = parse_err(
            "version = 1\n[[override]]\npath = \"x\"\nreason = \"r\"\n[override.rules]\ncgo-linkd = \"allow\"\n",
        );
        assert!(
            e.starts_with("goaudit.toml:6:1: unknown rule `cgo-linkd`"),
            "{e}"
        );
        let e = parse_err("version = 1\n[[override]]\npath = \"x\"\nreasn = \"r\"\n");
        assert!(
            e.starts_with("goaudit.toml:4:1: unknown field `reasn`"),
            "{e}"
        );
    }

    #[test]
    fn image_budgets_parse() {
        let c = parse_ok(
            "version = 1\n[[budget]]\npath = \"a.tar\"\nmax_wasted = \"20MiB\"\nmin_efficiency = 95\n[[budget]]\npath = \"b.tar\"\nmax_wasted = \"5%\"\nmin_efficiency = \"99.5%\"\n[[budget]]\npath = \"c.tar\"\nmax_wasted = 4096\n",
        );
        let w = c.budgets[0].max_wasted.as_ref().unwrap();
        assert_eq!(w.value, Wasted::Bytes(20 << 20));
        assert_eq!(w.location.as_ref().map(|l| (l.line, l.col)), Some((4, 14)));
        assert_eq!(c.budgets[0].min_efficiency.as_ref().unwrap().value, 95.0);
        assert_eq!(
            c.budgets[1].max_wasted.as_ref().unwrap().value,
            Wasted::Percent(5.0)
        );
        assert_eq!(c.budgets[1].min_efficiency.as_ref().unwrap().value, 99.5);
        assert_eq!(
            c.budgets[2].max_wasted.as_ref().unwrap().value,
            Wasted::Bytes(4096)
        );
        for (bad, at) in [
            ("max_wasted = \"5 percent\"", "4:14"),
            ("max_wasted = \"120%\"", "4:14"),
            ("max_wasted = -1", "4:14"),
            ("min_efficiency = 101", "4:18"),
            ("min_efficiency = \"-5%\"", "4:18"),
        ] {
            let e = parse_err(&format!("version = 1\n[[budget]]\npath = \"a\"\n{bad}\n"));
            assert!(e.starts_with(&format!("goaudit.toml:{at}:")), "{bad}: {e}");
        }
        assert_eq!(parse_wasted("5%"), Ok(Wasted::Percent(5.0)));
        assert_eq!(parse_wasted("1 MB"), Ok(Wasted::Bytes(1_000_000)));
        assert!(parse_wasted("5").is_ok());
        assert!(parse_wasted("5x").is_err());
        assert_eq!(Wasted::Percent(2.5).to_string(), "2.5%");
    }

    #[test]
    fn location_counts_characters() {
        let s = "é = 1\nab";
        assert_eq!(location(s, "f", s.len()).col, 3);
        assert_eq!(location(s, "f", 2).line, 1);
        assert_eq!(location(s, "f", 99).line, 2);
    }

    #[test]
    fn dot_config_root_is_the_parent() {
        assert_eq!(
            root_of(Path::new("/r/.config/goaudit.toml")),
            PathBuf::from("/r")
        );
        assert_eq!(root_of(Path::new("/r/goaudit.toml")), PathBuf::from("/r"));
        assert_eq!(root_of(Path::new("goaudit.toml")), PathBuf::from("."));
    }
}
