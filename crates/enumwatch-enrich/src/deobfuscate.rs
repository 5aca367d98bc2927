//! Undo the cheap obfuscations that defeat phrase matching: cmd carets, quotes that split a word
//! (`"a"w"s"`), runs of whitespace, PowerShell backticks inside words, `-EncodedCommand` base64
//! (UTF-16LE). Odd mixed case is judged by the enricher, which knows the recognised token. String concatenation
//! and variable indirection are out of scope: they need an interpreter, not a normalizer.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// De-obfuscated text and the techniques that were undone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deobfuscated {
    pub text: String,
    pub techniques: Vec<&'static str>,
}

/// Decode base64 of UTF-16LE text (PowerShell `-EncodedCommand`).
pub(crate) fn decode_encoded_command(b64: &str) -> Option<String> {
    let cleaned: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = STANDARD
        .decode(cleaned.as_bytes())
        .or_else(|_| {
            STANDARD.decode(format!(
                "{cleaned}{}",
                "=".repeat((4 - cleaned.len() % 4) % 4)
            ))
        })
        .ok()?;
    if bytes.len() < 2 || bytes.len() % 2 != 0 {
        return None;
    }
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect();
    let text = String::from_utf16(&units).ok()?;
    // Real scripts are mostly printable.
    let printable = text
        .chars()
        .filter(|c| !c.is_control() || c.is_whitespace())
        .count();
    (printable * 10 >= text.chars().count() * 9).then_some(text)
}

fn is_encoded_flag(arg: &str) -> bool {
    let lower = arg.to_ascii_lowercase();
    let Some(name) = lower.strip_prefix('-').or_else(|| lower.strip_prefix('/')) else {
        return false;
    };
    // Any unambiguous prefix of -EncodedCommand, plus the documented -ec alias.
    name == "ec"
        || (!name.is_empty() && "encodedcommand".starts_with(name) && name.starts_with('e'))
}

/// A word with an even number of quotes, one of them between two alphanumeric characters
/// (`"a"w"s"`): quoting that only breaks up the word.
fn splits_word(word: &str) -> bool {
    if word.contains("\\\"") || !word.matches('"').count().is_multiple_of(2) {
        return false;
    }
    let chars: Vec<char> = word.chars().collect();
    chars
        .windows(3)
        .any(|w| matches!(w, [a, '"', b] if a.is_alphanumeric() && b.is_alphanumeric()))
}

/// De-obfuscate one command line.
pub fn deobfuscate(command_line: &str) -> Deobfuscated {
    let mut techniques = Vec::new();
    let mut text = command_line.to_owned();
    if text.contains('^') {
        // `^x` is an escaped `x` in cmd; `^^` is a literal caret.
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '^' {
                if let Some(n) = chars.next()
                    && n != '\r'
                    && n != '\n'
                {
                    out.push(n);
                }
            } else {
                out.push(c);
            }
        }
        techniques.push("caret");
        text = out;
    }
    if text.contains('`') {
        let before = text.clone();
        text = text
            .replace("``", "\u{0}")
            .replace('`', "")
            .replace('\u{0}', "`");
        if text != before {
            techniques.push("backtick");
        }
    }
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.len() < text.trim().len() {
        techniques.push("whitespace");
    }
    // Quotes splitting a word (`"a"w"s"`, `a"w"s`) vanish when cmd splits the line; undo them
    // in the text so phrase matching sees `aws`.
    let mut quoted_words = false;
    let collapsed = collapsed
        .split(' ')
        .map(|w| {
            if splits_word(w) {
                quoted_words = true;
                w.replace('"', "")
            } else {
                w.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    if quoted_words {
        techniques.push("quotes");
    }
    let args: Vec<&str> = collapsed.split(' ').collect();
    if let Some(pos) = args.iter().position(|a| is_encoded_flag(a))
        && let Some(decoded) = args.get(pos + 1).and_then(|b| decode_encoded_command(b))
    {
        techniques.push("encoded_command");
        let mut rebuilt: Vec<String> = args
            .get(..pos)
            .unwrap_or_default()
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        rebuilt.push("-Command".to_owned());
        rebuilt.push(decoded);
        rebuilt.extend(
            args.get(pos + 2..)
                .unwrap_or_default()
                .iter()
                .map(|s| (*s).to_owned()),
        );
        return Deobfuscated {
            text: rebuilt.join(" "),
            techniques,
        };
    }
    Deobfuscated {
        text: collapsed,
        techniques,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> String {
        let bytes: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
        STANDARD.encode(bytes)
    }

    #[test]
    fn each_technique_is_undone_and_named() {
        let d = deobfuscate("cmd /c a^w^s  i^am\tlist-users");
        assert_eq!(d.text, "cmd /c aws iam list-users");
        assert_eq!(d.techniques, ["caret", "whitespace"]);
        let d = deobfuscate("powershell Get-Msol`User -All");
        assert_eq!(d.text, "powershell Get-MsolUser -All");
        assert_eq!(d.techniques, ["backtick"]);
        let d = deobfuscate(&format!("powershell -nop -enc {}", enc("Get-MgUser -All")));
        assert_eq!(d.text, "powershell -nop -Command Get-MgUser -All");
        assert_eq!(d.techniques, ["encoded_command"]);
        let d = deobfuscate("aws iam list-users");
        assert!(d.techniques.is_empty());
        assert_eq!(deobfuscate(r#"cmd /c "a"w"s" iam"#).techniques, ["quotes"]);
        assert_eq!(deobfuscate(r#"cmd /c a"w"s iam"#).text, "cmd /c aws iam");
        // Ordinary quoting is not obfuscation.
        let d = deobfuscate(r#"aws --query "Users[].Name" --output="json" iam list-users"#);
        assert!(d.techniques.is_empty());
        let d = deobfuscate("aws  iam list-users");
        assert_eq!(
            (d.text.as_str(), d.techniques),
            ("aws iam list-users", vec!["whitespace"])
        );
        assert!(decode_encoded_command("!!!").is_none());
    }
}
