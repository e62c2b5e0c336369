//! `meterctl init`: start a repository (meterctl.yaml, meters/, .gitignore).

use anyhow::bail;
use meterctl::config;
use meterctl::fsutil::display;

use super::{Outcome, Shell};
use crate::cli::InitArgs;

pub(super) fn run(args: InitArgs, out: Shell) -> anyhow::Result<Outcome> {
    let path = out
        .config
        .clone()
        .unwrap_or_else(|| config::FILE_NAME.into());
    if path.exists() {
        bail!(
            "{} already exists; `meterctl config check` checks it",
            display(&path)
        );
    }
    let mut envs: Vec<(String, String)> = Vec::new();
    for e in &args.envs {
        let Some((name, url)) = e.split_once('=') else {
            bail!("--env expects NAME=URL, got {e:?}");
        };
        if !config::is_env_name(name) {
            bail!("environment name {name:?}: use letters, digits, `_` and `-`");
        }
        meterctl::zuora::check_base_url(url)?;
        envs.push((name.to_string(), url.to_string()));
    }
    if envs.is_empty() {
        envs = vec![
            ("sandbox".into(), "https://rest.test.zuora.com".into()),
            ("production".into(), "https://rest.zuora.com".into()),
        ];
    }
    meterctl::promote::init_repository(&path, &envs)?;
    out.status(&format!(
        "wrote {}, meters/ and .gitignore; environments: {}",
        display(&path),
        envs.iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ))?;
    Ok(Outcome::Clean)
}
