//! The conformance suite as a library: the vector files of a folder and the filter that picks
//! cases by name, shared by `review-spec vectors`, the test suite and the fuzz seed corpus.

use std::path::{Path, PathBuf};

/// Every `*.json` file under `dir`, recursively and sorted, with its name relative to `dir`
/// without `.json` (`grant/grant-1-empty-grant-denied`); `dir` itself, named by its stem, when it
/// is a file. Symlinks to files are read; symlinks to folders are not followed (a link to `..`
/// would loop): each one is returned in `skipped`.
pub fn vector_files(dir: &Path) -> std::io::Result<VectorFiles> {
    let mut found = VectorFiles::default();
    if dir.is_file() {
        let name = dir.file_stem().unwrap_or(dir.as_os_str());
        found
            .files
            .push((name.to_string_lossy().into_owned(), dir.to_path_buf()));
        return Ok(found);
    }
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let path = entry.path();
            let file_type = entry.file_type()?;
            if file_type.is_dir() {
                pending.push(path);
            } else if file_type.is_symlink() && path.is_dir() {
                found.skipped.push(path);
            } else if path
                .extension()
                .is_some_and(|extension| extension == "json")
            {
                let name = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .with_extension("")
                    .display()
                    .to_string();
                found.files.push((name, path));
            }
        }
    }
    found.files.sort();
    found.skipped.sort();
    Ok(found)
}

/// What [`vector_files`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VectorFiles {
    /// Each file's name (relative, without `.json`) and path, sorted.
    pub files: Vec<(String, PathBuf)>,
    /// Symlinks to folders, not followed.
    pub skipped: Vec<PathBuf>,
}

/// Which cases run, by full name `family/file/case`: comma-separated terms, a case runs when its
/// name contains a positive term (or there is none) and no negative (`-`) one. The syntax of
/// `review-spec vectors --filter` and of `REVIEW_SPEC_FILTER` in the test suite.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    positive: Vec<String>,
    negative: Vec<String>,
}

impl Filter {
    /// Parses `grant,-grant-2`; `None` or an empty text selects every case.
    pub fn parse(text: Option<&str>) -> Filter {
        let mut filter = Filter::default();
        for term in text.unwrap_or_default().split(',').map(str::trim) {
            match term.strip_prefix('-') {
                Some(negative) if !negative.is_empty() => filter.negative.push(negative.to_owned()),
                Some(_) => {}
                None if !term.is_empty() => filter.positive.push(term.to_owned()),
                None => {}
            }
        }
        filter
    }

    /// Whether the case named `full_name` runs.
    pub fn selects(&self, full_name: &str) -> bool {
        let included = self.positive.is_empty()
            || self
                .positive
                .iter()
                .any(|term| full_name.contains(term.as_str()));
        included
            && !self
                .negative
                .iter()
                .any(|term| full_name.contains(term.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_take_positive_and_negative_terms() {
        let name = "grant/grant-2-non-empty/x";
        assert!(Filter::parse(None).selects(name));
        assert!(Filter::parse(Some("")).selects(name));
        assert!(Filter::parse(Some("grant")).selects(name));
        assert!(!Filter::parse(Some("life")).selects(name));
        assert!(Filter::parse(Some("life, grant-2")).selects(name));
        assert!(!Filter::parse(Some("grant,-grant-2")).selects(name));
        assert!(!Filter::parse(Some("-non-empty")).selects(name));
        assert!(Filter::parse(Some("-")).selects(name));
    }

    #[test]
    fn the_spec_vectors_are_found_sorted_with_their_names() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors");
        let found = vector_files(&root).map_err(|error| error.to_string());
        let names: Vec<String> = found
            .as_ref()
            .map(|found| found.files.iter().map(|(name, _)| name.clone()).collect())
            .unwrap_or_default();
        assert!(
            names.iter().any(|name| name == "grant/grant-3-emptiness"),
            "{found:?}"
        );
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    }
}
