//! The layering test: library modules import only downwards, engines do not import each other,
//! nothing in the library imports the sandbox, and no two submodules of a module import each
//! other round a cycle.
//!
//! It reads every `src/**/*.rs`, blanks comments and string literals, drops `#[cfg(test)]`
//! modules, and collects each `crate::…` and `super::…` path (a `use crate::{a, b::c}` group
//! counts each member). A failure names the file, the line and the edge, e.g.
//! `src/load/mod.rs:12: load → config (upward)`; the layer order is [`LAYERS`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may import its own layer's modules (except engines) and
/// any lower layer.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "leaf",
        &[
            "diagnostic",
            "fsutil",
            "pointer",
            "duration",
            "clock",
            "progress",
            "value",
            "yaml",
        ],
    ),
    ("load", &["load"]),
    ("model", &["model"]),
    ("canonical", &["canonical"]),
    ("engine", &["validate", "diff", "events", "simulate"]),
    ("client", &["config", "settings", "zuora", "cases"]),
    ("promote", &["promote"]),
    ("report", &["report"]),
    // Below: not the library. The sandbox may import the library; nothing there imports it.
    ("sandbox", &["sandbox"]),
    // The binary may import anything.
    ("binary", &["main", "cli", "cmd", "shell"]),
];

/// Edges that break a rule and are known: `(file, "from → to")`.
const ALLOWED: &[(&str, &str)] = &[];

/// The sandbox's index in [`LAYERS`]: every layer below it is the library.
const SANDBOX: usize = 8;

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

/// A source file: its module path (`["diff", "walk"]`; `[]` for `lib.rs`) and the code with
/// comments, strings and test modules blanked (line breaks kept).
struct Source {
    path: String,
    module: Vec<String>,
    code: String,
}

fn sources(root: &Path) -> Vec<Source> {
    let mut files = Vec::new();
    collect(&root.join("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let rel = file.strip_prefix(root).unwrap();
            let mut module: Vec<String> = rel
                .strip_prefix("src")
                .unwrap()
                .with_extension("")
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            let text = std::fs::read_to_string(&file).unwrap();
            Source {
                path: rel.to_string_lossy().replace('\\', "/"),
                module,
                code: drop_test_modules(&blank(&text)),
            }
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Replaces comments and the contents of string and char literals by spaces, keeping newlines.
fn blank(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let keep_newline = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(keep_newline(b[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && matches!(next, Some('"' | '#'))
            && (i == 0 || !(b[i - 1].is_alphanumeric() || b[i - 1] == '_'))
        {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            while b.get(j) == Some(&'#') {
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let hashes = j - i - 1;
            j += 1;
            while j < b.len() {
                if b[j] == '"' && (1..=hashes).all(|k| b.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.extend(b[i..j.min(b.len())].iter().map(|&c| keep_newline(c)));
            i = j;
        } else if c == '"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != '"' {
                j += if b[j] == '\\' { 2 } else { 1 };
            }
            j = (j + 1).min(b.len());
            out.extend(b[i..j].iter().map(|&c| keep_newline(c)));
            i = j;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{1F600}'), or a lifetime ('a).
            let end = if next == Some('\\') {
                (i + 2..b.len()).find(|&j| b[j] == '\'')
            } else if b.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(end) => {
                    out.extend(std::iter::repeat_n(' ', end + 1 - i));
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Blanks every `#[cfg(test)] mod name { … }` (braces balance once strings are blanked).
fn drop_test_modules(code: &str) -> String {
    let mut out = code.to_string();
    let mut from = 0;
    while let Some(at) = out[from..].find("#[cfg(test)]").map(|p| p + from) {
        let rest = &out[at + "#[cfg(test)]".len()..];
        let item = rest.trim_start();
        let start = out.len() - item.len();
        from = start;
        let item = item.strip_prefix("pub ").unwrap_or(item);
        if !item.starts_with("mod ") {
            continue;
        }
        let Some(open) = out[start..].find(['{', ';']).map(|p| p + start) else {
            break;
        };
        if out.as_bytes()[open] == b';' {
            continue;
        }
        let mut depth = 0;
        let mut end = out.len();
        for (k, ch) in out[open..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + k + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        let blanked: String = out[at..end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        out.replace_range(at..end, &blanked);
        from = end;
    }
    out
}

/// One reference: the line and the module path it names (as far as modules go).
struct Reference {
    line: usize,
    target: Vec<String>,
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Reads a path after `at` (`a::b::{c, d::e}`), calling `f` with the segments of each path.
fn read_paths(code: &str, at: usize, prefix: Vec<String>, f: &mut dyn FnMut(Vec<String>)) {
    let rest = &code[at..];
    let rest_trim = rest.trim_start();
    if let Some(group) = rest_trim.strip_prefix('{') {
        let base = code.len() - group.len();
        // Split the group at top-level commas.
        let mut depth = 0;
        let mut item_start = base;
        for (k, ch) in group.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    read_paths(code, item_start, prefix.clone(), f);
                    return;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    read_paths(code, item_start, prefix.clone(), f);
                    item_start = base + k + 1;
                }
                _ => {}
            }
        }
        return;
    }
    let word: String = rest_trim.chars().take_while(|&c| is_ident(c)).collect();
    if word.is_empty() || word == "self" {
        if !prefix.is_empty() {
            f(prefix);
        }
        return;
    }
    let mut path = prefix;
    path.push(word.clone());
    let after = code.len() - rest_trim.len() + word.len();
    match code[after..].strip_prefix("::") {
        Some(_) => read_paths(code, after + 2, path, f),
        None => f(path),
    }
}

fn references(src: &Source) -> Vec<Reference> {
    let code = &src.code;
    let line_of = |pos: usize| code[..pos].matches('\n').count() + 1;
    let mut out = Vec::new();
    for (pos, _) in code.match_indices("crate::") {
        if pos > 0 && is_ident(code[..pos].chars().next_back().unwrap()) {
            continue;
        }
        read_paths(code, pos + "crate::".len(), Vec::new(), &mut |target| {
            out.push(Reference {
                line: line_of(pos),
                target,
            })
        });
    }
    let mut pos = 0;
    while let Some(found) = code[pos..].find("super::").map(|p| p + pos) {
        pos = found + "super::".len();
        if found > 0 && is_ident(code[..found].chars().next_back().unwrap()) {
            continue;
        }
        if code[..found].ends_with("super::") {
            continue; // counted from the first `super::` of the chain
        }
        // `super::super::x`: climb once per `super`.
        let mut base = src.module.clone();
        base.pop();
        let mut at = pos;
        while code[at..].starts_with("super::") {
            base.pop();
            at += "super::".len();
        }
        read_paths(code, at, base, &mut |target| {
            out.push(Reference {
                line: line_of(found),
                target,
            })
        });
    }
    out
}

/// The longest prefix of `path` that is a module file under `src/`.
fn module_prefix(root: &Path, path: &[String]) -> Vec<String> {
    let mut best = Vec::new();
    for n in 1..=path.len() {
        let rel: PathBuf = path[..n].iter().collect();
        let dir = root.join("src").join(&rel);
        if dir.with_extension("rs").is_file() || dir.join("mod.rs").is_file() {
            best = path[..n].to_vec();
        } else {
            break;
        }
    }
    best
}

/// The cycles of a directed graph (its strongly connected components of two or more nodes).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = edges
        .iter()
        .flat_map(|(a, bs)| std::iter::once(a).chain(bs))
        .collect();
    let reach = |from: &String| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(n) = stack.pop() {
            for m in edges.get(&n).into_iter().flatten() {
                if seen.insert(m.clone()) {
                    stack.push(m.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&String, BTreeSet<String>> =
        nodes.iter().map(|&n| (n, reach(n))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for &n in &nodes {
        if done.contains(n) || !reachable[n].contains(n) {
            continue;
        }
        let scc: Vec<String> = nodes
            .iter()
            .filter(|&&m| reachable[n].contains(m) && reachable[m].contains(n))
            .map(|m| m.to_string())
            .collect();
        done.extend(scc.iter().cloned());
        out.push(scc);
    }
    out
}

/// Every broken rule, one line each.
fn violations(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut top_edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut sub_edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for src in sources(root) {
        let Some(from) = src.module.first().cloned() else {
            continue; // lib.rs only declares the modules
        };
        let Some(from_layer) = layer_of(&from) else {
            out.push(format!(
                "{}: module `{from}` is in no layer: add it to LAYERS in tests/layers.rs",
                src.path
            ));
            continue;
        };
        for r in references(&src) {
            let target = module_prefix(root, &r.target);
            let Some(to) = target.first().cloned() else {
                continue; // an item of the crate root
            };
            if to != from {
                let edge = format!("{from} → {to}");
                if ALLOWED.contains(&(src.path.as_str(), edge.as_str())) {
                    continue;
                }
                let why = match layer_of(&to) {
                    None => Some("not in a layer"),
                    Some(_) if to == "sandbox" && from != "sandbox" && from_layer < SANDBOX => {
                        Some("the library imports the sandbox")
                    }
                    Some(l) if l > from_layer => Some("upward"),
                    Some(l) if l == from_layer && LAYERS[l].0 == "engine" => {
                        Some("engine imports engine")
                    }
                    _ => None,
                };
                if let Some(why) = why {
                    out.push(format!("{}:{}: {edge} ({why})", src.path, r.line));
                }
                if from_layer < SANDBOX {
                    top_edges.entry(from.clone()).or_default().insert(to);
                }
            } else if src.module.len() >= 2 && target.len() >= 2 && src.module[1] != target[1] {
                sub_edges
                    .entry(src.module[..2].join("::"))
                    .or_default()
                    .insert(target[..2].join("::"));
            }
        }
    }
    out.dedup();
    for cycle in cycles(&top_edges).into_iter().chain(cycles(&sub_edges)) {
        out.push(format!("cycle: {}", cycle.join(" ↔ ")));
    }
    out
}

#[test]
fn library_layers_import_only_downwards_and_without_cycles() {
    let found = violations(Path::new(env!("CARGO_MANIFEST_DIR")));
    assert!(
        found.is_empty(),
        "{} layering violation(s) (layer order in tests/layers.rs):\n{}",
        found.len(),
        found.join("\n")
    );
}

/// The library's errors are typed (`thiserror`, an enum per layer: `ConfigError`, `ZuoraError`
/// and `RunError`, `CompareError`, `PromoteError`, ...); `anyhow` belongs to the binary, for the
/// top level and the exit code.
#[test]
fn the_library_does_not_use_anyhow() {
    let binary = |m: &[String]| {
        matches!(
            m.first().map(String::as_str),
            Some("main" | "cli" | "cmd" | "shell")
        )
    };
    let found: Vec<String> = sources(Path::new(env!("CARGO_MANIFEST_DIR")))
        .into_iter()
        .filter(|s| !binary(&s.module) && s.code.contains("anyhow"))
        .map(|s| s.path)
        .collect();
    assert!(
        found.is_empty(),
        "library files using anyhow (return a typed error instead): {found:?}"
    );
}

/// The model is the one place that names a meter's keys: everything else reads a task's
/// predecessors through `model::keys::PREDECESSORS` or `model::graph` (tests included).
#[test]
fn only_the_model_spells_predecessors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect(&root.join("src"), &mut files);
    let found: Vec<String> = files
        .iter()
        .filter(|f| !f.starts_with(root.join("src/model")))
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .contains("\"predecessors\"")
        })
        .map(|f| f.strip_prefix(root).unwrap().display().to_string())
        .collect();
    assert!(
        found.is_empty(),
        "files outside src/model/ that spell \"predecessors\" (use model::keys::PREDECESSORS or model::graph): {found:?}"
    );
}

#[test]
fn the_reader_sees_paths_not_comments_strings_or_tests() {
    let src = Source {
        path: "src/diff/walk.rs".into(),
        module: vec!["diff".into(), "walk".into()],
        code: drop_test_modules(&blank(
            "use crate::{load::{self, Document}, model};\n\
             // crate::config\n\
             let s = \"crate::zuora\"; let c = '\"'; fn f<'a>() {}\n\
             use super::tasks::X;\n\
             #[cfg(test)]\nmod tests { use crate::sandbox; }\n\
             crate::report::x();\n",
        )),
    };
    let got: Vec<(usize, String)> = references(&src)
        .into_iter()
        .map(|r| (r.line, r.target.join("::")))
        .collect();
    assert_eq!(
        got,
        [
            (1, "load".to_string()),
            (1, "load::Document".to_string()),
            (1, "model".to_string()),
            (7, "report::x".to_string()),
            (4, "diff::tasks::X".to_string()),
        ]
    );
}

#[test]
fn an_upward_import_an_engine_edge_and_a_cycle_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "src/lib.rs",
        "pub mod config;\npub mod diff;\npub mod load;\n",
    );
    write("src/config.rs", "use crate::load::Format;\n");
    write("src/load/mod.rs", "//! x\n\nuse crate::config::FILE;\n");
    write("src/diff/mod.rs", "mod a;\nmod b;\n");
    write(
        "src/diff/a.rs",
        "use super::b::B;\nuse crate::validate::X;\n",
    );
    write("src/diff/b.rs", "use super::{a::A, Z};\n");
    write("src/validate.rs", "pub struct X;\n");
    write("src/mystery.rs", "\n");
    assert_eq!(
        violations(dir.path()),
        [
            "src/diff/a.rs:2: diff → validate (engine imports engine)",
            "src/load/mod.rs:3: load → config (upward)",
            "src/mystery.rs: module `mystery` is in no layer: add it to LAYERS in tests/layers.rs",
            "cycle: config ↔ load",
            "cycle: diff::a ↔ diff::b",
        ]
    );
}

#[test]
fn the_sandbox_index_is_right() {
    assert_eq!(LAYERS[SANDBOX].0, "sandbox");
}

#[test]
fn cycles_are_found() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (a, b) in [("a", "b"), ("b", "a"), ("b", "c")] {
        edges.entry(a.into()).or_default().insert(b.into());
    }
    assert_eq!(cycles(&edges), [["a", "b"]]);
}
