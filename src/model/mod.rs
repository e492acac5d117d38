//! The executable reference model: the spec of `spec/rules.md` as code.
//!
//! Written for the reader, not for speed: one small function per rule, the rule ID first in its
//! doc comment, no caches. The state tables are lists in insertion order, with an index so that
//! a lookup is not a search (`cap.rs`): time stays linear in the trace under any limit. One file per rule family
//! (`grant.rs` holds GRANT-n). It shares only the vocabulary (`fact`, `event`) with the
//! production reducer, never rule logic, so that a diff between the two means something.
//!
//! Every rule function marks its ID on a trail; [`reduce_explained`] returns, with each output,
//! the rules applied to its fact before it was emitted, and how often each rule applied.

mod cap;
mod ctx;
mod dec;
mod dedup;
mod fate;
mod grant;
mod guard;
mod id;
mod iso;
mod item;
mod life;
mod state;
mod subj;
mod sum;
mod time;
mod trail;
mod turn;

use std::collections::BTreeMap;

use crate::event::{DiagnosticReason, Emitted, Limits, Output};
use crate::fact::Fact;
use crate::profile::Profile;
use state::State;
use trail::Recording;

/// One output of the model with where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExplainedOutput {
    pub emitted: Emitted,
    /// The rule IDs applied to produce it, earliest first: those applied to the facts it carries
    /// state from (its request, the reviews on its item), then those of its own fact.
    pub rules: Vec<&'static str>,
    /// Each rule applied, with the index of the fact it applied to, earliest first.
    pub marks: Vec<RuleMark>,
    /// The indexes of the facts it came from, its own last.
    pub facts: Vec<usize>,
}

/// A rule applied to a fact: where the rule decided something an output shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleMark {
    /// Index of the fact.
    pub fact: usize,
    pub rule: &'static str,
}

/// The model's outputs, explained, and how often each rule applied over the whole reduction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Explained {
    pub outputs: Vec<ExplainedOutput>,
    /// The rules applied to each fact, by fact index.
    pub fact_rules: Vec<Vec<&'static str>>,
    pub rule_hits: BTreeMap<&'static str, usize>,
}

pub use trail::MEMORY_ENTRIES_MAX;

/// The model as a state machine: one fact in, that fact's outputs out. Its memory is its six
/// bounded tables (CAP-1) and, when explaining, the bounded explanation memory
/// ([`MEMORY_ENTRIES_MAX`]) and the provenance of what the tables hold; never the facts. This
/// is what streaming reads use; [`reduce`] and its siblings are loops over it.
pub struct Model {
    state: state::State,
    /// The index of the next fact.
    at: usize,
}

impl Model {
    /// A model that returns outputs only.
    pub fn new(limits: &Limits, profile: &Profile) -> Model {
        Model::recording(limits, profile, Recording::Nothing)
    }

    /// A model that also counts how often each rule applied ([`Model::rule_hits`]) and keeps
    /// the rules applied to the last fact ([`Model::fact_rules`]).
    pub fn with_hits(limits: &Limits, profile: &Profile) -> Model {
        Model::recording(limits, profile, Recording::Hits)
    }

    /// A model whose outputs come with their rules and source facts ([`Model::apply_explained`]).
    pub fn explaining(limits: &Limits, profile: &Profile) -> Model {
        Model::recording(limits, profile, Recording::Explanations)
    }

    fn recording(limits: &Limits, profile: &Profile, recording: Recording) -> Model {
        Model {
            state: state::State::new(limits, profile, recording),
            at: 0,
        }
    }

    /// ORDER-1: applies the next fact and returns its outputs.
    pub fn apply(&mut self, fact: &Fact) -> Vec<Emitted> {
        self.apply_explained(fact)
            .into_iter()
            .map(|o| o.emitted)
            .collect()
    }

    /// As [`Model::apply`], each output with its rules and source facts (empty unless the model
    /// is [`Model::explaining`]).
    pub fn apply_explained(&mut self, fact: &Fact) -> Vec<ExplainedOutput> {
        let at = self.at;
        self.at += 1;
        let trail = &mut self.state.trail;
        trail.current_fact.clear();
        trail.current_index = at;
        trail.current_connection = fact.connection_id();
        dispatch(&mut self.state, fact);
        self.state
            .outputs
            .drain(..)
            .map(|(output, provenance)| ExplainedOutput {
                emitted: Emitted { at, output },
                rules: provenance.rules(),
                marks: provenance
                    .marks
                    .iter()
                    .map(|&(fact, rule)| RuleMark { fact, rule })
                    .collect(),
                facts: provenance.facts,
            })
            .collect()
    }

    /// The rules applied to the last fact, in order (unless the model records nothing).
    pub fn fact_rules(&self) -> &[&'static str] {
        &self.state.trail.current_fact
    }

    /// How often each rule applied so far (unless the model records nothing).
    pub fn rule_hits(&self) -> &BTreeMap<&'static str, usize> {
        &self.state.trail.hits
    }

    /// How many facts were applied.
    pub fn facts_applied(&self) -> usize {
        self.at
    }
}

/// ORDER-1: reduces facts in order to their outputs, each tagged with the index of its fact,
/// following `profile` where the spec departs from upstream.
pub fn reduce(facts: &[Fact], limits: &Limits, profile: &Profile) -> Vec<Emitted> {
    run(facts, limits, profile, Recording::Nothing)
        .outputs
        .into_iter()
        .map(|o| o.emitted)
        .collect()
}

/// As [`reduce`], with how often each rule applied (rule coverage), but no explanations.
pub fn reduce_with_hits(
    facts: &[Fact],
    limits: &Limits,
    profile: &Profile,
) -> (Vec<Emitted>, BTreeMap<&'static str, usize>) {
    let explained = run(facts, limits, profile, Recording::Hits);
    let outputs = explained.outputs.into_iter().map(|o| o.emitted).collect();
    (outputs, explained.rule_hits)
}

/// As [`reduce`], with the rules and facts behind each output and the rule-hit totals. The
/// slowest of the three: use it to explain, not to compare.
pub fn reduce_explained(facts: &[Fact], limits: &Limits, profile: &Profile) -> Explained {
    run(facts, limits, profile, Recording::Explanations)
}

fn run(facts: &[Fact], limits: &Limits, profile: &Profile, recording: Recording) -> Explained {
    let mut model = Model::recording(limits, profile, recording);
    let mut outputs = Vec::with_capacity(facts.len());
    let mut fact_rules = Vec::new();
    for fact in facts {
        outputs.extend(model.apply_explained(fact));
        if recording == Recording::Explanations {
            fact_rules.push(model.fact_rules().to_vec());
        }
    }
    Explained {
        outputs,
        fact_rules,
        rule_hits: model.state.trail.hits,
    }
}

/// FATE-2: the vocabulary is closed, so this dispatch is exhaustive: every fact type has rules.
/// TIME-2 is checked before any of them.
fn dispatch(state: &mut State, fact: &Fact) {
    state.trail.mark("FATE-2");
    if time::has_negative_timestamp(fact) {
        state.trail.mark("TIME-2");
        item::consume_start_of_rejected(state, fact);
        state.emit(Output::Diagnostic(fate::about_fact(
            fact,
            DiagnosticReason::NegativeTimestamp,
        )));
        return;
    }
    match fact {
        Fact::TurnCompleted {
            thread_id, turn_id, ..
        } => turn::release_turn(state, thread_id, turn_id),
        Fact::Initialize {
            connection_id,
            app_server_client,
            runtime,
        } => ctx::record_connection(state, *connection_id, app_server_client, runtime),
        Fact::ThreadBound { .. } => ctx::bind_thread(state, fact),
        Fact::ItemStarted { .. } => item::start_item(state, fact),
        Fact::ItemCompleted { .. } => item::complete_item(state, fact),
        Fact::RequestAborted { .. }
        | Fact::MalformedResponse { .. }
        | Fact::FileChangeResponse { .. }
        | Fact::CommandExecutionResponse { .. }
        | Fact::EffectivePermissionsResponse { .. } => life::close_request(state, fact),
        Fact::FileChangeRequest { .. }
        | Fact::PermissionsRequest { .. }
        | Fact::CommandExecutionRequest { .. } => life::open_request(state, fact),
        Fact::GuardianReviewCompleted { .. } => guard::complete_guardian_review(state, fact),
    }
}
