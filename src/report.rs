//! The report every run ends with ([`Summary`]): cases, facts, failures, and the rule-coverage
//! table (how often each rule ID of `spec/rules.md` applied in the model, with the rules no case
//! reached named explicitly). As text for people ([`Summary::to_text`]), or as one JSON object for
//! CI ([`Summary::to_json`]); `review-spec` prints it, and the library's runs
//! ([`crate::conformance::run_vectors`]) return it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::event::OutputKinds;
use crate::profile::{Departure, Profile};

/// `spec/rules.md` as this binary was built with it: the list of every rule ID.
const RULES_MD: &str = include_str!("../spec/rules.md");

/// Columns of the coverage table.
const COVERAGE_COLUMNS: usize = 4;
/// Rules named per failing case in the text summary (the failure's report names them all).
const RULES_SHOWN_MAX: usize = 4;

/// Every rule and departure ID of `spec/rules.md` (its `### ID Title` headings), in the order of
/// the spec.
pub fn rule_ids() -> Vec<&'static str> {
    RULES_MD
        .lines()
        .filter_map(|line| line.strip_prefix("### "))
        .filter_map(|heading| heading.split_whitespace().next())
        .collect()
}

/// The version of the JSON summary's shape (`summary_version`): `review-spec merge` reads
/// summaries of this version only.
pub const SUMMARY_VERSION: u32 = 2;

/// One failing case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Failure {
    /// The case: a vector's full name, a file, or `case N` of a generated run.
    pub name: String,
    /// `divergence`, or the kind of subject error (`crashed`, `timed_out`, `garbage`, ...).
    pub kind: String,
    /// The fact the failure is pinned to.
    pub fact_index: Option<usize>,
    /// The rules involved, most specific first.
    pub rules: Vec<String>,
    /// The full report, without ANSI colours: the divergence with its diff, the rules that
    /// decided it and the counterexample as a trace, or the subject's error.
    pub message: String,
    /// The same report with the diff's ANSI colours, for a terminal ([`Failure::colored`]);
    /// not part of the JSON summary, so empty in a summary read back from JSON.
    #[serde(skip)]
    pub message_colored: String,
    /// Where the counterexample was saved, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved: Option<String>,
    /// A command that replays it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<String>,
    /// Why the counterexample could not be saved, if it could not (the run still exits 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub save_error: Option<String>,
    /// For a failure that did not repeat every time: in how many fresh subject processes it
    /// failed again (`2/5`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeated_in: Option<String>,
}

impl Failure {
    /// A failure of the case `name` whose report is `message` (colours, if any, are kept for
    /// [`Failure::colored`] and stripped from [`Failure::message`]).
    pub fn new(
        name: String,
        kind: &str,
        fact_index: Option<usize>,
        rules: Vec<String>,
        message: String,
    ) -> Failure {
        let mut failure = Failure {
            name,
            kind: kind.to_owned(),
            fact_index,
            rules,
            message: String::new(),
            message_colored: String::new(),
            saved: None,
            replay: None,
            save_error: None,
            repeated_in: None,
        };
        failure.set_message(message);
        failure
    }

    /// Replaces the report (see [`Failure::new`]).
    pub fn set_message(&mut self, message: String) {
        self.message = strip_colors(&message);
        self.message_colored = message;
    }

    /// The report with the diff's colours where it has them, else [`Failure::message`].
    pub fn colored(&self) -> &str {
        if self.message_colored.is_empty() {
            &self.message
        } else {
            &self.message_colored
        }
    }
}

/// How much [`Summary::render`] shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextStyle {
    /// Each failure in full (its diff, rules and counterexample), not only its `FAIL` line.
    pub failures_in_full: bool,
    /// ANSI colours in the diffs.
    pub color: bool,
}

/// Pass and fail counts of the vector cases naming one rule.
#[derive(Clone, Copy, Debug, Default, Serialize, schemars::JsonSchema)]
pub struct RuleTally {
    /// Cases naming the rule that passed.
    pub passed: usize,
    /// Cases naming the rule that failed.
    pub failed: usize,
}

/// One row of the coverage table.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct Coverage {
    pub(crate) rule: String,
    pub(crate) hits: usize,
}

/// The slice of a seeded `check` run that a shard ran: cases `first_case..end_case` of the run's
/// `cases_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ShardRange {
    /// K of `--shard K/N`.
    pub index: u64,
    /// N of `--shard K/N`.
    pub count: u64,
    /// The cases of the whole run.
    pub cases_total: u64,
    /// The shard's first case.
    pub first_case: u64,
    /// One past the shard's last case.
    pub end_case: u64,
}

/// How many of a `check` run's cases discriminate each departure: cases whose model outputs
/// (events and diagnostics) change when that one departure is switched to the other side of the
/// run's profile (`check::discriminated`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartureReach {
    /// The cases examined: every case the run counted (the summary's `cases`).
    pub cases: u64,
    /// The cases that discriminate at least one departure.
    pub any_departure: u64,
    /// For every departure, by its rule as `--depart` spells it (`DEDUP-1`), the cases that
    /// discriminate it.
    pub discriminating: BTreeMap<Departure, u64>,
}

impl Default for DepartureReach {
    fn default() -> DepartureReach {
        DepartureReach {
            cases: 0,
            any_departure: 0,
            discriminating: Departure::ALL.into_iter().map(|d| (d, 0)).collect(),
        }
    }
}

impl DepartureReach {
    /// Counts one case, which discriminates `departures`.
    pub fn count(&mut self, departures: &[Departure]) {
        self.cases = self.cases.saturating_add(1);
        if !departures.is_empty() {
            self.any_departure = self.any_departure.saturating_add(1);
        }
        for departure in departures {
            let count = self.discriminating.entry(*departure).or_insert(0);
            *count = count.saturating_add(1);
        }
    }

    /// Adds another run's counts to these (a shard's, `review-spec merge`), or says which sum
    /// would overflow (then nothing is added).
    pub fn try_add(&mut self, other: &DepartureReach) -> Result<(), String> {
        let add = |a: u64, b: u64, what: &str| a.checked_add(b).ok_or_else(|| what.to_owned());
        let cases = add(self.cases, other.cases, "cases")?;
        let any_departure = add(self.any_departure, other.any_departure, "any_departure")?;
        let mut discriminating = self.discriminating.clone();
        for (departure, count) in &other.discriminating {
            let total = discriminating.entry(*departure).or_insert(0);
            *total = add(*total, *count, departure.rule())?;
        }
        *self = DepartureReach {
            cases,
            any_departure,
            discriminating,
        };
        Ok(())
    }

    /// The cases that discriminate `departure`.
    pub fn of(&self, departure: Departure) -> u64 {
        self.discriminating.get(&departure).copied().unwrap_or(0)
    }

    fn table(&self) -> String {
        let mut text = format!(
            "departure reach (cases whose model outputs change with one departure switched, of {}; {} with any):\n",
            self.cases, self.any_departure
        );
        let cells: Vec<String> = Departure::ALL
            .into_iter()
            .map(|departure| {
                let count = self.of(departure);
                // Per mille, in integers: a share to one decimal of a percent.
                let permille = u128::from(count) * 1000 / u128::from(self.cases.max(1));
                format!(
                    "{:<8} {count:>6} {:>3}.{} %",
                    departure.rule(),
                    permille / 10,
                    permille % 10
                )
            })
            .collect();
        for line in cells.chunks(COVERAGE_COLUMNS) {
            let _ = writeln!(text, "  {}", line.join("    "));
        }
        text
    }
}

/// A vector case that did not run, and why.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Skipped {
    /// The case's full name.
    pub name: String,
    /// Why it does not apply.
    pub reason: String,
}

/// What a run did.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Summary {
    /// The command that ran: `check`, `vectors`, `replay`, `explain` or `generate`.
    pub command: &'static str,
    /// What the model followed where the spec departs from upstream.
    pub profile: Profile,
    /// The subject's name (a process subject's command).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The output kinds compared: those the subject declared it emits.
    pub compared: Vec<&'static str>,
    /// The output kinds left out of the comparison.
    pub not_compared: Vec<&'static str>,
    /// For `check`: the run's seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// For a sharded `check`: which slice of the seeded run it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardRange>,
    /// The cases run.
    pub cases: usize,
    /// The facts of those cases.
    pub facts: usize,
    /// The failing cases, in case order.
    pub failures: Vec<Failure>,
    /// Why the run stopped before its last case, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// The cases not run because the run stopped early.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub not_run: usize,
    /// For `vectors`: the cases that do not apply under the profile, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
    /// For `vectors`: pass/fail of the cases naming each rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_rule: Option<BTreeMap<String, RuleTally>>,
    /// For `check`: how many cases discriminate each departure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub departure_reach: Option<DepartureReach>,
    /// How often each rule applied in the model over the run.
    #[serde(skip)]
    pub rule_hits: BTreeMap<&'static str, usize>,
}

/// The JSON shape of a summary (`--json`): the summary, the coverage table and the exit code;
/// the schema of `spec/schema/summary.schema.json`.
#[derive(Serialize, schemars::JsonSchema)]
pub struct JsonSummary<'a> {
    /// [`SUMMARY_VERSION`].
    summary_version: u32,
    #[serde(flatten)]
    summary: &'a Summary,
    /// How many cases failed.
    failure_count: usize,
    /// Each rule of `spec/rules.md` (and each departure the profile follows) with how often it
    /// decided something in the model.
    rule_coverage: Vec<Coverage>,
    /// The rules that never did.
    rules_not_reached: Vec<String>,
    /// The process's exit code.
    exit_code: u8,
}

impl Summary {
    /// An empty summary of a run of `command` under `profile`.
    pub fn new(command: &'static str, profile: Profile) -> Summary {
        let mut summary = Summary {
            command,
            profile,
            subject: None,
            compared: Vec::new(),
            not_compared: Vec::new(),
            seed: None,
            shard: None,
            cases: 0,
            facts: 0,
            failures: Vec::new(),
            stopped: None,
            not_run: 0,
            skipped: Vec::new(),
            by_rule: None,
            departure_reach: None,
            rule_hits: BTreeMap::new(),
        };
        summary.set_compared(OutputKinds::ALL);
        summary
    }

    /// Records which output kinds the run compares.
    pub fn set_compared(&mut self, compared: OutputKinds) {
        self.compared = compared.kinds().iter().map(|kind| kind.name()).collect();
        self.not_compared = compared.missing().iter().map(|kind| kind.name()).collect();
    }

    /// Records that the run stopped early, and how many cases it did not run.
    pub fn stop(&mut self, reason: String, not_run: usize) {
        self.stopped = Some(reason);
        self.not_run = not_run;
    }

    /// Records a vector case that does not apply under the profile.
    pub fn skip(&mut self, name: &str, reason: String) {
        self.skipped.push(Skipped {
            name: name.to_owned(),
            reason,
        });
    }

    /// Whether the run can reach a rule or departure ID: a departure only where the profile
    /// follows upstream's behaviour on it, and a rule unless the profile follows upstream on a
    /// departure that replaces it.
    fn reachable(&self, id: &str) -> bool {
        let follows = |departure: &Departure| self.profile.follows_upstream(*departure);
        match Departure::ALL
            .into_iter()
            .find(|departure| departure.id() == id)
        {
            Some(departure) => follows(&departure),
            None => !Departure::ALL
                .iter()
                .filter(|departure| follows(departure))
                .any(|departure| departure.replaces().contains(&id)),
        }
    }

    /// Adds one case's rule hits to the run's (saturating: a run's own counts cannot reach
    /// 2^64; sums of untrusted counts use [`Summary::try_add_hits`]).
    pub fn add_hits(&mut self, hits: &BTreeMap<&'static str, usize>) {
        for (rule, count) in hits {
            let total = self.rule_hits.entry(rule).or_insert(0);
            *total = total.saturating_add(*count);
        }
    }

    /// Adds rule hits to the run's, or names the first rule whose sum would overflow (then
    /// nothing is added).
    pub fn try_add_hits(
        &mut self,
        hits: &BTreeMap<&'static str, usize>,
    ) -> Result<(), &'static str> {
        for (rule, count) in hits {
            let total = self.rule_hits.get(rule).copied().unwrap_or(0);
            if total.checked_add(*count).is_none() {
                return Err(rule);
            }
        }
        self.add_hits(hits);
        Ok(())
    }

    /// The coverage rows, in the order of the spec, then any rule the model hit that the spec
    /// does not list (which the traceability test forbids, so normally none).
    pub(crate) fn coverage(&self) -> Vec<Coverage> {
        let ids = rule_ids();
        let mut rows: Vec<Coverage> = ids
            .iter()
            .filter(|rule| self.reachable(rule))
            .map(|rule| Coverage {
                rule: (*rule).to_owned(),
                hits: self.rule_hits.get(rule).copied().unwrap_or(0),
            })
            .collect();
        for (rule, hits) in &self.rule_hits {
            if !ids.contains(rule) {
                rows.push(Coverage {
                    rule: (*rule).to_owned(),
                    hits: *hits,
                });
            }
        }
        rows
    }

    fn not_reached(&self) -> Vec<String> {
        self.coverage()
            .into_iter()
            .filter(|row| row.hits == 0)
            .map(|row| row.rule)
            .collect()
    }

    /// The summary as one JSON object.
    pub fn to_json(&self, exit_code: u8) -> String {
        serde_json::to_string_pretty(&self.to_json_value(exit_code)).unwrap_or_default()
    }

    /// The summary as a JSON value, for commands that add to it.
    pub fn to_json_value(&self, exit_code: u8) -> serde_json::Value {
        let json = JsonSummary {
            summary_version: SUMMARY_VERSION,
            summary: self,
            failure_count: self.failures.len(),
            rule_coverage: self.coverage(),
            rules_not_reached: self.not_reached(),
            exit_code,
        };
        serde_json::to_value(&json).unwrap_or_default()
    }

    /// The summary as text, without colours: counts, each failing case in full (its diff, the
    /// rules that decided it, the counterexample), per-rule vector results, coverage.
    pub fn to_text(&self) -> String {
        self.render(TextStyle {
            failures_in_full: true,
            color: false,
        })
    }

    /// The summary as text, showing as much as `style` says (the `review-spec` tool prints each
    /// failure in full as it is found, then the summary with its `FAIL` lines only).
    pub fn render(&self, style: TextStyle) -> String {
        let mut text = String::new();
        let failures = self.failures.len();
        let _ = write!(
            text,
            "summary: {} case{}, {} fact{}, {failures} failure{}",
            self.cases,
            plural(self.cases),
            self.facts,
            plural(self.facts),
            plural(failures)
        );
        if let Some(subject) = &self.subject {
            let _ = write!(text, ", subject `{subject}`");
        }
        if let Some(seed) = &self.seed {
            let _ = write!(text, ", seed {seed}");
        }
        let _ = write!(text, ", profile {}", self.profile);
        if let Some(shard) = &self.shard {
            let _ = write!(
                text,
                ", shard {}/{} (cases {}..{} of {})",
                shard.index, shard.count, shard.first_case, shard.end_case, shard.cases_total
            );
        }
        text.push('\n');
        if let Some(reason) = &self.stopped {
            let _ = writeln!(
                text,
                "stopped early after {reason}: {} not run",
                count_of(self.not_run, "case")
            );
        }
        if !self.not_compared.is_empty() {
            let _ = writeln!(
                text,
                "compared: {} outputs; not compared (the subject does not emit them): {}",
                self.compared.join(", "),
                self.not_compared.join(", ")
            );
        }
        if !self.skipped.is_empty() {
            let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
            for skipped in &self.skipped {
                // "not applicable to upstream: fact N: why" groups by its why.
                let reason = skipped
                    .reason
                    .split_once(": fact ")
                    .and_then(|(_, rest)| rest.split_once(": "))
                    .map_or(skipped.reason.as_str(), |(_, why)| why);
                *reasons.entry(reason).or_insert(0) += 1;
            }
            let _ = writeln!(
                text,
                "skipped {} that {} not apply under this profile:",
                count_of(self.skipped.len(), "case"),
                if self.skipped.len() == 1 {
                    "does"
                } else {
                    "do"
                }
            );
            for (reason, count) in reasons {
                let _ = writeln!(text, "  {count} × {reason}");
            }
        }
        for failure in &self.failures {
            let _ = write!(text, "  FAIL {}: {}", failure.name, failure.kind);
            if let Some(index) = failure.fact_index {
                let _ = write!(text, " at fact {index}");
            }
            if !failure.rules.is_empty() {
                let shown = failure.rules.len().min(RULES_SHOWN_MAX);
                let _ = write!(text, " ({}", failure.rules[..shown].join(", "));
                if failure.rules.len() > shown {
                    let _ = write!(text, ", +{} more", failure.rules.len() - shown);
                }
                text.push(')');
            }
            text.push('\n');
            if let Some(saved) = &failure.saved {
                let _ = writeln!(text, "    saved: {saved}");
            }
            if let Some(replay) = &failure.replay {
                let _ = writeln!(text, "    replay: {replay}");
            }
            if style.failures_in_full {
                let message = if style.color {
                    failure.colored()
                } else {
                    &failure.message
                };
                for line in message.lines() {
                    let _ = writeln!(text, "    {line}");
                }
            }
        }
        if let Some(by_rule) = &self.by_rule {
            text.push_str(&by_rule_table(by_rule));
        }
        text.push_str(&self.coverage_table());
        if let Some(reach) = &self.departure_reach {
            text.push_str(&reach.table());
        }
        text
    }

    fn coverage_table(&self) -> String {
        let rows = self.coverage();
        let mut text = format!(
            "rule coverage (times each rule decided something in the model, profile {}):\n",
            self.profile
        );
        let width = rows.iter().map(|row| row.rule.len()).max().unwrap_or(0);
        let hits_width = rows
            .iter()
            .map(|row| row.hits.to_string().len())
            .max()
            .unwrap_or(1);
        for line in rows.chunks(COVERAGE_COLUMNS) {
            let cells: Vec<String> = line
                .iter()
                .map(|row| format!("{:<width$} {:>hits_width$}", row.rule, row.hits))
                .collect();
            let _ = writeln!(text, "  {}", cells.join("    "));
        }
        let missing = self.not_reached();
        if missing.is_empty() {
            let _ = writeln!(
                text,
                "every rule of spec/rules.md (and every departure the profile follows) was applied"
            );
        } else {
            let _ = writeln!(
                text,
                "not applied in any case ({} of {}): {}",
                missing.len(),
                rows.len(),
                missing.join(", ")
            );
        }
        text
    }
}

fn by_rule_table(by_rule: &BTreeMap<String, RuleTally>) -> String {
    let mut text = String::from("vectors by rule (cases naming the rule: passed/failed):\n");
    let ids = rule_ids();
    let mut rows: Vec<(&str, RuleTally)> = ids
        .iter()
        .filter_map(|id| by_rule.get(*id).map(|tally| (*id, *tally)))
        .collect();
    rows.extend(
        by_rule
            .iter()
            .filter(|(id, _)| !ids.contains(&id.as_str()))
            .map(|(id, tally)| (id.as_str(), *tally)),
    );
    let cells: Vec<String> = rows
        .iter()
        .map(|(id, tally)| {
            let mark = if tally.failed > 0 { "FAIL" } else { "ok" };
            format!("{id:<8} {:>3}/{:<3} {mark:<4}", tally.passed, tally.failed)
        })
        .collect();
    for line in cells.chunks(COVERAGE_COLUMNS) {
        let _ = writeln!(text, "  {}", line.join("    ").trim_end());
    }
    text
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

/// `1 case`, `2 cases`.
fn count_of(count: usize, noun: &str) -> String {
    format!("{count} {noun}{}", plural(count))
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// `text` without ANSI color sequences (`ESC [ ... m`), as in the diffs of pretty_assertions.
pub fn strip_colors(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_read_from_the_spec_in_order() {
        let ids = rule_ids();
        assert_eq!(ids.first(), Some(&"FATE-1"));
        assert_eq!(ids.last(), Some(&"UP-TURN-1"));
        assert!(ids.contains(&"CAP-1"));
        assert!(ids.contains(&"GRANT-1"));
    }

    #[test]
    fn unreached_rules_are_named() {
        let mut summary = Summary::new("check", Profile::SPEC);
        summary.add_hits(&BTreeMap::from([("FATE-1", 3)]));
        let text = summary.to_text();
        assert!(text.contains("FATE-1"), "{text}");
        assert!(text.contains("not applied in any case"), "{text}");
        assert!(summary.not_reached().contains(&"GRANT-1".to_owned()));
        assert!(!summary.not_reached().contains(&"FATE-1".to_owned()));
    }
}
