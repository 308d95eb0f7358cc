#!/usr/bin/env bash
# Run a fuzz campaign on one target:  scripts/fuzz.sh [-a] TARGET [SECONDS]
#
#   -a        build with debug assertions and overflow checks (cargo fuzz run -a)
#   TARGET    one of the files in fuzz/fuzz_targets/ (without .rs); `list` lists them
#   SECONDS   campaign length (default 300)
#
# Seeds are built from the Go test binaries (testbins/build.sh) and image fixtures into
# fuzz/corpus/TARGET the first time (scripts/fuzz-seeds.sh); fuzz/seeds/TARGET and
# fuzz/regressions/TARGET are read too. One job, one worker: the machine is shared.
# Crashes land in fuzz/artifacts/TARGET/; minimise one with
#   cargo +nightly fuzz tmin TARGET fuzz/artifacts/TARGET/crash-...
# and commit it under fuzz/regressions/TARGET/ so tests/fuzz_replay.rs replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

assertions=()
if [[ "${1:-}" == "-a" ]]; then
    assertions=(-a)
    shift
fi
target="${1:-}"
seconds="${2:-300}"
if [[ -z "$target" || "$target" == "-h" || "$target" == "--help" ]]; then
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
if [[ "$target" == "list" ]]; then
    ls fuzz/fuzz_targets | sed 's/\.rs$//'
    exit 0
fi
if [[ ! -f "fuzz/fuzz_targets/$target.rs" ]]; then
    echo "fuzz.sh: no target '$target'; targets: $(ls fuzz/fuzz_targets | sed 's/\.rs$//' | tr '\n' ' ')" >&2
    exit 2
fi
if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz.sh: cargo-fuzz needs a nightly Rust toolchain: rustup toolchain install nightly" >&2
    exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
    exit 2
fi
if [[ ! -d "fuzz/corpus/$target" ]]; then
    scripts/fuzz-seeds.sh
fi
dirs=("fuzz/corpus/$target")
for d in "fuzz/seeds/$target" "fuzz/regressions/$target"; do
    [[ -d "$d" ]] && dirs+=("$d")
done
log="fuzz/fuzz-$target.log"
echo "fuzz.sh: $target for ${seconds}s${assertions:+ with debug assertions}; log in $log" >&2
# -jobs=1 runs one worker process whose output goes to fuzz-0.log in the current
# directory; run from fuzz/ so the log stays there.
set +e
cargo +nightly fuzz run --fuzz-dir fuzz "${assertions[@]}" "$target" "${dirs[@]}" -- \
    -max_total_time="$seconds" -jobs=1 -workers=1 -rss_limit_mb=2048 -timeout=20 \
    -print_final_stats=1 >"$log" 2>&1
status=$?
set -e
[[ -f fuzz-0.log ]] && cat fuzz-0.log >>"$log" && rm -f fuzz-0.log
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
echo "fuzz.sh: $target: ${runs:-?} executions, ${rate:-?}/s, exit $status" >&2
if ls "fuzz/artifacts/$target"/crash-* "fuzz/artifacts/$target"/oom-* "fuzz/artifacts/$target"/timeout-* >/dev/null 2>&1; then
    echo "fuzz.sh: findings in fuzz/artifacts/$target/:" >&2
    ls -1 "fuzz/artifacts/$target" >&2
fi
exit $status
