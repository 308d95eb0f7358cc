#!/usr/bin/env bash
# Build goaudit's Go test-binary matrix.
#
#   testbins/build.sh OUTDIR [GO]
#
# GO defaults to `go` on PATH. Every output is named <prog>-<variant> and listed in
# OUTDIR/manifest.tsv (name, flags, env, post) so the tests and docs/verdicts.md read
# the same matrix. Outputs newer than the sources and this script are kept, so a
# second run is fast; a different Go toolchain throws the whole matrix away.
#
# The script keeps going after a failed variant (e.g. promserver when the module
# proxy is unreachable, or the cgo variants without gcc), reports each failure on
# stderr and exits 1 at the end; the binaries that did build stay usable.

set -u -o pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 OUTDIR [GO]" >&2
	exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
GO=${2:-go}

if ! command -v "$GO" >/dev/null 2>&1; then
	echo "build.sh: Go toolchain '$GO' not found: install Go (https://go.dev/dl/) or put it on PATH" >&2
	exit 1
fi
GO=$(command -v "$GO")

# The testbins must not pick up the surrounding repository's VCS state, a user's
# GOFLAGS or a GOOS/GOARCH left in the environment: each variant states all it needs.
unset GOOS GOARCH GOFLAGS CGO_ENABLED GOAMD64 GOEXPERIMENT CGO_CFLAGS CGO_LDFLAGS
export GOFLAGS=-buildvcs=false
# Never switch toolchains behind the caller's back: the tests compare against `go env GOVERSION`.
export GOTOOLCHAIN=local

goversion=$("$GO" env GOVERSION) || {
	echo "build.sh: '$GO env GOVERSION' failed" >&2
	exit 1
}
if [ "$(cat "$out/.goversion" 2>/dev/null)" != "$goversion $GO" ]; then
	find "$out" -mindepth 1 -maxdepth 1 ! -name '.lock' -exec rm -rf {} +
	printf '%s\n' "$goversion $GO" >"$out/.goversion"
fi

# The newest of the sources and this script: an output older than this is stale.
stamp="$out/.sources-stamp"
newest=$(find "$here" -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -name 'build.sh' \) -printf '%T@ %p\n' | sort -n | tail -1 | cut -d' ' -f2-)
touch -r "$newest" "$stamp"

failed=()
native_cgo=$("$GO" env CGO_ENABLED)
manifest="$out/manifest.tsv.tmp"
printf 'name\tflags\tenv\tpost\n' >"$manifest"

# Shell-style quoting for the manifest, so `-ldflags=-s -w` reads as one argument.
quote_args() {
	local a sep=""
	for a in "$@"; do
		case $a in
		*" "*) printf "%s'%s'" "$sep" "$a" ;;
		*) printf '%s%s' "$sep" "$a" ;;
		esac
		sep=" "
	done
}

fresh() {
	[ -f "$out/$1" ] && [ "$out/$1" -nt "$stamp" ]
}

# build PROG NAME "ENV" FLAGS...
build() {
	local prog=$1 name=$2 envs=$3
	shift 3
	printf '%s\t%s\t%s\t%s\n' "$name" "$(quote_args "$@")" "$envs" "" >>"$manifest"
	fresh "$name" && return 0
	# Without a C compiler `go` silently turns cgo off, which would give the "default"
	# variants the wrong content under the right name.
	case " $envs " in
	*" CGO_ENABLED=0 "* | *" GOOS="*) ;;
	*)
		if [ "$native_cgo" != 1 ]; then
			echo "build.sh: FAILED: $name: cgo is unavailable (go env CGO_ENABLED=$native_cgo): install gcc (apt-get install gcc)" >&2
			failed+=("$name")
			return 0
		fi
		;;
	esac
	echo "build.sh: building $name" >&2
	# Write to a temporary name so that an interrupted build never looks fresh.
	if (cd "$here/$prog" && env $envs "$GO" build -buildvcs=false "$@" -o "$out/$name.tmp" .); then
		mv -f "$out/$name.tmp" "$out/$name"
	else
		rm -f "$out/$name.tmp"
		echo "build.sh: FAILED: $name ($envs go build $*)" >&2
		failed+=("$name")
	fi
}

# stripped SRC NAME: `strip --strip-all` copy of an already built variant.
stripped() {
	local src=$1 name=$2
	local line
	line=$(awk -F'\t' -v n="$src" '$1 == n { print $2 "\t" $3 }' "$manifest")
	printf '%s\t%s\t%s\n' "$name" "$line" "strip --strip-all" >>"$manifest"
	fresh "$name" && [ "$out/$name" -nt "$out/$src" ] && return 0
	if [ ! -f "$out/$src" ]; then
		failed+=("$name")
		return 0
	fi
	if ! command -v strip >/dev/null 2>&1; then
		echo "build.sh: FAILED: $name: strip not found: install binutils (apt-get install binutils)" >&2
		failed+=("$name")
		return 0
	fi
	echo "build.sh: stripping $src -> $name" >&2
	if strip --strip-all -o "$out/$name.tmp" "$out/$src"; then
		touch "$out/$name.tmp"
		mv -f "$out/$name.tmp" "$out/$name"
	else
		rm -f "$out/$name.tmp"
		echo "build.sh: FAILED: $name (strip --strip-all $src)" >&2
		failed+=("$name")
	fi
}

# packed SRC NAME: `upx` copy of an already built variant (goaudit must recognise it
# and say the Go metadata is hidden).
packed() {
	local src=$1 name=$2
	local line
	line=$(awk -F'\t' -v n="$src" '$1 == n { print $2 "\t" $3 }' "$manifest")
	printf '%s\t%s\t%s\n' "$name" "$line" "upx" >>"$manifest"
	fresh "$name" && [ "$out/$name" -nt "$out/$src" ] && return 0
	if [ ! -f "$out/$src" ]; then
		failed+=("$name")
		return 0
	fi
	if ! command -v upx >/dev/null 2>&1; then
		echo "build.sh: FAILED: $name: upx not found: run scripts/setup.sh (Debian: upx-ucl from bookworm-backports)" >&2
		failed+=("$name")
		return 0
	fi
	echo "build.sh: packing $src -> $name" >&2
	rm -f "$out/$name.tmp"
	if upx -q -q -o "$out/$name.tmp" "$out/$src" >/dev/null; then
		# upx copies the input's timestamp onto its output, which would make the copy
		# look no newer than its source and be rebuilt on every run.
		touch "$out/$name.tmp"
		mv -f "$out/$name.tmp" "$out/$name"
	else
		rm -f "$out/$name.tmp"
		echo "build.sh: FAILED: $name (upx $src)" >&2
		failed+=("$name")
	fi
}

# vcs_build PROG NAME: built from a copy of the sources inside a fresh git repository
# with one commit and then an uncommitted change, so buildinfo carries vcs.* lines
# with vcs.modified=true.
vcs_build() {
	local prog=$1 name=$2
	printf '%s\t%s\t%s\t%s\n' "$name" "-buildvcs=true" "CGO_ENABLED=0" "git repo, 1 commit, dirty tree" >>"$manifest"
	fresh "$name" && return 0
	if ! command -v git >/dev/null 2>&1; then
		echo "build.sh: FAILED: $name: git not found: install git (apt-get install git)" >&2
		failed+=("$name")
		return 0
	fi
	echo "build.sh: building $name" >&2
	local src="$out/.src-$name"
	rm -rf "$src"
	mkdir -p "$src"
	cp "$here/$prog"/*.go "$here/$prog/go.mod" "$src/"
	[ -f "$here/$prog/go.sum" ] && cp "$here/$prog/go.sum" "$src/"
	# A fixed identity and date keep the stamp reproducible and need no git config.
	if (cd "$src" &&
		git init -q . &&
		git add . &&
		GIT_AUTHOR_DATE=2024-01-02T03:04:05Z GIT_COMMITTER_DATE=2024-01-02T03:04:05Z \
			git -c user.name=goaudit-tests -c user.email=tests@goaudit.invalid \
			-c commit.gpgsign=false commit -q -m "testbin" &&
		echo "// uncommitted change" >>main.go &&
		CGO_ENABLED=0 "$GO" build -buildvcs=true -o "$out/$name.tmp" .); then
		mv -f "$out/$name.tmp" "$out/$name"
	else
		rm -f "$out/$name.tmp"
		echo "build.sh: FAILED: $name (vcs build)" >&2
		failed+=("$name")
	fi
}

# ---- netuser: the full matrix -------------------------------------------------------
build netuser netuser-default ""
build netuser netuser-cgo0 "CGO_ENABLED=0"
build netuser netuser-netgo "CGO_ENABLED=1" -tags netgo
build netuser netuser-osusergo "CGO_ENABLED=1" -tags osusergo
build netuser netuser-netgo-osusergo "CGO_ENABLED=1" -tags netgo,osusergo
build netuser netuser-cgo0-trimpath-sw "CGO_ENABLED=0" -trimpath "-ldflags=-s -w"
build netuser netuser-s "" -ldflags=-s
build netuser netuser-w "" -ldflags=-w
build netuser netuser-pie-cgo0 "CGO_ENABLED=0" -buildmode=pie
build netuser netuser-pie-cgo1 "CGO_ENABLED=1" -buildmode=pie
build netuser netuser-extstatic "CGO_ENABLED=1" "-ldflags=-linkmode=external -extldflags=-static"
build netuser netuser-race "" -race
stripped netuser-cgo0 netuser-cgo0-stripped
stripped netuser-default netuser-default-stripped
packed netuser-cgo0-trimpath-sw netuser-cgo0-trimpath-sw-upx
vcs_build netuser netuser-vcs
build netuser netuser-darwin-arm64 "CGO_ENABLED=0 GOOS=darwin GOARCH=arm64"
build netuser netuser-windows-amd64.exe "CGO_ENABLED=0 GOOS=windows GOARCH=amd64"

# ---- httpserver: a plain net/http server (no explicit lookups, no os/user) ----------
# darwin resolves through libc without cgo; -tags netgo is the pure-Go contrast.
build httpserver httpserver-cgo0 "CGO_ENABLED=0"
build httpserver httpserver-darwin-arm64 "CGO_ENABLED=0 GOOS=darwin GOARCH=arm64"
build httpserver httpserver-darwin-arm64-netgo "CGO_ENABLED=0 GOOS=darwin GOARCH=arm64" -tags netgo

# ---- hello: the control case --------------------------------------------------------
build hello hello-default ""
build hello hello-cgo0 "CGO_ENABLED=0"

# ---- promserver: real third-party modules (needs the module cache or proxy) ----------
build promserver promserver-default ""
build promserver promserver-cgo0-trimpath-sw "CGO_ENABLED=0" -trimpath "-ldflags=-s -w"

# ---- depdiff: two builds that differ by one dependency (goaudit diff) ---------------
build depdiff depdiff-base "CGO_ENABLED=0" -trimpath
build depdiff depdiff-extra "CGO_ENABLED=0" -trimpath -tags extra

mv -f "$manifest" "$out/manifest.tsv"

if [ ${#failed[@]} -gt 0 ]; then
	echo "build.sh: ${#failed[@]} variant(s) failed: ${failed[*]}" >&2
	command -v gcc >/dev/null 2>&1 || echo "build.sh: gcc not found: cgo variants need it (apt-get install gcc)" >&2
	exit 1
fi
exit 0
