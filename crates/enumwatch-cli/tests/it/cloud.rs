//! The DET0386 cloud analytics end to end: each fires on its emulated attack, stays quiet on
//! the benign automation beside it, and each list-valued tunable silences what it names (never
//! an offensive tool). The Invictus AWS dataset gives exactly the Boto3 burst.

use std::io::Write;

use serde_json::Value;

use crate::{enumwatch, stderr, stdout, without_locations};

/// (analytic, rule title, actor) of every alert of a hunt, in output order.
fn hunt(path: &str, config: Option<&str>) -> Vec<(String, String, String, Value)> {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["hunt", path, "--format", "json", "-q"];
    let config_path = dir.path().join("enumwatch.toml");
    let config_text = config_path.to_str().unwrap().to_owned();
    if let Some(text) = config {
        std::fs::File::create(&config_path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        args.extend(["--config", &config_text]);
    }
    let out = enumwatch(&args);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let alerts: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    alerts
        .into_iter()
        .map(|a| {
            (
                a["analytic"].as_str().unwrap_or_default().to_owned(),
                a["rule"]["title"].as_str().unwrap().to_owned(),
                a["actor"].as_str().unwrap_or_default().to_owned(),
                a,
            )
        })
        .collect()
}

fn titles(alerts: &[(String, String, String, Value)], actor: &str) -> Vec<String> {
    let mut t: Vec<String> = alerts
        .iter()
        .filter(|a| a.2.ends_with(actor))
        .map(|a| a.1.clone())
        .collect();
    t.sort();
    t
}

#[test]
fn invictus_boto3_burst_is_one_alert_and_the_terraform_stratus_background_is_quiet() {
    let alerts = hunt("testdata/logs/cloudtrail/invictus", None);
    assert_eq!(
        alerts.len(),
        1,
        "{:#?}",
        alerts.iter().map(|a| &a.1).collect::<Vec<_>>()
    );
    let (analytic, title, actor, alert) = &alerts[0];
    assert_eq!(analytic, "AN1088");
    assert_eq!(
        title,
        "Burst of Cloud Identity Enumeration by One Principal"
    );
    assert_eq!(actor, "arn:aws:iam::123837392027:user/benjamin");
    assert_eq!(alert["platform"], "AWS");
    assert_eq!(alert["tool"], "boto3");
    assert_eq!(alert["evidence"].as_array().unwrap().len(), 5);
    assert!(
        alert["explanation"]
            .as_str()
            .unwrap()
            .contains("GetAccountAuthorizationDetails")
    );
    assert!(
        alert["factors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f.as_str().unwrap().contains("Authorization Dump")),
        "the single high-value event is folded into the burst"
    );
    // CallerType: naming benjamin an admin whose enumeration is expected silences it.
    let tuned = hunt(
        "testdata/logs/cloudtrail/invictus",
        Some(
            "[iaas.caller_type]\nadmin = [\"*:user/benjamin\"]\nexpected_enumerators = [\"admin\"]\n",
        ),
    );
    assert!(tuned.is_empty());
}

/// The alerts of a hunt over `path` (default configuration), without their locations.
/// A copy of a trail's bucket holds a digest file per hour and region beside the log files
/// (log file validation). Digests hold no event: they are counted as known and ignored, not
/// reported as records of an unknown shape, and change no alert.
#[test]
fn a_trails_digest_files_are_known_and_ignored() {
    let digest = "testdata/logs/cloudtrail/210987654321_CloudTrail-Digest_eu-west-1_org-trail_eu-west-1_20261130T150412Z.json.gz";
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let run = |paths: &[&str]| {
        let mut args = vec![
            "hunt",
            "--format",
            "jsonl",
            "--stats-json",
            stats.to_str().unwrap(),
        ];
        args.extend(paths);
        let out = enumwatch(&args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let summary: Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
        let alerts: Vec<Value> = stdout(&out)
            .lines()
            .map(|l| without_locations(serde_json::from_str(l).unwrap()))
            .collect();
        (alerts, summary, stderr(&out))
    };
    let (alone, summary, text) = run(&[digest]);
    assert!(alone.is_empty());
    assert_eq!(summary["records"], 1);
    assert_eq!(summary["unrecognized"], 0, "{text}");
    assert_eq!(summary["ignored"]["cloudtrail: digest file (no events)"], 1);
    assert_eq!(summary["problems"], serde_json::json!([]));

    let (logs, ..) = run(&["testdata/logs/cloudtrail/invictus"]);
    let (both, summary, _) = run(&["testdata/logs/cloudtrail/invictus", digest]);
    assert!(!logs.is_empty());
    assert_eq!(both, logs);
    assert_eq!(summary["unrecognized"], 0);
}

fn unlocated_alerts(path: &str) -> Vec<Value> {
    hunt(path, None)
        .into_iter()
        .map(|a| without_locations(a.3))
        .collect()
}

#[test]
fn cloudtrail_event_history_and_cloudwatch_logs_alert_as_the_trail_does() {
    // The same 29 records as a trail's S3 object give the same alerts as `aws cloudtrail
    // lookup-events` prints them (newest first) and as JSON lines of its entries.
    let trail: Vec<Value> = unlocated_alerts(
        "testdata/demo/218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json.gz",
    );
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0]["actor"], "arn:aws:iam::123837392027:user/benjamin");
    // So do the records a trail delivered to CloudWatch Logs: Firehose's S3 object of
    // subscription payloads, and `aws logs filter-log-events` output.
    for file in [
        "testdata/logs/cloudtrail/lookup_events_invictus.json",
        "testdata/logs/cloudtrail/lookup_events_invictus_entries.jsonl",
        "testdata/logs/cloudtrail/cloudwatch_firehose_invictus.gz",
        "testdata/logs/cloudtrail/cloudwatch_filter_log_events_invictus.json",
        // And the same records queried with Athena: the console's CSV download and `aws athena
        // get-query-results` output, lower-cased columns and `ROW` texts rebuilt.
        "testdata/logs/cloudtrail/athena_results_invictus.csv",
        "testdata/logs/cloudtrail/athena_get_query_results_invictus.json",
        // And as a SOC hands them over from Splunk: the JSON and CSV exports of a search, each
        // result's `_raw` the record.
        "testdata/logs/cloudtrail/splunk_export_invictus.json",
        "testdata/logs/cloudtrail/splunk_export_invictus.csv",
        // And as Microsoft Sentinel's `AWSCloudTrail` table holds them: `az monitor
        // log-analytics query` output and the portal's CSV export.
        "testdata/logs/cloudtrail/sentinel_awscloudtrail_az_query_invictus.json",
        "testdata/logs/cloudtrail/sentinel_awscloudtrail_portal_invictus.csv",
        // And as the Elastic Agent indexed them with `preserve_original_event`, dumped from
        // Elasticsearch: each hit's `event.original` is the record.
        "testdata/logs/cloudtrail/elasticdump_preserved_original_invictus.jsonl",
        // Without `preserve_original_event`: the ECS documents rebuilt into the records.
        "testdata/logs/cloudtrail/elasticdump_ecs_invictus.jsonl",
    ] {
        let history: Vec<Value> = unlocated_alerts(file);
        assert_eq!(history, trail, "{file}");
    }
}

#[test]
fn cloud_clis_run_on_linux_alert_from_sentinel_auoms_rows() {
    // AUOMS execve records in a Sentinel `Syslog` table: the real Log4Shell rows are quiet, the
    // emulated `aws` and `gcloud` listings alert, `aws s3 ls` and a failed execve do not.
    let alerts = hunt("testdata/logs/auoms", None);
    let seen: Vec<(String, String, String)> = alerts
        .iter()
        .map(|a| {
            (
                a.3["platform"].as_str().unwrap().to_owned(),
                a.3["explanation"].as_str().unwrap().to_owned(),
                a.3["evidence"][0]["source"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(seen.len(), 3, "{seen:#?}");
    for (platform, command) in [
        ("AWS", "`aws iam list-users`"),
        ("AWS", "`aws iam get-account-authorization-details`"),
        ("GCP", "`gcloud iam service-accounts list`"),
    ] {
        assert!(
            seen.iter().any(|(p, e, source)| p == platform
                && e.contains(command)
                && e.starts_with("devops on BUILD7")
                && source.ends_with("auoms_cloud_cli_emulated.json")),
            "{command}: {seen:#?}"
        );
    }
}

#[test]
fn okta_log_streaming_through_eventbridge_alerts_as_the_api_does() {
    let direct: Vec<Value> = unlocated_alerts("testdata/logs/okta/emulated_system_log_api.json");
    assert!(!direct.is_empty());
    let streamed: Vec<Value> =
        unlocated_alerts("testdata/logs/okta/emulated_eventbridge_log_stream.jsonl");
    assert_eq!(streamed, direct);
}

#[test]
fn an_azurehound_sign_in_in_the_admin_center_csv_download_alerts() {
    let alerts = hunt(
        "testdata/logs/entra_signin/entra_admin_center_signins_emulated.csv",
        None,
    );
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let (analytic, title, actor, alert) = &alerts[0];
    assert_eq!(analytic, "AN1087");
    assert_eq!(title, "Offensive Tool Against the Identity Provider");
    assert_eq!(actor, "alice@contoso.onmicrosoft.com");
    assert_eq!(alert["tool"], "AzureHound");
    assert_eq!(alert["tool_category"], "KnownOffensiveTool");
    assert_eq!(alert["evidence"][0]["record"], 0);
}

#[test]
fn the_admin_center_audit_csv_download_alerts_as_the_graph_export_does() {
    // The download gives times to the second: the alerts' times (and the hunting queries'
    // windows around them) are compared to the second.
    let to_the_second = |file: &str| -> Vec<Value> {
        hunt(file, None)
            .into_iter()
            .map(|a| {
                let mut alert = without_locations(a.3);
                let time = alert["time"].as_str().unwrap().to_owned();
                alert["time"] = Value::from(format!("{}Z", &time[..19]));
                alert.as_object_mut().unwrap().remove("hunting");
                alert
            })
            .collect()
    };
    let graph = to_the_second("testdata/logs/entra_audit/entra_directory_audits_emulated.json");
    assert_eq!(graph.len(), 2);
    let csv = to_the_second("testdata/logs/entra_audit/entra_admin_center_audit_emulated.csv");
    assert_eq!(csv, graph);
}

#[test]
fn gcp_bigquery_sink_rows_meet_the_rules_as_gcloud_logging_read_does() {
    // Four IAM reads: each a hit of a building-block rule, too few for an alert.
    for file in [
        "testdata/logs/gcp_audit/emulated_gcloud_logging_read_iam.json",
        "testdata/logs/gcp_audit/emulated_bigquery_sink_rows.jsonl",
        // As a sink to Pub/Sub delivers them: pulled with gcloud, posted to a push endpoint,
        // kept by Splunk's Google Cloud add-on.
        "testdata/logs/gcp_audit/emulated_pubsub_pull.json",
        "testdata/logs/gcp_audit/emulated_pubsub_push.jsonl",
        "testdata/logs/gcp_audit/emulated_splunk_addon_pubsub.jsonl",
    ] {
        let out = enumwatch(&[
            "hunt",
            file,
            "--rule",
            "attack.t1087.004",
            "--format",
            "jsonl",
        ]);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", stderr(&out));
        let summary = stderr(&out);
        assert!(
            summary.contains("events: gcp_audit 4\n"),
            "{file}: {summary}"
        );
        assert!(
            summary.contains("rule hits: 4, alerts: 0"),
            "{file}: {summary}"
        );
    }
}

#[test]
fn sentinel_windowsevent_and_event_rows_alert_on_cloud_clis() {
    let alerts = hunt(
        "testdata/logs/windows/sentinel_windowsevent_emulated.jsonl",
        None,
    );
    let seen: Vec<(String, u64)> = alerts
        .iter()
        .map(|a| {
            (
                a.3["platform"].as_str().unwrap().to_owned(),
                a.3["evidence"][0]["record"].as_u64().unwrap(),
            )
        })
        .collect();
    // The Sysmon `aws` listing (EventData an object) and the 4688 `az` listing (EventData as
    // text); the notepad lookalike is quiet.
    assert_eq!(seen, [("AWS".to_owned(), 0), ("Azure/M365".to_owned(), 1)]);
    // The legacy `Event` table: the event's XML, its `&&` escaped.
    let alerts = hunt(
        "testdata/logs/windows/sentinel_event_table_emulated.jsonl",
        None,
    );
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].3["platform"], "AWS");
    assert_eq!(alerts[0].3["evidence"][0]["record"], 0);
}

#[test]
fn azure_event_hubs_messages_alert_as_their_records_do() {
    let plain: Vec<Value> =
        unlocated_alerts("testdata/logs/graph_activity/graph_activity_diagnostic_emulated.jsonl");
    assert!(!plain.is_empty());
    let messages: Vec<Value> =
        unlocated_alerts("testdata/logs/graph_activity/graph_activity_event_hubs_emulated.jsonl");
    assert_eq!(messages, plain);
}

#[test]
fn aws_attacks_fire_and_the_terraform_pipeline_does_not() {
    let alerts = hunt("testdata/cloud/aws_enumeration_emulated.json", None);
    assert_eq!(
        titles(&alerts, "user/dev-ci"),
        [
            "Burst of Cloud Identity Enumeration by One Principal",
            "Offensive or Assessment Tool Listing Cloud Identities",
            "Repeated AWS Trust Policy Errors (Cross-Account Enumeration Oracle)",
        ]
    );
    assert_eq!(
        titles(&alerts, "/i-0adc17a5acb70d9ae"),
        ["EC2 Instance Role Enumerating IAM"]
    );
    assert_eq!(
        titles(&alerts, "user/leaked-key"),
        ["Burst of Denied Cloud Discovery Calls by One Principal"]
    );
    assert!(
        titles(&alerts, "user/terraform-ci").is_empty(),
        "CLIUserAgent default"
    );
    let offensive = alerts
        .iter()
        .find(|a| a.1.starts_with("Offensive"))
        .unwrap();
    assert_eq!(offensive.3["tool_category"], "KnownOffensiveTool");
    assert_eq!(offensive.3["tool"], "Pacu");

    // CLIUserAgent cannot hide an offensive signature; CloudRegion flags nothing by itself.
    let tuned = hunt(
        "testdata/cloud/aws_enumeration_emulated.json",
        Some(
            "[iaas.cli_user_agent]\nexpected = [\"Boto3/*\", \"aws-cli/*\"]\n[iaas]\ndistinct_operations = 2\n",
        ),
    );
    assert!(
        titles(&tuned, "user/dev-ci")
            .contains(&"Offensive or Assessment Tool Listing Cloud Identities".to_owned())
    );
    assert!(
        titles(&tuned, "user/leaked-key").is_empty(),
        "aws-cli now expected"
    );
    // A threshold from the configuration reaches the rule: 6 oracle errors < 7.
    let strict = hunt(
        "testdata/cloud/aws_enumeration_emulated.json",
        Some("[iaas]\ntrust_policy_errors = 7\n"),
    );
    assert!(
        !titles(&strict, "user/dev-ci")
            .iter()
            .any(|t| t.contains("Trust Policy"))
    );
}

#[test]
fn graph_enumeration_fires_azurehound_is_fingerprinted_and_automation_is_tunable() {
    let alerts = hunt("testdata/cloud/graph_activity_emulated.jsonl", None);
    let spoofed = "8d7c6b5a-4e3f-4a2b-9c1d-0e9f8a7b6c5d";
    assert_eq!(
        titles(&alerts, spoofed),
        [
            "AzureHound Collection Fingerprint in Graph Activity",
            "Burst of Directory Listing by One Identity",
        ]
    );
    assert_eq!(
        titles(&alerts, "5e5e5e5e-1111-4222-8333-444444444444"),
        ["Offensive Tool Against the Identity Provider"]
    );
    let governance = "99999999-aaaa-4bbb-8ccc-dddddddddddd";
    assert_eq!(
        titles(&alerts, governance),
        ["Burst of Directory Listing by One Identity"]
    );
    assert!(
        alerts
            .iter()
            .all(|a| a.0 == "AN1087" && a.3["platform"] == "Azure/M365")
    );
    // AppContext: the access-review app is sanctioned automation.
    let tuned = hunt(
        "testdata/cloud/graph_activity_emulated.jsonl",
        Some(
            "[identity_provider.app_context]\nautomation_app_ids = [\"22222222-3333-4444-8555-666666666666\"]\n",
        ),
    );
    assert!(titles(&tuned, governance).is_empty());
    assert_eq!(titles(&tuned, spoofed).len(), 2);
    // TokenScope: an expected directory reader is left out, but the AzureHound endpoint set is a
    // tool signature and stays.
    let readers = hunt(
        "testdata/cloud/graph_activity_emulated.jsonl",
        Some(
            "[identity_provider.token_scope]\nexpected_principals = [\"99999999-*\", \"8d7c6b5a-4e3f-4a2b-9c1d-0e9f8a7b6c5d\"]\n",
        ),
    );
    assert!(titles(&readers, governance).is_empty());
    assert_eq!(
        titles(&readers, spoofed),
        ["AzureHound Collection Fingerprint in Graph Activity"]
    );
    let fingerprint = alerts
        .iter()
        .find(|a| a.1.starts_with("AzureHound"))
        .unwrap();
    assert!(
        fingerprint.3["factors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f.as_str().unwrap().contains("public client"))
    );
    // TimeWindow: the app lists every 5 s; a 15 s window holds four endpoints, not five.
    let narrow = hunt(
        "testdata/cloud/graph_activity_emulated.jsonl",
        Some("[identity_provider]\ntime_window = \"15s\"\n"),
    );
    assert!(titles(&narrow, governance).is_empty());
}

#[test]
fn device_code_sign_in_then_graph_listing_is_a_sequence_across_files() {
    let out = enumwatch(&[
        "hunt",
        "testdata/cloud/entra_signin_device_code_emulated.jsonl",
        "testdata/cloud/graph_activity_emulated.jsonl",
        "--format",
        "json",
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let alerts: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let sequence: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["rule"]["title"] == "Device Code Sign-in Followed by Directory Enumeration")
        .collect();
    assert_eq!(sequence.len(), 1, "{alerts:#?}");
    let sources: Vec<&str> = sequence[0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    assert!(
        sources
            .iter()
            .any(|s| s.ends_with("entra_signin_device_code_emulated.jsonl"))
    );
    assert!(
        sources
            .iter()
            .any(|s| s.ends_with("graph_activity_emulated.jsonl"))
    );
    // The graph log alone has no sign-in: no sequence.
    let alone = hunt("testdata/cloud/graph_activity_emulated.jsonl", None);
    assert!(!alone.iter().any(|a| a.1.starts_with("Device Code")));
}

#[test]
fn mailbox_sweep_fires_on_volume_and_cmdlet_volume_tunes_it() {
    let alerts = hunt("testdata/cloud/m365_recipient_sweep_emulated.jsonl", None);
    assert_eq!(
        titles(&alerts, "helpdesk-temp@contoso.example"),
        ["High Volume of Mailbox and Recipient Listing by One Actor"]
    );
    assert_eq!(alerts[0].0, "AN1089");
    let tuned = hunt(
        "testdata/cloud/m365_recipient_sweep_emulated.jsonl",
        Some("[office_suite.cmdlet_volume]\nmax_per_window = 50\n"),
    );
    assert!(tuned.is_empty());
    // SessionContext: outside the trusted network, each listing is an untrusted session.
    let session = hunt(
        "testdata/cloud/m365_recipient_sweep_emulated.jsonl",
        Some(
            "[office_suite.cmdlet_volume]\nmax_per_window = 50\n[office_suite.session_context]\ntrusted_cidrs = [\"10.0.0.0/8\"]\n",
        ),
    );
    assert_eq!(session.len(), 25);
    assert!(
        session
            .iter()
            .all(|a| a.1 == "Exchange Recipient Listing from an Untrusted Session")
    );
}

#[test]
fn workspace_directory_listing_rate_app_integration_and_geo() {
    let alerts = hunt(
        "testdata/cloud/workspace_directory_listing_emulated.jsonl",
        None,
    );
    assert_eq!(
        titles(&alerts, "it-helper@acme.example"),
        ["SaaS Directory Listing Above the Expected Rate"]
    );
    assert_eq!(alerts[0].0, "AN1090");
    assert_eq!(alerts[0].3["platform"], "Google Workspace");
    // AppIntegrationID: the sync connector is expected.
    let tuned = hunt(
        "testdata/cloud/workspace_directory_listing_emulated.jsonl",
        Some("[saas.app_integration_id]\nexpected = [\"101748236195532761234\"]\n"),
    );
    assert!(tuned.is_empty());
    // APIRequestRate: 30 calls in 5 minutes are within 40 per 10 minutes.
    let rate = hunt(
        "testdata/cloud/workspace_directory_listing_emulated.jsonl",
        Some("[saas.api_request_rate]\nmax_requests = 40\n"),
    );
    assert!(rate.is_empty());
    // GeoContext: the calls come from NL; only US is expected.
    let geo = hunt(
        "testdata/cloud/workspace_directory_listing_emulated.jsonl",
        Some(
            "[saas.api_request_rate]\nmax_requests = 40\n[saas.geo_context]\nexpected_countries = [\"US\"]\n",
        ),
    );
    assert_eq!(
        titles(&geo, "it-helper@acme.example"),
        ["SaaS Directory Listing from an Unexpected Country"]
    );
}

#[test]
fn a_bad_configuration_stops_the_run_with_the_key_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[iaas]\ndistinct_operations = \"many\"\n").unwrap();
    let out = enumwatch(&[
        "hunt",
        "testdata/cloud/aws_enumeration_emulated.json",
        "--config",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("bad.toml:2"), "{err}");
    assert!(err.contains("invalid type"), "{err}");
}

/// Run a hunt with extra arguments; returns (shown alerts, stderr summary).
fn hunt_with(path: &str, profile: &str, extra: &[&str]) -> (Vec<Value>, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("profile.toml");
    std::fs::write(&file, profile).unwrap();
    let mut args = vec![
        "hunt",
        path,
        "--format",
        "json",
        "--profile",
        file.to_str().unwrap(),
        "--today",
        "2026-11-30",
    ];
    args.extend_from_slice(extra);
    let out = enumwatch(&args);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    (serde_json::from_str(&stdout(&out)).unwrap(), stderr(&out))
}

#[test]
fn tuning_entries_suppress_visibly_expire_and_spare_offensive_tools() {
    let governance = "[[tuning]]\nname = \"access-review-sync\"\nowner = \"identity team\"\nreason = \"Entra access reviews\"\napp_ids = [\"22222222-3333-4444-8555-666666666666\"]\n";
    let (shown, summary) = hunt_with(
        "testdata/cloud/graph_activity_emulated.jsonl",
        governance,
        &[],
    );
    assert_eq!(
        shown.len(),
        3,
        "the access-review burst is suppressed, the attacks stay"
    );
    assert!(
        summary
            .contains("suppressed by tuning entries (see --show-suppressed): access-review-sync 1"),
        "{summary}"
    );
    let (all, _) = hunt_with(
        "testdata/cloud/graph_activity_emulated.jsonl",
        governance,
        &["--show-suppressed"],
    );
    let marked: Vec<&Value> = all
        .iter()
        .filter(|a| a.get("suppressed_by").is_some())
        .collect();
    assert_eq!(marked.len(), 1);
    assert_eq!(marked[0]["suppressed_by"]["entry"], "access-review-sync");
    assert_eq!(marked[0]["suppressed_by"]["reason"], "Entra access reviews");

    // Expired: the entry stops suppressing and the summary says so.
    let expired = format!("{governance}expires = \"2026-11-29\"\n");
    let (shown, summary) = hunt_with(
        "testdata/cloud/graph_activity_emulated.jsonl",
        &expired,
        &[],
    );
    assert_eq!(shown.len(), 4);
    assert!(summary.contains("tuning entry access-review-sync (owner identity team, expired 2026-11-29) is expired and was not applied"), "{summary}");

    // An entry naming the attacker's principal does not hide a Pacu signature ...
    let pacu_user = "[[tuning]]\nname = \"dev-ci\"\nowner = \"platform\"\nreason = \"pipeline\"\nprincipals = [\"*:user/dev-ci\"]\n";
    let (shown, _) = hunt_with(
        "testdata/cloud/aws_enumeration_emulated.json",
        pacu_user,
        &[],
    );
    assert!(
        shown
            .iter()
            .any(|a| a["actor"].as_str().unwrap().ends_with("user/dev-ci"))
    );
    // ... unless it names the tool explicitly.
    let named = format!("{pacu_user}tools = [\"Pacu\"]\n");
    let (shown, summary) = hunt_with("testdata/cloud/aws_enumeration_emulated.json", &named, &[]);
    assert!(
        !shown
            .iter()
            .any(|a| a["actor"].as_str().unwrap().ends_with("user/dev-ci"))
    );
    assert!(summary.contains("dev-ci 3"), "{summary}");
}

#[test]
fn shipped_profiles_load() {
    for profile in [
        "profiles/admin-audits.toml",
        "profiles/identity-governance.toml",
        "profiles/provisioning.toml",
        "profiles/compliance-tooling.toml",
        "profiles/devops-pipelines.toml",
    ] {
        let out = enumwatch(&[
            "hunt",
            "testdata/cloud/m365_recipient_sweep_emulated.jsonl",
            "--profile",
            profile,
            "-q",
            "--format",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{profile}: {}", stderr(&out));
    }
}

#[test]
fn a_first_seen_baseline_marks_new_principals_and_feeds_the_first_time_rule() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("baseline.db");
    let learn = enumwatch(&[
        "baseline",
        "testdata/logs/cloudtrail/invictus",
        "--out",
        db.to_str().unwrap(),
    ]);
    assert_eq!(learn.status.code(), Some(0), "{}", stderr(&learn));
    assert!(
        stderr(&learn).contains("14 principals"),
        "{}",
        stderr(&learn)
    );
    let out = enumwatch(&[
        "hunt",
        "testdata/logs/cloudtrail/invictus",
        "testdata/cloud/aws_enumeration_emulated.json",
        "--baseline",
        db.to_str().unwrap(),
        "--format",
        "json",
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let alerts: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let first_time: Vec<&str> = alerts
        .iter()
        .filter(|a| a["rule"]["title"] == "First-Time Identity Listing by a Principal")
        .map(|a| a["actor"].as_str().unwrap())
        .collect();
    assert_eq!(
        first_time,
        [
            "arn:aws:iam::111122223333:user/dev-ci",
            "arn:aws:sts::111122223333:assumed-role/web-app-role/i-0adc17a5acb70d9ae"
        ]
    );
    let benjamin = alerts
        .iter()
        .find(|a| a["actor"] == "arn:aws:iam::123837392027:user/benjamin")
        .unwrap();
    assert_eq!(
        benjamin["confidence"], "medium",
        "benjamin is in the baseline"
    );
    // Without a baseline the first-time rule is silent.
    let plain = hunt("testdata/cloud/aws_enumeration_emulated.json", None);
    assert!(!plain.iter().any(|a| a.1.starts_with("First-Time")));
}

#[test]
fn tune_proposes_entries_that_round_trip_but_never_for_offensive_tools() {
    let out = enumwatch(&[
        "tune",
        "testdata/cloud",
        "--today",
        "2026-11-30",
        "--min-alerts",
        "1",
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let proposals = stdout(&out);
    assert!(proposals.contains("not proposed: arn:aws:iam::111122223333:user/dev-ci — its alerts carry an offensive tool signature"));
    assert!(proposals.contains("principals = [\"helpdesk-temp@contoso.example\""));
    assert!(proposals.contains("expires = \"2027-02-28\""));
    // The output is a valid profile; with it, only the principals with an offensive tool
    // signature keep alerting.
    let (shown, summary) = hunt_with("testdata/cloud", &proposals, &[]);
    assert!(
        summary.contains("suppressed by tuning entries"),
        "{summary}"
    );
    for alert in &shown {
        let actor = alert["actor"].as_str().unwrap();
        assert!(
            proposals.contains(&format!("not proposed: {actor} ")),
            "{actor} still alerts"
        );
    }
    assert!(
        shown
            .iter()
            .any(|a| a["tool_category"] == "KnownOffensiveTool")
    );
}
