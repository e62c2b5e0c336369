//! `--only GLOBAL_ID_OR_GLOB` (repeatable): the meters `plan`, `apply` and `pull` work on, like
//! Terraform's `-target`.
//!
//! A pattern without `*`, `?`, `[` or `{` names one globalId exactly; otherwise it is a glob
//! (`globset` syntax: `mtr-sms-*`, `mtr-{a,b}`). No pattern selects everything. A pattern that
//! matches no meter of the repository or the lock is an error that names it, so a typo never
//! plans (or applies) nothing in silence.

use super::error::PromoteError;
use globset::{Glob, GlobMatcher};

/// The meters chosen by `--only`.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    patterns: Vec<(String, Option<GlobMatcher>)>,
}

impl Selection {
    /// Everything.
    pub fn all() -> Selection {
        Selection::default()
    }

    /// The meters matching any of `patterns` (everything when there are none); a bad glob is an
    /// error naming it.
    pub fn new(patterns: &[String]) -> Result<Selection, PromoteError> {
        let mut out = Vec::new();
        for p in patterns {
            let glob = if p.contains(['*', '?', '[', '{']) {
                let g = Glob::new(p).map_err(|e| PromoteError::BadGlob {
                    pattern: p.clone(),
                    detail: e.to_string(),
                })?;
                Some(g.compile_matcher())
            } else {
                None
            };
            out.push((p.clone(), glob));
        }
        Ok(Selection { patterns: out })
    }

    /// Whether `--only` was given at all.
    pub fn is_all(&self) -> bool {
        self.patterns.is_empty()
    }

    fn hit(pattern: &(String, Option<GlobMatcher>), global_id: &str) -> bool {
        match &pattern.1 {
            Some(g) => g.is_match(global_id),
            None => pattern.0 == global_id,
        }
    }

    /// Whether the meter with this globalId is chosen.
    pub fn matches(&self, global_id: &str) -> bool {
        self.is_all() || self.patterns.iter().any(|p| Self::hit(p, global_id))
    }

    /// An error naming every pattern that matches none of `known` (the globalIds of the
    /// repository and of the environment's lock).
    pub fn check<'a>(
        &self,
        known: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Result<(), PromoteError> {
        let unmatched: Vec<String> = self
            .patterns
            .iter()
            .filter(|p| !known.clone().into_iter().any(|g| Self::hit(p, g)))
            .map(|p| p.0.clone())
            .collect();
        if !unmatched.is_empty() {
            return Err(PromoteError::UnmatchedOnly { unmatched });
        }
        Ok(())
    }
}

impl Selection {
    /// The globalIds of `known` that `--only` chooses, after [`Selection::check`]; none without
    /// `--only` (the caller's default stands).
    pub fn pick<'a>(
        &self,
        known: impl IntoIterator<Item = &'a String>,
    ) -> Result<Vec<String>, PromoteError> {
        if self.is_all() {
            return Ok(Vec::new());
        }
        let known: Vec<&String> = known.into_iter().collect();
        self.check(known.iter().map(|g| g.as_str()))?;
        Ok(known
            .into_iter()
            .filter(|g| self.matches(g))
            .cloned()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_ids_and_globs() {
        let s = Selection::new(&["mtr-a".into(), "mtr-sms-*".into()]).unwrap();
        assert!(s.matches("mtr-a") && s.matches("mtr-sms-eu"));
        assert!(!s.matches("mtr-ab") && !s.matches("mtr-b"));
        assert!(Selection::all().matches("anything"));
        assert!(s.check(["mtr-a", "mtr-sms-1"]).is_ok());
        let e = s.check(["mtr-a"]).unwrap_err().to_string();
        assert!(
            e.starts_with("--only \"mtr-sms-*\" matches no meter"),
            "{e}"
        );
        let known = [
            "mtr-a".to_string(),
            "mtr-sms-1".to_string(),
            "mtr-b".to_string(),
        ];
        assert_eq!(s.pick(&known).unwrap(), ["mtr-a", "mtr-sms-1"]);
        assert!(Selection::all().pick(&known).unwrap().is_empty());
        let e = Selection::new(&["mtr-[".into()]).unwrap_err().to_string();
        assert!(e.contains("not a valid glob"), "{e}");
    }
}
