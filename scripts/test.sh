#!/usr/bin/env bash
# The whole test suite, as CI runs it: install missing tools, build, test.
# Exits with cargo test's status; CI reads cargo test's own summary lines.

set -uo pipefail

cd "$(dirname "$0")/.."

scripts/setup.sh || exit $?
cargo build || exit $?
# --no-fail-fast: one failing test file must not hide the results of the others.
cargo test --all-targets --no-fail-fast
