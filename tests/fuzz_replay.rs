//! The fuzz targets' inputs, replayed on stable through the same entry points
//! (`goaudit::fuzzing`), in process:
//!
//! - every seed `goaudit::fuzzing::seeds` builds from the test binaries and image
//!   fixtures, every hand-made seed in fuzz/seeds/, every minimised crash in
//!   fuzz/regressions/, and, when a campaign has run on this machine, every entry of
//!   fuzz/corpus/ and fuzz/artifacts/;
//! - a property test that mutates real test binaries and archives (bit flips,
//!   truncations at structure boundaries, lying counts and offsets, spliced sections)
//!   with a fixed seed and case count: no panic, bounded time, and a mutation that
//!   breaks the container is never audited as healthy.

mod support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use goaudit::fuzzing;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// A hang guard, not a benchmark: a debug build on a loaded machine.
const PER_INPUT: Duration = Duration::from_secs(60);

fn replay(target: &str, name: &str, data: &[u8]) {
    let f = fuzzing::target(target).unwrap_or_else(|| panic!("no fuzz target {target}"));
    let t = Instant::now();
    f(data);
    let took = t.elapsed();
    assert!(
        took < PER_INPUT,
        "{target}/{name}: took {took:?}, over the {PER_INPUT:?} hang guard"
    );
}

fn replay_dir(root: &Path) -> usize {
    let mut n = 0;
    let Ok(targets) = std::fs::read_dir(root) else {
        return 0;
    };
    for t in targets.flatten() {
        let target = t.file_name().to_string_lossy().into_owned();
        if !t.path().is_dir() {
            continue;
        }
        assert!(
            fuzzing::target(&target).is_some(),
            "{}: no fuzz target of that name",
            t.path().display()
        );
        let mut files: Vec<PathBuf> = std::fs::read_dir(t.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for f in files {
            let data = std::fs::read(&f).unwrap();
            replay(&target, &f.display().to_string(), &data);
            n += 1;
        }
    }
    n
}

#[test]
fn seeds_replay() {
    let seeds = fuzzing::seeds(&support::testbins_dir());
    for (name, _) in fuzzing::TARGETS {
        assert!(
            seeds.iter().any(|(t, ..)| t == name),
            "no seed for fuzz target {name}"
        );
    }
    for (t, name, data) in &seeds {
        replay(t, name, data);
    }
}

#[test]
fn committed_seeds_and_regressions_replay() {
    let root = support::repo_root().join("fuzz");
    let n = replay_dir(&root.join("seeds")) + replay_dir(&root.join("regressions"));
    assert!(n > 0, "fuzz/seeds and fuzz/regressions are empty");
}

/// Present only where a campaign ran (scripts/fuzz.sh); not committed.
#[test]
fn local_corpus_and_artifacts_replay() {
    let root = support::repo_root().join("fuzz");
    let n = replay_dir(&root.join("corpus")) + replay_dir(&root.join("artifacts"));
    eprintln!("replayed {n} local corpus and artifact inputs");
}

// ---------------------------------------------------------------------------------------
// Property test: mutated real inputs.

struct Base {
    name: &'static str,
    data: Vec<u8>,
    /// File offsets where a structure starts or ends (goblin's view).
    boundaries: Vec<u64>,
    /// Header fields a lie can be written to: (offset, width).
    fields: Vec<(usize, usize)>,
    /// (offset field, size field, file range) of sections with file bytes.
    sections: Vec<(usize, usize, u64, u64)>,
}

fn elf_base(name: &'static str) -> Base {
    let data = std::fs::read(support::testbin(name)).unwrap();
    let e = goblin::elf::Elf::parse(&data).unwrap();
    let h = &e.header;
    let mut boundaries = vec![h.e_ehsize as u64, h.e_phoff, h.e_shoff];
    boundaries.push(h.e_phoff + h.e_phnum as u64 * h.e_phentsize as u64);
    let mut sections = Vec::new();
    for (i, s) in e.section_headers.iter().enumerate() {
        if s.sh_type == goblin::elf::section_header::SHT_NOBITS || s.sh_size == 0 {
            continue;
        }
        boundaries.extend([s.sh_offset, s.sh_offset + s.sh_size]);
        let at = h.e_shoff as usize + i * h.e_shentsize as usize;
        sections.push((at + 24, at + 32, s.sh_offset, s.sh_size));
    }
    for p in &e.program_headers {
        if p.p_filesz > 0 {
            boundaries.push(p.p_offset + p.p_filesz);
        }
    }
    boundaries.retain(|&b| b > 0 && b < data.len() as u64);
    boundaries.sort();
    boundaries.dedup();
    // e_phoff, e_shoff, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx, and the
    // first program header's offset/filesz.
    let ph = h.e_phoff as usize;
    let fields = vec![
        (32, 8),
        (40, 8),
        (54, 2),
        (56, 2),
        (58, 2),
        (60, 2),
        (62, 2),
        (ph + 8, 8),
        (ph + 32, 8),
    ];
    Base {
        name,
        data,
        boundaries,
        fields,
        sections,
    }
}

fn archive_base() -> Base {
    let seeds = fuzzing::seeds(&support::testbins_dir());
    let data = seeds
        .into_iter()
        .find(|(t, n, _)| *t == "archive" && n == "docker-small")
        .unwrap()
        .2;
    // Tar headers every 512 bytes; their size fields (octal, 12 bytes at 124).
    let boundaries = (1..data.len() as u64 / 512).map(|k| k * 512).collect();
    let fields = (0..data.len() / 512).map(|k| (k * 512 + 124, 11)).collect();
    Base {
        name: "docker-small",
        data,
        boundaries,
        fields,
        sections: Vec::new(),
    }
}

fn bases() -> &'static [Base] {
    static B: OnceLock<Vec<Base>> = OnceLock::new();
    B.get_or_init(|| vec![elf_base("hello-cgo0"), archive_base()])
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Flip these bits (positions taken modulo the length).
    Flips(Vec<(u64, u8)>),
    /// Cut at the k-th structure boundary.
    Truncate(usize),
    /// Write an extreme value into the k-th header field.
    Lie(usize, u64),
    /// Point a section past the end of the file.
    SectionPastEnd(usize),
    /// Copy one section's bytes over another's.
    Splice(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let extreme = prop_oneof![
        Just(0u64),
        Just(1),
        Just(0xffff),
        Just(u32::MAX as u64),
        Just(1 << 31),
        Just(u64::MAX),
        Just(u64::MAX - 7),
        any::<u64>(),
    ];
    prop_oneof![
        prop::collection::vec((any::<u64>(), 0u8..8), 1..16).prop_map(Mutation::Flips),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), extreme).prop_map(|(k, v)| Mutation::Lie(k, v)),
        any::<usize>().prop_map(Mutation::SectionPastEnd),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Splice(a, b)),
    ]
}

/// The mutated bytes, and whether the mutation certainly breaks the container.
fn apply(b: &Base, m: &Mutation) -> (Vec<u8>, bool) {
    let mut d = b.data.clone();
    let len = d.len() as u64;
    match m {
        Mutation::Flips(f) => {
            for &(pos, bit) in f {
                d[(pos % len) as usize] ^= 1 << bit;
            }
            (d, false)
        }
        Mutation::Truncate(k) => {
            let cut = b.boundaries[k % b.boundaries.len()];
            d.truncate(cut as usize);
            // A cut archive may still hold whole members; only ELF cuts are damage.
            (d, b.name != "docker-small")
        }
        Mutation::Lie(k, v) => {
            let (at, w) = b.fields[k % b.fields.len()];
            if b.name == "docker-small" {
                // Tar sizes are octal text.
                let s = format!("{:011o}", v & 0o77777777777);
                d[at..at + w].copy_from_slice(&s.as_bytes()[s.len() - w..]);
            } else {
                d[at..at + w].copy_from_slice(&v.to_le_bytes()[..w]);
            }
            (d, false)
        }
        Mutation::SectionPastEnd(k) if !b.sections.is_empty() => {
            let (off_at, _, _, size) = b.sections[k % b.sections.len()];
            let off = len - size.min(len) + 1;
            d[off_at..off_at + 8].copy_from_slice(&off.to_le_bytes());
            (d, true)
        }
        Mutation::Splice(x, y) if b.sections.len() > 1 => {
            let (_, _, xo, xs) = b.sections[x % b.sections.len()];
            let (_, _, yo, ys) = b.sections[y % b.sections.len()];
            let n = xs.min(ys) as usize;
            let src = d[xo as usize..xo as usize + n].to_vec();
            d[yo as usize..yo as usize + n].copy_from_slice(&src);
            (d, false)
        }
        _ => (d, false),
    }
}

#[test]
fn mutated_binaries_and_archives_never_panic_and_damage_is_never_healthy() {
    let bases = bases();
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 48,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let start = Instant::now();
    runner
        .run(&(0..bases.len(), mutation()), |(i, m)| {
            let b = &bases[i];
            let (data, broken) = apply(b, &m);
            let t = Instant::now();
            if b.name == "docker-small" {
                fuzzing::archive(&data);
            } else {
                let audited = goaudit::audit::audit_fast("m", &data);
                if broken {
                    prop_assert!(
                        audited.is_err(),
                        "{m:?} broke the container but it was audited as healthy"
                    );
                }
                fuzzing::buildinfo(&data);
                fuzzing::pclntab(&data);
                if audited.is_ok() && matches!(m, Mutation::Flips(_)) {
                    // The sum rule on a binary that still audits.
                    fuzzing::size(&data);
                }
            }
            prop_assert!(t.elapsed() < PER_INPUT, "{m:?} took {:?}", t.elapsed());
            Ok(())
        })
        .unwrap();
    eprintln!("48 mutations in {:?}", start.elapsed());
}
