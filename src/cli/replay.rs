//! `replay`: one trace (`.jsonl`) or vector file (`.json`, every case) through the model and a
//! subject; prints the first divergence with its diff and rule IDs, or that they agree. Under a
//! profile of the `upstream` base, a sequence with a fact upstream cannot express does not apply:
//! it is skipped, with the reason.
//!
//! A trace streams: facts are read, reduced and compared one at a time
//! ([`diff::StreamComparison`]), so memory does not grow with the trace. A divergence within the
//! first [`diff::EXPLAIN_PREFIX_MAX`] facts is explained in full by re-reading that prefix; one
//! further in is reported without the prefix (the fact, both outputs, the rules at the fact, the
//! facts just before it), and says so.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{
    CliError, Input, InputCase, Outcome, Printer, ProfileArgs, ReadArgs, SubjectArgs, make_subject,
    open_input,
};
use crate::diff::{self, EXPLAIN_PREFIX_MAX, FactDivergence, StreamComparison};
use crate::model;
use crate::profile::{Base, Profile, first_inexpressible, upstream_cannot_express};
use crate::report::{Failure, Summary};
use crate::subject::{Subject, SubjectError};
use crate::trace::TraceReader;

#[derive(Clone, Debug, Args)]
pub struct ReplayArgs {
    /// A trace (`.jsonl`) or a vector file (`.json`).
    pub file: PathBuf,

    #[command(flatten)]
    pub subject: SubjectArgs,

    #[command(flatten)]
    pub profile: ProfileArgs,

    #[command(flatten)]
    pub read: ReadArgs,
}

/// What one case came to.
enum Verdict {
    Agrees(usize),
    Diverged {
        fact_index: usize,
        rules: Vec<&'static str>,
        message: String,
    },
    Failed(SubjectError),
    NotApplicable(String),
}

pub(super) fn run(args: ReplayArgs, json: bool) -> Result<Outcome, CliError> {
    let printer = Printer { json };
    let input = open_input(&args.file, &args.profile, &args.read)?;
    let first_profile = match &input {
        Input::Trace { profile, .. } => *profile,
        Input::Cases(cases) => cases.first().map(|case| case.profile).unwrap_or_default(),
    };
    let mut subject = make_subject(&args.subject, &first_profile)?;
    let mut summary = Summary::new("replay", first_profile);
    summary.subject = Some(subject.name());
    summary.set_compared(subject.emits());
    match input {
        Input::Trace {
            name,
            profile,
            reader,
        } => {
            let verdict = replay_trace(subject.as_mut(), &mut summary, profile, reader, &args)?;
            record(&printer, &mut summary, name, verdict);
        }
        Input::Cases(cases) => {
            for case in cases {
                let name = case.name.clone();
                let verdict = replay_case(subject.as_mut(), &mut summary, case);
                record(&printer, &mut summary, name, verdict);
            }
        }
    }
    let outcome = Outcome::of(summary.failures.len());
    if json {
        super::write_stdout(&format!("{}\n", summary.to_json(outcome.exit_code())));
    } else {
        printer.line(summary.render(super::summary_style()));
    }
    Ok(outcome)
}

/// A vector case, held whole.
fn replay_case(subject: &mut dyn Subject, summary: &mut Summary, case: InputCase) -> Verdict {
    let InputCase {
        limits,
        profile,
        facts,
        history,
        expected,
        ..
    } = case;
    if profile.base == Base::Upstream
        && let Some((index, why)) = first_inexpressible(&facts)
    {
        return Verdict::NotApplicable(format!("not applicable to upstream: fact {index}: {why}"));
    }
    summary.cases += 1;
    summary.facts += facts.len();
    let (model_outputs, hits) = model::reduce_with_hits(&facts, &limits, &profile);
    summary.add_hits(&hits);
    // A vector file's `expected` is what the case pins: a model that no longer produces it is
    // reported before the subject is compared with the model.
    if let Some(expected) = expected
        && expected != model_outputs
    {
        let fact_index = crate::conformance::first_differing_fact(&expected, &model_outputs);
        return Verdict::Diverged {
            fact_index: fact_index.unwrap_or(0),
            rules: Vec::new(),
            message: format!(
                "the vector's expected outputs differ from the model's{}: the vector is stale, \
                 or the model changed (UPDATE_VECTORS=1 regenerates spec/vectors/)\n{}",
                fact_index.map_or(String::new(), |index| format!(" at fact {index}")),
                pretty_assertions::StrComparison::new(
                    &crate::diff::pretty(&expected),
                    &crate::diff::pretty(&model_outputs)
                )
            ),
        };
    }
    // A case with a history runs in a fresh process after it; one without, in the process
    // as it is (a fresh one for the first case).
    let compared = if history.is_empty() {
        diff::first_divergence(subject, &facts, &limits, &profile)
    } else {
        diff::first_divergence_after(subject, &history, &facts, &limits, &profile)
    };
    match compared {
        Ok(None) => Verdict::Agrees(facts.len()),
        Ok(Some(divergence)) => Verdict::Diverged {
            fact_index: divergence.fact_index,
            rules: divergence.rules.clone(),
            message: divergence.to_string(),
        },
        Err(error) => Verdict::Failed(error),
    }
}

/// A trace, streamed fact by fact.
fn replay_trace(
    subject: &mut dyn Subject,
    summary: &mut Summary,
    profile: Profile,
    mut reader: TraceReader<std::io::BufReader<std::fs::File>>,
    args: &ReplayArgs,
) -> Result<Verdict, CliError> {
    let limits = reader.limits();
    let mut inexpressible = None;
    let mut failure = None;
    let (facts, divergence) = {
        let mut stream = match StreamComparison::new(subject, &limits, &profile) {
            Ok(stream) => stream,
            Err(error) => return Ok(Verdict::Failed(error)),
        };
        while let Some(fact) = reader.next_fact()? {
            // The subject never sees a fact upstream cannot express: the trace does not apply.
            if profile.base == Base::Upstream
                && let Some(why) = upstream_cannot_express(&fact)
            {
                inexpressible = Some(format!(
                    "not applicable to upstream: fact {}: {why}",
                    stream.facts()
                ));
                break;
            }
            if let Err(error) = stream.push(fact) {
                failure.get_or_insert(error);
            }
        }
        if inexpressible.is_none() {
            summary.add_hits(stream.rule_hits());
        }
        (stream.facts(), stream.take_divergence())
    };
    if let Some(reason) = inexpressible {
        return Ok(Verdict::NotApplicable(reason));
    }
    summary.cases += 1;
    summary.facts += facts;
    if let Some(error) = failure {
        return Ok(Verdict::Failed(error));
    }
    let Some(mut divergence) = divergence else {
        return Ok(Verdict::Agrees(facts));
    };
    if divergence.fact_index < EXPLAIN_PREFIX_MAX {
        let prefix = read_prefix(&args.file, args.read.max_line_bytes, divergence.fact_index)?;
        match diff::first_divergence(subject, &prefix, &limits, &profile) {
            Ok(Some(full)) => {
                return Ok(Verdict::Diverged {
                    fact_index: full.fact_index,
                    rules: full.rules.clone(),
                    message: full.to_string(),
                });
            }
            Ok(None) => {
                divergence.why_bounded = format!(
                    "not explained further: the first {} facts, re-read and run again after a reset, did not diverge (the subject's outputs depend on more than the trace)",
                    prefix.len()
                );
            }
            Err(error) => {
                divergence.why_bounded = format!(
                    "not explained further: running the first {} facts again failed: {error}",
                    prefix.len()
                );
            }
        }
    }
    Ok(bounded(&divergence))
}

fn bounded(divergence: &FactDivergence) -> Verdict {
    Verdict::Diverged {
        fact_index: divergence.fact_index,
        rules: divergence.fact_rules.clone(),
        message: divergence.to_string(),
    }
}

/// The facts of the trace at `path` up to fact `last`, included.
fn read_prefix(
    path: &Path,
    max_line_bytes: usize,
    last: usize,
) -> Result<Vec<crate::fact::Fact>, CliError> {
    let mut reader = TraceReader::open(path, max_line_bytes)?;
    let mut facts = Vec::new();
    while facts.len() <= last
        && let Some(fact) = reader.next_fact()?
    {
        facts.push(fact);
    }
    Ok(facts)
}

fn record(printer: &Printer, summary: &mut Summary, name: String, verdict: Verdict) {
    match verdict {
        Verdict::Agrees(facts) => printer.line(format_args!(
            "{name}: agrees ({facts} fact{})",
            if facts == 1 { "" } else { "s" }
        )),
        Verdict::NotApplicable(reason) => {
            printer.line(format_args!("{name}: {reason}"));
            summary.skip(&name, reason);
        }
        Verdict::Diverged {
            fact_index,
            rules,
            message,
        } => {
            printer.line(format_args!("{name}:\n{message}"));
            summary.failures.push(Failure::new(
                name,
                "divergence",
                Some(fact_index),
                rules.iter().map(|r| (*r).to_owned()).collect(),
                message,
            ));
        }
        Verdict::Failed(error) => {
            printer.line(format_args!("{name}: {error}"));
            summary.failures.push(Failure::new(
                name,
                error.kind(),
                error.fact_index(),
                Vec::new(),
                error.to_string(),
            ));
        }
    }
}
