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
use crate::report::{Coverage, Failure, SUMMARY_VERSION, ShardRange, Summary, rule_ids};

/// A summary that cannot be merged: which input, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{input}: {what}")]
pub struct MergeError {
    /// The input's name (its file).
    pub input: String,
    pub what: String,
}

/// The merged summary, and what the merge left out.
#[derive(Clone, Debug)]
pub struct Merged {
    pub summary: Summary,
    /// Failures of shards after the first failing one, left out as the unsharded run would.
    pub notes: Vec<String>,
}

/// The fields of a JSON summary a merge reads.
#[derive(Deserialize)]
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
        // serde_json's message ends with the line and column.
        let summary: ShardSummary = serde_json::from_str(text).map_err(|e| {
            error(format!(
                "not a JSON summary of `review-spec check --json`: {e}"
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
        let slice = shard.end_case - shard.first_case;
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
        merged.cases += summary.cases;
        merged.facts += summary.facts;
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
        merged.add_hits(&hits);
        merged.failures.clone_from(&summary.failures);
    }
    Ok(Merged {
        summary: merged,
        notes,
    })
}
