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

/// The vector files under `dir` (see [`crate::conformance::vector_files`]); each symlinked
/// folder skipped is named on stderr.
pub(super) fn vector_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, CliError> {
    let found = crate::conformance::vector_files(dir).map_err(|error| CliError::io(dir, error))?;
    for skipped in &found.skipped {
        let _ = writeln!(
            std::io::stderr(),
            "review-spec: note: skipping {}: a symlink to a folder (not followed)",
            skipped.display()
        );
    }
    Ok(found.files)
}
