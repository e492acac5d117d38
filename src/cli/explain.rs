//! `explain`: for each output of the model on a trace or vector file, the rule IDs that produced
//! it and the facts it came from ([`model::Model::explaining`]). Facts that produced no output
//! are listed too, with the rules they went through, so every fact's fate shows (FATE-1).
//!
//! The explanation streams: each fact is read, reduced and printed before the next is read, so
//! memory does not grow with the trace (the model's bounded state and explanation memory, and
//! the kinds of the last [`FACT_KINDS_WINDOW`] facts to name the facts an output comes from).
//! With `--json`, stdout is one JSON object written as it goes: `explained` (per case, its facts
//! in order, each with its rules and outputs), then the summary's fields.

use std::collections::VecDeque;
use std::io::Write as _;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::{CliError, Input, Outcome, ProfileArgs, ReadArgs, open_input};
use crate::event::{Emitted, Limits};
use crate::fact::Fact;
use crate::model::{ExplainedOutput, Model};
use crate::profile::Profile;
use crate::report::Summary;

/// How many of the last facts' kinds `explain` keeps to name the facts an output comes from;
/// an older one is named by its index alone.
pub const FACT_KINDS_WINDOW: usize = 65_536;

#[derive(Clone, Debug, Args)]
pub struct ExplainArgs {
    /// A trace (`.jsonl`) or a vector file (`.json`, every case).
    pub file: PathBuf,

    #[command(flatten)]
    pub profile: ProfileArgs,

    #[command(flatten)]
    pub read: ReadArgs,
}

/// One explained output, as `--json` prints it.
#[derive(Serialize)]
struct JsonOutput<'a> {
    #[serde(flatten)]
    emitted: &'a Emitted,
    rules: &'a [&'static str],
    facts: &'a [usize],
    /// Each aspect (a field, `exists`, `context`, `order N`) with the decisions behind it.
    decided: Vec<JsonDecided>,
}

/// The decisions behind one aspect of an output.
#[derive(Serialize)]
struct JsonDecided {
    aspect: String,
    by: Vec<JsonDecision>,
}

/// One decision: the rule, the fact where it decided, whether by an exception.
#[derive(Serialize)]
struct JsonDecision {
    rule: &'static str,
    fact: usize,
    exception: bool,
}

/// The decisions behind each aspect of an output, aspects in the order first recorded.
fn decided(output: &ExplainedOutput) -> Vec<JsonDecided> {
    let mut decided: Vec<JsonDecided> = Vec::new();
    for (aspect, because) in output.why.entries() {
        let aspect = aspect.to_string();
        let decision = JsonDecision {
            rule: because.rule,
            fact: because.fact,
            exception: because.exception,
        };
        match decided.iter_mut().find(|d| d.aspect == aspect) {
            Some(entry) => entry.by.push(decision),
            None => decided.push(JsonDecided {
                aspect,
                by: vec![decision],
            }),
        }
    }
    decided
}

/// One explained fact, as `--json` prints it.
#[derive(Serialize)]
struct JsonFact<'a> {
    index: usize,
    #[serde(rename = "type")]
    kind: &'static str,
    /// The rules applied to the fact.
    rules: &'a [&'static str],
    outputs: Vec<JsonOutput<'a>>,
}

pub(super) fn run(args: ExplainArgs, json: bool) -> Result<Outcome, CliError> {
    let input = open_input(&args.file, &args.profile, &args.read)?;
    let first_profile = match &input {
        Input::Trace { profile, .. } => *profile,
        Input::Cases(cases) => cases.first().map(|case| case.profile).unwrap_or_default(),
    };
    let mut summary = Summary::new("explain", first_profile);
    let mut out = Out::new(json);
    out.write(if json { "{\"explained\": [\n" } else { "" });
    let result = match input {
        Input::Trace {
            name,
            profile,
            mut reader,
        } => {
            let limits = reader.limits();
            let facts =
                std::iter::from_fn(|| reader.next_fact().map_err(CliError::from).transpose());
            explain_case(&mut out, &mut summary, &name, &limits, &profile, facts)
        }
        Input::Cases(cases) => cases.into_iter().try_for_each(|case| {
            let facts = case.facts.into_iter().map(Ok);
            explain_case(
                &mut out,
                &mut summary,
                &case.name,
                &case.limits,
                &case.profile,
                facts,
            )
        }),
    };
    match (result, json) {
        (Ok(()), true) => {
            let value = summary.to_json_value(Outcome::Agree.exit_code());
            out.write("\n]");
            out.json_fields(&value);
            out.write("}\n");
        }
        (Ok(()), false) => out.write(&format!("{}\n", summary.render(super::summary_style()))),
        (Err(error), true) => {
            // Close the document: stdout holds one JSON object, here with the error.
            out.write("\n]");
            out.json_fields(&serde_json::json!({
                "error": error.to_string(),
                "exit_code": CliError::EXIT_CODE,
            }));
            out.write("}\n");
            out.flush();
            return Err(CliError::AfterJson(Box::new(error)));
        }
        (Err(error), false) => {
            out.flush();
            return Err(error);
        }
    }
    out.flush();
    Ok(Outcome::Agree)
}

/// Explains one fact sequence, printing each fact as it is reduced.
fn explain_case(
    out: &mut Out,
    summary: &mut Summary,
    name: &str,
    limits: &Limits,
    profile: &Profile,
    facts: impl Iterator<Item = Result<Fact, CliError>>,
) -> Result<(), CliError> {
    let mut model = Model::explaining(limits, profile);
    let mut kinds = VecDeque::new();
    let mut output_count = 0;
    if out.json {
        let separator = if summary.cases == 0 { "" } else { ",\n" };
        let name = serde_json::to_string(name).unwrap_or_default();
        out.write(&format!("{separator}{{\"name\": {name}, \"facts\": [\n"));
    } else {
        out.write(&format!("== {name}\n"));
    }
    for fact in facts {
        let fact = match fact {
            Ok(fact) => fact,
            Err(error) => {
                if out.json {
                    out.write("\n]}");
                }
                return Err(error);
            }
        };
        let index = model.facts_applied();
        let outputs = model.apply_explained(&fact);
        if kinds.len() == FACT_KINDS_WINDOW {
            kinds.pop_front();
        }
        kinds.push_back(fact.type_name());
        let kind_of = |at: usize| {
            let oldest = index + 1 - kinds.len();
            at.checked_sub(oldest).and_then(|i| kinds.get(i).copied())
        };
        if out.json {
            out.write(&json_fact(index, &fact, model.fact_rules(), &outputs));
        } else {
            out.write(&text_fact(
                index,
                &fact,
                model.fact_rules(),
                &outputs,
                output_count,
                kind_of,
            ));
        }
        output_count += outputs.len();
    }
    let fact_count = model.facts_applied();
    summary.cases += 1;
    summary.facts += fact_count;
    summary.add_hits(model.rule_hits());
    if out.json {
        out.write(&format!(
            "\n], \"fact_count\": {fact_count}, \"output_count\": {output_count}}}"
        ));
    } else {
        out.write(&format!(
            "-- {name}: {fact_count} fact{}, {output_count} output{}\n\n",
            plural(fact_count),
            plural(output_count)
        ));
    }
    Ok(())
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// One fact as `--json` prints it: one line, a separator before all but the first.
fn json_fact(
    index: usize,
    fact: &Fact,
    rules: &[&'static str],
    outputs: &[ExplainedOutput],
) -> String {
    let value = JsonFact {
        index,
        kind: fact.type_name(),
        rules,
        outputs: outputs
            .iter()
            .map(|output| JsonOutput {
                emitted: &output.emitted,
                rules: &output.rules,
                facts: &output.facts,
                decided: decided(output),
            })
            .collect(),
    };
    let separator = if index == 0 { "" } else { ",\n" };
    format!(
        "{separator}{}",
        serde_json::to_string(&value).unwrap_or_default()
    )
}

/// One fact as text: its rules, then each output with its rules and source facts.
fn text_fact(
    index: usize,
    fact: &Fact,
    rules: &[&'static str],
    outputs: &[ExplainedOutput],
    first_number: usize,
    kind_of: impl Fn(usize) -> Option<&'static str>,
) -> String {
    use std::fmt::Write as _;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "fact {index} {}: rules {}",
        fact.type_name(),
        rules.join(", ")
    );
    for (number, output) in (first_number..).zip(outputs) {
        let facts_from: Vec<String> = output
            .facts
            .iter()
            .map(|&at| format!("{at} ({})", kind_of(at).unwrap_or("earlier")))
            .collect();
        let _ = writeln!(
            text,
            "  output {number}: {}\n    {}\n    rules: {}\n    from facts: {}",
            output.emitted.output.event_type(),
            serde_json::to_string(&output.emitted.output).unwrap_or_default(),
            output.rules.join(", "),
            facts_from.join(", ")
        );
        for (aspect, by) in output.why.lines() {
            let _ = writeln!(text, "      {aspect}: {by}");
        }
    }
    if outputs.is_empty() {
        text.push_str("  (no output)\n");
    }
    text
}

/// Buffered stdout. A write error ends the run as [`super::write_stdout`] does: quietly with 141
/// on a closed pipe, with a message and 2 otherwise.
struct Out {
    json: bool,
    writer: std::io::BufWriter<std::io::StdoutLock<'static>>,
}

impl Out {
    fn new(json: bool) -> Out {
        Out {
            json,
            writer: std::io::BufWriter::new(std::io::stdout().lock()),
        }
    }

    fn write(&mut self, text: &str) {
        if let Err(error) = self.writer.write_all(text.as_bytes()) {
            super::stdout_failed(&error);
        }
    }

    /// The fields of a JSON object, each after a comma.
    fn json_fields(&mut self, value: &serde_json::Value) {
        if let Some(object) = value.as_object() {
            for (key, value) in object {
                let key = serde_json::to_string(key).unwrap_or_default();
                let value = serde_json::to_string_pretty(value).unwrap_or_default();
                self.write(&format!(",\n{key}: {value}"));
            }
        }
    }

    fn flush(&mut self) {
        if let Err(error) = self.writer.flush() {
            super::stdout_failed(&error);
        }
    }
}
