//! `goaudit check`: policy gates over audited artifacts.
//!
//! [`config`] reads `goaudit.toml`, [`baseline`] the recorded sizes, [`rules`] turns an
//! artifact's findings and sizes into one [`RuleResult`] per rule. The report types here
//! are what every output format (human, JSON, markdown, GitHub, SARIF, JUnit) renders.

pub mod baseline;
pub mod config;
pub mod human;
pub mod image;
pub mod rules;
pub mod starter;

use serde::Serialize;

pub use config::{Level, Location};

use crate::finding::Code;
use crate::render::json::InputError;

/// JSON schema version of the check output.
pub const CHECK_SCHEMA_VERSION: u32 = 1;

/// Outcome of one rule on one artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Violated at deny level.
    Fail,
    /// Violated at warn level.
    Warn,
    /// Evaluated and not violated.
    Pass,
    /// Not evaluated: allowed, or nothing configured for it.
    Skip,
    /// Configured, but its inputs are missing (a packed binary without `upx`, growth
    /// limits without a baseline): it can neither pass nor fail. At deny level the run
    /// is incomplete (exit 2).
    Unknown,
}

/// One violation of a rule.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    /// What is wrong, with the evidence.
    pub message: String,
    /// The config line that makes this a violation (a `[rules]` level, a budget limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Bytes over the limit, or saved by fixing it, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saving: Option<u64>,
}

/// One rule on one artifact.
#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    /// Stable rule id (the finding id).
    pub rule: Code,
    /// Effective level.
    pub level: Level,
    /// Outcome.
    pub status: Status,
    /// Violations (empty on pass and skip).
    pub violations: Vec<Violation>,
    /// Why the rule was skipped or could not be evaluated, and the fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A module whose size changed against the baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleDelta {
    /// Module path.
    pub name: String,
    /// Bytes in the baseline (0 when new).
    pub before: u64,
    /// Bytes now (0 when gone).
    pub after: u64,
    /// `after - before`.
    pub delta: i64,
}

/// Size change against the baseline.
#[derive(Debug, Clone, Serialize)]
pub struct Growth {
    /// Recorded size.
    pub baseline_size: u64,
    /// Current minus recorded, in bytes.
    pub delta: i64,
    /// Change in percent of the recorded size (null when it was 0).
    pub percent: Option<f64>,
    /// Modules that changed, largest growth first; empty without attribution.
    pub modules: Vec<ModuleDelta>,
    /// Kinds of bytes that changed (code, data, DWARF, symbol table, cgo, ...; see
    /// docs/size.md), largest absolute change first; empty without attribution or when
    /// the baseline was recorded before kinds were.
    pub kinds: Vec<ModuleDelta>,
    /// Build settings that changed against the baseline (`CGO_ENABLED 0→1`, `-trimpath
    /// dropped`); empty when the baseline recorded none.
    pub settings: Vec<crate::diff::SettingChange>,
}

/// Every rule on one artifact.
#[derive(Debug, Clone, Serialize)]
pub struct ArtifactCheck {
    /// Path relative to the config root; a binary inside an image is
    /// `<image>:<path in the image>`.
    pub path: String,
    /// The file on disk: `path` itself, or the archive or universal binary `path` is
    /// inside of.
    pub file: String,
    /// `binary` or `image`.
    pub kind: &'static str,
    /// File size; for an image, its content size (the `docker image ls` rule).
    pub size: u64,
    /// The tightest size budget that applies.
    pub max_size: Option<u64>,
    /// Change against the baseline, when it has an entry.
    pub growth: Option<Growth>,
    /// One result per rule, in [`Code::ALL`] order.
    pub results: Vec<RuleResult>,
}

impl ArtifactCheck {
    /// Worst status over all rules: a deny rule that could not be evaluated is worst.
    pub fn status(&self) -> Status {
        let has = |s| self.results.iter().any(|r| r.status == s);
        if self
            .results
            .iter()
            .any(|r| r.status == Status::Unknown && r.level == Level::Deny)
        {
            Status::Unknown
        } else if has(Status::Fail) {
            Status::Fail
        } else if has(Status::Warn) {
            Status::Warn
        } else {
            Status::Pass
        }
    }
}

/// Totals of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Artifacts checked.
    pub artifacts: usize,
    /// Violations at deny level.
    pub failures: usize,
    /// Violations at warn level.
    pub warnings: usize,
    /// Inputs that could not be checked.
    pub errors: usize,
    /// Rules at deny level that could not be evaluated on some artifact (status
    /// `unknown`): the run is incomplete and exits 2.
    pub unevaluated: usize,
    /// Rules at warn level that could not be evaluated (reported, the exit status is
    /// unaffected).
    pub unevaluated_warnings: usize,
    /// No deny-level violation, no error and no deny rule left unevaluated.
    pub passed: bool,
}

/// A rule's effective setting for the run.
#[derive(Debug, Clone, Serialize)]
pub struct RuleSummary {
    /// Stable id.
    pub id: Code,
    /// Effective level.
    pub level: Level,
    /// What the rule checks.
    pub description: &'static str,
    /// The `[rules]` line that set the level, when the config did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// The whole run, as every renderer sees it.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// The config file used, relative to its root.
    pub config: Option<String>,
    /// The baseline file read, when there was one.
    pub baseline: Option<String>,
    /// Every rule with its effective level.
    pub rules: Vec<RuleSummary>,
    /// Per-artifact results.
    pub artifacts: Vec<ArtifactCheck>,
    /// Inputs that could not be checked.
    pub errors: Vec<InputError>,
    /// Totals.
    pub summary: Summary,
}

impl CheckReport {
    /// Assemble a report and its totals.
    pub fn new(
        config: Option<String>,
        baseline: Option<String>,
        rules: Vec<RuleSummary>,
        artifacts: Vec<ArtifactCheck>,
        errors: Vec<InputError>,
    ) -> Self {
        let count = |s| {
            artifacts
                .iter()
                .flat_map(|a| &a.results)
                .filter(|r| r.status == s)
                .map(|r| r.violations.len())
                .sum::<usize>()
        };
        let unknown = |l: Level| {
            artifacts
                .iter()
                .flat_map(|a| &a.results)
                .filter(|r| r.status == Status::Unknown && r.level == l)
                .count()
        };
        let summary = Summary {
            artifacts: artifacts.len(),
            failures: count(Status::Fail),
            warnings: count(Status::Warn),
            errors: errors.len(),
            unevaluated: unknown(Level::Deny),
            unevaluated_warnings: unknown(Level::Warn),
            passed: false,
        };
        let passed = summary.failures == 0 && summary.errors == 0 && summary.unevaluated == 0;
        CheckReport {
            config,
            baseline,
            rules,
            artifacts,
            errors,
            summary: Summary { passed, ..summary },
        }
    }

    /// The run could not decide: an input was not checked or a deny rule could not be
    /// evaluated (exit 2).
    pub fn incomplete(&self) -> bool {
        self.summary.errors > 0 || self.summary.unevaluated > 0
    }

    /// Every rule that could not be evaluated, with its artifact, in report order.
    pub fn unevaluated(&self) -> impl Iterator<Item = (&ArtifactCheck, &RuleResult)> {
        self.artifacts.iter().flat_map(|a| {
            a.results
                .iter()
                .filter(|r| r.status == Status::Unknown)
                .map(move |r| (a, r))
        })
    }

    /// Every violation at fail or warn status, in report order, with its artifact and rule.
    pub fn violations(&self) -> impl Iterator<Item = (&ArtifactCheck, &RuleResult, &Violation)> {
        self.artifacts.iter().flat_map(|a| {
            a.results
                .iter()
                .filter(|r| matches!(r.status, Status::Fail | Status::Warn))
                .flat_map(move |r| r.violations.iter().map(move |v| (a, r, v)))
        })
    }
}

/// The JSON document of a check: `{"schema_version": 1, "tool": ..., ...report}`.
pub fn write_json(w: &mut dyn std::io::Write, report: &CheckReport) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        tool: crate::render::json::Tool,
        #[serde(flatten)]
        report: &'a CheckReport,
    }
    let doc = Doc {
        schema_version: CHECK_SCHEMA_VERSION,
        tool: crate::render::json::Tool::this(),
        report,
    };
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}
