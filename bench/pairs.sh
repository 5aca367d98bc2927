#!/usr/bin/env bash
# The issue's ratio targets, measured as interleaved pairs: each pair runs the baseline and then
# enumwatch back to back, and the ratio reported is the median of the per-pair ratios. On a
# shared machine whose speed drifts by tens of percent over minutes (BENCHMARKS.md), two runs
# seconds apart see the same conditions, so a pair's ratio is steadier than a ratio of medians
# taken minutes apart. The commands are the same as bench/compare.sh's (whose equality check
# covers them); the corpora and peers are found the same way.
# Usage: bench/pairs.sh [SIZE_MB] [PAIRS]      (defaults 256 and 7)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-256}
PAIRS=${2:-7}
PEERS=${PEERS:-/work/peers}
RSIGMA=${RSIGMA:-$PEERS/rsigma-0.23.0-evtx/bin/rsigma}
CHAINSAW=${CHAINSAW:-$PEERS/target-chainsaw/release/chainsaw}
CHAINSAW_MAPPING=${CHAINSAW_MAPPING:-$PEERS/chainsaw/mappings/sigma-event-logs-all.yml}
HAYABUSA=${HAYABUSA:-$PEERS/target-hayabusa/release/hayabusa}
HAYABUSA_CONFIG=${HAYABUSA_CONFIG:-$PEERS/hayabusa/rules/config}
AWS_RULES=${AWS_RULES:-$PEERS/rules-aws}
T=${CARGO_TARGET_DIR:-target}/release
OUT=$(mktemp -d /tmp/enumwatch-pairs.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

cargo build --release --locked -p enumwatch-cli -p enumwatch-bench >/dev/null 2>&1
PROC=bench/corpus/process-${SIZE_MB}mb.jsonl
CT=bench/corpus/cloudtrail-${SIZE_MB}mb.jsonl
EVTX1=bench/corpus/sysmon-${SIZE_MB}mb.evtx
for f in "$PROC" "$CT" "$EVTX1"; do
  [ -f "$f" ] || { echo "missing $f: run bench/compare.sh $SIZE_MB first, which generates it" >&2; exit 1; }
  cat "$f" >/dev/null
done

secs() {
  rm -f "$OUT/cw" "$OUT/hb.csv"
  /usr/bin/time -f "%e" -o "$OUT/time" "$@" >/dev/null 2>&1 || true
  tail -1 "$OUT/time"
}

# pair LABEL BASELINE_LABEL -- BASELINE_CMD... -- ENUMWATCH_CMD...
pair() {
  local label=$1 base_label=$2
  shift 3
  local base=() ours=()
  while [ "$1" != -- ]; do base+=("$1"); shift; done
  shift
  ours=("$@")
  local rows=()
  for _ in $(seq "$PAIRS"); do
    rows+=("$(secs "${base[@]}") $(secs "${ours[@]}")")
  done
  printf '%s\n' "${rows[@]}" | python3 -c '
import statistics, sys
label, base_label = sys.argv[1], sys.argv[2]
pairs = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
b = statistics.median(p[0] for p in pairs)
o = statistics.median(p[1] for p in pairs)
ratios = sorted(p[0] / max(p[1], 0.01) for p in pairs)
print(f"| {label} | {base_label} {b:.2f} s | {o:.2f} s | **{statistics.median(ratios):.2f}** ({ratios[0]:.2f}–{ratios[-1]:.2f}) |")
' "$label" "$base_label"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $PAIRS pairs per row"
echo
echo "| enumwatch, one thread | baseline: median s | enumwatch: median s | baseline ÷ enumwatch: median of pairs (min–max) |"
echo "|---|---|---|---|"
EW=$T/enumwatch
if [ -x "$RSIGMA" ]; then
  pair "CloudTrail, one rule" "rsigma" -- "$RSIGMA" engine eval -r bench/rules/bench-cloudtrail-identity-listing.yml -e "@$CT" \
    -- "$EW" hunt "$CT" --rules bench/rules --rule bench-cloudtrail-identity-listing --threads 1 --format jsonl -o "$OUT/res" -q
  pair "process JSON lines, one rule" "rsigma" -- "$RSIGMA" engine eval -r bench/rules/bench-process-account-listing.yml -p bench/peer-rules/rsigma/windows-json.yml -e "@$PROC" \
    -- "$EW" hunt "$PROC" --rules bench/rules --rule bench-process-account-listing --threads 1 --format jsonl -o "$OUT/res" -q
  if [ -d "$AWS_RULES/sigma" ]; then
    pair "CloudTrail, SigmaHQ's 55 AWS rules" "rsigma" -- "$RSIGMA" engine eval -r "$AWS_RULES/sigma" -e "@$CT" \
      -- "$EW" hunt "$CT" --no-builtin --rules "$AWS_RULES/sigma" --threads 1 --format jsonl -o "$OUT/res" -q
    pair "CloudTrail, 787 AWS rules (SigmaHQ + Suzaku)" "rsigma" -- "$RSIGMA" engine eval -r "$AWS_RULES" -e "@$CT" \
      -- "$EW" hunt "$CT" --no-builtin --rules "$AWS_RULES" --threads 1 --format jsonl -o "$OUT/res" -q
  fi
fi
# One EVTX file (the Sysmon log of gen_evtx_spliced.py), one rule, every tool on one thread
PROC_RULE=bench/rules/bench-process-account-listing.yml
EW_EVTX=("$EW" hunt "$EVTX1" --rules bench/rules --rule bench-process-account-listing --threads 1 --format jsonl -o "$OUT/res" -q)
if [ -x "$RSIGMA" ]; then
  pair "EVTX, one file, one rule" "rsigma" -- "$RSIGMA" engine eval -r "$PROC_RULE" -p bench/peer-rules/rsigma/windows-json.yml -e "@$EVTX1" \
    -- "${EW_EVTX[@]}"
fi
if [ -x "$CHAINSAW" ]; then
  pair "EVTX, one file, one rule" "Chainsaw" -- "$CHAINSAW" --no-banner --num-threads 1 hunt "$EVTX1" -s "$PROC_RULE" --mapping "$CHAINSAW_MAPPING" --jsonl -o "$OUT/cw" \
    -- "${EW_EVTX[@]}"
fi
if [ -x "$HAYABUSA" ]; then
  pair "EVTX, one file, one rule" "Hayabusa" -- "$HAYABUSA" csv-timeline -f "$EVTX1" -r bench/peer-rules/hayabusa -c "$HAYABUSA_CONFIG" -w -q -Q -N -K -C --threads 1 -o "$OUT/hb.csv" \
    -- "${EW_EVTX[@]}"
fi
# The full-pack target: enumwatch's rate as a share of the SIMD parse's is 1 ÷ this ratio
pair "CloudTrail, default built-in rules" "sonic-rs parse" -- "$T/enumwatch-baseline" sonic "$CT" \
  -- "$EW" hunt "$CT" --threads 1 --format jsonl -o "$OUT/res" -q
pair "CloudTrail, default built-in rules, --trust-json" "sonic-rs parse" -- "$T/enumwatch-baseline" sonic "$CT" \
  -- "$EW" hunt "$CT" --threads 1 --trust-json --format jsonl -o "$OUT/res" -q
# The same against simd-json (the Rust port of simdjson), the other SIMD parser of the floor
pair "CloudTrail, default built-in rules" "simd-json parse" -- "$T/enumwatch-baseline" simd-json "$CT" \
  -- "$EW" hunt "$CT" --threads 1 --format jsonl -o "$OUT/res" -q
