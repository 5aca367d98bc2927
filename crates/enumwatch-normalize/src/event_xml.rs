//! The `<Data Name="…">…</Data>` fields of a Windows event's XML, as Sentinel's legacy `Event`
//! table keeps them in its `EventData` column (`<DataItem …><EventData xmlns=…><Data
//! Name="UtcTime">…</Data>…</EventData></DataItem>`). Only the named data elements are read: a
//! small scan, not an XML parser, over text the Windows event renderer writes in one fixed shape.

use serde_json::{Map, Value};

/// The named data elements of `xml` as an object of strings (entities decoded), up to where the
/// text is cut or garbled; `None` when it holds none.
pub(crate) fn data_fields(xml: &str) -> Option<Value> {
    let mut fields = Map::new();
    let mut rest = xml;
    while let Some((name, value, after)) = next_element(rest) {
        fields.entry(name).or_insert(Value::String(value));
        rest = after;
    }
    (!fields.is_empty()).then_some(Value::Object(fields))
}

/// The next `<Data Name="…">…</Data>` (or `<Data Name="…"/>`) element of `text`: its name, its
/// value and the text after it.
fn next_element(text: &str) -> Option<(String, String, &str)> {
    let at = text.find("<Data Name=\"")?;
    let rest = text.get(at + "<Data Name=\"".len()..)?;
    let name_end = rest.find('"')?;
    let name = unescape(rest.get(..name_end)?);
    let rest = rest.get(name_end + 1..)?;
    let close = rest.find('>')?;
    let empty = rest.get(..close)?.trim_end().ends_with('/');
    let rest = rest.get(close + 1..)?;
    if empty {
        return Some((name, String::new(), rest));
    }
    // A value the text ends inside (Log Analytics cuts long columns) is kept as far as it goes:
    // a cut command line is still evidence.
    let Some(end) = rest.find("</Data>") else {
        return Some((name, unescape(rest), ""));
    };
    let value = unescape(rest.get(..end)?);
    Some((name, value, rest.get(end + "</Data>".len()..)?))
}

/// XML's five named entities and its numeric character references; anything else as written.
fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(rest.get(..at).unwrap_or_default());
        rest = rest.get(at..).unwrap_or_default();
        let reference = rest.find(';').and_then(|end| rest.get(1..end));
        let decoded = reference.and_then(|r| match r {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => {
                let code = match r.strip_prefix("#x").or_else(|| r.strip_prefix("#X")) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => r.strip_prefix('#').and_then(|d| d.parse().ok()),
                };
                code.and_then(char::from_u32)
            }
        });
        match (decoded, reference) {
            (Some(c), Some(r)) => {
                out.push(c);
                rest = rest.get(r.len() + 2..).unwrap_or_default();
            }
            _ => {
                out.push('&');
                rest = rest.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_data_elements_with_entities() {
        let xml = r#"<DataItem type="System.XmlData" time="2024-06-01T10:00:00.1234567Z"><EventData xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><Data Name="RuleName">-</Data><Data Name="CommandLine">cmd /c "a &amp;&amp; b" &lt;in.txt &#x41;&#66;</Data><Data Name="Empty"/><Data Name="Bad">x &unknown; &#xZZ; &</Data></EventData></DataItem>"#;
        let fields = data_fields(xml).unwrap();
        assert_eq!(fields["RuleName"], "-");
        assert_eq!(fields["CommandLine"], r#"cmd /c "a && b" <in.txt AB"#);
        assert_eq!(fields["Empty"], "");
        assert_eq!(fields["Bad"], "x &unknown; &#xZZ; &");
        assert_eq!(data_fields("<DataItem/>"), None);
        assert_eq!(data_fields("<Data Name=\"cut"), None);
        // Cut inside the name of its third element: the first two are kept.
        let cut = &xml[..xml.find("<Data Name=\"Empty\"").unwrap() + 14];
        let kept = data_fields(cut).unwrap();
        assert_eq!(kept.as_object().unwrap().len(), 2);
        // Cut inside a value: the value as far as it goes.
        let cut = &xml[..xml.find("&lt;in").unwrap()];
        assert_eq!(
            data_fields(cut).unwrap()["CommandLine"],
            r#"cmd /c "a && b" "#
        );
    }
}
