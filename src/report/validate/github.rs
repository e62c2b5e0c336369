//! GitHub Actions workflow commands: `::error file=F,line=L,col=C,title=CODE::message`.

use std::io::{self, Write};

use crate::fsutil::display;
use crate::report::{workflow_data as escape_data, workflow_property as escape_property};
use crate::validate::FileReport;

/// One workflow command per diagnostic of one file.
pub(super) fn file(f: &FileReport, w: &mut dyn Write) -> io::Result<()> {
    for d in &f.diagnostics {
        let mut props = format!("file={}", escape_property(&display(&f.path)));
        if let Some(l) = d.line {
            props.push_str(&format!(",line={l}"));
        }
        if let Some(c) = d.column {
            props.push_str(&format!(",col={c}"));
        }
        props.push_str(&format!(",title={}", escape_property(d.code)));
        writeln!(
            w,
            "::{} {props}::{}",
            d.severity.as_str(),
            escape_data(&d.message)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::reports;
    use super::*;

    #[test]
    fn workflow_commands() {
        let (files, _) = reports();
        let mut out = Vec::new();
        for f in &files {
            file(f, &mut out).unwrap();
        }
        let out = String::from_utf8(out).unwrap();
        assert_eq!(
            out.lines().next().unwrap(),
            "::error file=meters/bad.yaml,line=3,col=9,title=MC0104::task \"Sink\" lists predecessor \"x\", but no task has that id"
        );
        assert!(out
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("::warning file=meters/bad.yaml,line=1,col=1,title=MC0011::"));
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
