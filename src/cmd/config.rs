//! `meterctl config check`: meterctl.yaml and the repository load, and which credentials are set.

use anyhow::bail;
use meterctl::config::{self, Config};
use meterctl::fsutil::display;
use meterctl::promote::load_repo;

use super::{Outcome, Shell};
use crate::cli::ConfigAction;

pub(super) fn run(action: ConfigAction, out: Shell) -> anyhow::Result<Outcome> {
    let ConfigAction::Check = action;
    let config = match Config::discover(out.config.as_deref()) {
        Ok(Some(c)) => c,
        Ok(None) => bail!("no {} in this folder or any parent", config::FILE_NAME),
        Err(e @ config::ConfigError::Invalid { .. }) => {
            out.error(&format!("error: {e}"));
            return Ok(Outcome::Findings);
        }
        Err(e) => return Err(e.into()),
    };
    if let Err(e) = load_repo(&config.meters_dir()) {
        out.error(&format!("error: {:#}", anyhow::Error::from(e)));
        return Ok(Outcome::Findings);
    }
    let shown = display(&config.root.join(config::FILE_NAME)).into_owned();
    out.status(&format!(
        "{shown}: valid; meters in {}; {} environment(s)",
        display(&config.meters_dir()),
        config.environments.len()
    ))?;
    for (name, env) in &config.environments {
        let set = |v: &str| {
            if std::env::var(v).is_ok_and(|x| !x.trim().is_empty()) {
                format!("{v} set")
            } else {
                format!("{v} not set")
            }
        };
        out.status(&format!(
            "  {name}: {} ({}, {}){}{}",
            env.url,
            set(&env.client_id_env),
            set(&env.client_secret_env),
            if env.values.is_empty() {
                String::new()
            } else {
                format!(
                    ", values: {}",
                    env.values.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            },
            if env.protected { ", protected" } else { "" }
        ))?;
    }
    Ok(Outcome::Clean)
}
