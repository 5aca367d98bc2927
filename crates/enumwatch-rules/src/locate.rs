//! Find where a key or value sits in a YAML text: its dotted path (from indentation) and line.
//! Good enough for rule files, which are plain block-style YAML.

/// The first line that contains `needle` as a key or value, with the dotted path of keys leading
/// to it.
pub(crate) fn locate(text: &str, needle: &str) -> Option<(String, u64)> {
    let needle = needle.trim();
    if needle.is_empty() {
        return None;
    }
    let lines: Vec<&str> = text.lines().collect();
    let idx = lines.iter().position(|l| {
        let body = l.trim_start().trim_start_matches("- ");
        !body.starts_with('#') && body.contains(needle)
    })?;
    let mut path = Vec::new();
    let mut indent = usize::MAX;
    for line in lines.get(..=idx)?.iter().rev() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let this_indent = line.len() - trimmed.len();
        if this_indent < indent || path.is_empty() {
            if let Some((key, _)) = trimmed.trim_start_matches("- ").split_once(':') {
                let key = key.trim().trim_matches(['\'', '"']);
                if !key.is_empty() && !key.contains(' ') || key.contains('|') {
                    path.push(key.to_owned());
                }
            }
            indent = this_indent;
            if indent == 0 {
                break;
            }
        }
    }
    path.reverse();
    Some((path.join("."), idx as u64 + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys_and_lines() {
        let text = "title: x\ndetection:\n  selection:\n    CommandLine|containz: 'a'\n  condition: selection\n";
        assert_eq!(
            locate(text, "CommandLine|containz"),
            Some(("detection.selection.CommandLine|containz".to_owned(), 4))
        );
        assert_eq!(
            locate(text, "condition"),
            Some(("detection.condition".to_owned(), 5))
        );
        assert_eq!(locate(text, "absent"), None);
    }
}
