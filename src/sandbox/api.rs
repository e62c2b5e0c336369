//! The Meters endpoints the client uses, with Zuora's paths, status codes, envelopes and error
//! codes (`zuora-meter-dialect.md` §2, `zuora-mediation.md` sections 1, 2, 3.2 and 5). Every
//! handler locks the state once, so a request sees and leaves a consistent tenant; run and debug
//! let go of it while they parse and simulate their events (see [`run`]), then lock it again,
//! check again what a concurrent request may have changed, and record.
//!
//! Answers follow the official OpenAPI document: run answers `{success, data: session,
//! previousPage, nextPage, error}` with an integer `status`; debug answers the bare session with
//! a string `runStatus`; run statuses use Zuora's table (`zuora::types::RUN_STATUSES`). Error
//! envelopes by status: 400 `{success: false, errors: [{code, message}]}`; 401 and 404
//! `{success: false, data: null, error: {code, message}}`, except run, whose 401 is the `errors`
//! shape, and upload, whose 401 is `{message}`; 500 `{reasons: [{code, message}]}` with string
//! codes. Stop (`POST /meters/stop/{meterId}/{version}?forceStop=`) cancels a batch run at once
//! (CANCELED) and stops a streaming one gracefully (STOPPING, then PAUSED after
//! `ServerConfig::stop_delay`); the table has no code for STOPPING, so the sandbox answers it with
//! RUNNING's 5 and the description `STOPPING` (our choice; clients key on the description).
//!
//! Error codes the reference documents are Zuora's (70002005, 70002006, 70002011, 70002103,
//! 70002104, 70002105, 70002106, 70002108, 70002122, 70002217–70002224, 70003043, 70000000).
//! Where it leaves a code open
//! (a duplicate `uniqueKey`, the running-meter limit, a malformed body, an unknown file, an
//! injected fault, a record rejected by an operator other than a source or ZUORA_USAGE: see
//! `state::OPERATOR_ERROR`) the sandbox uses its own picks in 70002190–70002199, so a test never mistakes
//! one for a documented code; clients should key on the message, as they must with Zuora.

use std::collections::BTreeMap;
use std::sync::MutexGuard;
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::http::{parse_form, Request, Response};
use super::state::{
    is_streaming, process_batches, FileRecord, MeterRecord, RunRecord, State, StopRecord,
    TaskCount, Tenant,
};
use super::Shared;
use crate::clock::{format_ms, parse_time};
use crate::model::{graph, keys};
use crate::zuora::types::{run_status_code, run_type_code};

/// Malformed request body (sandbox pick).
pub const BAD_BODY: &str = "70002190";
/// An uploaded file id that does not exist (sandbox pick).
pub const FILE_NOT_EXISTING: &str = "70002191";
/// A sixth running meter (sandbox pick; Zuora's message is documented).
pub const MAX_RUNNING: &str = "70002192";
/// A `uniqueKey` that was used before (sandbox pick).
pub const DUPLICATE_UNIQUE_KEY: &str = "70002193";
/// An injected 500 or 503 (sandbox pick).
pub const INJECTED_FAULT: &str = "70002194";
/// A path the sandbox does not serve (sandbox pick).
pub const UNKNOWN_PATH: &str = "70002195";
/// Stop: the meter version is not running (Zuora's).
pub const NOT_RUNNING: &str = "70002122";
/// Stop: a stop is already in progress (Zuora's).
pub const STOP_IN_PROGRESS: &str = "70003043";

/// How a handler answers: now, or after a delay (the slow run).
pub enum Handled {
    /// Answer at once.
    Now(Response),
    /// Answer after this long (the state lock is released meanwhile).
    After(Response, Duration),
}

/// A Meters error response, in the envelope Zuora uses for that status: 401 and 404
/// `{success: false, data: null, error: {code, message}}`, 500 `{reasons: [{code, message}]}`,
/// anything else `{success: false, errors: [{code, message}]}`.
pub fn error(status: u16, code: &str, message: impl Into<String>) -> Response {
    let one = json!({"code": code, "message": message.into()});
    let body = match status {
        401 | 404 => json!({"success": false, "data": null, "error": one}),
        500 => json!({"reasons": [one]}),
        _ => json!({"success": false, "errors": [one]}),
    };
    Response::json(status, &body)
}

/// The `{success: false, errors: [...]}` shape whatever the status (run's 401).
fn errors_shape(status: u16, code: &str, message: &str) -> Response {
    Response::json(
        status,
        &json!({"success": false, "errors": [{"code": code, "message": message}]}),
    )
}

fn ok(data: Value) -> Response {
    Response::json(200, &json!({"success": true, "data": data}))
}

/// The integer runStatus of a description, from Zuora's table. STOPPING is not in the table:
/// the run is still running, so it answers RUNNING's code (the sandbox's choice).
pub fn status_code(description: &str) -> i64 {
    run_status_code(description).unwrap_or(5)
}

/// Routes a request. A multipart body's parts are taken out of `req` (moved into the state, not
/// copied).
pub fn handle(shared: &Shared, req: &mut Request) -> Handled {
    let (path, method) = (req.path.clone(), req.method.clone());
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let m = method.as_str();
    if segs == ["oauth", "token"] {
        return Handled::Now(if m == "POST" {
            token(shared, req)
        } else {
            method_not_allowed()
        });
    }
    if segs.first() != Some(&"meters") {
        return Handled::Now(error(
            404,
            UNKNOWN_PATH,
            format!("no such endpoint: {} {}", req.method, req.path),
        ));
    }
    let is_files = segs == ["meters", "files"];
    // An import's meter file and an upload are read before the state lock is taken; their
    // errors are still answered after authentication and the rate limit.
    let mut file = (m == "POST" && segs == ["meters", "import"]).then(|| import_file(req));
    let mut uploaded = (m == "POST" && is_files).then(|| upload_file(req));
    let mut state = shared.lock();
    // Authentication.
    let bearer = req
        .header("authorization")
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim);
    let tenant = match bearer.and_then(|t| state.tenant_by_token(t)) {
        Some(t) => t,
        None => {
            let msg = if bearer.is_none() {
                "UNAUTHORIZED: no bearer token; get one from POST /oauth/token"
            } else {
                "UNAUTHORIZED: the access token is invalid or expired"
            };
            return Handled::Now(if is_files {
                Response::json(401, &json!({"message": msg}))
            } else if segs.get(1) == Some(&"run") {
                errors_shape(401, "70002006", msg)
            } else {
                error(401, "70002006", msg)
            });
        }
    };
    // Rate limit.
    let mut rate_headers = Vec::new();
    if let Some(rpm) = shared.config.rpm {
        let t = state.tenants.get_mut(&tenant).expect("token tenants exist");
        let info = super::faults::check_rate(&mut t.recent, rpm, std::time::Instant::now());
        rate_headers = info.headers();
        if info.exceeded {
            let mut r = error(
                429,
                "70002005",
                format!("RATE_LIMITED: more than {rpm} requests per minute for this tenant"),
            );
            r.headers.extend(rate_headers);
            return Handled::Now(r);
        }
    }
    let handled = match (m, segs.as_slice()) {
        ("GET", ["meters", "export", id]) => Handled::Now(export(&state, &tenant, id)),
        ("POST", ["meters", "import"]) => {
            Handled::Now(match file.take().unwrap_or_else(|| import_file(req)) {
                Ok(file) => import(shared, &mut state, &tenant, file),
                Err(r) => r,
            })
        }
        ("POST", ["meters", "files"]) => {
            Handled::Now(match uploaded.take().unwrap_or_else(|| upload_file(req)) {
                Ok(file) => upload(&mut state, &tenant, file),
                Err(r) => r,
            })
        }
        ("POST", ["meters", "run", id, v]) => run(shared, state, &tenant, id, v, req),
        ("POST", ["meters", "debug", id, v]) => {
            Handled::Now(debug(shared, state, &tenant, id, v, req))
        }
        ("GET", ["meters", id, v, "runStatus"]) => Handled::Now(run_status(&state, &tenant, id, v)),
        ("POST", ["meters", "stop", id, v]) => {
            Handled::Now(stop(shared, &mut state, &tenant, id, v, req))
        }
        ("POST", ["meters", id, "summary"]) => Handled::Now(summary(&state, &tenant, id, req)),
        (
            _,
            ["meters", "export", _]
            | ["meters", "import"]
            | ["meters", "files"]
            | ["meters", "run", _, _]
            | ["meters", "debug", _, _]
            | ["meters", "stop", _, _]
            | ["meters", _, _, "runStatus"]
            | ["meters", _, "summary"],
        ) => Handled::Now(method_not_allowed()),
        _ => Handled::Now(error(
            404,
            UNKNOWN_PATH,
            format!("no such endpoint: {} {}", req.method, req.path),
        )),
    };
    match handled {
        Handled::Now(mut r) => {
            r.headers.extend(rate_headers);
            Handled::Now(r)
        }
        Handled::After(mut r, d) => {
            r.headers.extend(rate_headers);
            Handled::After(r, d)
        }
    }
}

fn method_not_allowed() -> Response {
    error(405, UNKNOWN_PATH, "method not allowed on this endpoint")
}

fn token(shared: &Shared, req: &Request) -> Response {
    let form: BTreeMap<String, String> = parse_form(&req.body).into_iter().collect();
    let reasons = |status: u16, code: i64, msg: &str| {
        Response::json(
            status,
            &json!({"success": false, "reasons": [{"code": code, "message": msg}]}),
        )
    };
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return reasons(400, 70002190, "grant_type must be client_credentials");
    }
    let (Some(id), Some(secret)) = (form.get("client_id"), form.get("client_secret")) else {
        return reasons(400, 70002190, "client_id and client_secret are required");
    };
    let mut state = shared.lock();
    let Some(tenant) = state.tenant_by_client(id, secret).map(str::to_string) else {
        return reasons(
            401,
            70002006,
            "UNAUTHORIZED: invalid client_id or client_secret",
        );
    };
    let value = format!("{:032x}{:08x}", fastrand::u128(..), fastrand::u32(..));
    let jti = format!("{:032x}", fastrand::u128(..));
    let lifetime = shared.config.token_lifetime;
    state.issue_token(&tenant, value.clone(), lifetime);
    let n = state.tenants.keys().position(|k| *k == tenant).unwrap_or(0) + 1;
    Response::json(
        200,
        &json!({
            "access_token": value,
            "token_type": "bearer",
            "expires_in": lifetime.as_secs().max(1),
            "scope": format!("user.sandbox entity.00000000-0000-0000-0000-{n:012} tenant.{n} service.mediation"),
            "jti": jti,
        }),
    )
}

fn tenant<'a>(state: &'a State, name: &str) -> &'a Tenant {
    &state.tenants[name]
}

fn tenant_mut<'a>(state: &'a mut State, name: &str) -> &'a mut Tenant {
    state.tenants.get_mut(name).expect("token tenants exist")
}

fn not_existing(status: u16, id: &str) -> Response {
    error(
        status,
        "70002103",
        format!("METER_NOT_EXISTING: meter {id} does not exist in this tenant"),
    )
}

fn export(state: &State, t: &str, id: &str) -> Response {
    match tenant(state, t).meter(id) {
        Some(m) => Response::json(200, &m.definition),
        None => not_existing(404, id),
    }
}

fn persist_failed(e: std::io::Error) -> Response {
    error(
        500,
        INJECTED_FAULT,
        format!("the sandbox could not save its state: {e}"),
    )
}

/// Checks an imported definition the way Zuora's import does (reference section 2.11), in
/// Zuora's real dialect: `typeDefinition` may be null (CUSTOM), `versions[].metadata` may be an
/// object, a string or null, a predefined meter's version may have no tasks, tasks may carry
/// `uniqueName`/`internalName`, and operator configuration lives in task `metadata`.
pub fn check_definition(v: &Value) -> Result<(), (&'static str, String)> {
    let Some(o) = v.as_object() else {
        return Err((
            "70002106",
            "INVALID_METER_FILE: the file is not a JSON object".into(),
        ));
    };
    let missing = |k: &str| o.get(k).is_none_or(|x| x.is_null() || x == "");
    if missing("name") {
        return Err((
            "70002217",
            "IMPORT_METER_MISSING_NAME: the meter has no name".into(),
        ));
    }
    if missing("latestVersion") {
        return Err((
            "70002218",
            "IMPORT_METER_MISSING_LATEST_VERSION: the meter has no latestVersion".into(),
        ));
    }
    let versions = o.get(keys::VERSIONS).and_then(Value::as_array);
    if versions.is_none_or(Vec::is_empty) {
        return Err((
            "70002219",
            "IMPORT_METER_MISSING_VERSIONS: the meter has no versions".into(),
        ));
    }
    if missing("type") {
        return Err((
            "70002220",
            "IMPORT_METER_MISSING_METER_TYPE: the meter has no type".into(),
        ));
    }
    let custom = o.get("type").and_then(Value::as_str) == Some("CUSTOM");
    for ver in versions.into_iter().flatten() {
        let vname = ver["version"].as_str().unwrap_or("?");
        let has = |k: &str| ver.get(k).is_some_and(|x| !x.is_null());
        if custom && !has(keys::TASKS) && !has(keys::METADATA) && !has(keys::VERSION_DETAIL) {
            return Err((
                "70002108",
                format!("INVALID_METER_VERSION_CONTENT: Version must include versionDetail, metadata, or tasks (version {vname})"),
            ));
        }
        let tasks = graph::tasks(ver);
        let ids: Vec<&str> = tasks.iter().filter_map(|t| t["id"].as_str()).collect();
        for (i, t) in tasks.iter().enumerate() {
            let at = format!("version {vname}, task {}", i + 1);
            if t["id"].as_str().is_none_or(str::is_empty) {
                return Err((
                    "70002221",
                    format!("METER_DEFINITION_MISSING_PROCESSOR_ID: {at} has no id"),
                ));
            }
            if t["name"].as_str().is_none_or(str::is_empty) {
                return Err((
                    "70002222",
                    format!("METER_DEFINITION_MISSING_NAME: {at} has no name"),
                ));
            }
            // An operator whose catalogue entry has no metadata keys (NOOP, the Empty Sink) may
            // leave it out.
            let keyless = crate::model::catalogue::operator(
                graph::node_type(t).unwrap_or_default(),
                graph::operator_type(t).unwrap_or_default(),
            )
            .is_some_and(|op| op.keys.is_some_and(<[&str]>::is_empty));
            let metadata_ok =
                t[keys::METADATA].is_object() || keyless && t[keys::METADATA].is_null();
            if !metadata_ok {
                return Err((
                    "70002223",
                    format!("METER_DEFINITION_MISSING_METADATA: {at} has no metadata"),
                ));
            }
            let preds: Vec<&str> = graph::predecessor_ids(t).collect();
            let is_source = graph::declares_source(t);
            if !is_source && preds.is_empty() {
                return Err((
                    "70002224",
                    format!("METER_DEFINITION_MISSING_PREDECESSORS: {at} ({}) is not a source and has no predecessors", t["name"].as_str().unwrap_or_default()),
                ));
            }
            if let Some(p) = preds.iter().find(|p| !ids.contains(p)) {
                return Err((
                    "70002108",
                    format!("INVALID_METER_VERSION_CONTENT: {at} has predecessor {p}, which is not a task of version {vname}"),
                ));
            }
        }
    }
    Ok(())
}

fn import_data(base: &str, t: &Tenant, m: &MeterRecord, now: i64) -> Value {
    let d = &m.definition;
    let latest = d["latestVersion"].as_str().unwrap_or("0.0.1");
    let status = latest_status(t, m.id, latest, now);
    let mut data = Map::new();
    data.insert("id".into(), json!(m.id));
    data.insert("globalId".into(), json!(m.global_id));
    data.insert(
        "uniqueUploadUrl".into(),
        json!(format!("{base}/usage/bulk/{}", m.global_id)),
    );
    data.insert("activeVersionRunStatus".into(), json!(status_code(&status)));
    data.insert("activeVersionRunStatusDescription".into(), json!(status));
    data.insert("latestVersionRunStatus".into(), json!(status_code(&status)));
    data.insert("latestVersionRunStatusDescription".into(), json!(status));
    data.insert("createdAt".into(), json!(format_ms(m.created_at)));
    data.insert("updatedAt".into(), json!(format_ms(m.updated_at)));
    for k in [
        "name",
        "description",
        "type",
        "typeDefinition",
        "latestVersion",
    ] {
        if let Some(v) = d.get(k) {
            data.insert(k.into(), v.clone());
        }
    }
    Value::Object(data)
}

fn latest_status(t: &Tenant, meter: u64, version: &str, now: i64) -> String {
    t.data
        .runs
        .iter()
        .rev()
        .find(|r| r.meter_id == meter && r.version == version)
        .map_or("NEVER_RUN".to_string(), |r| r.status_at(now).to_string())
}

fn multipart(req: &mut Request) -> Result<Vec<super::http::Part>, Response> {
    if !req.is_multipart() {
        return Err(error(400, BAD_BODY, "expected a multipart/form-data body"));
    }
    req.take_parts().map_err(|e| error(400, BAD_BODY, e))
}

/// An import's checked meter file and its `globalId` part.
struct ImportFile {
    definition: Value,
    global_id: Option<String>,
}

/// Reads and checks an import's meter file (no state needed, so no lock held).
fn import_file(req: &mut Request) -> Result<ImportFile, Response> {
    let parts = multipart(req)?;
    let Some(file) = parts.iter().find(|p| p.name == "file") else {
        return Err(error(
            400,
            "70002106",
            "INVALID_METER_FILE: the multipart part `file` is required",
        ));
    };
    let definition: Value = serde_json::from_slice(&file.data).map_err(|e| {
        error(
            400,
            "70002106",
            format!("INVALID_METER_FILE: the file is not valid JSON: {e}"),
        )
    })?;
    if let Err((code, msg)) = check_definition(&definition) {
        return Err(error(400, code, msg));
    }
    let global_id = parts
        .iter()
        .find(|p| p.name == "globalId")
        .map(|p| String::from_utf8_lossy(&p.data).trim().to_string())
        .filter(|g| !g.is_empty());
    Ok(ImportFile {
        definition,
        global_id,
    })
}

fn import(shared: &Shared, state: &mut State, t: &str, file: ImportFile) -> Response {
    let ImportFile {
        definition,
        global_id,
    } = file;
    let now = super::state::now();
    let new_gid = {
        let h = format!("{:032x}", fastrand::u128(..));
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    };
    let ten = tenant_mut(state, t);
    let existing = global_id.as_ref().and_then(|g| {
        ten.data
            .meters
            .values()
            .find(|m| &m.global_id == g)
            .map(|m| m.id)
    });
    let id = match existing {
        Some(id) => {
            // Zuora keeps createdAt across re-imports of the same globalId.
            let m = ten.data.meters.get_mut(&id).expect("found above");
            m.definition = definition;
            m.updated_at = now;
            m.revision += 1;
            id
        }
        None => {
            let id = ten.data.next_meter_id;
            ten.data.next_meter_id += 1;
            ten.data.meters.insert(
                id,
                MeterRecord {
                    id,
                    global_id: global_id.unwrap_or(new_gid),
                    created_at: now,
                    updated_at: now,
                    revision: 1,
                    definition,
                },
            );
            id
        }
    };
    if let Err(e) = state.persist(t, Some(id), None) {
        return persist_failed(e);
    }
    let ten = tenant(state, t);
    ok(import_data(
        &shared.base_url,
        ten,
        &ten.data.meters[&id],
        now,
    ))
}

/// An upload's file part, its line count, and the other parts.
struct Upload {
    file: super::http::Part,
    lines: u64,
    parts: Vec<super::http::Part>,
}

/// Reads an upload's parts and counts the file's lines (no state needed, so no lock held).
fn upload_file(req: &mut Request) -> Result<Upload, Response> {
    let mut parts = multipart(req)?;
    let Some(at) = parts.iter().position(|p| p.name == "file") else {
        return Err(error(
            400,
            BAD_BODY,
            "the multipart part `file` is required",
        ));
    };
    // Moved, not copied, into the state.
    let file = parts.remove(at);
    let lines = file
        .data
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count() as u64;
    Ok(Upload { file, lines, parts })
}

fn upload(state: &mut State, t: &str, upload: Upload) -> Response {
    let Upload { file, lines, parts } = upload;
    let opt = |k: &str| {
        parts
            .iter()
            .find(|p| p.name == k)
            .map(|p| String::from_utf8_lossy(&p.data).trim().to_string())
    };
    let name = file.filename.clone().unwrap_or_else(|| "upload".into());
    let lower = name.to_ascii_lowercase();
    let format = if lower.ends_with(".csv") {
        "CSV"
    } else if lower.ends_with(".xls") || lower.ends_with(".xlsx") {
        "EXCEL"
    } else {
        "JSON"
    };
    let has_header = opt("hasHeader").map_or(format == "CSV", |v| v == "true");
    let now = super::state::now();
    let ten = tenant_mut(state, t);
    let id = ten.data.next_file_id;
    ten.data.next_file_id += 1;
    ten.data.files.insert(
        id,
        FileRecord {
            id,
            name: name.clone(),
            format: format.into(),
            has_header,
            lines,
            created_at: now,
            content: std::sync::Arc::new(file.data),
        },
    );
    if let Err(e) = state.persist(t, None, Some(id)) {
        return persist_failed(e);
    }
    Response::json(
        200,
        &json!({
            "id": id,
            "name": name,
            "resourceId": format!("files/{id}/{name}"),
            "format": format,
            "hasHeader": has_header,
            "firstRow": opt("firstRow").and_then(|v| v.parse::<i64>().ok()).unwrap_or(1),
            "delimiter": opt("delimiter").unwrap_or_else(|| ",".into()),
            "sheet": opt("sheet"),
            "dataRange": opt("dataRange"),
            "lines": lines,
            "createdAt": format_ms(now),
            "updatedAt": format_ms(now),
        }),
    )
}

fn body_json(req: &Request, required: bool) -> Result<Value, Response> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return if required {
            Err(error(400, BAD_BODY, "a JSON request body is required"))
        } else {
            Ok(json!({}))
        };
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(error(
            400,
            BAD_BODY,
            "the request body must be a JSON object",
        )),
        Err(e) => Err(error(
            400,
            BAD_BODY,
            format!("the request body is not valid JSON: {e}"),
        )),
    }
}

fn check_meter_version<'a>(
    t: &'a Tenant,
    id: &str,
    version: &str,
    missing_status: u16,
) -> Result<&'a MeterRecord, Response> {
    let m = t
        .meter(id)
        .ok_or_else(|| not_existing(missing_status, id))?;
    let has = graph::version(&m.definition, version).is_some();
    if !has {
        return Err(error(
            400,
            "70002104",
            format!("METER_VERSION_NOT_EXISTING: meter {id} has no version {version}"),
        ));
    }
    Ok(m)
}

/// One input of a run or test: an uploaded file (its name and bytes, shared with the state) or
/// a source option's inline `testData`.
enum Input {
    File(String, std::sync::Arc<Vec<u8>>),
    Data(Vec<Value>),
}

/// The inputs a run or test names (`localFs.fileId` of a `runtimeSourceConfigs` item;
/// `localFileId`, `sampleFileId` or `fileId` of a `sourceOptions` item, and its inline
/// `testData`, moved out of the body), in the body's order. Taken under the state lock; read
/// by [`input_events`] without it.
fn inputs(t: &Tenant, body: &mut Value) -> Result<Vec<Input>, Response> {
    let mut inputs = Vec::new();
    let Some(body) = body.as_object_mut() else {
        return Ok(inputs);
    };
    let items = body
        .iter_mut()
        .filter(|(k, _)| *k == "sourceOptions" || *k == "runtimeSourceConfigs")
        .filter_map(|(_, v)| v.as_array_mut())
        .flatten();
    for item in items {
        let ids = [
            &item["localFileId"],
            &item["sampleFileId"],
            &item["fileId"],
            &item["localFs"]["fileId"],
        ];
        for raw in ids {
            let id = match raw {
                Value::String(s) => s.parse::<u64>().ok().or(Some(u64::MAX)),
                Value::Number(n) => n.as_u64().or(Some(u64::MAX)),
                _ => None,
            };
            let Some(id) = id else { continue };
            let Some(f) = t.data.files.get(&id) else {
                return Err(error(
                    400,
                    FILE_NOT_EXISTING,
                    format!("FILE_NOT_EXISTING: no uploaded file has id {raw}"),
                ));
            };
            inputs.push(Input::File(f.name.clone(), f.content.clone()));
        }
        if let Some(Value::Array(data)) = item.get_mut("testData").map(Value::take) {
            inputs.push(Input::Data(data));
        }
    }
    Ok(inputs)
}

/// The events of the inputs: one batch per file and one per `testData` list. A file that does
/// not parse is one record that fails every event definition.
fn input_events(inputs: Vec<Input>) -> Vec<Vec<Value>> {
    inputs
        .into_iter()
        .map(|input| match input {
            Input::File(name, bytes) => {
                crate::events::parse_events(&name, &bytes).unwrap_or(vec![Value::Null])
            }
            Input::Data(events) => events,
        })
        .collect()
}

/// The source operatorType each `runtimeSourceConfigs[].sourceType` overrides.
const RUNTIME_SOURCE_TYPES: &[(&str, &str, &str)] = &[
    ("LOCAL_FS", "localFs", "LOCAL_FILE"),
    ("S3", "s3", "S3"),
    ("SNOWFLAKE", "snowflake", "SNOWFLAKE"),
    ("EVENT_STORE", "eventStore", "EVENT_STORE"),
];

/// `s3.fileFormat` values.
const FILE_FORMATS: &[&str] = &["CSV", "EXCEL", "PARQUET", "JSON", "XML", "AVRO"];

/// Checks a run's `runtimeSourceConfigs` as the reference's §2 describes the items: `sourceType`
/// (required, one of LOCAL_FS, S3, SNOWFLAKE, EVENT_STORE); `processorId` (required when the
/// version has several sources of that type, and then a task of the version);
/// `localFs.fileId` (integer, required); `s3.paths[]` and `s3.fileFormat` (required);
/// `eventStore.storeId` (required), `startDate`/`endDate` as YYYY-MM-DD; a `query` (Snowflake,
/// Event Store) is a SELECT. Keys the reference does not list pass (permissive). The error code
/// is the sandbox's (Zuora documents none for these).
fn check_runtime_configs(definition: &Value, version: &str, body: &Value) -> Result<(), String> {
    let items = match &body["runtimeSourceConfigs"] {
        Value::Null => return Ok(()),
        Value::Array(items) => items,
        _ => return Err("runtimeSourceConfigs must be an array".into()),
    };
    let tasks = graph::version(definition, version).map_or(&[][..], graph::tasks);
    for (i, item) in items.iter().enumerate() {
        let at = format!("runtimeSourceConfigs[{i}]");
        if !item.is_object() {
            return Err(format!("{at} must be an object"));
        }
        let Some(source_type) = item["sourceType"].as_str() else {
            return Err(format!("{at}.sourceType is required"));
        };
        let Some((_, key, operator)) = RUNTIME_SOURCE_TYPES
            .iter()
            .find(|(t, _, _)| *t == source_type)
        else {
            return Err(format!(
                "{at}.sourceType {source_type:?} is not one of LOCAL_FS, S3, SNOWFLAKE, EVENT_STORE"
            ));
        };
        let sources: Vec<&str> = tasks
            .iter()
            .filter(|t| graph::is_source(t) && graph::operator_type(t) == Some(*operator))
            .filter_map(|t| t["id"].as_str())
            .collect();
        match item["processorId"].as_str() {
            None if sources.len() > 1 => {
                return Err(format!(
                    "{at}.processorId is required: version {version} has {} {operator} sources",
                    sources.len()
                ))
            }
            Some(p) if !tasks.iter().any(|t| t["id"] == p) => {
                return Err(format!(
                    "{at}.processorId {p:?} is not a task of version {version}"
                ))
            }
            _ => {}
        }
        let conf = &item[*key];
        if !conf.is_null() && !conf.is_object() {
            return Err(format!("{at}.{key} must be an object"));
        }
        let is_select = |q: &Value| {
            q.as_str().is_none_or(|q| {
                q.trim_start()
                    .get(..6)
                    .is_some_and(|w| w.eq_ignore_ascii_case("select"))
            })
        };
        let is_date = |d: &Value| {
            d.as_str().is_none_or(|d| {
                let b = d.as_bytes();
                b.len() == 10
                    && b[4] == b'-'
                    && b[7] == b'-'
                    && b.iter()
                        .enumerate()
                        .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
            })
        };
        match source_type {
            "LOCAL_FS" if !conf["fileId"].is_u64() => {
                return Err(format!("{at}.localFs.fileId is required (an integer)"))
            }
            "S3" if conf["paths"].as_array().is_none_or(|p| p.is_empty()) => {
                return Err(format!("{at}.s3.paths is required (an array of paths)"))
            }
            "S3" if !conf["fileFormat"]
                .as_str()
                .is_some_and(|f| FILE_FORMATS.contains(&f)) =>
            {
                return Err(format!(
                    "{at}.s3.fileFormat is required, one of {}",
                    FILE_FORMATS.join(", ")
                ))
            }
            "SNOWFLAKE" | "EVENT_STORE" if !is_select(&conf["query"]) => {
                return Err(format!("{at}.{key}.query must be a SELECT statement"))
            }
            "EVENT_STORE" if conf["storeId"].is_null() => {
                return Err(format!("{at}.eventStore.storeId is required"))
            }
            "EVENT_STORE" if !is_date(&conf["startDate"]) || !is_date(&conf["endDate"]) => {
                return Err(format!(
                    "{at}.eventStore.startDate and endDate are dates like 2026-01-31"
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// The session object of a run or test, as Zuora's run answer has it (`data`): integer
/// `status` and `runType`, `endTime` null while it runs.
fn session_json(r: &RunRecord, now: i64) -> Value {
    let status = r.status_at(now);
    let ended = r.ended_at(now);
    let mut session = json!({
        "id": r.number.to_string(),
        "sessionId": r.session_id,
        "jobId": r.job_id,
        "meterId": r.meter_id,
        "version": r.version,
        "revision": r.revision,
        "runType": run_type_code(&r.run_type).unwrap_or(1),
        "runTypeDescription": r.run_type,
        "startTime": format_ms(r.started_at),
        "endTime": ended.map(format_ms),
        "status": status_code(status),
        "statusDescription": status,
        "canExportSummary": ended.is_some(),
        "hasLineageEnabled": false,
    });
    // The sandbox's own fields (Zuora documents none): whether the pipeline was simulated,
    // and if not, why.
    if let Some(o) = session.as_object_mut() {
        o.insert("simulated".into(), json!(r.not_simulated.is_none()));
        if let Some(why) = &r.not_simulated {
            o.insert("simulationError".into(), json!(why));
        }
    }
    session
}

/// A test's per-operator counts, in task order, for the debug answer (a sandbox field; Zuora
/// documents none): `processorId` as the summary names it, the task's `operatorName` and
/// `operatorType` as the audit trail names them, `input`, `output`, `totalErrorCount` as the
/// summary names it, and, when records were rejected, `errorCode` and the first
/// `errorMessages`.
fn operators_json(definition: &Value, version: &str, counts: &[TaskCount]) -> Value {
    let tasks = graph::version(definition, version).map_or(&[][..], graph::tasks);
    counts
        .iter()
        .map(|c| {
            let task = tasks
                .iter()
                .find(|t| graph::task_id(t) == Some(c.processor_id.as_str()));
            let mut o = json!({
                "processorId": c.processor_id,
                "operatorName": task.and_then(|t| t[keys::NAME].as_str()),
                "operatorType": task.and_then(graph::operator_type),
                "input": c.input,
                "output": c.output,
                "totalErrorCount": c.errors,
            });
            if c.errors > 0 {
                o["errorCode"] = json!(c.error_code);
                o["errorMessages"] = json!(c.messages);
            }
            o
        })
        .collect()
}

/// A new session: its number, `R-` plus eight digits, and a 32-hex job id.
fn new_session(ten: &mut Tenant) -> (u64, String, String) {
    let n = ten.data.next_session;
    ten.data.next_session += 1;
    let job = format!("{:032x}", fastrand::u128(..));
    (n, format!("R-{n:08}"), job)
}

/// Why a run of `meter_id` cannot start at `now`: its `uniqueKey` was used before on this meter
/// (Zuora scopes the key to the meter, not the tenant), it is running, or five meters are.
fn run_refused(
    ten: &Tenant,
    meter_id: u64,
    id: &str,
    key: Option<&String>,
    now: i64,
) -> Option<Response> {
    if let Some(k) = key {
        if ten
            .data
            .runs
            .iter()
            .any(|r| r.meter_id == meter_id && r.unique_key.as_ref() == Some(k))
        {
            return Some(error(
                400,
                DUPLICATE_UNIQUE_KEY,
                format!("Duplicate uniqueKey: a run with uniqueKey '{k}' already exists"),
            ));
        }
    }
    let running = ten.running_meters(now);
    if running.contains(&meter_id) {
        return Some(error(
            400,
            "70002105",
            format!("METER_ACTIVATE_ALREADY_ACTIVE: meter {id} is already running"),
        ));
    }
    if running.len() >= 5 {
        return Some(error(
            400,
            MAX_RUNNING,
            "maximum running meter count exceeded (5 running meters per tenant)",
        ));
    }
    None
}

/// What a run or test read under the state lock, to compute without it.
struct Job {
    definition: Value,
    meter_id: u64,
    revision: u64,
    inputs: Vec<Input>,
}

impl Job {
    /// Takes a copy of the meter and the inputs the request names (under the state lock).
    fn read(ten: &Tenant, meter: &MeterRecord, body: &mut Value) -> Result<Job, Response> {
        Ok(Job {
            definition: meter.definition.clone(),
            meter_id: meter.id,
            revision: meter.revision,
            inputs: inputs(ten, body)?,
        })
    }

    /// Parses the inputs' events and runs `version` over them (without the state lock); the
    /// inputs are consumed, the rest of the job is kept for the record.
    fn process(
        &mut self,
        version: &str,
        ctx: &crate::simulate::Context,
    ) -> super::state::Processed {
        let events = input_events(std::mem::take(&mut self.inputs));
        process_batches(&self.definition, version, events, ctx)
    }
}

/// `POST /meters/run/{meterId}/{version}`. The request is checked under the state lock; the
/// events are parsed and simulated without it (a large upload holds no other request back);
/// then, under the lock again, the checks a concurrent request may have changed are made
/// again (a `uniqueKey` used meanwhile, a run started meanwhile) and the run is recorded.
fn run(
    shared: &Shared,
    state: MutexGuard<'_, State>,
    t: &str,
    id: &str,
    version: &str,
    req: &Request,
) -> Handled {
    let ten = tenant(&state, t);
    let meter = match check_meter_version(ten, id, version, 400) {
        Ok(m) => m,
        Err(r) => return Handled::Now(r),
    };
    let mut body = match body_json(req, false) {
        Ok(b) => b,
        Err(r) => return Handled::Now(r),
    };
    if let Err(msg) = check_runtime_configs(&meter.definition, version, &body) {
        return Handled::Now(error(
            400,
            BAD_BODY,
            format!("INVALID_RUNTIME_SOURCE_CONFIG: {msg}"),
        ));
    }
    let key = body["uniqueKey"].as_str().map(str::to_string);
    let refused = run_refused(ten, meter.id, id, key.as_ref(), super::state::now());
    if let Some(r) = refused {
        return Handled::Now(r);
    }
    let mut job = match Job::read(ten, meter, &mut body) {
        Ok(job) => job,
        Err(r) => return Handled::Now(r),
    };
    drop(state);
    let processed = job.process(version, &shared.context);
    let all_bad = processed.events > 0 && processed.good == 0;
    let streaming = is_streaming(&job.definition, version)
        || body["runtimeSourceConfigs"]
            .as_array()
            .is_some_and(|a| a.iter().any(|i| i["s3"]["incremental"] == true));
    let mut state = shared.lock();
    let now = super::state::now();
    if let Some(r) = run_refused(tenant(&state, t), job.meter_id, id, key.as_ref(), now) {
        return Handled::Now(r);
    }
    let ten = tenant_mut(&mut state, t);
    let (number, session_id, job_id) = new_session(ten);
    let record = RunRecord {
        number,
        session_id,
        job_id,
        meter_id: job.meter_id,
        version: version.to_string(),
        revision: job.revision,
        run_type: "NORMAL".into(),
        unique_key: key,
        started_at: now,
        duration_ms: shared.config.run_duration.as_millis() as u64,
        final_status: if all_bad { "FAILED" } else { "COMPLETED" }.into(),
        counts: processed.counts,
        streaming,
        stop: None,
        not_simulated: processed.not_simulated,
    };
    let session = session_json(&record, now);
    ten.data.runs.push(record);
    if let Err(e) = state.persist(t, None, None) {
        return Handled::Now(persist_failed(e));
    }
    let resp = Response::json(
        200,
        &json!({"success": true, "data": session, "previousPage": null, "nextPage": null, "error": null}),
    );
    match shared.config.slow_run {
        d if d.is_zero() => Handled::Now(resp),
        d => Handled::After(resp, d),
    }
}

/// `POST /meters/debug/{meterId}/{version}`: checked under the state lock, computed without
/// it (as [`run`]), recorded under it.
fn debug(
    shared: &Shared,
    state: MutexGuard<'_, State>,
    t: &str,
    id: &str,
    version: &str,
    req: &Request,
) -> Response {
    let ten = tenant(&state, t);
    let meter = match check_meter_version(ten, id, version, 400) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut body = match body_json(req, true) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if !body["sourceOptions"].is_array() && !body["eventStoreSourceOptions"].is_array() {
        return error(
            400,
            BAD_BODY,
            "the body needs sourceOptions or eventStoreSourceOptions",
        );
    }
    if body.get("runtimeSourceConfigs").is_some() {
        return error(
            400,
            BAD_BODY,
            "a test (debug) run takes sourceOptions, not runtimeSourceConfigs",
        );
    }
    let mut job = match Job::read(ten, meter, &mut body) {
        Ok(job) => job,
        Err(r) => return r,
    };
    drop(state);
    let processed = job.process(version, &shared.context);
    let operators = operators_json(&job.definition, version, &processed.counts);
    let failed = processed.counts.iter().any(|c| c.errors > 0);
    let status = if failed {
        "TESTING_FAILED"
    } else {
        "TESTING_PASSED"
    };
    let mut state = shared.lock();
    let now = super::state::now();
    let ten = tenant_mut(&mut state, t);
    let (number, session_id, job_id) = new_session(ten);
    let record = RunRecord {
        number,
        session_id,
        job_id,
        meter_id: job.meter_id,
        version: version.to_string(),
        revision: job.revision,
        run_type: "DEBUG".into(),
        unique_key: None,
        started_at: now,
        duration_ms: 0,
        final_status: status.into(),
        counts: processed.counts,
        streaming: false,
        stop: None,
        not_simulated: processed.not_simulated,
    };
    // The bare session object, with a string runStatus (Zuora's debug answer).
    let mut session = session_json(&record, now);
    if let Some(o) = session.as_object_mut() {
        o.shift_remove("status");
        o.shift_remove("statusDescription");
        o.insert("runStatus".into(), json!(status));
        o.insert("runStatusDescription".into(), json!(status));
        o.insert("operators".into(), operators);
    }
    ten.data.runs.push(record);
    if let Err(e) = state.persist(t, None, None) {
        return persist_failed(e);
    }
    Response::json(200, &session)
}

fn run_status(state: &State, t: &str, id: &str, version: &str) -> Response {
    let ten = tenant(state, t);
    let meter = match check_meter_version(ten, id, version, 404) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let status = latest_status(ten, meter.id, version, super::state::now());
    ok(json!({"runStatus": status_code(&status), "runStatusDescription": status}))
}

/// `POST /meters/stop/{meterId}/{version}?forceStop=`: stops every running NORMAL run of the
/// version. Batch runs (and forced stops) end CANCELED at once; a streaming run stops gracefully
/// (STOPPING, then PAUSED after `ServerConfig::stop_delay`), and while it does, any further stop is
/// refused with 70003043. Nothing running: 70002122.
fn stop(
    shared: &Shared,
    state: &mut State,
    t: &str,
    id: &str,
    version: &str,
    req: &Request,
) -> Response {
    let now = super::state::now();
    let force = match req.query.iter().find(|(k, _)| k == "forceStop") {
        None => false,
        Some((_, v)) if v.eq_ignore_ascii_case("true") => true,
        Some((_, v)) if v.eq_ignore_ascii_case("false") || v.is_empty() => false,
        Some((_, v)) => {
            return error(
                400,
                BAD_BODY,
                format!("forceStop must be true or false, not {v:?}"),
            )
        }
    };
    let ten = tenant(state, t);
    // The reference lists 70002103 and 70002104 among stop's 400 codes.
    let meter_id = match check_meter_version(ten, id, version, 400) {
        Ok(m) => m.id,
        Err(r) => return r,
    };
    let ten = tenant_mut(state, t);
    let mut runs: Vec<&mut RunRecord> = ten
        .data
        .runs
        .iter_mut()
        .filter(|r| r.meter_id == meter_id && r.version == version && r.running(now))
        .collect();
    if runs.iter().any(|r| r.stopping(now)) {
        return error(
            400,
            STOP_IN_PROGRESS,
            format!("A stop is already in progress for meter {id} version {version}"),
        );
    }
    if runs.is_empty() {
        return error(
            400,
            NOT_RUNNING,
            format!("The meter version is not running: meter {id} version {version}"),
        );
    }
    let delay_ms = shared.config.stop_delay.as_millis() as u64;
    for r in runs.iter_mut() {
        r.stop = Some(StopRecord {
            at: now,
            graceful: r.streaming && !force,
            delay_ms,
        });
    }
    if let Err(e) = state.persist(t, None, None) {
        return persist_failed(e);
    }
    Response::json(200, &json!({"success": true}))
}

fn summary(state: &State, t: &str, id: &str, req: &Request) -> Response {
    let ten = tenant(state, t);
    let Some(meter) = ten.meter(id) else {
        return not_existing(400, id);
    };
    let body = match body_json(req, false) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let strings = |k: &str| -> Result<Vec<String>, Response> {
        match &body[k] {
            Value::Null => Ok(Vec::new()),
            Value::Array(a) => a
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_string).ok_or_else(|| {
                        error(400, BAD_BODY, format!("{k} must be a list of strings"))
                    })
                })
                .collect(),
            _ => Err(error(
                400,
                BAD_BODY,
                format!("{k} must be a list of strings"),
            )),
        }
    };
    let (sessions, operators, group_by) = match (
        strings("sessionIds"),
        strings("operatorIds"),
        strings("groupBy"),
    ) {
        (Ok(s), Ok(o), Ok(g)) => (s, o, g),
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r,
    };
    if let Some(g) = group_by
        .iter()
        .find(|g| !["sessionId", "processorId", "errorCode"].contains(&g.as_str()))
    {
        return error(
            400,
            BAD_BODY,
            format!("groupBy {g:?} is not one of sessionId, processorId, errorCode"),
        );
    }
    let run_type = body["runType"].as_str();
    if let Some(rt) = run_type {
        if rt != "NORMAL" && rt != "DEBUG" {
            return error(
                400,
                BAD_BODY,
                format!("runType {rt:?} is not NORMAL or DEBUG"),
            );
        }
    }
    let mut window = [None, None];
    for (i, k) in ["queryFromTime", "queryToTime"].iter().enumerate() {
        if let Some(s) = body[*k].as_str() {
            match parse_time(s) {
                Some(ms) => window[i] = Some(ms),
                None => {
                    return error(
                        400,
                        "70002011",
                        format!("INVALID_DATE_STRING: {k} {s:?} is not a date-time such as 2025-11-17T23:59:59+0000"),
                    )
                }
            }
        }
    }
    let by = |d: &str| group_by.iter().any(|g| g == d);
    // Per group: input, output, errors.
    let mut groups: BTreeMap<Vec<Option<String>>, [u64; 3]> = BTreeMap::new();
    let mut not_simulated = Vec::new();
    let runs = ten.data.runs.iter().filter(|r| {
        r.meter_id == meter.id
            && run_type.is_none_or(|rt| rt == r.run_type)
            && (sessions.is_empty() || sessions.contains(&r.session_id))
            && window[0].is_none_or(|f| r.started_at >= f)
            && window[1].is_none_or(|to| r.started_at <= to)
    });
    for r in runs {
        if let Some(why) = &r.not_simulated {
            not_simulated.push(json!({"sessionId": r.session_id, "message": why}));
        }
        for c in r
            .counts
            .iter()
            .filter(|c| operators.is_empty() || operators.contains(&c.processor_id))
        {
            // Without processorId, only the sources' records count, so a record that passes
            // several operators is counted once (errors count wherever they happen).
            let (input, output) = if by("processorId") || c.source {
                (c.input, c.output)
            } else {
                (0, 0)
            };
            let mut entries = vec![];
            let code = c.error_code.clone();
            if by("errorCode") && c.errors > 0 && output > 0 {
                entries.push((None, [input, output, 0]));
                entries.push((code, [0, 0, c.errors]));
            } else {
                let code = if c.errors > 0 { code } else { None };
                entries.push((code, [input, output, c.errors]));
            }
            for (code, n) in entries {
                let key: Vec<Option<String>> = group_by
                    .iter()
                    .map(|g| match g.as_str() {
                        "sessionId" => Some(r.session_id.clone()),
                        "processorId" => Some(c.processor_id.clone()),
                        _ => code.clone(),
                    })
                    .collect();
                let e = groups.entry(key).or_default();
                for (sum, n) in e.iter_mut().zip(n) {
                    *sum += n;
                }
            }
        }
    }
    if by("errorCode") {
        // An error-code row with nothing in it says nothing.
        groups.retain(|_, n| n.iter().any(|&n| n > 0));
    }
    let output: Vec<Value> = groups
        .into_iter()
        .map(|(key, [input, out, errs])| {
            let dims: Map<String, Value> = group_by
                .iter()
                .cloned()
                .zip(
                    key.into_iter()
                        .map(|k| k.map_or(Value::Null, Value::String)),
                )
                .collect();
            json!({"dimensions": dims, "input": input, "output": out, "totalErrorCount": errs})
        })
        .collect();
    let now = super::state::now();
    let echo = |k: &str| body.get(k).cloned().unwrap_or(Value::Null);
    let mut answer = json!({
            "success": true,
            "data": {
                "requestId": format!("{:x}", now),
                "requestTime": format_ms(now),
                "query": {
                    "runType": echo("runType"),
                    "sessionIds": echo("sessionIds"),
                    "operatorIds": echo("operatorIds"),
                    "groupBy": echo("groupBy"),
                    "queryFromTime": echo("queryFromTime"),
                    "queryToTime": echo("queryToTime"),
                },
                "output": output,
            },
            "previousPage": null,
            "nextPage": null,
    });
    if !not_simulated.is_empty() {
        // The sandbox's own field: the sessions counted at their sources only, and why.
        answer["data"]["notSimulated"] = Value::Array(not_simulated);
    }
    Response::json(200, &answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::keys::PREDECESSORS;

    #[test]
    fn import_checks_follow_zuora_codes() {
        let code = |v: Value| check_definition(&v).unwrap_err().0;
        assert_eq!(code(json!([])), "70002106");
        assert_eq!(code(json!({"type": "CUSTOM"})), "70002217");
        assert_eq!(code(json!({"name": "m"})), "70002218");
        assert_eq!(
            code(json!({"name": "m", "latestVersion": "0.0.1", "versions": []})),
            "70002219"
        );
        let base = |tasks: Value| json!({"name": "m", "type": "CUSTOM", "latestVersion": "0.0.1", "versions": [{"version": "0.0.1", "tasks": tasks}]});
        assert_eq!(
            code(base(json!([{"name": "a", "metadata": {}}]))),
            "70002221"
        );
        assert_eq!(code(base(json!([{"id": "a", "metadata": {}}]))), "70002222");
        assert_eq!(code(base(json!([{"id": "a", "name": "a"}]))), "70002223");
        assert_eq!(
            code(base(
                json!([{"id": "a", "name": "a", "metadata": {}, "nodeType": "SINK"}])
            )),
            "70002224"
        );
        assert_eq!(
            code(base(
                json!([{"id": "a", "name": "a", "metadata": {}, PREDECESSORS: [{"id": "zz"}]}])
            )),
            "70002108"
        );
        assert!(check_definition(&base(
            json!([{"id": "a", "name": "a", "metadata": {}, "nodeType": "SOURCE"}])
        ))
        .is_ok());
        // Zuora's dialect: an Empty Sink without metadata, uniqueName/internalName, version
        // metadata as an object, a CUSTOM meter with typeDefinition null.
        let real = json!({"name": "m", "type": "CUSTOM", "typeDefinition": null, "latestVersion": "0.0.1",
            "versions": [{"version": "0.0.1", "metadata": {"flowDirection": "vertical"}, "tasks": [
                {"id": "s", "name": "S", "uniqueName": "a", "internalName": null, "nodeType": "SOURCE",
                 "operatorType": "LOCAL_FILE", "metadata": {"schemaId": "e"}, PREDECESSORS: []},
                {"id": "k", "name": "K", "uniqueName": "b", "internalName": null, "nodeType": "SINK",
                 "operatorType": "NOOP", PREDECESSORS: [{"id": "s"}]}]}]});
        assert!(check_definition(&real).is_ok());
        // An operator with metadata keys still needs its metadata.
        let mut no_meta = real.clone();
        no_meta["versions"][0]["tasks"][0]
            .as_object_mut()
            .unwrap()
            .shift_remove("metadata");
        assert_eq!(code(no_meta), "70002223");
        // A predefined meter's version may be empty; a CUSTOM one may not.
        let count = json!({"name": "m", "type": "COUNT", "latestVersion": "0.0.1", "versions": [{"version": "0.0.1"}]});
        assert!(check_definition(&count).is_ok());
        let mut custom = count.clone();
        custom["type"] = json!("CUSTOM");
        assert_eq!(code(custom), "70002108");
    }
}
