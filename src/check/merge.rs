//! `review-spec merge`: the summaries of a sharded run's shards (`check --shard K/N --json`)
//! combined into the summary of the whole run, as if it had run unsharded.
//!
//! An unsharded run stops at its first failing case, so the merge does too: it adds up the
//! shards in order (their cases, facts and rule coverage) through the first shard that failed,
//! and takes that shard's failure. Later shards' failures are named in the merge's notes, not
//! counted, so the merged summary equals the unsharded run's. A merge refuses summaries that do
//! not make one run: a missing, repeated or incomplete shard, or shards of another seed, case
//! count, profile or subject.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::event::{OutputKind, OutputKinds};
use crate::profile::Profile;
use crate::report::{
    Coverage, DepartureReach, Failure, SUMMARY_VERSION, ShardRange, Summary, rule_ids,
};

/// A summary that cannot be merged: which input, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{input}: {what}")]
pub struct MergeError {
    /// The input's name (its file).
    pub input: String,
    /// What is wrong with it.
    pub what: String,
}

/// The merged summary, and what the merge left out.
#[derive(Clone, Debug)]
pub struct Merged {
    /// The whole run's summary.
    pub summary: Summary,
    /// Failures of shards after the first failing one, left out as the unsharded run would.
    pub notes: Vec<String>,
}

/// The fields of a JSON summary a merge reads.
#[derive(Deserialize, schemars::JsonSchema)]
struct ShardSummary {
    summary_version: u32,
    command: String,
    profile: Profile,
    subject: Option<String>,
    compared: Vec<OutputKind>,
    seed: Option<String>,
    shard: Option<ShardRange>,
    cases: usize,
    facts: usize,
    failures: Vec<Failure>,
    rule_coverage: Vec<Coverage>,
    departure_reach: DepartureReach,
}

/// The shape of a summary ([`crate::shape`]): objects only.
fn summary_shape() -> &'static crate::shape::Shape {
    static SHAPE: std::sync::OnceLock<crate::shape::Shape> = std::sync::OnceLock::new();
    SHAPE.get_or_init(crate::shape::Shape::of::<ShardSummary>)
}

/// Merges the JSON summaries `inputs` (each with its name, for errors) of every shard of one
/// seeded run, in any order.
pub fn merge(inputs: &[(String, String)]) -> Result<Merged, MergeError> {
    let mut shards: Vec<(String, ShardSummary, ShardRange)> = Vec::new();
    for (name, text) in inputs {
        let error = |what: String| MergeError {
            input: name.clone(),
            what,
        };
        // Objects only: serde would read a struct from an array of its fields.
        if let Some(misfit) = crate::trace::misplaced_array(summary_shape(), text) {
            return Err(error(format!(
                "not a JSON summary of `review-spec check --json`: {}",
                misfit.describe()
            )));
        }
        // serde_json's message ends with the line and column.
        let summary: ShardSummary = serde_json::from_str(text).map_err(|e| {
            error(format!(
                "not a JSON summary of `review-spec check --json`: {}",
                crate::untrusted::one_line(&crate::trace::shorten(&e.to_string()), 400)
            ))
        })?;
        if summary.summary_version != SUMMARY_VERSION {
            return Err(error(format!(
                "summary_version {} (this merge reads version {SUMMARY_VERSION})",
                summary.summary_version
            )));
        }
        if summary.command != "check" {
            return Err(error(format!(
                "a summary of `{}`, not of `check`",
                summary.command
            )));
        }
        let Some(shard) = summary.shard else {
            return Err(error(
                "not a shard's summary (run `check --shard K/N --json`)".to_owned(),
            ));
        };
        shards.push((name.clone(), summary, shard));
    }
    shards.sort_by_key(|(_, _, shard)| shard.index);
    let Some((first_name, first, first_shard)) = shards.first() else {
        return Err(MergeError {
            input: "merge".to_owned(),
            what: "no summaries to merge".to_owned(),
        });
    };
    let count = first_shard.count;
    for (position, (name, summary, shard)) in shards.iter().enumerate() {
        let error = |what: String| MergeError {
            input: name.clone(),
            what,
        };
        let same_run = summary.seed == first.seed
            && summary.profile == first.profile
            && summary.subject == first.subject
            && summary.compared == first.compared
            && shard.count == count
            && shard.cases_total == first_shard.cases_total;
        if !same_run {
            return Err(error(format!(
                "not a shard of the same run as {first_name} (seed, cases, shard count, profile \
                 and subject must all agree)"
            )));
        }
        let expected = u64::try_from(position).map_or(u64::MAX, |p| p + 1);
        if shard.index != expected {
            return Err(error(format!(
                "shard {}/{count} where shard {expected}/{count} was expected: each of the {count} \
                 shards must be given once",
                shard.index
            )));
        }
        let Some(slice) = shard.end_case.checked_sub(shard.first_case) else {
            return Err(error(format!(
                "shard {}/{count}'s slice ends before it starts (cases {} to {})",
                shard.index, shard.first_case, shard.end_case
            )));
        };
        let ran = u64::try_from(summary.cases).unwrap_or(u64::MAX);
        if summary.failures.is_empty() && ran != slice {
            return Err(error(format!(
                "shard {}/{count} ran {ran} of its {slice} cases without a failure: incomplete",
                shard.index
            )));
        }
    }
    if u64::try_from(shards.len()).unwrap_or(u64::MAX) != count {
        return Err(MergeError {
            input: "merge".to_owned(),
            what: format!(
                "{} of the {count} shards given: every shard must be given once",
                shards.len()
            ),
        });
    }

    let mut merged = Summary::new("check", first.profile);
    merged.subject = first.subject.clone();
    merged.seed = first.seed.clone();
    merged.set_compared(OutputKinds::of(&first.compared));
    let rules = rule_ids();
    let mut notes = Vec::new();
    let mut reach = DepartureReach::default();
    for (name, summary, shard) in &shards {
        if !merged.failures.is_empty() {
            for failure in &summary.failures {
                notes.push(format!(
                    "shard {}/{count} ({name}) also failed ({}: {}); left out, as the unsharded \
                     run stops at its first failure",
                    shard.index, failure.kind, failure.name
                ));
            }
            continue;
        }
        let overflow = |what: &str| MergeError {
            input: name.clone(),
            what: format!(
                "the shards' {what} add up to more than 2^64 - 1: not one run's summaries"
            ),
        };
        merged.cases = merged
            .cases
            .checked_add(summary.cases)
            .ok_or_else(|| overflow("cases"))?;
        merged.facts = merged
            .facts
            .checked_add(summary.facts)
            .ok_or_else(|| overflow("facts"))?;
        let mut hits = BTreeMap::new();
        for row in &summary.rule_coverage {
            let Some(rule) = rules.iter().find(|rule| **rule == row.rule) else {
                return Err(MergeError {
                    input: name.clone(),
                    what: format!("rule {} is not in this binary's spec/rules.md", row.rule),
                });
            };
            hits.insert(*rule, row.hits);
        }
        merged
            .try_add_hits(&hits)
            .map_err(|rule| overflow(&format!("{rule} hits")))?;
        reach
            .try_add(&summary.departure_reach)
            .map_err(|what| overflow(&format!("discriminating cases ({what})")))?;
        merged.failures.clone_from(&summary.failures);
    }
    merged.departure_reach = Some(reach);
    Ok(Merged {
        summary: merged,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shard `index` of `count` of a 4-case run (one case each), as `check --json` writes it,
    /// with `facts` facts, FATE-1 hit `hits` times, and a failure if `failed`.
    fn shard(index: u64, count: u64, facts: usize, hits: usize, failed: bool) -> (String, String) {
        let mut summary = Summary::new("check", Profile::SPEC);
        summary.seed = Some("1".to_owned());
        summary.subject = Some("reducer".to_owned());
        summary.shard = Some(ShardRange {
            index,
            count,
            cases_total: count,
            first_case: index - 1,
            end_case: index,
        });
        summary.cases = 1;
        summary.facts = facts;
        summary.add_hits(&BTreeMap::from([("FATE-1", hits)]));
        let mut reach = DepartureReach::default();
        reach.count(&[crate::profile::Departure::Turn1]);
        reach.count(&[]);
        summary.departure_reach = Some(reach);
        if failed {
            summary.failures.push(Failure::new(
                "case 0".to_owned(),
                "divergence",
                Some(0),
                Vec::new(),
                "m".to_owned(),
            ));
        }
        (
            format!("shard-{index}.json"),
            summary.to_json(u8::from(failed)),
        )
    }

    #[test]
    fn shards_merge_into_their_sums() {
        let inputs: Vec<_> = (1..=4).map(|index| shard(index, 4, 10, 2, false)).collect();
        let merged = merge(&inputs).expect("the shards make one run");
        assert_eq!((merged.summary.cases, merged.summary.facts), (4, 40));
        assert_eq!(merged.summary.rule_hits.get("FATE-1"), Some(&8));
        let reach = merged.summary.departure_reach.expect("the merged reach");
        assert_eq!((reach.cases, reach.any_departure), (8, 4));
        assert_eq!(reach.of(crate::profile::Departure::Turn1), 4);
        assert_eq!(reach.of(crate::profile::Departure::Cap1), 0);
    }

    /// A summary of another version (one without the departure reach) is refused by name.
    #[test]
    fn a_summary_of_another_version_is_refused() {
        let (name, text) = shard(1, 1, 1, 1, false);
        let text = text.replace(
            &format!("\"summary_version\": {SUMMARY_VERSION}"),
            "\"summary_version\": 1",
        );
        let error = merge(&[(name, text)]).expect_err("version 1");
        assert!(error.what.contains("summary_version 1"), "{error}");
    }

    /// Checked arithmetic in every sum: four shards of 2^64 - 1 facts (or rule hits) are an
    /// error, not "18446744073709551612 facts" and exit 0.
    #[test]
    fn sums_that_overflow_are_refused() {
        let facts: Vec<_> = (1..=4)
            .map(|index| shard(index, 4, usize::MAX, 1, false))
            .collect();
        let error = merge(&facts).expect_err("the facts overflow");
        assert_eq!(error.input, "shard-2.json");
        assert!(error.what.contains("facts"), "{error}");
        let hits: Vec<_> = (1..=4)
            .map(|index| shard(index, 4, 1, usize::MAX, false))
            .collect();
        let error = merge(&hits).expect_err("the hits overflow");
        assert!(error.what.contains("FATE-1"), "{error}");
    }

    /// A shard whose slice ends before it starts is refused, with a failure or without.
    #[test]
    fn a_shard_ending_before_it_starts_is_refused() {
        for failed in [false, true] {
            let (name, text) = shard(1, 1, 1, 1, failed);
            let text = text
                .replace("\"end_case\": 1", "\"end_case\": 0")
                .replace("\"first_case\": 0", "\"first_case\": 5");
            let error = merge(&[(name, text)]).expect_err("an impossible slice");
            assert!(error.what.contains("ends before it starts"), "{error}");
        }
    }

    /// Objects only: a summary in array form is refused.
    #[test]
    fn a_summary_in_array_form_is_refused() {
        let error = merge(&[("s.json".to_owned(), "[1, \"check\"]".to_owned())])
            .expect_err("not an object");
        assert!(error.what.contains("an array where an object"), "{error}");
    }
}
