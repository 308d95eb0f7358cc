//! Data that only code names: string literals, package variables, static composite
//! literals and `go:embed` payloads, found by decoding each function's machine code and
//! following its references into data.
//!
//! A stripped Go binary keeps nothing that says which package a string literal or a
//! variable belongs to, but the code that uses it does: on amd64 every reference is
//! RIP-relative (`LEAQ go:string."…"(SB), AX`), on 386 an absolute displacement, on arm64
//! an `ADRP`/`ADD` (or `ADRP`/`LDR`) pair. Each referenced address starts a blob; the blob
//! runs to the length the referencing code passes with it when it is visible (Go strings
//! carry no terminator: `LEAQ s(SB), AX; MOVL $len, BX` is how a string argument is
//! built), else to the next address anything names (another reference, a section or
//! object boundary the caller knows). A blob named from one package is that package's;
//! from several, it is shared.
//!
//! The decoding is linear in the code size and spread over all cores; functions are
//! decoded from their entry to their last instruction, so jump tables and padding are
//! never read as code.

use iced_x86::{Code, Decoder, DecoderOptions, Instruction, OpKind, Register};

/// A reference from code into data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CodeRef {
    /// The referenced virtual address.
    pub target: u64,
    /// The length passed with it (`MOVL $len, reg` right after the address is formed),
    /// 0 when none is visible.
    pub len: u64,
    /// Index of the referencing function in the caller's list.
    pub func: u32,
}

/// The architectures whose code is decoded.
pub fn supported(arch: &str) -> bool {
    matches!(arch, "amd64" | "386" | "arm64")
}

/// References from the code of `funcs` (`(code bytes, entry address)`, in the caller's
/// order) to addresses for which `wanted` holds, decoded on all cores. Sorted by target.
pub fn code_refs(
    arch: &str,
    funcs: &[(&[u8], u64)],
    wanted: &(dyn Fn(u64) -> bool + Sync),
) -> Vec<CodeRef> {
    if !supported(arch) || funcs.is_empty() {
        return Vec::new();
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 16);
    // Chunks of similar code size: big functions are not all in one place.
    let total: usize = funcs.iter().map(|f| f.0.len()).sum();
    let per = total / threads + 1;
    let mut chunks: Vec<(usize, usize)> = Vec::new();
    let (mut start, mut acc) = (0, 0);
    for (i, f) in funcs.iter().enumerate() {
        acc += f.0.len();
        if acc >= per {
            chunks.push((start, i + 1));
            (start, acc) = (i + 1, 0);
        }
    }
    if start < funcs.len() {
        chunks.push((start, funcs.len()));
    }
    let mut out: Vec<CodeRef> = std::thread::scope(|sc| {
        let jobs: Vec<_> = chunks
            .into_iter()
            .map(|(a, b)| {
                sc.spawn(move || {
                    let mut v = Vec::new();
                    for (i, &(code, entry)) in funcs[a..b].iter().enumerate() {
                        let func = (a + i) as u32;
                        match arch {
                            "arm64" => arm64(code, entry, func, wanted, &mut v),
                            "386" => x86(code, entry, 32, func, wanted, &mut v),
                            _ => x86(code, entry, 64, func, wanted, &mut v),
                        }
                    }
                    v
                })
            })
            .collect();
        jobs.into_iter()
            .flat_map(|j| j.join().unwrap_or_default())
            .collect()
    });
    out.sort_unstable();
    out
}

/// x86: RIP-relative operands (64-bit) or absolute displacements without base or index
/// (32-bit), and a `MOV reg, imm` right after a `LEA` as its length.
fn x86(
    code: &[u8],
    entry: u64,
    bitness: u32,
    func: u32,
    wanted: &(dyn Fn(u64) -> bool + Sync),
    out: &mut Vec<CodeRef>,
) {
    let mut dec = Decoder::with_ip(bitness, code, entry, DecoderOptions::NONE);
    let mut ins = Instruction::default();
    // A LEA's target waiting for the next instruction to tell its length.
    let mut pending: Option<u64> = None;
    while dec.can_decode() {
        dec.decode_out(&mut ins);
        if ins.is_invalid() {
            pending = None;
            continue;
        }
        if let Some(t) = pending.take() {
            out.push(CodeRef {
                target: t,
                len: mov_imm(&ins).unwrap_or(0),
                func,
            });
        }
        let target = if bitness == 64 {
            if !ins.is_ip_rel_memory_operand() {
                continue;
            }
            ins.ip_rel_memory_address()
        } else {
            let has_mem = (0..ins.op_count()).any(|i| ins.op_kind(i) == OpKind::Memory);
            if !has_mem
                || ins.memory_base() != Register::None
                || ins.memory_index() != Register::None
            {
                // `MOVL $addr, reg` also forms addresses on 386.
                match ins.code() {
                    Code::Mov_r32_imm32 | Code::Pushd_imm32 => u64::from(ins.immediate32()),
                    _ => continue,
                }
            } else {
                ins.memory_displacement64() & 0xffff_ffff
            }
        };
        if !wanted(target) {
            continue;
        }
        if matches!(ins.code(), Code::Lea_r64_m | Code::Lea_r32_m) {
            pending = Some(target);
        } else {
            out.push(CodeRef {
                target,
                len: 0,
                func,
            });
        }
    }
    if let Some(t) = pending {
        out.push(CodeRef {
            target: t,
            len: 0,
            func,
        });
    }
}

/// The immediate of `MOV reg, imm` (the length of a string whose address was just
/// formed), when positive.
fn mov_imm(ins: &Instruction) -> Option<u64> {
    let v = match ins.code() {
        Code::Mov_r32_imm32 => u64::from(ins.immediate32()),
        Code::Mov_rm64_imm32 if ins.op0_kind() == OpKind::Register => ins.immediate32to64() as u64,
        Code::Mov_r64_imm64 => ins.immediate64(),
        _ => return None,
    };
    (v > 0 && v < 1 << 31).then_some(v)
}

/// arm64: `ADRP Xd, page` followed (within a few instructions) by `ADD Xn, Xd, #lo12`,
/// or a load/store with unsigned offset from Xd. Go's assembler emits the pair
/// back to back; the length is a `MOVZ` right after the `ADD`.
fn arm64(
    code: &[u8],
    entry: u64,
    func: u32,
    wanted: &(dyn Fn(u64) -> bool + Sync),
    out: &mut Vec<CodeRef>,
) {
    let words: Vec<u32> = code
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    for (i, &w) in words.iter().enumerate() {
        // ADRP: 1 immlo:2 10000 immhi:19 Rd:5
        if w & 0x9f00_0000 != 0x9000_0000 {
            continue;
        }
        let rd = w & 0x1f;
        let immlo = u64::from((w >> 29) & 3);
        let immhi = u64::from((w >> 5) & 0x7_ffff);
        let imm = ((immhi << 2) | immlo) << 12;
        // Sign-extend the 33-bit page offset.
        let imm = ((imm << 31) as i64 >> 31) as u64;
        let pc = entry.wrapping_add(4 * i as u64);
        let page = (pc & !0xfff).wrapping_add(imm);
        let Some(&next) = words.get(i + 1) else {
            continue;
        };
        let rn = (next >> 5) & 0x1f;
        let target = if next & 0xffc0_0000 == 0x9100_0000 && rn == rd {
            // ADD Xd, Xn, #imm12 (64-bit, no shift)
            page.wrapping_add(u64::from((next >> 10) & 0xfff))
        } else if next & 0x3b00_0000 == 0x3900_0000 && rn == rd {
            // LDR/STR (unsigned immediate): size in bits 31:30 scales imm12.
            let size = next >> 30;
            let vector = (next >> 26) & 1 == 1;
            let scale = if vector && (next >> 23) & 1 == 1 {
                4
            } else {
                size
            };
            page.wrapping_add(u64::from((next >> 10) & 0xfff) << scale)
        } else {
            continue;
        };
        if !wanted(target) {
            continue;
        }
        // MOVZ Xd/Wd, #imm16 (no shift) right after: the length of a string argument.
        let len = words
            .get(i + 2)
            .filter(|&&m| m & 0x7fe0_0000 == 0x5280_0000)
            .map_or(0, |&m| u64::from((m >> 5) & 0xffff));
        out.push(CodeRef { target, len, func });
    }
}

/// Blobs `[start, end)` from sorted references: each distinct target runs to the length
/// passed with it, else to the next boundary (another target or one
/// of `bounds`, sorted), and never past `limit(start)`, the end of its section.
/// Returns (start, end, owner) where owner is the referencing package when all
/// references come from one package (by `pkg_of(func)`), else `None` (shared).
pub fn blobs(
    refs: &[CodeRef],
    bounds: &[u64],
    pkg_of: &dyn Fn(u32) -> u32,
    limit: &dyn Fn(u64) -> Option<u64>,
) -> Vec<(u64, u64, Option<u32>)> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut b = 0;
    while i < refs.len() {
        let t = refs[i].target;
        let mut j = i;
        let mut len = 0u64;
        let mut owner = Some(pkg_of(refs[i].func));
        while j < refs.len() && refs[j].target == t {
            len = len.max(refs[j].len);
            if owner.is_some_and(|o| o != pkg_of(refs[j].func)) {
                owner = None;
            }
            j += 1;
        }
        let next_ref = refs.get(j).map(|r| r.target);
        while b < bounds.len() && bounds[b] <= t {
            b += 1;
        }
        let next_bound = bounds.get(b).copied();
        let Some(section_end) = limit(t) else {
            i = j;
            continue;
        };
        // A length passed with the address is the object's own extent: it wins over
        // the boundaries guessed from other addresses (never past the section).
        let end = if len > 0 {
            section_end.min(t.saturating_add(len))
        } else {
            [next_ref, next_bound, Some(section_end)]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(section_end)
        };
        if end > t {
            out.push((t, end, owner));
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amd64_string_argument_with_length() {
        // LEAQ 0x100(IP), AX ; MOVL $5, BX ; MOVQ 0x200(IP), CX ; RET
        let code = [
            0x48, 0x8d, 0x05, 0x00, 0x01, 0x00, 0x00, // lea rax,[rip+0x100]
            0xbb, 0x05, 0x00, 0x00, 0x00, // mov ebx,5
            0x48, 0x8b, 0x0d, 0x00, 0x02, 0x00, 0x00, // mov rcx,[rip+0x200]
            0xc3,
        ];
        let entry = 0x1000;
        let refs = code_refs("amd64", &[(&code, entry)], &|_| true);
        assert_eq!(
            refs,
            vec![
                CodeRef {
                    target: 0x1007 + 0x100,
                    len: 5,
                    func: 0
                },
                CodeRef {
                    target: 0x1013 + 0x200,
                    len: 0,
                    func: 0
                },
            ]
        );
    }

    #[test]
    fn arm64_adrp_add_and_length() {
        // ADRP x0, #0x2000 ; ADD x0, x0, #0x10 ; MOVZ x1, #7
        let adrp: u32 = 0x9000_0000 | (2 << 5); // immhi=2 -> page +0x2000 ... immlo 0
        let add: u32 = 0x9100_0000 | (0x10 << 10);
        let movz: u32 = 0xd280_0000 | (7 << 5) | 1;
        let code: Vec<u8> = [adrp, add, movz]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        let refs = code_refs("arm64", &[(&code, 0x10_0000)], &|_| true);
        assert_eq!(
            refs,
            vec![CodeRef {
                target: 0x10_0000 + (2 << 14) + 0x10,
                len: 7,
                func: 0
            }]
        );
    }

    #[test]
    fn blobs_never_overlap_and_share() {
        let r = |target, len, func| CodeRef { target, len, func };
        let refs = vec![
            r(100, 5, 0),
            r(100, 5, 1),
            r(110, 0, 2),
            r(130, 50, 2),
            r(300, 0, 0),
        ];
        // funcs 0, 2 in package 7; func 1 in package 8.
        let pkg = |f: u32| if f == 1 { 8 } else { 7 };
        let got = blobs(&refs, &[120, 200], &pkg, &|a| (a < 250).then_some(250));
        // 130's length runs past the boundary at 200? No: 180 is before it; a length
        // is believed over boundaries, never past the section.
        assert_eq!(
            got,
            vec![(100, 105, None), (110, 120, Some(7)), (130, 180, Some(7))]
        );
        let got = blobs(&[r(190, 100, 0)], &[200], &pkg, &|a| {
            (a < 250).then_some(250)
        });
        assert_eq!(got, vec![(190, 250, Some(7))]);
    }

    #[test]
    fn garbage_never_panics() {
        let mut x: u64 = 0x9e3779b97f4a7c15;
        let mut data = vec![0u8; 65536];
        for b in &mut data {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        for arch in ["amd64", "386", "arm64"] {
            let refs = code_refs(arch, &[(&data[..], 0x40_0000), (&data[1..77], 0)], &|_| {
                true
            });
            let _ = blobs(&refs, &[], &|f| f, &|a| Some(a.saturating_add(64)));
        }
    }
}
