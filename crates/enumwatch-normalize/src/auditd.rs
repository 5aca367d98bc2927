//! Linux auditd events (grouped by the decoder): `EXECVE` arguments decoded (quoted as written,
//! unquoted hex, chunked `aN[k]` parts), with `SYSCALL` (exe, uid, pid, ppid) and `CWD`;
//! `PROCTITLE` (hex, NUL-separated argv) stands in when `EXECVE` is missing.

use std::sync::Arc;

use enumwatch_event::{Event, Location, LogSource, field};
use serde_json::Value;

use crate::windows::text;
use crate::{Disposition, basename, time};

/// An auditd value as written, as bytes: `"quoted"` text, or hex-encoded bytes, or a plain
/// token (`(null)`, numbers) kept as is.
fn decode_bytes(raw: &str) -> Vec<u8> {
    if let Some(inner) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        return inner.as_bytes().to_vec();
    }
    let hex = raw.as_bytes();
    if hex.len().is_multiple_of(2) && !hex.is_empty() && hex.iter().all(u8::is_ascii_hexdigit) {
        return hex
            .chunks_exact(2)
            .filter_map(|pair| {
                let hi = char::from(pair.first().copied()?).to_digit(16)?;
                let lo = char::from(pair.get(1).copied()?).to_digit(16)?;
                u8::try_from(hi * 16 + lo).ok()
            })
            .collect();
    }
    raw.as_bytes().to_vec()
}

fn decode_value(raw: &str) -> String {
    String::from_utf8_lossy(&decode_bytes(raw)).into_owned()
}

fn quote_if_needed(arg: &str) -> String {
    if arg.is_empty() || arg.contains(char::is_whitespace) {
        format!("\"{arg}\"")
    } else {
        arg.to_owned()
    }
}

fn execve_args(rec: &serde_json::Map<String, Value>) -> Vec<String> {
    let get = |k: &str| text(rec.get(k));
    // argc bounds the loop; a forged huge argc cannot make us probe millions of keys.
    let argc: usize = get("argc")
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
        .min(rec.len());
    let mut args = Vec::with_capacity(argc);
    for i in 0..argc {
        if let Some(v) = get(&format!("a{i}")) {
            args.push(decode_value(&v));
            continue;
        }
        // Long arguments are split: a2_len=… a2[0]=… a2[1]=…; each chunk is encoded like the
        // whole argument, so chunks are decoded to bytes and the bytes joined.
        let mut bytes = Vec::new();
        let mut k = 0;
        while let Some(chunk) = get(&format!("a{i}[{k}]")) {
            bytes.extend(decode_bytes(&chunk));
            k += 1;
        }
        if k > 0 {
            args.push(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    args
}

pub(crate) fn normalize(location: Location, raw: Arc<Value>, out: &mut Vec<Event>) -> Disposition {
    let audit = &raw["auditd"];
    let records: Vec<&serde_json::Map<String, Value>> = audit["records"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let of_type = |t: &str| {
        records
            .iter()
            .copied()
            .find(|r| r.get("type").and_then(Value::as_str) == Some(t))
    };
    let mut args = of_type("EXECVE").map(execve_args).unwrap_or_default();
    if args.is_empty()
        && let Some(title) = of_type("PROCTITLE")
            .and_then(|r| r.get("proctitle"))
            .and_then(Value::as_str)
    {
        args = decode_value(title)
            .split('\0')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
    }
    if args.is_empty() {
        return Disposition::Ignored {
            source: LogSource::Auditd,
            reason: "no execve in event",
        };
    }
    let syscall = of_type("SYSCALL");
    // SYSCALL fields are numbers and quoted paths, never hex: only strip the quotes.
    let sys = |k: &str| {
        syscall
            .and_then(|r| r.get(k))
            .and_then(Value::as_str)
            .map(|v| v.trim_matches('"').to_owned())
    };
    let mut event = Event::new(LogSource::Auditd, location, Arc::clone(&raw));
    event.time = audit["time"].as_str().and_then(time::parse);
    let command_line = args
        .iter()
        .map(|a| quote_if_needed(a))
        .collect::<Vec<_>>()
        .join(" ");
    let image = sys("exe").filter(|e| !e.is_empty() && e != "(null)");
    let file_name = image
        .as_deref()
        .or(args.first().map(String::as_str))
        .map(|p| basename(p).to_owned());
    let node = records
        .iter()
        .find_map(|r| text(r.get("node")))
        .map(|n| n.trim_matches('"').to_owned());
    let f = &mut event.fields;
    f.insert_opt(field::FILE_NAME, file_name);
    f.insert_opt(field::IMAGE, image);
    f.insert(field::COMMAND_LINE, command_line);
    f.insert(field::ARGV, args);
    f.insert_opt(
        field::CURRENT_DIRECTORY,
        of_type("CWD")
            .and_then(|r| r.get("cwd"))
            .and_then(Value::as_str)
            .map(decode_value),
    );
    // Numeric ids as the kernel wrote them; `UID`/`AUID` (enriched names) only as a fallback.
    f.insert_opt(field::USER, sys("uid").or_else(|| sys("UID")));
    f.insert_opt(field::AUDIT_USER, sys("auid").or_else(|| sys("AUID")));
    f.insert_opt(field::PROCESS_ID, sys("pid"));
    f.insert_opt(field::PARENT_PROCESS_ID, sys("ppid"));
    f.insert_opt(field::COMPUTER, node);
    out.push(event);
    Disposition::Emitted(1)
}
