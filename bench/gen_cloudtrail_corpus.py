#!/usr/bin/env python3
"""Build a large CloudTrail JSON-lines corpus, deterministically, from real samples.

Inputs (read from ../shared/data, never copied into the repo):
  - Invictus IR aws_dataset (MIT): 2,900 records of Terraform, Stratus Red Team and a Boto3 IAM
    enumeration burst (invictus-aws-dataset/CloudTrail/*.json);
  - Stratus Red Team detonation logs (Apache-2.0): stratus-red-team-detonation-logs/*.json;
  - OTRF Security-Datasets (MIT): otrf-security-datasets/aws/ec2_proxy_s3_exfiltration.json;
  - the project's emulated attacks (testdata/cloud/aws_enumeration_emulated.json).
Each output line is one real record with its principal, account, access key, source IP, request
and event ids and time varied (shapes untouched), in time order, one principal per 100 records,
so the correlation rules keep realistic per-principal windows.
Usage: gen_cloudtrail_corpus.py SHARED_DATA_DIR TESTDATA_DIR OUT_FILE SIZE_MB
"""
import datetime, glob, json, os, random, sys

shared, testdata, out_path, size_mb = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rng = random.Random(1087004)

def records(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:  # JSON lines
        data = [json.loads(l) for l in text.splitlines() if l.strip()]
    if isinstance(data, dict):
        data = data.get("Records", [data])
    return [r for r in data if isinstance(r, dict) and "eventName" in r]

background = []
for p in sorted(glob.glob(os.path.join(shared, "invictus-aws-dataset/CloudTrail/*.json"))):
    background += records(p)
for p in sorted(glob.glob(os.path.join(shared, "stratus-red-team-detonation-logs/*.json"))):
    background += records(p)
background += records(os.path.join(shared, "otrf-security-datasets/aws/ec2_proxy_s3_exfiltration.json"))
positives = records(os.path.join(testdata, "cloud/aws_enumeration_emulated.json"))

start = datetime.datetime(2024, 6, 1, tzinfo=datetime.timezone.utc)

def vary(rec, i, who):
    r = json.loads(json.dumps(rec))
    uid = r.get("userIdentity") or {}
    acct = "%012d" % (100000000000 + who % 977)
    for k in ("arn", "userName", "principalId"):
        if isinstance(uid.get(k), str):
            uid[k] = uid[k].replace("123837392027", acct).replace("111122223333", acct) + ("-%d" % who if k != "principalId" else "%d" % who)
    if isinstance(uid.get("accessKeyId"), str):
        uid["accessKeyId"] = "AKIA%016d" % who
    if "accountId" in uid:
        uid["accountId"] = acct
    r["recipientAccountId"] = acct
    if isinstance(r.get("sourceIPAddress"), str) and r["sourceIPAddress"][:1].isdigit():
        r["sourceIPAddress"] = "10.%d.%d.%d" % (who % 250, (who // 250) % 250, i % 250)
    r["eventID"] = "%08x-0000-4000-8000-%012x" % (i & 0xffffffff, i)
    r["requestID"] = "%012x" % (i * 7919)
    r["eventTime"] = (start + datetime.timedelta(milliseconds=i * 20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return r

target = size_mb * 1024 * 1024
written = 0
i = 0
with open(out_path, "w", encoding="utf-8") as out:
    while written < target:
        who = i // 100
        if i % 2000 < len(positives):
            rec = positives[i % 2000]
        else:
            rec = background[rng.randrange(len(background))]
        line = json.dumps(vary(rec, i, who), separators=(",", ":")) + "\n"
        out.write(line)
        written += len(line)
        i += 1
print(f"wrote {i} records, {written} bytes to {out_path}", file=sys.stderr)
