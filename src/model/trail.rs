//! Rule marks: which rules the model applied, per fact and in total.
//!
//! A rule marks its ID where it *decides*: on the branch that makes an output, or a piece of state
//! a later output reads, what it is (CAP-1 when it evicts, not on every insert; SUM-1 when it
//! keeps a review off its item, not on every review). The marks of the current fact are attached
//! to each output it produces, each with its fact index (the differ and `explain` name rules by
//! them, and the differ names the fact where the deciding rule applied), and the totals are the
//! rule-coverage figures: rules applied, not rules consulted.
//!
//! Some rules decide on what the state *no longer* holds (a late request copy re-opens a review
//! that closed, LIFE-6; a guardian completion counts again after its turn released it, DEDUP-2;
//! equal item ids under another thread or turn, ISO-1). The [`Memory`] below remembers just
//! enough of the past to see those branches. It is explanation, not rule: no output reads it.
//! It is bounded: each of its sets remembers the last [`MEMORY_ENTRIES_MAX`] entries, so on a
//! longer trace a mark of LIFE-6, DEDUP-2 or ISO-1 may be missing where the past it needs is
//! older than that (the outputs are unchanged).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::fact::{ConnectionId, RequestId};

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
    /// The connection of the fact being applied (CTX-2 decides when an event's thread is bound
    /// to another one).
    pub(crate) current_connection: Option<ConnectionId>,
    pub(crate) memory: Memory,
}

/// How many entries each set of the explanation memory remembers: the most recent ones.
pub const MEMORY_ENTRIES_MAX: usize = 65_536;

/// What the rules forgot, remembered only to see where a rule decides (never read by a rule).
#[derive(Default)]
pub(crate) struct Memory {
    /// Request ids whose review closed (LIFE-6).
    pub(crate) closed_requests: Recent<RequestId, ()>,
    /// Guardian completions counted, by (thread, review id) (DEDUP-2).
    pub(crate) guardian_completions: Recent<(String, String), ()>,
    /// Up to two (thread, turn) scopes each item id was seen under: two are enough to tell that
    /// it was seen under another one (ISO-1).
    pub(crate) item_scopes: Recent<String, BTreeSet<(String, String)>>,
}

/// A map that remembers its last [`MEMORY_ENTRIES_MAX`] keys, forgetting the oldest first.
pub(crate) struct Recent<K, V> {
    map: BTreeMap<K, V>,
    order: VecDeque<K>,
}

impl<K, V> Default for Recent<K, V> {
    fn default() -> Self {
        Recent {
            map: BTreeMap::new(),
            order: VecDeque::new(),
        }
    }
}

impl<K: Ord + Clone, V: Default> Recent<K, V> {
    pub(crate) fn contains(&self, key: &K) -> bool {
        self.map.contains_key(key)
    }

    /// The value of `key`, inserted (and the oldest key forgotten past the bound) when new.
    pub(crate) fn entry(&mut self, key: K) -> &mut V {
        if !self.map.contains_key(&key) {
            if self.order.len() >= MEMORY_ENTRIES_MAX
                && let Some(oldest) = self.order.pop_front()
            {
                self.map.remove(&oldest);
            }
            self.order.push_back(key.clone());
        }
        self.map.entry(key).or_default()
    }
}

/// Where a piece of state or an output came from: the facts and the rules applied to them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Provenance {
    pub(crate) facts: Vec<usize>,
    /// Each rule applied, with the index of the fact it applied to.
    pub(crate) marks: Vec<(usize, &'static str)>,
}

impl Provenance {
    /// Adds `other`'s facts and marks that are not here yet.
    pub(crate) fn merge(&mut self, other: &Provenance) {
        for fact in &other.facts {
            if !self.facts.contains(fact) {
                self.facts.push(*fact);
            }
        }
        for mark in &other.marks {
            if !self.marks.contains(mark) {
                self.marks.push(*mark);
            }
        }
    }

    /// The rule IDs of the marks, each once, in order.
    pub(crate) fn rules(&self) -> Vec<&'static str> {
        let mut rules = Vec::new();
        for (_, rule) in &self.marks {
            if !rules.contains(rule) {
                rules.push(*rule);
            }
        }
        rules
    }
}

impl Trail {
    /// Records that rule `id` applied to the current fact.
    pub(crate) fn mark(&mut self, id: &'static str) {
        if self.recording == Recording::Nothing {
            return;
        }
        *self.hits.entry(id).or_insert(0) += 1;
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
            marks: self
                .current_fact
                .iter()
                .map(|rule| (self.current_index, *rule))
                .collect(),
        }
    }

    /// Whether the memory is kept: only when someone reads the marks.
    fn remembers(&self) -> bool {
        self.recording != Recording::Nothing
    }

    /// LIFE-6: remembers that request `id`'s review closed.
    pub(crate) fn note_closed(&mut self, id: RequestId) {
        if self.remembers() {
            self.memory.closed_requests.entry(id);
        }
    }

    /// LIFE-6: whether request `id`'s review closed before.
    pub(crate) fn was_closed(&self, id: RequestId) -> bool {
        self.memory.closed_requests.contains(&id)
    }

    /// DEDUP-2: remembers a counted guardian completion; returns whether it was counted before.
    pub(crate) fn note_guardian_completion(&mut self, thread_id: &str, review_id: &str) -> bool {
        if !self.remembers() {
            return false;
        }
        let key = (thread_id.to_owned(), review_id.to_owned());
        let seen = self.memory.guardian_completions.contains(&key);
        self.memory.guardian_completions.entry(key);
        seen
    }

    /// ISO-1: remembers item `item_id` under `(thread_id, turn_id)`; returns whether the same
    /// item id was seen under another thread or turn.
    pub(crate) fn note_item_scope(
        &mut self,
        thread_id: &str,
        turn_id: &str,
        item_id: &str,
    ) -> bool {
        if !self.remembers() {
            return false;
        }
        let scopes = self.memory.item_scopes.entry(item_id.to_owned());
        let scope = (thread_id.to_owned(), turn_id.to_owned());
        if scopes.len() < 2 {
            scopes.insert(scope);
            scopes.len() > 1
        } else {
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_explanation_memory_keeps_only_the_most_recent_entries() {
        let mut trail = Trail {
            recording: Recording::Explanations,
            ..Trail::default()
        };
        let last = u64::try_from(MEMORY_ENTRIES_MAX).unwrap_or(u64::MAX);
        for id in 0..=last {
            trail.note_closed(id);
        }
        assert!(!trail.was_closed(0), "the oldest is forgotten");
        assert!(trail.was_closed(1) && trail.was_closed(last));
        assert!(!trail.note_item_scope("t1", "u1", "i"));
        assert!(trail.note_item_scope("t2", "u1", "i"));
        assert!(trail.note_item_scope("t3", "u1", "i"));
        assert!(trail.note_item_scope("t1", "u1", "i"));
        assert_eq!(trail.memory.item_scopes.entry("i".to_owned()).len(), 2);
    }
}
