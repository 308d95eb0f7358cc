//! Resolving overlapping claims on file bytes into one owner per byte.
//!
//! Sources disagree and overlap (a function's code is also covered by its symbol and by
//! `.text`), so every source claims ranges at a priority and the best source wins each
//! byte, as in bloaty's range map. Within one priority the claim that starts first wins.
//! The result partitions `[0, file_len)` exactly, which is what makes the sum rule hold by
//! construction rather than by luck.

/// An owner index into the caller's owner table.
pub type OwnerId = u32;

/// A claim on file bytes `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    /// Who claims it.
    pub owner: OwnerId,
}

/// A resolved piece of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    /// The winning owner, or `None` for bytes nobody claimed.
    pub owner: Option<OwnerId>,
}

/// Claims grouped by priority, highest first.
#[derive(Debug, Default)]
pub struct ClaimSet {
    classes: Vec<Vec<Claim>>,
}

impl ClaimSet {
    /// An empty set.
    pub fn new() -> Self {
        ClaimSet::default()
    }

    /// Start a new priority class, lower than every class before it.
    pub fn next_class(&mut self) {
        self.classes.push(Vec::new());
    }

    /// Add a claim to the current class. Empty or inverted ranges are ignored.
    pub fn claim(&mut self, start: u64, end: u64, owner: OwnerId) {
        if start >= end {
            return;
        }
        if self.classes.is_empty() {
            self.classes.push(Vec::new());
        }
        self.classes
            .last_mut()
            .expect("a class exists")
            .push(Claim { start, end, owner });
    }

    /// Resolve into pieces that cover `[0, file_len)` exactly, sorted by offset.
    /// Claims beyond `file_len` are clipped.
    pub fn resolve(self, file_len: u64) -> Vec<Piece> {
        let mut unclaimed: Vec<(u64, u64)> = if file_len > 0 {
            vec![(0, file_len)]
        } else {
            Vec::new()
        };
        let mut out: Vec<Piece> = Vec::new();
        for mut class in self.classes {
            class.sort_by_key(|c| (c.start, c.end));
            let mut next_unclaimed = Vec::with_capacity(unclaimed.len());
            let mut free = unclaimed.into_iter();
            let mut cur = free.next();
            for c in class {
                let (cs, ce) = (c.start, c.end.min(file_len));
                // Free space entirely before this claim stays free.
                while let Some((s, e)) = cur {
                    if e <= cs {
                        next_unclaimed.push((s, e));
                        cur = free.next();
                    } else {
                        break;
                    }
                }
                while let Some((mut s, e)) = cur {
                    if s >= ce {
                        break;
                    }
                    if s < cs {
                        next_unclaimed.push((s, cs));
                        s = cs;
                    }
                    let take = e.min(ce);
                    if s < take {
                        out.push(Piece {
                            start: s,
                            end: take,
                            owner: Some(c.owner),
                        });
                    }
                    if take < e {
                        cur = Some((take, e));
                        break;
                    }
                    cur = free.next();
                }
            }
            next_unclaimed.extend(cur);
            next_unclaimed.extend(free);
            unclaimed = next_unclaimed;
        }
        out.extend(unclaimed.into_iter().map(|(start, end)| Piece {
            start,
            end,
            owner: None,
        }));
        out.sort_by_key(|p| p.start);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(p: &[Piece]) -> u64 {
        p.iter().map(|p| p.end - p.start).sum()
    }

    #[test]
    fn higher_class_wins_and_pieces_partition_the_file() {
        let mut cs = ClaimSet::new();
        cs.next_class();
        cs.claim(10, 20, 1);
        cs.next_class();
        cs.claim(0, 100, 2);
        cs.claim(15, 30, 3); // same class, later start: loses the overlap with 2
        let p = cs.resolve(50);
        assert_eq!(total(&p), 50);
        assert_eq!(
            p,
            vec![
                Piece {
                    start: 0,
                    end: 10,
                    owner: Some(2)
                },
                Piece {
                    start: 10,
                    end: 20,
                    owner: Some(1)
                },
                Piece {
                    start: 20,
                    end: 50,
                    owner: Some(2)
                },
            ]
        );
    }

    #[test]
    fn gaps_are_unowned_and_out_of_range_is_clipped() {
        let mut cs = ClaimSet::new();
        cs.claim(5, 8, 1);
        cs.claim(90, 200, 2);
        cs.claim(7, 3, 9); // inverted: ignored
        let p = cs.resolve(100);
        assert_eq!(total(&p), 100);
        assert_eq!(
            p[0],
            Piece {
                start: 0,
                end: 5,
                owner: None
            }
        );
        assert_eq!(
            p.last().unwrap(),
            &Piece {
                start: 90,
                end: 100,
                owner: Some(2)
            }
        );
    }

    #[test]
    fn many_random_claims_always_partition() {
        // A deterministic pseudo-random soup of overlapping claims across classes.
        let mut x: u64 = 0x9e3779b97f4a7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut cs = ClaimSet::new();
        for class in 0..5 {
            cs.next_class();
            for _ in 0..500 {
                let s = next() % 10_000;
                let l = next() % 300;
                cs.claim(s, s + l, class);
            }
        }
        let p = cs.resolve(9_000);
        assert_eq!(total(&p), 9_000);
        for w in p.windows(2) {
            assert_eq!(w[0].end, w[1].start);
        }
    }
}
