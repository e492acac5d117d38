//! The seed corpus (every vector case as a trace, plus fixed pseudo-random inputs) and the
//! `trace_json` dictionary, both generated and checked against what is committed.

use std::path::Path;

use super::Target;
use crate::fact::Fact;
use crate::trace::{Trace, TraceError, read_vector_file, write_trace};

/// One seed input of a target's corpus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorpusInput {
    /// The target it seeds.
    pub target: Target,
    /// A file name, unique within the target.
    pub name: String,
    /// The input's bytes.
    pub bytes: Vec<u8>,
}

/// How many pseudo-random seeds `differential` and `facts_arbitrary` get.
pub const RANDOM_SEEDS_PER_TARGET: usize = 32;

/// The seed corpus: every case of every vector file under `vectors_dir` as a JSONL trace for
/// `trace_json`; for the byte-driven targets, the empty input (the simplest case) and
/// [`RANDOM_SEEDS_PER_TARGET`] fixed pseudo-random inputs. Deterministic.
pub fn seed_corpus(vectors_dir: &Path) -> Result<Vec<CorpusInput>, TraceError> {
    let mut seeds = Vec::new();
    for path in vector_paths(vectors_dir)? {
        let file = read_vector_file(&path)?;
        let stem = path
            .strip_prefix(vectors_dir)
            .unwrap_or(&path)
            .with_extension("")
            .display()
            .to_string()
            .replace(['/', '\\'], "-");
        for case in file.cases {
            let trace = Trace {
                limits: case.limits,
                profile: case.profile.unwrap_or_default(),
                facts: case.facts,
            };
            seeds.push(CorpusInput {
                target: Target::TraceJson,
                name: format!("vector-{stem}-{}.jsonl", case.name),
                bytes: write_trace(&trace).into_bytes(),
            });
        }
    }
    // `merge`'s input (trace_json feeds its bytes to merge too): a shard summary, alone and as
    // two shards separated by a NUL byte.
    for (name, text) in shard_summaries() {
        seeds.push(CorpusInput {
            target: Target::TraceJson,
            name,
            bytes: text.into_bytes(),
        });
    }
    for (target, seed) in [
        (Target::Differential, 0xd1ff_0000),
        (Target::FactsArbitrary, 0xfac7_0000),
    ] {
        seeds.push(CorpusInput {
            target,
            name: "empty".to_owned(),
            bytes: Vec::new(),
        });
        for (index, bytes) in pseudo_random_inputs(seed, RANDOM_SEEDS_PER_TARGET, 1024)
            .into_iter()
            .enumerate()
        {
            seeds.push(CorpusInput {
                target,
                name: format!("random-{index:02}"),
                bytes,
            });
        }
    }
    Ok(seeds)
}

/// Every `*.json` file under `dir`, recursively, sorted.
fn vector_paths(dir: &Path) -> Result<Vec<std::path::PathBuf>, TraceError> {
    let found = crate::conformance::vector_files(dir).map_err(|error| TraceError::Unreadable {
        source_name: dir.display().to_string(),
        what: error.to_string(),
    })?;
    Ok(found.files.into_iter().map(|(_, path)| path).collect())
}

/// `count` byte strings of lengths `0..=len_max` from a fixed pseudo-random stream (splitmix64),
/// for seeds and tests: the same `seed` always gives the same inputs.
pub fn pseudo_random_inputs(seed: u64, count: usize, len_max: usize) -> Vec<Vec<u8>> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    (0..count)
        .map(|_| {
            let bound = u64::try_from(len_max).unwrap_or(u64::MAX).saturating_add(1);
            let len = usize::try_from(next() % bound).unwrap_or(0);
            (0..len).map(|_| next().to_le_bytes()[0]).collect()
        })
        .collect()
}

/// The libFuzzer dictionary of the trace format (`fuzz/dict/trace_json.dict`), generated from the
/// JSON Schemas of the trace header and of facts: every field name, every fact type and enum
/// value, and the literals and numbers at the edges of the format.
pub fn trace_json_dictionary() -> String {
    let mut fields = std::collections::BTreeSet::new();
    let mut values = std::collections::BTreeSet::new();
    for schema in [
        schemars::schema_for!(crate::trace::TraceHeader),
        schemars::schema_for!(Fact),
    ] {
        collect_keywords(schema.as_value(), &mut fields, &mut values);
    }
    let mut text = String::from(
        "# libFuzzer dictionary of the review-spec trace format (JSON Lines).\n\
         # Generated from the JSON Schemas by `cargo run --example fuzz_seed_corpus`; do not edit.\n",
    );
    text.push_str("\n# structure and literals\n");
    for literal in [
        "{\"review_spec_trace\": 2}\n",
        "{\"review_spec_trace\": 2, \"limits\": {\"table_entries_max\": 1}}\n",
        "{\"review_spec_trace\": 2, \"profile\": {\"base\": \"upstream\"}}\n",
        "{\"review_spec_trace\": 2, \"profile\": {\"base\": \"upstream\", \"depart\": [\"DEDUP-1\"]}}\n",
        "\n",
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        "null",
        "true",
        "false",
        "{}",
        "[]",
        "\"\"",
    ] {
        text.push_str(&dictionary_entry(literal));
    }
    text.push_str("\n# numbers at the edges (timestamps are i64, ids u64)\n");
    for number in [
        "0",
        "1",
        "-1",
        "64",
        "65",
        "4096",
        "65535",
        // 2^53 and its neighbours: distinct ids that are equal read through an f64.
        "9007199254740992",
        "9007199254740993",
        "9223372036854775806",
        "9223372036854775807",
        "-9223372036854775808",
        "18446744073709551614",
        "18446744073709551615",
        "1e3",
    ] {
        text.push_str(&dictionary_entry(number));
    }
    text.push_str("\n# field names\n");
    for field in &fields {
        text.push_str(&dictionary_entry(&format!("\"{field}\":")));
    }
    text.push_str("\n# fact types and enum values\n");
    for value in &values {
        text.push_str(&dictionary_entry(&format!("\"{value}\"")));
    }
    text
}

fn collect_keywords(
    value: &serde_json::Value,
    fields: &mut std::collections::BTreeSet<String>,
    values: &mut std::collections::BTreeSet<String>,
) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("properties", serde_json::Value::Object(properties)) => {
                        fields.extend(properties.keys().cloned());
                    }
                    ("const", serde_json::Value::String(constant)) => {
                        values.insert(constant.clone());
                    }
                    ("enum", serde_json::Value::Array(variants)) => {
                        values.extend(
                            variants
                                .iter()
                                .filter_map(|v| v.as_str().map(str::to_owned)),
                        );
                    }
                    _ => {}
                }
                collect_keywords(inner, fields, values);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                collect_keywords(item, fields, values);
            }
        }
        _ => {}
    }
}

/// One dictionary line: `"..."` with `\\`, `\"` and non-printable bytes escaped as `\xNN`.
fn dictionary_entry(token: &str) -> String {
    let mut line = String::from("\"");
    for byte in token.bytes() {
        match byte {
            b'\\' => line.push_str("\\\\"),
            b'"' => line.push_str("\\\""),
            0x20..=0x7e => line.push(char::from(byte)),
            _ => line.push_str(&format!("\\x{byte:02x}")),
        }
    }
    line.push_str("\"\n");
    line
}

/// Seeds of `merge`'s input: the summaries of a two-shard run of one case per shard, as
/// `check --shard K/2 --json` writes them, one per seed, and both in one (NUL between).
fn shard_summaries() -> Vec<(String, String)> {
    let shard = |index: u64| {
        let mut summary = crate::report::Summary::new("check", crate::profile::Profile::SPEC);
        summary.seed = Some("1".to_owned());
        summary.subject = Some("reducer".to_owned());
        summary.shard = Some(crate::report::ShardRange {
            index,
            count: 2,
            cases_total: 2,
            first_case: index - 1,
            end_case: index,
        });
        summary.cases = 1;
        summary.facts = 3;
        summary.add_hits(&std::collections::BTreeMap::from([("FATE-1", 3)]));
        let mut reach = crate::report::DepartureReach::default();
        reach.count(&[crate::profile::Departure::Turn1]);
        summary.departure_reach = Some(reach);
        summary.to_json(0)
    };
    vec![
        ("summary-shard-1.json".to_owned(), shard(1)),
        (
            "summary-shards-1-2.json".to_owned(),
            format!("{}\0{}", shard(1), shard(2)),
        ),
    ]
}
