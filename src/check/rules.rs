//! Rule levels and their evaluation over one artifact.
//!
//! The audit already states the facts as findings with stable ids; this module only
//! decides, per rule, whether those findings (and the size rules computed here) fail,
//! warn, pass or are skipped.

use std::collections::BTreeMap;

use super::baseline::{Baseline, BaselineEntry};
use super::config::{Budget, Config, Level, Location, Override};
use super::{ArtifactCheck, Growth, ModuleDelta, RuleResult, Status, Violation};
use crate::audit::Artifact;
use crate::finding::{Code, Finding};
use crate::render::human_bytes;
use crate::size::Named;

/// The level a rule has when neither the config nor a flag sets one.
///
/// Linking and cgo facts warn by default: a default `go build` on Linux is dynamic, and
/// failing every such build out of the box would teach users to ignore the tool. Size
/// rules deny because they only fire once the user has written a budget.
pub fn default_level(code: Code) -> Level {
    match code {
        Code::SymtabPresent | Code::DwarfPresent | Code::NoTrimpath | Code::SymbolsNotStripped => {
            Level::Allow
        }
        Code::SizeBudget
        | Code::SizeGrowth
        | Code::ModuleBudget
        | Code::WastedBudget
        | Code::EfficiencyBudget => Level::Deny,
        // A container that cannot start is never a matter of taste.
        Code::ImageCannotStart => Level::Deny,
        _ => Level::Warn,
    }
}

/// One rule's level and where it was set.
#[derive(Debug, Clone)]
pub struct Setting {
    /// The level.
    pub level: Level,
    /// The `[rules]` line that set it; None for defaults and flags.
    pub location: Option<Location>,
    /// Set for this artifact by an `[[override]]`: its reason.
    pub reason: Option<String>,
}

/// Rule levels plus budgets: everything `check` enforces.
#[derive(Debug, Clone)]
pub struct Policy {
    levels: BTreeMap<Code, Setting>,
    /// Budgets, config first, then the one implied by flags.
    pub budgets: Vec<Budget>,
    /// Per-artifact levels from `[[override]]`, applied over everything else.
    pub overrides: Vec<Override>,
}

impl Policy {
    /// Defaults, overridden by the config's `[rules]` and `[[budget]]`s.
    pub fn new(cfg: Option<&Config>) -> Self {
        let mut levels: BTreeMap<Code, Setting> = Code::ALL
            .iter()
            .map(|&c| {
                (
                    c,
                    Setting {
                        level: default_level(c),
                        location: None,
                        reason: None,
                    },
                )
            })
            .collect();
        let mut budgets = Vec::new();
        let mut overrides = Vec::new();
        if let Some(cfg) = cfg {
            overrides = cfg.overrides.clone();
            for (code, level, loc) in &cfg.rules {
                levels.insert(
                    *code,
                    Setting {
                        level: *level,
                        location: Some(loc.clone()),
                        reason: None,
                    },
                );
            }
            budgets = cfg.budgets.clone();
        }
        Policy {
            levels,
            budgets,
            overrides,
        }
    }

    /// Override a rule from the command line. The config line no longer explains the
    /// level, so it is dropped.
    pub fn set(&mut self, code: Code, level: Level) {
        self.levels.insert(
            code,
            Setting {
                level,
                location: None,
                reason: None,
            },
        );
    }

    /// The rule's effective setting.
    pub fn setting(&self, code: Code) -> Setting {
        self.levels.get(&code).cloned().unwrap_or(Setting {
            level: default_level(code),
            location: None,
            reason: None,
        })
    }

    /// The rule's setting for one artifact: the last `[[override]]` whose path matches
    /// `key` and names the rule wins over `[rules]` and the command-line flags.
    pub fn setting_for(&self, code: Code, key: &str) -> Setting {
        let mut s = self.setting(code);
        for o in self
            .overrides
            .iter()
            .filter(|o| o.path.matcher.is_match(key))
        {
            if let Some((_, level, loc)) = o.rules.iter().find(|r| r.0 == code) {
                s = Setting {
                    level: *level,
                    location: Some(loc.clone()),
                    reason: Some(o.reason.clone()),
                };
            }
        }
        s
    }

    /// Whether the budgets for `key` need its gzip and its zstd size.
    pub fn compressed_needed(&self, key: &str) -> (bool, bool) {
        if self.setting_for(Code::SizeBudget, key).level == Level::Allow {
            return (false, false);
        }
        let mut need = (false, false);
        for b in self.budgets.iter().filter(|b| b.path.matcher.is_match(key)) {
            need.0 |= b.max_gzip_size.is_some();
            need.1 |= b.max_zstd_size.is_some();
        }
        need
    }
}

/// What the rules read about one artifact; split from [`Artifact`] so that the size
/// logic can be tested on hand-made numbers.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// Report key: the path relative to the config root.
    pub key: &'a str,
    /// File size.
    pub size: u64,
    /// The audit's findings.
    pub findings: &'a [Finding],
    /// Per-module sizes, when attribution ran.
    pub by_module: Option<&'a [Named]>,
    /// Per-kind sizes (code, data, DWARF, ...), when attribution ran.
    pub by_kind: Option<&'a [Named]>,
    /// Build settings from buildinfo, when it was read.
    pub settings: Option<&'a [(String, String)]>,
    /// A container image (size is its content size; the binary rules are checked on
    /// each of its Go binaries instead).
    pub image: bool,
    /// Why the program's own facts are unknown (a packed binary not unpacked): the rules
    /// reading them cannot be evaluated.
    pub unknown: Option<&'a crate::audit::Unknown>,
}

impl<'a> Facts<'a> {
    /// The facts of an audited artifact.
    pub fn of(key: &'a str, a: &'a Artifact) -> Self {
        Facts {
            key,
            size: a.size,
            findings: &a.findings,
            by_module: a.size_attribution.as_ref().map(|r| r.by_module.as_slice()),
            by_kind: a.size_attribution.as_ref().map(|r| r.by_kind.as_slice()),
            settings: a.buildinfo.as_ref().map(|b| b.settings.as_slice()),
            image: false,
            unknown: a.unknown.as_ref(),
        }
    }

    /// The facts of a container image: its content size (what `docker image ls` shows)
    /// and its image-level findings.
    pub fn of_image(key: &'a str, r: &'a crate::image::ImageReport) -> Self {
        Facts {
            key,
            size: r.content_size,
            findings: &r.findings,
            by_module: None,
            by_kind: None,
            settings: None,
            image: true,
            unknown: None,
        }
    }
}

/// Evaluate every rule over one artifact. `baseline` is the whole baseline file, None
/// when there is none. An error means a configured rule could not be evaluated (a module
/// budget on a binary without size attribution): a tool error, never a pass.
pub fn evaluate(
    f: Facts<'_>,
    policy: &Policy,
    baseline: Option<&Baseline>,
) -> Result<ArtifactCheck, String> {
    let budgets: Vec<&Budget> = policy
        .budgets
        .iter()
        .filter(|b| b.path.matcher.is_match(f.key))
        .collect();
    let base = baseline.and_then(|b| b.get(f.key));
    let growth = base.map(|b| growth(f, b));

    let mut results = Vec::new();
    for &code in Code::ALL {
        let setting = policy.setting_for(code, f.key);
        let mut r = RuleResult {
            rule: code,
            level: setting.level,
            status: Status::Pass,
            violations: Vec::new(),
            note: None,
        };
        if setting.level == Level::Allow {
            r.status = Status::Skip;
            r.note = Some(match (&setting.reason, &setting.location) {
                (Some(why), Some(at)) => format!("allowed for this artifact ({at}): {why}"),
                _ => "allowed by policy".into(),
            });
            results.push(r);
            continue;
        }
        if let (Some(why), Some(at)) = (&setting.reason, &setting.location) {
            r.note = Some(format!(
                "{} for this artifact ({at}): {why}",
                setting.level.name()
            ));
        }
        match code {
            Code::SizeBudget => size_budget(f, &budgets, &mut r),
            Code::SizeGrowth => size_growth(f, &budgets, baseline, growth.as_ref(), &mut r),
            Code::ModuleBudget | Code::ModuleBudgetUnmatched if f.image => {
                r.status = Status::Skip;
                r.note = Some("module budgets apply to the image's Go binaries".into());
            }
            Code::ModuleBudget => module_budget(f, &budgets, &mut r)?,
            Code::ModuleBudgetUnmatched => unmatched_module_caps(f, &budgets, &mut r),
            // Evaluated on the image report by `check::image::budgets`.
            Code::WastedBudget | Code::EfficiencyBudget if f.image => {
                r.status = Status::Skip;
                r.note = Some(super::image::NO_BUDGET.into());
            }
            _ if f.image && !code.is_image_only() => {
                r.status = Status::Skip;
                r.note = Some("checked on each Go binary in the image".into());
            }
            _ if code.reads_program() && f.unknown.is_some() => {
                r.status = Status::Unknown;
                r.note = f.unknown.map(|u| u.evidence());
            }
            _ => {
                for finding in f.findings.iter().filter(|x| x.id == code) {
                    r.violations.push(Violation {
                        message: finding.message.clone(),
                        location: setting.location.clone(),
                        saving: finding.saving,
                    });
                }
            }
        }
        if r.violations.is_empty() && code.is_image_only() && !f.image {
            r.status = Status::Skip;
            r.note = Some("applies to container images, not to a single binary".into());
        }
        if !r.violations.is_empty() {
            r.status = match setting.level {
                Level::Deny => Status::Fail,
                _ => Status::Warn,
            };
        }
        results.push(r);
    }
    let max_size = budgets
        .iter()
        .filter_map(|b| b.max_size.as_ref().map(|l| l.value))
        .min();
    Ok(ArtifactCheck {
        path: f.key.to_string(),
        file: f.key.to_string(),
        kind: if f.image { "image" } else { "binary" },
        size: f.size,
        max_size,
        growth,
        results,
    })
}

fn size_budget(f: Facts<'_>, budgets: &[&Budget], r: &mut RuleResult) {
    let mut applies = false;
    for b in budgets {
        let Some(max) = &b.max_size else { continue };
        applies = true;
        if f.size > max.value {
            r.violations.push(Violation {
                message: format!(
                    "size {} is over its budget of {} by {} (budget `{}`)",
                    human_bytes(f.size),
                    human_bytes(max.value),
                    human_bytes(f.size - max.value),
                    b.path.glob
                ),
                location: max.location.clone(),
                saving: Some(f.size - max.value),
            });
        }
    }
    if !applies {
        r.status = Status::Skip;
        r.note = Some("no size budget applies".into());
    }
}

/// The note of a growth limit with no baseline file.
pub const NO_BASELINE: &str = "skipped: no baseline; record one with `goaudit baseline write`";
/// The note of a growth limit on an artifact the baseline does not list.
pub const NOT_IN_BASELINE: &str =
    "skipped: not in the baseline; record it with `goaudit baseline write`";

/// Compressed sizes of one artifact, measured when its budgets ask for them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Compressed {
    /// gzip level 6.
    pub gzip: Option<u64>,
    /// zstd (fast level).
    pub zstd: Option<u64>,
}

/// Add the compressed-size budgets (`max_gzip_size`, `max_zstd_size`) to an evaluated
/// artifact's size-budget result. A budget whose size was not measured is an error:
/// never a pass.
pub fn compressed_budgets(
    check: &mut ArtifactCheck,
    policy: &Policy,
    sizes: Compressed,
) -> Result<(), String> {
    let Some(r) = check
        .results
        .iter_mut()
        .find(|r| r.rule == Code::SizeBudget)
    else {
        return Ok(());
    };
    if r.level == Level::Allow {
        return Ok(());
    }
    let key = check.path.as_str();
    let mut any = false;
    for b in policy
        .budgets
        .iter()
        .filter(|b| b.path.matcher.is_match(key))
    {
        for (what, limit, size) in [
            ("gzip", &b.max_gzip_size, sizes.gzip),
            ("zstd", &b.max_zstd_size, sizes.zstd),
        ] {
            let Some(limit) = limit else { continue };
            any = true;
            let Some(size) = size else {
                let at = limit
                    .location
                    .as_ref()
                    .map(|l| format!(" ({l})"))
                    .unwrap_or_default();
                return Err(format!(
                    "{key}: a {what} size budget{at} applies, but {what} sizes are measured only on a binary that is a file of its own (not an image, a binary inside one or a universal slice)"
                ));
            };
            if size > limit.value {
                r.violations.push(Violation {
                    message: format!(
                        "{what} size {} is over its budget of {} by {} (budget `{}`)",
                        human_bytes(size),
                        human_bytes(limit.value),
                        human_bytes(size - limit.value),
                        b.path.glob
                    ),
                    location: limit.location.clone(),
                    saving: Some(size - limit.value),
                });
            }
        }
    }
    if any && r.status == Status::Skip && r.violations.is_empty() {
        r.status = Status::Pass;
        r.note = None;
    }
    if !r.violations.is_empty() {
        r.status = match r.level {
            Level::Deny => Status::Fail,
            _ => Status::Warn,
        };
    }
    Ok(())
}

fn size_growth(
    f: Facts<'_>,
    budgets: &[&Budget],
    baseline: Option<&Baseline>,
    growth: Option<&Growth>,
    r: &mut RuleResult,
) {
    let limited: Vec<&&Budget> = budgets
        .iter()
        .filter(|b| b.max_growth_percent.is_some() || b.max_growth_bytes.is_some())
        .collect();
    if limited.is_empty() {
        r.status = Status::Skip;
        r.note = Some("no growth limit applies".into());
        return;
    }
    let Some(g) = growth else {
        // A growth limit that cannot fire must say so: never a silent pass.
        r.status = Status::Unknown;
        r.note = Some(if baseline.is_none() {
            NO_BASELINE.into()
        } else {
            NOT_IN_BASELINE.into()
        });
        return;
    };
    for b in limited {
        if g.delta <= 0 || g.delta.unsigned_abs() <= b.noise_floor {
            continue;
        }
        let grew = g.delta.unsigned_abs();
        let mut over = Vec::new();
        let mut location = None;
        // Growth from an empty baseline (no percentage) is over any percentage.
        if let Some(limit) = &b.max_growth_percent
            && g.percent.is_none_or(|p| p > limit.value)
        {
            over.push(format!("{}%", trim_float(limit.value)));
            location = limit.location.clone();
        }
        if let Some(limit) = &b.max_growth_bytes
            && grew > limit.value
        {
            over.push(human_bytes(limit.value));
            location = location.or_else(|| limit.location.clone());
        }
        if over.is_empty() {
            continue;
        }
        let mut message = format!(
            "grew by {} ({}, {} → {}) against the baseline, over the allowed {} (budget `{}`)",
            human_bytes(grew),
            g.percent.map_or("new".to_string(), |p| format!(
                "+{}%",
                trim_float(round1(p))
            )),
            human_bytes(g.baseline_size),
            human_bytes(g.baseline_size.saturating_add(grew)),
            over.join(" and "),
            b.path.glob
        );
        let grown: Vec<String> = g
            .modules
            .iter()
            .filter(|m| m.delta > 0)
            .take(5)
            .map(|m| {
                let new = if m.before == 0 { " (new)" } else { "" };
                format!("{} +{}{new}", m.name, human_bytes(m.delta.unsigned_abs()))
            })
            .collect();
        if !g.kinds.is_empty() {
            let kinds: Vec<String> = g
                .kinds
                .iter()
                .take(4)
                .map(|k| {
                    format!(
                        "{} {}",
                        crate::size::kind_label(&k.name),
                        crate::check::human::signed_bytes(k.delta)
                    )
                })
                .collect();
            message.push_str(&format!("; by kind: {}", kinds.join(", ")));
        }
        if !g.settings.is_empty() {
            let s: Vec<&str> = g.settings.iter().map(|s| s.summary.as_str()).collect();
            message.push_str(&format!("; build settings changed: {}", s.join(", ")));
        }
        if !grown.is_empty() {
            message.push_str(&format!("; modules that grew: {}", grown.join(", ")));
        } else if g.modules.is_empty() && !f.image {
            message.push_str("; per-module sizes unavailable (no size attribution)");
        }
        r.violations.push(Violation {
            message,
            location,
            saving: Some(grew),
        });
    }
}

fn module_budget(f: Facts<'_>, budgets: &[&Budget], r: &mut RuleResult) -> Result<(), String> {
    let caps: Vec<_> = budgets.iter().flat_map(|b| b.modules.iter()).collect();
    if caps.is_empty() {
        r.status = Status::Skip;
        r.note = Some("no module budget applies".into());
        return Ok(());
    }
    let Some(mods) = f.by_module else {
        let at = caps[0]
            .limit
            .location
            .as_ref()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        return Err(format!(
            "{}: module budgets{at} need per-module sizes, but size attribution is unavailable for this binary",
            f.key
        ));
    };
    for cap in caps {
        // `std` counts the runtime's row too.
        let bytes = mods
            .iter()
            .filter(|m| crate::size::module_counts_toward(&m.name, &cap.module))
            .map(|m| m.bytes)
            .sum::<u64>();
        if bytes > cap.limit.value {
            r.violations.push(Violation {
                message: format!(
                    "module {} is {}, over its budget of {} by {}",
                    cap.module,
                    human_bytes(bytes),
                    human_bytes(cap.limit.value),
                    human_bytes(bytes - cap.limit.value)
                ),
                location: cap.limit.location.clone(),
                saving: Some(bytes - cap.limit.value),
            });
        }
    }
    Ok(())
}

/// A module cap that counts no bytes names a module the binary does not have: most
/// likely a typo, or a dependency since dropped, and either way a budget that can never
/// fire. Each is named with the nearest module the binary does contain.
fn unmatched_module_caps(f: Facts<'_>, budgets: &[&Budget], r: &mut RuleResult) {
    let caps: Vec<_> = budgets.iter().flat_map(|b| b.modules.iter()).collect();
    if caps.is_empty() {
        r.status = Status::Skip;
        r.note = Some("no module budget applies".into());
        return;
    }
    let Some(mods) = f.by_module else {
        r.status = Status::Unknown;
        r.note = Some("per-module sizes are unavailable for this binary".into());
        return;
    };
    // Pseudo-modules (`[dwarf]`, `[padding]`, generic shapes, C without a module) are
    // no module a budget can mean.
    let present: Vec<&str> = mods
        .iter()
        .map(|m| m.name.as_str())
        .filter(|n| !n.starts_with('[') && !matches!(*n, "go.shape" | "C (cgo)"))
        .collect();
    for cap in caps {
        if mods
            .iter()
            .any(|m| crate::size::module_counts_toward(&m.name, &cap.module))
        {
            continue;
        }
        let nearest = crate::suggest::nearest(&cap.module, present.iter().copied()).or_else(|| {
            present
                .iter()
                .copied()
                .min_by_key(|n| (crate::suggest::distance(&cap.module, n), *n))
        });
        let tail = match nearest {
            Some(n) => format!("; the nearest module it has is `{n}`"),
            None => String::new(),
        };
        r.violations.push(Violation {
            message: format!(
                "module budget `{}` ({}) matches no module in this binary, so it never applies{tail}",
                cap.module,
                human_bytes(cap.limit.value)
            ),
            location: cap.limit.location.clone(),
            saving: None,
        });
    }
}

/// The entries whose size changed between the baseline and now.
fn deltas(base: &[super::baseline::ModuleSize], now: &[Named]) -> Vec<ModuleDelta> {
    let mut all: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for m in base {
        let e = all.entry(m.name.as_str()).or_default();
        e.0 = e.0.saturating_add(m.bytes);
    }
    for m in now {
        let e = all.entry(m.name.as_str()).or_default();
        e.1 = e.1.saturating_add(m.bytes);
    }
    all.into_iter()
        .filter(|(_, (b, a))| b != a)
        .map(|(name, (before, after))| ModuleDelta {
            name: name.to_string(),
            before,
            after,
            delta: crate::diff::delta(before, after),
        })
        .collect()
}

/// Growth against the baseline, with per-module and per-kind deltas when both sides
/// have them.
pub fn growth(f: Facts<'_>, base: &BaselineEntry) -> Growth {
    let delta = i128::from(f.size) - i128::from(base.size);
    let delta = i64::try_from(delta).unwrap_or(if delta > 0 { i64::MAX } else { i64::MIN });
    let percent = (base.size > 0).then(|| delta as f64 * 100.0 / base.size as f64);
    let mut modules = Vec::new();
    if let Some(now) = f.by_module.filter(|_| !base.by_module.is_empty()) {
        let mut all: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        for m in &base.by_module {
            let e = all.entry(m.name.as_str()).or_default();
            e.0 = e.0.saturating_add(m.bytes);
        }
        for m in now {
            let e = all.entry(m.name.as_str()).or_default();
            e.1 = e.1.saturating_add(m.bytes);
        }
        for (name, (before, after)) in all {
            if before != after {
                let d = i128::from(after) - i128::from(before);
                modules.push(ModuleDelta {
                    name: name.to_string(),
                    before,
                    after,
                    delta: i64::try_from(d).unwrap_or(if d > 0 { i64::MAX } else { i64::MIN }),
                });
            }
        }
        modules.sort_by(|a, b| b.delta.cmp(&a.delta).then_with(|| a.name.cmp(&b.name)));
    }
    let mut kinds = Vec::new();
    if let Some(now) = f.by_kind.filter(|_| !base.by_kind.is_empty()) {
        kinds = deltas(&base.by_kind, now);
        // Largest absolute change first: a shrinking kind explains growth too.
        kinds.sort_by(|a, b| {
            b.delta
                .unsigned_abs()
                .cmp(&a.delta.unsigned_abs())
                .then_with(|| a.name.cmp(&b.name))
        });
    }
    let settings = match f.settings {
        Some(now) if !base.settings.is_empty() => crate::diff::setting_changes(&base.settings, now),
        _ => Vec::new(),
    };
    Growth {
        baseline_size: base.size,
        delta,
        percent,
        modules,
        kinds,
        settings,
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// `5` rather than `5.0`, `2.5` as is.
pub fn trim_float(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::baseline::ModuleSize;
    use crate::check::config::{Limit, ModuleCap, PathPattern};

    fn budget(glob: &str) -> Budget {
        Budget::new(PathPattern::new(glob, None).unwrap())
    }

    fn named(v: &[(&str, u64)]) -> Vec<Named> {
        v.iter()
            .map(|(n, b)| Named {
                name: n.to_string(),
                bytes: *b,
            })
            .collect()
    }

    fn result(c: &ArtifactCheck, code: Code) -> &RuleResult {
        c.results.iter().find(|r| r.rule == code).unwrap()
    }

    fn baseline(size: u64, mods: &[(&str, u64)]) -> Baseline {
        Baseline::new(vec![BaselineEntry {
            path: "dist/app".into(),
            size,
            by_module: mods
                .iter()
                .map(|(n, b)| ModuleSize {
                    name: n.to_string(),
                    bytes: *b,
                })
                .collect(),
            by_kind: vec![],
            settings: vec![],
        }])
    }

    #[test]
    fn growth_split_by_kind() {
        let mut b = budget("**");
        b.max_growth_bytes = Some(Limit {
            value: 100,
            location: None,
        });
        let mut p = Policy::new(None);
        p.budgets.push(b);
        let mut base = baseline(10_000, &[("std", 10_000)]);
        base.artifacts[0].by_kind = vec![
            ModuleSize {
                name: "code".into(),
                bytes: 6_000,
            },
            ModuleSize {
                name: "other".into(),
                bytes: 4_000,
            },
        ];
        let mods = named(&[("std", 12_500)]);
        let kinds = named(&[("code", 6_000), ("dwarf", 3_000), ("other", 3_500)]);
        base.artifacts[0].settings = vec![
            ("-ldflags".into(), "-s -w".into()),
            ("CGO_ENABLED".into(), "0".into()),
        ];
        let now_settings = vec![("CGO_ENABLED".to_string(), "1".to_string())];
        let f = Facts {
            key: "dist/app",
            size: 12_500,
            findings: &[],
            by_module: Some(&mods),
            by_kind: Some(&kinds),
            settings: Some(&now_settings),
            image: false,
            unknown: None,
        };
        let c = evaluate(f, &p, Some(&base)).unwrap();
        let g = c.growth.as_ref().unwrap();
        let k: Vec<(&str, i64)> = g.kinds.iter().map(|k| (k.name.as_str(), k.delta)).collect();
        assert_eq!(k, [("dwarf", 3_000), ("other", -500)]);
        assert_eq!(k.iter().map(|x| x.1).sum::<i64>(), g.delta);
        let m = &result(&c, Code::SizeGrowth).violations[0].message;
        assert!(
            m.contains("by kind: debug info (DWARF) +2.9 KiB, padding and unattributed -500 B"),
            "{m}"
        );
        assert!(
            m.contains("build settings changed: -ldflags=-s -w dropped, CGO_ENABLED 0→1"),
            "{m}"
        );
    }

    #[test]
    fn audit_findings_follow_levels() {
        let findings = vec![
            Finding::new(Code::DynamicLink, "dynamically linked: PT_INTERP x"),
            Finding::new(Code::CgoLinked, "crosscall2"),
            Finding::new(Code::SymtabPresent, "symtab"),
        ];
        let f = Facts {
            key: "dist/app",
            size: 10,
            findings: &findings,
            by_module: None,
            by_kind: None,
            settings: None,
            image: false,
            unknown: None,
        };
        let mut p = Policy::new(None);
        let c = evaluate(f, &p, None).unwrap();
        assert_eq!(result(&c, Code::DynamicLink).status, Status::Warn);
        assert_eq!(result(&c, Code::SymtabPresent).status, Status::Skip);
        assert_eq!(result(&c, Code::VcsDirty).status, Status::Pass);
        assert_eq!(result(&c, Code::SizeBudget).status, Status::Skip);
        p.set(Code::DynamicLink, Level::Deny);
        p.set(Code::CgoLinked, Level::Allow);
        let c = evaluate(f, &p, None).unwrap();
        let r = result(&c, Code::DynamicLink);
        assert_eq!(r.status, Status::Fail);
        assert!(r.violations[0].message.contains("PT_INTERP"));
        assert_eq!(result(&c, Code::CgoLinked).status, Status::Skip);
    }

    #[test]
    fn size_budget_fails_over_and_passes_at_limit() {
        let mut b = budget("dist/*");
        b.max_size = Some(Limit {
            value: 1000,
            location: None,
        });
        let mut p = Policy::new(None);
        p.budgets.push(b);
        let f = |size| Facts {
            key: "dist/app",
            size,
            findings: &[],
            by_module: None,
            by_kind: None,
            settings: None,
            image: false,
            unknown: None,
        };
        let c = evaluate(f(1000), &p, None).unwrap();
        assert_eq!(result(&c, Code::SizeBudget).status, Status::Pass);
        assert_eq!(c.max_size, Some(1000));
        let c = evaluate(f(1001), &p, None).unwrap();
        let r = result(&c, Code::SizeBudget);
        assert_eq!(r.status, Status::Fail);
        assert!(r.violations[0].message.contains("over its budget"));
        // Outside the glob the budget does not apply.
        let other = Facts {
            key: "dist/sub/app",
            ..f(5000)
        };
        let c = evaluate(other, &p, None).unwrap();
        assert_eq!(result(&c, Code::SizeBudget).status, Status::Skip);
    }

    #[test]
    fn growth_names_the_modules_that_grew() {
        let mut b = budget("**");
        b.max_growth_percent = Some(Limit {
            value: 5.0,
            location: None,
        });
        b.noise_floor = 100;
        let mut p = Policy::new(None);
        p.budgets.push(b);
        let base = baseline(10_000, &[("std", 8_000), ("example.com/app", 2_000)]);
        let now = named(&[
            ("std", 8_300),
            ("example.com/app", 1_900),
            ("github.com/dep/big", 2_000),
        ]);
        let f = Facts {
            key: "dist/app",
            size: 12_200,
            findings: &[],
            by_module: Some(&now),
            by_kind: None,
            settings: None,
            image: false,
            unknown: None,
        };
        let c = evaluate(f, &p, Some(&base)).unwrap();
        let g = c.growth.as_ref().unwrap();
        assert_eq!(g.delta, 2_200);
        assert_eq!(g.modules[0].name, "github.com/dep/big");
        assert_eq!(g.modules[0].delta, 2_000);
        assert_eq!(g.modules.last().unwrap().delta, -100);
        let r = result(&c, Code::SizeGrowth);
        assert_eq!(r.status, Status::Fail);
        let m = &r.violations[0].message;
        assert!(m.contains("+22%"), "{m}");
        assert!(m.contains("github.com/dep/big +2.0 KiB (new)"), "{m}");
        assert!(m.contains("std +300 B"), "{m}");
        assert!(!m.contains("example.com/app"), "{m}");

        // Below the noise floor nothing fails, whatever the percentage.
        let small = Facts { size: 10_090, ..f };
        let c = evaluate(small, &p, Some(&base)).unwrap();
        assert_eq!(result(&c, Code::SizeGrowth).status, Status::Pass);
        // Shrinking passes.
        let c = evaluate(Facts { size: 9_000, ..f }, &p, Some(&base)).unwrap();
        assert_eq!(result(&c, Code::SizeGrowth).status, Status::Pass);
        // No baseline: not evaluated (never a pass), with the way to record one.
        let c = evaluate(f, &p, None).unwrap();
        let r = result(&c, Code::SizeGrowth);
        assert_eq!(r.status, Status::Unknown);
        assert_eq!(r.note.as_deref(), Some(NO_BASELINE));
        assert_eq!(c.status(), Status::Unknown);
    }

    #[test]
    fn growth_in_bytes_and_warn_level() {
        let mut b = budget("**");
        b.max_growth_bytes = Some(Limit {
            value: 500,
            location: None,
        });
        let mut p = Policy::new(None);
        p.budgets.push(b);
        p.set(Code::SizeGrowth, Level::Warn);
        let base = baseline(100_000, &[]);
        let f = Facts {
            key: "dist/app",
            size: 100_501,
            findings: &[],
            by_module: None,
            by_kind: None,
            settings: None,
            image: false,
            unknown: None,
        };
        let c = evaluate(f, &p, Some(&base)).unwrap();
        let r = result(&c, Code::SizeGrowth);
        assert_eq!(r.status, Status::Warn);
        assert!(r.violations[0].message.contains("over the allowed 500 B"));
        let c = evaluate(Facts { size: 100_500, ..f }, &p, Some(&base)).unwrap();
        assert_eq!(result(&c, Code::SizeGrowth).status, Status::Pass);
    }

    #[test]
    fn module_budget_uses_attribution_or_errors() {
        let mut b = budget("**");
        b.modules.push(ModuleCap {
            module: "github.com/dep/big".into(),
            limit: Limit {
                value: 1_000,
                location: None,
            },
        });
        let mut p = Policy::new(None);
        p.budgets.push(b);
        let now = named(&[("std", 8_000), ("github.com/dep/big", 1_500)]);
        let f = Facts {
            key: "dist/app",
            size: 9_500,
            findings: &[],
            by_module: Some(&now),
            by_kind: None,
            settings: None,
            image: false,
            unknown: None,
        };
        let c = evaluate(f, &p, None).unwrap();
        let r = result(&c, Code::ModuleBudget);
        assert_eq!(r.status, Status::Fail);
        assert!(
            r.violations[0]
                .message
                .contains("module github.com/dep/big is 1.5 KiB")
        );
        let ok = named(&[("std", 8_000), ("github.com/dep/big", 1_000)]);
        let c = evaluate(
            Facts {
                by_module: Some(&ok),
                ..f
            },
            &p,
            None,
        )
        .unwrap();
        assert_eq!(result(&c, Code::ModuleBudget).status, Status::Pass);
        let e = evaluate(
            Facts {
                by_module: None,
                ..f
            },
            &p,
            None,
        )
        .unwrap_err();
        assert!(e.contains("size attribution is unavailable"), "{e}");
        // Allowed: not evaluated, so no error.
        p.set(Code::ModuleBudget, Level::Allow);
        assert!(
            evaluate(
                Facts {
                    by_module: None,
                    ..f
                },
                &p,
                None
            )
            .is_ok()
        );
    }

    fn cap(module: &str, value: u64) -> ModuleCap {
        ModuleCap {
            module: module.into(),
            limit: Limit {
                value,
                location: None,
            },
        }
    }

    #[test]
    fn a_std_cap_counts_the_runtime() {
        let mods = named(&[
            ("std", 2_000),
            ("std/runtime", 1_500),
            ("example.com/app", 100),
        ]);
        let f = Facts {
            key: "dist/app",
            size: 3_600,
            findings: &[],
            by_module: Some(&mods),
            by_kind: None,
            settings: None,
            image: false,
            unknown: None,
        };
        let verdict = |caps: Vec<ModuleCap>| {
            let mut b = budget("**");
            b.modules = caps;
            let mut p = Policy::new(None);
            p.budgets.push(b);
            let c = evaluate(f, &p, None).unwrap();
            let r = result(&c, Code::ModuleBudget);
            (r.status, r.violations.first().map(|v| v.message.clone()))
        };
        // std alone is under 3 000 B; with the runtime it is over.
        let (status, msg) = verdict(vec![cap("std", 3_000)]);
        assert_eq!(status, Status::Fail);
        assert!(msg.unwrap().contains("module std is 3.4 KiB"));
        assert_eq!(verdict(vec![cap("std", 3_500)]).0, Status::Pass);
        // The runtime on its own, by its row's name and by its former one.
        assert_eq!(verdict(vec![cap("std/runtime", 1_499)]).0, Status::Fail);
        assert_eq!(verdict(vec![cap("runtime", 1_499)]).0, Status::Fail);
        assert_eq!(verdict(vec![cap("runtime", 1_500)]).0, Status::Pass);
    }

    #[test]
    fn a_cap_on_a_module_the_binary_lacks_warns_with_the_nearest_name() {
        let mods = named(&[
            ("std", 2_000),
            ("std/runtime", 1_000),
            ("github.com/prometheus/client_golang", 500),
            ("[dwarf]", 300),
            ("go.shape", 10),
        ]);
        let f = Facts {
            key: "dist/app",
            size: 3_800,
            findings: &[],
            by_module: Some(&mods),
            by_kind: None,
            settings: None,
            image: false,
            unknown: None,
        };
        let mut b = budget("**");
        b.modules = vec![
            cap("github.com/prometheus/client_golan", 1_000),
            cap("std", 10_000),
            cap("runtime", 10_000),
            cap("gopkg.in/yaml.v3", 1_000),
        ];
        let mut p = Policy::new(None);
        p.budgets.push(b);
        let c = evaluate(f, &p, None).unwrap();
        let r = result(&c, Code::ModuleBudgetUnmatched);
        assert_eq!(r.status, Status::Warn);
        assert_eq!(r.violations.len(), 2, "{:?}", r.violations);
        let m = &r.violations[0].message;
        assert!(
            m.starts_with("module budget `github.com/prometheus/client_golan` (1000 B) matches no module in this binary"),
            "{m}"
        );
        assert!(
            m.ends_with("the nearest module it has is `github.com/prometheus/client_golang`"),
            "{m}"
        );
        // Nothing close: still the nearest name, never a pseudo-module.
        let m = &r.violations[1].message;
        assert!(m.contains("`gopkg.in/yaml.v3`"), "{m}");
        assert!(m.contains("the nearest module it has is `"), "{m}");
        assert!(!m.contains("[dwarf]") && !m.contains("go.shape"), "{m}");
        // The caps that match are judged by module-budget, which passes.
        assert_eq!(result(&c, Code::ModuleBudget).status, Status::Pass);
        // Denied, a cap that can never fire fails the check.
        p.set(Code::ModuleBudgetUnmatched, Level::Deny);
        let c = evaluate(f, &p, None).unwrap();
        assert_eq!(result(&c, Code::ModuleBudgetUnmatched).status, Status::Fail);
        // Without caps the rule does not apply.
        let c = evaluate(f, &Policy::new(None), None).unwrap();
        assert_eq!(result(&c, Code::ModuleBudgetUnmatched).status, Status::Skip);
    }

    #[test]
    fn images_judge_image_rules_and_leave_binary_rules_to_their_binaries() {
        let findings = [
            Finding::new(Code::CgoLibcClosure, "glibc closure"),
            Finding::new(Code::DynamicLink, "not expected on an image"),
        ];
        let mut b = budget("app.tar");
        b.max_size = Some(Limit {
            value: 100,
            location: None,
        });
        b.modules.push(ModuleCap {
            module: "std".into(),
            limit: Limit {
                value: 1,
                location: None,
            },
        });
        let mut p = Policy::new(None);
        p.budgets.push(b);
        let f = Facts {
            key: "app.tar",
            size: 101,
            findings: &findings,
            by_module: None,
            by_kind: None,
            settings: None,
            image: true,
            unknown: None,
        };
        let c = evaluate(f, &p, None).expect("module caps on an image are not an error");
        assert_eq!(c.kind, "image");
        assert_eq!(result(&c, Code::CgoLibcClosure).status, Status::Warn);
        assert_eq!(result(&c, Code::SizeBudget).status, Status::Fail);
        assert_eq!(result(&c, Code::DynamicLink).status, Status::Skip);
        assert_eq!(result(&c, Code::ModuleBudget).status, Status::Skip);
        // On a binary the binary rules are judged and the image rules skipped.
        let c = evaluate(
            Facts {
                image: false,
                key: "bin",
                findings: &findings[1..],
                ..f
            },
            &p,
            None,
        )
        .unwrap();
        assert_eq!(c.kind, "binary");
        assert_eq!(result(&c, Code::CgoLibcClosure).status, Status::Skip);
        assert_eq!(result(&c, Code::DynamicLink).status, Status::Warn);
    }

    #[test]
    fn rules_reading_a_hidden_program_are_not_evaluated() {
        let why = crate::audit::Unknown {
            reason: "packed with UPX and `upx` is not on PATH".into(),
            fix: "install upx to verify a packed binary".into(),
        };
        let findings = [Finding::new(Code::UpxPacked, "packed")];
        let f = Facts {
            key: "app",
            size: 100,
            findings: &findings,
            by_module: None,
            by_kind: None,
            settings: None,
            image: false,
            unknown: Some(&why),
        };
        let mut p = Policy::new(None);
        p.set(Code::DynamicLink, Level::Deny);
        let c = evaluate(f, &p, None).unwrap();
        for &code in Code::ALL.iter().filter(|c| c.reads_program()) {
            let r = result(&c, code);
            if p.setting(code).level == Level::Allow {
                assert_eq!(r.status, Status::Skip, "{code}");
            } else {
                assert_eq!(r.status, Status::Unknown, "{code}");
                assert!(r.note.as_ref().unwrap().contains(&why.fix), "{code}");
            }
        }
        // What the file itself shows is still judged.
        assert_eq!(result(&c, Code::UpxPacked).status, Status::Warn);
        assert_eq!(c.status(), Status::Unknown);
        let report = crate::check::CheckReport::new(None, None, Vec::new(), vec![c], Vec::new());
        assert!(report.incomplete());
        assert!(!report.summary.passed);
        assert_eq!(report.summary.unevaluated, 1);
    }
}
