//! Container formats to located raw records: JSON, JSON lines, CSV, EVTX, auditd.
