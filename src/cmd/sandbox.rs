//! `meterctl sandbox serve`: start the local Zuora Mediation server and serve until interrupted.

use std::time::Duration;

use anyhow::Context;

use super::{Outcome, Shell};
use crate::cli::{SandboxCommand, SandboxServeArgs};
use meterctl::sandbox::{Server, ServerConfig};

pub(super) fn run(command: SandboxCommand, out: Shell) -> anyhow::Result<Outcome> {
    match command {
        SandboxCommand::Serve(args) => serve(args, out),
    }
}

fn serve(args: SandboxServeArgs, out: Shell) -> anyhow::Result<Outcome> {
    let lookups = match &args.lookups {
        Some(path) => super::simulate::lookup_tables(path)?,
        None => Default::default(),
    };
    let config = ServerConfig {
        addr: args.addr.clone(),
        state_dir: args.state.clone(),
        tenants: args.tenant.clone(),
        token_lifetime: args.token_lifetime,
        run_duration: args.run_duration,
        stop_delay: args.stop_delay,
        fail_rate: args.fail_rate,
        seed: args.seed,
        latency: Duration::from_millis(args.latency_ms),
        slow_run: Duration::from_millis(args.slow_run_ms),
        rpm: args.rpm,
        lookups,
        log: out.log(),
        ..ServerConfig::default()
    };
    let tenants = config.effective_tenants();
    let server = Server::start(config)
        .with_context(|| format!("cannot start the sandbox on {}", args.addr))?;
    out.println(server.base_url())?;
    if !out.quiet() {
        let names: Vec<String> = tenants
            .iter()
            .map(|t| format!("{} (client id {})", t.name, t.client_id))
            .collect();
        let state = match &args.state {
            Some(d) => format!("state in {}", meterctl::fsutil::display(d)),
            None => "state in memory".into(),
        };
        out.note(&format!(
            "meterctl sandbox: serving tenant(s) {}; {state}; Ctrl-C stops it",
            names.join(", ")
        ));
        if let Some(host) = server
            .base_url()
            .strip_prefix("http://")
            .and_then(|h| h.rsplit_once(':').map(|(h, _)| h.trim_matches(['[', ']'])))
        {
            if !meterctl::zuora::is_loopback(host) {
                out.note("warning: the sandbox speaks plain HTTP on a non-loopback address; meterctl's client only talks plain HTTP to loopback addresses");
            }
        }
    }
    server.wait();
    Ok(Outcome::Clean)
}
