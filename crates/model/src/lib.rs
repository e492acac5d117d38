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

#![warn(missing_docs)]

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
mod why;

use review_spec_vocab::{event, fact, profile};

use std::collections::BTreeMap;

use crate::event::{DiagnosticReason, Emitted, Identity, Limits, Output};
use crate::fact::Fact;
use crate::profile::{Departure, Profile};
use state::State;
use trail::Entry;
use trail::Recording;

/// One output of the model with where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExplainedOutput {
    /// The output, with the index of its fact.
    pub emitted: Emitted,
    /// The decisions behind it: for each field, for its existence, its context and its place
    /// among its fact's outputs, the rules that decided it and the facts where they did.
    pub why: Why,
    /// Its place among its fact's outputs, level by level ([`Rank`]).
    pub rank: Rank,
    /// The rule IDs behind it, each once, earliest fact first.
    pub rules: Vec<&'static str>,
    /// The indexes of the facts it came from, its own last.
    pub facts: Vec<usize>,
}

/// An output a fact did not produce, and why: a duplicate suppressed, a review left pending, an
/// event dropped, a completion refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withheld {
    /// Index of the fact.
    pub at: usize,
    /// What was not produced.
    pub identity: Identity,
    /// The decisions not to produce it, under [`Aspect::Exists`].
    pub why: Why,
}

/// The model's outputs, explained, and how often each rule applied over the whole reduction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Explained {
    /// The outputs, in order, each with its explanation.
    pub outputs: Vec<ExplainedOutput>,
    /// The rules applied to each fact, by fact index.
    pub fact_rules: Vec<Vec<&'static str>>,
    /// The decisions made at each fact, in order, by fact index.
    pub fact_decisions: Vec<Vec<Decision>>,
    /// The outputs each fact did not produce, in fact order.
    pub withheld: Vec<Withheld>,
    /// How often each rule applied over the whole reduction.
    pub rule_hits: BTreeMap<&'static str, usize>,
}

pub use trail::MEMORY_ENTRIES_MAX;
pub use why::{Aspect, Because, Decision, Rank, Why};

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
        trail.current_decisions.clear();
        trail.withheld.clear();
        trail.current_index = at;
        trail.current_connection = fate::connection_of(fact);
        dispatch(&mut self.state, fact);
        self.state
            .outputs
            .drain(..)
            .map(|(output, why, rank)| {
                let (rules, facts) = rules_and_facts(&why, at);
                ExplainedOutput {
                    emitted: Emitted { at, output },
                    why,
                    rank,
                    rules,
                    facts,
                }
            })
            .collect()
    }

    /// The decisions made at the last fact, in order (when explaining).
    pub fn fact_decisions(&self) -> &[Decision] {
        &self.state.trail.current_decisions
    }

    /// The outputs the last fact did not produce, and why (when explaining).
    pub fn withheld(&self) -> impl Iterator<Item = Withheld> + '_ {
        let at = self.at.saturating_sub(1);
        self.state
            .trail
            .withheld
            .iter()
            .map(move |(identity, why)| Withheld {
                at,
                identity: identity.clone(),
                why: why.clone(),
            })
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

    /// The departures whose decision point the facts applied so far reached, in ID order,
    /// whatever the model records. A departure not among them played no part: the same facts
    /// under the profile with it switched ([`Profile::switching`]) give the same outputs.
    pub fn departures_consulted(&self) -> Vec<Departure> {
        self.state.trail.consulted().collect()
    }
}

/// What a reduction with rule hits gives: the outputs, how often each rule applied, and the
/// departures it consulted ([`Model::departures_consulted`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reduction {
    /// The outputs, in order.
    pub outputs: Vec<Emitted>,
    /// How often each rule applied.
    pub rule_hits: BTreeMap<&'static str, usize>,
    /// The departures whose switch the reduction reached, whichever way it went.
    pub departures_consulted: Vec<Departure>,
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

/// As [`reduce_with_hits`], with the departures the reduction consulted: what `check` runs on
/// every case.
pub fn reduce_counting(facts: &[Fact], limits: &Limits, profile: &Profile) -> Reduction {
    let mut model = Model::with_hits(limits, profile);
    let mut outputs = Vec::with_capacity(facts.len());
    for fact in facts {
        outputs.extend(model.apply(fact));
    }
    Reduction {
        outputs,
        departures_consulted: model.departures_consulted(),
        rule_hits: model.state.trail.hits,
    }
}

/// As [`reduce`], with the rules and facts behind each output and the rule-hit totals. The
/// slowest of the three: use it to explain, not to compare.
pub fn reduce_explained(facts: &[Fact], limits: &Limits, profile: &Profile) -> Explained {
    run(facts, limits, profile, Recording::Explanations)
}

fn run(facts: &[Fact], limits: &Limits, profile: &Profile, recording: Recording) -> Explained {
    let mut model = Model::recording(limits, profile, recording);
    let mut outputs = Vec::with_capacity(facts.len());
    let mut explained = Explained::default();
    for fact in facts {
        outputs.extend(model.apply_explained(fact));
        if recording == Recording::Explanations {
            explained.fact_rules.push(model.fact_rules().to_vec());
            explained
                .fact_decisions
                .push(model.fact_decisions().to_vec());
            explained.withheld.extend(model.withheld());
        }
    }
    explained.outputs = outputs;
    explained.rule_hits = model.state.trail.hits;
    explained
}

/// The rules behind an output, each once, and the facts they decided at, earliest first and
/// the output's own fact `at` last.
fn rules_and_facts(why: &Why, at: usize) -> (Vec<&'static str>, Vec<usize>) {
    let mut decisions = why.decisions();
    decisions.sort_by_key(|decision| decision.fact);
    let mut rules = Vec::new();
    let mut facts: Vec<usize> = Vec::new();
    for decision in decisions {
        if !rules.contains(&decision.rule) {
            rules.push(decision.rule);
        }
        if decision.fact != at && !facts.contains(&decision.fact) {
            facts.push(decision.fact);
        }
    }
    facts.push(at);
    (rules, facts)
}

/// FATE-2: the vocabulary is closed, so this dispatch is exhaustive: every fact type has rules.
/// TIME-2 is checked before any of them.
fn dispatch(state: &mut State, fact: &Fact) {
    let _ = state.trail.generic("FATE-2");
    if time::has_negative_timestamp(fact) {
        reject(state, fact);
        return;
    }
    let accepts = state.trail.noted("TIME-2");
    state
        .trail
        .withhold_diagnostic(crate::event::DiagnosticReason::NegativeTimestamp, accepts);
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
        Fact::SubagentThreadStarted { .. } => ctx::start_subagent_thread(state, fact),
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

/// TIME-2: a fact with a negative timestamp is rejected: a diagnostic, and nothing else changes.
/// What it would have produced is not; what it would have closed or released stays, against it;
/// what it would have opened is not there.
fn reject(state: &mut State, fact: &Fact) {
    let rejects = state.trail.exception("TIME-2");
    let why = Why::of_mark(&[Aspect::Exists], rejects);
    item::consume_start_of_rejected(state, fact, rejects);
    match fact {
        Fact::TurnCompleted {
            thread_id, turn_id, ..
        } => {
            turn::keep_turn_of_rejected(state, thread_id, turn_id, rejects);
            for reason in [
                DiagnosticReason::UnansweredRequest,
                DiagnosticReason::ItemNeverCompleted,
                DiagnosticReason::UnconsumedSummary,
            ] {
                state
                    .trail
                    .withhold(Identity::Diagnostic { reason }, why.clone());
            }
        }
        Fact::ItemStarted {
            thread_id,
            turn_id,
            item_id,
            ..
        } => {
            let key = iso::item_key(thread_id, turn_id, item_id);
            state.trail.note_gone(Entry::start(&key), why.clone());
        }
        Fact::ItemCompleted {
            thread_id,
            turn_id,
            item_id,
            ..
        } => {
            let identity = Identity::tool_item(thread_id, turn_id, item_id);
            state.trail.withhold(identity, why.clone());
        }
        Fact::FileChangeRequest { request_id, .. }
        | Fact::PermissionsRequest { request_id, .. }
        | Fact::CommandExecutionRequest { request_id, .. } => {
            if state.pending_requests.get(request_id).is_none() {
                state
                    .trail
                    .note_gone(Entry::Request(*request_id), why.clone());
            }
        }
        Fact::GuardianReviewCompleted { review_id, .. } => {
            let review_id = id::guardian_review_id(review_id);
            state
                .trail
                .withhold(Identity::Review { review_id }, why.clone());
        }
        Fact::Initialize { .. } | Fact::ThreadBound { .. } | Fact::SubagentThreadStarted { .. } => {
        }
        Fact::RequestAborted { request_id, .. }
        | Fact::MalformedResponse { request_id, .. }
        | Fact::FileChangeResponse { request_id, .. }
        | Fact::CommandExecutionResponse { request_id, .. }
        | Fact::EffectivePermissionsResponse { request_id, .. } => {
            let review_id = id::user_review_id(*request_id);
            state
                .trail
                .withhold(Identity::Review { review_id }, why.clone());
            if let Some(pending) = state.pending_requests.get_mut(request_id) {
                pending.why.also(rejects);
            }
        }
    }
    let diagnostic = fate::about_fact(fact, DiagnosticReason::NegativeTimestamp);
    state.emit(Output::Diagnostic(diagnostic), why);
}
