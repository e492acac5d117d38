//! Files the tool writes and the vector folders it walks.
//!
//! Every file is written through `regression::write_atomically`: whole or not at all, never
//! through a symlink. Vector folders are walked without following
//! symlinks to folders (a link to `..` would loop); each one skipped is named on stderr.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::CliError;

/// Writes `contents` to `path` atomically (see [`crate::regression::write_atomically`]).
pub(super) fn write_atomically(path: &Path, contents: &str) -> Result<(), CliError> {
    crate::regression::write_atomically(path, contents.as_bytes())
        .map_err(|error| CliError::io(path, error))
}

/// Every `*.json` file under `dir`, sorted, with its name relative to `dir` without `.json`
/// (`dir` itself, named by its stem, when it is a file). Symlinks to files are read; symlinks to
/// folders are skipped, and said so on stderr.
pub(super) fn vector_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, CliError> {
    if dir.is_file() {
        let name = dir.file_stem().unwrap_or(dir.as_os_str());
        return Ok(vec![(
            name.to_string_lossy().into_owned(),
            dir.to_path_buf(),
        )]);
    }
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CliError> {
        let entries = std::fs::read_dir(dir).map_err(|error| CliError::io(dir, error))?;
        for entry in entries {
            let entry = entry.map_err(|error| CliError::io(dir, error))?;
            let path = entry.path();
            let file_type = entry
                .file_type()
                .map_err(|error| CliError::io(&path, error))?;
            if file_type.is_dir() {
                walk(&path, out)?;
            } else if file_type.is_symlink() && path.is_dir() {
                let _ = writeln!(
                    std::io::stderr(),
                    "review-spec: note: skipping {}: a symlink to a folder (not followed)",
                    path.display()
                );
            } else if path
                .extension()
                .is_some_and(|extension| extension == "json")
            {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths)?;
    paths.sort();
    Ok(paths
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .with_extension("")
                .display()
                .to_string();
            (name, path)
        })
        .collect())
}
