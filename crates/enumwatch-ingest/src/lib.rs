//! Where bytes come from: path and directory walking, stdin, decompression by magic bytes.
