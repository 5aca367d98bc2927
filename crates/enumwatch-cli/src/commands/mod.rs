//! One module per subcommand, plus rule loading shared by all of them.

pub(crate) mod baseline;
pub(crate) mod coverage;
pub(crate) mod emulate;
pub(crate) mod hunt;
pub(crate) mod report;
pub(crate) mod rules;
pub(crate) mod tune;

use anyhow::{Context, Result, bail};
use enumwatch_analytics::builtin_rule_sources;
use enumwatch_pipeline::read_rule_dir;
use enumwatch_rules::{RuleSet, load_prechecked};

use crate::cli::RuleArgs;

/// Built-in rules (unless `--no-builtin`) plus the user's `--rules` paths. Any rule error is
/// fatal: running a smaller rule set than the user asked for would hide detections silently.
/// The built-in rules are prechecked (their tests lint each one), so only the selected ones are
/// ever compiled.
pub(crate) fn load_rules(args: &RuleArgs) -> Result<RuleSet> {
    let builtin = if args.no_builtin {
        Vec::new()
    } else {
        builtin_rule_sources()
    };
    let mut sources = Vec::new();
    for path in &args.rules {
        let found = read_rule_dir(path)
            .with_context(|| format!("loading rules from {}", path.display()))?;
        if found.is_empty() {
            bail!(
                "no rule files (*.yml, *.yaml) found in {}; point --rules at a Sigma rule file or folder",
                path.display()
            );
        }
        sources.extend(found);
    }
    let (rules, errors) = load_prechecked(&builtin, &sources);
    if !errors.is_empty() {
        let listed = errors
            .iter()
            .map(|e| format!("  {e}"))
            .collect::<Vec<_>>()
            .join("\n");
        bail!(
            "{} rule error(s); fix them or leave the file out (check one file with `enumwatch rules lint FILE`):\n{listed}",
            errors.len()
        );
    }
    Ok(rules)
}
