//! `enumwatch emulate` (write an emulation's telemetry) and `enumwatch validate` (run them all
//! through the pipeline and print the coverage matrix).

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use enumwatch_emulate::{find, tests, validate as run_validation, write};

use crate::cli::{EmulateArgs, MatrixFormat, ValidateArgs};

pub(crate) fn emulate(args: &EmulateArgs) -> Result<ExitCode> {
    let mut out = io::stdout().lock();
    if args.list {
        let width = tests().iter().map(|t| t.name.len()).max().unwrap_or(0);
        for t in tests() {
            writeln!(out, "{:<width$}  {}", t.name, t.intended)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let name = args.test.as_deref().unwrap_or_default();
    let test = find(name)?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("emulation").join(test.name));
    let mut written = write(test, &dir.join("logs"))?;
    if let Some(config) = test.config {
        let path = dir.join("enumwatch.toml");
        std::fs::write(&path, config)
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    writeln!(out, "{}: {}", test.name, test.summary)?;
    for path in &written {
        writeln!(out, "  wrote {}", path.display())?;
    }
    let config = if test.config.is_some() {
        format!(" --config {}", dir.join("enumwatch.toml").display())
    } else {
        String::new()
    };
    writeln!(
        out,
        "hunt it: enumwatch hunt {}{config}",
        dir.join("logs").display()
    )?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn validate(args: &ValidateArgs) -> Result<ExitCode> {
    let matrix = run_validation(tests())?;
    let mut out = io::stdout().lock();
    match args.format {
        MatrixFormat::Table => out.write_all(matrix.to_table().as_bytes())?,
        MatrixFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &matrix)?;
            writeln!(out)?;
        }
    }
    Ok(if matrix.regressions() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
