//! The plan: per meter, what `apply` would do to one environment, and why.
//!
//! Each repository definition is rendered for the environment and compared with the tenant's
//! export of the tracked meter, both normalised ([`normalize`]: volatile fields stripped,
//! canonical key order). A meter is `create` (not tracked in the environment's lock, or the
//! tracked id no longer exists), `update` (with its changes), `unchanged`, or `orphaned`
//! (tracked, but no repository file holds its globalId; never deleted). A saved plan carries a
//! fingerprint of each remote definition and a digest of each rendered one, so `apply` can refuse
//! a plan the world has moved away from.

use super::error::PromoteError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Top-level fields that belong to one tenant at one moment (reference section 3.3): left out
/// of comparisons, digests and pulled files.
pub const VOLATILE: &[&str] = &[
    "id",
    "globalId",
    "uniqueUploadUrl",
    "createdAt",
    "updatedAt",
];

fn is_volatile(key: &str) -> bool {
    VOLATILE.contains(&key) || crate::model::is_run_status(key)
}

/// A copy without volatile top-level fields, in canonical key order.
pub fn normalize(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.retain(|k, _| !is_volatile(k));
    }
    crate::canonical::canonicalize(&mut v);
    v
}

/// `sha256:` + hex digest of the normalised definition's compact JSON.
pub fn digest(v: &Value) -> String {
    let bytes = serde_json::to_vec(&normalize(v)).expect("JSON values serialize");
    let hash = Sha256::digest(&bytes);
    let mut s = String::from("sha256:");
    for b in hash {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// What happens to one meter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Not tracked in the environment: import creates it.
    Create,
    /// Tracked and different: import updates it.
    Update,
    /// Tracked and equal.
    Unchanged,
    /// Tracked, but no repository file has its globalId (never deleted).
    Orphaned,
}

impl Action {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Unchanged => "unchanged",
            Action::Orphaned => "orphaned",
        }
    }
}

/// One difference, at a JSON Pointer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanChange {
    /// `changed`, `added`, `removed` or `moved`.
    pub kind: String,
    /// Where (RFC 6901): into the repository's definition, or into the tenant's for a removal.
    pub pointer: String,
    /// Readable path: `versions[0.0.1].tasks["Filter EU"].metadata.rules[0].value`.
    #[serde(default)]
    pub path: String,
    /// A one-line explanation (`now reads from "A" instead of "B"`), when useful.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The tenant's value (absent when added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    /// The repository's value (absent when removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
}

/// The changes that turn `remote` into `desired` (both normalised), found by the semantic diff
/// engine (`crate::diff`): versions, tasks, schemas and field mappings are matched by identity,
/// predecessors by task name, and tenant-specific fields (task ids, `schemaId`, schema name
/// suffixes) are not changes.
pub fn changes(remote: &Value, desired: &Value) -> Vec<PlanChange> {
    crate::diff::diff_meters(remote, desired, &crate::diff::Options::default())
        .into_iter()
        .map(|c| PlanChange {
            kind: c.kind.as_str().to_string(),
            pointer: c.pointer_right.or(c.pointer_left).unwrap_or_default(),
            path: c.path,
            note: c.note,
            old: c.old,
            new: c.new,
        })
        .collect()
}

/// One meter's line in the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanAction {
    /// Repository identity.
    pub global_id: String,
    /// Meter name.
    pub name: String,
    /// What happens.
    pub action: Action,
    /// The tenant's meter id (when tracked).
    pub meter_id: Option<String>,
    /// The repository file (absent for orphans).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// For updates: what changes (secrets masked).
    #[serde(default)]
    pub changes: Vec<PlanChange>,
    /// Digest of the tenant's definition when planned (saved plans are checked against it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_fingerprint: Option<String>,
    /// Digest of the rendered repository definition when planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_digest: Option<String>,
    /// A `create` of a meter meterctl.lock does not track in the environment: Zuora cannot be
    /// asked whether a meter with this globalId exists, so the import may overwrite one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub untracked: bool,
    /// Something to know about this meter (a tracked meter the tenant no longer has).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// What an untracked create risks (plan's text and Markdown).
pub const UNTRACKED_RISK: &str = "not tracked in meterctl.lock: Zuora cannot be asked whether it already holds a meter with this globalId; if it does (a lost or uncommitted meterctl.lock), apply overwrites that meter and cannot back it up first (`meterctl track` records a meter the tenant has)";

impl PlanAction {
    /// `create (untracked)`, or the action's name.
    pub fn label(&self) -> &'static str {
        if self.untracked && self.action == Action::Create {
            "create (untracked)"
        } else {
            self.action.as_str()
        }
    }
}

/// A whole plan (`--format json` and `-o PLAN.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Always 1.
    pub format_version: u32,
    /// The environment.
    pub environment: String,
    /// Whether anything would be created or updated.
    pub has_changes: bool,
    /// One per meter, sorted by globalId.
    pub actions: Vec<PlanAction>,
}

impl Plan {
    /// A plan from its actions.
    pub fn new(environment: &str, mut actions: Vec<PlanAction>) -> Plan {
        actions.sort_by(|a, b| a.global_id.cmp(&b.global_id));
        let has_changes = actions
            .iter()
            .any(|a| matches!(a.action, Action::Create | Action::Update));
        Plan {
            format_version: 1,
            environment: environment.to_string(),
            has_changes,
            actions,
        }
    }

    /// How many creates are untracked.
    pub fn untracked(&self) -> usize {
        self.actions
            .iter()
            .filter(|a| a.untracked && a.action == Action::Create)
            .count()
    }

    /// How many actions of a kind.
    pub fn count(&self, action: Action) -> usize {
        self.actions.iter().filter(|a| a.action == action).count()
    }

    /// `2 to create, 1 to update, 14 unchanged, 0 orphaned`.
    pub fn summary(&self) -> String {
        format!(
            "{} to create, {} to update, {} unchanged, {} orphaned",
            self.count(Action::Create),
            self.count(Action::Update),
            self.count(Action::Unchanged),
            self.count(Action::Orphaned)
        )
    }

    /// The plan for people.
    pub fn to_text(&self, show_unchanged: bool) -> String {
        let mut s = format!("Plan for environment {}:\n", self.environment);
        for a in &self.actions {
            if a.action == Action::Unchanged && !show_unchanged {
                continue;
            }
            let sign = match a.action {
                Action::Create => "+",
                Action::Update => "~",
                Action::Unchanged => "=",
                Action::Orphaned => "?",
            };
            let id = a
                .meter_id
                .as_deref()
                .map(|m| format!(", meter {m}"))
                .unwrap_or_default();
            s.push_str(&format!(
                "  {sign} {:<9} {} ({}{id})\n",
                a.label(),
                a.name,
                a.global_id
            ));
            if let Some(w) = &a.warning {
                s.push_str(&format!("      warning: {w}\n"));
            }
            for c in &a.changes {
                s.push_str(&format!("      {}\n", change_line(c)));
            }
            if a.action == Action::Orphaned {
                s.push_str("      tracked in meterctl.lock but no file has this globalId; left alone (nothing is deleted)\n");
            }
        }
        let untracked = self.untracked();
        if untracked > 0 {
            s.push_str(&format!(
                "{untracked} meter(s) to create are {UNTRACKED_RISK}\n"
            ));
        }
        s.push_str(&format!("{}\n", self.summary()));
        s
    }

    /// The plan as a Markdown comment for a pull request: a row per meter that changes (per
    /// meter with `show_unchanged`), so one change among hundreds stays small.
    pub fn to_markdown(&self, show_unchanged: bool) -> String {
        let mut s = format!(
            "### meterctl plan: `{}`\n\n{}\n",
            self.environment,
            self.summary()
        );
        let rows: Vec<&PlanAction> = self
            .actions
            .iter()
            .filter(|a| show_unchanged || a.action != Action::Unchanged)
            .collect();
        if !rows.is_empty() {
            s.push_str("\n| action | meter | globalId | meter id |\n| --- | --- | --- | --- |\n");
        }
        for a in rows {
            s.push_str(&format!(
                "| {} | {} | `{}` | {} |\n",
                a.label(),
                a.name.replace('|', "\\|"),
                a.global_id,
                a.meter_id.as_deref().unwrap_or("")
            ));
        }
        let untracked = self.untracked();
        if untracked > 0 {
            s.push_str(&format!(
                "\n**Warning:** {untracked} meter(s) to create are {UNTRACKED_RISK}.\n"
            ));
        }
        for a in self.actions.iter().filter(|a| a.warning.is_some()) {
            s.push_str(&format!(
                "\n**Warning:** {} (`{}`): {}\n",
                a.name.replace('|', "\\|"),
                a.global_id,
                a.warning.as_deref().unwrap_or_default()
            ));
        }
        for a in self.actions.iter().filter(|a| !a.changes.is_empty()) {
            s.push_str(&format!(
                "\n<details><summary>{} ({} change{})</summary>\n\n```\n",
                a.name,
                a.changes.len(),
                if a.changes.len() == 1 { "" } else { "s" }
            ));
            for c in &a.changes {
                s.push_str(&change_line(c));
                s.push('\n');
            }
            s.push_str("```\n</details>\n");
        }
        s
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 {
        format!("{}…", s.chars().take(119).collect::<String>())
    } else {
        s
    }
}

/// `~ /pointer: old → new`.
pub fn change_line(c: &PlanChange) -> String {
    let at = if c.path.is_empty() {
        &c.pointer
    } else {
        &c.path
    };
    if let Some(note) = &c.note {
        return format!("~ {at}: {note}");
    }
    match (&c.old, &c.new) {
        (Some(_), Some(n)) if c.kind == "moved" => format!("↕ {at}: {} (moved)", short(n)),
        (Some(o), Some(n)) => format!("~ {at}: {} → {}", short(o), short(n)),
        (None, Some(n)) => format!("+ {at}: {}", short(n)),
        (Some(o), None) => format!("- {at}: {}", short(o)),
        (None, None) => at.clone(),
    }
}

/// Reads a plan written by `meterctl plan -o`.
pub fn read_saved(path: &std::path::Path) -> Result<Plan, PromoteError> {
    let shown = || crate::fsutil::display(path).into_owned();
    let text = std::fs::read_to_string(path).map_err(|source| PromoteError::Read {
        path: shown(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| PromoteError::NotAPlan {
        path: shown(),
        source,
    })
}

/// Checks that a saved plan still holds: same format and environment, and every action the
/// same as in the fresh plan (else it is stale: it names what changed and where).
pub fn check_saved(saved: &Plan, fresh: &Plan) -> Result<(), PromoteError> {
    if saved.format_version != 1 {
        return Err(PromoteError::PlanVersion {
            version: saved.format_version,
        });
    }
    if saved.environment != fresh.environment {
        return Err(PromoteError::PlanEnvironment {
            saved: saved.environment.clone(),
            fresh: fresh.environment.clone(),
        });
    }
    let key = |p: &Plan| {
        p.actions
            .iter()
            .map(|a| {
                (
                    a.global_id.clone(),
                    (
                        a.action,
                        a.remote_fingerprint.clone(),
                        a.desired_digest.clone(),
                    ),
                )
            })
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let (s, f) = (key(saved), key(fresh));
    let mut stale: Vec<String> = Vec::new();
    for (gid, sv) in &s {
        match f.get(gid) {
            Some(fv) if fv == sv => {}
            Some(fv) if fv.1 != sv.1 => stale.push(format!("{gid} (changed in the tenant)")),
            Some(_) => stale.push(format!("{gid} (changed in the repository)")),
            None => stale.push(format!("{gid} (no longer in the plan)")),
        }
    }
    for gid in f.keys().filter(|g| !s.contains_key(*g)) {
        stale.push(format!("{gid} (new since the plan)"));
    }
    if !stale.is_empty() {
        return Err(PromoteError::StalePlan {
            stale,
            env: fresh.environment.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn normalize_strips_volatile_and_orders() {
        let v = json!({"updatedAt": 1, "name": "x", "id": 5, "globalId": "g", "latestVersionRunStatus": 0, "type": "CUSTOM"});
        assert_eq!(normalize(&v), json!({"name": "x", "type": "CUSTOM"}));
        assert_eq!(digest(&v), digest(&json!({"type": "CUSTOM", "name": "x"})));
        assert_ne!(digest(&v), digest(&json!({"name": "y"})));
        assert!(digest(&v).starts_with("sha256:") && digest(&v).len() == 71);
    }

    #[test]
    fn changes_come_from_the_semantic_diff_engine() {
        use crate::model::keys::PREDECESSORS;
        let meter = |id: &str, value: &str| {
            json!({"name": "m", "type": "CUSTOM", "latestVersion": "0.0.1", "versions": [{"version": "0.0.1", "tasks": [
                {"id": format!("{id}-src"), "name": "Source", "nodeType": "SOURCE", "operatorType": "LOCAL_FILE",
                 "metadata": {"schemaId": "usage", "schemaName": "usage"}, PREDECESSORS: []},
                {"id": format!("{id}-f"), "name": "Filter EU", "nodeType": "PROCESSOR", "operatorType": "FILTER",
                 "metadata": {"ruleCombiner": "and", "rules": [{"sourceField": "Region", "operator": "equal", "value": value}]},
                 PREDECESSORS: [{"id": format!("{id}-src")}]}
            ]}]})
        };
        // Other task ids (tenant-specific) are no change; one edited filter rule is one change.
        assert!(changes(&meter("a", "EU"), &meter("b", "EU")).is_empty());
        let c = changes(&meter("a", "EU"), &meter("b", "US"));
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].pointer, "/versions/0/tasks/1/metadata/rules/0/value");
        assert_eq!(
            change_line(&c[0]),
            "~ versions[0.0.1].tasks[\"Filter EU\"].metadata.rules[0].value: \"EU\" → \"US\""
        );
    }

    #[test]
    fn plan_json_shape() {
        let p = Plan::new(
            "production",
            vec![PlanAction {
                global_id: "g".into(),
                name: "N".into(),
                action: Action::Create,
                meter_id: None,
                file: Some("meters/n.yaml".into()),
                changes: vec![],
                remote_fingerprint: None,
                desired_digest: None,
                untracked: true,
                warning: None,
            }],
        );
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["format_version"], 1);
        assert_eq!(v["has_changes"], true);
        assert_eq!(v["actions"][0]["action"], "create");
        assert_eq!(v["actions"][0]["meter_id"], Value::Null);
        assert_eq!(v["actions"][0]["untracked"], true);
        let text = p.to_text(true);
        assert!(text.contains("+ create (untracked) N (g)"), "{text}");
        assert!(text.contains("1 meter(s) to create are not tracked in meterctl.lock"));
        let md = p.to_markdown(false);
        assert!(md.contains("| create (untracked) | N | `g` |"), "{md}");
        assert!(md.contains("**Warning:** 1 meter(s) to create are not tracked"));
    }
}
