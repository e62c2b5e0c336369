//! JSON Pointers (RFC 6901): how one reference token is escaped. A leaf module, so the YAML
//! reader and writer, the loader and the model build pointers the same way without importing
//! each other.

use std::borrow::Cow;

/// Escapes one reference token of a JSON Pointer (RFC 6901).
pub fn escape_token(token: &str) -> Cow<'_, str> {
    if token.contains(['~', '/']) {
        token.replace('~', "~0").replace('/', "~1").into()
    } else {
        token.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_tilde_before_slash() {
        assert_eq!(escape_token("a/b~c"), "a~1b~0c");
        assert!(matches!(escape_token("plain"), Cow::Borrowed("plain")));
    }
}
