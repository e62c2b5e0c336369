//! `meterctl meter summary` as an aligned table: one column per dimension, then OUTPUT and
//! ERRORS, with a total line when the rows do not overlap.

use serde_json::Value;

use crate::zuora::runs::scalar;

/// The summary as an aligned table: one column per dimension, then OUTPUT and ERRORS.
pub fn summary_table(group_by: &[String], data: &Value) -> String {
    let rows = data["output"].as_array().cloned().unwrap_or_default();
    let mut dims: Vec<String> = group_by.to_vec();
    // Dimensions Zuora returned that were not asked for (stay permissive).
    for r in &rows {
        for k in r["dimensions"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
        {
            if !dims.contains(k) {
                dims.push(k.clone());
            }
        }
    }
    let mut header: Vec<String> = dims.iter().map(|d| upper_snake(d)).collect();
    header.push("OUTPUT".into());
    header.push("ERRORS".into());
    let mut table = vec![header];
    let (mut total_out, mut total_err) = (0u64, 0u64);
    for r in &rows {
        let mut line: Vec<String> = dims
            .iter()
            .map(|d| match &r["dimensions"][d] {
                Value::Null => "-".into(),
                v => scalar(v),
            })
            .collect();
        total_out += r["output"].as_u64().unwrap_or(0);
        total_err += r["totalErrorCount"].as_u64().unwrap_or(0);
        line.push(scalar(&r["output"]));
        line.push(scalar(&r["totalErrorCount"]));
        table.push(line);
    }
    if rows.is_empty() {
        return "no runs match\n".into();
    }
    // Per-operator counts overlap (each record passes several operators): no total then.
    if !dims.is_empty() && rows.len() > 1 && !dims.iter().any(|d| d == "processorId") {
        let mut line = vec![String::new(); dims.len()];
        line[0] = "total".into();
        line.push(total_out.to_string());
        line.push(total_err.to_string());
        table.push(line);
    }
    let widths: Vec<usize> = (0..table[0].len())
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut s = String::new();
    for row in &table {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, v)| {
                if c + 2 >= row.len() {
                    format!("{v:>w$}", w = widths[c])
                } else {
                    format!("{v:<w$}", w = widths[c])
                }
            })
            .collect();
        s.push_str(cells.join("  ").trim_end());
        s.push('\n');
    }
    s
}

fn upper_snake(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_uppercase() && !out.is_empty() {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_aligns_and_totals() {
        let data = json!({"output": [
            {"dimensions": {"sessionId": "R-000001"}, "output": 10, "totalErrorCount": 0},
            {"dimensions": {"sessionId": "R-000002"}, "output": 7, "totalErrorCount": 3}
        ]});
        let t = summary_table(&["sessionId".into()], &data);
        assert_eq!(
            t,
            "SESSION_ID  OUTPUT  ERRORS\nR-000001        10       0\nR-000002         7       3\ntotal           17       3\n"
        );
        assert_eq!(
            summary_table(&[], &json!({"output": []})),
            "no runs match\n"
        );
    }
}
