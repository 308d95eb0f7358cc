#!/usr/bin/env bash
# Build the fuzz seed corpora in fuzz/corpus/<target>/ from the Go test binaries
# (target/testbins, built by testbins/build.sh) and image fixtures assembled by
# goaudit::fuzzing::seeds, then add the hand-made seeds in fuzz/seeds/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
testbins="${GOAUDIT_TESTBINS:-target/testbins}"
if [[ ! -f "$testbins/hello-cgo0" ]]; then
    echo "fuzz-seeds.sh: no test binaries in $testbins; run testbins/build.sh first" >&2
    exit 2
fi
cargo run -q --example fuzz_seeds -- "$testbins" fuzz/corpus
for d in fuzz/seeds/*/; do
    [[ -d "$d" ]] || continue
    t=$(basename "$d")
    mkdir -p "fuzz/corpus/$t"
    cp -r "$d". "fuzz/corpus/$t/"
done
