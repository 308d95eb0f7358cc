//! "Did you mean ...?": the nearest of a few known names to a mistyped one.

/// Edit distance (insertions, deletions, substitutions, and swaps of two neighbours).
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// The candidate closest to `word`, if it is close enough to be a typo of it: within a
/// third of the longer name (at least 1), or the word is a prefix of exactly one name
/// (`static` → none, `dynamic` → `dynamic-link`).
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let best = candidates
        .iter()
        .map(|c| (distance(word, c), *c))
        .min_by_key(|(d, _)| *d)?;
    let limit = (word.chars().count().max(best.1.chars().count()) / 3).max(1);
    if best.0 <= limit {
        return Some(best.1);
    }
    let prefixed: Vec<&str> = candidates
        .iter()
        .copied()
        .filter(|c| word.len() >= 3 && (c.starts_with(word) || c.contains(word)))
        .collect();
    match prefixed.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_word() {
        let cmds = ["audit", "check", "baseline", "hook", "size", "shrink"];
        assert_eq!(nearest("chek", cmds), Some("check"));
        assert_eq!(nearest("shirnk", cmds), Some("shrink"));
        assert_eq!(nearest("baselin", cmds), Some("baseline"));
        assert_eq!(nearest("dist", cmds), None);
        assert_eq!(nearest("./typo", cmds), None);
        let rules = ["dynamic-link", "cgo-linked", "cgo-resolver", "vcs-dirty"];
        assert_eq!(nearest("dynamic-linking", rules), Some("dynamic-link"));
        assert_eq!(nearest("cgo-resolve", rules), Some("cgo-resolver"));
        assert_eq!(nearest("dynamic", rules), Some("dynamic-link"));
        assert_eq!(nearest("static", rules), None);
        assert_eq!(distance("ab", "ba"), 1);
    }
}
