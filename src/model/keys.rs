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
/// `description`.
pub const DESCRIPTION: &str = "description";
/// `typeDefinition.sourceType`.
pub const SOURCE_TYPE: &str = "sourceType";
/// `typeDefinition.schemaId`.
pub const SCHEMA_ID: &str = "schemaId";
/// A source task's `metadata` key naming its event definition by name.
pub const SCHEMA_NAME: &str = "schemaName";
/// `typeDefinition.fieldMappings`.
pub const FIELD_MAPPINGS: &str = "fieldMappings";
/// `typeDefinition.configs`.
pub const CONFIGS: &str = "configs";
/// `field` of a field mapping.
pub const FIELD: &str = "field";
/// `required` of a field mapping.
pub const REQUIRED: &str = "required";
/// `dateFormat` of a field mapping.
pub const DATE_FORMAT: &str = "dateFormat";
/// `versionDetail`.
pub const VERSION_DETAIL: &str = "versionDetail";
/// `uniqueName`: the UI's letter code of a task (layout).
pub const UNIQUE_NAME: &str = "uniqueName";
/// `internalName` of a task (layout).
pub const INTERNAL_NAME: &str = "internalName";
/// `extraConfig` of a task.
pub const EXTRA_CONFIG: &str = "extraConfig";
/// `setting` of a task.
pub const SETTING: &str = "setting";
/// `schema` of an event definition.
pub const SCHEMA: &str = "schema";

/// The known keys of each object of a definition, in canonical order (the order the typed
/// [`super::Meter`] serializes in; `canonical` writes it, `validate` names unknown keys by it).
pub mod order {
    use super::*;

    /// Top level.
    pub const TOP: &[&str] = &[
        GLOBAL_ID,
        NAME,
        DESCRIPTION,
        TYPE,
        super::TYPE_DEFINITION,
        LATEST_VERSION,
        VERSIONS,
        SCHEMAS,
    ];
    /// `typeDefinition`.
    pub const TYPE_DEFINITION: &[&str] = &[SOURCE_TYPE, SCHEMA_ID, FIELD_MAPPINGS, CONFIGS];
    /// One field mapping.
    pub const FIELD_MAPPING: &[&str] = &[NAME, FIELD, REQUIRED, DATE_FORMAT];
    /// One version.
    pub const VERSION: &[&str] = &[super::VERSION, VERSION_DETAIL, METADATA, TASKS];
    /// One task.
    pub const TASK: &[&str] = &[
        ID,
        NAME,
        UNIQUE_NAME,
        INTERNAL_NAME,
        NODE_TYPE,
        OPERATOR_TYPE,
        METADATA,
        PREDECESSORS,
        EXTRA_CONFIG,
        SETTING,
    ];
    /// One predecessor reference.
    pub const PREDECESSOR: &[&str] = &[ID];
    /// One event definition.
    pub const SCHEMA: &[&str] = &[NAME, TYPE, super::SCHEMA];
}
