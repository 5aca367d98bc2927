#!/usr/bin/env bash
# Benchmark `enumwatch hunt` over a large JSON-lines corpus, beside the same-run baselines:
# `cat > /dev/null`, a buffered line read, and serde_json and sonic-rs (SIMD) parses of every line.
# Usage: bench/run.sh [SIZE_MB] [process|cloudtrail]
#   (default 1024 process; the corpus is generated once into bench/corpus/)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-1024}
KIND=${2:-process}
SHARED=${SHARED:-../shared/data}
CORPUS=bench/corpus/${KIND}-${SIZE_MB}mb.jsonl
mkdir -p bench/corpus
cargo build --release --locked -p enumwatch-cli -p enumwatch-bench >/dev/null 2>&1
if [ ! -f "$CORPUS" ]; then
  case "$KIND" in
    process) python3 bench/gen_process_corpus.py "$SHARED" testdata/demo "$CORPUS" "$SIZE_MB" ;;
    cloudtrail) python3 bench/gen_cloudtrail_corpus.py "$SHARED" testdata "$CORPUS" "$SIZE_MB" ;;
    *) echo "unknown corpus kind $KIND (process or cloudtrail)" >&2; exit 2 ;;
  esac
fi
BYTES=$(stat -c %s "$CORPUS")
LINES=$(wc -l < "$CORPUS")
mb() { python3 -c "print(f'{$BYTES/1048576/$1:.1f}')"; }
eps() { python3 -c "print(f'{$LINES/$1:,.0f}')"; }
timed() { # prints "seconds peak_kib"
  /usr/bin/time -f "%e %M" -o /tmp/enumwatch-bench-time "$@" >/dev/null 2>/tmp/enumwatch-bench-err || true
  cat /tmp/enumwatch-bench-time | tail -1
}
cat "$CORPUS" > /dev/null   # warm the page cache so every row reads from memory
echo "corpus: $CORPUS ($BYTES bytes, $LINES lines); machine: $(nproc) cores, $(uname -m)"
printf "| %-44s | %8s | %9s | %12s | %9s |\n" "what" "seconds" "MB/s" "records/s" "peak RSS"
printf "|%s|%s|%s|%s|%s|\n" "----------------------------------------------" "----------" "-----------" "--------------" "-----------"
row() {
  read -r secs kib <<<"$(timed "${@:2}")"
  printf "| %-44s | %8s | %9s | %12s | %6s MiB |\n" "$1" "$secs" "$(mb "$secs")" "$(eps "$secs")" "$((kib / 1024))"
}
row "cat > /dev/null" cat "$CORPUS"
row "baseline: buffered line read" target/release/enumwatch-baseline read "$CORPUS"
row "baseline: serde_json::Value parse per line" target/release/enumwatch-baseline json "$CORPUS"
row "baseline: sonic-rs DOM parse per line (SIMD)" target/release/enumwatch-baseline sonic "$CORPUS"
row "enumwatch hunt (default rules, 1 thread)" target/release/enumwatch hunt "$CORPUS" --threads 1 --format jsonl -o /dev/null -q
row "enumwatch hunt (full rule pack, 1 thread)" target/release/enumwatch hunt "$CORPUS" --threads 1 --rule attack.t1087.004 --format jsonl -o /dev/null -q
target/release/enumwatch hunt "$CORPUS" --format jsonl -o /dev/null -q --stats-json /tmp/enumwatch-bench-stats.json || true
python3 -c "import json; s=json.load(open('/tmp/enumwatch-bench-stats.json')); print('events:', s['events'], 'alerts:', s['alerts'], 'malformed:', s['malformed'])"
