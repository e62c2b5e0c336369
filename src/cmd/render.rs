//! `meterctl render`: the definitions as they would be sent to an environment, secrets masked.

use anyhow::bail;
use meterctl::fsutil::display;
use meterctl::load::Format;
use meterctl::promote::{self, load_repo};

use super::{repo, Outcome, Shell};
use crate::cli::{DocFormat, RenderArgs};

pub(super) fn run(args: RenderArgs, out: Shell) -> anyhow::Result<Outcome> {
    let config = repo::find_config(&out)?;
    let env = config.environment(&args.env)?;
    let mut repo = load_repo(&config.meters_dir())?;
    if let Some(sel) = &args.meter {
        repo.retain(|m| &m.global_id == sel || &m.name == sel || display(&m.path) == sel.as_str());
        if repo.is_empty() {
            bail!("no meter with globalId, name or file {sel:?}");
        }
    }
    let (rendered, masker) = promote::render_all(&args.env, env, &repo)?;
    let format = match args.format {
        DocFormat::Json => Format::Json,
        DocFormat::Yaml => Format::Yaml,
    };
    let mut text = String::new();
    for (i, mut v) in rendered.into_iter().enumerate() {
        masker.mask_value(&mut v);
        if i > 0 && format == Format::Yaml {
            text.push_str("---\n");
        }
        text.push_str(&meterctl::canonical::to_canonical_string(&v, format));
    }
    out.print(&text)?;
    Ok(Outcome::Clean)
}
