//! The other meters of a repository, for the repository-wide rules (MC0120 unique `globalId`,
//! MC0121 unique `name`) when `validate` is given only some of its files (a pre-commit hook passes
//! the staged ones): a staged duplicate of a file that is not staged must still be found.
//!
//! Only `globalId` and `name` are read from the other files, the way `diff` pairs files
//! ([`MeterKeys::read`]): a fast partial parse, the full loader only when that fails. A file
//! that cannot be read or parsed is left out (it is not being validated); findings are reported
//! only on the given files ([`super::Validator::check_paths_among`]).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::fsutil::display;
use crate::load;
use crate::model::identity::MeterKeys;

/// A repository meter that was not given: where it is, and what the cross-file rules compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Other {
    /// The file, as shown to users.
    pub path: PathBuf,
    /// Its `globalId`, when a string.
    pub global_id: Option<String>,
    /// Its `name`, when a string.
    pub name: Option<String>,
}

/// For `validate FILE...`: the other meters of the repository at `root` (its meters folder
/// `meters_dir`), when at least one given file lies inside that repository; otherwise none.
pub fn for_files(root: &Path, meters_dir: &Path, given: &[PathBuf]) -> Vec<Other> {
    let Ok(root) = root.canonicalize() else {
        return Vec::new();
    };
    let inside = given
        .iter()
        .any(|p| p.canonicalize().is_ok_and(|p| p.starts_with(&root)));
    if inside {
        others(meters_dir, given)
    } else {
        Vec::new()
    }
}

/// The meters under `meters_dir` that are not among `given` (none when the folder is missing).
pub fn others(meters_dir: &Path, given: &[PathBuf]) -> Vec<Other> {
    if !meters_dir.is_dir() {
        return Vec::new();
    }
    let key = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let given: HashSet<PathBuf> = given.iter().map(|p| key(p)).collect();
    let Ok(files) = load::discover(&[meters_dir.to_path_buf()]) else {
        return Vec::new();
    };
    files
        .par_iter()
        .map(|f| (f, PathBuf::from(display(f).as_ref())))
        .filter(|(_, shown)| !given.contains(&key(shown)))
        .filter_map(|(file, path)| {
            let (bytes, format) = load::read_file(file).ok()?;
            let keys = MeterKeys::read(&path, bytes.into(), format).ok()?;
            Some(Other {
                path,
                global_id: keys.global_id,
                name: keys.name,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_identities_of_the_files_not_given() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("meters");
        std::fs::create_dir(&m).unwrap();
        std::fs::write(m.join("a.yaml"), "globalId: mtr-a\nname: A\n").unwrap();
        std::fs::write(m.join("b.json"), "{\"globalId\": \"mtr-b\", \"name\": 5}").unwrap();
        std::fs::write(m.join("broken.yaml"), "name: [").unwrap();
        let mut o = others(&m, &[m.join("a.yaml")]);
        o.sort_by(|x, y| x.path.cmp(&y.path));
        assert_eq!(o.len(), 1, "{o:?}");
        assert_eq!(o[0].global_id.as_deref(), Some("mtr-b"));
        assert_eq!(o[0].name, None);
        assert!(others(&dir.path().join("none"), &[]).is_empty());
        assert_eq!(for_files(dir.path(), &m, &[m.join("a.yaml")]).len(), 1);
        let elsewhere = tempfile::tempdir().unwrap();
        std::fs::write(elsewhere.path().join("c.yaml"), "globalId: mtr-b\n").unwrap();
        assert!(for_files(dir.path(), &m, &[elsewhere.path().join("c.yaml")]).is_empty());
    }
}
