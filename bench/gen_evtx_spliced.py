#!/usr/bin/env python3
"""Build one large EVTX file from the chunks of real EVTX samples, for the single-file rows of
bench/compare.sh: one Sysmon Operational log, as a SOC exports a busy host's.

The chunks come from the SigmaHQ regression samples of process-creation rules
(`sigma-regression-data/proc_creation_win_*/*.evtx`, Sysmon event 1). A real log holds one
channel, and Hayabusa reads only files whose first records are of a channel its rules name.

No record is synthesized. An EVTX file is a 4 KiB file header followed by 64 KiB chunks, and each
chunk is self-contained: its own string and template tables, its records' offsets relative to
the chunk. So the real chunks are copied whole, cycling through the samples in sorted order, and
only the numbering a reader checks is rewritten:
  - each record's header record id (bytes 8..16 of the record), so ids run 1, 2, 3... across the
    file as Windows writes them (the record's rendered System/EventRecordID is left as written);
  - each chunk header's first/last record number and id, and its two CRC32 checksums (records
    data, and header bytes 0..120 + 128..512);
  - the file header's chunk count, last chunk number, next record id and CRC32 (bytes 0..120).
The chunk count field is 16 bits: past 65,535 chunks (4 GiB) readers count chunks from the file
size, as Windows' own large logs require.

Usage: gen_evtx_spliced.py SHARED_DATA_DIR OUT_FILE SIZE_MB
"""
import glob
import os
import struct
import sys
import zlib

HEADER = 4096
CHUNK = 65536


def sample_chunks(shared):
    files = glob.glob(os.path.join(shared, "sigma-regression-data", "proc_creation_win_*", "*.evtx"))
    chunks = []
    for path in sorted(files):
        data = open(path, "rb").read()
        for off in range(HEADER, len(data) - CHUNK + 1, CHUNK):
            chunk = data[off:off + CHUNK]
            if chunk[:8] == b"ElfChnk\x00":
                chunks.append(chunk)
    if not chunks:
        sys.exit(f"no EVTX chunks under {shared}")
    return chunks


def records(chunk):
    """(offset, size) of each record of a chunk, up to its free-space offset."""
    free = struct.unpack_from("<I", chunk, 48)[0]
    off = 512
    while off + 24 <= free:
        magic, size = struct.unpack_from("<II", chunk, off)
        if magic != 0x00002A2A or size < 24 or off + size > free:
            break
        yield off, size
        off += size


def renumber(chunk, next_id):
    chunk = bytearray(chunk)
    first = next_id
    for off, _ in records(chunk):
        struct.pack_into("<Q", chunk, off + 8, next_id)
        next_id += 1
    last = next_id - 1
    struct.pack_into("<QQQQ", chunk, 8, first, last, first, last)
    free = struct.unpack_from("<I", chunk, 48)[0]
    struct.pack_into("<I", chunk, 52, zlib.crc32(chunk[512:free]) & 0xFFFFFFFF)
    struct.pack_into("<I", chunk, 124, zlib.crc32(chunk[:120] + chunk[128:512]) & 0xFFFFFFFF)
    return bytes(chunk), next_id


def main():
    shared, out, size_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
    chunks = sample_chunks(shared)
    n = max(1, (size_mb * 1048576 - HEADER) // CHUNK)
    header = bytearray(HEADER)
    header[:8] = b"ElfFile\x00"
    tmp = out + ".partial"
    next_id = 1
    with open(tmp, "wb") as f:
        f.write(header)
        for i in range(n):
            chunk, next_id = renumber(chunks[i % len(chunks)], next_id)
            f.write(chunk)
        # first chunk 0, last chunk n-1, next record id; header size 128, version 3.1,
        # header block 4096, chunk count (16 bits), flags 0
        struct.pack_into("<QQQIHHHH", header, 8, 0, n - 1, next_id, 128, 1, 3, HEADER, min(n, 0xFFFF))
        struct.pack_into("<I", header, 124, zlib.crc32(header[:120]) & 0xFFFFFFFF)
        f.seek(0)
        f.write(header)
    os.replace(tmp, out)
    print(f"{out}: {n} chunks from {len(chunks)} sample chunks, {next_id - 1} records")


if __name__ == "__main__":
    main()
