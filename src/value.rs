//! JSON value helpers that more than one engine needs and that know nothing of meters: equality
//! with numbers compared by value (`21` equals `21.0`), as a test case and a lookup table, both
//! written by hand, expect.

use serde_json::Value;

/// Whether two values are equal with numbers compared by value (integers exactly, others as
/// floats) and containers member by member (object member order does not matter).
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::same;
    use serde_json::json;

    #[test]
    fn numbers_compare_by_value_and_members_in_any_order() {
        assert!(same(
            &json!({"q": 30, "a": [1.0]}),
            &json!({"a": [1], "q": 30.0})
        ));
        assert!(!same(&json!({"q": 30}), &json!({"q": "30"})));
        assert!(!same(&json!([1, 2]), &json!([2, 1])));
        assert!(!same(&json!({"q": 1}), &json!({"q": 1, "r": 2})));
    }
}
