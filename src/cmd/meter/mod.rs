//! `meterctl meter ...`: export, import, run, test, status, stop and summary against a Zuora
//! tenant, one file per subcommand.
//!
//! Each command builds one [`Client`] from `--url` and the environment's credentials, makes its
//! calls, and prints either a line for people or, with `--format json`, the `data` of Zuora's
//! answer as it came. Zuora refusing the request (meter not found, definition refused, run
//! failed) is a finding (exit 1); not being able to ask (bad flags, network, authentication) is
//! an error (exit 2).

mod export;
mod import;
mod run;
mod status;
mod stop;
mod summary;
mod test;

use std::time::Duration;

use anyhow::bail;
use meterctl::zuora::runs::RunError;
use meterctl::zuora::{Client, Endpoint, FromEnvError, RetryPolicy, ZuoraError};

use super::{Outcome, Shell};
use crate::cli::{MeterCommand, ZuoraArgs};

/// Environment variable holding the OAuth client id.
pub const ENV_CLIENT_ID: &str = "ZUORA_CLIENT_ID";
/// Environment variable holding the OAuth client secret.
pub const ENV_CLIENT_SECRET: &str = "ZUORA_CLIENT_SECRET";

pub(super) fn run(command: MeterCommand, out: Shell) -> anyhow::Result<Outcome> {
    let result = match command {
        MeterCommand::Export(a) => export::run(a, &out),
        MeterCommand::Import(a) => import::run(a, &out),
        MeterCommand::Run(a) => run::run(a, &out),
        MeterCommand::Test(a) => test::run(a, &out),
        MeterCommand::Status(a) => status::run(a, &out),
        MeterCommand::Stop(a) => stop::run(a, &out),
        MeterCommand::Summary(a) => summary::run(a, &out),
    };
    match result {
        Err(e)
            if e.downcast_ref::<ZuoraError>()
                .or_else(|| e.downcast_ref::<RunError>().and_then(RunError::zuora))
                .is_some_and(ZuoraError::is_refusal) =>
        {
            out.error(&format!("error: {e}"));
            Ok(Outcome::Findings)
        }
        other => other,
    }
}

/// Builds the client: URL check, credentials from the environment only.
fn connect(args: &ZuoraArgs, out: &Shell) -> anyhow::Result<Client> {
    let endpoint = Endpoint {
        base_url: args.url.clone(),
        entity_ids: args.entity_ids.clone().filter(|s| !s.is_empty()),
        org_ids: args.org_ids.clone().filter(|s| !s.is_empty()),
        request_timeout: args.retry.request_timeout,
        connect_timeout: args.retry.connect_timeout,
        retry: RetryPolicy {
            max_attempts: args.retry.max_attempts,
            base_delay: args.retry.retry_delay,
            max_delay: Duration::from_secs(60),
            max_elapsed: args.retry.max_retry_time,
        },
        log: out.log(),
    };
    let client = match Client::from_env(endpoint, ENV_CLIENT_ID, ENV_CLIENT_SECRET) {
        Ok(c) => c,
        Err(FromEnvError::NoCredentials { .. }) => bail!(
            "no Zuora credentials: set {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} to the tenant's OAuth client (credentials are read only from the environment)"
        ),
        Err(FromEnvError::Zuora(e)) => return Err(e.into()),
    };
    out.detail(&format!(
        "Zuora {} (Zuora-Track-Id: {})",
        client.base_url(),
        client.track_id()
    ));
    Ok(client)
}
