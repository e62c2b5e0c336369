//! `meterctl meter export`: a tenant's definition, canonical, to stdout or a file.

use std::path::Path;

use anyhow::Context;
use meterctl::canonical;
use meterctl::fsutil::{display, write_atomic};
use meterctl::load::Format;

use super::super::{Outcome, Shell};
use crate::cli::{DocFormat, MeterExportArgs};

pub(super) fn run(args: MeterExportArgs, out: &Shell) -> anyhow::Result<Outcome> {
    let client = super::connect(&args.zuora, out)?;
    let definition = client.export(&args.meter_id)?;
    let to_file = args.output.as_deref().filter(|p| *p != Path::new("-"));
    let format = match args.format {
        Some(DocFormat::Json) => Format::Json,
        Some(DocFormat::Yaml) => Format::Yaml,
        None => to_file.and_then(Format::from_path).unwrap_or(Format::Json),
    };
    let text = canonical::to_canonical_string(&definition, format);
    match to_file {
        Some(path) => {
            write_atomic(path, text.as_bytes())
                .with_context(|| format!("cannot write {}", display(path)))?;
            let name = definition["name"].as_str().unwrap_or("unnamed");
            out.note(&format!(
                "exported meter {} ({name}) to {}",
                args.meter_id,
                display(path)
            ));
        }
        None => out.print(&text)?,
    }
    Ok(Outcome::Clean)
}
