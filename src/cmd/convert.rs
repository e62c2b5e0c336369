//! `meterctl convert`: export JSON ↔ repository YAML, in canonical form, losslessly.

use std::path::Path;

use anyhow::Context;

use super::{Outcome, Shell};
use crate::cli::{ConvertArgs, DocFormat};
use meterctl::canonical;
use meterctl::fsutil::{display, write_atomic};
use meterctl::load::{self, Format};

pub(super) fn run(args: ConvertArgs, out: Shell) -> anyhow::Result<Outcome> {
    let doc = if args.file == Path::new("-") {
        load::load_stdin(None)
    } else {
        load::load_file(&args.file)
    }
    .map_err(|d| anyhow::anyhow!("{d}"))?;
    let to = match args.to {
        DocFormat::Json => Format::Json,
        DocFormat::Yaml => Format::Yaml,
    };
    let text = canonical::document_string(&doc, to);
    if to == Format::Json && !doc.comments.is_empty() {
        let n = doc.comments.len();
        out.error(&format!(
            "note: {n} comment{} dropped: JSON cannot hold comments (converting back to YAML does not restore them)",
            if n == 1 { "" } else { "s" }
        ));
    }
    match &args.output {
        Some(path) if path != Path::new("-") => write_atomic(path, text.as_bytes())
            .with_context(|| format!("cannot write {}", display(path)))?,
        _ => out.print(&text)?,
    }
    Ok(Outcome::Clean)
}
