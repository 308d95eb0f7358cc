//! Findings: facts about an artifact that a user may want to act on.
//!
//! Each has a stable kebab-case [`Code`]. Codes are public API: `goaudit check` rules,
//! JSON consumers and docs refer to them, so a code is never renamed or reused.

use serde::Serialize;

/// Stable finding identifiers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Code {
    /// The binary needs a dynamic loader or shared libraries.
    DynamicLink,
    /// runtime/cgo (and so a C toolchain's output) is linked in.
    CgoLinked,
    /// The cgo DNS resolver (libc getaddrinfo) is compiled in.
    CgoResolver,
    /// os/user is implemented through libc (getpwuid_r).
    CgoOsUser,
    /// The static symbol table is present (`-s` not given, not stripped).
    SymtabPresent,
    /// DWARF debug info is present (`-w` not given, not stripped).
    DwarfPresent,
    /// Built without `-trimpath`: absolute build paths are embedded.
    NoTrimpath,
    /// Built from a VCS tree with uncommitted changes.
    VcsDirty,
    /// The file is packed with UPX.
    UpxPacked,
    /// The file references `/nix/store` paths.
    NixStoreRef,
    /// The file exceeds its size budget.
    SizeBudget,
    /// The file grew past its allowed growth against the baseline.
    SizeGrowth,
    /// A module exceeds its per-module budget.
    ModuleBudget,
    /// A per-module budget names a module the binary does not contain (a typo, or a
    /// dependency that is gone).
    ModuleBudgetUnmatched,
    /// An image ships libc and its closure because a Go binary is dynamically linked.
    CgoLibcClosure,
    /// An image config (Cmd, Entrypoint, Env) pulls in store paths its contents do not.
    ConfigReferencesExtraClosure,
    /// An image holds two Go binaries built from the same main module.
    DuplicateGoMainModule,
    /// A Go binary in an image keeps its symbol table or DWARF.
    SymbolsNotStripped,
    /// A Go toolchain (GOROOT tree) ships in a runtime image.
    GoToolchain,
    /// The image's entrypoint cannot start: missing, or its loader or a library is
    /// absent, or it is built for another architecture.
    ImageCannotStart,
    /// An image ships more wasted bytes (content a later layer overwrote or deleted)
    /// than its budget allows.
    WastedBudget,
    /// An image's efficiency (visible bytes over content bytes) is under its budget's
    /// minimum.
    EfficiencyBudget,
}

impl Code {
    /// Every code, in documentation order.
    pub const ALL: &'static [Code] = &[
        Code::DynamicLink,
        Code::CgoLinked,
        Code::CgoResolver,
        Code::CgoOsUser,
        Code::SymtabPresent,
        Code::DwarfPresent,
        Code::NoTrimpath,
        Code::VcsDirty,
        Code::UpxPacked,
        Code::NixStoreRef,
        Code::SizeBudget,
        Code::SizeGrowth,
        Code::ModuleBudget,
        Code::ModuleBudgetUnmatched,
        Code::CgoLibcClosure,
        Code::ConfigReferencesExtraClosure,
        Code::DuplicateGoMainModule,
        Code::SymbolsNotStripped,
        Code::GoToolchain,
        Code::ImageCannotStart,
        Code::WastedBudget,
        Code::EfficiencyBudget,
    ];

    /// Whether the finding describes a container image rather than one binary.
    pub fn is_image_only(self) -> bool {
        matches!(
            self,
            Code::CgoLibcClosure
                | Code::ConfigReferencesExtraClosure
                | Code::DuplicateGoMainModule
                | Code::SymbolsNotStripped
                | Code::GoToolchain
                | Code::ImageCannotStart
                | Code::WastedBudget
                | Code::EfficiencyBudget
        )
    }

    /// Whether the rule reads the program's own facts (linking, cgo, debug state, VCS
    /// stamp, strings), which a packed binary hides until it is unpacked.
    pub fn reads_program(self) -> bool {
        matches!(
            self,
            Code::DynamicLink
                | Code::CgoLinked
                | Code::CgoResolver
                | Code::CgoOsUser
                | Code::SymtabPresent
                | Code::DwarfPresent
                | Code::NoTrimpath
                | Code::VcsDirty
                | Code::NixStoreRef
        )
    }

    /// The kebab-case id.
    pub fn id(self) -> &'static str {
        match self {
            Code::DynamicLink => "dynamic-link",
            Code::CgoLinked => "cgo-linked",
            Code::CgoResolver => "cgo-resolver",
            Code::CgoOsUser => "cgo-os-user",
            Code::SymtabPresent => "symtab-present",
            Code::DwarfPresent => "dwarf-present",
            Code::NoTrimpath => "no-trimpath",
            Code::VcsDirty => "vcs-dirty",
            Code::UpxPacked => "upx-packed",
            Code::NixStoreRef => "nix-store-ref",
            Code::SizeBudget => "size-budget",
            Code::SizeGrowth => "size-growth",
            Code::ModuleBudget => "module-budget",
            Code::ModuleBudgetUnmatched => "module-budget-unmatched",
            Code::CgoLibcClosure => "cgo-libc-closure",
            Code::ConfigReferencesExtraClosure => "config-references-extra-closure",
            Code::DuplicateGoMainModule => "duplicate-go-main-module",
            Code::SymbolsNotStripped => "symbols-not-stripped",
            Code::GoToolchain => "go-toolchain",
            Code::ImageCannotStart => "image-cannot-start",
            Code::WastedBudget => "wasted-budget",
            Code::EfficiencyBudget => "efficiency-budget",
        }
    }

    /// Parse a kebab-case id.
    pub fn from_id(id: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.id() == id)
    }

    /// One-line description, used in SARIF rules and docs.
    pub fn description(self) -> &'static str {
        match self {
            Code::DynamicLink => {
                "the binary needs a dynamic loader or shared libraries at run time"
            }
            Code::CgoLinked => {
                "runtime/cgo is linked: the binary contains C code and usually needs libc"
            }
            Code::CgoResolver => "the cgo DNS resolver (libc getaddrinfo) is compiled in",
            Code::CgoOsUser => "os/user looks users up through libc (getpwuid_r)",
            Code::SymtabPresent => {
                "the static symbol table is present (build with -ldflags=-s or strip)"
            }
            Code::DwarfPresent => "DWARF debug info is present (build with -ldflags=-w or strip)",
            Code::NoTrimpath => "absolute build paths are embedded (build with -trimpath)",
            Code::VcsDirty => "built from a working tree with uncommitted changes",
            Code::UpxPacked => "the binary is packed with UPX",
            Code::NixStoreRef => "the binary references /nix/store paths",
            Code::SizeBudget => "the file is larger than its size budget",
            Code::SizeGrowth => "the file grew more than allowed against the baseline",
            Code::ModuleBudget => "a module is larger than its budget",
            Code::ModuleBudgetUnmatched => {
                "a module budget names a module that is not in the binary"
            }
            Code::CgoLibcClosure => {
                "an image ships libc and its closure because a Go binary is dynamically linked"
            }
            Code::ConfigReferencesExtraClosure => {
                "the image config references store paths that the image contents do not"
            }
            Code::DuplicateGoMainModule => {
                "the image holds two Go binaries built from the same main module"
            }
            Code::SymbolsNotStripped => {
                "a Go binary in the image keeps its symbol table or DWARF (build with -ldflags='-s -w')"
            }
            Code::GoToolchain => {
                "a Go toolchain (GOROOT tree) ships in the runtime image (use a multi-stage build)"
            }
            Code::ImageCannotStart => {
                "the image's entrypoint is missing, lacks its loader or a library, or is built for another architecture"
            }
            Code::WastedBudget => {
                "the image ships more overwritten or deleted bytes than its budget allows"
            }
            Code::EfficiencyBudget => {
                "the image's efficiency (visible bytes / content bytes) is under its budget's minimum"
            }
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// One finding about one artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable id.
    pub id: Code,
    /// Human sentence: what was found, with the evidence.
    pub message: String,
    /// Bytes that removing the cause would save, when measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saving: Option<u64>,
}

impl Finding {
    /// A finding with no measured saving.
    pub fn new(id: Code, message: impl Into<String>) -> Self {
        Finding {
            id,
            message: message.into(),
            saving: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_match_serde() {
        for &c in Code::ALL {
            assert_eq!(Code::from_id(c.id()), Some(c));
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.id())
            );
        }
    }
}
