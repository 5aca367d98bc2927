//! Command lines to argv: Windows rules (as `CommandLineToArgvW`: quotes group and vanish,
//! backslashes before a quote escape it) for Windows-looking lines, POSIX-shell-like splitting
//! otherwise.

/// Split a Windows command line.
pub(crate) fn split_windows(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut in_arg = false;
    let mut quoted = false;
    let mut backslashes = 0usize;
    for c in line.chars() {
        match c {
            '\\' => {
                backslashes += 1;
                in_arg = true;
            }
            '"' => {
                current.extend(std::iter::repeat_n('\\', backslashes / 2));
                if backslashes % 2 == 1 {
                    current.push('"');
                } else {
                    quoted = !quoted;
                }
                backslashes = 0;
                in_arg = true;
            }
            c if c.is_whitespace() && !quoted => {
                current.extend(std::iter::repeat_n('\\', backslashes));
                backslashes = 0;
                if in_arg {
                    args.push(std::mem::take(&mut current));
                    in_arg = false;
                }
            }
            c => {
                current.extend(std::iter::repeat_n('\\', backslashes));
                backslashes = 0;
                current.push(c);
                in_arg = true;
            }
        }
    }
    current.extend(std::iter::repeat_n('\\', backslashes));
    if in_arg {
        args.push(current);
    }
    args
}

/// Split a POSIX shell command line (single and double quotes, backslash escapes).
pub(crate) fn split_posix(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut in_arg = false;
    let mut chars = line.chars();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    current.push(n);
                }
            }
            (Some(_), c) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_arg = true;
            }
            (None, '\\') => {
                if let Some(n) = chars.next() {
                    current.push(n);
                }
                in_arg = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_arg {
                    args.push(std::mem::take(&mut current));
                    in_arg = false;
                }
            }
            (None, c) => {
                current.push(c);
                in_arg = true;
            }
        }
    }
    if in_arg {
        args.push(current);
    }
    args
}

/// Windows rules when the line looks like Windows (drive letters, backslash paths, `.exe`).
pub(crate) fn split(line: &str) -> Vec<String> {
    let lower = line.to_ascii_lowercase();
    let windows = lower.contains(":\\")
        || lower.contains(".exe")
        || lower.contains(".cmd")
        || lower.starts_with("\\\\");
    if windows {
        split_windows(line)
    } else {
        split_posix(line)
    }
}

/// Lower-case program name without directory and Windows extension.
pub(crate) fn program(arg0: &str) -> String {
    let base = arg0
        .rsplit(['\\', '/'])
        .next()
        .unwrap_or(arg0)
        .to_ascii_lowercase();
    for ext in [".exe", ".cmd", ".bat", ".ps1"] {
        if let Some(stem) = base.strip_suffix(ext) {
            return stem.to_owned();
        }
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_posix_splitting() {
        assert_eq!(
            split_windows(r#""C:\Program Files\x\python.exe" -IBm azure.cli ad "user" list"#),
            [
                "C:\\Program Files\\x\\python.exe",
                "-IBm",
                "azure.cli",
                "ad",
                "user",
                "list"
            ]
        );
        assert_eq!(split_windows(r#""a"w"s" iam"#), ["aws", "iam"]);
        assert_eq!(split_windows(r#"a\"b c\\"#), ["a\"b", "c\\\\"]);
        assert_eq!(
            split_posix(r#"gcloud 'iam' "service-accounts" list\ x"#),
            ["gcloud", "iam", "service-accounts", "list x"]
        );
        assert_eq!(program("C:\\Tools\\AzureHound.EXE"), "azurehound");
        assert_eq!(program("/usr/bin/aws"), "aws");
    }
}
