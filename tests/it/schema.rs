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

/// The schema `name` of `spec/schema/`, parsed.
fn schema(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("spec/schema")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{name}: {error}"));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{name}: {error}"))
}

/// Where `value` breaks the top level of the object schema `object` (a `$ref` into `defs`
/// followed): a key the schema does not name, or a required key missing.
fn top_level_misfits(
    value: &serde_json::Value,
    object: &serde_json::Value,
    defs: &serde_json::Value,
) -> Vec<String> {
    let object = match object["$ref"].as_str() {
        Some(reference) => &defs[reference.trim_start_matches("#/$defs/")],
        None => object,
    };
    let properties = object["properties"].as_object().expect("an object schema");
    let keys = value.as_object().expect("an object");
    let mut misfits: Vec<String> = keys
        .keys()
        .filter(|key| !properties.contains_key(*key))
        .map(|key| format!("`{key}` is not in the schema"))
        .collect();
    for required in object["required"].as_array().into_iter().flatten() {
        let required = required.as_str().expect("a key");
        if !keys.contains_key(required) {
            misfits.push(format!("required `{required}` is missing"));
        }
    }
    misfits
}

#[test]
fn every_schema_has_its_id_and_a_title() {
    for (name, _) in review_spec::schema::schemas() {
        let schema = schema(name);
        let id = schema["$id"].as_str().unwrap_or_default();
        assert!(
            id.starts_with("https://") && id.ends_with(&format!("/spec/schema/{name}")),
            "{name}: {id}"
        );
        assert!(
            schema["title"]
                .as_str()
                .is_some_and(|title| !title.is_empty()),
            "{name}"
        );
    }
}

/// The schemas say what the tool really writes and reads: a `--json` summary of a real run, the
/// protocol's header and reset lines as the tool writes them, and the lines a subject writes.
#[test]
fn real_messages_fit_their_schemas() {
    let summary = schema("summary.schema.json");
    let seed = review_spec::Seed::parse("3").expect("a seed");
    let make = || {
        Ok(
            Box::new(review_spec::Reducer::new(review_spec::Limits::default()))
                as Box<dyn review_spec::Subject>,
        )
    };
    let run = review_spec::run_check(&make, &review_spec::CheckOptions::new(seed, 5), &mut |_| {})
        .expect("check runs");
    let misfits = top_level_misfits(&run.to_json_value(0), &summary, &summary["$defs"]);
    assert!(misfits.is_empty(), "summary: {misfits:?}");

    let tool = schema("protocol-tool.schema.json");
    let header = serde_json::json!({"review_spec_protocol": 3, "limits": {"table_entries_max": 4}, "profile": {"base": "spec"}});
    let reset = serde_json::json!({"reset": {"limits": {"table_entries_max": 4}, "profile": {"base": "upstream"}}});
    for (line, branch) in [(&header, 0), (&reset, 1)] {
        let misfits = top_level_misfits(line, &tool["anyOf"][branch], &tool["$defs"]);
        assert!(misfits.is_empty(), "{line}: {misfits:?}");
    }
    let subject = schema("protocol-subject.schema.json");
    let ack = serde_json::json!({"review_spec_protocol": 3, "emits": ["review", "tool_item"]});
    let delimiter = serde_json::json!({"done": 7});
    for (line, branch) in [(&ack, 0), (&delimiter, 2)] {
        let misfits = top_level_misfits(line, &subject["anyOf"][branch], &subject["$defs"]);
        assert!(misfits.is_empty(), "{line}: {misfits:?}");
    }
    // And a line that is none of them is told apart.
    let stray = serde_json::json!({"done": 7, "extra": true});
    assert!(!top_level_misfits(&stray, &subject["anyOf"][2], &subject["$defs"]).is_empty());
}
