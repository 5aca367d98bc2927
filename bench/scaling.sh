#!/usr/bin/env bash
# Scaling of `enumwatch hunt`: wall time and peak RSS against input size (the same CloudTrail
# records at 64, 256 and 1024 MiB), threads (1 vs 2 over the S3-object layout, many files), and
# the number of distinct principals inside one correlation window (adversarial cardinality:
# 10k to 2M principals each making one account-wide IAM listing within the same minute), and
# many principals each making a burst of six IAM listings, so that every one fires a correlation
# whose alert absorbs six detection alerts (bursts), and one principal making 100k-1M IAM listings
# within one hour, which keeps its correlation windows full (flood), and one identity making
# AzureHound's Microsoft Graph requests (13 endpoints, fresh object ids) over one hour (graph),
# and one EVTX log of 64 MiB to 1 GiB (evtx: the real Sysmon samples' chunks, gen_evtx_spliced.py),
# and a Linux host's syslog of 64 MiB to 1 GiB (syslog: Sysmon for Linux events among other
# programs' lines, gen_syslog_corpus.py),
# and a broad hunting pack (pack: the 787 AWS rules in AWS_RULES, an alert for most records) over
# the 256 MiB CloudTrail corpus once, twice and four times (not in the default sections: it needs
# the third-party rules and bench/corpus/cloudtrail-256mb.jsonl from compare.sh).
# Usage: bench/scaling.sh            (needs bench/corpus/cloudtrail-1024mb.jsonl, from run.sh)
#        SECTIONS=principals bench/scaling.sh   (only the distinct-principals section; PRINCIPALS
#        and HELD_MIB override its counts and the --max-held-mib budget; BURSTS the bursts' counts, FLOOD the flood's, GRAPH the Graph requests')
set -euo pipefail
cd "$(dirname "$0")/.."
T=${CARGO_TARGET_DIR:-target}/release
EW=$T/enumwatch
BIG=bench/corpus/cloudtrail-1024mb.jsonl
cargo build --release --locked -p enumwatch-cli >/dev/null 2>&1
SECTIONS=" ${SECTIONS:-size threads principals bursts flood graph evtx syslog} "
want() { [[ $SECTIONS == *" $1 "* ]]; }
want size || want threads || BIG=/dev/null
[ -f "$BIG" ] || [ "$BIG" = /dev/null ] || python3 bench/gen_cloudtrail_corpus.py "${SHARED:-../shared/data}" testdata "$BIG" 1024
OUT=$(mktemp -d /tmp/enumwatch-scaling.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

timed() { # prints "seconds peak_MiB"
  /usr/bin/time -f "%e %M" -o "$OUT/time" "$@" >/dev/null 2>"$OUT/err" || true
  read -r s k < <(tail -1 "$OUT/time")
  echo "$s $((k / 1024))"
}

total=$(wc -l <"$BIG")
if want size; then
echo "### input size (CloudTrail JSON lines, one thread)"
echo
echo "| input | records | bench rule: s | bench rule: peak MiB | full pack: s | full pack: peak MiB | full pack alerts |"
echo "|---|---|---|---|---|---|---|"
for mb in 64 256 1024; do
  f=$OUT/ct-$mb.jsonl
  head -n $((total * mb / 1024)) "$BIG" >"$f"
  recs=$(wc -l <"$f")
  read -r s1 m1 < <(timed "$EW" hunt "$f" --rules bench/rules --rule bench-cloudtrail-identity-listing --threads 1 --format jsonl -o /dev/null -q)
  read -r s2 m2 < <(timed "$EW" hunt "$f" --rule attack.t1087.004 --threads 1 --format jsonl -o "$OUT/res" -q)
  echo "| $mb MiB | $recs | $s1 | $m1 | $s2 | $m2 | $(wc -l <"$OUT/res") |"
  rm -f "$f"
done

echo
fi

if want pack; then
AWS_RULES=${AWS_RULES:-/work/peers/rules-aws}
CT256=bench/corpus/cloudtrail-256mb.jsonl
echo "### input size with a broad hunting pack ($AWS_RULES, one thread, --max-alerts-mib ${ALERTS_MIB:-256})"
echo
echo "| input | alerts | s | peak MiB | alerts through the disk |"
echo "|---|---|---|---|---|"
for copies in 1 2 4; do
  f=$OUT/pack.jsonl
  for _ in $(seq "$copies"); do cat "$CT256"; done >"$f"
  read -r s m < <(timed "$EW" hunt "$f" --no-builtin --rules "$AWS_RULES" --threads 1 --format jsonl -o "$OUT/res" -q --max-alerts-mib "${ALERTS_MIB:-256}" --stats-json "$OUT/stats.json")
  spilled=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("alerts_spilled", 0))' "$OUT/stats.json")
  echo "| $((copies * 256)) MiB | $(wc -l <"$OUT/res") | $s | $m | $spilled |"
  rm -f "$f" "$OUT/res"
done
echo
fi

if want threads; then
echo "### threads (the 256 MiB records as 500-record .json.gz S3 objects)"
echo
echo "| threads | bench rule: s | bench rule: peak MiB | full pack: s | full pack: peak MiB |"
echo "|---|---|---|---|---|"
S3=bench/corpus/cloudtrail-256mb-s3
[ -d "$S3" ] || { head -n $((total / 4)) "$BIG" >"$OUT/ct.jsonl"; python3 bench/gen_cloudtrail_s3_objects.py "$OUT/ct.jsonl" "$S3" 500 >/dev/null; }
for th in 1 2; do
  read -r s1 m1 < <(timed "$EW" hunt "$S3" --rules bench/rules --rule bench-cloudtrail-identity-listing --threads "$th" --format jsonl -o /dev/null -q)
  read -r s2 m2 < <(timed "$EW" hunt "$S3" --rule attack.t1087.004 --threads "$th" --format jsonl -o /dev/null -q)
  echo "| $th | $s1 | $m1 | $s2 | $m2 |"
done

echo
fi

if want principals; then
echo "### distinct principals in one window (full pack, one thread; state cap 100,000 groups; held events in memory up to ${HELD_MIB:-256} MiB)"
echo
echo "| principals | seconds | peak MiB | correlation groups dropped at the cap | held events spilled to disk |"
echo "|---|---|---|---|---|"
for n in ${PRINCIPALS:-10000 100000 400000 1000000 2000000}; do
  python3 - "$n" >"$OUT/principals.jsonl" <<'PY'
import json, sys
n = int(sys.argv[1])
for i in range(n):
    # Each principal lists users once, all within the same minute: every one opens a window.
    print(json.dumps({
        "eventVersion": "1.08", "eventSource": "iam.amazonaws.com", "eventName": "ListUsers",
        "eventTime": "2026-11-01T00:00:%02dZ" % (i * 60 // n), "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.%d" % (i % 250 + 1), "userAgent": "aws-cli/2.15.0 md/command#iam.list-users",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDA%012d" % i,
                         "arn": "arn:aws:iam::123456789012:user/u%d" % i, "accountId": "123456789012",
                         "userName": "u%d" % i},
        "eventID": "e%d" % i, "eventType": "AwsApiCall", "recipientAccountId": "123456789012",
        "readOnly": True, "requestParameters": None, "responseElements": None}))
PY
  read -r s m < <(timed "$EW" hunt "$OUT/principals.jsonl" --rule attack.t1087.004 --threads 1 --format jsonl -o /dev/null -q --max-held-mib "${HELD_MIB:-256}" --stats-json "$OUT/stats.json")
  read -r drop spilled < <(python3 -c "import json; s = json.load(open('$OUT/stats.json')); print(s['correlation_state_evictions'], s.get('correlation_events_spilled', 0))")
  echo "| $n | $s | $m | $drop | $spilled |"
done
fi

if want bursts; then
echo
echo "### principals each making a burst of six IAM listings (full pack, one thread)"
echo
echo "| principals | records | seconds | peak MiB | alerts |"
echo "|---|---|---|---|---|"
for n in ${BURSTS:-10000 30000 60000}; do
  python3 bench/gen_iam_listings.py bursts "$n" >"$OUT/bursts.jsonl"
  read -r s m < <(timed "$EW" hunt "$OUT/bursts.jsonl" --rule attack.t1087.004 --threads 1 --format jsonl -o "$OUT/res" -q)
  echo "| $n | $((n * 6)) | $s | $m | $(wc -l <"$OUT/res") |"
done
fi

if want flood; then
echo
echo "### one principal making every listing, evenly over one hour (one thread)"
echo
echo "The full pack, then the burst correlation alone: without the pack's engine-wide suppression"
echo "it fires every four listings, so thousands of its windows overlap."
echo
echo "| listings | full pack: s | peak MiB | alerts | burst rule alone: s | peak MiB | alerts |"
echo "|---|---|---|---|---|---|---|"
for n in ${FLOOD:-100000 300000 1000000}; do
  python3 bench/gen_iam_listings.py flood "$n" >"$OUT/flood.jsonl"
  read -r s m < <(timed "$EW" hunt "$OUT/flood.jsonl" --rule attack.t1087.004 --threads 1 --format jsonl -o "$OUT/res" -q)
  a=$(wc -l <"$OUT/res")
  read -r s2 m2 < <(timed "$EW" hunt "$OUT/flood.jsonl" --rule iaas-enumeration-burst --threads 1 --format jsonl -o "$OUT/res" -q)
  echo "| $n | $s | $m | $a | $s2 | $m2 | $(wc -l <"$OUT/res") |"
done
fi

if want graph; then
echo
echo "### one identity making AzureHound's Graph requests, evenly over one hour (default rules, one thread)"
echo
echo "| requests | MB | seconds | peak MiB | alerts |"
echo "|---|---|---|---|---|"
for n in ${GRAPH:-100000 500000}; do
  python3 - "$n" testdata/logs/graph_activity/graph_activity_diagnostic_emulated.jsonl >"$OUT/graph.jsonl" <<'PY'
import json, random, sys, uuid
n = int(sys.argv[1])
template = json.loads(open(sys.argv[2]).readline())  # an AzureHound request, diagnostic shape
random.seed(1)
paths = ["/v1.0/users?$top=999", "/v1.0/groups?$top=999", "/v1.0/users/{id}/memberOf",
         "/v1.0/groups/{id}/members", "/v1.0/applications", "/v1.0/servicePrincipals",
         "/v1.0/devices", "/v1.0/directoryRoles", "/v1.0/organization",
         "/v1.0/roleManagement/directory/roleAssignments",
         "/beta/users/{id}/authentication/methods", "/v1.0/groups/{id}/owners",
         "/v1.0/servicePrincipals/{id}/appRoleAssignedTo"]
for i in range(n):
    t = i * 3600 / n
    r = json.loads(json.dumps(template))
    ts = "2024-05-14T%02d:%02d:%02d.%07dZ" % (10 + int(t // 3600), int(t // 60) % 60, int(t) % 60,
                                             int((t % 1) * 1e7))
    path = paths[i % len(paths)].replace("{id}", str(uuid.UUID(int=random.getrandbits(128))))
    r["time"] = ts
    r["properties"]["timeGenerated"] = ts
    r["properties"]["requestUri"] = "https://graph.microsoft.com" + path
    r["properties"]["requestId"] = str(uuid.UUID(int=i))
    print(json.dumps(r))
PY
  mb=$(( $(stat -c %s "$OUT/graph.jsonl") / 1000000 ))
  read -r s m < <(timed "$EW" hunt "$OUT/graph.jsonl" --threads 1 --format jsonl -o "$OUT/res" -q)
  echo "| $n | $mb | $s | $m | $(wc -l <"$OUT/res") |"
done
fi

if want syslog; then
echo "### a Linux host's syslog against its size (Sysmon for Linux events among other lines, default rules)"
echo
echo "| input | Sysmon events | other lines | cat: s | wc -l: s | 1 thread: s | 1 thread: peak MiB | 2 threads: s | alerts |"
echo "|---|---|---|---|---|---|---|---|---|"
for mb in 64 256 1024; do
  f=$OUT/syslog-$mb.log
  python3 bench/gen_syslog_corpus.py testdata "$f" "$mb" >/dev/null
  read -r sc _ < <(timed cat "$f")
  read -r sg _ < <(timed wc -l "$f")
  read -r s1 m1 < <(timed "$EW" hunt "$f" --threads 1 --format jsonl -o "$OUT/res" -q --stats-json "$OUT/stats.json")
  read -r ev other < <(python3 -c "import json,sys; d = json.load(open(sys.argv[1])); print(sum(d['events'].values()) + sum(v for k, v in d['ignored'].items() if k.startswith('sysmon_linux')), d['ignored'].get('syslog: line of another program', 0))" "$OUT/stats.json")
  read -r s2 _ < <(timed "$EW" hunt "$f" --threads 2 --format jsonl -o "$OUT/res2" -q)
  cmp -s "$OUT/res" "$OUT/res2" || echo "warning: the alerts at 1 and 2 threads differ for $mb MiB" >&2
  echo "| $mb MiB | $ev | $other | $sc | $sg | $s1 | $m1 | $s2 | $(wc -l <"$OUT/res") |"
  rm -f "$f"
done
echo
fi

if want evtx; then
echo "### one EVTX log against its size (Sysmon event 1 chunks, bench rule)"
echo
echo "| input | records | 1 thread: s | 1 thread: peak MiB | 2 threads: s | 2 threads: peak MiB | matches |"
echo "|---|---|---|---|---|---|---|"
for mb in 64 256 1024; do
  f=$OUT/sysmon-$mb.evtx
  python3 bench/gen_evtx_spliced.py "${SHARED:-../shared/data}" "$f" "$mb" >/dev/null
  cat "$f" >/dev/null
  read -r s1 m1 < <(timed "$EW" hunt "$f" --rules bench/rules --rule bench-process-account-listing --threads 1 --format jsonl -o "$OUT/res" -q --stats-json "$OUT/stats.json")
  recs=$(python3 -c "import json,sys; d = json.load(open(sys.argv[1])); print(d['records'] + d['records_prefiltered'])" "$OUT/stats.json")
  read -r s2 m2 < <(timed "$EW" hunt "$f" --rules bench/rules --rule bench-process-account-listing --threads 2 --format jsonl -o "$OUT/res2" -q)
  cmp -s "$OUT/res" "$OUT/res2" || echo "warning: the alerts at 1 and 2 threads differ for $mb MiB" >&2
  echo "| $mb MiB | $recs | $s1 | $m1 | $s2 | $m2 | $(wc -l <"$OUT/res") |"
  rm -f "$f"
done
echo
fi
