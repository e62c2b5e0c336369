//! `meterctl rules`, `meterctl explain CODE`, `meterctl schema list|print`.

use std::io::{self, Write};

use super::Outcome;
use crate::cli::SchemaAction;
use meterctl::validate::{rules, schema, RULES};

pub(super) fn list() -> anyhow::Result<Outcome> {
    let mut w = io::stdout().lock();
    let width = RULES.iter().map(|r| r.name.len()).max().unwrap_or(4);
    writeln!(
        w,
        "{:<8} {:<width$} {:<8} SUMMARY",
        "CODE", "NAME", "SEVERITY"
    )?;
    for r in RULES {
        writeln!(
            w,
            "{:<8} {:<width$} {:<8} {}",
            r.code,
            r.name,
            r.severity.as_str(),
            r.summary
        )?;
    }
    Ok(Outcome::Clean)
}

pub(super) fn explain(code: &str) -> anyhow::Result<Outcome> {
    let r = rules::by_code(code).ok_or_else(|| {
        anyhow::anyhow!("unknown rule {code:?}; `meterctl rules` lists the codes")
    })?;
    let mut w = io::stdout().lock();
    writeln!(w, "{} {} ({} by default)\n", r.code, r.name, r.severity)?;
    writeln!(w, "{}.\n\n{}", capitalise(r.summary), r.docs)?;
    writeln!(
        w,
        "\nTurn it off with `--allow {0}` or `validate: {{rules: {{{0}: off}}}}` in meterctl.yaml.",
        r.code
    )?;
    Ok(Outcome::Clean)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

pub(super) fn schema(action: SchemaAction) -> anyhow::Result<Outcome> {
    let mut w = io::stdout().lock();
    match action {
        SchemaAction::List => {
            for (name, _) in schema::EMBEDDED {
                writeln!(w, "{name}")?;
            }
        }
        SchemaAction::Print { name } => {
            let text = schema::embedded(&name).ok_or_else(|| {
                anyhow::anyhow!(
                    "no embedded schema named {name:?}; `meterctl schema list` lists them"
                )
            })?;
            w.write_all(text.as_bytes())?;
        }
    }
    Ok(Outcome::Clean)
}
