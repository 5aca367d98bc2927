//! AWS IAM enumeration: aws-cli from a workstation, Pacu, the trust-policy oracle, an EC2
//! instance role listing IAM (Stratus `aws.discovery.ec2-enumerate-from-instance`), and twins.

use enumwatch_event::LogSource;
use serde_json::{Value, json};

use super::azure::{ADMIN_PAW, WORKSTATION};
use super::{cloudtrail_object, jsonl};
use crate::clock::At;
use crate::cloud::{AWS_ACCOUNT, AwsCaller, cloudtrail};
use crate::endpoint::{Proc, WinHost, sysmon_file_create, sysmon_process};
use crate::{EmuFile, TestInfo};

const AWS_EXE: &str = "C:\\Program Files\\Amazon\\AWSCLIV2\\aws.exe";
const CMD: &str = "C:\\Windows\\System32\\cmd.exe";
const IAM: &str = "iam.amazonaws.com";

fn object_key(minute: &str, id: &str) -> String {
    format!(
        "AWSLogs/{AWS_ACCOUNT}/CloudTrail/us-east-1/2024/06/03/{AWS_ACCOUNT}_CloudTrail_us-east-1_20240603T{minute}Z_{id}.json"
    )
}

fn aws_cli_ua(command: &str, os: &str) -> String {
    format!("aws-cli/2.15.57 Python/3.11.8 {os} exe/AMD64 prompt/off command/{command}")
}

fn aws_process(host: &WinHost, at: At, record: u64, pid: u32, args: &str) -> Value {
    let cmdline = format!("aws {args}");
    let parent = format!("C:\\Windows\\system32\\cmd.exe /c \"aws {args}\"");
    sysmon_process(
        host,
        at,
        record,
        &Proc {
            pid,
            image: AWS_EXE,
            original_file_name: "aws.exe",
            command_line: &cmdline,
            parent_pid: pid - 8,
            parent_image: CMD,
            parent_command_line: &parent,
        },
    )
}

/// (offset s, event name, request parameters, user agent command) of one caller's calls.
type Call<'a> = (i64, &'a str, &'a str, Value, &'a str);

fn trail(caller: &AwsCaller, calls: &[Call<'_>], ua: &dyn Fn(&str) -> String) -> Vec<Value> {
    calls
        .iter()
        .enumerate()
        .map(|(i, (at, source, name, req, cmd))| {
            let mut rec = cloudtrail(
                caller,
                At::secs(*at).plus_ms(i as i64 * 137 % 1000),
                i as u64,
                source,
                name,
                req.clone(),
                None,
            );
            if let Some(obj) = rec.as_object_mut() {
                obj.insert("userAgent".into(), Value::String(ua(cmd)));
            }
            rec
        })
        .collect()
}

const DEV: AwsCaller = AwsCaller {
    kind: "IAMUser",
    arn: "arn:aws:iam::412398765019:user/mkowalski-dev",
    principal_id: "AIDAV7Q3EXAMPLE4R2KX",
    access_key: "AKIAV7Q3EXAMPLEK3Y9F",
    source_ip: "198.51.100.61",
    user_agent: "",
};

fn aws_iam_enumeration() -> Vec<EmuFile> {
    let dump = "C:\\Users\\mkowalski\\AppData\\Local\\Temp\\acct-auth.json";
    let sysmon = vec![
        aws_process(&WORKSTATION, At::secs(0), 184_410, 6120, "iam list-users"),
        aws_process(&WORKSTATION, At::secs(21), 184_418, 6188, "iam list-roles"),
        aws_process(
            &WORKSTATION,
            At::secs(47),
            184_425,
            6236,
            &format!("iam get-account-authorization-details --output json > {dump}"),
        ),
        sysmon_file_create(
            &WORKSTATION,
            At::secs(47).plus_ms(80),
            184_426,
            6228,
            CMD,
            dump,
        ),
    ];
    let marker = |m: &str| json!({"marker": m});
    let calls: Vec<Call<'_>> = vec![
        (2, IAM, "ListUsers", Value::Null, "iam.list-users"),
        (
            3,
            IAM,
            "ListUsers",
            marker("AAEAAZ2NTk3NmJiZi1lMmQ4LTQ0ZTAtODM2Ny05MzQ5YTI1YjM0ZGQ"),
            "iam.list-users",
        ),
        (23, IAM, "ListRoles", Value::Null, "iam.list-roles"),
        (
            24,
            IAM,
            "ListRoles",
            marker("AAEAAcBmOTgxYjRhYy0yZjA1LTRmZjYtYjc4ZS1hNDBkYzFhZmE1ODk"),
            "iam.list-roles",
        ),
        (
            49,
            IAM,
            "GetAccountAuthorizationDetails",
            Value::Null,
            "iam.get-account-authorization-details",
        ),
        (
            51,
            IAM,
            "GetAccountAuthorizationDetails",
            marker("AAEAAS1hZmQ3YTc0ZC1iZDc3LTRjNjktOWYwMS05NzgwNmQ0NzQ2ZjE"),
            "iam.get-account-authorization-details",
        ),
        (
            53,
            IAM,
            "GetAccountAuthorizationDetails",
            marker("AAEAAcNmNGQ5YzM2Ni02YjRmLTQ3ZDAtYjFhOC0xZjJkOWYzMmE2ZTI"),
            "iam.get-account-authorization-details",
        ),
    ];
    let ct = trail(&DEV, &calls, &|c| aws_cli_ua(c, "Windows/10"));
    vec![
        jsonl(
            "Microsoft-Windows-Sysmon-Operational.jsonl",
            LogSource::Sysmon,
            &sysmon,
        ),
        cloudtrail_object(&object_key("0900", "Lq8vRm2XoTd4Yb1N"), ct),
    ]
}

pub(crate) const AWS_IAM_ENUMERATION: TestInfo = TestInfo {
    name: "aws-iam-enumeration",
    summary: "aws iam list-users, list-roles, get-account-authorization-details > %TEMP%\\acct-auth.json with a developer's key",
    intended: "AN1088 endpoint CLI analytic; AN1088 whole-account authorization dump",
    twin_of: None,
    config: None,
    build: aws_iam_enumeration,
};

const AUDITOR: AwsCaller = AwsCaller {
    kind: "IAMUser",
    arn: "arn:aws:iam::412398765019:user/iam-auditor",
    principal_id: "AIDAV7Q3EXAMPLEA0D1T",
    access_key: "AKIAV7Q3EXAMPLEAUD17",
    source_ip: "192.0.2.40",
    user_agent: "",
};

fn aws_iam_enumeration_benign() -> Vec<EmuFile> {
    let sysmon = vec![
        aws_process(
            &ADMIN_PAW,
            At::secs(0),
            61_200,
            4412,
            "iam get-user --user-name j.nowak",
        ),
        aws_process(
            &ADMIN_PAW,
            At::secs(30),
            61_207,
            4460,
            "iam list-users help",
        ),
        aws_process(
            &ADMIN_PAW,
            At::secs(44),
            61_212,
            4502,
            "sts get-caller-identity",
        ),
    ];
    // The monthly access review the auditor's script runs (boto3 would look the same).
    let calls: Vec<Call<'_>> = vec![
        (
            60,
            IAM,
            "GenerateCredentialReport",
            Value::Null,
            "iam.generate-credential-report",
        ),
        (
            65,
            IAM,
            "GetCredentialReport",
            Value::Null,
            "iam.get-credential-report",
        ),
        (70, IAM, "ListUsers", Value::Null, "iam.list-users"),
        (74, IAM, "ListRoles", Value::Null, "iam.list-roles"),
        (78, IAM, "ListGroups", Value::Null, "iam.list-groups"),
        (
            82,
            IAM,
            "ListPolicies",
            json!({"scope": "Local", "onlyAttached": false}),
            "iam.list-policies",
        ),
        (
            90,
            IAM,
            "GetAccountAuthorizationDetails",
            Value::Null,
            "iam.get-account-authorization-details",
        ),
    ];
    let ct = trail(&AUDITOR, &calls, &|c| aws_cli_ua(c, "Windows/10"));
    vec![
        jsonl(
            "Microsoft-Windows-Sysmon-Operational.jsonl",
            LogSource::Sysmon,
            &sysmon,
        ),
        cloudtrail_object(&object_key("0900", "Hc3pWq7ZrKa9Ue2M"), ct),
    ]
}

pub(crate) const AWS_IAM_ENUMERATION_BENIGN: TestInfo = TestInfo {
    name: "aws-iam-enumeration-benign",
    summary: "the IAM auditor's monthly access review (credential report, list users/roles/groups/policies, authorization dump); single-user lookups and help on the admin workstation",
    intended: "quiet endpoint; CloudTrail suppressed by iaas.caller_type (admin) expected_enumerators",
    twin_of: Some("aws-iam-enumeration"),
    config: Some(
        "# iam-auditor runs the monthly access review.\n[iaas.caller_type]\nadmin = [\"arn:aws:iam::412398765019:user/iam-auditor\"]\nexpected_enumerators = [\"admin\"]\n",
    ),
    build: aws_iam_enumeration_benign,
};

const PACU_UA: &str = "Boto3/1.34.113 md/Botocore#1.34.113 ua/2.0 os/linux#6.5.0-1020-aws md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.113 Pacu-Session-9d3e7a1c-5b2f-4e08-a6d4-1c8f0b2e7a35";

fn pacu_iam_enum() -> Vec<EmuFile> {
    let caller = AwsCaller {
        user_agent: PACU_UA,
        ..DEV
    };
    let calls: Vec<Call<'_>> = vec![
        (0, "sts.amazonaws.com", "GetCallerIdentity", Value::Null, ""),
        (2, IAM, "ListUsers", Value::Null, ""),
        (3, IAM, "ListRoles", Value::Null, ""),
        (
            4,
            IAM,
            "ListRoles",
            json!({"marker": "AAEAAcBmOTgxYjRhYy0yZjA1LTRmZjYt"}),
            "",
        ),
        (5, IAM, "ListPolicies", json!({"scope": "Local"}), ""),
        (6, IAM, "ListGroups", Value::Null, ""),
    ];
    let ct = trail(&caller, &calls, &|_| PACU_UA.to_owned());
    vec![cloudtrail_object(
        &object_key("0900", "Pq4mZx8VbNc2Lr6T"),
        ct,
    )]
}

pub(crate) const PACU_IAM_ENUM: TestInfo = TestInfo {
    name: "pacu-iam-enum",
    summary: "Pacu iam__enum_users_roles_policies_groups with a stolen developer key (Pacu-Session user-agent suffix)",
    intended: "AN1088 offensive-tool user agent; AN1088 listing burst",
    twin_of: None,
    config: None,
    build: pacu_iam_enum,
};

const TERRAFORM_UA: &str = "APN/1.0 HashiCorp/1.0 Terraform/1.8.4 (+https://www.terraform.io) terraform-provider-aws/5.52.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.27.0 os/linux lang/go#1.22.3 md/GOOS#linux md/GOARCH#amd64 api/iam#1.32.4";

fn pacu_iam_enum_benign() -> Vec<EmuFile> {
    let ci = AwsCaller {
        kind: "AssumedRole",
        arn: "arn:aws:sts::412398765019:assumed-role/terraform-ci/GitHubActions",
        principal_id: "AROAV7Q3EXAMPLETFCI1:GitHubActions",
        access_key: "ASIAV7Q3EXAMPLETF001",
        source_ip: "192.0.2.77",
        user_agent: TERRAFORM_UA,
    };
    let calls: Vec<Call<'_>> = vec![
        (0, "sts.amazonaws.com", "GetCallerIdentity", Value::Null, ""),
        (
            3,
            IAM,
            "ListRoles",
            json!({"pathPrefix": "/service-role/"}),
            "",
        ),
        (4, IAM, "ListPolicies", json!({"scope": "Local"}), ""),
        (5, IAM, "ListUsers", Value::Null, ""),
        (6, IAM, "ListGroups", Value::Null, ""),
        (
            8,
            IAM,
            "GetRole",
            json!({"roleName": "app-server-role"}),
            "",
        ),
        (
            9,
            IAM,
            "ListAttachedRolePolicies",
            json!({"roleName": "app-server-role"}),
            "",
        ),
        (10, IAM, "GetUser", json!({"userName": "svc-reporting"}), ""),
    ];
    let ct = trail(&ci, &calls, &|_| TERRAFORM_UA.to_owned());
    vec![cloudtrail_object(
        &object_key("0900", "Tf7aKc1QwEr5Yu9I"),
        ct,
    )]
}

pub(crate) const PACU_IAM_ENUM_BENIGN: TestInfo = TestInfo {
    name: "pacu-iam-enum-benign",
    summary: "a Terraform plan in the CI pipeline reading IAM data sources (ListRoles, ListPolicies, ListUsers, ListGroups, scoped Get*)",
    intended: "quiet: Terraform is in the default iaas.cli_user_agent.expected",
    twin_of: Some("pacu-iam-enum"),
    config: Some(
        "# Infrastructure as code (the shipped default).\n[iaas.cli_user_agent]\nexpected = [\"*Terraform/*\", \"*terraform-provider-*\", \"*Pulumi*\", \"cloudformation.amazonaws.com\", \"AWS Internal\", \"*aws-internal/*\"]\n",
    ),
    build: pacu_iam_enum_benign,
};

const BOTO3_UA: &str = "Boto3/1.34.113 md/Botocore#1.34.113 ua/2.0 os/linux#6.5.0-1020-aws md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.113";

fn trust_policy(guess: &str) -> Value {
    let doc = format!(
        "{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Deny\",\"Principal\":{{\"AWS\":\"{guess}\"}},\"Action\":\"sts:AssumeRole\"}}]}}"
    );
    json!({"roleName": "pacu-oracle-7f3a", "policyDocument": doc})
}

fn oracle_trail(caller: &AwsCaller, guesses: &[(&str, bool)], step_ms: i64) -> Vec<Value> {
    guesses
        .iter()
        .enumerate()
        .map(|(i, (guess, exists))| {
            let err = (!exists).then(|| {
                (
                    "MalformedPolicyDocumentException",
                    format!("Invalid principal in policy: \"AWS\":\"{guess}\""),
                )
            });
            cloudtrail(
                caller,
                At(i as i64 * step_ms),
                i as u64,
                IAM,
                "UpdateAssumeRolePolicy",
                trust_policy(guess),
                err.as_ref().map(|(c, m)| (*c, m.as_str())),
            )
        })
        .collect()
}

fn trust_policy_oracle() -> Vec<EmuFile> {
    let caller = AwsCaller {
        user_agent: BOTO3_UA,
        ..DEV
    };
    let names = [
        "admin",
        "Administrator",
        "OrganizationAccountAccessRole",
        "devops",
        "deploy",
        "jenkins",
        "terraform",
        "readonly",
        "backup",
        "ci",
        "github-actions",
        "security-audit",
        "billing",
        "root-admin",
    ];
    let arns: Vec<String> = names
        .iter()
        .map(|n| format!("arn:aws:iam::210987654321:role/{n}"))
        .collect();
    let exists = [
        "OrganizationAccountAccessRole",
        "terraform",
        "github-actions",
    ];
    let guesses: Vec<(&str, bool)> = arns
        .iter()
        .zip(names)
        .map(|(a, n)| (a.as_str(), exists.contains(&n)))
        .collect();
    vec![cloudtrail_object(
        &object_key("0900", "Or4cLe9Zk2Xw7Nq1"),
        oracle_trail(&caller, &guesses, 1_700),
    )]
}

pub(crate) const TRUST_POLICY_ORACLE: TestInfo = TestInfo {
    name: "trust-policy-oracle",
    summary: "Pacu iam__enum_roles: 14 UpdateAssumeRolePolicy guesses of another account's role names, 11 MalformedPolicyDocumentException",
    intended: "AN1088 trust-policy oracle burst",
    twin_of: None,
    config: None,
    build: trust_policy_oracle,
};

fn trust_policy_oracle_benign() -> Vec<EmuFile> {
    let ci = AwsCaller {
        kind: "AssumedRole",
        arn: "arn:aws:sts::412398765019:assumed-role/platform-ci/GitLabRunner",
        principal_id: "AROAV7Q3EXAMPLEPLCI1:GitLabRunner",
        access_key: "ASIAV7Q3EXAMPLEPL002",
        source_ip: "192.0.2.77",
        user_agent: BOTO3_UA,
    };
    // A typo in the partner account id, then the corrected trust policy.
    let guesses = [
        ("arn:aws:iam::21098765432:role/partner-deploy", false),
        ("arn:aws:iam::210987654321:role/partner-deploy", true),
    ];
    vec![cloudtrail_object(
        &object_key("0900", "Ci8tRu5Sp0Lx3Vb6"),
        oracle_trail(&ci, &guesses, 95_000),
    )]
}

pub(crate) const TRUST_POLICY_ORACLE_BENIGN: TestInfo = TestInfo {
    name: "trust-policy-oracle-benign",
    summary: "a CI job updating a cross-account trust policy: one rejected principal (typo), then the fix",
    intended: "quiet (below iaas.trust_policy_errors)",
    twin_of: Some("trust-policy-oracle"),
    config: None,
    build: trust_policy_oracle_benign,
};

const INSTANCE: AwsCaller = AwsCaller {
    kind: "AssumedRole",
    arn: "arn:aws:sts::412398765019:assumed-role/app-server-role/i-0adc17a5acb70d9ae",
    principal_id: "AROAV7Q3EXAMPLEAPPSR:i-0adc17a5acb70d9ae",
    access_key: "ASIAV7Q3EXAMPLEI0001",
    source_ip: "3.91.24.117",
    user_agent: "",
};

fn ec2_instance_role() -> Vec<EmuFile> {
    let calls: Vec<Call<'_>> = vec![
        (
            0,
            "sts.amazonaws.com",
            "GetCallerIdentity",
            Value::Null,
            "sts.get-caller-identity",
        ),
        (4, "s3.amazonaws.com", "ListBuckets", Value::Null, "s3.ls"),
        (
            9,
            IAM,
            "GetAccountSummary",
            Value::Null,
            "iam.get-account-summary",
        ),
        (13, IAM, "ListRoles", Value::Null, "iam.list-roles"),
        (17, IAM, "ListUsers", Value::Null, "iam.list-users"),
        (
            22,
            IAM,
            "GetAccountAuthorizationDetails",
            Value::Null,
            "iam.get-account-authorization-details",
        ),
        (
            29,
            "ec2.amazonaws.com",
            "DescribeSnapshots",
            json!({"ownersSet": {"items": [{"owner": "self"}]}}),
            "ec2.describe-snapshots",
        ),
        (
            33,
            "cloudtrail.amazonaws.com",
            "DescribeTrails",
            Value::Null,
            "cloudtrail.describe-trails",
        ),
        (
            36,
            "guardduty.amazonaws.com",
            "ListDetectors",
            Value::Null,
            "guardduty.list-detectors",
        ),
    ];
    let os = "Linux/6.1.91-99.172.amzn2023.x86_64 exe/x86_64.amzn.2023";
    let ct = trail(&INSTANCE, &calls, &|c| {
        format!("aws-cli/2.15.30 Python/3.11.8 {os} prompt/off command/{c}")
    });
    vec![cloudtrail_object(
        &object_key("0900", "Ec2iNs7Ro1Le4Kq8"),
        ct,
    )]
}

pub(crate) const EC2_INSTANCE_ROLE: TestInfo = TestInfo {
    name: "ec2-instance-role",
    summary: "stolen instance-profile credentials used with aws-cli on the instance (Stratus aws.discovery.ec2-enumerate-from-instance call set)",
    intended: "AN1088 EC2 instance role enumerating IAM; AN1088 listing burst",
    twin_of: None,
    config: None,
    build: ec2_instance_role,
};

fn ec2_instance_role_benign() -> Vec<EmuFile> {
    let calls: Vec<Call<'_>> = vec![
        (0, "sts.amazonaws.com", "GetCallerIdentity", Value::Null, ""),
        (
            2,
            "ssm.amazonaws.com",
            "GetParameters",
            json!({"names": ["/app/prod/db-host"], "withDecryption": true}),
            "",
        ),
        (
            3,
            "kms.amazonaws.com",
            "Decrypt",
            json!({"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}),
            "",
        ),
        (
            5,
            "secretsmanager.amazonaws.com",
            "GetSecretValue",
            json!({"secretId": "prod/app/db"}),
            "",
        ),
        (
            7,
            IAM,
            "GetRole",
            json!({"roleName": "app-server-role"}),
            "",
        ),
    ];
    let ua = "aws-sdk-java/2.25.60 Linux/6.1.91-99.172.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS Java/17.0.11 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy";
    let ct = trail(&INSTANCE, &calls, &|_| ua.to_owned());
    vec![cloudtrail_object(
        &object_key("0900", "Ec2wOr8Kl3Oa5Dz2"),
        ct,
    )]
}

pub(crate) const EC2_INSTANCE_ROLE_BENIGN: TestInfo = TestInfo {
    name: "ec2-instance-role-benign",
    summary: "the application on the instance starting up: caller identity, SSM parameters, KMS, Secrets Manager, its own role",
    intended: "quiet (no account-wide IAM listing)",
    twin_of: Some("ec2-instance-role"),
    config: None,
    build: ec2_instance_role_benign,
};
