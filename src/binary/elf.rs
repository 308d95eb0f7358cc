//! The ELF linking view, read with goblin: interpreter, `DT_NEEDED`, RPATH/RUNPATH,
//! program headers and the dynamic flags that decide PIE, RELRO and NX.

use goblin::elf::dynamic::{DF_1_NOW, DF_1_PIE, DF_BIND_NOW};
use goblin::elf::header::{ET_DYN, ET_EXEC};
use goblin::elf::program_header::{PF_X, PT_DYNAMIC, PT_GNU_RELRO, PT_GNU_STACK, PT_INTERP};

use crate::error::ParseError;

/// What the program headers and dynamic section say about linking and hardening.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ElfLinking {
    /// `e_type` is `ET_DYN` (PIE or shared object).
    pub et_dyn: bool,
    /// `e_type` is `ET_EXEC`.
    pub et_exec: bool,
    /// `PT_INTERP` contents (the dynamic loader), if any.
    pub interpreter: Option<String>,
    /// A `PT_DYNAMIC` segment exists.
    pub has_dynamic: bool,
    /// `DT_NEEDED` entries, in order.
    pub needed: Vec<String>,
    /// `DT_RPATH` entries.
    pub rpath: Vec<String>,
    /// `DT_RUNPATH` entries.
    pub runpath: Vec<String>,
    /// `DF_1_PIE` set in `DT_FLAGS_1`.
    pub df_1_pie: bool,
    /// `DF_BIND_NOW` in `DT_FLAGS`, `DF_1_NOW` in `DT_FLAGS_1`, or a `DT_BIND_NOW` entry.
    pub bind_now: bool,
    /// A `PT_GNU_RELRO` segment exists.
    pub gnu_relro: bool,
    /// `PT_GNU_STACK` exists and is not executable. Without `PT_GNU_STACK` most kernels
    /// give an executable stack, so this is `false` then.
    pub nx_stack: bool,
}

/// The linking verdict for an ELF file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkKind {
    /// No interpreter, no shared libraries: runs in `scratch`.
    Static,
    /// Position-independent, relocates itself, no interpreter and no libraries.
    StaticPie,
    /// Needs the dynamic loader (and perhaps shared libraries) at run time.
    Dynamic,
    /// Cannot be known: the program is packed (UPX) and could not be unpacked.
    Unknown,
}

impl LinkKind {
    /// Name used in reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            LinkKind::Static => "static",
            LinkKind::StaticPie => "static-pie",
            LinkKind::Dynamic => "dynamic",
            LinkKind::Unknown => "unknown",
        }
    }
}

impl ElfLinking {
    /// Parse the linking view of an ELF file.
    ///
    /// Only the program headers and the dynamic section are read (goblin's full parse
    /// also walks section headers, symbol tables and relocations, which costs more than
    /// the rest of an audit on a large binary and is not needed here).
    pub fn parse(data: &[u8]) -> Result<Self, ParseError> {
        use goblin::container::{Container, Ctx};
        use goblin::elf::program_header::ProgramHeader;
        use goblin::elf::{Dynamic, Elf, header};
        let err = |e: goblin::error::Error| ParseError::new("ELF", e.to_string());
        let h = Elf::parse_header(data).map_err(err)?;
        let container = match h.e_ident[header::EI_CLASS] {
            header::ELFCLASS64 => Container::Big,
            header::ELFCLASS32 => Container::Little,
            c => return Err(ParseError::new("ELF", format!("unknown ELF class {c}"))),
        };
        let le = goblin::container::Endian::from(h.e_ident[header::EI_DATA] == header::ELFDATA2LSB);
        let ctx = Ctx::new(container, le);
        let phdrs =
            ProgramHeader::parse(data, h.e_phoff as usize, h.e_phnum as usize, ctx).map_err(err)?;
        let mut out = ElfLinking {
            et_dyn: h.e_type == ET_DYN,
            et_exec: h.e_type == ET_EXEC,
            ..Default::default()
        };
        for ph in &phdrs {
            match ph.p_type {
                PT_INTERP => {
                    // The loader path, NUL-terminated; an unreadable one still makes the file
                    // dynamic.
                    let s = usize::try_from(ph.p_offset)
                        .ok()
                        .zip(usize::try_from(ph.p_filesz).ok());
                    let raw = s.and_then(|(o, n)| data.get(o..o.checked_add(n)?));
                    let text = raw.map(|b| b.split(|&c| c == 0).next().unwrap_or(b));
                    out.interpreter = Some(match text.map(std::str::from_utf8) {
                        Some(Ok(t)) => t.to_string(),
                        _ => "<unreadable>".to_string(),
                    });
                }
                PT_DYNAMIC => out.has_dynamic = true,
                PT_GNU_RELRO => out.gnu_relro = true,
                PT_GNU_STACK => out.nx_stack = ph.p_flags & PF_X == 0,
                _ => {}
            }
        }
        if let Some(dynamic) = Dynamic::parse(data, &phdrs, ctx).map_err(err)? {
            let info = &dynamic.info;
            // Only the few strings the dynamic entries name are read (a cgo binary's
            // `.dynstr` can hold every exported Go symbol).
            let strtab = info
                .strtab
                .checked_add(info.strsz)
                .and_then(|end| data.get(info.strtab..end))
                .ok_or_else(|| {
                    ParseError::new(
                        "ELF",
                        format!(
                            "dynamic string table at {:#x} ({} bytes) is past the end of the file",
                            info.strtab, info.strsz
                        ),
                    )
                })?;
            let s = |off: u64| dyn_string(strtab, off);
            for d in &dynamic.dyns {
                match d.d_tag {
                    // A library whose name cannot be read is still a library.
                    goblin::elf::dynamic::DT_NEEDED => out
                        .needed
                        .push(s(d.d_val).unwrap_or_else(|| "<unreadable>".into())),
                    goblin::elf::dynamic::DT_RPATH => out.rpath.extend(s(d.d_val)),
                    goblin::elf::dynamic::DT_RUNPATH => out.runpath.extend(s(d.d_val)),
                    _ => {}
                }
            }
            out.df_1_pie = info.flags_1 & DF_1_PIE != 0;
            out.bind_now = info.flags & DF_BIND_NOW != 0
                || info.flags_1 & DF_1_NOW != 0
                || dynamic
                    .dyns
                    .iter()
                    .any(|d| d.d_tag == goblin::elf::dynamic::DT_BIND_NOW);
        }
        Ok(out)
    }

    /// static, static-pie or dynamic.
    ///
    /// A CGO_ENABLED=0 PIE has `PT_INTERP` and no `DT_NEEDED`: it still needs ld.so to
    /// relocate, so it is dynamic. A `-buildmode=c-shared` library has no interpreter
    /// but needs libc: dynamic too. Only a file with neither is static.
    pub fn kind(&self) -> LinkKind {
        if self.interpreter.is_some() || !self.needed.is_empty() {
            LinkKind::Dynamic
        } else if self.et_dyn {
            LinkKind::StaticPie
        } else {
            LinkKind::Static
        }
    }

    /// PIE in checksec's sense: `ET_DYN`.
    pub fn pie(&self) -> bool {
        self.et_dyn
    }

    /// checksec's RELRO: "full" (GNU_RELRO + BIND_NOW), "partial" (GNU_RELRO), "none".
    pub fn relro(&self) -> &'static str {
        match (self.gnu_relro, self.bind_now) {
            (true, true) => "full",
            (true, false) => "partial",
            _ => "none",
        }
    }
}

/// The NUL-terminated string at `off` in a string table, if it lies inside and is UTF-8.
fn dyn_string(strtab: &[u8], off: u64) -> Option<String> {
    let rest = strtab.get(usize::try_from(off).ok()?..)?;
    let end = memchr::memchr(0, rest)?;
    std::str::from_utf8(&rest[..end]).ok().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let mut l = ElfLinking {
            et_exec: true,
            ..Default::default()
        };
        assert_eq!(l.kind(), LinkKind::Static);
        l.interpreter = Some("/lib64/ld-linux-x86-64.so.2".into());
        assert_eq!(l.kind(), LinkKind::Dynamic);
        let l = ElfLinking {
            et_dyn: true,
            has_dynamic: true,
            df_1_pie: true,
            ..Default::default()
        };
        assert_eq!(l.kind(), LinkKind::StaticPie);
        let l = ElfLinking {
            et_dyn: true,
            needed: vec!["libc.so.6".into()],
            ..Default::default()
        };
        assert_eq!(l.kind(), LinkKind::Dynamic);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(ElfLinking::parse(b"\x7fELF").is_err());
    }
}
