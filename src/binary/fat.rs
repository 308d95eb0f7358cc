//! Mach-O universal ("fat") files: a big-endian table of architecture slices, each a
//! complete thin Mach-O at its own file offset.
//!
//! Layout (`<mach-o/fat.h>`): `magic` (`0xcafebabe`, or `0xcafebabf` for 64-bit
//! offsets), `nfat_arch`, then per slice `cputype`, `cpusubtype`, `offset`, `size`,
//! `align` (plus a reserved word in the 64-bit form). Every number in the table comes
//! from the file, so each is checked against the file and the other slices before a
//! slice is handed out: a lying table is one error, never a panic or an out-of-range read.

use crate::error::ParseError;

const FAT_MAGIC: u32 = 0xcafe_babe;
const FAT_MAGIC_64: u32 = 0xcafe_babf;
/// The sniffer takes a `0xcafebabe` file for a Java class file when the count is 32 or
/// more (a class file has its version there); the parser accepts the same range.
const MAX_SLICES: u32 = 31;

/// One architecture slice of a fat file.
#[derive(Debug, Clone)]
pub struct FatSlice<'data> {
    /// Go's name for the slice's architecture (`amd64`, `arm64`, ...), from the fat table.
    pub arch: String,
    /// `cputype` from the fat table.
    pub cputype: u32,
    /// `cpusubtype` from the fat table (capability bits included).
    pub cpusubtype: u32,
    /// File offset of the slice.
    pub offset: u64,
    /// The slice's bytes: a thin Mach-O.
    pub data: &'data [u8],
}

impl FatSlice<'_> {
    /// The report label of this slice of the file at `path`: `path[arm64]`.
    pub fn label(&self, path: &str) -> String {
        format!("{path}[{}]", self.arch)
    }
}

/// Whether `data` starts like a fat Mach-O (magic and a plausible slice count).
pub fn is_fat(data: &[u8]) -> bool {
    crate::input::detect::sniff(data) == crate::input::detect::InputKind::MachOFat
}

/// The slices of a fat Mach-O, in table order (the order `go version` and `lipo` use).
///
/// Errors when the table does not fit the file, a slice runs past the end, overlaps the
/// table or another slice, is not a thin Mach-O, or repeats an architecture.
pub fn slices(data: &[u8]) -> Result<Vec<FatSlice<'_>>, ParseError> {
    let err = |what: String| ParseError::new("fat mach-o", what);
    let magic = be32(data, 0).ok_or_else(|| err("file too short for a fat header".into()))?;
    let wide = match magic {
        FAT_MAGIC => false,
        FAT_MAGIC_64 => true,
        other => return Err(err(format!("bad magic {other:#010x}"))),
    };
    let n = be32(data, 4).ok_or_else(|| err("file too short for a fat header".into()))?;
    if n == 0 {
        return Err(err("fat header lists no architectures".into()));
    }
    if n > MAX_SLICES {
        return Err(err(format!(
            "fat header lists {n} architectures (at most {MAX_SLICES} are plausible)"
        )));
    }
    let entry: u64 = if wide { 32 } else { 20 };
    let table_end = 8 + entry * n as u64;
    if table_end > data.len() as u64 {
        return Err(err(format!(
            "fat header lists {n} architectures but the file ends at byte {}",
            data.len()
        )));
    }

    let mut out: Vec<FatSlice<'_>> = Vec::with_capacity(n as usize);
    for i in 0..n as u64 {
        let at = (8 + i * entry) as usize;
        // The table fits the file (checked above), so these reads cannot miss.
        let field = |k: usize| be32(data, at + 4 * k).unwrap_or(0);
        let (cputype, cpusubtype) = (field(0), field(1));
        let (offset, size) = if wide {
            (
                (field(2) as u64) << 32 | field(3) as u64,
                (field(4) as u64) << 32 | field(5) as u64,
            )
        } else {
            (field(2) as u64, field(3) as u64)
        };
        let arch = go_arch(cputype, cpusubtype);
        let name = format!("slice {i} ({arch})");
        if offset < table_end {
            return Err(err(format!(
                "{name} starts at offset {offset}, inside the fat header"
            )));
        }
        let end = offset
            .checked_add(size)
            .filter(|&e| e <= data.len() as u64)
            .ok_or_else(|| {
                err(format!(
                    "{name} at offset {offset} with size {size} runs past the end of the file ({} bytes)",
                    data.len()
                ))
            })?;
        let bytes = &data[offset as usize..end as usize];
        if !is_thin_macho(bytes) {
            return Err(err(format!(
                "{name} at offset {offset} is not a Mach-O file"
            )));
        }
        for prev in &out {
            let prev_end = prev.offset + prev.data.len() as u64;
            if offset < prev_end && prev.offset < end {
                return Err(err(format!("{name} overlaps the {} slice", prev.arch)));
            }
            if prev.cputype == cputype && prev.cpusubtype == cpusubtype {
                return Err(err(format!("{name} repeats architecture {arch}")));
            }
        }
        out.push(FatSlice {
            arch,
            cputype,
            cpusubtype,
            offset,
            data: bytes,
        });
    }
    Ok(out)
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn is_thin_macho(b: &[u8]) -> bool {
    matches!(
        be32(b, 0),
        Some(0xfeed_face | 0xfeed_facf | 0xcefa_edfe | 0xcffa_edfe)
    )
}

/// Go's GOARCH for a Mach-O CPU type; unknown types keep their number so two unknown
/// slices still get distinct labels.
fn go_arch(cputype: u32, cpusubtype: u32) -> String {
    // `<mach/machine.h>` values; the top byte of cpusubtype holds capability flags.
    const ABI64: u32 = 0x0100_0000;
    const ABI64_32: u32 = 0x0200_0000;
    const X86: u32 = 7;
    const ARM: u32 = 12;
    const PPC: u32 = 18;
    const SUBTYPE_ARM64E: u32 = 2;
    let sub = cpusubtype & 0x00ff_ffff;
    match cputype {
        X86 => "386".into(),
        c if c == X86 | ABI64 => "amd64".into(),
        ARM => "arm".into(),
        c if c == ARM | ABI64 && sub == SUBTYPE_ARM64E => "arm64e".into(),
        c if c == ARM | ABI64 => "arm64".into(),
        c if c == ARM | ABI64_32 => "arm64_32".into(),
        PPC => "ppc".into(),
        c if c == PPC | ABI64 => "ppc64".into(),
        other => format!("cputype {other:#x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal thin Mach-O header (magic only matters to the slice check).
    fn thin(len: usize) -> Vec<u8> {
        let mut v = vec![0u8; len];
        v[..4].copy_from_slice(&0xfeed_facfu32.to_le_bytes());
        v
    }

    fn fat(entries: &[(u32, u32, u32, u32)], len: usize) -> Vec<u8> {
        let mut v = vec![0u8; len];
        v[..4].copy_from_slice(&FAT_MAGIC.to_be_bytes());
        v[4..8].copy_from_slice(&(entries.len() as u32).to_be_bytes());
        for (i, &(cpu, sub, off, size)) in entries.iter().enumerate() {
            let at = 8 + 20 * i;
            for (k, x) in [cpu, sub, off, size, 14].into_iter().enumerate() {
                v[at + 4 * k..at + 4 * k + 4].copy_from_slice(&x.to_be_bytes());
            }
            // A slice placed inside the table is left alone: the test is about the table.
            if off as usize >= 8 + 20 * entries.len() && (off as usize) + 4 <= len {
                let t = thin(4);
                v[off as usize..off as usize + 4].copy_from_slice(&t);
            }
        }
        v
    }

    const X64: u32 = 0x0100_0007;
    const A64: u32 = 0x0100_000c;

    #[test]
    fn two_slices_in_table_order() {
        let f = fat(&[(X64, 3, 64, 32), (A64, 0, 128, 32)], 160);
        let s = slices(&f).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].arch.as_str(), s[0].offset), ("amd64", 64));
        assert_eq!((s[1].arch.as_str(), s[1].offset), ("arm64", 128));
        assert_eq!(s[1].data.len(), 32);
        assert_eq!(s[1].label("bin/app"), "bin/app[arm64]");
        // The capability bits in the subtype's top byte do not change the architecture.
        let f = fat(&[(A64, 0x8000_0002, 64, 32)], 96);
        assert_eq!(slices(&f).unwrap()[0].arch, "arm64e");
    }

    #[test]
    fn lying_tables_are_errors() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (fat(&[(X64, 3, 64, 1 << 30)], 160), "runs past the end"),
            (
                fat(&[(X64, 3, u32::MAX, u32::MAX)], 160),
                "runs past the end",
            ),
            (fat(&[(X64, 3, 4, 32)], 160), "inside the fat header"),
            (
                fat(&[(X64, 3, 64, 64), (A64, 0, 96, 32)], 160),
                "overlaps the amd64 slice",
            ),
            (
                fat(&[(X64, 3, 64, 32), (X64, 3, 128, 32)], 160),
                "repeats architecture amd64",
            ),
            (fat(&[], 64), "no architectures"),
        ];
        for (f, want) in cases {
            let e = slices(&f).unwrap_err().to_string();
            assert!(e.contains(want), "{e:?} should say {want:?}");
        }
        // More slices than the file has room for in its table.
        let mut f = fat(&[(X64, 3, 64, 32)], 96);
        f[4..8].copy_from_slice(&20u32.to_be_bytes());
        assert!(slices(&f).unwrap_err().to_string().contains("file ends"));
        // A slice whose bytes are not a Mach-O.
        let mut f = fat(&[(X64, 3, 64, 32)], 96);
        f[64..68].copy_from_slice(b"\x7fELF");
        assert!(slices(&f).unwrap_err().to_string().contains("not a Mach-O"));
        assert!(slices(b"\xca\xfe\xba").is_err());
        assert!(slices(b"").is_err());
    }

    #[test]
    fn wide_table() {
        let mut v = vec![0u8; 200];
        v[..4].copy_from_slice(&FAT_MAGIC_64.to_be_bytes());
        v[4..8].copy_from_slice(&1u32.to_be_bytes());
        let words = [A64, 0, 0, 128, 0, 64, 14, 0];
        for (k, w) in words.iter().enumerate() {
            v[8 + 4 * k..12 + 4 * k].copy_from_slice(&w.to_be_bytes());
        }
        v[128..132].copy_from_slice(&thin(4));
        let s = slices(&v).unwrap();
        assert_eq!((s[0].offset, s[0].data.len()), (128, 64));
        // A 64-bit offset past the end is caught before any slicing.
        v[16..20].copy_from_slice(&1u32.to_be_bytes());
        assert!(slices(&v).is_err());
    }
}
