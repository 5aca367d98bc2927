//! The record the `graph_uri` fuzz target builds from its input, shared (by `#[path]`) with the
//! corpus replay in `crates/enumwatch-cli/tests/it/fuzz_corpus.rs`: the first byte picks the
//! record shape (Graph diagnostic setting, Log Analytics row, AAD Graph, untyped envelope) and
//! the method, the rest is the request URI.

use serde_json::{Value, json};

/// The Graph activity record carrying `data` as its request URI; `None` for empty input.
pub(crate) fn graph_record(data: &[u8]) -> Option<Value> {
    let (&selector, rest) = data.split_first()?;
    let uri = String::from_utf8_lossy(rest).into_owned();
    let method = ["GET", "POST", "PATCH", "DELETE"]
        .get(usize::from(selector >> 4) % 4)
        .copied()
        .unwrap_or("GET");
    Some(match selector % 4 {
        0 => json!({"category": "MicrosoftGraphActivityLogs", "time": "2024-05-14T10:02:11Z",
            "properties": {"requestUri": uri, "requestMethod": method, "responseStatusCode": 200,
            "appId": "1950a258-227b-4e31-a9cf-717495945fc2", "userId": "u",
            "userAgent": "azurehound/v2.1.7"}}),
        1 => json!({"Type": "MicrosoftGraphActivityLogs", "TimeGenerated": "2024-05-14T10:05:00Z",
            "RequestUri": uri, "RequestMethod": method, "ResponseStatusCode": 403, "AppId": "a"}),
        2 => json!({"category": "AzureADGraphActivityLogs", "time": "2024-05-14T10:10:00Z",
            "properties": {"requestUri": uri, "httpMethod": method, "httpStatusCode": 200,
            "appId": "a"}}),
        _ => json!({"requestUri": uri, "requestMethod": method, "responseStatusCode": 200,
            "appId": "a", "timeGenerated": "2024-05-14T10:10:00Z"}),
    })
}
