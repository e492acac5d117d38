//! The model (`src/model/`) and the production reducer (`src/reducer/`) are two independent
//! readings of `spec/rules.md`. A misreading copied into both would agree with itself, and no
//! differential test, seeded defect or fuzz target could see it. So the two sides import nothing
//! from each other, and share no run of [`RUN_MIN`] or more identical lines (normalized: trimmed,
//! inner whitespace collapsed; comments, punctuation-only lines and lines that only name a field,
//! `thread_id,` in a pattern or a struct literal, dropped: a field's name is vocabulary) unless
//! the run is allow-listed below with a reason. What they may share is the vocabulary (`src/fact.rs`,
//! `src/event.rs`, `src/profile.rs`), which each reads in its own way.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The shortest shared run of normalized lines that counts as a copy.
const RUN_MIN: usize = 6;

/// Shared runs that are not rule logic, by their first normalized line and length, with the
/// reason. A run that grows is reported again.
const ALLOWED: &[(&str, usize, &str)] = &[
    (
        "review_count: summary.review_count,",
        6,
        "a tool-item event copies its item's summary field by field: the vocabulary's names",
    ),
    (
        "#[derive(Clone, Debug, PartialEq, Eq)]",
        11,
        "ThreadContext and RequestKind: state records named after `thread_bound`'s fields and the \
         three request facts; no logic",
    ),
    (
        "pub(crate) review_count: u64,",
        6,
        "the item summary's fields are the review fields of a tool-item event",
    ),
    (
        "review_count: 0,",
        6,
        "the empty summary (SUM-3, SUM-5) is the zero of each field; pinned by the vectors",
    ),
];

#[derive(Debug)]
struct Line {
    file: PathBuf,
    number: usize,
    text: String,
}

/// The normalized lines of the `.rs` files under `dir`, in path order.
fn normalized_lines(dir: &Path) -> Vec<Line> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("source folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "rs"))
        .collect();
    files.sort();
    files
        .into_iter()
        .flat_map(|file| {
            let text = std::fs::read_to_string(&file).expect("source file");
            normalize(&text)
                .into_iter()
                .map(|(number, text)| Line {
                    file: file.clone(),
                    number,
                    text,
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// One-based line numbers and normalized text of the lines of `source` that say something.
fn normalize(source: &str) -> Vec<(usize, String)> {
    source
        .lines()
        .enumerate()
        .map(|(index, line)| {
            (
                index + 1,
                line.split_whitespace().collect::<Vec<_>>().join(" "),
            )
        })
        .filter(|(_, line)| !line.starts_with("//"))
        .filter(|(_, line)| line.chars().any(char::is_alphanumeric))
        .filter(|(_, line)| !names_a_field(line))
        .collect()
}

/// `thread_id,`: a field named in a pattern or a struct literal (shorthand).
fn names_a_field(line: &str) -> bool {
    line.strip_suffix(',').is_some_and(|name| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    })
}

/// Maximal runs of at least [`RUN_MIN`] lines that occur in both `a` and `b`: (start in `a`,
/// start in `b`, length).
fn shared_runs(a: &[Line], b: &[Line]) -> Vec<(usize, usize, usize)> {
    let mut starts: HashMap<Vec<&str>, usize> = HashMap::new();
    for (index, window) in b.windows(RUN_MIN).enumerate() {
        let key: Vec<&str> = window.iter().map(|line| line.text.as_str()).collect();
        starts.entry(key).or_insert(index);
    }
    let mut runs = Vec::new();
    let mut index = 0;
    while index + RUN_MIN <= a.len() {
        let key: Vec<&str> = a[index..index + RUN_MIN]
            .iter()
            .map(|line| line.text.as_str())
            .collect();
        let Some(&start) = starts.get(&key) else {
            index += 1;
            continue;
        };
        let mut length = RUN_MIN;
        while index + length < a.len()
            && start + length < b.len()
            && a[index + length].text == b[start + length].text
        {
            length += 1;
        }
        runs.push((index, start, length));
        index += length;
    }
    runs
}

fn src(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(folder)
}

#[test]
fn model_and_reducer_import_nothing_from_each_other() {
    let mut problems = Vec::new();
    for (side, other) in [("model", "reducer"), ("reducer", "model")] {
        for line in normalized_lines(&src(side)) {
            let imports = [format!("crate::{other}"), format!("super::super::{other}")];
            if imports
                .iter()
                .any(|import| line.text.contains(import.as_str()))
            {
                problems.push(format!(
                    "{}:{}: {}",
                    line.file.display(),
                    line.number,
                    line.text
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "the two sides must stay independent:\n{}",
        problems.join("\n")
    );
}

#[test]
fn model_and_reducer_share_no_run_of_identical_lines() {
    let model = normalized_lines(&src("model"));
    let reducer = normalized_lines(&src("reducer"));
    let mut problems = Vec::new();
    for (in_model, in_reducer, length) in shared_runs(&model, &reducer) {
        let first = &model[in_model].text;
        if ALLOWED
            .iter()
            .any(|(allowed, allowed_length, _)| allowed == first && *allowed_length == length)
        {
            continue;
        }
        problems.push(format!(
            "{}:{} and {}:{}: {length} identical lines, from `{first}`",
            model[in_model].file.display(),
            model[in_model].number,
            reducer[in_reducer].file.display(),
            reducer[in_reducer].number,
        ));
    }
    assert!(
        problems.is_empty(),
        "the model and the reducer share code; rewrite one side in its own form, or allow-list \
         the run in tests/it/independence.rs with a reason:\n{}",
        problems.join("\n")
    );
}

#[test]
fn a_copied_rule_table_is_found() {
    let model = normalized_lines(&src("model"));
    let table: Vec<Line> = model
        .iter()
        .filter(|line| line.file.ends_with("dec.rs"))
        .map(|line| Line {
            file: PathBuf::from("copy.rs"),
            number: line.number,
            text: line.text.clone(),
        })
        .collect();
    let runs = shared_runs(&model, &table);
    assert!(
        runs.iter().any(|(_, _, length)| *length >= RUN_MIN),
        "a verbatim copy of the model's DEC table must be reported"
    );
}

/// The sibling files `file` imports (`super::name`, `super::{a, b}`), outside its tests.
fn sibling_imports(source: &str, siblings: &[String]) -> Vec<String> {
    let code = source
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or(source);
    let mut names = Vec::new();
    for (index, _) in code.match_indices("super::") {
        let rest = &code[index + "super::".len()..];
        let group = match rest.strip_prefix('{') {
            Some(braced) => braced.split('}').next().unwrap_or_default(),
            None => rest
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or_default(),
        };
        for part in group.split(',') {
            let name = part.trim().split("::").next().unwrap_or_default().trim();
            if siblings.iter().any(|sibling| sibling == name) && !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// A cycle among the files of `folder`, as `a -> b -> a`, if the imports have one.
fn import_cycle(folder: &Path) -> Option<String> {
    let mut files: Vec<String> = std::fs::read_dir(folder)
        .expect("source folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "rs"))
        .filter_map(|path| Some(path.file_stem()?.to_string_lossy().into_owned()))
        .filter(|name| name != "mod" && name != "tests")
        .collect();
    files.sort();
    let imports: HashMap<String, Vec<String>> = files
        .iter()
        .map(|name| {
            let source =
                std::fs::read_to_string(folder.join(format!("{name}.rs"))).expect("source file");
            let mut imported = sibling_imports(&source, &files);
            imported.retain(|other| other != name);
            (name.clone(), imported)
        })
        .collect();
    // Depth-first search for a back edge.
    fn visit(
        name: &str,
        imports: &HashMap<String, Vec<String>>,
        path: &mut Vec<String>,
        done: &mut Vec<String>,
    ) -> Option<String> {
        if let Some(start) = path.iter().position(|n| n == name) {
            let mut cycle = path[start..].to_vec();
            cycle.push(name.to_owned());
            return Some(cycle.join(" -> "));
        }
        if done.iter().any(|n| n == name) {
            return None;
        }
        path.push(name.to_owned());
        for next in imports.get(name).into_iter().flatten() {
            if let Some(cycle) = visit(next, imports, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.push(name.to_owned());
        None
    }
    let mut done = Vec::new();
    files
        .iter()
        .find_map(|name| visit(name, &imports, &mut Vec::new(), &mut done))
}

/// Each layer imports in one direction: the model's dispatch sits above its rule files, which
/// stand on its state; the generators go from values to scenarios to streams; the reducer's
/// dispatch above its handlers.
#[test]
fn no_source_folder_has_an_import_cycle() {
    let mut cycles = Vec::new();
    for folder in ["model", "reducer", "generators", "cli", "subject", "diff"] {
        if let Some(cycle) = import_cycle(&src(folder)) {
            cycles.push(format!("src/{folder}: {cycle}"));
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn an_import_cycle_is_found() {
    let files = ["a".to_owned(), "b".to_owned(), "c".to_owned()];
    assert_eq!(
        sibling_imports(
            "use super::b;\nuse super::{c, d};\nsuper::a::f();\n",
            &files
        ),
        ["b", "c", "a"]
    );
    assert_eq!(
        sibling_imports(
            "use super::b;\n#[cfg(test)]\nmod tests {\n use super::c;\n}\n",
            &files
        ),
        ["b"]
    );
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("a.rs"), "use super::b;\n").expect("a.rs");
    std::fs::write(dir.path().join("b.rs"), "use super::{c, mod};\n").expect("b.rs");
    std::fs::write(dir.path().join("c.rs"), "").expect("c.rs");
    assert_eq!(import_cycle(dir.path()), None);
    std::fs::write(dir.path().join("c.rs"), "use super::a::X;\n").expect("c.rs");
    assert_eq!(
        import_cycle(dir.path()).as_deref(),
        Some("a -> b -> c -> a")
    );
}
