//! The sandbox's tenants and everything they hold: meters (the stored definitions, exactly as
//! imported), uploaded files, runs, and access tokens. One mutex guards it all (see `server`), so
//! concurrent requests never lose an update.
//!
//! With a state folder every change is written through at once: `DIR/<tenant>/meters/<id>.json`
//! (one file per meter, the stored definition), `DIR/<tenant>/files/<id>` (uploaded bytes) and
//! `DIR/<tenant>/state.json` (ids, run history, file metadata). Tokens are never persisted: a
//! restarted sandbox answers 401 to old tokens and clients fetch new ones, as with Zuora.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock::now_ms;
use crate::fsutil::write_atomic;
use crate::model::{graph, keys};
use crate::simulate::{Context, Engine, OperatorCount, SimError};

/// One tenant's credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct TenantSpec {
    /// Tenant name (also its state folder name).
    pub name: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
}

impl std::fmt::Debug for TenantSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantSpec")
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .finish()
    }
}

/// A stored meter.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeterRecord {
    /// Numeric meter id.
    pub id: u64,
    /// Portable identity.
    pub global_id: String,
    /// Creation time (epoch ms).
    pub created_at: i64,
    /// Last import (epoch ms).
    pub updated_at: i64,
    /// How many times it was imported (the run answer's `revision`).
    #[serde(default = "one")]
    pub revision: u64,
    /// The definition as imported; written to its own file, not into `state.json`.
    #[serde(skip)]
    pub definition: Value,
}

/// Counts for one operator of one run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskCount {
    /// The task (operator) id.
    pub processor_id: String,
    /// Records it received (0 in runs recorded before the sandbox simulated pipelines).
    #[serde(default)]
    pub input: u64,
    /// Records it output.
    pub output: u64,
    /// Records it rejected.
    pub errors: u64,
    /// Error code of the rejected records.
    pub error_code: Option<String>,
    /// The first messages of the rejected records (at most ten; the simulator's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
    /// Whether it is a source (no predecessors): a summary that is not per operator counts the
    /// records the sources passed on, so branching pipelines are not counted twice.
    pub source: bool,
}

fn one() -> u64 {
    1
}

/// One run (NORMAL) or test session (DEBUG).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    /// The session's number (the session object's `id`, as a string there).
    #[serde(default)]
    pub number: u64,
    /// `R-00000001`.
    pub session_id: String,
    /// 32 hex characters.
    #[serde(default)]
    pub job_id: String,
    /// Meter id.
    pub meter_id: u64,
    /// Meter version.
    pub version: String,
    /// The meter's revision when the run started.
    #[serde(default = "one")]
    pub revision: u64,
    /// `NORMAL` or `DEBUG`.
    pub run_type: String,
    /// The client's idempotency key.
    pub unique_key: Option<String>,
    /// Start (epoch ms).
    pub started_at: i64,
    /// How long it takes to finish (ms).
    pub duration_ms: u64,
    /// The status it ends in.
    pub final_status: String,
    /// Per-operator counts.
    pub counts: Vec<TaskCount>,
    /// A streaming meter (Streaming API or Kafka source, incremental S3): it runs until stopped,
    /// and a stop that is not forced is graceful (STOPPING, then PAUSED).
    #[serde(default)]
    pub streaming: bool,
    /// How it was stopped, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<StopRecord>,
    /// Why the pipeline could not be simulated (the engine's message), when it could not: the
    /// counts are then the sources' only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_simulated: Option<String>,
}

/// A stop of a run.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopRecord {
    /// When it was asked for (epoch ms).
    pub at: i64,
    /// Graceful (STOPPING, then PAUSED after `delay_ms`); otherwise canceled at once.
    pub graceful: bool,
    /// How long a graceful stop takes (ms).
    pub delay_ms: u64,
}

impl RunRecord {
    /// The run's status description at `now` (epoch ms): INITIALIZING for the first quarter of
    /// its duration, RUNNING until it ends (a streaming run until it is stopped), then its final
    /// status; CANCELED once stopped by force, STOPPING then PAUSED once stopped gracefully.
    pub fn status_at(&self, now: i64) -> &str {
        if self.run_type == "DEBUG" {
            return &self.final_status;
        }
        if let Some(stop) = &self.stop {
            return if !stop.graceful {
                "CANCELED"
            } else if now < stop.at + stop.delay_ms as i64 {
                "STOPPING"
            } else {
                "PAUSED"
            };
        }
        let elapsed = now.saturating_sub(self.started_at).max(0) as u64;
        if elapsed * 4 < self.duration_ms {
            "INITIALIZING"
        } else if self.streaming || elapsed < self.duration_ms {
            "RUNNING"
        } else {
            &self.final_status
        }
    }

    /// End time, once finished (never, for a streaming run nobody stopped).
    pub fn ended_at(&self, now: i64) -> Option<i64> {
        if self.run_type == "DEBUG" {
            return Some(self.started_at);
        }
        let end = match &self.stop {
            Some(s) if !s.graceful => s.at,
            Some(s) => s.at + s.delay_ms as i64,
            None if self.streaming => return None,
            None => self.started_at + self.duration_ms as i64,
        };
        (now >= end).then_some(end)
    }

    /// Whether a graceful stop is under way at `now`.
    pub fn stopping(&self, now: i64) -> bool {
        self.status_at(now) == "STOPPING"
    }

    /// Whether it is a NORMAL run that has not ended at `now`.
    pub fn running(&self, now: i64) -> bool {
        self.run_type == "NORMAL" && self.ended_at(now).is_none()
    }
}

/// An uploaded file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileRecord {
    /// Numeric id.
    pub id: u64,
    /// Name as uploaded.
    pub name: String,
    /// `CSV`, `JSON` or `EXCEL`.
    pub format: String,
    /// The upload's `hasHeader`.
    pub has_header: bool,
    /// Line count.
    pub lines: u64,
    /// Upload time (epoch ms).
    pub created_at: i64,
    /// The bytes (shared, so a run reads them without the state lock); written to their own
    /// file, not into `state.json`.
    #[serde(skip)]
    pub content: std::sync::Arc<Vec<u8>>,
}

/// What a tenant holds that survives a restart.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantData {
    /// Next meter id.
    pub next_meter_id: u64,
    /// Next session number.
    pub next_session: u64,
    /// Next file id.
    pub next_file_id: u64,
    /// Meters by id.
    pub meters: BTreeMap<u64, MeterRecord>,
    /// Every run and test session, oldest first.
    pub runs: Vec<RunRecord>,
    /// Uploaded files by id.
    pub files: BTreeMap<u64, FileRecord>,
}

impl Default for TenantData {
    fn default() -> Self {
        TenantData {
            next_meter_id: 101,
            next_session: 1,
            next_file_id: 1,
            meters: BTreeMap::new(),
            runs: Vec::new(),
            files: BTreeMap::new(),
        }
    }
}

/// One tenant.
#[derive(Debug)]
pub struct Tenant {
    /// Credentials.
    pub spec: TenantSpec,
    /// Its data.
    pub data: TenantData,
    /// Request times within the last minute (for `--rpm`).
    pub recent: std::collections::VecDeque<Instant>,
}

impl Tenant {
    /// The meter with this id (as the path gives it).
    pub fn meter(&self, id: &str) -> Option<&MeterRecord> {
        id.parse()
            .ok()
            .and_then(|id: u64| self.data.meters.get(&id))
    }

    /// Meters whose runs have not finished at `now`.
    pub fn running_meters(&self, now: i64) -> Vec<u64> {
        let mut ids: Vec<u64> = self
            .data
            .runs
            .iter()
            .filter(|r| r.running(now))
            .map(|r| r.meter_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// An issued access token.
#[derive(Debug, Clone)]
pub struct Token {
    /// Tenant name.
    pub tenant: String,
    /// When it stops working.
    pub expires: Instant,
}

/// All tenants, and the tokens issued to them.
#[derive(Debug)]
pub struct State {
    /// Tenants by name.
    pub tenants: BTreeMap<String, Tenant>,
    /// Tokens by value.
    pub tokens: HashMap<String, Token>,
    /// Where to persist, if anywhere.
    pub dir: Option<PathBuf>,
}

impl State {
    /// Creates the tenants, loading what a state folder holds for them.
    pub fn open(specs: &[TenantSpec], dir: Option<&Path>) -> std::io::Result<State> {
        for (i, a) in specs.iter().enumerate() {
            if let Some(b) = specs[..i]
                .iter()
                .find(|b| b.name == a.name || b.client_id == a.client_id)
            {
                let what = if b.name == a.name {
                    format!("tenant name {:?}", a.name)
                } else {
                    format!("client id {:?}", a.client_id)
                };
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("two tenants share the {what}: each tenant needs its own name and OAuth client"),
                ));
            }
        }
        let mut tenants = BTreeMap::new();
        for spec in specs {
            let data = match dir {
                Some(dir) => load_tenant(&dir.join(&spec.name))?,
                None => TenantData::default(),
            };
            tenants.insert(
                spec.name.clone(),
                Tenant {
                    spec: spec.clone(),
                    data,
                    recent: Default::default(),
                },
            );
        }
        Ok(State {
            tenants,
            tokens: HashMap::new(),
            dir: dir.map(Path::to_path_buf),
        })
    }

    /// The tenant whose client credentials these are.
    pub fn tenant_by_client(&self, id: &str, secret: &str) -> Option<&str> {
        self.tenants
            .values()
            .find(|t| t.spec.client_id == id && t.spec.client_secret == secret)
            .map(|t| t.spec.name.as_str())
    }

    /// The tenant a bearer token belongs to, if it is valid now.
    pub fn tenant_by_token(&mut self, token: &str) -> Option<String> {
        let now = Instant::now();
        self.tokens.retain(|_, t| t.expires > now);
        self.tokens.get(token).map(|t| t.tenant.clone())
    }

    /// Issues a token valid for `lifetime`.
    pub fn issue_token(&mut self, tenant: &str, value: String, lifetime: Duration) {
        self.tokens.insert(
            value,
            Token {
                tenant: tenant.to_string(),
                expires: Instant::now() + lifetime,
            },
        );
    }

    /// Persists a tenant's index (and, when given, one meter's definition and one file's bytes).
    pub fn persist(
        &self,
        tenant: &str,
        meter: Option<u64>,
        file: Option<u64>,
    ) -> std::io::Result<()> {
        let (Some(dir), Some(t)) = (&self.dir, self.tenants.get(tenant)) else {
            return Ok(());
        };
        let dir = dir.join(tenant);
        if let Some(id) = meter {
            let m = &t.data.meters[&id];
            std::fs::create_dir_all(dir.join("meters"))?;
            let mut text = serde_json::to_string_pretty(&m.definition)?;
            text.push('\n');
            write_atomic(
                &dir.join("meters").join(format!("{id}.json")),
                text.as_bytes(),
            )?;
        }
        if let Some(id) = file {
            std::fs::create_dir_all(dir.join("files"))?;
            write_atomic(
                &dir.join("files").join(id.to_string()),
                &t.data.files[&id].content,
            )?;
        }
        std::fs::create_dir_all(&dir)?;
        let mut text = serde_json::to_string_pretty(&t.data)?;
        text.push('\n');
        write_atomic(&dir.join("state.json"), text.as_bytes())
    }
}

fn load_tenant(dir: &Path) -> std::io::Result<TenantData> {
    let index = dir.join("state.json");
    let mut data: TenantData = match std::fs::read(&index) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {e}", index.display()),
            )
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => TenantData::default(),
        Err(e) => return Err(e),
    };
    for (id, m) in data.meters.iter_mut() {
        let path = dir.join("meters").join(format!("{id}.json"));
        let bytes = std::fs::read(&path)?;
        m.definition = serde_json::from_slice(&bytes).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        })?;
    }
    for (id, f) in data.files.iter_mut() {
        f.content = std::sync::Arc::new(std::fs::read(dir.join("files").join(id.to_string()))?);
    }
    Ok(data)
}

/// The event definition a version reads: the one its first source task names (`schemaId` or
/// `schemaName`, by name, an `(N)` suffix ignored), else the first of `schemas[]`.
pub fn event_schema<'a>(definition: &'a Value, version: &str) -> Option<&'a Value> {
    graph::event_schema(definition, graph::version(definition, version))
}

fn version_tasks<'a>(definition: &'a Value, version: &str) -> &'a [Value] {
    graph::version(definition, version).map_or(&[], graph::tasks)
}

/// Whether a record passes an event definition, in either of Zuora's dialects: every
/// `required` and `eventIdFields` field present (not absent, `null` or the empty string an empty
/// CSV cell gives), and every present value of a declared type readable as that type. Values
/// from a CSV file are strings, so `"42"` is an integer. `datetime` (Zuora's own type) takes a
/// string or an epoch number; its `timeFormat` is not applied to the value (permissive: Zuora
/// does not document how it reports a mismatch). Unknown types accept anything.
pub fn record_passes(schema: &Value, record: &Value) -> bool {
    let Some(o) = record.as_object() else {
        return false;
    };
    let blank = |v: Option<&Value>| v.is_none_or(|v| v.is_null() || v == "");
    let names = |k: &str| -> Vec<&str> {
        schema[k]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    };
    if names("required")
        .iter()
        .chain(names("eventIdFields").iter())
        .any(|f| blank(o.get(*f)))
    {
        return false;
    }
    let Some(props) = schema["properties"].as_object() else {
        return true;
    };
    o.iter().all(|(k, v)| {
        let Some(ty) = props.get(k).and_then(|p| p["type"].as_str()) else {
            return true;
        };
        if blank(Some(v)) {
            return true;
        }
        let text = v.as_str().map(str::trim);
        match ty {
            "integer" => v.is_i64() || v.is_u64() || text.is_some_and(|t| t.parse::<i64>().is_ok()),
            "number" => v.is_number() || text.is_some_and(|t| t.parse::<f64>().is_ok()),
            "boolean" => {
                v.is_boolean() || matches!(text, Some("true" | "false" | "TRUE" | "FALSE"))
            }
            "string" => !v.is_object() && !v.is_array(),
            "datetime" => v.is_string() || v.is_number(),
            "object" => v.is_object(),
            "array" => v.is_array(),
            _ => true,
        }
    })
}

/// Error code of records a source rejects because they fail its event definition (Zuora's
/// `70000000 STREAM_API_VALIDATION`).
pub const SOURCE_ERROR: &str = "70000000";
/// Error code of records the ZUORA_USAGE sink rejects (Zuora's `1000002
/// BILLING_USAGE_INVALID_FIELDS`).
pub const USAGE_ERROR: &str = "1000002";
/// Error code of records any other operator rejects (a sandbox pick: Zuora documents none).
pub const OPERATOR_ERROR: &str = "70002196";

/// What a run or a test computed from its events.
#[derive(Debug, Clone)]
pub struct Processed {
    /// Per-operator counts, in task order (none for a version without tasks; the sources' only
    /// when the pipeline could not be simulated).
    pub counts: Vec<TaskCount>,
    /// Records read, over every input file.
    pub events: u64,
    /// Records that passed the event definition (see [`record_passes`]).
    pub good: u64,
    /// Why the pipeline could not be simulated (the engine's message), when it could not.
    pub not_simulated: Option<String>,
}

/// Runs the events through a meter version, one batch per input file (an uploaded file, a
/// source option's `testData`). Each batch is typed by the version's event definition
/// ([`graph::event_schema`], as `meterctl simulate` types it); records that fail it (see
/// [`record_passes`]) are errors at every source (code [`SOURCE_ERROR`]), as Zuora's validation
/// rejects them. The rest go through [`Engine`] (one `push` and one `end_file` per batch), so
/// every operator is counted as the simulator counts it: events in, records out, records
/// rejected. A version the engine cannot simulate (a lookup, a script, an operator not simulated
/// yet) is counted at its sources only, never guessed downstream, and [`Processed::not_simulated`]
/// says why.
pub fn process_batches(
    definition: &Value,
    version: &str,
    mut batches: Vec<Vec<Value>>,
    ctx: &Context,
) -> Processed {
    let schema = event_schema(definition, version)
        .cloned()
        .unwrap_or(Value::Null);
    let events = batches.iter().map(Vec::len).sum::<usize>() as u64;
    let mut bad = 0u64;
    for batch in &mut batches {
        crate::events::coerce_to_schema(batch, &schema);
        let before = batch.len();
        batch.retain(|e| record_passes(&schema, e));
        bad += (before - batch.len()) as u64;
    }
    let good = events - bad;
    let tasks = version_tasks(definition, version);
    if tasks.is_empty() {
        return Processed {
            counts: Vec::new(),
            events,
            good,
            not_simulated: Some(format!(
                "version {version} has no tasks (a predefined meter's pipeline is Zuora's), so nothing was simulated"
            )),
        };
    }
    let source_count = |t: &Value| {
        TaskCount {
        processor_id: graph::task_id(t).unwrap_or_default().to_string(),
        input: events,
        output: good,
        errors: bad,
        error_code: (bad > 0).then(|| SOURCE_ERROR.to_string()),
        messages: (bad > 0)
            .then(|| format!("{bad} records fail the event definition (a required or eventIdFields field missing, or a value not of its declared type)"))
            .into_iter()
            .collect(),
        source: true,
    }
    };
    let simulated = graph::version(definition, version)
        .ok_or_else(|| format!("the meter has no version {version}"))
        .and_then(|v| simulate(v, batches, ctx).map_err(|e| e.to_string()));
    match simulated {
        Ok(operators) => {
            let counts = tasks
                .iter()
                .zip(operators)
                .map(|(t, c)| {
                    if graph::is_source(t) {
                        let mut s = source_count(t);
                        s.output = c.output;
                        s.errors += c.errors;
                        s.error_code = (s.errors > 0).then(|| SOURCE_ERROR.to_string());
                        s.messages.extend(c.messages);
                        return s;
                    }
                    let code = if c.operator == "ZUORA_USAGE" {
                        USAGE_ERROR
                    } else {
                        OPERATOR_ERROR
                    };
                    TaskCount {
                        processor_id: c.task,
                        input: c.input,
                        output: c.output,
                        errors: c.errors,
                        error_code: (c.errors > 0).then(|| code.to_string()),
                        messages: c.messages,
                        source: false,
                    }
                })
                .collect();
            Processed {
                counts,
                events,
                good,
                not_simulated: None,
            }
        }
        Err(message) => Processed {
            counts: tasks
                .iter()
                .filter(|t| graph::is_source(t))
                .map(source_count)
                .collect(),
            events,
            good,
            not_simulated: Some(message),
        },
    }
}

/// The engine over the batches: the per-operator counts, in task order. What the sinks receive
/// is dropped as it arrives (a run's summary needs only the counts).
fn simulate(
    version: &Value,
    batches: Vec<Vec<Value>>,
    ctx: &Context,
) -> Result<Vec<OperatorCount>, SimError> {
    let mut engine = Engine::new(version, ctx)?;
    for batch in batches {
        engine.push(batch)?;
        engine.end_file()?;
        engine.drain_sinks();
    }
    Ok(engine.finish()?.operators)
}

/// Whether a meter version streams (it runs until stopped): a predefined meter fed by the
/// Streaming API, or a version with a Streaming API (`ZUORA_BULK_API`) or Kafka source, or an
/// S3 source with `incremental: true`.
pub fn is_streaming(definition: &Value, version: &str) -> bool {
    definition["typeDefinition"]["sourceType"] == "ZUORA_BULK_API"
        || version_tasks(definition, version).iter().any(|t| {
            graph::is_source(t)
                && match graph::operator_type(t) {
                    Some("ZUORA_BULK_API" | "KAFKA") => true,
                    Some("S3") => t[keys::METADATA]["incremental"] == true,
                    _ => false,
                }
        })
}

/// The current time, for records.
pub fn now() -> i64 {
    now_ms()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::keys::PREDECESSORS;
    use serde_json::json;

    #[test]
    fn run_progresses_and_counts_split_by_operator() {
        let mut r = RunRecord {
            number: 1,
            session_id: "R-00000001".into(),
            job_id: "0".repeat(32),
            meter_id: 1,
            version: "0.0.1".into(),
            revision: 1,
            run_type: "NORMAL".into(),
            unique_key: None,
            started_at: 1000,
            duration_ms: 2000,
            final_status: "COMPLETED".into(),
            counts: vec![],
            streaming: false,
            stop: None,
            not_simulated: None,
        };
        assert_eq!(r.status_at(1100), "INITIALIZING");
        assert_eq!(r.status_at(2000), "RUNNING");
        assert_eq!(r.status_at(3000), "COMPLETED");
        assert!(r.running(2000) && !r.running(3000));
        // A streaming run never ends by itself; a graceful stop pauses it after a delay.
        r.streaming = true;
        assert_eq!(r.status_at(100_000), "RUNNING");
        assert!(r.running(100_000));
        r.stop = Some(StopRecord {
            at: 5000,
            graceful: true,
            delay_ms: 500,
        });
        assert!(r.stopping(5100) && r.running(5100));
        assert_eq!(r.status_at(5600), "PAUSED");
        assert!(!r.running(5600));
        r.stop = Some(StopRecord {
            at: 5000,
            graceful: false,
            delay_ms: 0,
        });
        assert_eq!(
            (r.status_at(5000), r.ended_at(5000)),
            ("CANCELED", Some(5000))
        );
    }

    /// SOURCE → FILTER (q ≥ 2) → ZUORA_USAGE (quantity from q, uom required), and a NOOP branch.
    fn pipeline(usage_meta: Value) -> Value {
        json!({"schemas": [{"name": "ev", "schema": {"required": ["q"], "properties": {"q": {"type": "integer"}}}}],
            "versions": [{"version": "0.0.1", "tasks": [
            {"id": "s", "nodeType": "SOURCE", "operatorType": "LOCAL_FILE", "metadata": {"schemaId": "ev"}, PREDECESSORS: []},
            {"id": "f", "nodeType": "PROCESSOR", "operatorType": "FILTER",
             "metadata": {"rules": [{"sourceField": "q", "operator": "gte", "value": "2"}]}, PREDECESSORS: [{"id": "s"}]},
            {"id": "u", "nodeType": "SINK", "operatorType": "ZUORA_USAGE", "metadata": usage_meta, PREDECESSORS: [{"id": "f"}]},
            {"id": "n", "nodeType": "SINK", "operatorType": "NOOP", PREDECESSORS: [{"id": "s"}]}]}]})
    }

    fn triples(p: &Processed) -> Vec<(&str, u64, u64, u64)> {
        p.counts
            .iter()
            .map(|c| (c.processor_id.as_str(), c.input, c.output, c.errors))
            .collect()
    }

    #[test]
    fn every_operator_is_counted_by_the_engine_and_bad_records_stop_at_the_source() {
        let def = pipeline(json!({"fieldMappings": [
            {"name": "quantity", "field": "q", "required": true},
            {"name": "uom", "field": "unit", "required": true}]}));
        // Two files: CSV-like strings are typed by the event definition ("3" is 3 for the
        // filter); a record without q and one whose q is not an integer fail at the source.
        let batches = vec![
            vec![
                json!({"q": "3", "unit": "Call"}),
                json!({"x": 1}),
                json!({"q": 1}),
            ],
            vec![json!({"q": "two"}), json!({"q": 5}), json!(7)],
        ];
        let p = process_batches(&def, "0.0.1", batches, &Context::default());
        assert_eq!((p.events, p.good, p.not_simulated.as_deref()), (6, 3, None));
        assert_eq!(
            triples(&p),
            [
                ("s", 6, 3, 3),
                ("f", 3, 2, 0),
                ("u", 2, 1, 1),
                ("n", 3, 0, 0)
            ]
        );
        let by_id = |id: &str| p.counts.iter().find(|c| c.processor_id == id).unwrap();
        assert_eq!(by_id("s").error_code.as_deref(), Some(SOURCE_ERROR));
        assert_eq!(by_id("u").error_code.as_deref(), Some(USAGE_ERROR));
        assert!(by_id("u").messages[0].contains("uom"), "{:?}", by_id("u"));
        assert!(by_id("s").source && !by_id("f").source);
    }

    #[test]
    fn a_pipeline_the_engine_cannot_run_is_counted_at_its_sources_only() {
        let mut def = pipeline(json!({"fieldMappings": []}));
        def["versions"][0]["tasks"][1]["operatorType"] = json!("CORRELATOR");
        let p = process_batches(
            &def,
            "0.0.1",
            vec![vec![json!({"q": 1}), json!({})]],
            &Context::default(),
        );
        assert_eq!(triples(&p), [("s", 2, 1, 1)]);
        assert!(
            p.not_simulated.as_deref().unwrap().contains("CORRELATOR"),
            "{:?}",
            p.not_simulated
        );
        // A predefined meter's version without tasks: no counts, and said so.
        let predefined = json!({"versions": [{"version": "0.0.1"}]});
        let p = process_batches(
            &predefined,
            "0.0.1",
            vec![vec![json!({"q": 1})]],
            &Context::default(),
        );
        assert!(p.counts.is_empty() && p.good == 1);
        assert!(p.not_simulated.unwrap().contains("no tasks"));
    }

    #[test]
    fn zuoras_event_dialect_is_understood() {
        let schema = json!({"type": "object", "eventIdFields": ["id"], "required": ["at"], "properties": {
            "id": {"type": "string", "order": 0},
            "at": {"type": "datetime", "order": 1, "eventTime": true, "timeFormat": "yyyy-MM-dd"},
            "n": {"type": "integer"}, "x": {"type": "number"}, "b": {"type": "boolean"}}});
        assert!(record_passes(
            &schema,
            &json!({"id": "1", "at": "2026-01-01", "n": "3", "x": "1.5", "b": "true"})
        ));
        assert!(record_passes(
            &schema,
            &json!({"id": "1", "at": 1767225600000_i64, "n": 3})
        ));
        assert!(
            !record_passes(&schema, &json!({"at": "2026-01-01"})),
            "eventIdFields are needed"
        );
        assert!(!record_passes(&schema, &json!({"id": "1", "at": ""})));
        assert!(!record_passes(
            &schema,
            &json!({"id": "1", "at": "2026-01-01", "n": "three"})
        ));
        assert!(!record_passes(&schema, &json!({"id": "1", "at": {"d": 1}})));
        // The source names its event definition; an (N) suffix does not matter.
        let def = json!({"schemas": [{"name": "other", "schema": {"required": ["z"]}}, {"name": "ev(3)", "schema": schema}],
            "versions": [{"version": "0.0.1", "tasks": [{"id": "s", "nodeType": "SOURCE", "operatorType": "ZUORA_BULK_API",
            "metadata": {"schemaId": "ev"}}]}]});
        assert_eq!(
            event_schema(&def, "0.0.1").unwrap()["eventIdFields"][0],
            "id"
        );
        assert!(is_streaming(&def, "0.0.1"));
        assert!(!is_streaming(&json!({"typeDefinition": null}), "0.0.1"));
    }

    #[test]
    fn state_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let spec = TenantSpec {
            name: "t".into(),
            client_id: "c".into(),
            client_secret: "s".into(),
        };
        let mut st = State::open(std::slice::from_ref(&spec), Some(dir.path())).unwrap();
        let t = st.tenants.get_mut("t").unwrap();
        t.data.meters.insert(
            101,
            MeterRecord {
                id: 101,
                global_id: "g".into(),
                created_at: 1,
                updated_at: 2,
                revision: 1,
                definition: json!({"name": "M"}),
            },
        );
        st.persist("t", Some(101), None).unwrap();
        assert!(dir.path().join("t/meters/101.json").is_file());
        let st2 = State::open(std::slice::from_ref(&spec), Some(dir.path())).unwrap();
        let e = State::open(&[spec.clone(), spec], None).unwrap_err();
        assert!(e.to_string().contains("tenant name \"t\""), "{e}");
        assert_eq!(st2.tenants["t"].data.meters[&101].definition["name"], "M");
    }
}
