//! Rule marks: which rules the model applied, per fact and in total, and the decisions behind
//! each output (`why.rs`).
//!
//! A rule marks its ID where it *decides*: on the branch that makes an output, or a piece of state
//! a later output reads, what it is (CAP-1 when it evicts, not on every insert; SUM-1 when it
//! keeps a review off its item, not on every review). A mark returns the decision ([`Mark`]),
//! which the rule attaches to what it decided; the totals are the rule-coverage figures: rules
//! applied, not rules consulted. Rules that apply to every fact or output alike (FATE-2, and
//! ORDER-1 and FATE-1 on every emission) are counted, and decide nothing in particular.
//!
//! Some rules decide on what the state *no longer* holds (a late request copy re-opens a review
//! that closed, LIFE-6; a guardian completion counts again after its turn released it, DEDUP-2;
//! equal item ids under another thread or turn, ISO-1; a response finds nothing pending because
//! its request was evicted). The [`Memory`] below remembers just enough of the past to see those
//! branches and to say why an entry is gone. It is explanation, not rule: no output reads it.
//! It is bounded: each of its sets remembers the last [`MEMORY_ENTRIES_MAX`] entries, so on a
//! longer trace a mark of LIFE-6, DEDUP-2 or ISO-1, or the reason an entry is gone, may be
//! missing where the past it needs is older than that (the outputs are unchanged).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::why::{Aspect, Decision, Mark, Why};
use crate::event::{DiagnosticReason, Identity, Table};
use crate::fact::{ConnectionId, Id, RequestId};
use crate::profile::Departure;

/// How much the trail records. Marks always run; what they record depends on who asks: plain
/// outputs (the differ's comparison), rule-hit totals (coverage), or full explanations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Recording {
    #[default]
    Nothing,
    Hits,
    Explanations,
}

/// The rule IDs applied so far, and the decisions of the current fact.
#[derive(Default)]
pub(crate) struct Trail {
    pub(crate) recording: Recording,
    /// Index of the fact being applied.
    pub(crate) current_index: usize,
    /// Rules applied to the fact being applied, in order.
    pub(crate) current_fact: Vec<&'static str>,
    /// The decisions made at the fact being applied, in order (when explaining).
    pub(crate) current_decisions: Vec<Decision>,
    /// The outputs the fact being applied did not produce, and why (when explaining).
    pub(crate) withheld: Vec<(Identity, Why)>,
    pub(crate) hits: BTreeMap<&'static str, usize>,
    /// The connection of the fact being applied (CTX-2 decides when an event's thread is bound
    /// to another one).
    pub(crate) current_connection: Option<ConnectionId>,
    pub(crate) memory: Memory,
    /// The departures whose decision point the reduction reached, by `Departure as usize`,
    /// whatever the recording: a departure never consulted cannot change the outputs.
    pub(crate) consulted: [bool; Departure::ALL.len()],
}

/// How many entries each set of the explanation memory remembers: the most recent ones.
pub const MEMORY_ENTRIES_MAX: usize = 65_536;

/// A state entry, by table and key, for remembering why it is gone.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Entry {
    Connection(ConnectionId),
    Thread(Id),
    Request(RequestId),
    Guardian(Id, Id),
    /// The requests of a (thread, turn) that left the pending table before the turn ended.
    TurnRequests(Id, Id),
    /// An item start, by thread, turn and item.
    Start(Id, Id, Id),
    /// An item summary, by thread, turn and item.
    Summary(Id, Id, Id),
}

impl Entry {
    /// The table the entry is (or was) in.
    fn table(&self) -> Option<Table> {
        match self {
            Entry::Connection(_) => Some(Table::Connections),
            Entry::Thread(_) => Some(Table::Threads),
            Entry::Request(_) => Some(Table::PendingRequests),
            Entry::Guardian(..) => Some(Table::GuardianCompletions),
            Entry::Start(..) => Some(Table::ItemStarts),
            Entry::Summary(..) => Some(Table::ItemSummaries),
            Entry::TurnRequests(..) => None,
        }
    }
}

/// What the rules forgot, remembered only to see where a rule decides and to say why an entry
/// is gone (never read by a rule).
#[derive(Default)]
pub(crate) struct Memory {
    /// Request ids whose review closed (LIFE-6).
    pub(crate) closed_requests: Recent<RequestId, ()>,
    /// Guardian completions counted, by (thread, review id) (DEDUP-2).
    pub(crate) guardian_completions: Recent<(String, String), ()>,
    /// Up to two (thread, turn) scopes each item id was seen under: two are enough to tell that
    /// it was seen under another one (ISO-1).
    pub(crate) item_scopes: Recent<String, BTreeSet<(String, String)>>,
    /// Why each entry that left its table (or never entered it) is gone: the decisions that
    /// removed or refused it, with the decisions it carried.
    pub(crate) gone: Recent<Entry, Why>,
    /// Why the last entry that left each table left it (by `Table as usize`): a table with room
    /// for an insertion has it because of that.
    pub(crate) last_removal: [Why; 6],
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

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key)
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

impl Trail {
    /// Records that the reduction reached `departure`'s decision point: the outputs may depend
    /// on which side of it the profile takes.
    pub(crate) fn consult(&mut self, departure: Departure) {
        if let Some(consulted) = self.consulted.get_mut(departure as usize) {
            *consulted = true;
        }
    }

    /// The departures consulted so far, in ID order.
    pub(crate) fn consulted(&self) -> impl Iterator<Item = Departure> + '_ {
        Departure::ALL
            .into_iter()
            .filter(|departure| self.consulted.get(*departure as usize) == Some(&true))
    }

    /// Records that rule `id` decided at the current fact by its general case.
    pub(crate) fn mark(&mut self, id: &'static str) -> Mark {
        self.decide(id, false)
    }

    /// Records that rule `id` decided at the current fact by an exception: it set aside what
    /// would otherwise have happened (module `why`).
    pub(crate) fn exception(&mut self, id: &'static str) -> Mark {
        self.decide(id, true)
    }

    /// Records that a rule that applies to every fact or output alike applied: counted, and
    /// listed with the fact's rules, but not one of the fact's decisions. Its mark explains what
    /// it does decide for every output (ORDER-1: the order of a fact's outputs).
    pub(crate) fn generic(&mut self, id: &'static str) -> Mark {
        if self.recording == Recording::Nothing {
            return Mark::NONE;
        }
        *self.hits.entry(id).or_insert(0) += 1;
        if !self.current_fact.contains(&id) {
            self.current_fact.push(id);
        }
        if !self.explains() {
            return Mark::NONE;
        }
        Mark(Some(Decision {
            rule: id,
            fact: self.current_index,
            exception: false,
        }))
    }

    /// A rule's general case that produced nothing (a table with room evicts nothing; a new
    /// request id conflicts with none): not counted as applied, and recorded only to say why an
    /// output was not produced ([`Trail::withhold`]).
    pub(crate) fn noted(&self, id: &'static str) -> Mark {
        self.implied(id, false)
    }

    /// A decision that follows from another the rules made here (an update kept its entry's
    /// place, by CAP-1): not counted as applied, recorded only to explain the value it decided.
    pub(crate) fn implied(&self, id: &'static str, exception: bool) -> Mark {
        if !self.explains() {
            return Mark::NONE;
        }
        Mark(Some(Decision {
            rule: id,
            fact: self.current_index,
            exception,
        }))
    }

    /// Records that the current fact did not produce a diagnostic of `reason`, decided by
    /// `mark`.
    pub(crate) fn withhold_diagnostic(&mut self, reason: DiagnosticReason, mark: Mark) {
        if self.explains() {
            let why = Why::of_mark(&[Aspect::Exists], mark);
            self.withheld.push((Identity::Diagnostic { reason }, why));
        }
    }

    /// Why each entry of `(thread_id, turn_id)` in the item table `start` (or, when false, the
    /// summaries) is gone, for the entries gone within memory.
    pub(crate) fn gone_in_turn(&self, starts: bool, thread_id: &str, turn_id: &str) -> Vec<Why> {
        let (thread, turn, first) = (Id::from(thread_id), Id::from(turn_id), Id::from(""));
        let from = if starts {
            Entry::Start(thread, turn, first)
        } else {
            Entry::Summary(thread, turn, first)
        };
        self.memory
            .gone
            .map
            .range(from..)
            .take_while(|(entry, _)| match entry {
                Entry::Start(thread, turn, _) | Entry::Summary(thread, turn, _) => {
                    matches!(entry, Entry::Start(..)) == starts
                        && **thread == *thread_id
                        && **turn == *turn_id
                }
                _ => false,
            })
            .map(|(_, why)| why.clone())
            .collect()
    }

    fn decide(&mut self, id: &'static str, exception: bool) -> Mark {
        let Mark(Some(general)) = self.generic(id) else {
            return Mark::NONE;
        };
        let decision = Decision {
            exception,
            ..general
        };
        if !self.current_decisions.contains(&decision) {
            self.current_decisions.push(decision);
        }
        Mark(Some(decision))
    }

    /// Whether provenance is recorded.
    pub(crate) fn explains(&self) -> bool {
        self.recording == Recording::Explanations
    }

    /// Whether the memory is kept: only when someone reads the marks.
    fn remembers(&self) -> bool {
        self.recording != Recording::Nothing
    }

    /// Records that the current fact did not produce the output `identity` names, and why.
    pub(crate) fn withhold(&mut self, identity: Identity, why: Why) {
        if self.explains() {
            self.withheld.push((identity, why));
        }
    }

    /// Remembers why `entry` is gone (or never entered its table).
    pub(crate) fn note_gone(&mut self, entry: Entry, why: Why) {
        if self.explains() {
            if let Some(table) = entry.table() {
                self.memory.last_removal[table as usize] = why.clone();
            }
            *self.memory.gone.entry(entry) = why;
        }
    }

    /// Why the last entry that left `table` left it (empty when none did).
    pub(crate) fn last_removal(&self, table: Table) -> Why {
        self.memory.last_removal[table as usize].clone()
    }

    /// Adds to why `entry` is gone (one of several that left).
    pub(crate) fn note_also_gone(&mut self, entry: Entry, why: &Why) {
        if self.explains() {
            self.memory.gone.entry(entry).merge(why);
        }
    }

    /// Why `entry` is gone, when it left its table (or was refused) within memory; empty when it
    /// never was there, or is older than the memory.
    pub(crate) fn why_gone(&self, entry: &Entry) -> Why {
        self.memory.gone.get(entry).cloned().unwrap_or_default()
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

    #[test]
    fn marks_record_decisions_only_when_explaining() {
        let mut hits = Trail {
            recording: Recording::Hits,
            ..Trail::default()
        };
        assert_eq!(hits.mark("GRANT-1"), Mark::NONE);
        assert_eq!(hits.hits.get("GRANT-1"), Some(&1));
        let mut explaining = Trail {
            recording: Recording::Explanations,
            current_index: 3,
            ..Trail::default()
        };
        let Mark(Some(decision)) = explaining.exception("LIFE-3") else {
            panic!("an explaining trail records the decision");
        };
        assert_eq!((decision.rule, decision.fact), ("LIFE-3", 3));
        assert!(decision.exception);
        let _ = explaining.generic("FATE-2");
        assert_eq!(explaining.current_decisions, [decision]);
        assert_eq!(explaining.current_fact, ["LIFE-3", "FATE-2"]);
    }
}
