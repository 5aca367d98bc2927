//! A triage collection handed over as one archive (a Velociraptor offline collector's
//! `Collection-….zip`, UAC's `….tar.gz`, a download of a trail's bucket): hunted as it is, it
//! gives the alerts and counts the same files give as a folder, each evidence named
//! `archive:member`.

use std::io::Write;

use serde_json::Value;

use crate::{enumwatch, repo_root, stderr, stdout, without_locations};

/// Real and emulated samples of four logs, as members of a collection.
const MEMBERS: [(&str, &str); 5] = [
    (
        "testdata/demo/218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json.gz",
        "AWSLogs/218007301253/CloudTrail/us-east-1/2023/07/10/218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json.gz",
    ),
    (
        "testdata/logs/windows_rendered/get_winevent_4688_aws_cli_emulated.jsonl",
        "uploads/ws07/security_4688.jsonl",
    ),
    (
        "testdata/demo/sysmon_adfind_sigma_regression.evtx",
        "uploads/auto/C%3A/Windows/System32/winevt/Logs/Microsoft-Windows-Sysmon%4Operational.evtx",
    ),
    (
        "testdata/logs/sysmon_linux/syslog_sysmon_linux_emulated.log",
        "uac/[root]/var/log/syslog",
    ),
    (
        "testdata/demo/auditd_gcloud.log",
        "uac/[root]/var/log/audit/audit.log",
    ),
];

fn hunt(path: &str, stats: &str) -> (Vec<Value>, Value, String) {
    let out = enumwatch(&["hunt", path, "--format", "jsonl", "--stats-json", stats]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let alerts = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = serde_json::from_slice(&std::fs::read(stats).unwrap()).unwrap();
    (alerts, summary, stderr(&out))
}

#[test]
fn a_zipped_or_tarred_collection_hunts_as_the_folder_of_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("collection");
    let zip_path = dir.path().join("Collection-ws07.zip");
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    for (i, (sample, member)) in MEMBERS.iter().enumerate() {
        let bytes = std::fs::read(repo_root().join(sample)).unwrap();
        let on_disk = folder.join(member);
        std::fs::create_dir_all(on_disk.parent().unwrap()).unwrap();
        std::fs::write(&on_disk, &bytes).unwrap();
        // Stored and deflated members both.
        let method = if i % 2 == 0 {
            zip::CompressionMethod::DEFLATE
        } else {
            zip::CompressionMethod::Stored
        };
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        writer.start_file(*member, options).unwrap();
        writer.write_all(&bytes).unwrap();
    }
    writer
        .start_file("README.md", zip::write::SimpleFileOptions::default())
        .unwrap();
    writer
        .write_all(b"# collected by the offline collector")
        .unwrap();
    writer.finish().unwrap();
    // The same members as a compressed tar.
    let tar_path = dir.path().join("uac-ws07-linux.tar.gz");
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&tar_path).unwrap(),
        flate2::Compression::fast(),
    );
    let mut tar = tar::Builder::new(gz);
    for (sample, member) in MEMBERS {
        tar.append_path_with_name(repo_root().join(sample), member)
            .unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();

    let stats = dir.path().join("stats.json");
    let stats = stats.to_str().unwrap();
    let (from_zip, zip_summary, text) = hunt(zip_path.to_str().unwrap(), stats);
    let (from_folder, folder_summary, _) = hunt(folder.to_str().unwrap(), stats);
    assert!(from_zip.len() >= 5, "{text}");
    let unlocated = |alerts: &[Value]| -> Vec<Value> {
        alerts.iter().cloned().map(without_locations).collect()
    };
    assert_eq!(unlocated(&from_zip), unlocated(&from_folder));
    for key in [
        "inputs",
        "records",
        "events",
        "ignored",
        "malformed",
        "hits",
        "alerts",
    ] {
        assert_eq!(zip_summary[key], folder_summary[key], "{key}");
    }
    assert_eq!(zip_summary["inputs"], 5);
    let sources: Vec<&str> = from_zip
        .iter()
        .filter_map(|a| a["evidence"][0]["source"].as_str())
        .collect();
    assert!(
        sources
            .iter()
            .all(|s| s.contains("Collection-ws07.zip:") && !s.ends_with("README.md")),
        "{sources:?}"
    );
    assert!(
        sources
            .iter()
            .any(|s| s.ends_with(".zip:uac/[root]/var/log/syslog")),
        "{sources:?}"
    );

    let (from_tar, tar_summary, _) = hunt(tar_path.to_str().unwrap(), stats);
    assert_eq!(unlocated(&from_tar), unlocated(&from_folder));
    for key in [
        "inputs",
        "records",
        "events",
        "ignored",
        "malformed",
        "hits",
        "alerts",
    ] {
        assert_eq!(tar_summary[key], folder_summary[key], "{key}");
    }
    assert!(
        from_tar
            .iter()
            .filter_map(|a| a["evidence"][0]["source"].as_str())
            .all(|s| s.contains("uac-ws07-linux.tar.gz:")),
        "{from_tar:?}"
    );
}
