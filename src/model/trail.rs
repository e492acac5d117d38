//! Rule marks: which rules the model applied, per fact and in total.
//!
//! Every rule function marks its ID when it applies. The marks of the current fact are attached to
//! each output it produces (the differ and `explain` name rules by them), and the totals are the
//! rule-coverage figures.

use std::collections::BTreeMap;

/// How much the trail records. Marks always run; what they record depends on who asks: plain
/// outputs (the differ's comparison), rule-hit totals (coverage), or full explanations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Recording {
    #[default]
    Nothing,
    Hits,
    Explanations,
}

/// The rule IDs applied so far.
#[derive(Default)]
pub(crate) struct Trail {
    pub(crate) recording: Recording,
    /// Index of the fact being applied.
    pub(crate) current_index: usize,
    /// Rules applied to the fact being applied, in order.
    pub(crate) current_fact: Vec<&'static str>,
    pub(crate) hits: BTreeMap<&'static str, usize>,
}

/// Where a piece of state or an output came from: the facts and the rules applied to them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Provenance {
    pub(crate) facts: Vec<usize>,
    pub(crate) rules: Vec<&'static str>,
}

impl Provenance {
    /// Adds `other`'s facts and rules that are not here yet.
    pub(crate) fn merge(&mut self, other: &Provenance) {
        for fact in &other.facts {
            if !self.facts.contains(fact) {
                self.facts.push(*fact);
            }
        }
        for rule in &other.rules {
            if !self.rules.contains(rule) {
                self.rules.push(rule);
            }
        }
    }
}

impl Trail {
    /// Records that rule `id` applied to the current fact.
    pub(crate) fn mark(&mut self, id: &'static str) {
        if self.recording == Recording::Nothing {
            return;
        }
        *self.hits.entry(id).or_insert(0) += 1;
        if self.recording == Recording::Hits {
            return;
        }
        if !self.current_fact.contains(&id) {
            self.current_fact.push(id);
        }
    }

    /// The provenance of the fact being applied, so far.
    pub(crate) fn provenance(&self) -> Provenance {
        if self.recording != Recording::Explanations {
            return Provenance::default();
        }
        Provenance {
            facts: vec![self.current_index],
            rules: self.current_fact.clone(),
        }
    }
}
