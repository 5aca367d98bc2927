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
    let (from_folder, folder_summary, _) = hunt(folder.to_str().unwrap(), stats);
    assert!(from_folder.len() >= 5);
    assert_eq!(folder_summary["inputs"], 5);
    let unlocated = |alerts: &[Value]| -> Vec<Value> {
        alerts.iter().cloned().map(without_locations).collect()
    };
    for (archive, name) in [
        (&zip_path, "Collection-ws07.zip"),
        (&tar_path, "uac-ws07-linux.tar.gz"),
    ] {
        let (alerts, summary, text) = hunt(archive.to_str().unwrap(), stats);
        assert_eq!(
            unlocated(&alerts),
            unlocated(&from_folder),
            "{name}: {text}"
        );
        for key in [
            "inputs",
            "records",
            "events",
            "ignored",
            "malformed",
            "hits",
            "alerts",
        ] {
            assert_eq!(summary[key], folder_summary[key], "{name}: {key}");
        }
        let sources: Vec<&str> = alerts
            .iter()
            .filter_map(|a| a["evidence"][0]["source"].as_str())
            .collect();
        let prefix = format!("{name}:");
        assert!(
            sources
                .iter()
                .all(|s| s.contains(&prefix) && !s.ends_with("README.md")),
            "{sources:?}"
        );
        let syslog = format!("{prefix}uac/[root]/var/log/syslog");
        assert!(sources.iter().any(|s| s.ends_with(&syslog)), "{sources:?}");
    }
}
