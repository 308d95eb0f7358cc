//! The budgets only an image has: wasted bytes and efficiency (`max_wasted`,
//! `min_efficiency`, `--max-wasted`, `--min-efficiency`), evaluated on the image report
//! after [`super::rules::evaluate`] has placed a skipped result for each.

use super::config::{Budget, Level, Wasted};
use super::rules::{Policy, trim_float};
use super::{ArtifactCheck, RuleResult, Status, Violation};
use crate::finding::Code;
use crate::image::ImageReport;
use crate::render::human_bytes;

/// The note of an image rule no budget configures.
pub const NO_BUDGET: &str = "no wasted or efficiency budget applies";

/// The numbers the image budgets read, split from [`ImageReport`] for unit tests.
#[derive(Debug, Clone, Default)]
pub struct Waste {
    /// Σ of the layers' content sizes.
    pub content: u64,
    /// Bytes of the final filesystem.
    pub visible: u64,
    /// `content - visible`.
    pub wasted: u64,
    /// `layer N hides X`, biggest first, and the largest hidden file: the evidence.
    pub evidence: String,
}

impl Waste {
    /// The figures of an image report.
    pub fn of(r: &ImageReport) -> Self {
        let mut by = r.wasted_by_layer.clone();
        by.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.layer.cmp(&b.layer)));
        let mut parts: Vec<String> = by
            .iter()
            .take(3)
            .map(|w| format!("layer {} hides {}", w.layer, human_bytes(w.bytes)))
            .collect();
        if let Some(f) = r.wasted_files.first() {
            parts.push(format!(
                "largest {} {} (layer {})",
                f.path,
                human_bytes(f.bytes),
                f.layer
            ));
        }
        Waste {
            content: r.content_size,
            visible: r.visible_size,
            wasted: r.wasted_bytes,
            evidence: parts.join(", "),
        }
    }

    fn tail(&self) -> String {
        if self.evidence.is_empty() {
            String::new()
        } else {
            format!("; {}", self.evidence)
        }
    }

    /// The most bytes `percent` of the content allows.
    fn share(&self, percent: f64) -> u64 {
        (self.content as f64 * percent / 100.0).floor() as u64
    }
}

/// Apply the wasted and efficiency budgets matching `check.path` (or `alias`, the same
/// artifact's other name) to its results.
pub fn budgets(check: &mut ArtifactCheck, policy: &Policy, alias: Option<&str>, w: &Waste) {
    let key = check.path.clone();
    let matching: Vec<&Budget> = policy
        .budgets
        .iter()
        .filter(|b| {
            b.path.matcher.is_match(&key) || alias.is_some_and(|a| b.path.matcher.is_match(a))
        })
        .collect();
    for r in check.results.iter_mut() {
        match r.rule {
            Code::WastedBudget => apply(r, &matching, |b| wasted(b, w)),
            Code::EfficiencyBudget => apply(r, &matching, |b| efficiency(b, w)),
            _ => {}
        }
    }
}

/// Run `one` over the budgets; None from it means the budget sets no such limit.
fn apply(
    r: &mut RuleResult,
    budgets: &[&Budget],
    one: impl Fn(&Budget) -> Option<Option<Violation>>,
) {
    if r.level == Level::Allow {
        return;
    }
    let mut applies = false;
    for b in budgets {
        let Some(v) = one(b) else { continue };
        applies = true;
        r.violations.extend(v);
    }
    if !applies {
        return;
    }
    if r.note.as_deref() == Some(NO_BUDGET) {
        r.note = None;
    }
    r.status = if r.violations.is_empty() {
        Status::Pass
    } else if r.level == Level::Deny {
        Status::Fail
    } else {
        Status::Warn
    };
}

fn wasted(b: &Budget, w: &Waste) -> Option<Option<Violation>> {
    let limit = b.max_wasted.as_ref()?;
    let (allowed, over_what) = match limit.value {
        Wasted::Bytes(n) => (n, format!("its budget of {}", human_bytes(n))),
        Wasted::Percent(p) => (
            w.share(p),
            format!(
                "the allowed {}% of the content ({})",
                trim_float(p),
                human_bytes(w.share(p))
            ),
        ),
    };
    if w.wasted <= allowed {
        return Some(None);
    }
    let share = if w.content == 0 {
        0.0
    } else {
        w.wasted as f64 * 100.0 / w.content as f64
    };
    Some(Some(Violation {
        message: format!(
            "wasted {} ({:.1}% of the content {}: overwritten or deleted in a later layer) is over {over_what} by {} (budget `{}`){}",
            human_bytes(w.wasted),
            share,
            human_bytes(w.content),
            human_bytes(w.wasted - allowed),
            b.path.glob,
            w.tail()
        ),
        location: limit.location.clone(),
        saving: Some(w.wasted - allowed),
    }))
}

fn efficiency(b: &Budget, w: &Waste) -> Option<Option<Violation>> {
    let limit = b.min_efficiency.as_ref()?;
    let min = limit.value;
    // efficiency < min  ⇔  visible × 100 < min × content.
    if w.content == 0 || (w.visible as f64) * 100.0 >= min * w.content as f64 {
        return Some(None);
    }
    let eff = w.visible as f64 * 100.0 / w.content as f64;
    // Rounded down, so that what is printed is never at or over the minimum.
    let shown = (eff * 10.0).floor() / 10.0;
    let allowed = w.share(100.0 - min);
    let saving = w.wasted.saturating_sub(allowed).max(1);
    Some(Some(Violation {
        message: format!(
            "efficiency {shown:.1}% ({} visible of {} content, {} wasted) is under the minimum {}%; {} less wasted would meet it (budget `{}`){}",
            human_bytes(w.visible),
            human_bytes(w.content),
            human_bytes(w.wasted),
            trim_float(min),
            human_bytes(saving),
            b.path.glob,
            w.tail()
        ),
        location: limit.location.clone(),
        saving: Some(saving),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::config::{Limit, PathPattern};
    use crate::check::rules::{Facts, evaluate};

    fn budget(wasted: Option<Wasted>, eff: Option<f64>) -> Budget {
        Budget {
            max_wasted: wasted.map(Limit::from_flag),
            min_efficiency: eff.map(Limit::from_flag),
            ..Budget::new(PathPattern::new("img.tar", None).unwrap())
        }
    }

    fn run(policy: &Policy, image: bool, w: &Waste) -> ArtifactCheck {
        let f = Facts {
            key: "img.tar",
            size: w.content,
            findings: &[],
            by_module: None,
            by_kind: None,
            settings: None,
            image,
            unknown: None,
        };
        let mut c = evaluate(f, policy, None).unwrap();
        if image {
            budgets(&mut c, policy, None, w);
        }
        c
    }

    fn result(c: &ArtifactCheck, code: Code) -> &RuleResult {
        c.results.iter().find(|r| r.rule == code).unwrap()
    }

    fn waste(content: u64, visible: u64) -> Waste {
        Waste {
            content,
            visible,
            wasted: content - visible,
            evidence: "layer 2 hides 1 KiB".into(),
        }
    }

    #[test]
    fn wasted_bytes_and_share() {
        let w = waste(10_000, 9_000);
        let mut p = Policy::new(None);
        p.budgets.push(budget(Some(Wasted::Bytes(1_000)), None));
        let c = run(&p, true, &w);
        // At the limit passes.
        assert_eq!(result(&c, Code::WastedBudget).status, Status::Pass);
        assert_eq!(result(&c, Code::EfficiencyBudget).status, Status::Skip);
        p.budgets[0] = budget(Some(Wasted::Bytes(999)), None);
        let c = run(&p, true, &w);
        let r = result(&c, Code::WastedBudget);
        assert_eq!(r.status, Status::Fail);
        assert_eq!(r.violations[0].saving, Some(1));
        assert!(
            r.violations[0].message.contains("10.0% of the content")
                && r.violations[0].message.contains("layer 2 hides 1 KiB"),
            "{}",
            r.violations[0].message
        );
        // 10% allowed: 1,000 bytes; 9.99% is 999.
        p.budgets[0] = budget(Some(Wasted::Percent(10.0)), None);
        assert_eq!(
            result(&run(&p, true, &w), Code::WastedBudget).status,
            Status::Pass
        );
        p.budgets[0] = budget(Some(Wasted::Percent(9.99)), None);
        let c = run(&p, true, &w);
        assert_eq!(result(&c, Code::WastedBudget).violations[0].saving, Some(1));
        // On a binary the image rules are skipped, never passed.
        let c = run(&p, false, &w);
        assert_eq!(result(&c, Code::WastedBudget).status, Status::Skip);
    }

    #[test]
    fn efficiency_minimum() {
        let w = waste(10_000, 9_000);
        let mut p = Policy::new(None);
        p.budgets.push(budget(None, Some(90.0)));
        assert_eq!(
            result(&run(&p, true, &w), Code::EfficiencyBudget).status,
            Status::Pass
        );
        p.budgets[0] = budget(None, Some(90.5));
        let c = run(&p, true, &w);
        let r = result(&c, Code::EfficiencyBudget);
        assert_eq!(r.status, Status::Fail);
        // 9.5% of 10,000 may be wasted: 50 bytes too many.
        assert_eq!(r.violations[0].saving, Some(50));
        assert!(
            r.violations[0].message.starts_with("efficiency 90.0% ")
                && r.violations[0].message.contains("minimum 90.5%"),
            "{}",
            r.violations[0].message
        );
        // Warn level, and allow.
        p.set(Code::EfficiencyBudget, Level::Warn);
        assert_eq!(
            result(&run(&p, true, &w), Code::EfficiencyBudget).status,
            Status::Warn
        );
        p.set(Code::EfficiencyBudget, Level::Allow);
        assert_eq!(
            result(&run(&p, true, &w), Code::EfficiencyBudget).status,
            Status::Skip
        );
        // An empty image is fully efficient.
        p.set(Code::EfficiencyBudget, Level::Deny);
        assert_eq!(
            result(&run(&p, true, &waste(0, 0)), Code::EfficiencyBudget).status,
            Status::Pass
        );
    }

    #[test]
    fn no_budget_is_a_skip() {
        let c = run(&Policy::new(None), true, &waste(10, 5));
        let r = result(&c, Code::WastedBudget);
        assert_eq!(r.status, Status::Skip);
        assert_eq!(r.note.as_deref(), Some(NO_BUDGET));
    }
}
