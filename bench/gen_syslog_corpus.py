#!/usr/bin/env python3
"""A Linux syslog corpus for bench/scaling.sh, from the emulated sample of Sysmon for Linux in
testdata/logs/sysmon_linux/ (its lines repeated with other hosts, times, process ids and record
ids; the three cloud CLI listings are kept in one block of every 100, the others run `ls`).

  gen_syslog_corpus.py TESTDATA_DIR OUT_FILE SIZE_MB
"""
import re
import sys

MONTH = "Nov"


def main():
    testdata, out_path, size_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sample = open(f"{testdata}/logs/sysmon_linux/syslog_sysmon_linux_emulated.log").read()
    lines = sample.splitlines()
    benign = [re.sub(r'(<Data Name="CommandLine">)[^<]*', r"\1ls -la /srv/app", l)
              if re.search(r"iam |ad user list|service-accounts", l) else l for l in lines]
    target = size_mb * 1024 * 1024
    written = 0
    block = 0
    with open(out_path, "w") as out:
        while written < target:
            host = "ip-10-0-%d-%d" % (block % 7, block % 211)
            second = block % 86400
            stamp = "%s %2d %02d:%02d:%02d" % (MONTH, 1 + block // 86400 % 28, second // 3600,
                                               second // 60 % 60, second % 60)
            source = lines if block % 100 == 0 else benign
            text = "\n".join(source) + "\n"
            text = re.sub(r"^Nov 30 \d\d:\d\d:\d\d ip-10-0-1-12", stamp + " " + host, text,
                          flags=re.M)
            text = text.replace("<Computer>ip-10-0-1-12<", "<Computer>%s<" % host)
            text = re.sub(r"<EventRecordID>(\d+)<",
                          lambda m: "<EventRecordID>%d<" % (int(m.group(1)) + block * 16), text)
            text = re.sub(r'"ProcessId">(\d+)<',
                          lambda m: '"ProcessId">%d<' % ((int(m.group(1)) + block * 7) % 4194304),
                          text)
            out.write(text)
            written += len(text)
            block += 1
    print(f"wrote {block} blocks, {written} bytes to {out_path}")


if __name__ == "__main__":
    main()
