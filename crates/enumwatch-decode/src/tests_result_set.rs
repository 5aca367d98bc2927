//! Athena query results (`aws athena get-query-results`, the CSV download) give one record per
//! row, each located, whatever shape the result was saved in.

use serde_json::Value;

use super::tests::{run, testdata};
use super::*;

/// Each record's (eventid, eventname) as the row named them.
fn ids(records: &[RawRecord]) -> Vec<(String, String)> {
    records
        .iter()
        .map(|r| {
            let text = |k: &str| r.body[k].as_str().unwrap_or_default().to_owned();
            (text("eventid"), text("eventname"))
        })
        .collect()
}

#[test]
fn a_get_query_results_document_gives_the_rows_of_the_csv_download() {
    let (format, csv, errors) = run(&testdata("logs/cloudtrail/athena_results_invictus.csv"));
    assert_eq!(format, Some(Format::Csv));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(csv.len(), 29);
    let (format, rows, errors) = run(&testdata(
        "logs/cloudtrail/athena_get_query_results_invictus.json",
    ));
    assert_eq!(format, Some(Format::Json));
    assert!(errors.is_empty(), "{errors:?}");
    // The header row is no record; the rows are numbered as the CSV's are.
    let numbers: Vec<u64> = rows.iter().map(|r| r.location.record).collect();
    assert_eq!(numbers, (0..29).collect::<Vec<_>>());
    assert_eq!(ids(&rows), ids(&csv));
    assert!(
        !ids(&rows)
            .iter()
            .any(|(id, _)| id.is_empty() || id == "eventid")
    );
    // A SQL NULL (no `VarCharValue`) is left out, as the CSV's empty cell is empty.
    let mut nulls = 0;
    for (row, cells) in rows.iter().zip(&csv) {
        let empty = cells.body["errorcode"] == "";
        assert_eq!(row.body.get("errorcode").is_none(), empty, "{}", row.body);
        nulls += usize::from(empty);
    }
    assert!(nulls > 0);
}

#[test]
fn pages_saved_as_json_lines_give_every_row_once() {
    let mut page: Value = serde_json::from_slice(&testdata(
        "logs/cloudtrail/athena_get_query_results_invictus.json",
    ))
    .unwrap();
    let all = page["ResultSet"]["Rows"].as_array().unwrap().clone();
    // The first page keeps the header row and ten rows; the next page has the rest, no header.
    let mut second = page.clone();
    page["ResultSet"]["Rows"] = Value::Array(all[..11].to_vec());
    page["NextToken"] = Value::from("token");
    second["ResultSet"]["Rows"] = Value::Array(all[11..].to_vec());
    let text = format!("{page}\n{second}\n");
    let (format, records, errors) = run(text.as_bytes());
    assert_eq!(format, Some(Format::JsonLines));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 29);
    let lines: Vec<Option<u64>> = records.iter().map(|r| r.location.line).collect();
    assert_eq!(lines.iter().filter(|l| **l == Some(1)).count(), 10);
    assert_eq!(lines.iter().filter(|l| **l == Some(2)).count(), 19);
    // A page is never taken for one record by the well-formedness check.
    assert!(!crate::valid::certainly_one_record(
        page.to_string().as_bytes()
    ));
}

#[test]
fn a_page_of_only_the_header_row_holds_no_record_and_loses_none_after_it() {
    let header = r#"{"ResultSet": {"Rows": [{"Data": [{"VarCharValue": "eventname"}]}],
        "ResultSetMetadata": {"ColumnInfo": [{"Name": "eventname"}]}}}"#;
    let text = format!("[{header}, {{\"eventname\": \"after\"}}]");
    let (_, records, errors) = run(text.as_bytes());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].body["eventname"], "after");
    let (_, records, _) = run(format!("{header}\n{header}").as_bytes());
    assert!(records.is_empty());
}

#[test]
fn splunk_exports_give_each_results_raw_record_located() {
    let export = testdata("logs/cloudtrail/splunk_export_invictus.json");
    let (format, lines, errors) = run(&export);
    assert_eq!(format, Some(Format::JsonLines));
    assert!(errors.is_empty(), "{errors:?}");
    let (_, csv, errors) = run(&testdata("logs/cloudtrail/splunk_export_invictus.csv"));
    assert!(errors.is_empty(), "{errors:?}");
    // A REST API `results` page of the same results, as one document.
    let results: Vec<Value> = String::from_utf8(export)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["result"].clone())
        .collect();
    let page = serde_json::json!({"preview": false, "init_offset": 0, "messages": [],
                                  "fields": [{"name": "_raw"}], "results": results});
    let (format, paged, errors) = run(serde_json::to_string_pretty(&page).unwrap().as_bytes());
    assert_eq!(format, Some(Format::Json));
    assert!(errors.is_empty(), "{errors:?}");
    for records in [&lines, &csv, &paged] {
        assert_eq!(records.len(), 29);
        let numbers: Vec<u64> = records.iter().map(|r| r.location.record).collect();
        assert_eq!(numbers, (0..29).collect::<Vec<_>>());
        assert!(records.iter().all(|r| r.body["eventVersion"] == "1.08"));
    }
    let bodies = |rs: &[RawRecord]| rs.iter().map(|r| r.body.clone()).collect::<Vec<_>>();
    assert_eq!(bodies(&lines), bodies(&csv));
    assert_eq!(bodies(&lines), bodies(&paged));
    // Every export line is parsed, whatever the prefilter says: `_raw` may be event XML.
    assert!(
        !String::from_utf8(testdata("logs/cloudtrail/splunk_export_invictus.json"))
            .unwrap()
            .lines()
            .any(|l| crate::valid::certainly_well_formed(l.as_bytes()))
    );
}
