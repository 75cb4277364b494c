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
# Phases are interleaved (bare, token, unknown per round) and repeated ROUNDS times; the table
# shows each figure's median over the rounds, so a burst of load elsewhere hits one round only.
#
# Usage: scripts/wrk_compare.sh            (from the repository root)
# Environment: DURATION (default 10s), ROUNDS (default 3), PORT_BARE (18179), PORT_EMU (18178),
#              NO_BUILD=1 to reuse the binaries already built.
# Run it on an idle machine: both servers and wrk share the cores.
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
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
    results[bare,$conns]+="$(rps "http://127.0.0.1:$PORT_BARE/api/2.0/token/list" "$conns") "
    results[token,$conns]+="$(rps "http://127.0.0.1:$PORT_EMU/api/2.0/token/list" "$conns" -H "Authorization: Bearer $TOKEN") "
    results[unknown,$conns]+="$(rps "http://127.0.0.1:$PORT_EMU/nope" "$conns") "
  done
  echo "round $round/$ROUNDS done" >&2
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo
echo "wrk $DURATION per phase, $ROUNDS rounds (median req/s); $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %14s %8s %14s %8s\n' "server" "1 conn req/s" "ratio" "64 conns req/s" "ratio"
for what in bare token unknown; do
  case $what in
    bare) label="bare hyper (same JSON)";;
    token) label="emulator GET /api/2.0/token/list";;
    unknown) label="emulator GET /nope (404)";;
  esac
  line=$(printf '%-34s' "$label")
  for conns in 1 64; do
    m=$(echo "${results[$what,$conns]}" | median)
    b=$(echo "${results[bare,$conns]}" | median)
    ratio=$(awk -v m="$m" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", m / b; else print "-" }')
    line+=$(printf ' %14.0f %8s' "$m" "${ratio}x")
  done
  echo "$line"
done
echo "(all rounds: $(for k in "${!results[@]}"; do printf '%s=[%s] ' "$k" "${results[$k]% }"; done))"
