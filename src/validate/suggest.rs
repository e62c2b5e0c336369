//! Closest matches, shared by the schema check and the rules (which must not import each other
//! round a cycle): the known key nearest a misspelt one, an edit distance, and the `anyOf`/`oneOf`
//! branch of a JSON Schema error that came closest.

use jsonschema::error::ValidationErrorKind;
use jsonschema::ValidationError;

/// The most specific error inside an `anyOf`/`oneOf` failure (following best branches down).
pub(crate) fn most_specific<'a, 'b>(e: &'a ValidationError<'b>) -> &'a ValidationError<'b> {
    match e.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            match best_branch(context).and_then(|b| b.first()) {
                Some(inner) => most_specific(inner),
                None => e,
            }
        }
        _ => e,
    }
}

/// The `anyOf`/`oneOf` branch that came closest: fewest errors, then the deepest error.
pub(crate) fn best_branch<'a>(
    context: &'a [Vec<ValidationError<'static>>],
) -> Option<&'a Vec<ValidationError<'static>>> {
    context.iter().filter(|b| !b.is_empty()).min_by_key(|b| {
        let depth = b
            .iter()
            .map(|e| e.instance_path().to_string().matches('/').count())
            .max()
            .unwrap_or(0);
        (b.len(), usize::MAX - depth)
    })
}

/// The closest known key within edit distance 2.
pub(crate) fn suggest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(&key.to_lowercase(), &k.to_lowercase()), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
