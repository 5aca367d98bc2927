//! `enumwatch report`: the Markdown is snapshotted, and the HTML is self-contained and renders
//! in a real headless Chromium (screenshot taken) without console errors.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{enumwatch, stderr};

fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(path);
    }
    for candidate in [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    panic!(
        "the report test needs a headless Chromium: `apt-get install chromium` (.ci/run does) or set CHROMIUM"
    );
}

#[test]
fn markdown_report_of_the_invictus_burst() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("report.md");
    let out = enumwatch(&[
        "report",
        "testdata/logs/cloudtrail/invictus",
        "--markdown",
        md.to_str().unwrap(),
        "--today",
        "2026-11-30",
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!(std::fs::read_to_string(&md).unwrap());
}

#[test]
fn html_report_is_self_contained_and_renders_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let out = enumwatch(&[
        "report",
        "testdata/demo",
        "testdata/cloud",
        "--html",
        html.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&html).unwrap();
    for external in ["<script", "<link", " src=", "@import", "url("] {
        assert!(
            !text.contains(external),
            "the report must be self-contained: found {external}"
        );
    }
    assert!(text.contains("Incident 1:"));
    assert!(
        text.contains("AWSCloudTrail\n| where TimeGenerated"),
        "hunting queries are in"
    );

    let png = dir.path().join("report.png");
    let url = format!("file://{}", html.display());
    let shot = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--window-size=1280,2000",
        ])
        .arg(format!("--screenshot={}", png.display()))
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let console = String::from_utf8_lossy(&shot.stderr);
    for line in console.lines() {
        assert!(
            !(line.contains("Uncaught") || line.contains("CONSOLE") && line.contains("Error")),
            "the page logged an error: {line}"
        );
    }
    let image = std::fs::read(&png).unwrap();
    assert!(image.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG screenshot");
    assert!(
        image.len() > 20_000,
        "the screenshot has content ({} bytes)",
        image.len()
    );

    let dom = Command::new(chromium())
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg(&url)
        .output()
        .unwrap();
    assert!(dom.status.success());
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("<h2 id=\"timeline\">Timeline</h2>"),
        "Chromium parsed the page"
    );
    assert!(dom.contains("AzureHound Collection Fingerprint in Graph Activity"));
}
