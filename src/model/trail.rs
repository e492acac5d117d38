//! Rule marks: which rules the model applied, per fact and in total.
//!
//! Every rule function marks its ID when it applies. The marks of the current fact are attached to
//! each output it produces (the differ and `explain` name rules by them), and the totals are the
//! rule-coverage figures.

use std::collections::BTreeMap;

/// The rule IDs applied so far.
#[derive(Default)]
pub(crate) struct Trail {
    pub(crate) current_fact: Vec<&'static str>,
    pub(crate) hits: BTreeMap<&'static str, usize>,
}

impl Trail {
    /// Records that rule `id` applied to the current fact.
    pub(crate) fn mark(&mut self, id: &'static str) {
        if !self.current_fact.contains(&id) {
            self.current_fact.push(id);
        }
        *self.hits.entry(id).or_insert(0) += 1;
    }
}
