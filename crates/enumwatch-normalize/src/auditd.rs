//! Linux auditd events (grouped by the decoder): `EXECVE` arguments decoded (quoted as written,
//! unquoted hex, chunked `aN[k]` parts), with `SYSCALL` (exe, uid, pid, ppid) and `CWD`;
//! `PROCTITLE` (hex, NUL-separated argv) stands in when `EXECVE` is missing.

use std::sync::Arc;

use enumwatch_event::{Event, Location, LogSource, field};
use serde_json::Value;

use crate::{Disposition, basename, time};

/// An auditd value as written: `"quoted"` text, or hex-encoded bytes, or a plain token.
fn decode_value(raw: &str) -> String {
    if let Some(inner) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        return inner.to_owned();
    }
    if raw.len().is_multiple_of(2) && !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_hexdigit())
    {
        let bytes: Vec<u8> = (0..raw.len() / 2)
            .filter_map(|i| {
                raw.get(2 * i..2 * i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .collect();
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    raw.to_owned()
}

fn quote_if_needed(arg: &str) -> String {
    if arg.is_empty() || arg.contains(char::is_whitespace) {
        format!("\"{arg}\"")
    } else {
        arg.to_owned()
    }
}

fn execve_args(rec: &serde_json::Map<String, Value>) -> Vec<String> {
    let get = |k: &str| rec.get(k).and_then(Value::as_str);
    let argc: usize = get("argc")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
        .min(4096);
    let mut args = Vec::with_capacity(argc);
    for i in 0..argc {
        if let Some(v) = get(&format!("a{i}")) {
            args.push(decode_value(v));
            continue;
        }
        // Long arguments are split: a2_len=… a2[0]=… a2[1]=… (each chunk hex or quoted).
        let mut joined = String::new();
        let mut k = 0;
        while let Some(chunk) = get(&format!("a{i}[{k}]")) {
            joined.push_str(chunk);
            k += 1;
        }
        if k > 0 {
            args.push(decode_value(&joined));
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
    let image = sys("exe").or_else(|| args.first().cloned());
    let f = &mut event.fields;
    if let Some(image) = &image {
        f.insert(field::FILE_NAME, basename(image).to_owned());
    }
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
    f.insert_opt(field::USER, sys("UID").or_else(|| sys("uid")));
    f.insert_opt("AuditUser", sys("AUID").or_else(|| sys("auid")));
    f.insert_opt(field::PROCESS_ID, sys("pid"));
    f.insert_opt(field::PARENT_PROCESS_ID, sys("ppid"));
    f.insert_opt(field::COMPUTER, sys("node"));
    out.push(event);
    Disposition::Emitted(1)
}
