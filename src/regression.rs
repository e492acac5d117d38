//! Counterexamples kept as regression vectors: one namer and one writer for `check`, the
//! differential tests and the fuzz crash tool.
//!
//! A name is `<kind>-<hash of the facts>` (the kind is the first rule of a divergence, or what
//! went wrong), stable so that one finding is one file. Files are written to a temporary file in
//! the destination folder and renamed into place: an interrupted run leaves the old file or the
//! new one, never a partial one, and a symlink at the destination is replaced, not written
//! through.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::diff::Divergence;
use crate::fact::Fact;
use crate::trace::{VectorCase, VectorFile, write_vector_file};

/// A stable hash of a fact sequence (FNV-1a of its JSON).
pub fn facts_hash(facts: &[Fact]) -> u64 {
    hash_bytes(serde_json::to_string(facts).unwrap_or_default().as_bytes())
}

/// A stable hash of raw bytes (FNV-1a), for inputs that are not fact sequences.
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x100_0000_01b3)
    })
}

/// `<kind>-<hash of facts>`, the kind lowercased with `-` for `_` (`grant-1-…`, `crashed-…`).
pub fn name(kind: &str, facts: &[Fact]) -> String {
    format!(
        "{}-{:016x}",
        kind.to_lowercase().replace('_', "-"),
        facts_hash(facts)
    )
}

/// The name of a divergence's regression vector: its first rule and its facts.
pub fn divergence_name(divergence: &Divergence) -> String {
    name(
        divergence.rules.first().copied().unwrap_or("none"),
        &divergence.facts,
    )
}

/// The temporary files being written by [`write_atomically`], for a program about to exit without
/// unwinding (on SIGINT or SIGTERM): [`remove_temporary_files`] removes them.
static TEMPORARY_FILES: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

fn temporary_files() -> MutexGuard<'static, BTreeSet<PathBuf>> {
    // The set stays consistent whatever panicked while holding it.
    TEMPORARY_FILES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// Removes every temporary file [`write_atomically`] is writing, and holds the registry until
/// the program exits, so that no new one is made after: what the signal handler calls before
/// `std::process::exit`, which runs no destructor. Returns how many were removed.
pub fn remove_temporary_files() -> MutexGuard<'static, BTreeSet<PathBuf>> {
    let files = temporary_files();
    for file in files.iter() {
        let _ = std::fs::remove_file(file);
    }
    files
}

/// Writes `contents` to `path` atomically (a temporary file in the same folder, then a rename).
/// The file is readable by all (0644), like any file the tool writes. The temporary file is
/// registered from its creation to its rename (under one lock each time), so a signal that ends
/// the program meanwhile removes it ([`remove_temporary_files`]): no `.review-spec-*.tmp` is left.
pub fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut file = {
        let mut registry = temporary_files();
        let file = tempfile::Builder::new()
            .prefix(".review-spec-")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        registry.insert(file.path().to_path_buf());
        file
    };
    let temporary = file.path().to_path_buf();
    let written = (|| {
        let readable = std::os::unix::fs::PermissionsExt::from_mode(0o644);
        file.write_all(contents)?;
        file.as_file().set_permissions(readable)?;
        file.as_file().sync_all()
    })();
    let mut registry = temporary_files();
    let result = match written {
        Ok(()) => file.persist(path).map(drop).map_err(|error| error.error),
        Err(error) => {
            drop(file);
            Err(error)
        }
    };
    registry.remove(&temporary);
    result
}

/// Writes `case` as a one-case vector file `<dir>/<case name>.json` (creating `dir`) and
/// returns its path.
pub fn save_vector_case(dir: &Path, case: &VectorCase) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{}.json", case.name));
    let file = VectorFile::new(vec![case.clone()]);
    write_atomically(&path, write_vector_file(&file).as_bytes())?;
    Ok(path)
}

/// `text` quoted for a POSIX shell when it needs quoting (`shlex`), for the replay commands a
/// report prints; text a shell cannot quote (a NUL byte) is shown as Rust would debug-print it.
pub fn shell_quote(text: &str) -> String {
    shlex::try_quote(text).map_or_else(|_| format!("{text:?}"), |quoted| quoted.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_and_say_the_kind() {
        let facts = crate::trace::parse_trace(
            "{\"review_spec_trace\":2}\n{\"type\":\"turn_completed\",\"thread_id\":\"t\",\"turn_id\":\"u\",\"completed_at_ms\":1}\n",
        )
        .map(|trace| trace.facts)
        .unwrap_or_default();
        assert_eq!(facts.len(), 1);
        let first = name("GRANT-1", &facts);
        assert!(first.starts_with("grant-1-"), "{first}");
        assert_eq!(first, name("GRANT-1", &facts));
        assert_ne!(first, name("GRANT-1", &[]));
        assert!(name("timed_out", &facts).starts_with("timed-out-"));
    }

    #[test]
    fn a_write_replaces_a_symlink_and_leaves_its_target_alone() {
        let dir = tempfile::tempdir().map_err(|e| e.to_string());
        let Ok(dir) = dir else {
            panic!("a temporary folder: {dir:?}");
        };
        let target = dir.path().join("target.txt");
        let link = dir.path().join("link.json");
        std::fs::write(&target, "kept").ok();
        std::os::unix::fs::symlink(&target, &link).ok();
        assert!(write_atomically(&link, b"new").is_ok());
        assert_eq!(
            std::fs::read_to_string(&target).ok().as_deref(),
            Some("kept")
        );
        assert_eq!(std::fs::read_to_string(&link).ok().as_deref(), Some("new"));
        assert!(!link.is_symlink());
        let entries = std::fs::read_dir(dir.path()).map(Iterator::count).ok();
        assert_eq!(entries, Some(2), "no temporary file is left");
    }
}
