//! The key names of a meter definition, written once: code that reads a definition as a JSON
//! value (validate, diff, canonical, the sandbox, promote) names its fields through these
//! constants rather than by hand. The typed [`super::Meter`] spells the same names in its serde
//! attributes (a test checks they agree).

/// `globalId`: the repository's identity of a meter.
pub const GLOBAL_ID: &str = "globalId";
/// `name`: of a meter, a task, a field mapping or an event schema.
pub const NAME: &str = "name";
/// `type`: the meter type (`CUSTOM`, `SUM`, ...).
pub const TYPE: &str = "type";
/// `typeDefinition`.
pub const TYPE_DEFINITION: &str = "typeDefinition";
/// `latestVersion`.
pub const LATEST_VERSION: &str = "latestVersion";
/// `versions`: the meter's versions.
pub const VERSIONS: &str = "versions";
/// `schemas`: the meter's event definitions.
pub const SCHEMAS: &str = "schemas";
/// `version`: a version's version string.
pub const VERSION: &str = "version";
/// `tasks`: a version's operators.
pub const TASKS: &str = "tasks";
/// `metadata`: a task's operator configuration, or a version's canvas layout.
pub const METADATA: &str = "metadata";
/// `id`: of a task, or of a predecessor reference.
pub const ID: &str = "id";
/// `nodeType`: `SOURCE`, `PROCESSOR` or `SINK`.
pub const NODE_TYPE: &str = "nodeType";
/// `operatorType`: the operator kind (`FILTER`, `LOCAL_FILE`, ...).
pub const OPERATOR_TYPE: &str = "operatorType";
/// `predecessors`: a task's upstream tasks, as `[{"id": ...}]`.
pub const PREDECESSORS: &str = "predecessors";
