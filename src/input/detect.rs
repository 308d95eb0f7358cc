//! Content sniffing: what a file is, from its first bytes, never from its name.

use std::path::Path;

/// What a file looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// ELF executable or shared object.
    Elf,
    /// Mach-O (thin).
    MachO,
    /// Mach-O universal (fat) binary.
    MachOFat,
    /// PE/COFF executable.
    Pe,
    /// A tar archive (docker-archive, OCI archive, Nix image).
    Tar,
    /// gzip-compressed data.
    Gzip,
    /// zstd-compressed data.
    Zstd,
    /// Anything else.
    Unknown,
}

/// Classify by magic bytes.
pub fn sniff(b: &[u8]) -> InputKind {
    if b.starts_with(b"\x7fELF") {
        return InputKind::Elf;
    }
    if b.len() >= 4 {
        let be = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        match be {
            0xfeedface | 0xfeedfacf | 0xcefaedfe | 0xcffaedfe => return InputKind::MachO,
            // 0xcafebabe is also a Java class file; a fat header's arch count is small,
            // a class file's version word is not.
            0xcafebabe | 0xcafebabf if b.len() >= 8 => {
                let n = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
                if n > 0 && n < 32 {
                    return InputKind::MachOFat;
                }
            }
            _ => {}
        }
    }
    if b.starts_with(b"MZ") && b.len() >= 0x40 {
        let off = u32::from_le_bytes([b[0x3c], b[0x3d], b[0x3e], b[0x3f]]) as usize;
        if b.get(off..off.saturating_add(4)) == Some(b"PE\0\0") {
            return InputKind::Pe;
        }
    }
    if b.starts_with(&[0x1f, 0x8b]) {
        return InputKind::Gzip;
    }
    if b.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return InputKind::Zstd;
    }
    if b.len() >= 262 && &b[257..262] == b"ustar" {
        return InputKind::Tar;
    }
    InputKind::Unknown
}

/// UPX leaves `UPX!` near the start (after the program headers) and again near the end,
/// and strips the section header table.
pub fn is_upx_packed(b: &[u8]) -> bool {
    let head = &b[..b.len().min(4096)];
    let tail = &b[b.len().saturating_sub(4096)..];
    memchr::memmem::find(head, b"UPX!").is_some() && memchr::memmem::find(tail, b"UPX!").is_some()
}

/// An OCI image layout directory has an `oci-layout` file and an `index.json`.
pub fn is_oci_layout(dir: &Path) -> bool {
    dir.join("oci-layout").is_file() && dir.join("index.json").is_file()
}

/// skopeo's `dir:` layout: a `version` file reading `Directory Transport Version: ...`
/// and a `manifest.json`.
pub fn is_skopeo_dir(dir: &Path) -> bool {
    use std::io::Read;
    const MAGIC: &[u8] = b"Directory Transport Version:";
    let mut head = [0u8; MAGIC.len()];
    dir.join("manifest.json").is_file()
        && std::fs::File::open(dir.join("version"))
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok()
        && head == MAGIC
}

/// A directory that is one container image: an OCI layout or a skopeo `dir:` layout.
pub fn is_image_dir(dir: &Path) -> bool {
    is_oci_layout(dir) || is_skopeo_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs() {
        assert_eq!(sniff(b"\x7fELF\x02\x01"), InputKind::Elf);
        assert_eq!(
            sniff(&[0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]),
            InputKind::MachO
        );
        assert_eq!(
            sniff(&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]),
            InputKind::MachOFat
        );
        assert_eq!(
            sniff(&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52]),
            InputKind::Unknown
        );
        assert_eq!(sniff(&[0x1f, 0x8b, 8]), InputKind::Gzip);
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd]), InputKind::Zstd);
        assert_eq!(sniff(b""), InputKind::Unknown);
        let mut pe = vec![0u8; 0x100];
        pe[0] = b'M';
        pe[1] = b'Z';
        pe[0x3c] = 0x80;
        pe[0x80..0x84].copy_from_slice(b"PE\0\0");
        assert_eq!(sniff(&pe), InputKind::Pe);
        pe[0x3c] = 0xff; // e_lfanew past the end
        pe[0x3d] = 0xff;
        assert_eq!(sniff(&pe), InputKind::Unknown);
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(sniff(&tar), InputKind::Tar);
    }
}
