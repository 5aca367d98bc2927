#!/usr/bin/env bash
# Build an EVTX corpus directory of about SIZE_MB from the real EVTX samples in SHARED_DATA_DIR.
# EVTX files carry chunk checksums and record ids, so they cannot be concatenated byte-wise and we
# do not synthesize any: the honest way to get volume is N full copies of every real file, each
# copy in its own directory (so every tool reads every byte from its own file, no hard links).
# Usage: gen_evtx_corpus.sh SHARED_DATA_DIR OUT_DIR SIZE_MB
set -euo pipefail
shared=$1 out=$2 size_mb=$3
mapfile -d '' files < <(find "$shared/evtx-attack-samples" "$shared/sigma-regression-data" -name '*.evtx' -print0 | sort -z)
[ ${#files[@]} -gt 0 ] || { echo "no .evtx under $shared" >&2; exit 2; }
per_copy=0
for f in "${files[@]}"; do per_copy=$((per_copy + $(stat -c %s "$f"))); done
copies=$(( (size_mb * 1048576 + per_copy - 1) / per_copy ))
tmp="$out.partial"
rm -rf "$tmp"
for ((c = 0; c < copies; c++)); do
  d=$(printf "%s/copy%05d" "$tmp" "$c")
  mkdir -p "$d"
  i=0
  # the sample names repeat (sigma-regression-data uses <uuid>.evtx per rule folder, some share
  # names across folders), so number them to keep every copy distinct
  for f in "${files[@]}"; do cp "$f" "$d/$(printf %02d $i)-$(basename "$f" | tr ' ' _)"; i=$((i + 1)); done
done
mv "$tmp" "$out"
echo "$out: $copies copies x ${#files[@]} files x $per_copy bytes per copy"
