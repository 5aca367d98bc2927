//! Endpoint record builders: Sysmon events 1 and 11 and PowerShell 4104 as evtx-rs renders them
//! to JSON (the shape of `testdata/demo/sysmon_process_creation.jsonl`), and Linux auditd
//! `SYSCALL`/`EXECVE`/`CWD`/`PROCTITLE` text lines (the shape of `testdata/demo/auditd_gcloud.log`).

#![allow(
    clippy::too_many_arguments,
    reason = "a vendor record has that many independent parts"
)]

use serde_json::{Value, json};

use crate::clock::{At, guid};

const SYSMON_GUID: &str = "5770385F-C22A-43E0-BF4C-06F5698FFBD9";
const POWERSHELL_GUID: &str = "A0C1853B-5C40-4B15-8766-3CF1C58F985A";

/// A Windows workstation and its interactive user.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WinHost {
    pub(crate) computer: &'static str,
    pub(crate) user: &'static str,
    pub(crate) sid: &'static str,
    pub(crate) logon_id: &'static str,
    pub(crate) home: &'static str,
}

/// One process start.
#[derive(Debug, Clone)]
pub(crate) struct Proc<'a> {
    pub(crate) pid: u32,
    pub(crate) image: &'a str,
    pub(crate) original_file_name: &'a str,
    pub(crate) command_line: &'a str,
    pub(crate) parent_pid: u32,
    pub(crate) parent_image: &'a str,
    pub(crate) parent_command_line: &'a str,
}

fn process_guid(pid: u32) -> String {
    format!("6F3C1A22-9B40-665D-{:04X}-0000000{pid:05X}", pid & 0xffff)
}

fn system(
    provider: &str,
    provider_guid: &str,
    id: u32,
    version: u32,
    at: At,
    record: u64,
    channel: &str,
    host: &WinHost,
    user_id: &str,
    task: u32,
) -> Value {
    json!({
        "Provider": {"#attributes": {"Name": provider, "Guid": provider_guid}},
        "EventID": id, "Version": version, "Level": 4, "Task": task, "Opcode": 0,
        "Keywords": "0x8000000000000000",
        "TimeCreated": {"#attributes": {"SystemTime": at.system_time()}},
        "EventRecordID": record, "Correlation": null,
        "Execution": {"#attributes": {"ProcessID": 3124, "ThreadID": 4480}},
        "Channel": channel, "Computer": host.computer,
        "Security": {"#attributes": {"UserID": user_id}}
    })
}

fn event(system: Value, data: Value) -> Value {
    json!({"Event": {
        "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
        "System": system, "EventData": data
    }})
}

/// Sysmon event 1 (process creation).
pub(crate) fn sysmon_process(host: &WinHost, at: At, record: u64, p: &Proc<'_>) -> Value {
    let sys = system(
        "Microsoft-Windows-Sysmon",
        SYSMON_GUID,
        1,
        5,
        at,
        record,
        "Microsoft-Windows-Sysmon/Operational",
        host,
        "S-1-5-18",
        1,
    );
    let hash = format!(
        "SHA256={:064X}",
        u64::from(p.pid).wrapping_mul(0x2545_f491_4f6c_dd1d)
    );
    event(
        sys,
        json!({
            "RuleName": "-", "UtcTime": at.sysmon_utc(),
            "ProcessGuid": process_guid(p.pid), "ProcessId": p.pid, "Image": p.image,
            "FileVersion": "-", "Description": "-", "Product": "-", "Company": "-",
            "OriginalFileName": p.original_file_name, "CommandLine": p.command_line,
            "CurrentDirectory": format!("{}\\", host.home), "User": host.user,
            "LogonGuid": "6F3C1A22-8E11-665D-3B7A-0B0000000000", "LogonId": host.logon_id,
            "TerminalSessionId": 1, "IntegrityLevel": "Medium", "Hashes": hash,
            "ParentProcessGuid": process_guid(p.parent_pid), "ParentProcessId": p.parent_pid,
            "ParentImage": p.parent_image, "ParentCommandLine": p.parent_command_line,
            "ParentUser": host.user
        }),
    )
}

/// Sysmon event 11 (file created) for a file the process `pid` wrote.
pub(crate) fn sysmon_file_create(
    host: &WinHost,
    at: At,
    record: u64,
    pid: u32,
    image: &str,
    target: &str,
) -> Value {
    let sys = system(
        "Microsoft-Windows-Sysmon",
        SYSMON_GUID,
        11,
        2,
        at,
        record,
        "Microsoft-Windows-Sysmon/Operational",
        host,
        "S-1-5-18",
        11,
    );
    event(
        sys,
        json!({
            "RuleName": "-", "UtcTime": at.sysmon_utc(), "ProcessGuid": process_guid(pid),
            "ProcessId": pid, "Image": image, "TargetFilename": target,
            "CreationUtcTime": at.sysmon_utc(), "User": host.user
        }),
    )
}

/// PowerShell/Operational 4104: one part of a script block.
pub(crate) fn ps_scriptblock(
    host: &WinHost,
    at: At,
    record: u64,
    part: (u32, u32),
    text: &str,
    block_id: &str,
    path: &str,
) -> Value {
    let mut sys = system(
        "Microsoft-Windows-PowerShell",
        POWERSHELL_GUID,
        4104,
        1,
        at,
        record,
        "Microsoft-Windows-PowerShell/Operational",
        host,
        host.sid,
        2,
    );
    if let Some(obj) = sys.as_object_mut() {
        obj.insert("Level".into(), json!(5));
        obj.insert("Opcode".into(), json!(15));
        obj.insert("Keywords".into(), json!("0x0"));
        obj.insert(
            "Correlation".into(),
            json!({"#attributes": {"ActivityID": guid(0x5a2d_2c4a, record).to_uppercase()}}),
        );
    }
    event(
        sys,
        json!({
            "MessageNumber": part.0, "MessageTotal": part.1, "ScriptBlockText": text,
            "ScriptBlockId": block_id, "Path": path
        }),
    )
}

/// A Linux host and its user for auditd records.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinuxHost {
    pub(crate) auid: u32,
    pub(crate) ses: u32,
    pub(crate) tty: &'static str,
    pub(crate) cwd: &'static str,
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02X}")).collect()
}

/// One `execve` as auditd logs it: SYSCALL, EXECVE (arguments with spaces or quotes hex-encoded,
/// as the kernel does), CWD, PROCTITLE and EOE lines sharing one serial.
pub(crate) fn auditd_exec(
    host: &LinuxHost,
    at: At,
    serial: u64,
    pid: u32,
    ppid: u32,
    exe: &str,
    argv: &[&str],
) -> String {
    let stamp = format!("audit({}:{serial})", at.epoch());
    let comm = argv
        .first()
        .map_or("", |a| a.rsplit('/').next().unwrap_or(a));
    let comm: String = comm.chars().take(15).collect();
    let mut out = format!(
        "type=SYSCALL msg={stamp}: arch=c000003e syscall=59 success=yes exit=0 a0=55d{pid:x}c a1=55d{pid:x}e a2=55d{pid:x}f a3=0 items=2 ppid={ppid} pid={pid} auid={a} uid={a} gid={a} euid={a} suid={a} fsuid={a} egid={a} sgid={a} fsgid={a} tty={tty} ses={ses} comm=\"{comm}\" exe=\"{exe}\" key=\"exec\"\n",
        a = host.auid,
        tty = host.tty,
        ses = host.ses
    );
    out.push_str(&format!("type=EXECVE msg={stamp}: argc={}", argv.len()));
    for (i, arg) in argv.iter().enumerate() {
        if arg.bytes().any(|b| b <= b' ' || b == b'"' || b >= 0x7f) {
            out.push_str(&format!(" a{i}={}", hex(arg)));
        } else {
            out.push_str(&format!(" a{i}=\"{arg}\""));
        }
    }
    out.push('\n');
    out.push_str(&format!("type=CWD msg={stamp}: cwd=\"{}\"\n", host.cwd));
    out.push_str(&format!(
        "type=PROCTITLE msg={stamp}: proctitle={}\n",
        hex(&argv.join("\0"))
    ));
    out.push_str(&format!("type=EOE msg={stamp}: \n"));
    out
}
