#!/usr/bin/env bash
# Same-run comparison of `enumwatch hunt` with its Rust peers (Chainsaw, Hayabusa, rsigma) on the
# same rule and the same inputs, beside `cat` and bare serde_json, sonic-rs and simd-json (SIMD) parses (see
# BENCHMARKS.md).
# Usage: bench/compare.sh [SIZE_MB]        (default 256; corpora are generated once, gitignored)
# Peer binaries are found through env vars (build them as BENCHMARKS.md says); a missing one is
# reported and its rows are skipped, so the script still runs with enumwatch alone:
#   CHAINSAW=…/chainsaw  CHAINSAW_MAPPING=…/mappings/sigma-event-logs-all.yml
#   HAYABUSA=…/hayabusa  HAYABUSA_CONFIG=…/rules/config        RSIGMA=…/rsigma
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-256}
SHARED=${SHARED:-../shared/data}
PEERS=${PEERS:-/work/peers}
CHAINSAW=${CHAINSAW:-$PEERS/target-chainsaw/release/chainsaw}
CHAINSAW_MAPPING=${CHAINSAW_MAPPING:-$PEERS/chainsaw/mappings/sigma-event-logs-all.yml}
HAYABUSA=${HAYABUSA:-$PEERS/target-hayabusa/release/hayabusa}
HAYABUSA_CONFIG=${HAYABUSA_CONFIG:-$PEERS/hayabusa/rules/config}
RSIGMA=${RSIGMA:-$PEERS/rsigma-0.23.0-evtx/bin/rsigma}
T=${CARGO_TARGET_DIR:-target}/release
OUT=$(mktemp -d /tmp/enumwatch-compare.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

cargo build --release --locked -p enumwatch-cli -p enumwatch-bench >/dev/null 2>&1

# Inputs: generated deterministically from the real samples, never committed (bench/corpus is
# gitignored).
mkdir -p bench/corpus
PROC=bench/corpus/process-${SIZE_MB}mb.jsonl
CT=bench/corpus/cloudtrail-${SIZE_MB}mb.jsonl
EVTX=bench/corpus/evtx-${SIZE_MB}mb
EVTX1=bench/corpus/sysmon-${SIZE_MB}mb.evtx
[ -f "$PROC" ] || python3 bench/gen_process_corpus.py "$SHARED" testdata/demo "$PROC" "$SIZE_MB"
[ -f "$CT" ] || python3 bench/gen_cloudtrail_corpus.py "$SHARED" testdata "$CT" "$SIZE_MB"
[ -d "$EVTX" ] || bash bench/gen_evtx_corpus.sh "$SHARED" "$EVTX" "$SIZE_MB"
[ -f "$EVTX1" ] || python3 bench/gen_evtx_spliced.py "$SHARED" "$EVTX1" "$SIZE_MB"

PROC_RULE=bench/rules/bench-process-account-listing.yml
CT_RULE=bench/rules/bench-cloudtrail-identity-listing.yml

have() { [ -x "$1" ] || { echo "skipped: $1 not built" >&2; return 1; }; }

# One timed run: /usr/bin/time gives wall seconds and peak RSS; the tool's own output goes to a
# file so that the match count comes from the very run that was timed.
# row LABEL INPUT_BYTES RECORDS COUNT_CMD -- CMD...
row() {
  local label=$1 bytes=$2 records=$3 count=$4
  shift 5
  rm -f "$OUT/res" "$OUT/res.csv"
  /usr/bin/time -f "%e %M" -o "$OUT/time" "$@" >"$OUT/stdout" 2>"$OUT/stderr" || true
  read -r secs kib < <(tail -1 "$OUT/time")
  local matches
  matches=$(eval "$count" 2>/dev/null || echo "?")
  python3 - "$label" "$bytes" "$records" "$secs" "$kib" "$matches" <<'EOF'
import sys
label, b, r, s, kib, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
s = max(s, 0.01)
print(f"| {label} | {s:.2f} | {b/1048576/s:,.1f} | {r/s:,.0f} | {kib//1024} MiB | {m} |")
EOF
}
header() {
  echo
  echo "### $1"
  echo
  echo "| what | seconds | MB/s | records/s | peak RSS | matches |"
  echo "|---|---|---|---|---|---|"
}

EW=$T/enumwatch
ew_count='wc -l < "$OUT/res"'
cw_count='wc -l < "$OUT/res"'
hb_count='python3 -c "import csv,sys; print(sum(1 for _ in csv.DictReader(open(sys.argv[1]))))" "$OUT/res.csv"'
rs_count='grep -c "\"rule_title\"" "$OUT/stdout"'
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB RAM, $(uname -r)"

# --- JSON lines inputs: every tool gets the same file ---
for kind in process cloudtrail; do
  # rsigma evaluates field names as written: for the process corpus a pipeline maps CommandLine
  # to both the flat and the evtx-JSON location; CloudTrail names are used as they are
  if [ "$kind" = process ]; then
    f=$PROC rule=$PROC_RULE id=bench-process-account-listing rs_pipe=(-p bench/peer-rules/rsigma/windows-json.yml)
  else
    f=$CT rule=$CT_RULE id=bench-cloudtrail-identity-listing rs_pipe=()
  fi
  cat "$f" >/dev/null # warm the page cache: every row reads from memory
  bytes=$(stat -c %s "$f") recs=$(wc -l <"$f")
  header "$kind JSON lines: $f ($bytes bytes, $recs records), rule $id"
  row "cat > /dev/null" "$bytes" "$recs" 'echo -' -- cat "$f"
  row "serde_json::Value parse per line (enumwatch-baseline json)" "$bytes" "$recs" 'echo -' -- "$T/enumwatch-baseline" json "$f"
  row "sonic-rs DOM parse per line, SIMD (enumwatch-baseline sonic)" "$bytes" "$recs" 'echo -' -- "$T/enumwatch-baseline" sonic "$f"
  row "simd-json borrowed DOM parse per line, SIMD (enumwatch-baseline simd-json)" "$bytes" "$recs" 'echo -' -- "$T/enumwatch-baseline" simd-json "$f"
  for th in 1 2; do
    row "enumwatch, bench rule, $th thread(s)" "$bytes" "$recs" "$ew_count" -- \
      "$EW" hunt "$f" --rules bench/rules --rule "$id" --threads "$th" --format jsonl -o "$OUT/res" -q
  done
  # skipped records not checked for well-formedness: what that check costs
  row "enumwatch, bench rule, 1 thread, --trust-json" "$bytes" "$recs" "$ew_count" -- \
    "$EW" hunt "$f" --rules bench/rules --rule "$id" --threads 1 --trust-json --format jsonl -o "$OUT/res" -q
  # the same rule parsing every record: what the raw-text prefilter saves
  row "enumwatch, bench rule, 1 thread, --no-prefilter" "$bytes" "$recs" "$ew_count" -- \
    "$EW" hunt "$f" --rules bench/rules --rule "$id" --threads 1 --no-prefilter --format jsonl -o "$OUT/res" -q
  row "enumwatch, full rule pack, 1 thread" "$bytes" "$recs" "$ew_count" -- \
    "$EW" hunt "$f" --rule attack.t1087.004 --threads 1 --format jsonl -o "$OUT/res" -q
  row "enumwatch, full rule pack, 1 thread, --no-prefilter" "$bytes" "$recs" "$ew_count" -- \
    "$EW" hunt "$f" --rule attack.t1087.004 --threads 1 --no-prefilter --format jsonl -o "$OUT/res" -q
  # the default rules: the full pack without the opt-in Sentinel KQL translation, whose Unicode
  # regular expressions take a fifth of a second to compile
  row "enumwatch, default rules, 1 thread" "$bytes" "$recs" "$ew_count" -- \
    "$EW" hunt "$f" --threads 1 --format jsonl -o "$OUT/res" -q
  row "enumwatch, default rules, 1 thread, --trust-json" "$bytes" "$recs" "$ew_count" -- \
    "$EW" hunt "$f" --threads 1 --trust-json --format jsonl -o "$OUT/res" -q
  # two threads on one input: its lines are decoded in parallel batches
  row "enumwatch, default rules, 2 threads" "$bytes" "$recs" "$ew_count" -- \
    "$EW" hunt "$f" --threads 2 --format jsonl -o "$OUT/res" -q
  # rsigma's eval has no thread option: one core
  if have "$RSIGMA"; then
    row "rsigma engine eval (1 core)" "$bytes" "$recs" "$rs_count" -- "$RSIGMA" engine eval -r "$rule" "${rs_pipe[@]}" -e "@$f"
  fi
  if [ "$kind" = process ]; then
    # Hayabusa reads Windows events in the evtx JSON shape (Event.System/EventData) with -J.
    # Chainsaw is not run here: its shipped Sigma mapping is for EVTX only, and with the mapping's
    # kind set to json/jsonl it finds no file or no detection (BENCHMARKS.md)
    if have "$HAYABUSA"; then
      for th in 1 2; do
        row "hayabusa csv-timeline -J, $th thread(s)" "$bytes" "$recs" "$hb_count" -- \
          "$HAYABUSA" csv-timeline -J -f "$f" -r bench/peer-rules/hayabusa -c "$HAYABUSA_CONFIG" -w -q -Q -N -K -C --threads "$th" -o "$OUT/res.csv"
      done
    fi
  fi
done

# --- CloudTrail as delivered to S3: the same records in gzip `{"Records": [...]}` objects. No peer
# reads these (rsigma and Chainsaw take plain files), so only the floors and enumwatch run.
S3=bench/corpus/cloudtrail-${SIZE_MB}mb-s3
[ -d "$S3" ] || python3 bench/gen_cloudtrail_s3_objects.py "$CT" "$S3" 500 >/dev/null
find "$S3" -type f -exec cat {} + >/dev/null
s3bytes=$(find "$S3" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
s3files=$(find "$S3" -type f | wc -l)
recs=$(wc -l <"$CT")
header "CloudTrail S3 objects: $S3 ($s3files .json.gz objects, $s3bytes bytes compressed, $recs records), rule bench-cloudtrail-identity-listing"
row "zcat > /dev/null (all objects)" "$s3bytes" "$recs" 'echo -' -- sh -c "find '$S3' -type f -exec zcat {} + >/dev/null"
for th in 1 2; do
  row "enumwatch, bench rule, $th thread(s)" "$s3bytes" "$recs" "$ew_count" -- \
    "$EW" hunt "$S3" --rules bench/rules --rule bench-cloudtrail-identity-listing --threads "$th" --format jsonl -o "$OUT/res" -q
done
row "enumwatch, bench rule, 1 thread, --no-prefilter" "$s3bytes" "$recs" "$ew_count" -- \
  "$EW" hunt "$S3" --rules bench/rules --rule bench-cloudtrail-identity-listing --threads 1 --no-prefilter --format jsonl -o "$OUT/res" -q
row "enumwatch, full rule pack, 1 thread" "$s3bytes" "$recs" "$ew_count" -- \
  "$EW" hunt "$S3" --rule attack.t1087.004 --threads 1 --format jsonl -o "$OUT/res" -q

# --- Third-party rule sets over the CloudTrail corpus: SigmaHQ's AWS CloudTrail rules and
# Suzaku's (Yamato Security's suzaku-rules), never committed here; point AWS_RULES at a directory
# holding `sigma/` and `suzaku/` as BENCHMARKS.md says. enumwatch and rsigma run the same files.
AWS_RULES=${AWS_RULES:-$PEERS/rules-aws}
if [ -d "$AWS_RULES/sigma" ]; then
  bytes=$(stat -c %s "$CT") recs=$(wc -l <"$CT")
  for set in sigma all; do
    if [ "$set" = sigma ]; then dir=$AWS_RULES/sigma; else dir=$AWS_RULES; fi
    n=$(find "$dir" -name '*.yml' | wc -l)
    header "cloudtrail JSON lines: $CT, $n third-party AWS rules ($dir)"
    row "sonic-rs DOM parse per line, SIMD (enumwatch-baseline sonic)" "$bytes" "$recs" 'echo -' -- "$T/enumwatch-baseline" sonic "$CT"
    row "enumwatch, these rules, 1 thread" "$bytes" "$recs" "$ew_count" -- \
      "$EW" hunt "$CT" --no-builtin --rules "$dir" --threads 1 --format jsonl -o "$OUT/res" -q
    row "enumwatch, these rules, 1 thread, --trust-json" "$bytes" "$recs" "$ew_count" -- \
      "$EW" hunt "$CT" --no-builtin --rules "$dir" --threads 1 --trust-json --format jsonl -o "$OUT/res" -q
    row "enumwatch, these rules, 2 threads" "$bytes" "$recs" "$ew_count" -- \
      "$EW" hunt "$CT" --no-builtin --rules "$dir" --threads 2 --format jsonl -o "$OUT/res" -q
    row "enumwatch, these rules, 2 threads, --trust-json" "$bytes" "$recs" "$ew_count" -- \
      "$EW" hunt "$CT" --no-builtin --rules "$dir" --threads 2 --trust-json --format jsonl -o "$OUT/res" -q
    row "enumwatch, these rules, 1 thread, --no-prefilter" "$bytes" "$recs" "$ew_count" -- \
      "$EW" hunt "$CT" --no-builtin --rules "$dir" --threads 1 --no-prefilter --format jsonl -o "$OUT/res" -q
    if have "$RSIGMA"; then
      row "rsigma engine eval (1 core)" "$bytes" "$recs" "$rs_count" -- "$RSIGMA" engine eval -r "$dir" -e "@$CT"
    fi
  done
else
  echo "skipped: no third-party AWS rules at $AWS_RULES (see BENCHMARKS.md)" >&2
fi

# --- EVTX: N copies of the real samples, each its own file; rsigma reads one file per process, so
# it runs on the one-file log below instead
find "$EVTX" -type f -exec cat {} + >/dev/null
bytes=$(find "$EVTX" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
nfiles=$(find "$EVTX" -type f | wc -l)
# the record count comes from enumwatch's stats (every EVTX record is parsed or skipped unparsed)
"$EW" hunt "$EVTX" --rules bench/rules --rule bench-process-account-listing --threads 2 --format jsonl -o /dev/null -q --stats-json "$OUT/stats.json" || true
recs=$(python3 -c "import json; d = json.load(open('$OUT/stats.json')); print(d['records'] + d['records_prefiltered'])" 2>/dev/null || echo 0)
header "EVTX: $EVTX ($nfiles files, $bytes bytes, $recs records), rule bench-process-account-listing"
row "cat > /dev/null (all files)" "$bytes" "$recs" 'echo -' -- find "$EVTX" -type f -exec cat {} +
for th in 1 2; do
  row "enumwatch, bench rule, $th thread(s)" "$bytes" "$recs" "$ew_count" -- \
    "$EW" hunt "$EVTX" --rules bench/rules --rule bench-process-account-listing --threads "$th" --format jsonl -o "$OUT/res" -q
done
row "enumwatch, full rule pack, 1 thread" "$bytes" "$recs" "$ew_count" -- \
  "$EW" hunt "$EVTX" --rule attack.t1087.004 --threads 1 --format jsonl -o "$OUT/res" -q
# (no -q for Chainsaw: with -q, 2.16.4 leaves the -o file empty)
if have "$CHAINSAW"; then
  for th in 1 2; do
    row "chainsaw hunt, $th thread(s)" "$bytes" "$recs" "$cw_count" -- \
      "$CHAINSAW" --no-banner --num-threads "$th" hunt "$EVTX" -s "$PROC_RULE" --mapping "$CHAINSAW_MAPPING" --jsonl -o "$OUT/res"
  done
fi
if have "$HAYABUSA"; then
  for th in 1 2; do
    row "hayabusa csv-timeline, $th thread(s)" "$bytes" "$recs" "$hb_count" -- \
      "$HAYABUSA" csv-timeline -d "$EVTX" -r bench/peer-rules/hayabusa -c "$HAYABUSA_CONFIG" -w -q -Q -N -K -C --threads "$th" -o "$OUT/res.csv"
  done
fi

# --- EVTX, one file: the real Sysmon samples' chunks spliced into one log (gen_evtx_spliced.py);
# every tool reads the same file. rsigma's build needs its `evtx` feature (BENCHMARKS.md).
cat "$EVTX1" >/dev/null
bytes=$(stat -c %s "$EVTX1")
"$EW" hunt "$EVTX1" --rules bench/rules --rule bench-process-account-listing --threads 1 --format jsonl -o /dev/null -q --stats-json "$OUT/stats.json" || true
recs=$(python3 -c "import json; d = json.load(open('$OUT/stats.json')); print(d['records'] + d['records_prefiltered'])" 2>/dev/null || echo 0)
header "EVTX, one file: $EVTX1 ($bytes bytes, $recs records), rule bench-process-account-listing"
row "cat > /dev/null" "$bytes" "$recs" 'echo -' -- cat "$EVTX1"
for th in 1 2; do
  row "enumwatch, bench rule, $th thread(s)" "$bytes" "$recs" "$ew_count" -- \
    "$EW" hunt "$EVTX1" --rules bench/rules --rule bench-process-account-listing --threads "$th" --format jsonl -o "$OUT/res" -q
done
row "enumwatch, full rule pack, 1 thread" "$bytes" "$recs" "$ew_count" -- \
  "$EW" hunt "$EVTX1" --rule attack.t1087.004 --threads 1 --format jsonl -o "$OUT/res" -q
if have "$RSIGMA"; then
  row "rsigma engine eval (1 core)" "$bytes" "$recs" "$rs_count" -- \
    "$RSIGMA" engine eval -r "$PROC_RULE" -p bench/peer-rules/rsigma/windows-json.yml -e "@$EVTX1"
fi
if have "$CHAINSAW"; then
  for th in 1 2; do
    row "chainsaw hunt, $th thread(s)" "$bytes" "$recs" "$cw_count" -- \
      "$CHAINSAW" --no-banner --num-threads "$th" hunt "$EVTX1" -s "$PROC_RULE" --mapping "$CHAINSAW_MAPPING" --jsonl -o "$OUT/res"
  done
fi
if have "$HAYABUSA"; then
  for th in 1 2; do
    row "hayabusa csv-timeline, $th thread(s)" "$bytes" "$recs" "$hb_count" -- \
      "$HAYABUSA" csv-timeline -f "$EVTX1" -r bench/peer-rules/hayabusa -c "$HAYABUSA_CONFIG" -w -q -Q -N -K -C --threads "$th" -o "$OUT/res.csv"
  done
fi
