//! Files the tool writes and the vector folders it walks.
//!
//! Every file is written to a temporary file in its destination folder and renamed into place:
//! an interrupted run leaves the old file or the new one, never a partial one, and a symlink at
//! the destination is replaced, not written through. Vector folders are walked without following
//! symlinks to folders (a link to `..` would loop); each one skipped is named on stderr.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::CliError;

/// Writes `contents` to `path` atomically (temporary file in the same folder, then rename).
pub(super) fn write_atomically(path: &Path, contents: &str) -> Result<(), CliError> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".review-spec-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|error| CliError::io(path, error))?;
    // A temporary file is private (0600); the file it becomes is as readable as any other.
    let readable = std::os::unix::fs::PermissionsExt::from_mode(0o644);
    file.write_all(contents.as_bytes())
        .and_then(|()| file.as_file().set_permissions(readable))
        .and_then(|()| file.as_file().sync_all())
        .map_err(|error| CliError::io(path, error))?;
    file.persist(path)
        .map_err(|error| CliError::io(path, error.error))?;
    Ok(())
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
