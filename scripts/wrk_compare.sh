#!/usr/bin/env bash
# Throughput of the emulator against a bare hyper server, side by side, with wrk (issue 14).
#
# Builds (release) the `dbx-mock-server` binary and the `bare_hyper` bench of mock-server (a
# bare hyper HTTP/1.1 server answering the JSON and headers of token/list), starts both, and
# runs wrk against, in turn:
#   bare      the bare hyper server
#   token     the emulator, authenticated GET /api/2.0/token/list
#   unknown   the emulator, GET /nope (no auth, no state: ENDPOINT_NOT_FOUND)
# at 1 connection (wrk -t1 -c1) and at 64 connections (wrk -t2 -c64), then prints a table of
# req/s with each emulator figure as a ratio of the bare server's at the same concurrency.
# Phases are interleaved (bare, token, unknown per round) and repeated ROUNDS times. The table
# shows each figure's median over the rounds, and each ratio as the median of the per-round
# ratios (emulator / bare in the same round): on a shared virtual machine the speed of both
# drifts by ±20% within minutes, and a ratio taken within one round cancels most of that drift.
# Every request carries the same `Authorization` header, so both servers parse the same bytes.
#
# Usage: scripts/wrk_compare.sh            (from the repository root)
# Environment: DURATION (default 10s), ROUNDS (default 3), PORT_BARE (18179), PORT_EMU (18178),
#              NO_BUILD=1 to reuse the binaries already built.
# Run it on an idle machine: both servers and wrk share the cores.
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-5}
PORT_BARE=${PORT_BARE:-18179}
PORT_EMU=${PORT_EMU:-18178}
TOKEN=dapi1234567890abcdef1234567890abcdef

command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }

if [ -z "${NO_BUILD:-}" ]; then
  cargo build --release -p dbx-mock-server --bin dbx-mock-server >&2
fi
# The bench's executable (cargo names it bare_hyper-<hash>); building it is a no-op if fresh.
BARE=$(cargo bench --no-run -p dbx-mock-server --bench bare_hyper --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "bare_hyper":
        print(m["executable"])')
EMU=target/release/dbx-mock-server
[ -x "$BARE" ] && [ -x "$EMU" ] || { echo "build failed" >&2; exit 1; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

"$BARE" --bind "127.0.0.1:$PORT_BARE" >/dev/null & pids+=($!)
DBX_MOCK_ADMIN_TOKEN=$TOKEN "$EMU" --bind "127.0.0.1:$PORT_EMU" >/dev/null 2>&1 & pids+=($!)
for port in "$PORT_BARE" "$PORT_EMU"; do
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
  done
done
curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT_EMU/api/2.0/token/list" >/dev/null \
  || { echo "the emulator does not answer token/list" >&2; exit 1; }

# rps URL CONNECTIONS [wrk args...] -> requests/s (non-2xx answers are expected for /nope).
rps() {
  local url=$1 conns=$2; shift 2
  local threads=2; [ "$conns" -eq 1 ] && threads=1
  wrk -t"$threads" -c"$conns" -d"$DURATION" "$@" "$url" | awk '/^Requests\/sec:/ {print $2}'
}

declare -A results
for round in $(seq "$ROUNDS"); do
  for conns in 1 64; do
    results[bare,$conns]+="$(rps "http://127.0.0.1:$PORT_BARE/api/2.0/token/list" "$conns" -H "Authorization: Bearer $TOKEN") "
    results[token,$conns]+="$(rps "http://127.0.0.1:$PORT_EMU/api/2.0/token/list" "$conns" -H "Authorization: Bearer $TOKEN") "
    results[unknown,$conns]+="$(rps "http://127.0.0.1:$PORT_EMU/nope" "$conns" -H "Authorization: Bearer $TOKEN") "
  done
  echo "round $round/$ROUNDS done" >&2
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# The per-round ratios of WHAT to bare at CONNS connections.
ratios() {
  paste -d' ' <(echo "${results[$1,$2]}" | tr ' ' '\n' | grep -v '^$') \
    <(echo "${results[bare,$2]}" | tr ' ' '\n' | grep -v '^$') \
    | awk '$2 > 0 {printf "%.3f ", $1 / $2}'
}

echo
echo "wrk $DURATION per phase, $ROUNDS rounds; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "req/s: median over the rounds; ratio: median of the per-round ratios to bare hyper (min-max)"
printf '%-34s %12s %18s %12s %18s\n' "server" "1 conn" "ratio" "64 conns" "ratio"
for what in bare token unknown; do
  case $what in
    bare) label="bare hyper (same JSON)";;
    token) label="emulator GET /api/2.0/token/list";;
    unknown) label="emulator GET /nope (404)";;
  esac
  line=$(printf '%-34s' "$label")
  for conns in 1 64; do
    m=$(echo "${results[$what,$conns]}" | median)
    r=$(ratios "$what" "$conns")
    rm=$(echo "$r" | median)
    lo=$(echo "$r" | tr ' ' '\n' | grep -v '^$' | sort -g | head -1)
    hi=$(echo "$r" | tr ' ' '\n' | grep -v '^$' | sort -g | tail -1)
    line+=$(printf ' %12.0f %18s' "$m" "$(printf '%.2fx (%.2f-%.2f)' "$rm" "$lo" "$hi")")
  done
  echo "$line"
done
echo "(all rounds: $(for k in "${!results[@]}"; do printf '%s=[%s] ' "$k" "${results[$k]% }"; done))"
