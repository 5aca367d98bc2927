#!/usr/bin/env python3
"""Repackage a CloudTrail JSON-lines corpus as CloudTrail's own S3 delivery: gzip-compressed
`{"Records": [...]}` objects in the `AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/`
layout, a fixed number of records per object (CloudTrail delivers one object about every five
minutes per region; objects of a few hundred records are typical).

Usage: gen_cloudtrail_s3_objects.py JSONL_CORPUS OUT_DIR [RECORDS_PER_OBJECT]
Deterministic: the same corpus gives byte-identical objects (gzip mtime 0).
"""
import gzip
import os
import sys

src, out = sys.argv[1], sys.argv[2]
per_object = int(sys.argv[3]) if len(sys.argv) > 3 else 500
tmp = out + ".partial"
os.makedirs(tmp, exist_ok=True)


def flush(batch, n):
    d = os.path.join(tmp, "AWSLogs", "123456789012", "CloudTrail", "us-east-1", "2026", "11",
                     "%02d" % (1 + n // 1000 % 28))
    os.makedirs(d, exist_ok=True)
    name = "123456789012_CloudTrail_us-east-1_20261101T0000Z_%08d.json.gz" % n
    body = b'{"Records":[' + b",".join(batch) + b"]}"
    with open(os.path.join(d, name), "wb") as f:
        f.write(gzip.compress(body, compresslevel=6, mtime=0))


batch, n = [], 0
with open(src, "rb") as f:
    for line in f:
        line = line.strip()
        if not line:
            continue
        batch.append(line)
        if len(batch) == per_object:
            flush(batch, n)
            batch, n = [], n + 1
if batch:
    flush(batch, n)
    n += 1
os.rename(tmp, out)
print(f"{out}: {n} objects of up to {per_object} records")
