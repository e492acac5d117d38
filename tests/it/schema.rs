//! The checked-in JSON Schemas of `spec/schema/` are current: regenerated from the Rust types and
//! compared. `UPDATE_SCHEMA=1 cargo test --test it schema` rewrites them.

use std::path::Path;

#[test]
fn checked_in_schemas_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/schema");
    let update = std::env::var_os("UPDATE_SCHEMA").is_some();
    let mut stale = Vec::new();
    for (name, text) in review_spec::schema::schemas() {
        let path = dir.join(name);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != text {
            if update {
                std::fs::create_dir_all(&dir).expect("create spec/schema");
                std::fs::write(&path, &text).expect("write schema");
            } else {
                stale.push(path.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale JSON Schemas (run UPDATE_SCHEMA=1 cargo test --test it schema and commit): {stale:?}"
    );
}
