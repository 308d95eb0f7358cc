#!/usr/bin/env bash
# Reproduces the figures in docs/benchmarks.md. Needs hyperfine and GNU time
# (apt-get install hyperfine time) and the machine's `go`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
out=target/bench; mkdir -p "$out"
if [ ! -f "$out/bigbin" ]; then
  # 72 MiB of incompressible data keeps the binary near 100 MB without a long compile.
  head -c $((72 * 1024 * 1024)) /dev/urandom > bench/bigbin/blob
  (cd bench/bigbin && go build -o "../../$out/bigbin" .)
  rm -f bench/bigbin/blob
fi
go_tool() { go env GOROOT; }
compile="$(go env GOROOT)/pkg/tool/$(go env GOOS)_$(go env GOARCH)/compile"
ga=target/release/goaudit
echo "## audit vs go version -m: $compile"
hyperfine -N -w 5 -r 50 "$ga $compile" "go version -m $compile"
for bin in "$compile" target/testbins/promserver-default "$out/bigbin"; do
  [ -f "$bin" ] || continue
  echo "## size: $bin ($(stat -c %s "$bin") bytes)"
  hyperfine -N -w 2 -r 10 "$ga size $bin" "go tool nm -size -sort size $bin"
  /usr/bin/time -f "goaudit size peak RSS %M KiB" "$ga" size "$bin" > /dev/null
  /usr/bin/time -f "go tool nm peak RSS %M KiB" go tool nm -size -sort size "$bin" > /dev/null
done

# The HTML treemap: page size and the time to the first treemap in headless Chromium
# (needs scripts/setup.sh's chromium and playwright-core).
if [ -x /usr/bin/chromium ] && [ -d target/browser/node_modules/playwright-core ]; then
  for bin in "$compile" target/testbins/promserver-default "$out/bigbin"; do
    [ -f "$bin" ] || continue
    "$ga" size --html "$out/report.html" "$bin" > /dev/null
    echo "## html: $bin: page $(stat -c %s "$out/report.html") bytes; ms to the first treemap:"
    for i in 1 2 3; do
      prof=$(mktemp -d)
      GOAUDIT_NODE_MODULES=target/browser/node_modules node tests/browser/treemap.mjs \
        "$out/report.html" "$out/report.png" "$prof" | grep -o '"readyMs":[0-9]*'
      rm -rf "$prof"
    done
  done
fi
