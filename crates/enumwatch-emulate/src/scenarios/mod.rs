//! The test catalog: each attack emulation followed by its benign twin, and the helpers that
//! turn records into files the way the vendors ship them.

mod aws;
mod azure;
mod entra;
mod gcp;

use enumwatch_event::LogSource;
use serde_json::Value;

use crate::{EmuFile, TestInfo};

/// JSON lines, one record per line (Sysmon / PowerShell as evtx-rs `-o jsonl`, diagnostic
/// settings exports, Management Activity API pages flattened).
pub(crate) fn jsonl(name: &str, source: LogSource, records: &[Value]) -> EmuFile {
    let mut contents = String::new();
    for r in records {
        contents.push_str(&r.to_string());
        contents.push('\n');
    }
    EmuFile {
        name: name.to_owned(),
        source,
        contents,
    }
}

/// A CloudTrail S3 object: `{"Records": [...]}`.
pub(crate) fn cloudtrail_object(name: &str, records: Vec<Value>) -> EmuFile {
    let doc = serde_json::json!({ "Records": records });
    EmuFile {
        name: name.to_owned(),
        source: LogSource::Cloudtrail,
        contents: serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n",
    }
}

/// A JSON array (what `gcloud logging read --format=json` prints).
pub(crate) fn json_array(name: &str, source: LogSource, records: Vec<Value>) -> EmuFile {
    EmuFile {
        name: name.to_owned(),
        source,
        contents: serde_json::to_string_pretty(&Value::Array(records)).unwrap_or_default() + "\n",
    }
}

pub(crate) const TESTS: &[TestInfo] = &[
    azure::AZURE_CLI_USER_LIST,
    azure::AZURE_CLI_USER_LIST_BENIGN,
    aws::AWS_IAM_ENUMERATION,
    aws::AWS_IAM_ENUMERATION_BENIGN,
    azure::MSONLINE_ENUMERATION,
    azure::MSONLINE_ENUMERATION_BENIGN,
    gcp::GCLOUD_SERVICE_ACCOUNT_LIST,
    gcp::GCLOUD_SERVICE_ACCOUNT_LIST_BENIGN,
    entra::ROADTOOLS,
    entra::ROADTOOLS_BENIGN,
    entra::AZUREHOUND,
    entra::AZUREHOUND_BENIGN,
    aws::PACU_IAM_ENUM,
    aws::PACU_IAM_ENUM_BENIGN,
    aws::TRUST_POLICY_ORACLE,
    aws::TRUST_POLICY_ORACLE_BENIGN,
    aws::EC2_INSTANCE_ROLE,
    aws::EC2_INSTANCE_ROLE_BENIGN,
    entra::EXCHANGE_MAILBOX_SWEEP,
    entra::EXCHANGE_MAILBOX_SWEEP_BENIGN,
];
