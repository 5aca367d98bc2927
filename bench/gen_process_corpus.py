#!/usr/bin/env python3
"""Build a large JSON-lines corpus of endpoint process telemetry, deterministically, from real samples.

Inputs (all read from ../shared/data, never copied into the repo):
  - OTRF Security-Datasets (MIT): Sysmon / Security / PowerShell events in NXLog-style JSON lines
    (windows-discovery/cmd_seatbelt_group_user.json, empire_shell_samr_EnumDomainUsers.json.gz);
  - SigmaHQ regression data (DRL 1.1): Sysmon event 1 in the evtx-rs JSON rendering;
  - the project's own emulated positives (testdata/demo/*.jsonl, Sysmon and Defender shapes).
Each output line is one of those records with host, process id, GUID and time varied, so field
shapes stay real while the bytes do not repeat. Roughly 1 in 2,000 lines is an enumeration positive.
Usage: gen_process_corpus.py SHARED_DATA_DIR DEMO_DIR OUT_FILE SIZE_MB
"""
import gzip, json, os, random, sys

shared, demo, out_path, size_mb = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rng = random.Random(1087004)

def lines_of(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [l for l in (x.strip() for x in f) if l]

background = []
for rel in ["otrf-security-datasets/windows-discovery/cmd_seatbelt_group_user.json",
            "otrf-security-datasets/windows-discovery/empire_shell_samr_EnumDomainUsers.json.gz"]:
    background += [json.loads(l) for l in lines_of(os.path.join(shared, rel))]
reg = os.path.join(shared, "sigma-regression-data")
for d in sorted(os.listdir(reg)):
    full = os.path.join(reg, d)
    if os.path.isdir(full):
        for f in sorted(os.listdir(full)):
            if f.endswith(".json"):
                with open(os.path.join(full, f), encoding="utf-8") as fh:
                    background.append(json.load(fh))
positives = []
for f in ["sysmon_process_creation.jsonl", "defender_device_process_events.jsonl"]:
    positives += [json.loads(l) for l in lines_of(os.path.join(demo, f))]

def vary(rec, i):
    host = "WKS-%05d.corp.example" % (i % 5000)
    ev = rec.get("Event")
    if isinstance(ev, dict):
        sysd, data = ev.get("System", {}), ev.get("EventData", {})
        sysd["Computer"] = host
        sysd["EventRecordID"] = i
        if isinstance(data, dict):
            if "ProcessId" in data: data["ProcessId"] = 1000 + i % 60000
            if "ProcessGuid" in data: data["ProcessGuid"] = "14207D89-F764-68F9-%04X-%012X" % (i % 65536, i)
    else:
        for k in ("Hostname", "DeviceName"):
            if k in rec: rec[k] = host
        for k in ("ProcessId", "NewProcessId"):
            if k in rec and isinstance(rec[k], int): rec[k] = 1000 + i % 60000
        if "ProcessGuid" in rec: rec["ProcessGuid"] = "{%08x-5a2b-5f00-0000-%012x}" % (i, i)
        if "ReportId" in rec: rec["ReportId"] = i
    return rec

target = size_mb * 1024 * 1024
written, i = 0, 0
with open(out_path, "w", encoding="utf-8") as out:
    while written < target:
        src = positives[rng.randrange(len(positives))] if rng.random() < 0.0005 else background[rng.randrange(len(background))]
        line = json.dumps(vary(json.loads(json.dumps(src)), i), separators=(",", ":")) + "\n"
        out.write(line)
        written += len(line.encode("utf-8"))
        i += 1
print("wrote %d lines, %d bytes to %s" % (i, written, out_path))
