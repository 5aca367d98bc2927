//! GCP: `gcloud iam service-accounts list` and `gcloud projects get-iam-policy` on a Linux host
//! (auditd EXECVE) and in Cloud Audit Logs, and a CI job's sanctioned twin.

use enumwatch_event::LogSource;
use serde_json::Value;

use super::json_array;
use crate::clock::At;
use crate::cloud::{GcpCaller, gcp_audit};
use crate::endpoint::{LinuxHost, auditd_exec};
use crate::{EmuFile, TestInfo};

const PROJECT: &str = "acme-prod-281910";
const PY: &str = "/usr/bin/python3.11";
const GCLOUD_PY: &str = "/usr/lib/google-cloud-sdk/lib/gcloud.py";

fn gcloud_ua(command: &str, interactive: bool) -> String {
    format!(
        "google-cloud-sdk gcloud/477.0.0 command/gcloud.{command} invocation-id/7c2e9a41d8b34f6e9a0c5b1d3e7f2a84 environment/None environment-version/None client-os/LINUX client-os-ver/6.5.0 client-pltf-arch/x86_64 interactive/{} from-script/{} python/3.11.8 term/xterm-256color (Linux 6.5.0-1020-gcp),gzip(gfe)",
        if interactive { "True" } else { "False" },
        if interactive { "False" } else { "True" }
    )
}

fn auditd(host: &LinuxHost, runs: &[(i64, u64, u32, &[&str])]) -> EmuFile {
    let mut text = String::new();
    for (at, serial, pid, args) in runs {
        let mut argv = vec!["python3", GCLOUD_PY];
        argv.extend_from_slice(args);
        text.push_str(&auditd_exec(
            host,
            At::secs(*at),
            *serial,
            *pid,
            2211,
            PY,
            &argv,
        ));
    }
    EmuFile {
        name: "audit.log".to_owned(),
        source: LogSource::Auditd,
        contents: text,
    }
}

/// (offset s, service, method, permission, resource, resource type, gcloud command).
type Call<'a> = (i64, &'a str, &'a str, &'a str, &'a str, &'a str, &'a str);

fn audit(
    email: &'static str,
    ip: &'static str,
    interactive: bool,
    calls: &[Call<'_>],
) -> Vec<Value> {
    calls
        .iter()
        .enumerate()
        .map(
            |(i, (at, service, method, permission, resource, rtype, command))| {
                let ua = gcloud_ua(command, interactive);
                let mut rec = gcp_audit(
                    &GcpCaller {
                        email,
                        ip,
                        user_agent: "",
                        project: PROJECT,
                    },
                    At::secs(*at).plus_ms(114 + i as i64 * 31),
                    i as u64,
                    service,
                    method,
                    permission,
                    resource,
                    rtype,
                );
                if let Some(meta) = rec
                    .pointer_mut("/protoPayload/requestMetadata")
                    .and_then(Value::as_object_mut)
                {
                    meta.insert("callerSuppliedUserAgent".into(), Value::String(ua));
                }
                rec
            },
        )
        .collect()
}

const IAM: &str = "iam.googleapis.com";
const CRM: &str = "cloudresourcemanager.googleapis.com";
const PROJECT_RES: &str = "projects/acme-prod-281910";

fn gcloud_service_account_list() -> Vec<EmuFile> {
    let host = LinuxHost {
        auid: 1001,
        ses: 7,
        tty: "pts1",
        cwd: "/home/dev",
    };
    let endpoint = auditd(
        &host,
        &[
            (
                0,
                118_402,
                30_611,
                &["iam", "service-accounts", "list", "--project", PROJECT],
            ),
            (
                14,
                118_440,
                30_655,
                &["projects", "get-iam-policy", PROJECT, "--format=json"],
            ),
        ],
    );
    let calls: Vec<Call<'_>> = vec![
        (
            2,
            IAM,
            "google.iam.admin.v1.ListServiceAccounts",
            "iam.serviceAccounts.list",
            PROJECT_RES,
            "service_account",
            "iam.service-accounts.list",
        ),
        (
            16,
            CRM,
            "GetIamPolicy",
            "resourcemanager.projects.getIamPolicy",
            PROJECT_RES,
            "project",
            "projects.get-iam-policy",
        ),
    ];
    let cloud = audit("dev.contractor@acme.example", "198.51.100.23", true, &calls);
    vec![
        endpoint,
        json_array("cloudaudit_data_access.json", LogSource::GcpAudit, cloud),
    ]
}

pub(crate) const GCLOUD_SERVICE_ACCOUNT_LIST: TestInfo = TestInfo {
    name: "gcloud-service-account-list",
    summary: "gcloud iam service-accounts list and gcloud projects get-iam-policy by a contractor on a Linux host",
    intended: "AN1088 endpoint CLI analytic (auditd); AN1088 IAM listing burst on the audit log side",
    twin_of: None,
    config: None,
    build: gcloud_service_account_list,
};

fn gcloud_service_account_list_benign() -> Vec<EmuFile> {
    let host = LinuxHost {
        auid: 4294967295,
        ses: 4294967295,
        tty: "(none)",
        cwd: "/builds/platform/iam-drift",
    };
    let endpoint = auditd(
        &host,
        &[
            (
                0,
                220_010,
                41_002,
                &[
                    "auth",
                    "activate-service-account",
                    "--key-file=/builds/tmp/sa.json",
                ],
            ),
            (
                6,
                220_031,
                41_020,
                &[
                    "iam",
                    "service-accounts",
                    "describe",
                    "deploy@acme-prod-281910.iam.gserviceaccount.com",
                ],
            ),
        ],
    );
    // The nightly IAM drift check of the CI service account.
    let calls: Vec<Call<'_>> = vec![
        (
            10,
            IAM,
            "google.iam.admin.v1.ListServiceAccounts",
            "iam.serviceAccounts.list",
            PROJECT_RES,
            "service_account",
            "iam.service-accounts.list",
        ),
        (
            13,
            CRM,
            "GetIamPolicy",
            "resourcemanager.projects.getIamPolicy",
            PROJECT_RES,
            "project",
            "projects.get-iam-policy",
        ),
        (
            17,
            IAM,
            "google.iam.admin.v1.ListRoles",
            "iam.roles.list",
            PROJECT_RES,
            "iam_role",
            "iam.roles.list",
        ),
        (
            21,
            IAM,
            "google.iam.admin.v1.QueryGrantableRoles",
            "iam.roles.list",
            PROJECT_RES,
            "iam_role",
            "iam.list-grantable-roles",
        ),
        (
            25,
            IAM,
            "google.iam.admin.v1.ListServiceAccountKeys",
            "iam.serviceAccountKeys.list",
            "projects/-/serviceAccounts/deploy@acme-prod-281910.iam.gserviceaccount.com",
            "service_account",
            "iam.service-accounts.keys.list",
        ),
    ];
    let cloud = audit(
        "ci-runner@acme-prod-281910.iam.gserviceaccount.com",
        "192.0.2.77",
        false,
        &calls,
    );
    vec![
        endpoint,
        json_array("cloudaudit_data_access.json", LogSource::GcpAudit, cloud),
    ]
}

pub(crate) const GCLOUD_SERVICE_ACCOUNT_LIST_BENIGN: TestInfo = TestInfo {
    name: "gcloud-service-account-list-benign",
    summary: "the CI job's nightly IAM drift check: gcloud auth and describe on the runner, five IAM reads by the CI service account",
    intended: "quiet endpoint; audit log suppressed by iaas.caller_type (service) expected_enumerators",
    twin_of: Some("gcloud-service-account-list"),
    config: Some(
        "# The CI service account runs the nightly IAM drift check.\n[iaas.caller_type]\nservice = [\"ci-runner@*.iam.gserviceaccount.com\"]\nexpected_enumerators = [\"service\"]\n",
    ),
    build: gcloud_service_account_list_benign,
};
