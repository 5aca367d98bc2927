//! Query results as `aws athena get-query-results` prints them (and Splunk's REST `results`
//! pages and Elasticsearch `_search` responses, whose items `splunk` and `elastic` read): a `ResultSet` whose `Rows` hold
//! each row's cells as `{"Data": [{"VarCharValue": …}, …]}`, named by the `ColumnInfo` of its
//! `ResultSetMetadata`.
//!
//! Athena is where incident responders query a trail's S3 objects, and this output (or an SDK's
//! same response) is what they keep of a query. Each row is handed out as one record of
//! column name → text, as the result's CSV download would give it, so the normalizers see the
//! same record either way. The first page repeats the column names as its first row; that row
//! is not a record.

use serde_json::{Map, Value};

/// The response's member holding the rows, quotes included, for the well-formedness check
/// (which is never sure a page is one record).
pub(crate) const QUOTED_KEY: &[u8] = b"\"ResultSet\"";

/// The rows of a `get-query-results` response, each as an object of its named cells (a cell
/// without `VarCharValue`, SQL `NULL`, is left out); `None` when `value` is no such response.
/// A row that is not `{"Data": [...]}` is handed out as it is, to be reported unrecognized.
pub(crate) fn rows(value: &mut Value) -> Option<Vec<Value>> {
    // Pages have few members; records mostly have more, and every parsed record is asked.
    if value.as_object().is_none_or(|map| map.len() > 8) {
        return None;
    }
    if let Some(results) = crate::splunk::results_page(value) {
        return Some(results);
    }
    if let Some(hits) = crate::elastic::search_hits(value) {
        return Some(hits);
    }
    let Value::Object(map) = value else {
        return None;
    };
    // `UpdateCount` and `NextToken` may stand beside it; a record has more members.
    if map.len() > 3 {
        return None;
    }
    let Some(Value::Object(set)) = map.get_mut("ResultSet") else {
        return None;
    };
    let Some(Value::Array(rows)) = set.get_mut("Rows") else {
        return None;
    };
    let mut rows = std::mem::take(rows).into_iter().peekable();
    let mut names: Vec<String> = set
        .get("ResultSetMetadata")
        .and_then(|meta| meta.get("ColumnInfo"))
        .and_then(Value::as_array)
        .map(|columns| {
            columns
                .iter()
                .map(|c| {
                    c.get("Name")
                        .or_else(|| c.get("Label"))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default();
    let first_cells = rows.peek().and_then(cells);
    if let Some(first) = first_cells {
        let header: Vec<String> = first
            .iter()
            .map(|cell| cell.unwrap_or_default().to_owned())
            .collect();
        if names.is_empty() {
            names = header;
            rows.next();
        } else if header == names {
            rows.next();
        }
    }
    Some(rows.map(|row| named(row, &names)).collect())
}

/// A row's cells: `Some(text)` or `None` for SQL `NULL`.
fn cells(row: &Value) -> Option<Vec<Option<&str>>> {
    let data = row.get("Data")?.as_array()?;
    Some(
        data.iter()
            .map(|cell| cell.get("VarCharValue").and_then(Value::as_str))
            .collect(),
    )
}

fn named(row: Value, names: &[String]) -> Value {
    let Some(cells) = cells(&row) else {
        return row;
    };
    let mut out = Map::with_capacity(cells.len());
    for (i, cell) in cells.into_iter().enumerate() {
        let Some(text) = cell else { continue };
        let name = match names.get(i) {
            Some(name) if !name.is_empty() => name.clone(),
            _ => format!("_col{i}"),
        };
        out.insert(name, Value::String(text.to_owned()));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(cells: &[Option<&str>]) -> Value {
        let data: Vec<Value> = cells
            .iter()
            .map(|c| match c {
                Some(t) => json!({ "VarCharValue": t }),
                None => json!({}),
            })
            .collect();
        json!({ "Data": data })
    }

    fn meta(names: &[&str]) -> Value {
        let cols: Vec<Value> = names
            .iter()
            .map(|n| json!({"CatalogName": "hive", "Name": n, "Label": n, "Type": "varchar"}))
            .collect();
        json!({ "ColumnInfo": cols })
    }

    #[test]
    fn the_header_row_names_the_cells_and_is_no_record() {
        let mut page = json!({
            "UpdateCount": 0,
            "ResultSet": {
                "Rows": [row(&[Some("eventname"), Some("errorcode")]),
                         row(&[Some("ListUsers"), None]),
                         row(&[Some("GetUser"), Some("AccessDenied")])],
                "ResultSetMetadata": meta(&["eventname", "errorcode"]),
            }
        });
        assert_eq!(
            rows(&mut page).unwrap(),
            vec![
                json!({"eventname": "ListUsers"}),
                json!({"eventname": "GetUser", "errorcode": "AccessDenied"})
            ]
        );
    }

    #[test]
    fn a_later_page_has_no_header_row_and_a_page_without_metadata_has_one() {
        let mut later = json!({"ResultSet": {"Rows": [row(&[Some("ListRoles"), None])],
                                             "ResultSetMetadata": meta(&["eventname", "errorcode"])},
                               "NextToken": "t"});
        assert_eq!(
            rows(&mut later).unwrap(),
            vec![json!({"eventname": "ListRoles"})]
        );
        let mut bare = json!({"ResultSet": {"Rows": [row(&[Some("eventname")]),
                                                     row(&[Some("ListRoles"), Some("extra")]),
                                                     json!("odd")]}});
        assert_eq!(
            rows(&mut bare).unwrap(),
            vec![
                json!({"eventname": "ListRoles", "_col1": "extra"}),
                json!("odd")
            ]
        );
    }

    #[test]
    fn other_objects_are_not_result_sets() {
        for mut v in [
            json!({"ResultSet": {"Rows": {}}}),
            json!({"Rows": []}),
            json!([1]),
            json!({"ResultSet": {"Rows": []}, "a": 1, "b": 2, "c": 3}),
        ] {
            assert!(rows(&mut v).is_none(), "{v}");
        }
    }
}
