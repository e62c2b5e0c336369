//! The typed, lossless meter definition: what `GET /meters/export/{meterId}` returns, plus the
//! repository's `globalId`.
//!
//! Every documented field has a typed slot; every field Zuora may add that we do not know lands in
//! the `extra` map of its object (in its original order) and is written back after the known
//! ones. A field that is absent stays absent and a field that is `null` stays `null`
//! ([`Field`] is `Option<Option<T>>`); numbers keep their integer/float identity because open
//! objects (`setting`, `metadata`, `extraConfig`, `configs`) are kept as `serde_json::Value`.
//! Serializing a [`Meter`] writes the known keys in canonical order (see `canonical`).

pub mod catalogue;
pub mod date_pattern;
pub mod flow;
pub mod graph;
pub mod identity;
pub mod keys;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// A field that may be absent (`None`), `null` (`Some(None)`) or set (`Some(Some(v))`).
pub type Field<T> = Option<Option<T>>;

/// Deserializes a present field, keeping `null` apart from absent.
fn present<'de, D, T>(d: D) -> Result<Field<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

fn get<T>(f: &Field<T>) -> Option<&T> {
    f.as_ref().and_then(Option::as_ref)
}

macro_rules! model_struct {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty = $key:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            $(
                $(#[$fm])*
                #[serde(rename = $key, default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
                pub $field: Field<$ty>,
            )*
            /// Fields this version of meterctl does not know, in their original order.
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }
    };
}

model_struct!(
    /// A meter definition file.
    Meter {
        /// Repository identity, sent as the import's `globalId` part (not part of Zuora's export).
        global_id: String = "globalId",
        /// Meter name (import requires it).
        name: String = "name",
        /// Free text.
        description: String = "description",
        /// Meter type, e.g. `CUSTOM` (import requires it).
        meter_type: String = "type",
        /// Template source, schema id, field mappings.
        type_definition: TypeDefinition = "typeDefinition",
        /// The version imports and runs use, e.g. `0.0.1`.
        latest_version: String = "latestVersion",
        /// Versions with their task graphs.
        versions: Vec<Version> = "versions",
        /// Event definitions the meter uses.
        schemas: Vec<EventSchema> = "schemas",
    }
);

model_struct!(
    /// `typeDefinition`.
    TypeDefinition {
        /// Where a predefined meter's events come from: `ZUORA_BULK_API` or `LOCAL_FILE`.
        source_type: String = "sourceType",
        /// Event definition id: numeric (tenant-specific) or `STANDARD`, as a string or a number.
        schema_id: Value = "schemaId",
        /// Event field to Usage Record field mappings.
        field_mappings: Vec<FieldMapping> = "fieldMappings",
        /// Undocumented configuration object.
        configs: Value = "configs",
    }
);

model_struct!(
    /// One entry of `typeDefinition.fieldMappings`.
    FieldMapping {
        /// Target field.
        name: String = "name",
        /// Event field.
        field: String = "field",
        /// Whether the target requires it.
        required: bool = "required",
        /// Java date pattern.
        date_format: String = "dateFormat",
    }
);

model_struct!(
    /// One meter version.
    Version {
        /// Version string, e.g. `0.0.1`.
        version: String = "version",
        /// Undocumented detail text.
        version_detail: String = "versionDetail",
        /// Layout the UI keeps (positions keyed by tenant task ids): a string, an object or null.
        metadata: Value = "metadata",
        /// The operator graph.
        tasks: Vec<Task> = "tasks",
    }
);

model_struct!(
    /// One operator (source, processor or sink) of a version.
    Task {
        /// Operator id (tenant-specific).
        id: String = "id",
        /// Display name; diffs match tasks by it.
        name: String = "name",
        /// The UI's short letter code (`a`, `b`, ...): layout only.
        unique_name: Value = "uniqueName",
        /// Usually `null`: layout only.
        internal_name: Value = "internalName",
        /// `SOURCE`, `PROCESSOR` or `SINK`.
        node_type: String = "nodeType",
        /// Operator kind, e.g. `FILTER` (see [`catalogue`]).
        operator_type: String = "operatorType",
        /// Operator configuration: filter rules, mappings, aggregations, connection names.
        metadata: Value = "metadata",
        /// Upstream tasks.
        predecessors: Vec<Predecessor> = "predecessors",
        /// Open object.
        extra_config: Value = "extraConfig",
        /// Runtime settings (open object, usually empty or absent).
        setting: Value = "setting",
    }
);

model_struct!(
    /// A reference to an upstream task.
    Predecessor {
        /// The upstream task's id.
        id: String = "id",
    }
);

model_struct!(
    /// One entry of `schemas`: an event definition.
    EventSchema {
        /// Name, e.g. `source(97)`; the suffix is tenant-specific.
        name: String = "name",
        /// Undocumented integer kind.
        schema_type: Value = "type",
        /// The event's JSON Schema.
        schema: Value = "schema",
    }
);

model_struct!(
    /// The `data` of a successful `POST /meters/import` (reference section 3.2).
    ImportResult {
        /// The tenant's meter id.
        id: Value = "id",
        /// The portable identity.
        global_id: String = "globalId",
        /// Streaming upload URL.
        unique_upload_url: String = "uniqueUploadUrl",
        /// Integer status code (undocumented table).
        active_version_run_status: Value = "activeVersionRunStatus",
        /// Status text.
        active_version_run_status_description: String = "activeVersionRunStatusDescription",
        /// Integer status code (undocumented table).
        latest_version_run_status: Value = "latestVersionRunStatus",
        /// Status text.
        latest_version_run_status_description: String = "latestVersionRunStatusDescription",
        /// Creation time.
        created_at: Value = "createdAt",
        /// Update time.
        updated_at: Value = "updatedAt",
        /// Meter name.
        name: String = "name",
    }
);

/// Why a document is not shaped like a meter definition.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ShapeError {
    /// JSON Pointer of the offending value.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl Meter {
    /// Builds the model from a parsed document.
    pub fn from_value(value: &Value) -> Result<Meter, ShapeError> {
        serde_path_to_error::deserialize(value).map_err(|e| {
            let mut pointer = String::new();
            for seg in e.path().iter() {
                pointer.push('/');
                match seg {
                    serde_path_to_error::Segment::Seq { index } => {
                        pointer.push_str(&index.to_string())
                    }
                    serde_path_to_error::Segment::Map { key } => {
                        pointer.push_str(&crate::pointer::escape_token(key))
                    }
                    _ => {}
                }
            }
            ShapeError {
                pointer,
                message: e.into_inner().to_string(),
            }
        })
    }

    /// The model as a JSON value, known keys in canonical order.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a meter always serializes to JSON")
    }

    /// Meter name, when set.
    pub fn name(&self) -> Option<&str> {
        get(&self.name).map(String::as_str)
    }

    /// Repository identity, when set.
    pub fn global_id(&self) -> Option<&str> {
        get(&self.global_id).map(String::as_str)
    }

    /// `latestVersion`, when set.
    pub fn latest_version(&self) -> Option<&str> {
        get(&self.latest_version).map(String::as_str)
    }

    /// All versions (empty when absent).
    pub fn versions(&self) -> &[Version] {
        get(&self.versions).map_or(&[], Vec::as_slice)
    }

    /// All event schemas (empty when absent).
    pub fn schemas(&self) -> &[EventSchema] {
        get(&self.schemas).map_or(&[], Vec::as_slice)
    }

    /// The version with this version string.
    pub fn version(&self, version: &str) -> Option<&Version> {
        self.versions()
            .iter()
            .find(|v| v.version() == Some(version))
    }
}

impl Version {
    /// The version string, when set.
    pub fn version(&self) -> Option<&str> {
        get(&self.version).map(String::as_str)
    }

    /// The tasks (empty when absent).
    pub fn tasks(&self) -> &[Task] {
        get(&self.tasks).map_or(&[], Vec::as_slice)
    }
}

impl Task {
    /// Task id, when set.
    pub fn id(&self) -> Option<&str> {
        get(&self.id).map(String::as_str)
    }

    /// Task name, when set.
    pub fn name(&self) -> Option<&str> {
        get(&self.name).map(String::as_str)
    }

    /// `nodeType`, when set.
    pub fn node_type(&self) -> Option<&str> {
        get(&self.node_type).map(String::as_str)
    }

    /// `operatorType`, when set.
    pub fn operator_type(&self) -> Option<&str> {
        get(&self.operator_type).map(String::as_str)
    }

    /// Ids of the upstream tasks that are set.
    pub fn predecessor_ids(&self) -> impl Iterator<Item = &str> {
        get(&self.predecessors)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(|p| get(&p.id).map(String::as_str))
    }

    /// `setting`, when set.
    pub fn setting(&self) -> Option<&Value> {
        get(&self.setting)
    }

    /// `metadata` (the operator's configuration), when set.
    pub fn metadata(&self) -> Option<&Value> {
        get(&self.metadata)
    }

    /// The catalogue entry of this task's `nodeType` + `operatorType`, when both are known.
    pub fn operator(&self) -> Option<&'static catalogue::Operator> {
        catalogue::operator(self.node_type()?, self.operator_type()?)
    }
}

impl EventSchema {
    /// Name, when set.
    pub fn name(&self) -> Option<&str> {
        get(&self.name).map(String::as_str)
    }

    /// Name without Zuora's tenant-specific `(N)` suffix: `source(97)` → `source`.
    pub fn base_name(&self) -> Option<&str> {
        self.name().map(strip_id_suffix)
    }
}

/// Whether a key holds a run status (`runStatus`, `activeVersionRunStatus`,
/// `latestVersionRunStatusDescription`, ...): it changes with every run, never with an edit.
pub fn is_run_status(key: &str) -> bool {
    key.len() >= 9
        && key
            .as_bytes()
            .windows(9)
            .any(|w| w.eq_ignore_ascii_case(b"runstatus"))
}

/// Calls `f(pointer, string)` for every string anywhere inside `value`, with its JSON Pointer.
pub fn visit_strings(value: &Value, f: &mut dyn FnMut(&str, &str)) {
    walk_strings(value, &mut String::new(), false, f);
}

/// Like [`visit_strings`], and also calls `f(pointer, key)` for every object key.
pub fn visit_strings_and_keys(value: &Value, f: &mut dyn FnMut(&str, &str)) {
    walk_strings(value, &mut String::new(), true, f);
}

fn walk_strings(v: &Value, ptr: &mut String, keys: bool, f: &mut dyn FnMut(&str, &str)) {
    match v {
        Value::String(s) => f(ptr, s),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&i.to_string());
                walk_strings(item, ptr, keys, f);
                ptr.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&crate::pointer::escape_token(k));
                if keys {
                    f(ptr, k);
                }
                walk_strings(item, ptr, keys, f);
                ptr.truncate(len);
            }
        }
        _ => {}
    }
}

/// Removes a trailing `(digits)` from an event definition name.
pub fn strip_id_suffix(name: &str) -> &str {
    if let Some(open) = name.rfind('(') {
        let inner = &name[open + 1..];
        if let Some(digits) = inner.strip_suffix(')') {
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                return name[..open].trim_end();
            }
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "name": "API Calls",
            "zFutureTop": {"b": 1, "a": [1.5, null]},
            "description": null,
            "type": "SUM",
            "typeDefinition": {"sourceType": "ZUORA_BULK_API", "schemaId": 20419, "fieldMappings": [
                {"name": "quantity", "field": "q", "required": true, "dateFormat": null, "xMap": 7}
            ], "configs": {"cumulativePeriod": "day"}, "xTd": "kept"},
            "latestVersion": "0.0.1",
            "versions": [{"version": "0.0.1", "metadata": "{}", "xVer": 1.0, "tasks": [
                {"id": "a", "name": "Src", "nodeType": "SOURCE", "metadata": {"n": 1, "f": 2.0},
                 "predecessors": [], "xTask": {"deep": [{"z": 1}]}},
                {"id": "b", "name": "Sink", "predecessors": [{"id": "a", "xPred": true}], "metadata": {}}
            ]}],
            "schemas": [{"name": "source(97)", "type": 1, "schema": {"type": "object"}, "xSchema": "s"}]
        })
    }

    #[test]
    fn round_trip_is_lossless() {
        let v = sample();
        let m = Meter::from_value(&v).unwrap();
        assert_eq!(m.to_value(), v);
        assert!(m.to_value()["versions"][0]["xVer"].is_f64());
        assert_eq!(m.to_value()["description"], Value::Null);
        assert!(!m.to_value().as_object().unwrap().contains_key("globalId"));
    }

    #[test]
    fn known_keys_come_first_then_unknown_in_order() {
        let m = Meter::from_value(&sample()).unwrap();
        let v = m.to_value();
        let keys: Vec<_> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "name",
                "description",
                "type",
                "typeDefinition",
                "latestVersion",
                "versions",
                "schemas",
                "zFutureTop"
            ]
        );
    }

    #[test]
    fn accessors() {
        let m = Meter::from_value(&sample()).unwrap();
        assert_eq!(m.name(), Some("API Calls"));
        let v = m.version("0.0.1").unwrap();
        assert_eq!(v.tasks()[1].predecessor_ids().collect::<Vec<_>>(), ["a"]);
        assert_eq!(m.schemas()[0].base_name(), Some("source"));
        assert_eq!(strip_id_suffix("a (x)"), "a (x)");
    }

    #[test]
    fn the_key_constants_are_the_models_names() {
        let m = Meter::from_value(&sample()).unwrap().to_value();
        for k in [
            keys::NAME,
            keys::TYPE,
            keys::TYPE_DEFINITION,
            keys::LATEST_VERSION,
            keys::VERSIONS,
            keys::SCHEMAS,
        ] {
            assert!(m.get(k).is_some(), "{k}");
        }
        let v = &graph::versions(&m)[0];
        assert!(v.get(keys::VERSION).is_some() && v.get(keys::METADATA).is_some());
        let t = &graph::tasks(v)[0];
        for k in [
            keys::ID,
            keys::NAME,
            keys::NODE_TYPE,
            keys::METADATA,
            keys::PREDECESSORS,
        ] {
            assert!(t.get(k).is_some(), "{k}");
        }
        let op = Meter::from_value(&json!({"versions": [{"tasks": [{"operatorType": "FILTER"}]}]}))
            .unwrap();
        assert_eq!(
            op.versions()[0].tasks()[0].operator_type(),
            graph::operator_type(&op.to_value()["versions"][0]["tasks"][0])
        );
        let g = Meter::from_value(&json!({"globalId": "g"}))
            .unwrap()
            .to_value();
        assert!(g.get(keys::GLOBAL_ID).is_some());
    }

    #[test]
    fn run_status_keys() {
        for k in [
            "runStatus",
            "activeVersionRunStatus",
            "latestVersionRunStatusDescription",
        ] {
            assert!(is_run_status(k), "{k}");
        }
        assert!(!is_run_status("status") && !is_run_status("run"));
    }

    #[test]
    fn visits_every_string_with_its_pointer() {
        let mut seen = Vec::new();
        visit_strings(&json!({"a": ["x", {"b/c": "y"}], "n": 1}), &mut |p, s| {
            seen.push(format!("{p}={s}"))
        });
        assert_eq!(seen, ["/a/0=x", "/a/1/b~1c=y"]);
    }

    #[test]
    fn wrong_shape_names_the_pointer() {
        let e = Meter::from_value(&json!({"versions": [{"tasks": [{"name": 5}]}]})).unwrap_err();
        assert_eq!(e.pointer, "/versions/0/tasks/0/name");
        assert!(e.message.contains("expected a string"), "{}", e.message);
    }
}
