//! `schema`: written with `--out` and printed with `--json`, equal to `spec/schema/`.

use super::runner::{root, run, scratch};

#[test]
fn schema_output_equals_the_checked_in_schemas() {
    let dir = scratch("schema");
    run(&["schema", "--out", &dir.display().to_string()]).exits(0);
    let printed = run(&["schema", "--json"]).json();
    for (name, text) in review_spec::schema::schemas() {
        let checked_in = std::fs::read_to_string(root().join("spec/schema").join(name))
            .expect("read a checked-in schema");
        let written = std::fs::read_to_string(dir.join(name)).expect("read a written schema");
        assert_eq!(written, checked_in, "{name}");
        assert_eq!(text, checked_in, "{name}");
        let value: serde_json::Value = serde_json::from_str(&checked_in).expect("JSON");
        assert_eq!(printed[name], value, "{name}");
    }
}
