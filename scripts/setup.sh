#!/usr/bin/env bash
# Install what goaudit's test suite needs, when it is missing. Idempotent: on a machine
# that has everything it changes nothing and touches no network.
#
# Needs root (or sudo) only when something has to be installed. Debian/Ubuntu (apt).
# The Go toolchain and Rust are prerequisites, not installed here.

set -euo pipefail

cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then
	SUDO="sudo"
fi

missing_pkgs=()
need_backports=0
apt_updated=0

log() { echo "setup.sh: $*" >&2; }

# want CMD PACKAGE: queue PACKAGE when CMD is not on PATH.
want() {
	if ! command -v "$1" >/dev/null 2>&1; then
		log "$1 missing -> $2"
		missing_pkgs+=("$2")
	fi
}

apt_update_once() {
	if [ "$apt_updated" = 0 ]; then
		$SUDO apt-get update -q
		apt_updated=1
	fi
}

# The Debian mirror this machine already uses, from its own apt sources (deb822
# `URIs:` or one-line `deb URI suite ...`), so no host name is written into the project.
debian_mirror() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
		if [ -n "$uri" ]; then
			echo "$uri"
			return 0
		fi
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { if ($i !~ /security/) { print $i; exit } else break } }' "$f")
		if [ -n "$uri" ]; then
			echo "$uri"
			return 0
		fi
	done
	return 1
}

codename() {
	. /etc/os-release
	echo "${VERSION_CODENAME:-bookworm}"
}

have_suite() {
	grep -rqsE "(^Suites:.*[[:space:]]$1([[:space:]]|\$))|(^deb[[:space:]].*[[:space:]]$1[[:space:]])" \
		/etc/apt/sources.list /etc/apt/sources.list.d/
}

ensure_backports() {
	local suite mirror
	suite="$(codename)-backports"
	if have_suite "$suite"; then
		return 0
	fi
	mirror=$(debian_mirror) || {
		log "cannot find the Debian mirror in /etc/apt/sources*; add $suite by hand"
		return 1
	}
	log "adding $suite from $mirror"
	printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$mirror" "$suite" | $SUDO tee /etc/apt/sources.list.d/goaudit-backports.sources >/dev/null
	apt_updated=0
}

# ---- tools the tests need -------------------------------------------------------------
want gcc gcc          # cgo variants of the test binaries
want strip binutils   # stripped variants, shrink
want git git          # the vcs-stamped variant
want umoci umoci      # image fixtures (OCI layouts)
want skopeo skopeo    # image fixtures (docker-archive <-> OCI)
if ! command -v upx >/dev/null 2>&1; then
	log "upx missing -> upx-ucl (from backports)"
	need_backports=1
fi

# ---- other engineers: add `want CMD PACKAGE` lines for your tools here ----------------
# (keep one line per tool, with a comment saying which tests need it)
want zstd zstd        # tests/image.rs: a zstd-compressed outer image archive
want groff groff-base # tests/completions.rs: the man page must be valid roff (groff -ww)
want chromium chromium  # tests/html.rs: the HTML treemap in headless Chromium
want node nodejs      # tests/html.rs: drives Chromium through playwright-core
want npm npm          # tests/html.rs: installs playwright-core into target/browser

# ---- end of the shared section --------------------------------------------------------

if [ ${#missing_pkgs[@]} -gt 0 ] || [ "$need_backports" = 1 ]; then
	if ! command -v apt-get >/dev/null 2>&1; then
		log "apt-get not found: install by hand: ${missing_pkgs[*]} $([ "$need_backports" = 1 ] && echo upx)"
		exit 1
	fi
	if [ -n "$SUDO" ] && ! command -v sudo >/dev/null 2>&1; then
		log "not root and no sudo: run as root to install ${missing_pkgs[*]} $([ "$need_backports" = 1 ] && echo upx-ucl)"
		exit 1
	fi
	if [ "$need_backports" = 1 ]; then
		ensure_backports
	fi
	apt_update_once
	if [ ${#missing_pkgs[@]} -gt 0 ]; then
		$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing_pkgs[@]}"
	fi
	if [ "$need_backports" = 1 ]; then
		$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			-t "$(codename)-backports" upx-ucl
	fi
fi

for t in go cargo; do
	if ! command -v "$t" >/dev/null 2>&1; then
		log "$t not found: install the Go toolchain and Rust (cargo) first"
		exit 1
	fi
done

# playwright-core for tests/html.rs (tests/browser/package.json), in target/browser.
if [ ! -d target/browser/node_modules/playwright-core ] ||
	! cmp -s tests/browser/package.json target/browser/package.json; then
	log "installing playwright-core into target/browser"
	mkdir -p target/browser
	cp tests/browser/package.json target/browser/package.json
	(cd target/browser && npm install --no-audit --no-fund --loglevel=error) || {
		log "npm install in target/browser failed: tests/html.rs needs playwright-core"
		exit 1
	}
fi

# Test corpus (owned by another engineer; optional until it exists).
if [ -x scripts/corpus.sh ]; then
	scripts/corpus.sh
elif [ -f scripts/corpus.sh ]; then
	bash scripts/corpus.sh
fi

log "ok"
