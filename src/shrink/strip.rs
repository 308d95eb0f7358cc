//! Pure-Rust `strip --strip-all` for ELF, built on object's ELF builder.
//!
//! The builder keeps every allocated section at its original file offset and lays the
//! remaining non-allocated ones out again, so deleting the symbol table and DWARF shrinks
//! the file without moving a byte the loader maps. What Go itself needs at run time and
//! what goaudit reads (`.gopclntab`, `.go.buildinfo`, `.note.go.buildid`) are allocated
//! sections and so are never candidates.

use object::build::elf::{Builder, SectionData};
use serde::Serialize;

use crate::binary::Binary;
use crate::error::ParseError;

/// A section that strip removes (or would remove), with its on-disk size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemovedSection {
    /// Section name.
    pub name: String,
    /// Bytes it occupied in the file.
    pub bytes: u64,
}

/// The result of [`strip`]: the new file and what went.
#[derive(Debug)]
pub struct Stripped {
    /// The rewritten ELF file.
    pub data: Vec<u8>,
    /// Sections deleted, in section-table order.
    pub removed: Vec<RemovedSection>,
}

/// Names strip removes: the static symbol table, its strings, and DWARF.
///
/// `.dynsym`/`.dynstr` are allocated and needed by the loader, so they never match.
pub fn is_strip_target(name: &str) -> bool {
    matches!(name, ".symtab" | ".strtab" | ".symtab_shndx")
        || name.starts_with(".debug_")
        || name.starts_with(".zdebug_")
}

/// What strip would remove, read from the section table alone (for `--dry-run`).
pub fn plan(bin: &Binary<'_>) -> Vec<RemovedSection> {
    bin.sections
        .iter()
        .filter(|s| !s.alloc && is_strip_target(&s.name))
        .map(|s| RemovedSection {
            name: s.name.clone(),
            bytes: s.file_range.map_or(0, |r| r.1),
        })
        .collect()
}

/// Remove `.symtab`, `.strtab` and every `.debug_*`/`.zdebug_*` section from an ELF file.
///
/// Returns `removed` empty (and `data` equal to the input) when there is nothing to
/// remove, so an already stripped file is not rewritten at all.
pub fn strip(data: &[u8]) -> Result<Stripped, ParseError> {
    // object's builder is not written for hostile input; a bug there must become an
    // error for this file, never abort the whole run.
    match std::panic::catch_unwind(|| strip_inner(data)) {
        Ok(r) => r,
        Err(_) => Err(ParseError::new(
            "ELF",
            "the ELF rewriter failed on this file's structure",
        )),
    }
}

fn strip_inner(data: &[u8]) -> Result<Stripped, ParseError> {
    let mut b = Builder::read(data)
        .map_err(|e| ParseError::new("ELF", format!("cannot read for rewriting: {e}")))?;

    let mut removed = Vec::new();
    let mut deleted_ids = Vec::new();
    for s in b.sections.iter_mut() {
        if s.is_alloc() {
            continue;
        }
        let name = String::from_utf8_lossy(&s.name).into_owned();
        let symbol_data = matches!(
            s.data,
            SectionData::Symbol | SectionData::SymbolSectionIndex | SectionData::String
        );
        if symbol_data || is_strip_target(&name) {
            s.delete = true;
            deleted_ids.push(s.id());
            let bytes = if s.sh_type == object::elf::SHT_NOBITS {
                0
            } else {
                s.sh_size
            };
            removed.push(RemovedSection { name, bytes });
        }
    }
    if removed.is_empty() {
        return Ok(Stripped {
            data: data.to_vec(),
            removed,
        });
    }
    // Relocations against a deleted section (only in relocatable objects, but cheap to
    // handle) would otherwise point at nothing.
    for s in b.sections.iter_mut() {
        let targets_deleted = s.sh_info_section.is_some_and(|t| deleted_ids.contains(&t));
        if targets_deleted && matches!(s.data, SectionData::Relocation(_)) {
            s.delete = true;
            removed.push(RemovedSection {
                name: String::from_utf8_lossy(&s.name).into_owned(),
                bytes: s.sh_size,
            });
        }
    }
    // A kept section may link to the symbol table: a static glibc binary's `.rela.plt`
    // (IRELATIVE relocations, which name no symbol) does. GNU strip clears that link;
    // so does this. A kept relocation that names a static symbol is different: the
    // builder would silently drop it, changing loaded bytes, so refuse instead.
    let mut refs_symbols = None;
    for s in b.sections.iter_mut() {
        if s.sh_link_section.is_some_and(|l| deleted_ids.contains(&l)) {
            s.sh_link_section = None;
        }
        if let SectionData::Relocation(rels) = &s.data
            && rels.iter().any(|r| r.symbol.is_some())
        {
            refs_symbols = Some(String::from_utf8_lossy(&s.name).into_owned());
        }
    }
    if let Some(name) = refs_symbols {
        return Err(ParseError::new(
            "ELF",
            format!(
                "{name} holds relocations against the static symbol table, which strip would break"
            ),
        ));
    }
    // The builder only drops symbols whose section was deleted; absolute and undefined
    // ones would keep `.symtab` alive, so every static symbol goes.
    for sym in b.symbols.iter_mut() {
        sym.delete = true;
    }

    // Deleting sections never makes a file bigger; a larger reservation means the
    // headers lie, and must not turn into a huge allocation.
    let mut out = CappedBuffer {
        data: Vec::new(),
        cap: data.len() as u64,
        overflow: false,
    };
    b.write(&mut out)
        .map_err(|e| ParseError::new("ELF", format!("cannot write the stripped file: {e}")))?;
    if out.overflow {
        return Err(ParseError::new(
            "ELF",
            "the stripped file would be larger than the input",
        ));
    }
    Ok(Stripped {
        data: out.data,
        removed,
    })
}

/// A `Vec` sink that refuses to grow past `cap` bytes.
struct CappedBuffer {
    data: Vec<u8>,
    cap: u64,
    overflow: bool,
}

impl object::write::WritableBuffer for CappedBuffer {
    fn reserve(&mut self, size: u64) -> Result<(), ()> {
        if size > self.cap {
            return Err(());
        }
        let size = usize::try_from(size).map_err(|_| ())?;
        self.data.reserve(size);
        Ok(())
    }

    fn write_bytes(&mut self, val: &[u8]) {
        if self.data.len() as u64 + val.len() as u64 > self.cap {
            self.overflow = true;
            return;
        }
        self.data.extend_from_slice(val);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_targets() {
        for n in [
            ".symtab",
            ".strtab",
            ".debug_info",
            ".zdebug_line",
            ".debug_gdb_scripts",
        ] {
            assert!(is_strip_target(n), "{n}");
        }
        for n in [
            ".gopclntab",
            ".go.buildinfo",
            ".note.go.buildid",
            ".shstrtab",
            ".dynsym",
            ".dynstr",
            ".text",
            ".comment",
        ] {
            assert!(!is_strip_target(n), "{n}");
        }
    }

    #[test]
    fn garbage_and_truncation_are_errors() {
        assert!(strip(b"").is_err());
        assert!(strip(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0").is_err());
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        for cut in [64usize, 100, 4096, exe.len() / 2] {
            // Must return (Ok or Err) without panicking or over-allocating.
            let _ = strip(&exe[..cut.min(exe.len())]);
        }
    }

    #[test]
    fn strips_this_test_binary() {
        // The unit-test executable is an ELF file with a symbol table (and usually
        // DWARF); it is not Go, but the rewrite is format-level.
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let before = Binary::parse(&exe).unwrap();
        let planned = plan(&before);
        assert!(planned.iter().any(|r| r.name == ".symtab"));
        let s = strip(&exe).unwrap();
        assert!(s.data.len() < exe.len());
        let after = Binary::parse(&s.data).unwrap();
        assert!(after.section(".symtab").is_none());
        assert!(after.section(".strtab").is_none());
        // Rust's `.debug_gdb_scripts` is allocated and, as with GNU strip, stays.
        assert_eq!(after.dwarf_sections().filter(|s| !s.alloc).count(), 0);
        // Every allocated section stays at the same address and offset. Raw data keeps
        // its size and bytes; the builder regenerates the dynamic-linking tables
        // (`.dynstr` loses duplicate strings), which may only shrink.
        for sec in before.sections.iter().filter(|s| s.alloc) {
            let kept = after.section(&sec.name).expect(&sec.name);
            assert_eq!(kept.addr, sec.addr, "{}", sec.name);
            assert_eq!(
                kept.file_range.map(|r| r.0),
                sec.file_range.map(|r| r.0),
                "{}",
                sec.name
            );
            if sec.name.starts_with(".dyn") || sec.name.starts_with(".gnu") {
                assert!(kept.size <= sec.size, "{}", sec.name);
            } else {
                assert_eq!(kept.size, sec.size, "{}", sec.name);
                assert_eq!(
                    after.section_data(kept),
                    before.section_data(sec),
                    "{}",
                    sec.name
                );
            }
        }
        let planned_names: Vec<_> = planned.iter().map(|r| &r.name).collect();
        let removed_names: Vec<_> = s.removed.iter().map(|r| &r.name).collect();
        assert_eq!(planned_names, removed_names);
        // Stripping a stripped file changes nothing.
        let again = strip(&s.data).unwrap();
        assert!(again.removed.is_empty());
        assert_eq!(again.data, s.data);
    }
}
