//! SARIF 2.1.0 for GitHub code scanning.
//!
//! Binaries are rarely in the repository, so a result points at the goaudit.toml line
//! that made it a violation (the rule's level or the budget's limit) when there is one,
//! and at the artifact's path otherwise. The fingerprint is ours (rule + artifact +
//! config line) so that code scanning tracks a violation across commits without reading
//! a binary it cannot diff.

use std::io::{self, Write};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::check::{CheckReport, Level, Status};
use crate::finding::Code;

/// The schema URI written in `$schema`.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(l: Level) -> &'static str {
    match l {
        Level::Deny => "error",
        Level::Warn => "warning",
        Level::Allow => "none",
    }
}

fn fingerprint(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Build the SARIF log as a JSON value.
pub fn to_value(r: &CheckReport) -> Value {
    let rules: Vec<Value> = r
        .rules
        .iter()
        .map(|s| {
            json!({
                "id": s.id.id(),
                "name": s.id.id(),
                "shortDescription": {"text": s.description},
                "fullDescription": {"text": s.description},
                "help": {
                    "text": format!(
                        "{}. Set its level with `{} = \"deny\"|\"warn\"|\"allow\"` under [rules] in goaudit.toml, or --deny/--warn/--allow {} (see docs/check.md).",
                        s.description, s.id.id(), s.id.id()
                    )
                },
                "defaultConfiguration": {"level": level(s.level)},
            })
        })
        .collect();
    let mut results = Vec::new();
    for (a, res, v) in r.violations() {
        let (uri, region) = match &v.location {
            Some(l) => (
                l.file.clone(),
                Some(json!({"startLine": l.line, "startColumn": l.col})),
            ),
            // The archive or universal binary: `app.tar:/bin/app` is no URI.
            None => (a.file.clone(), None),
        };
        let mut phys = json!({"artifactLocation": {"uri": uri}});
        if let Some(region) = region {
            phys["region"] = region;
        }
        let loc_key = v
            .location
            .as_ref()
            .map(|l| l.to_string())
            .unwrap_or_default();
        results.push(json!({
            "ruleId": res.rule.id(),
            "ruleIndex": Code::ALL.iter().position(|c| *c == res.rule).unwrap_or(0),
            "level": if res.status == Status::Fail { "error" } else { "warning" },
            "message": {"text": format!("{}: {}", a.path, v.message)},
            "locations": [{"physicalLocation": phys}],
            "partialFingerprints": {
                "goauditViolation/v1": fingerprint(&[res.rule.id(), &a.path, &loc_key]),
            },
            "properties": {"artifact": a.path, "artifactSize": a.size},
        }));
    }
    // A rule that could not be evaluated is a result of kind `open` (SARIF: "the tool
    // could not determine whether the result is a pass or fail").
    for (a, res) in r.unevaluated() {
        let note = res.note.as_deref().unwrap_or("inputs missing");
        results.push(json!({
            "ruleId": res.rule.id(),
            "ruleIndex": Code::ALL.iter().position(|c| *c == res.rule).unwrap_or(0),
            "kind": "open",
            "level": "none",
            "message": {"text": format!("{}: {} not evaluated: {note}", a.path, res.rule.id())},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": a.file}}}],
            "partialFingerprints": {
                "goauditViolation/v1": fingerprint(&[res.rule.id(), &a.path, "not-evaluated"]),
            },
            "properties": {"artifact": a.path, "artifactSize": a.size, "ruleLevel": res.level.name()},
        }));
    }
    // Inputs that could not be checked are not rule results: SARIF reports them as
    // notifications of an unsuccessful run, as are deny rules left unevaluated.
    let mut notifications: Vec<Value> = r
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": {"text": format!("{}: not checked: {}", e.path, e.error)},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": e.path}}}],
            })
        })
        .collect();
    for (a, res) in r.unevaluated() {
        notifications.push(json!({
            "level": if res.level == Level::Deny { "error" } else { "warning" },
            "message": {"text": format!(
                "{}: {} not evaluated: {}",
                a.path,
                res.rule.id(),
                res.note.as_deref().unwrap_or("inputs missing")
            )},
            "associatedRule": {"id": res.rule.id()},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": a.file}}}],
        }));
    }
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "goaudit",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "automationDetails": {"id": "goaudit/check/"},
            "invocations": [{
                "executionSuccessful": !r.incomplete(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    })
}

/// Write the SARIF log.
pub fn write(w: &mut dyn Write, r: &CheckReport) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &to_value(r))?;
    writeln!(w)
}
