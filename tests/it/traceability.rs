//! Traceability: every rule ID and every departure ID (`UP-...`) of `spec/rules.md` is
//! implemented (marked, or switched on a `Departure`) in the model and exercised by at least one
//! vector; no code or vector names an unknown ID; every vector really exercises the rules it
//! lists, a departure under the `upstream` profile with an `upstream` expectation that differs
//! from `expected`; every diagnostic reason is specified.

use review_spec_vocab::profile::{Departure, Profile};
use review_spec_vocab::trace::UpstreamExpectation;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use review_spec_model as model;

use crate::vectors::load_all;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The rule IDs of `spec/rules.md` (`### FAMILY-N Title` headings) with their line numbers.
fn spec_rule_ids() -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(root().join("spec/rules.md")).expect("read spec/rules.md");
    let mut ids = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let Some(heading) = line.strip_prefix("### ") else {
            continue;
        };
        let id = heading.split_whitespace().next().unwrap_or("");
        assert!(
            is_rule_id(id),
            "spec/rules.md:{}: heading {heading:?} does not start with a rule ID",
            index + 1
        );
        assert!(
            ids.insert(id.to_owned(), index + 1).is_none(),
            "spec/rules.md:{}: rule ID {id} is defined twice",
            index + 1
        );
    }
    assert!(
        ids.len() >= 30,
        "spec/rules.md defines only {} rules",
        ids.len()
    );
    ids
}

fn is_rule_id(text: &str) -> bool {
    let text = text.strip_prefix("UP-").unwrap_or(text);
    let Some((family, number)) = text.split_once('-') else {
        return false;
    };
    !family.is_empty()
        && family.chars().all(|c| c.is_ascii_uppercase())
        && !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit())
}

/// `(file:line, id)` of every `mark("ID")` in the model's source, and of every
/// `upstream(Departure::X)` (which marks X's departure ID where the profile follows upstream).
fn model_marks() -> Vec<(String, String)> {
    let mut marks = Vec::new();
    let dir = root().join("crates/model/src");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("read crates/model/src")
        .flatten()
        .map(|e| e.path())
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("read model source");
        for (index, line) in text.lines().enumerate() {
            let mut rest = line;
            // A rule marks where it decides, by its general case or by an exception, or where
            // it applies to every fact alike (`trail.rs`).
            while let Some((start, length)) = ["mark(\"", "exception(\"", "generic(\""]
                .iter()
                .filter_map(|pattern| rest.find(pattern).map(|at| (at, pattern.len())))
                .min()
            {
                rest = &rest[start + length..];
                let end = rest.find('"').unwrap_or(0);
                let place = format!(
                    "{}:{}",
                    path.strip_prefix(root()).unwrap_or(&path).display(),
                    index + 1
                );
                marks.push((place, rest[..end].to_owned()));
                rest = &rest[end..];
            }
            for departure in Departure::ALL {
                if line.contains(&format!("upstream(Departure::{departure:?})")) {
                    let place = format!(
                        "{}:{}",
                        path.strip_prefix(root()).unwrap_or(&path).display(),
                        index + 1
                    );
                    marks.push((place, departure.id().to_owned()));
                }
            }
        }
    }
    marks
}

#[test]
fn every_rule_is_marked_in_the_model_and_every_mark_is_a_rule() {
    let ids = spec_rule_ids();
    let marks = model_marks();
    let marked: BTreeSet<&str> = marks.iter().map(|(_, id)| id.as_str()).collect();
    let unmarked: Vec<String> = ids
        .iter()
        .filter(|(id, _)| !marked.contains(id.as_str()))
        .map(|(id, line)| {
            format!("spec/rules.md:{line}: {id} has no mark(\"{id}\") in crates/model/src/")
        })
        .collect();
    assert!(
        unmarked.is_empty(),
        "rules not implemented in the model:\n{}",
        unmarked.join("\n")
    );
    let unknown: Vec<String> = marks
        .iter()
        .filter(|(_, id)| !ids.contains_key(id))
        .map(|(place, id)| format!("{place}: mark(\"{id}\") names no rule of spec/rules.md"))
        .collect();
    assert!(
        unknown.is_empty(),
        "unknown rule IDs in the model:\n{}",
        unknown.join("\n")
    );
}

#[test]
fn every_rule_has_a_vector_and_every_vector_rule_exists_and_is_exercised() {
    let ids = spec_rule_ids();
    let mut covered = BTreeSet::new();
    let mut problems = Vec::new();
    let mut cases = 0;
    for (file_name, _, file) in load_all() {
        for case in &file.cases {
            cases += 1;
            let full_name = format!("spec/vectors/{file_name}.json: case {:?}", case.name);
            if case.rules.is_empty() {
                problems.push(format!("{full_name} lists no rules"));
            }
            let hits = model::reduce_explained(&case.facts, &case.limits, &Profile::SPEC).rule_hits;
            let upstream_hits =
                model::reduce_explained(&case.facts, &case.limits, &Profile::UPSTREAM).rule_hits;
            let differs = matches!(&case.upstream, Some(UpstreamExpectation::Expected(_)));
            for rule in &case.rules {
                let departure = rule.starts_with("UP-");
                if !ids.contains_key(rule) {
                    problems.push(format!("{full_name} names unknown rule {rule}"));
                } else if departure && !differs {
                    problems.push(format!(
                        "{full_name} lists {rule} but its upstream expectation is not a different one"
                    ));
                } else if departure && !upstream_hits.contains_key(rule.as_str()) {
                    problems.push(format!(
                        "{full_name} lists {rule} but the model never applies {rule} to it under upstream"
                    ));
                } else if !departure && !hits.contains_key(rule.as_str()) {
                    problems.push(format!(
                        "{full_name} lists {rule} but the model never applies {rule} to it"
                    ));
                } else {
                    covered.insert(rule.clone());
                }
            }
        }
    }
    for (id, line) in &ids {
        if !covered.contains(id) {
            problems.push(format!(
                "spec/rules.md:{line}: {id} has no vector case that exercises it"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} traceability problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        cases >= 60,
        "only {cases} vector cases; the suite promises at least 60"
    );
}

#[test]
fn every_diagnostic_reason_is_specified() {
    let spec = std::fs::read_to_string(root().join("spec/rules.md")).expect("read spec/rules.md");
    let schema: serde_json::Value = serde_json::from_str(
        &review_spec::schema::schemas()
            .into_iter()
            .find(|(name, _)| *name == "output.schema.json")
            .expect("output schema")
            .1,
    )
    .expect("schema is JSON");
    let reasons = schema["$defs"]["DiagnosticReason"]["oneOf"]
        .as_array()
        .map(|variants| {
            variants
                .iter()
                .filter_map(|v| v["const"].as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    assert!(
        reasons.len() >= 15,
        "could not read the diagnostic reasons from the schema: {reasons:?}"
    );
    let missing: Vec<&String> = reasons
        .iter()
        .filter(|r| {
            !spec.contains(&format!("| {r} |"))
                && !spec.contains(&format!("| {r},"))
                && !spec.contains(&format!(", {r} |"))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "diagnostic reasons missing from the table in spec/rules.md: {missing:?}"
    );
}

/// The rules every plain, happy-path reduction applies: a review asked and answered with its
/// context known, an item started and completed, a turn ended. Against them, a case isolates a
/// rule when it is the only other rule the model applies.
pub(crate) const BASELINE_RULES: &[&str] = &[
    "FATE-1", "FATE-2", "ORDER-1", "ID-1", "ID-2", "SUBJ-1", "SUBJ-2", "SUBJ-3", "SUBJ-4",
    "SUBJ-5", "GUARD-1", "GUARD-2", "GUARD-3", "GUARD-5", "DEC-1", "DEC-2", "GRANT-2", "LIFE-1",
    "LIFE-4", "SUM-1", "SUM-2", "SUM-3", "SUM-4", "SUM-5", "SUM-6", "ITEM-1", "ITEM-2", "ITEM-4",
    "TIME-1", "TIME-3", "CTX-1", "CTX-2", "TURN-1",
];

/// Every rule has a case where it is the sole deciding rule: the case lists it first, the model
/// applies it, and every other rule the model applies is a baseline rule (for a baseline rule:
/// no rule outside the baseline applies). A break of that rule alone shows in that case, blamed
/// on nothing else.
#[test]
fn every_rule_has_a_case_where_it_decides_alone() {
    let ids = spec_rule_ids();
    let mut isolated = BTreeMap::<String, String>::new();
    for (file_name, _, file) in load_all() {
        for case in &file.cases {
            let Some(first) = case.rules.first() else {
                continue;
            };
            if first.starts_with("UP-") {
                continue;
            }
            let profile = case.profile.unwrap_or_default();
            let hits = model::reduce_explained(&case.facts, &case.limits, &profile).rule_hits;
            let others: Vec<&str> = hits
                .keys()
                .copied()
                .filter(|rule| *rule != first.as_str() && !BASELINE_RULES.contains(rule))
                .collect();
            if hits.contains_key(first.as_str()) && others.is_empty() {
                isolated
                    .entry(first.clone())
                    .or_insert_with(|| format!("spec/vectors/{file_name}.json: {}", case.name));
            }
        }
    }
    let missing: Vec<&String> = ids
        .keys()
        .filter(|id| !id.starts_with("UP-") && !isolated.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "no vector case where the rule decides alone (listed first, every other rule applied a \
         baseline rule): {missing:?}"
    );
}
