//! The library reports progress instead of printing: the events of a run wait and of the
//! client's request log, through `meterctl::progress`, with the sandbox on 127.0.0.1:0.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use meterctl::progress::{Event, Progress, Sink};
use meterctl::sandbox::{Server, ServerConfig};
use meterctl::zuora::runs::{self, Polling};
use meterctl::zuora::types::RunRequest;
use meterctl::zuora::{Client, Endpoint, FromEnvError, RetryPolicy};
use serde_json::json;

/// Every event, as text.
#[derive(Clone, Default)]
struct Record(Arc<Mutex<Vec<String>>>);

impl Progress for Record {
    fn event(&self, e: Event<'_>) {
        self.0.lock().unwrap().push(format!("{e:?}"));
    }
}

impl Record {
    fn events(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

fn endpoint(server: &Server, log: Option<Sink>) -> Endpoint {
    Endpoint {
        base_url: server.base_url().to_string(),
        entity_ids: None,
        org_ids: None,
        request_timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(2),
        retry: RetryPolicy::default(),
        log,
    }
}

fn definition() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "name": "Waited", "type": "CUSTOM", "latestVersion": "0.0.1",
        "versions": [{"version": "0.0.1", "tasks": [
            {"id": "src", "name": "Upload File", "nodeType": "SOURCE", "operatorType": "LOCAL_FILE",
             "metadata": {}, "predecessors": []},
            {"id": "sink", "name": "Empty Sink", "nodeType": "SINK", "operatorType": "NOOP",
             "metadata": {}, "predecessors": [{"id": "src"}]}]}]
    }))
    .unwrap()
}

#[test]
fn a_run_wait_is_a_wait_with_a_line_per_status_and_the_client_logs_through_its_sink() {
    let server = Server::start(ServerConfig {
        run_duration: Duration::from_millis(300),
        ..ServerConfig::default()
    })
    .unwrap();
    // Unique names, so no other test's environment is read.
    let (id_var, secret_var) = ("METERCTL_TEST_PROGRESS_ID", "METERCTL_TEST_PROGRESS_SECRET");
    assert!(matches!(
        Client::from_env(endpoint(&server, None), id_var, secret_var),
        Err(FromEnvError::NoCredentials { .. })
    ));
    // SAFETY: only this test reads these two variables.
    unsafe {
        std::env::set_var(id_var, " sandbox ");
        std::env::set_var(secret_var, "sandbox");
    }
    let log = Record::default();
    let c = Client::from_env(
        endpoint(&server, Some(Sink::new(log.clone()))),
        id_var,
        secret_var,
    )
    .unwrap();
    c.import("m.json", &definition(), Some("g-wait")).unwrap();
    assert!(
        log.events().iter().any(|e| e.starts_with("Detail(")),
        "{:?}",
        log.events()
    );

    let key = RunRequest {
        unique_key: "k-wait".into(),
        ..Default::default()
    };
    runs::start(&c, "101", "0.0.1", &key).unwrap();
    let status = c.run_status("101", "0.0.1").unwrap();
    let seen = Record::default();
    let poll = Polling {
        meter_id: "101",
        version: "0.0.1",
        timeout: Duration::from_secs(20),
        interval: Duration::from_millis(20),
    };
    let end = runs::wait_for_run(&c, poll, status, None, &seen).unwrap();
    assert_eq!(end.description(), "COMPLETED");
    let events = seen.events();
    assert!(
        events[0].starts_with("Started {") && events[0].contains("total: None"),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| e.starts_with("Item(\"status: ")),
        "{events:?}"
    );
    assert_eq!(events.last().map(String::as_str), Some("Finished"));
}
