//! Self-contained HTML reports.

/// The diff as an HTML page.
pub fn diff_page(_d: &crate::diff::Diff) -> String {
    String::new()
}
