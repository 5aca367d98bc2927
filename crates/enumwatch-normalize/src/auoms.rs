//! Linux process executions from AUOMS, the auditd collector of the Azure Monitor / OMS agents,
//! as Microsoft Sentinel's `Syslog` table holds them: a row whose `SyslogMessage` is one
//! `type=AUOMS_EXECVE audit(<time>:<serial>): key=value …` record. Unlike raw auditd, AUOMS has
//! already joined the process's arguments into `cmdline="…"` (without escaping the quotes inside
//! it), so the command line is copied from the message as written.

use std::sync::Arc;

use enumwatch_event::{Event, Location, LogSource, Member, field};
use serde_json::Value;

use crate::{Disposition, basename, time};

/// The AUOMS execve record a Sentinel `Syslog` row carries, if it is one.
pub(crate) fn message(raw: &Value) -> Option<&str> {
    let message = raw.member("SyslogMessage")?.as_str()?;
    message
        .trim_start()
        .starts_with("type=AUOMS_EXECVE ")
        .then_some(message)
}

/// The value of `key` in an AUOMS message: a bare token, or a quoted one without its quotes.
fn value<'a>(message: &'a str, key: &str) -> Option<&'a str> {
    let mut from = 0;
    // A key counts only at the start of a field (after a space), never inside another's value.
    while let Some(at) = message.get(from..)?.find(key) {
        let start = from + at;
        from = start + key.len();
        let preceded = start > 0 && message.as_bytes().get(start - 1) == Some(&b' ');
        let rest = message.get(start + key.len()..)?;
        if !preceded || !rest.starts_with('=') {
            continue;
        }
        let rest = rest.get(1..)?;
        return Some(match rest.strip_prefix('"') {
            Some(quoted) => quoted.split('"').next().unwrap_or_default(),
            None => rest.split(' ').next().unwrap_or_default(),
        });
    }
    None
}

/// The `cmdline` of an AUOMS message as written. AUOMS does not escape the quotes of the
/// arguments it joins (`cmdline="bash -c "id""`), so the value ends at the quote that is followed
/// by the end of the message or by the fields AUOMS writes after it (`redactors=`,
/// `containerid=`), and failing those at the last quote.
fn cmdline(message: &str) -> Option<&str> {
    let at = message.find(" cmdline=")?;
    let rest = message.get(at + " cmdline=".len()..)?.trim_end();
    let Some(quoted) = rest.strip_prefix('"') else {
        return rest.split(' ').next();
    };
    let ends = quoted.match_indices('"').map(|(i, _)| i);
    let closing = ends
        .clone()
        .find(|&i| {
            let after = quoted.get(i + 1..).unwrap_or_default();
            after.is_empty()
                || after.starts_with(" redactors=")
                || after.starts_with(" containerid=")
        })
        .or_else(|| quoted.rfind('"'))?;
    quoted.get(..closing)
}

pub(crate) fn normalize(
    message: &str,
    location: Location,
    raw: Arc<Value>,
    out: &mut Vec<Event>,
) -> Disposition {
    // The shell's search of `PATH` leaves a failed execve per directory tried: not a process.
    if value(message, "success") == Some("no") {
        return Disposition::Ignored {
            source: LogSource::Auditd,
            reason: "failed execve",
        };
    }
    let Some(command_line) = cmdline(message).filter(|c| !c.trim().is_empty()) else {
        return Disposition::Ignored {
            source: LogSource::Auditd,
            reason: "no cmdline in AUOMS record",
        };
    };
    let command_line = command_line.to_owned();
    let mut event = Event::new(LogSource::Auditd, location, Arc::clone(&raw));
    let stamp = |key: &str| {
        raw.member(key)
            .and_then(Value::as_str)
            .and_then(time::parse)
    };
    event.time = stamp("TimeGenerated")
        .or_else(|| stamp("EventTime"))
        .or_else(|| {
            // `audit(1652292621.990:84143)`
            let inner = message.split("audit(").nth(1)?;
            time::parse(inner.split(':').next()?)
        });
    let image = value(message, "exe").filter(|e| !e.is_empty());
    let file_name = image
        .or_else(|| command_line.split(' ').next())
        .map(|p| basename(p).to_owned());
    let computer = ["Computer", "HostName"]
        .into_iter()
        .find_map(|k| raw.member(k).and_then(Value::as_str))
        .or_else(|| value(message, "node"))
        .map(str::to_owned);
    let f = &mut event.fields;
    f.insert_opt(field::FILE_NAME, file_name);
    f.insert_opt(field::IMAGE, image.map(str::to_owned));
    f.insert(field::COMMAND_LINE, command_line);
    f.insert_opt(
        field::CURRENT_DIRECTORY,
        value(message, "cwd").map(str::to_owned),
    );
    // The user name AUOMS resolved, else the numeric id.
    f.insert_opt(
        field::USER,
        value(message, "user")
            .or_else(|| value(message, "uid"))
            .map(str::to_owned),
    );
    f.insert_opt(
        field::AUDIT_USER,
        // `unset` / 4294967295 (-1): no login session (a daemon's process).
        value(message, "audit_user")
            .filter(|u| *u != "unset")
            .or_else(|| value(message, "auid").filter(|a| *a != "4294967295"))
            .map(str::to_owned),
    );
    f.insert_opt(field::PROCESS_ID, value(message, "pid").map(str::to_owned));
    f.insert_opt(
        field::PARENT_PROCESS_ID,
        value(message, "ppid").map(str::to_owned),
    );
    f.insert_opt(field::COMPUTER, computer);
    out.push(event);
    Disposition::Emitted(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &str = r#"type=AUOMS_EXECVE audit(1652292621.990:84143): SchemaVersion="1" auoms_version=2.5.2.0 node=UBUNTU5 syscall=execve success=yes exit=0 ppid=1340 pid=17790 audit_user=unset auid=4294967295 user=tomcat uid=1001 comm="bash" exe="/bin/bash" cwd="/" path_name=["/bin/bash","/lib64/ld-linux-x86-64.so.2"] argc=3 cmdline="bash -c "{echo,YmFzaA==}|{base64,-d}|{bash,-i}"" redactors= containerid="#;

    #[test]
    fn fields_are_read_where_they_start() {
        assert_eq!(value(MESSAGE, "pid"), Some("17790"));
        assert_eq!(value(MESSAGE, "ppid"), Some("1340"));
        assert_eq!(value(MESSAGE, "uid"), Some("1001"));
        assert_eq!(value(MESSAGE, "exe"), Some("/bin/bash"));
        assert_eq!(value(MESSAGE, "user"), Some("tomcat"));
        assert_eq!(value(MESSAGE, "missing"), None);
    }

    #[test]
    fn the_command_line_keeps_its_unescaped_quotes() {
        assert_eq!(
            cmdline(MESSAGE),
            Some(r#"bash -c "{echo,YmFzaA==}|{base64,-d}|{bash,-i}""#)
        );
        assert_eq!(
            cmdline(r#"type=AUOMS_EXECVE x=1 cmdline="aws iam list-users""#),
            Some("aws iam list-users")
        );
        assert_eq!(
            cmdline(r#"type=AUOMS_EXECVE cmdline="sh -c "a" b="c"" other=1"#),
            Some(r#"sh -c "a" b="c""#)
        );
        assert_eq!(cmdline("type=AUOMS_EXECVE cmdline=id pid=1"), Some("id"));
        assert_eq!(cmdline("type=AUOMS_EXECVE pid=1"), None);
    }
}
