//! Running meters: what `meterctl meter run|test|stop|status` decide before and after their call.
//!
//! Which version to use ([`resolve_version`]), which SOURCE task to feed ([`source_processor`]),
//! the run request for an uploaded file or a date window ([`run_request`]), starting a run with
//! the advice to repeat its `uniqueKey` on an unclear failure ([`start`]), and the two waits:
//! until a run ends ([`wait_for_run`]) and until a stop took effect ([`wait_for_stop`]). Waits
//! report through [`Progress`]: a wait of unknown length, and one line per new status.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::model::{graph, keys};
use serde_json::{json, Value};

use super::types::{EventStoreSourceOption, RunRequest, RunStarted, RunStatus, Upload};
use super::{Client, ZuoraError};
use crate::fsutil::display;
use crate::progress::{Event, Progress};

/// Why a run could not be prepared, started or waited for. Zuora's own answers stay
/// [`ZuoraError`]s (in [`RunError::Zuora`]), so a refusal still exits 1.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Zuora answered with an error, or could not be reached.
    #[error(transparent)]
    Zuora(#[from] ZuoraError),
    /// The only SOURCE task has no `id`.
    #[error("the meter's SOURCE task has no id; pass --processor-id")]
    SourceWithoutId,
    /// The version has no SOURCE task.
    #[error("the meter version {version} has no SOURCE task to feed; pass --processor-id")]
    NoSource {
        /// The meter version.
        version: String,
    },
    /// The version has several SOURCE tasks.
    #[error("the meter version {version} has {count} SOURCE tasks ({listed}); choose one with --processor-id")]
    ManySources {
        /// The meter version.
        version: String,
        /// How many.
        count: usize,
        /// `id "name", ...`.
        listed: String,
    },
    /// A file cannot be read.
    #[error("cannot read {path}")]
    Read {
        /// The file, as shown.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A runtime-configs file is not JSON.
    #[error("{path}: invalid JSON")]
    InvalidJson {
        /// The file, as shown.
        path: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A runtime-configs file holds JSON that is not an array.
    #[error("{path}: expected a JSON array of runtimeSourceConfigs items")]
    NotAnArray {
        /// The file, as shown.
        path: String,
    },
    /// An uploaded file's id that is not an integer.
    #[error("file id {id:?} is not a number (Zuora's file ids are integers)")]
    FileId {
        /// The id as given.
        id: String,
        /// Why.
        #[source]
        source: std::num::ParseIntError,
    },
    /// A run request failed in a way that does not say whether the run started.
    #[error("meter {meter_id} version {version}: the run may or may not have started; run the same command with --unique-key {unique_key} to find out without starting a second run")]
    MaybeStarted {
        /// The meter.
        meter_id: String,
        /// Its version.
        version: String,
        /// The request's `uniqueKey`, to repeat.
        unique_key: String,
        /// Zuora's error.
        #[source]
        source: ZuoraError,
    },
    /// A run did not end in time.
    #[error("gave up waiting after {waited}: meter {meter_id} is still {status}; the run goes on in Zuora, check it with `meterctl meter status {meter_id} {version}`")]
    RunTimeout {
        /// The wait, formatted.
        waited: String,
        /// The meter.
        meter_id: String,
        /// Its version.
        version: String,
        /// The last status's description.
        status: String,
    },
    /// A stop did not take effect in time.
    #[error("gave up waiting after {waited}: meter {meter_id} version {version} is still {status}; the stop goes on in Zuora, check it with `meterctl meter status {meter_id} {version}`")]
    StopTimeout {
        /// The wait, formatted.
        waited: String,
        /// The meter.
        meter_id: String,
        /// Its version.
        version: String,
        /// The last status's label.
        status: String,
    },
}

impl RunError {
    /// Zuora's error when this is one as Zuora gave it (so a caller can ask
    /// [`ZuoraError::is_refusal`]).
    pub fn zuora(&self) -> Option<&ZuoraError> {
        match self {
            RunError::Zuora(e) => Some(e),
            _ => None,
        }
    }
}

/// A JSON scalar as text (`?` when absent).
pub fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "?".into(),
        other => other.to_string(),
    }
}

/// The version to use: given, else the meter's latestVersion, else 0.0.1; with the exported
/// definition when it was fetched.
pub fn resolve_version(
    client: &Client,
    meter_id: &str,
    given: Option<&str>,
    need_definition: bool,
) -> Result<(String, Option<Value>), ZuoraError> {
    if let (Some(v), false) = (given, need_definition) {
        return Ok((v.to_string(), None));
    }
    let def = client.export(meter_id)?;
    let version = given
        .map(str::to_string)
        .or_else(|| def["latestVersion"].as_str().map(str::to_string))
        .unwrap_or_else(|| "0.0.1".into());
    Ok((version, Some(def)))
}

/// The source operator to feed: given, else the version's only SOURCE task.
pub fn source_processor(
    given: Option<&str>,
    definition: Option<&Value>,
    version: &str,
) -> Result<String, RunError> {
    if let Some(p) = given {
        return Ok(p.to_string());
    }
    let tasks = definition
        .and_then(|d| graph::version(d, version))
        .map_or(&[][..], graph::tasks);
    let sources: Vec<&Value> = tasks.iter().filter(|t| graph::is_source(t)).collect();
    match sources.as_slice() {
        [one] => one["id"]
            .as_str()
            .map(str::to_string)
            .ok_or(RunError::SourceWithoutId),
        [] => Err(RunError::NoSource {
            version: version.to_string(),
        }),
        many => Err(RunError::ManySources {
            version: version.to_string(),
            count: many.len(),
            listed: many
                .iter()
                .map(|t| {
                    format!(
                        "{} {:?}",
                        scalar(&t["id"]),
                        t["name"].as_str().unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// The `storeId` of an EVENT_STORE source task, from the exported definition.
fn event_store_id(definition: Option<&Value>, version: &str, processor: &str) -> Option<Value> {
    graph::tasks(graph::version(definition?, version)?)
        .iter()
        .find(|t| {
            graph::task_id(t) == Some(processor) && graph::operator_type(t) == Some("EVENT_STORE")
        })
        .map(|t| t[keys::METADATA]["storeId"].clone())
        .filter(|s| !s.is_null())
}

/// Reads `runtimeSourceConfigs` items from a file holding a JSON array.
pub fn read_runtime_configs(path: &Path) -> Result<Vec<Value>, RunError> {
    let read = |source| RunError::Read {
        path: display(path).into_owned(),
        source,
    };
    let text = std::fs::read_to_string(path).map_err(read)?;
    match serde_json::from_str::<Value>(&text).map_err(|source| RunError::InvalidJson {
        path: display(path).into_owned(),
        source,
    })? {
        Value::Array(items) => Ok(items),
        _ => Err(RunError::NotAnArray {
            path: display(path).into_owned(),
        }),
    }
}

/// A file to upload for a run (a `.csv` has a header line).
pub fn read_upload(path: &Path) -> Result<Upload, RunError> {
    let bytes = std::fs::read(path).map_err(|source| RunError::Read {
        path: display(path).into_owned(),
        source,
    })?;
    let name = path
        .file_name()
        .map_or("upload".into(), |n| n.to_string_lossy().into_owned());
    let has_header = name.to_ascii_lowercase().ends_with(".csv").then_some(true);
    Ok(Upload {
        name,
        bytes,
        has_header,
    })
}

/// `meterctl-<meter>-<time>-<random>`: unique, ≤ 64 characters.
pub fn new_unique_key(meter_id: &str) -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let meter: String = meter_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(20)
        .collect();
    format!("meterctl-{meter}-{ms:x}-{:08x}", fastrand::u32(..))
}

/// What a run feeds its SOURCE task.
#[derive(Debug, Clone, Default)]
pub struct Feed<'a> {
    /// `--processor-id`.
    pub processor_id: Option<&'a str>,
    /// An uploaded file's id.
    pub file_id: Option<String>,
    /// `--start-date` / `--end-date` of an Event Store source, when either is given.
    pub window: Option<(Option<String>, Option<String>)>,
}

/// The run request: `runtime_configs` as given, plus the documented config for an uploaded file
/// or a date window (the legacy `eventStoreSourceOptions` when the store is not known).
pub fn run_request(
    unique_key: &str,
    runtime_configs: Vec<Value>,
    feed: Feed<'_>,
    definition: Option<&Value>,
    version: &str,
) -> Result<RunRequest, RunError> {
    let mut request = RunRequest {
        unique_key: unique_key.to_string(),
        runtime_source_configs: runtime_configs,
        ..Default::default()
    };
    if let Some(id) = feed.file_id {
        let processor = source_processor(feed.processor_id, definition, version)?;
        let file_id: u64 = id.trim().parse().map_err(|source| RunError::FileId {
            id: id.clone(),
            source,
        })?;
        // The documented form (reference dialect §2); `sourceOptions` is the legacy one.
        request.runtime_source_configs.push(json!({
            "sourceType": "LOCAL_FS",
            "processorId": processor,
            "localFs": {"fileId": file_id},
        }));
    }
    if let Some((start_date, end_date)) = feed.window {
        let processor = source_processor(feed.processor_id, definition, version)?;
        match event_store_id(definition, version, &processor) {
            // The documented form needs the store (reference dialect §2).
            Some(store) => {
                let mut conf = serde_json::Map::new();
                conf.insert("storeId".into(), store);
                for (k, v) in [("startDate", &start_date), ("endDate", &end_date)] {
                    if let Some(v) = v {
                        conf.insert(k.into(), json!(v));
                    }
                }
                request.runtime_source_configs.push(json!({
                    "sourceType": "EVENT_STORE",
                    "processorId": processor,
                    "eventStore": conf,
                }));
            }
            // The store is not known here: the legacy form, which needs none.
            None => request
                .event_store_source_options
                .push(EventStoreSourceOption {
                    processor_id: processor,
                    start_date,
                    end_date,
                }),
        }
    }
    Ok(request)
}

/// Starts a run; a failure that is not Zuora's refusal says how to find out whether it started.
pub fn start(
    client: &Client,
    meter_id: &str,
    version: &str,
    request: &RunRequest,
) -> Result<RunStarted, RunError> {
    client.run(meter_id, version, request).map_err(|e| {
        if e.is_refusal() {
            RunError::Zuora(e)
        } else {
            RunError::MaybeStarted {
                meter_id: meter_id.to_string(),
                version: version.to_string(),
                unique_key: request.unique_key.clone(),
                source: e,
            }
        }
    })
}

/// `meter ID version V: STATUS`.
pub fn status_line(meter_id: &str, version: &str, status: &RunStatus) -> String {
    format!("meter {meter_id} version {version}: {}", status.label())
}

/// How long to wait and how often to ask.
#[derive(Debug, Clone, Copy)]
pub struct Polling<'a> {
    /// The meter.
    pub meter_id: &'a str,
    /// Its version.
    pub version: &'a str,
    /// Give up after this long.
    pub timeout: Duration,
    /// Ask this often.
    pub interval: Duration,
}

impl Polling<'_> {
    fn sleep(&self, start: Instant) {
        let left = self.timeout.saturating_sub(start.elapsed());
        std::thread::sleep(self.interval.min(left).max(Duration::from_millis(10)));
    }
}

/// How long a wait takes an unchanged final status for the previous run's, not the new one's.
const STALE_GRACE: Duration = Duration::from_secs(10);

/// Polls runStatus until a terminal status: a wait of unknown length, a line per new status.
pub fn wait_for_run(
    client: &Client,
    poll: Polling<'_>,
    mut status: RunStatus,
    previous: Option<RunStatus>,
    progress: &dyn Progress,
) -> Result<RunStatus, RunError> {
    let start = Instant::now();
    let mut last = String::new();
    // The previous run's final status, until the new run shows up (at most STALE_GRACE).
    let mut previous = previous.map(|p| p.description().to_string());
    progress.event(Event::Started {
        label: status.description(),
        total: None,
    });
    let outcome = loop {
        if previous.as_deref() != Some(status.description()) {
            previous = None;
        }
        let stale = previous.is_some() && start.elapsed() < STALE_GRACE;
        if status.is_terminal() && !stale {
            break Ok(status);
        }
        if start.elapsed() >= poll.timeout {
            break Err(RunError::RunTimeout {
                waited: crate::duration::format(poll.timeout),
                meter_id: poll.meter_id.to_string(),
                version: poll.version.to_string(),
                status: status.description().to_string(),
            });
        }
        let desc = status.description().to_string();
        if desc != last {
            progress.event(Event::Advanced { item: &desc });
            progress.event(Event::Item(&format!("status: {}", status.label())));
        }
        last = desc;
        poll.sleep(start);
        match client.run_status(poll.meter_id, poll.version) {
            Ok(s) => status = s,
            Err(e) => break Err(e.into()),
        }
    };
    progress.event(Event::Finished);
    outcome
}

/// Whether a status means the run is still going (or still stopping): not final, not PAUSED,
/// not NEVER_RUN. Unknown statuses count as still going.
fn still_going(status: &RunStatus) -> bool {
    !status.is_terminal() && !matches!(status.description(), "PAUSED" | "NEVER_RUN")
}

/// After a stop: polls until the run is no longer going (batch runs are canceled at once; a
/// streaming meter goes STOPPING, then PAUSED), a line per new status.
pub fn wait_for_stop(
    client: &Client,
    poll: Polling<'_>,
    progress: &dyn Progress,
) -> Result<RunStatus, RunError> {
    let (id, version) = (poll.meter_id, poll.version);
    let start = Instant::now();
    let mut status = client.run_status(id, version)?;
    let mut last = String::new();
    while still_going(&status) {
        if start.elapsed() >= poll.timeout {
            return Err(RunError::StopTimeout {
                waited: crate::duration::format(poll.timeout),
                meter_id: id.to_string(),
                version: version.to_string(),
                status: status.label(),
            });
        }
        if status.description() != last {
            progress.event(Event::Item(&format!("status: {}", status.label())));
        }
        last = status.description().to_string();
        poll.sleep(start);
        status = client.run_status(id, version)?;
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_and_event_stores_are_found() {
        assert!(new_unique_key("709").len() <= 64);
        let def = json!({"versions": [{"version": "0.0.1", "tasks": [
            {"id": "s", "operatorType": "EVENT_STORE", "metadata": {"storeId": "usage-store"}},
            {"id": "f", "operatorType": "LOCAL_FILE", "metadata": {}}]}]});
        assert_eq!(
            event_store_id(Some(&def), "0.0.1", "s"),
            Some(json!("usage-store"))
        );
        assert_eq!(event_store_id(Some(&def), "0.0.1", "f"), None);
        assert_eq!(event_store_id(None, "0.0.1", "s"), None);
    }
}
