//! Zuora's operator catalogue and the vocabulary of the meter dialect, as data.
//!
//! This is the one place that knows which `nodeType` + `operatorType` pairs exist, which keys each
//! operator keeps in its task `metadata`, the meter types, the Filter operators in both spellings,
//! the aggregation functions, and how lists inside `metadata` are identified when two definitions
//! are compared. Everything here comes from `zuora-meter-dialect.md` §3–§5 (Zuora's official
//! OpenAPI document and its operator catalogue). Validation, diff and the schema tests read it;
//! nothing here looks at a file.

/// The three node types of a task graph.
pub const NODE_TYPES: &[&str] = &["SOURCE", "PROCESSOR", "SINK"];

/// Every meter type Zuora accepts.
pub const METER_TYPES: &[&str] = &[
    "CUSTOM",
    "DIRECT",
    "DELTA",
    "CUMULATIVE",
    "SUM",
    "MAX",
    "MIN",
    "COUNT",
    "AVG",
];

/// Meter types whose pipeline comes from `typeDefinition` (every type but `CUSTOM`).
pub fn is_predefined_type(t: &str) -> bool {
    t != "CUSTOM" && METER_TYPES.contains(&t)
}

/// Aggregation functions of AGGREGATOR, ACCUMULATOR and their kin (upper case, as stored).
pub const AGGREGATIONS: &[&str] = &["SUM", "MIN", "MAX", "AVG", "COUNT", "DELTA"];

/// One operator of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    /// `SOURCE`, `PROCESSOR` or `SINK`.
    pub node_type: &'static str,
    /// The `operatorType` string as stored.
    pub operator_type: &'static str,
    /// The name Zuora's UI shows.
    pub label: &'static str,
    /// The keys this operator keeps in `metadata`; `None` when the sources do not list them.
    pub keys: Option<&'static [&'static str]>,
}

const fn op(
    node_type: &'static str,
    operator_type: &'static str,
    label: &'static str,
    keys: &'static [&'static str],
) -> Operator {
    Operator {
        node_type,
        operator_type,
        label,
        keys: Some(keys),
    }
}

const fn open(
    node_type: &'static str,
    operator_type: &'static str,
    label: &'static str,
) -> Operator {
    Operator {
        node_type,
        operator_type,
        label,
        keys: None,
    }
}

/// Defines the metadata keys of an operator and of its `SCRIPT_*` twin, which adds the script
/// keys (`language`, `source`, `schemaId`) to the same window or correlation keys.
macro_rules! with_script_twin {
    ($plain:ident, $script:ident, [$($key:literal),* $(,)?]) => {
        const $plain: &[&str] = &[$($key),*];
        const $script: &[&str] = &["language", "source", "schemaId", $($key),*];
    };
}

with_script_twin!(
    AGGREGATOR_KEYS,
    SCRIPT_AGGREGATOR_KEYS,
    [
        "triggerType",
        "timeoutType",
        "timeoutDuration",
        "eventTimeField",
        "eventTimeFormat",
        "groupFields",
        "aggregationFields",
        "maxOutOfOrderness",
        "idleness",
        "extraKeepFields",
        "stateExpireTime",
        "isForPrefetch",
    ]
);
with_script_twin!(
    ACCUMULATOR_KEYS,
    SCRIPT_ACCUMULATOR_KEYS,
    ["groupFields", "aggregationFields", "order", "sortField"]
);
with_script_twin!(
    CORRELATOR_KEYS,
    SCRIPT_CORRELATOR_KEYS,
    [
        "startEventField",
        "startEventValue",
        "stopEventField",
        "stopEventValue",
        "timeoutDuration",
        "groupFields",
        "aggregationFields",
    ]
);
const SCRIPT_KEYS: &[&str] = &["language", "source", "schemaId"];

/// Zuora's operator catalogue (35 operators), plus `RATING` and the `HTTP` source and sink that
/// Zuora's validation references list.
pub static OPERATORS: &[Operator] = &[
    // Sources
    op(
        "SOURCE",
        "ZUORA_BULK_API",
        "Streaming API",
        &["schemaId", "schemaName", "keyFields"],
    ),
    op(
        "SOURCE",
        "LOCAL_FILE",
        "Upload File",
        &["schemaId", "schemaName"],
    ),
    op(
        "SOURCE",
        "S3",
        "Amazon S3",
        &[
            "connectionName",
            "fileFormat",
            "paths",
            "schemaId",
            "schemaName",
            "formatOption",
            "incremental",
        ],
    ),
    op(
        "SOURCE",
        "KAFKA",
        "Kafka",
        &[
            "connectionName",
            "topic",
            "dataFormat",
            "schemaId",
            "offsetResetStrategy",
        ],
    ),
    op(
        "SOURCE",
        "SNOWFLAKE",
        "Snowflake",
        &[
            "connectionName",
            "database",
            "schema",
            "table",
            "query",
            "warehouse",
            "role",
            "schemaId",
        ],
    ),
    op("SOURCE", "EVENT_STORE", "Event Store", &["storeId"]),
    op("SOURCE", "ZUORA_QUERY", "Zuora Query", &["zuora-query"]),
    op("SOURCE", "USER_INPUT", "User Input", &["data"]),
    open("SOURCE", "HTTP", "HTTP"),
    // Processors
    op("PROCESSOR", "FILTER", "Filter", &["ruleCombiner", "rules"]),
    op("PROCESSOR", "MAP", "Map", &["excludedFields", "mapFields"]),
    op("PROCESSOR", "AGGREGATOR", "Accumulator", AGGREGATOR_KEYS),
    op("PROCESSOR", "ACCUMULATOR", "Aggregator", ACCUMULATOR_KEYS),
    op(
        "PROCESSOR",
        "REALTIME_EVENT_AGGREGATOR",
        "Realtime Event Aggregator",
        &["groupFields", "aggregationFields", "stateExpireTime"],
    ),
    op("PROCESSOR", "CORRELATOR", "Correlator", CORRELATOR_KEYS),
    op(
        "PROCESSOR",
        "DEDUPLICATE",
        "Deduplicator",
        &[
            "checkType",
            "specificFields",
            "ttl",
            "maxSize",
            "continueWhenDedup",
        ],
    ),
    op(
        "PROCESSOR",
        "PARTITION",
        "Partition",
        &["keyType", "specificFields"],
    ),
    op(
        "PROCESSOR",
        "SUBSCRIPTION_LOOKUP",
        "Enrichment",
        &[
            "lookupType",
            "accountNumberField",
            "chargeNameField",
            "subscriptionIdField",
            "needPrefetch",
            "continueWhenNoDataFound",
            "includeUsageChargesOnly",
            "includeActiveAndCancelledSubsOnly",
            "includeSegmentsActiveOnDateOnly",
            "eventTimeField",
            "appendFields",
            "mapFields",
            "sql",
            "table",
        ],
    ),
    op(
        "PROCESSOR",
        "CURRENCY_LOOKUP",
        "Currency Lookup",
        &[
            "fromCurrency",
            "toCurrency",
            "rateType",
            "dateField",
            "rateField",
            "continueWhenNoDataFound",
        ],
    ),
    op(
        "PROCESSOR",
        "HTTP",
        "HTTP",
        &["connectionName", "httpRequestConfig", "httpOutputConfig"],
    ),
    op(
        "PROCESSOR",
        "BILLING_RATING",
        "Billing Rating",
        &["fieldMappings"],
    ),
    op(
        "PROCESSOR",
        "RATING",
        "Rating",
        &[
            "keyFields",
            "eventTimeField",
            "eventTimeFormat",
            "qtyField",
            "outputAmountField",
        ],
    ),
    op(
        "PROCESSOR",
        "REALTIME_CHARGING",
        "Realtime Charging",
        &[
            "groupFields",
            "usageQuantityField",
            "usageQuantityAggregation",
            "priceModel",
            "unitPrice",
            "priceTable",
            "language",
            "source",
        ],
    ),
    op(
        "PROCESSOR",
        "PERSIST_ACCUMULATOR",
        "Persist Accumulator",
        &["aggregation", "delayForDownstream", "queryInterval"],
    ),
    op(
        "PROCESSOR",
        "SCRIPT_MAP",
        "Advanced Transformer",
        SCRIPT_KEYS,
    ),
    op("PROCESSOR", "SCRIPT_FILTER", "Advanced Filter", SCRIPT_KEYS),
    op(
        "PROCESSOR",
        "SCRIPT_AGGREGATOR",
        "Advanced Accumulation",
        SCRIPT_AGGREGATOR_KEYS,
    ),
    op(
        "PROCESSOR",
        "SCRIPT_ACCUMULATOR",
        "Advanced Aggregation",
        SCRIPT_ACCUMULATOR_KEYS,
    ),
    op(
        "PROCESSOR",
        "SCRIPT_CORRELATOR",
        "Advanced Correlation",
        SCRIPT_CORRELATOR_KEYS,
    ),
    // Sinks
    op(
        "SINK",
        "ZUORA_USAGE",
        "Usage Records",
        &[
            "fieldMappings",
            "usageKeyGenerationMethod",
            "specificFields",
            "deleteOnly",
            "deleteConditionColumn",
            "deleteConditionValues",
        ],
    ),
    op(
        "SINK",
        "ZUORA_RATING",
        "Rating Records",
        &["partitionKeys", "eventTimeColumn", "fieldMappings"],
    ),
    op(
        "SINK",
        "ZUORA_WAREHOUSE",
        "Zuora Warehouse",
        &["groupFields", "timeField", "aggregationFields"],
    ),
    op(
        "SINK",
        "EVENT_STORE",
        "Event Store",
        &["storeId", "schemaId", "fieldMappings"],
    ),
    op(
        "SINK",
        "S3",
        "Amazon S3",
        &[
            "connectionName",
            "path",
            "fileFormat",
            "schemaId",
            "formatOption",
            "rollingFileSize",
            "rollingFileSizeUnit",
            "partitionFields",
            "excludeFields",
        ],
    ),
    op(
        "SINK",
        "KAFKA",
        "Kafka",
        &[
            "connectionName",
            "topic",
            "dataFormat",
            "schemaId",
            "keyFields",
        ],
    ),
    op(
        "SINK",
        "SNOWFLAKE",
        "Snowflake",
        &[
            "connectionName",
            "database",
            "schema",
            "table",
            "warehouse",
            "role",
        ],
    ),
    op("SINK", "NOOP", "Empty Sink", &[]),
    open("SINK", "HTTP", "HTTP"),
];

/// The operator with this node type and operator type.
pub fn operator(node_type: &str, operator_type: &str) -> Option<&'static Operator> {
    OPERATORS
        .iter()
        .find(|o| o.node_type == node_type && o.operator_type == operator_type)
}

/// Whether `node_type` is `SOURCE`, `PROCESSOR` or `SINK`.
pub fn is_node_type(node_type: &str) -> bool {
    NODE_TYPES.contains(&node_type)
}

/// Whether any node type has this operator type.
pub fn is_operator_type(operator_type: &str) -> bool {
    OPERATORS.iter().any(|o| o.operator_type == operator_type)
}

/// The node types an operator type is valid for (`EVENT_STORE`: SOURCE and SINK).
pub fn node_types_of(operator_type: &str) -> impl Iterator<Item = &'static str> + '_ {
    OPERATORS
        .iter()
        .filter(move |o| o.operator_type == operator_type)
        .map(|o| o.node_type)
}

/// Operator types of one node type, in catalogue order.
pub fn operator_types_of(node_type: &str) -> impl Iterator<Item = &'static str> + '_ {
    OPERATORS
        .iter()
        .filter(move |o| o.node_type == node_type)
        .map(|o| o.operator_type)
}

/// Whether an operator type is one of the `SCRIPT_*` operators (language + source code).
pub fn is_script(operator_type: &str) -> bool {
    operator_type.starts_with("SCRIPT_")
}

/// The 16 Filter operators: the stored name and the label one of Zuora's pages shows instead.
pub const FILTER_OPERATORS: &[(&str, &str)] = &[
    ("gt", "Greater Than"),
    ("gte", "Greater Than or Equals"),
    ("lt", "Less Than"),
    ("lte", "Less Than or Equals"),
    ("equal", "Equals"),
    ("notEqual", "Not Equals"),
    ("contains", "Contains"),
    ("notContains", "Not Contains"),
    ("startsWith", "Starts With"),
    ("notStartsWith", "Not Starts With"),
    ("endsWith", "Ends With"),
    ("notEndsWith", "Not Ends With"),
    ("in", "In"),
    ("notIn", "Not In"),
    ("blank", "Is blank"),
    ("notBlank", "Is not blank"),
];

/// The stored name of a Filter operator written in either spelling (`Equals` → `equal`).
pub fn filter_operator(name: &str) -> Option<&'static str> {
    FILTER_OPERATORS
        .iter()
        .find(|(stored, label)| *stored == name || *label == name)
        .map(|(stored, _)| *stored)
}

/// Whether a Filter operator needs no `value` (`blank`, `notBlank`).
pub fn filter_operator_takes_no_value(name: &str) -> bool {
    matches!(filter_operator(name), Some("blank" | "notBlank"))
}

/// Task keys that are layout (the UI's letter codes), never content: not compared in a diff.
pub const TASK_LAYOUT_KEYS: &[&str] = &["uniqueName", "internalName"];

/// How a list inside a task's `metadata` is identified when two definitions are compared (§5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListIdentity {
    /// Elements are objects matched by the value of this key.
    ByKey(&'static str),
    /// A set of names: order does not matter.
    Set,
    /// Order matters (position is meaning).
    Ordered,
    /// No identity: align by content.
    Content,
}

/// The identity of a list held under `key` inside a task's `metadata`.
pub fn metadata_list_identity(key: &str) -> ListIdentity {
    match key {
        "fieldMappings" => ListIdentity::ByKey("name"),
        "aggregationFields" | "mapFields" => ListIdentity::ByKey("targetField"),
        "appendFields" => ListIdentity::ByKey("eventField"),
        "groupFields" | "specificFields" | "excludedFields" | "paths" | "extraKeepFields"
        | "partitionKeys" | "excludeFields" | "eventIdFields" => ListIdentity::Set,
        "keyFields" | "partitionFields" => ListIdentity::Ordered,
        _ => ListIdentity::Content,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_pairs_are_unique_and_node_types_known() {
        for (i, a) in OPERATORS.iter().enumerate() {
            assert!(is_node_type(a.node_type), "{a:?}");
            for b in &OPERATORS[i + 1..] {
                assert!(
                    (a.node_type, a.operator_type) != (b.node_type, b.operator_type),
                    "{a:?} twice"
                );
            }
        }
        // 35 from Zuora's catalogue, plus RATING and the HTTP source and sink.
        assert_eq!(OPERATORS.len(), 38);
    }

    #[test]
    fn lookups() {
        assert_eq!(operator("SINK", "NOOP").unwrap().label, "Empty Sink");
        assert!(operator("SOURCE", "NOOP").is_none());
        assert_eq!(
            node_types_of("EVENT_STORE").collect::<Vec<_>>(),
            ["SOURCE", "SINK"]
        );
        assert!(is_operator_type("ZUORA_BULK_API") && !is_operator_type("STREAMING_API"));
        assert!(is_predefined_type("SUM") && !is_predefined_type("CUSTOM"));
        assert!(!is_predefined_type("Sum"));
    }

    #[test]
    fn filter_operators_in_both_spellings() {
        assert_eq!(filter_operator("Equals"), Some("equal"));
        assert_eq!(filter_operator("equal"), Some("equal"));
        assert_eq!(filter_operator("EQUALS"), None);
        assert!(filter_operator_takes_no_value("Is not blank"));
        assert!(!filter_operator_takes_no_value("in"));
        assert_eq!(FILTER_OPERATORS.len(), 16);
    }

    #[test]
    fn list_identities() {
        assert_eq!(
            metadata_list_identity("fieldMappings"),
            ListIdentity::ByKey("name")
        );
        assert_eq!(metadata_list_identity("groupFields"), ListIdentity::Set);
        assert_eq!(metadata_list_identity("keyFields"), ListIdentity::Ordered);
        assert_eq!(metadata_list_identity("rules"), ListIdentity::Content);
    }
}
