#!/usr/bin/env bash
# Build the corpus of real Go binaries of many Go versions (and ELF, Mach-O, PE) that
# tests/pclntab.rs checks goaudit's pclntab reader against.
#
# Output: target/corpus/<goversion>/<source-name>[.exe], plus target/corpus/MANIFEST.tsv
# (goversion, format, arch, source, path relative to target/corpus). Idempotent: what is
# already there is not fetched again, so tests and scripts/test.sh may call it freely.
#
# Sources, all through the ordinary clients of the package registries configured on this
# machine (no host names here):
#   * Go 1.21+: toolchain modules (golang.org/toolchain), via `go` itself.
#   * Go 1.13-1.20: esbuild's per-platform npm packages, built with the Go of their day.
#   * Go 1.12: lefthook 0.6.3's npm package (linux, macOS and Windows builds).
# Total download stays around 260 MB.
#
# Usage: scripts/corpus.sh [--quiet]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/target/corpus"
cache="$out/.cache"
mkdir -p "$out" "$cache"
quiet=${1:-}

# Several test binaries run this at once; one runs, the others wait and then find the
# corpus complete. Readers must never see a half-copied file, hence the lock and the
# copy-then-rename in place().
exec 9>"$out/.lock"
flock 9

say() { [ "$quiet" = "--quiet" ] || echo "corpus: $*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || { echo "corpus: '$1' is required: $2" >&2; exit 2; }; }
need go "install Go (https://go.dev/dl) and put it on PATH"
need npm "apt-get install -y npm"
need tar "apt-get install -y tar"

# Place one binary under target/corpus/<goversion>/<name>; the Go version is what the
# binary's own buildinfo says, which is how the docs table was checked.
# Go 1.12 wrote no buildinfo header, so `go version` cannot read such a binary; its
# version is then given (the 4th argument) and must appear in the file as the runtime's
# own version string.
place() { # src name source-label [goversion]
    local src=$1 name=$2 label=$3 gv=${4:-} fmt arch
    if [ -n "$gv" ]; then
        grep -qaF "$gv" "$src" || { echo "corpus: $src: no $gv version string in it" >&2; return 1; }
    else
        gv=$(go version "$src" 2>/dev/null | awk '{print $2}')
    fi
    [ -n "$gv" ] || { echo "corpus: $src: go version cannot read it" >&2; return 1; }
    mkdir -p "$out/$gv"
    if ! cmp -s "$src" "$out/$gv/$name"; then
        cp -f "$src" "$out/$gv/$name.tmp"
        chmod u+w "$out/$gv/$name.tmp"
        mv -f "$out/$gv/$name.tmp" "$out/$gv/$name"
    fi
    fmt=$(head -c 4 "$src" | od -An -tx1 | tr -d ' \n')
    case "$fmt" in
        7f454c46) fmt=elf ;;
        cffaedfe|cefaedfe) fmt=macho ;;
        4d5a*) fmt=pe ;;
        *) fmt=unknown ;;
    esac
    arch=$(file -b "$src" 2>/dev/null | sed 's/, flags:.*//; s/ (stripped to external PDB)//; s/ (console)//' | cut -d, -f1-2 | tr -s ' ' || true)
    printf '%s\t%s\t%s\t%s\t%s\n' "$gv" "$fmt" "$arch" "$label" "$gv/$name" >>"$out/MANIFEST.tsv.new"
}

: >"$out/MANIFEST.tsv.new"

# --- esbuild npm packages: Go 1.13 .. 1.20 ---------------------------------------------
# package@version, chosen (by `go version` on the binary) to cover every pclntab format.
esbuild_pkgs=(
    esbuild-linux-64@0.0.16      # go1.13.8  V12
    esbuild-linux-64@0.2.0       # go1.14.2  V12
    esbuild-linux-64@0.7.0       # go1.15    V12
    esbuild-linux-32@0.7.20      # go1.15    V12, 386
    esbuild-darwin-64@0.1.26     # V12 Mach-O
    esbuild-windows-64@0.5.19    # V12 PE
    esbuild-linux-64@0.8.50      # go1.16    V116
    esbuild-darwin-64@0.11.11    # V116 Mach-O
    esbuild-windows-64@0.12.1    # V116 PE
    esbuild-linux-64@0.13.0      # go1.17.1  V116
    esbuild-windows-32@0.13.0    # go1.17.1  V116, PE 386
    esbuild-linux-arm@0.13.0     # V116, arm
    esbuild-linux-64@0.14.30     # go1.18    V118
    esbuild-linux-arm64@0.14.30  # go1.18    V118, arm64
    esbuild-darwin-arm64@0.15.0  # go1.19    V118 Mach-O arm64
    @esbuild/linux-x64@0.17.0    # go1.19.4  V118
    @esbuild/linux-x64@0.18.0    # go1.20.5  V120
    @esbuild/win32-x64@0.18.0    # go1.20.5  V120 PE
    @esbuild/darwin-x64@0.18.0   # go1.20.5  V120 Mach-O
    @esbuild/win32-x64@0.23.0    # go1.22.4  V120 PE
    @esbuild/darwin-arm64@0.23.0 # go1.22.4  V120 Mach-O arm64
)
# npm_unpack PKG@VERSION: the package unpacked under the cache (once); prints its dir.
npm_unpack() {
    local pv=$1 d
    d="$cache/npm/$(echo "$pv" | tr '/@' '__')"
    if [ ! -d "$d/package" ]; then
        say "npm pack $pv"
        rm -rf "$d.tmp" && mkdir -p "$d.tmp"
        (cd "$d.tmp" && npm pack --silent "$pv" >/dev/null && tar xzf ./*.tgz && rm -f ./*.tgz)
        rm -rf "$d" && mv "$d.tmp" "$d"
    fi
    echo "$d"
}

for pv in "${esbuild_pkgs[@]}"; do
    d=$(npm_unpack "$pv")
    bin=$(find "$d/package" -type f \( -name esbuild -o -name esbuild.exe \) | head -n1)
    [ -n "$bin" ] || { echo "corpus: $pv: no esbuild binary in the package" >&2; exit 1; }
    name=$(echo "$pv" | sed 's/^@//; s#/#-#; s/@/-/')
    case "$bin" in *.exe) name="$name.exe" ;; esac
    place "$bin" "$name" "npm $pv"
done

# --- lefthook 0.6.3 (npm @arkweid/lefthook): Go 1.12 ----------------------------------------
# One package holds the linux, macOS and Windows builds, made with go1.12.6.
pv=@arkweid/lefthook@0.6.3
d=$(npm_unpack "$pv")
for b in lefthook-linux lefthook-mac lefthook-win.exe; do
    [ -f "$d/package/bin/$b" ] || { echo "corpus: $pv: no bin/$b in the package" >&2; exit 1; }
    place "$d/package/bin/$b" "lefthook-0.6.3-${b#lefthook-}" "npm $pv" go1.12.6
done

# --- Go toolchain modules: Go 1.21+ -------------------------------------------------------
# The module zip is the whole toolchain; a few small programs from it are enough. Only
# linux-amd64 toolchain modules are served to this machine (other platforms answer 403),
# so Mach-O and PE of Go 1.21+ come from esbuild above and from cross-compiles in tests.
gomodcache=$(go env GOMODCACHE)
toolchains=(
    go1.21.0.linux-amd64
    go1.22.0.linux-amd64
    go1.24.0.linux-amd64
)
for tc in "${toolchains[@]}"; do
    dir="$gomodcache/golang.org/toolchain@v0.0.1-$tc"
    if [ ! -d "$dir" ]; then
        say "go mod download golang.org/toolchain@v0.0.1-$tc"
        # Outside any module, with the toolchain switch off, so only this download happens.
        (cd "$cache" && GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download golang.org/toolchain@v0.0.1-"$tc" >/dev/null)
    fi
    goos_arch=${tc#*.*.*.}     # linux-amd64
    goos_arch=${goos_arch/-/_} # linux_amd64
    exe=""
    case "$tc" in *windows*) exe=.exe ;; esac
    for rel in "bin/gofmt$exe" "pkg/tool/$goos_arch/addr2line$exe" "pkg/tool/$goos_arch/nm$exe"; do
        [ -f "$dir/$rel" ] || { echo "corpus: $dir/$rel missing" >&2; exit 1; }
        base=$(basename "$rel" "$exe")
        place "$dir/$rel" "toolchain-$tc-$base$exe" "go toolchain module $tc"
    done
done

sort -u "$out/MANIFEST.tsv.new" >"$out/MANIFEST.tsv.tmp" && mv -f "$out/MANIFEST.tsv.tmp" "$out/MANIFEST.tsv"
rm -f "$out/MANIFEST.tsv.new"
say "$(wc -l <"$out/MANIFEST.tsv") binaries in $out (MANIFEST.tsv)"
