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
