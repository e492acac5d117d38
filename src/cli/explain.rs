//! `explain`: for each output of the model on a trace or vector file, the rule IDs that produced
//! it and the facts it came from (`model::reduce_explained`). Facts that produced no output are
//! listed too, with the rules they went through, so every fact's fate shows (FATE-1).

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::{CliError, Outcome, Printer, ProfileArgs, input_cases};
use crate::event::Emitted;
use crate::fact::Fact;
use crate::model::{self, Explained};
use crate::report::Summary;

#[derive(Clone, Debug, Args)]
pub struct ExplainArgs {
    /// A trace (`.jsonl`) or a vector file (`.json`, every case).
    pub file: PathBuf,

    #[command(flatten)]
    pub profile: ProfileArgs,
}

/// One explained output, as `--json` prints it.
#[derive(Serialize)]
struct JsonOutput<'a> {
    #[serde(flatten)]
    emitted: &'a Emitted,
    rules: &'a [&'static str],
    facts: &'a [usize],
}

/// One explained case, as `--json` prints it.
#[derive(Serialize)]
struct JsonCase<'a> {
    name: String,
    outputs: Vec<JsonOutput<'a>>,
    /// The rules applied to each fact, by fact index.
    fact_rules: &'a [Vec<&'static str>],
}

pub(super) fn run(args: ExplainArgs, json: bool) -> Result<Outcome, CliError> {
    let printer = Printer { json };
    let cases = input_cases(&args.file, &args.profile)?;
    let first_profile = cases.first().map(|case| case.profile).unwrap_or_default();
    let mut summary = Summary::new("explain", first_profile);
    let explained: Vec<(String, Explained)> = cases
        .iter()
        .map(|case| {
            let explanation = model::reduce_explained(&case.facts, &case.limits, &case.profile);
            (case.name.clone(), explanation)
        })
        .collect();
    for (case, (_, explanation)) in cases.iter().zip(&explained) {
        summary.cases += 1;
        summary.facts += case.facts.len();
        summary.add_hits(&explanation.rule_hits);
        printer.line(render(&case.name, &case.facts, explanation));
    }
    if json {
        let mut value = summary.to_json_value(Outcome::Agree.exit_code());
        let cases: Vec<JsonCase> = explained
            .iter()
            .map(|(name, explanation)| JsonCase {
                name: name.clone(),
                outputs: explanation
                    .outputs
                    .iter()
                    .map(|output| JsonOutput {
                        emitted: &output.emitted,
                        rules: &output.rules,
                        facts: &output.facts,
                    })
                    .collect(),
                fact_rules: &explanation.fact_rules,
            })
            .collect();
        if let Some(object) = value.as_object_mut() {
            object.insert(
                "explained".to_owned(),
                serde_json::to_value(&cases).unwrap_or_default(),
            );
        }
        super::print_json(&value);
    } else {
        printer.line(summary.to_text());
    }
    Ok(Outcome::Agree)
}

/// A case's explanation as text: fact by fact, each output with its rules and source facts.
fn render(name: &str, facts: &[Fact], explained: &Explained) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "== {name}: {} fact{}, {} output{}",
        facts.len(),
        if facts.len() == 1 { "" } else { "s" },
        explained.outputs.len(),
        if explained.outputs.len() == 1 {
            ""
        } else {
            "s"
        }
    );
    let mut outputs = explained.outputs.iter().enumerate().peekable();
    for (index, fact) in facts.iter().enumerate() {
        let rules = explained
            .fact_rules
            .get(index)
            .map(|rules| rules.join(", "))
            .unwrap_or_default();
        let _ = writeln!(text, "fact {index} {}: rules {rules}", fact.type_name());
        let mut any = false;
        while let Some((number, output)) = outputs.next_if(|(_, o)| o.emitted.at == index) {
            any = true;
            let facts_from: Vec<String> = output
                .facts
                .iter()
                .map(|at| {
                    let kind = facts.get(*at).map_or("?", Fact::type_name);
                    format!("{at} ({kind})")
                })
                .collect();
            let _ = writeln!(
                text,
                "  output {number}: {}\n    {}\n    rules: {}\n    from facts: {}",
                output.emitted.output.event_type(),
                serde_json::to_string(&output.emitted.output).unwrap_or_default(),
                output.rules.join(", "),
                facts_from.join(", ")
            );
        }
        if !any {
            text.push_str("  (no output)\n");
        }
    }
    text
}
