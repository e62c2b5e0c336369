//! Which meter a case tests: the one beside it (`NAME.test.yaml` next to `NAME.yaml`,
//! `NAME.yml` or `NAME.json`), or the one its `meter:` names: a path relative to the case, else a
//! globalId, else a name, searched in the case's folder, the folder above a `tests/` folder that
//! holds the case, and the search roots the run was given. Meter files are read once per run.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::load;
use crate::model::keys;

/// The meters of a run, loaded on demand and kept (by path).
#[derive(Default)]
pub(super) struct Meters {
    roots: Vec<PathBuf>,
    /// Meter files found under each folder searched.
    listed: HashMap<PathBuf, Vec<PathBuf>>,
    /// Loaded meters (or why one does not load).
    loaded: HashMap<PathBuf, Result<Value, String>>,
}

/// What a case's meter resolved to.
pub(super) struct Found<'a> {
    pub path: PathBuf,
    pub value: &'a Value,
}

impl Meters {
    /// Searches `roots` (folders; files are ignored) besides each case's own folders.
    pub fn new(roots: &[PathBuf]) -> Meters {
        Meters {
            roots: roots.iter().filter(|p| p.is_dir()).cloned().collect(),
            ..Meters::default()
        }
    }

    fn load(&mut self, path: &Path) -> Result<&Value, String> {
        self.loaded
            .entry(path.to_path_buf())
            .or_insert_with(|| {
                load::load_file(path)
                    .map(|d| d.value)
                    .map_err(|d| format!("the meter does not load: {d}"))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    fn files_under(&mut self, dir: &Path) -> &[PathBuf] {
        self.listed
            .entry(dir.to_path_buf())
            .or_insert_with(|| load::discover(&[dir.to_path_buf()]).unwrap_or_default())
    }

    /// The meter of the case at `case` (`meter:` as written, if any).
    pub fn resolve(&mut self, case: &Path, meter: Option<&str>) -> Result<Found<'_>, String> {
        let dir = case.parent().unwrap_or(Path::new("")).to_path_buf();
        let Some(wanted) = meter else {
            let path = beside(case).ok_or_else(|| {
                format!(
                    "the case names no meter and none is beside it; add `meter:` (a globalId or name), or name the case NAME.test.yaml next to NAME.yaml{}",
                    stem(case).map(|s| format!(" (here {s}.yaml)")).unwrap_or_default()
                )
            })?;
            let value = self.load(&path)?;
            return Ok(Found { path, value });
        };
        // A path relative to the case.
        let as_path = dir.join(wanted);
        if load::Format::from_path(&as_path).is_some() && as_path.is_file() {
            let value = self.load(&as_path)?;
            return Ok(Found {
                path: as_path,
                value,
            });
        }
        let folder = |p: &Path| {
            if p.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                p.to_path_buf()
            }
        };
        let mut folders = vec![folder(&dir)];
        if let Some(above) = dir
            .ancestors()
            .find(|a| a.file_name().is_some_and(|n| n == "tests"))
            .and_then(Path::parent)
        {
            folders.push(folder(above));
        }
        for r in &self.roots {
            if !folders.contains(r) {
                folders.push(r.clone());
            }
        }
        let mut files: Vec<PathBuf> = Vec::new();
        for f in &folders {
            files.extend(self.files_under(f).iter().cloned());
        }
        // One file reached from two folders ("meters/a.yaml" from the `meters` root, "./meters/a.yaml"
        // from the case's repository folder) is one meter.
        files.sort();
        let mut seen = HashSet::new();
        files.retain(|f| seen.insert(f.canonicalize().unwrap_or_else(|_| f.clone())));
        let mut by_id = Vec::new();
        let mut by_name = Vec::new();
        for f in files {
            let Ok(v) = self.load(&f) else { continue };
            if v.get(keys::GLOBAL_ID).and_then(Value::as_str) == Some(wanted) {
                by_id.push(f);
            } else if v.get(keys::NAME).and_then(Value::as_str) == Some(wanted) {
                by_name.push(f);
            }
        }
        let hits = if by_id.is_empty() { by_name } else { by_id };
        match hits.as_slice() {
            [one] => {
                let path = one.clone();
                let value = self.load(&path)?;
                Ok(Found { path, value })
            }
            [] => Err(format!(
                "no meter with globalId or name {wanted:?} in {}; check `meter:`, or give the meters' folder as a path",
                folders
                    .iter()
                    .map(|f| crate::fsutil::display(f).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            many => Err(format!(
                "{} meters are called {wanted:?} ({}); name the meter by globalId or by path",
                many.len(),
                many.iter()
                    .map(|p| crate::fsutil::display(p).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// `NAME` of `NAME.test.yaml`.
fn stem(case: &Path) -> Option<&str> {
    let name = case.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    [".test.yaml", ".test.yml"]
        .iter()
        .find(|s| lower.ends_with(*s))
        .map(|s| &name[..name.len() - s.len()])
}

/// The meter file beside a case: `NAME.yaml`, `NAME.yml` or `NAME.json` for `NAME.test.yaml`.
pub(super) fn beside(case: &Path) -> Option<PathBuf> {
    let stem = stem(case)?;
    let dir = case.parent().unwrap_or(Path::new(""));
    ["yaml", "yml", "json"]
        .iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_meter_beside_by_id_by_name_and_above_tests() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("meters/tests")).unwrap();
        std::fs::write(root.join("meters/a.yaml"), "globalId: mtr-a\nname: A\n").unwrap();
        std::fs::write(
            root.join("meters/b.json"),
            r#"{"globalId": "mtr-b", "name": "B"}"#,
        )
        .unwrap();
        let mut m = Meters::new(&[]);
        let case = root.join("meters/a.test.yaml");
        assert_eq!(
            m.resolve(&case, None).unwrap().path,
            root.join("meters/a.yaml")
        );
        let case = root.join("meters/b.test.yaml");
        assert_eq!(
            m.resolve(&case, None).unwrap().path,
            root.join("meters/b.json")
        );
        let case = root.join("meters/c.test.yaml");
        let e = m.resolve(&case, None).err().unwrap();
        assert!(e.contains("(here c.yaml)"), "{e}");
        let case = root.join("meters/tests/x.test.yaml");
        assert_eq!(m.resolve(&case, Some("mtr-b")).unwrap().value["name"], "B");
        assert_eq!(
            m.resolve(&case, Some("A")).unwrap().value["globalId"],
            "mtr-a"
        );
        assert_eq!(
            m.resolve(&case, Some("../a.yaml")).unwrap().path,
            root.join("meters/tests/../a.yaml")
        );
        // The same file reached from two folders (a root spelled another way) is one meter.
        let mut m = Meters::new(&[root.join("meters/tests/..")]);
        assert_eq!(m.resolve(&case, Some("mtr-a")).unwrap().value["name"], "A");
        let e = m.resolve(&case, Some("mtr-zz")).err().unwrap();
        assert!(
            e.starts_with("no meter with globalId or name \"mtr-zz\""),
            "{e}"
        );
    }
}
