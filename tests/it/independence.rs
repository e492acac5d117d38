//! The walls between the floors. Cargo keeps the imports: each crate can use only what its
//! manifest names, and [`the_walls_hold`] checks, with `cargo tree`, that no manifest names what
//! its floor must not stand on (the reducer and the model stand on the vocabulary alone; nothing
//! below the tool reaches clap or indicatif). What Cargo cannot see is code copied from one side
//! to the other: the model (`crates/model`) and the production reducer (`crates/reducer`) are two
//! independent readings of `spec/rules.md`, and a misreading copied into both would agree with
//! itself, so no differential test, seeded defect or fuzz target could see it. So the two share
//! no run of [`RUN_MIN`] or more identical lines (normalized: trimmed, inner whitespace
//! collapsed; comments, punctuation-only lines and lines that only name a field, `thread_id,` in
//! a pattern or a struct literal, dropped: a field's name is vocabulary), and neither shares one
//! with the vocabulary (`crates/vocab`), unless the whole run is allow-listed below with a reason.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The shortest shared run of normalized lines that counts as a copy.
const RUN_MIN: usize = 6;

/// Shared runs that are not rule logic: the pair of floors, every normalized line of the run,
/// and the reason. A run that changes in any line, or grows, is reported again.
/// None today: the three floors share no run.
const ALLOWED: &[(&str, &[&str], &str)] = &[];

#[derive(Debug)]
struct Line {
    file: PathBuf,
    number: usize,
    text: String,
}

/// The `.rs` files under `dir`, in its subfolders too (the reducer's `state/` and `table/`, the
/// vocabulary's `fact/` and `trace/`, every `tests/`), in path order.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("source folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The normalized lines of the `.rs` files under `dir` ([`rust_files`]), in path order.
fn normalized_lines(dir: &Path) -> Vec<Line> {
    rust_files(dir)
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

/// The source folder of a floor of the workspace: `vocab`, `model`, `reducer`, `generators`
/// (each under `crates/`), `harness` (the root package's `src/`), or a folder of it.
fn src(folder: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    match folder {
        "vocab" | "model" | "reducer" | "generators" => {
            root.join("crates").join(folder).join("src")
        }
        "harness" => root.join("src"),
        _ => root.join("src").join(folder),
    }
}

/// The packages `package` depends on, through every kind of dependency (normal, build and
/// dev), as `cargo tree` lists them.
fn dependencies(package: &str, features: &[&str]) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = std::process::Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "-p",
            package,
            "--prefix",
            "none",
        ])
        .args(["--format", "{p}"])
        .args(features)
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut names: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// What each floor must not stand on: its manifest, and everything below it, names none of these.
const WALLS: &[(&str, &[&str], &[&str])] = &[
    (
        "review-spec-vocab",
        &["--all-features"],
        &[
            "review-spec-model",
            "review-spec-reducer",
            "review-spec-generators",
            "review-spec",
            "proptest",
            "clap",
            "indicatif",
        ],
    ),
    (
        "review-spec-model",
        &["--all-features"],
        &[
            "review-spec-reducer",
            "review-spec-generators",
            "review-spec",
            "proptest",
            "clap",
            "indicatif",
        ],
    ),
    (
        "review-spec-reducer",
        &["--all-features"],
        &[
            "review-spec-model",
            "review-spec-generators",
            "review-spec",
            "proptest",
            "clap",
            "indicatif",
        ],
    ),
    (
        "review-spec-generators",
        &["--all-features"],
        &[
            "review-spec-model",
            "review-spec-reducer",
            "review-spec",
            "clap",
            "indicatif",
        ],
    ),
    // The harness as a library, without the tool's `cli` feature (its dev-dependencies, the
    // benchmarks' criterion among them, are the tool's business).
    (
        "review-spec",
        &["--no-default-features", "-e", "normal,build"],
        &["clap", "indicatif"],
    ),
];

#[test]
fn the_walls_hold() {
    let mut problems = Vec::new();
    for (package, features, forbidden) in WALLS {
        let below = dependencies(package, features);
        assert!(
            below.iter().any(|name| name == package),
            "{package}: not in its own tree"
        );
        for name in *forbidden {
            if below.iter().any(|below| below == name) {
                problems.push(format!("{package} depends on {name}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "a wall is breached:\n{}",
        problems.join("\n")
    );
}

#[test]
fn a_breached_wall_is_found() {
    // The harness stands on every floor: the check that keeps the reducer off the model would
    // find the model below the harness.
    let below = dependencies("review-spec", &["--all-features"]);
    for name in [
        "review-spec-model",
        "review-spec-reducer",
        "clap",
        "proptest",
    ] {
        assert!(
            below.iter().any(|below| below == name),
            "{name} not found below the harness"
        );
    }
}

/// The pairs of floors that must share no code, and why.
const APART: &[(&str, &str)] = &[
    // Two readings of the rules: a shared run would be one reading in both.
    ("model", "reducer"),
    // The vocabulary holds no rule table: a run shared with the model would be one.
    ("model", "vocab"),
    // Nor may the reducer read the rules through the vocabulary.
    ("reducer", "vocab"),
];

#[test]
fn the_model_the_reducer_and_the_vocabulary_share_no_run_of_lines() {
    let mut problems = Vec::new();
    for (one, other) in APART {
        let (a, b) = (normalized_lines(&src(one)), normalized_lines(&src(other)));
        for (in_a, in_b, length) in shared_runs(&a, &b) {
            let run: Vec<&str> = a[in_a..in_a + length]
                .iter()
                .map(|line| line.text.as_str())
                .collect();
            let pair = format!("{one}/{other}");
            if ALLOWED
                .iter()
                .any(|(floors, lines, _)| *floors == pair && *lines == run.as_slice())
            {
                continue;
            }
            problems.push(format!(
                "{}:{} and {}:{}: {length} identical lines:\n    {:?}",
                a[in_a].file.display(),
                a[in_a].number,
                b[in_b].file.display(),
                b[in_b].number,
                run,
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "floors that must stay apart share code; rewrite one side in its own form, or allow-list \
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

#[test]
fn a_copy_in_a_subfolder_is_found() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let deep = dir.path().join("state").join("inner");
    std::fs::create_dir_all(&deep).expect("a subfolder");
    let model = std::fs::read_to_string(src("model").join("dec.rs")).expect("dec.rs");
    std::fs::write(deep.join("copied.rs"), model).expect("copied.rs");
    std::fs::write(dir.path().join("lib.rs"), "mod state;\n").expect("lib.rs");
    let copy = normalized_lines(dir.path());
    assert!(
        copy.iter()
            .any(|line| line.file.ends_with("state/inner/copied.rs")),
        "the files of nested folders are read"
    );
    let runs = shared_runs(&normalized_lines(&src("model")), &copy);
    assert!(
        runs.iter().any(|(_, _, length)| *length >= RUN_MIN),
        "a copy of the model's DEC table two folders down must be reported"
    );
}

/// The sibling files `file` imports (`super::name`, `super::{a, b}`, and `crate::name` where
/// `crate_root` says the folder is a crate's), outside its tests and its comments (a doc link
/// is not an import).
fn sibling_imports(source: &str, siblings: &[String], crate_root: bool) -> Vec<String> {
    let code: String = source
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or(source)
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .flat_map(|line| [line, "\n"])
        .collect();
    let code = code.as_str();
    let mut names = Vec::new();
    let prefixes: &[&str] = if crate_root {
        &["super::", "crate::"]
    } else {
        &["super::"]
    };
    let uses = prefixes.iter().flat_map(|prefix| {
        code.match_indices(prefix)
            .map(|(index, _)| index + prefix.len())
    });
    for start in uses {
        let rest = &code[start..];
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

/// The modules of `folder`: each `.rs` file but `mod.rs`, `lib.rs` and `tests.rs` by its stem,
/// each subfolder by its name (its imports are its `mod.rs`'s), with their sources.
fn modules(folder: &Path) -> Vec<(String, String)> {
    let mut modules: Vec<(String, String)> = std::fs::read_dir(folder)
        .expect("source folder")
        .map(|entry| entry.expect("entry").path())
        .filter_map(|path| {
            let name = path.file_stem()?.to_string_lossy().into_owned();
            let source = if path.is_dir() {
                std::fs::read_to_string(path.join("mod.rs")).unwrap_or_default()
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                std::fs::read_to_string(&path).expect("source file")
            } else {
                return None;
            };
            Some((name, source))
        })
        .filter(|(name, _)| name != "mod" && name != "lib" && name != "tests")
        .collect();
    modules.sort();
    modules
}

/// A cycle among the modules of `folder` ([`modules`]), as `a -> b -> a`, if the imports have
/// one.
fn import_cycle(folder: &Path, crate_root: bool) -> Option<String> {
    let modules = modules(folder);
    let names: Vec<String> = modules.iter().map(|(name, _)| name.clone()).collect();
    let imports: HashMap<String, Vec<String>> = modules
        .iter()
        .map(|(name, source)| {
            let mut imported = sibling_imports(source, &names, crate_root);
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
    names
        .iter()
        .find_map(|name| visit(name, &imports, &mut Vec::new(), &mut done))
}

/// The cycles in `root` and in every folder under it (`crate_root`: `root` is a crate's `src/`,
/// where `crate::name` names a sibling too), each as `folder: a -> b -> a`.
fn import_cycles_under(root: &Path, crate_root: bool) -> Vec<String> {
    let mut cycles = Vec::new();
    let mut folders = vec![(root.to_path_buf(), crate_root)];
    while let Some((folder, at_root)) = folders.pop() {
        if let Some(cycle) = import_cycle(&folder, at_root) {
            cycles.push(format!("{}: {cycle}", folder.display()));
        }
        for entry in std::fs::read_dir(&folder).expect("source folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push((path, false));
            }
        }
    }
    cycles.sort();
    cycles
}

/// Each layer imports in one direction: the model's dispatch sits above its rule files, which
/// stand on its state; the generators go from values to scenarios to streams; the reducer's
/// dispatch above its handlers; the harness's check above its conformance run, its report and
/// its subjects. Every folder under each crate's `src/` is checked too.
#[test]
fn no_source_folder_has_an_import_cycle() {
    let mut cycles = Vec::new();
    for folder in ["vocab", "model", "reducer", "generators", "harness"] {
        cycles.extend(import_cycles_under(&src(folder), true));
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn an_import_cycle_is_found() {
    let files = ["a".to_owned(), "b".to_owned(), "c".to_owned()];
    assert_eq!(
        sibling_imports(
            "use super::b;\nuse super::{c, d};\nsuper::a::f();\n",
            &files,
            false
        ),
        ["b", "c", "a"]
    );
    assert_eq!(
        sibling_imports(
            "use super::b;\n#[cfg(test)]\nmod tests {\n use super::c;\n}\n",
            &files,
            false
        ),
        ["b"]
    );
    assert_eq!(sibling_imports("use crate::c::X;\n", &files, true), ["c"]);
    assert!(sibling_imports("use crate::c::X;\n", &files, false).is_empty());
    assert!(sibling_imports("/// See [`crate::c::X`].\n", &files, true).is_empty());
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("a.rs"), "use super::b;\n").expect("a.rs");
    std::fs::write(dir.path().join("b.rs"), "use super::{c, mod};\n").expect("b.rs");
    std::fs::write(dir.path().join("c.rs"), "").expect("c.rs");
    assert_eq!(import_cycle(dir.path(), false), None);
    std::fs::write(dir.path().join("c.rs"), "use super::a::X;\n").expect("c.rs");
    assert_eq!(
        import_cycle(dir.path(), false).as_deref(),
        Some("a -> b -> c -> a")
    );
}

#[test]
fn an_import_cycle_in_a_subfolder_is_found() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).expect("state/");
    std::fs::write(dir.path().join("lib.rs"), "mod state;\nmod turns;\n").expect("lib.rs");
    std::fs::write(dir.path().join("turns.rs"), "use crate::state::X;\n").expect("turns.rs");
    std::fs::write(state.join("mod.rs"), "mod context;\nmod tables;\n").expect("mod.rs");
    std::fs::write(state.join("context.rs"), "use super::tables::T;\n").expect("context.rs");
    std::fs::write(state.join("tables.rs"), "").expect("tables.rs");
    assert!(import_cycles_under(dir.path(), true).is_empty());
    std::fs::write(state.join("tables.rs"), "use super::context::C;\n").expect("tables.rs");
    assert_eq!(
        import_cycles_under(dir.path(), true),
        [format!("{}: context -> tables -> context", state.display())]
    );
    // A folder is a module too: `turns` and `state/` importing each other is a cycle at the root.
    std::fs::write(state.join("tables.rs"), "").expect("tables.rs");
    std::fs::write(
        state.join("mod.rs"),
        "mod context;\nmod tables;\nuse super::turns::Y;\n",
    )
    .expect("mod.rs");
    assert_eq!(
        import_cycles_under(dir.path(), true),
        [format!("{}: state -> turns -> state", dir.path().display())]
    );
}
