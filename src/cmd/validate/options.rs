//! The validation flags of a run (the library's `config::validate_options` merges them with
//! meterctl.yaml's `validate:` settings); and the text report of the commands that validate
//! before they send.

use std::io;

use meterctl::config::ValidateFlags;
use meterctl::report::validate::{TextOptions, ValidateFormat};
use meterctl::validate::{FileReport, Summary};

use crate::cli::ValidateArgs;
use crate::shell::Shell;

/// The validation flags of `meterctl validate` (`meter import`, `plan` and `apply` use none).
pub(in crate::cmd) fn flags(a: &ValidateArgs) -> ValidateFlags {
    ValidateFlags {
        strict: a.strict,
        schema: a.schema.clone(),
        allow: a.allow.clone(),
        deny: a.deny.clone(),
    }
}

/// Writes the findings of invalid files to stderr as text, for commands that check what they
/// are about to send (`meter import`, `plan`, `apply`).
pub(in crate::cmd) fn write_invalid(
    invalid: &[FileReport],
    out: &Shell,
    quiet: bool,
) -> anyhow::Result<()> {
    let summary = Summary::of(invalid);
    let text = TextOptions {
        color: out.color_stderr(),
        quiet,
    };
    meterctl::report::validate::write(
        ValidateFormat::Text,
        invalid,
        &summary,
        text,
        &mut io::stderr().lock(),
    )?;
    Ok(())
}
