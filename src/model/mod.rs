//! The executable reference model: the spec of `spec/rules.md` as code.
//!
//! Written for the reader, not for speed: one small function per rule, the rule ID first in its
//! doc comment, plain vectors searched linearly, no caches. One file per rule family
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

use crate::event::{Emitted, Limits};
use crate::fact::Fact;
use crate::profile::Profile;
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
    let mut state = state::State::new(limits, profile, recording);
    let mut outputs = Vec::with_capacity(facts.len());
    let mut fact_rules = Vec::new();
    for (at, fact) in facts.iter().enumerate() {
        state.trail.current_fact.clear();
        state.trail.current_index = at;
        state.trail.current_connection = fact.connection_id();
        state.apply(fact);
        for (output, provenance) in state.outputs.drain(..) {
            outputs.push(ExplainedOutput {
                emitted: Emitted { at, output },
                rules: provenance.rules(),
                marks: provenance
                    .marks
                    .iter()
                    .map(|&(fact, rule)| RuleMark { fact, rule })
                    .collect(),
                facts: provenance.facts,
            });
        }
        if recording == Recording::Explanations {
            fact_rules.push(state.trail.current_fact.clone());
        }
    }
    Explained {
        outputs,
        fact_rules,
        rule_hits: state.trail.hits,
    }
}
