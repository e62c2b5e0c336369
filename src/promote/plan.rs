//! The plan: per meter, what `apply` would do to one environment, and why.
//!
//! Each repository definition is rendered for the environment and compared with the tenant's
//! export of the tracked meter, both normalised ([`normalize`]: volatile fields stripped,
//! canonical key order). A meter is `create` (not tracked in the environment's lock, or the
//! tracked id no longer exists), `update` (with its changes), `unchanged`, or `orphaned`
//! (tracked, but no repository file holds its globalId; never deleted). A saved plan carries a
//! fingerprint of each remote definition and a digest of each rendered one, so `apply` can refuse
//! a plan the world has moved away from.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::load::locate::escape_token;

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
    VOLATILE.contains(&key) || key.contains("RunStatus")
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
    /// `changed`, `added` or `removed`.
    pub kind: String,
    /// Where (RFC 6901).
    pub pointer: String,
    /// The tenant's value (absent when added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    /// The repository's value (absent when removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
}

/// The changes that turn `remote` into `desired` (both normalised).
//
// This is the one boundary with the semantic diff engine (issue 4, `src/diff/`, on its own branch
// now): until it is merged this is a plain structural diff, leaf by leaf, arrays by position. After
// the merge, replace this body with a call to the engine (identity-aware list matching: tasks by
// name, versions by version, ...) and map its changes to `PlanChange`; nothing else depends on how
// the changes are found.
pub fn changes(remote: &Value, desired: &Value) -> Vec<PlanChange> {
    let mut out = Vec::new();
    walk(remote, desired, &mut String::new(), &mut out);
    out
}

fn walk(old: &Value, new: &Value, ptr: &mut String, out: &mut Vec<PlanChange>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, av) in a {
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&escape_token(k));
                match b.get(k) {
                    Some(bv) => walk(av, bv, ptr, out),
                    None => out.push(PlanChange {
                        kind: "removed".into(),
                        pointer: ptr.clone(),
                        old: Some(av.clone()),
                        new: None,
                    }),
                }
                ptr.truncate(len);
            }
            for (k, bv) in b {
                if !a.contains_key(k) {
                    out.push(PlanChange {
                        kind: "added".into(),
                        pointer: format!("{ptr}/{}", escape_token(k)),
                        old: None,
                        new: Some(bv.clone()),
                    });
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                let len = ptr.len();
                ptr.push_str(&format!("/{i}"));
                match (a.get(i), b.get(i)) {
                    (Some(x), Some(y)) => walk(x, y, ptr, out),
                    (Some(x), None) => out.push(PlanChange {
                        kind: "removed".into(),
                        pointer: ptr.clone(),
                        old: Some(x.clone()),
                        new: None,
                    }),
                    (None, Some(y)) => out.push(PlanChange {
                        kind: "added".into(),
                        pointer: ptr.clone(),
                        old: None,
                        new: Some(y.clone()),
                    }),
                    (None, None) => {}
                }
                ptr.truncate(len);
            }
        }
        (a, b) if a != b => out.push(PlanChange {
            kind: "changed".into(),
            pointer: ptr.clone(),
            old: Some(a.clone()),
            new: Some(b.clone()),
        }),
        _ => {}
    }
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
                a.action.as_str(),
                a.name,
                a.global_id
            ));
            for c in &a.changes {
                s.push_str(&format!("      {}\n", change_line(c)));
            }
            if a.action == Action::Orphaned {
                s.push_str("      tracked in meterctl.lock but no file has this globalId; left alone (nothing is deleted)\n");
            }
        }
        s.push_str(&format!("{}\n", self.summary()));
        s
    }

    /// The plan as a Markdown comment for a pull request.
    pub fn to_markdown(&self) -> String {
        let mut s = format!(
            "### meterctl plan: `{}`\n\n{}\n\n| action | meter | globalId | meter id |\n| --- | --- | --- | --- |\n",
            self.environment,
            self.summary()
        );
        for a in &self.actions {
            s.push_str(&format!(
                "| {} | {} | `{}` | {} |\n",
                a.action.as_str(),
                a.name.replace('|', "\\|"),
                a.global_id,
                a.meter_id.as_deref().unwrap_or("")
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
    match (&c.old, &c.new) {
        (Some(o), Some(n)) => format!("~ {}: {} → {}", c.pointer, short(o), short(n)),
        (None, Some(n)) => format!("+ {}: {}", c.pointer, short(n)),
        (Some(o), None) => format!("- {}: {}", c.pointer, short(o)),
        (None, None) => c.pointer.clone(),
    }
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
    fn changes_are_leaf_level_with_pointers() {
        let a = json!({"name": "x", "v": [{"s": {"a": 1, "b/c": 2}}, 3], "gone": true});
        let b = json!({"name": "x", "v": [{"s": {"a": 2, "b/c": 2}}], "new": null});
        let c = changes(&a, &b);
        let lines: Vec<String> = c.iter().map(change_line).collect();
        assert_eq!(
            lines,
            [
                "~ /v/0/s/a: 1 → 2",
                "- /v/1: 3",
                "- /gone: true",
                "+ /new: null"
            ]
        );
        assert!(changes(&a, &a).is_empty());
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
            }],
        );
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["format_version"], 1);
        assert_eq!(v["has_changes"], true);
        assert_eq!(v["actions"][0]["action"], "create");
        assert_eq!(v["actions"][0]["meter_id"], Value::Null);
        assert!(p.to_text(true).contains("+ create    N (g)"));
        assert!(p.to_markdown().contains("| create | N | `g` |"));
    }
}
