//! Bundles the conformance vectors into the crate: `$OUT_DIR/bundled_vectors.rs` lists every
//! `spec/vectors/**/*.json` (sorted, by its name relative to `spec/vectors` without `.json`) with
//! its text included at compile time, for `Suite::bundled()`. A git dependency and
//! `review-spec vectors` run from any folder then need no checkout path.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = Path::new("spec/vectors");
    println!("cargo::rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(root, &mut files);
    files.sort();
    let mut code = String::from("&[\n");
    for path in &files {
        let name = path
            .strip_prefix(root)
            .expect("under spec/vectors")
            .with_extension("");
        let name = name.to_string_lossy().replace('\\', "/");
        let absolute = std::fs::canonicalize(path).expect("a vector file");
        println!("cargo::rerun-if-changed={}", path.display());
        writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            absolute.display()
        )
        .expect("writing to a String");
    }
    code.push_str("]\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("bundled_vectors.rs"), code).expect("writing bundled_vectors.rs");
}

/// Every `*.json` file under `dir`, recursively; symlinks are not followed.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            collect(&path, files);
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
}
