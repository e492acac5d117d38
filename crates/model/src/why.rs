//! Provenance: why an output, or a piece of state, is what it is, as the rules decided it.
//!
//! A rule that decides a value records a [`Because`]: the rule, the index of the fact where it
//! decided, what it decided (a field, that something exists, ...), and whether it decided by an
//! *exception*: a branch that sets aside what would otherwise have happened (a fact rejected or
//! absorbed, state kept against a later fact or removed before its natural end, a value
//! replaced, a departure point taken either way) rather than the rule's general case (a table
//! lookup, a count, an opening, a closing).
//!
//! Values carry their [`Why`] through the state: a pending review carries the decisions of its
//! request, a summary those of the reviews it counts, a thread binding those of `thread_bound`,
//! and an output is emitted with the decisions behind each of its fields. What the rules forgot
//! is remembered, bounded, for the same purpose (`trail.rs`, `Memory`): why an entry is gone (a
//! tombstone), so that an output *not* produced names the rule that removed what it needed.
//!
//! Nothing here is read by a rule: provenance is explanation. It is recorded only when the model
//! is asked for explanations; otherwise every [`Mark`] is empty and every [`Why`] stays empty.

/// What a decision decided, or which part of an output a [`Why`] entry explains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Aspect {
    /// That the output exists at all; for an output not produced, that it is not.
    Exists,
    /// The event's context: its thread's binding and that connection's metadata (CTX).
    Context,
    /// Its place among the outputs of its fact, at a level of ordering (see [`Rank`]).
    Order(u8),
    /// One field, by its name on the wire (`"status"`; `"event_type"` for the event type).
    Field(&'static str),
}

impl std::fmt::Display for Aspect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Aspect::Exists => write!(f, "exists"),
            Aspect::Context => write!(f, "context"),
            Aspect::Order(level) => write!(f, "order {level}"),
            Aspect::Field(name) => write!(f, "{name}"),
        }
    }
}

impl Why {
    /// Each aspect with its decisions, as `aspect: RULE@fact, RULE!@fact` (`!`: an exception),
    /// in the order the aspects were first recorded.
    pub fn lines(&self) -> Vec<(Aspect, String)> {
        let mut lines: Vec<(Aspect, Vec<String>)> = Vec::new();
        for (aspect, because) in &self.entries {
            let text = format!(
                "{}{}@{}",
                because.rule,
                if because.exception { "!" } else { "" },
                because.fact
            );
            match lines.iter_mut().find(|(a, _)| a == aspect) {
                Some((_, texts)) => texts.push(text),
                None => lines.push((*aspect, vec![text])),
            }
        }
        lines
            .into_iter()
            .map(|(aspect, texts)| (aspect, texts.join(", ")))
            .collect()
    }
}

/// A rule's decision at a fact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Because {
    /// The rule ID.
    pub rule: &'static str,
    /// Index of the fact where the rule decided.
    pub fact: usize,
    /// What it decided: a field it set, or that something exists.
    pub decided: Aspect,
    /// Decided by an exception rather than by the rule's general case.
    pub exception: bool,
}

/// A decision being made at the current fact, before it is attached to what it decided: empty
/// when the model records nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use = "a mark is attached to the value it decided, or dropped on purpose with `let _`"]
pub struct Mark(pub(crate) Option<Decision>);

/// A rule's decision at a fact, before it is known what it decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Decision {
    /// The rule ID.
    pub rule: &'static str,
    /// Index of the fact where the rule decided.
    pub fact: usize,
    /// Decided by an exception rather than by the rule's general case.
    pub exception: bool,
}

impl Mark {
    pub(crate) const NONE: Mark = Mark(None);

    /// The mark of a decision already recorded, to attach it to something else it decided.
    pub(crate) fn of(because: Because) -> Mark {
        Mark(Some(Decision {
            rule: because.rule,
            fact: because.fact,
            exception: because.exception,
        }))
    }

    /// The decision as having decided `aspect`.
    fn deciding(self, aspect: Aspect) -> Option<Because> {
        self.0.map(|decision| Because {
            rule: decision.rule,
            fact: decision.fact,
            decided: aspect,
            exception: decision.exception,
        })
    }
}

/// The order of an output among its fact's outputs, level by level: the rules that emit them in
/// turn (level 0), then the order within one released table (level 1). Two outputs are ordered by
/// the first level at which their ranks differ, and the `Order(level)` entries of their [`Why`]s
/// say why.
pub type Rank = Vec<u64>;

/// The most entries one [`Why`] keeps.
pub const WHY_ENTRIES_MAX: usize = 256;

/// The decisions behind a value or an output: each entry names the aspect it explains and the
/// decision, in the order they were recorded (at most `WHY_ENTRIES_MAX`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Why {
    entries: Vec<(Aspect, Because)>,
}

impl Why {
    /// Records that `mark` decided `aspect` itself.
    pub(crate) fn add(&mut self, aspect: Aspect, mark: Mark) {
        if let Some(because) = mark.deciding(aspect) {
            self.push(aspect, because);
        }
    }

    /// Records that `mark` decided each of `aspects`.
    pub(crate) fn add_each(&mut self, aspects: &[Aspect], mark: Mark) {
        for aspect in aspects {
            self.add(*aspect, mark);
        }
    }

    /// Records, under `aspect`, every decision `from` holds for `from_aspect`: a value derived
    /// from another (an item's outcome from its review's status) carries that value's decisions.
    pub(crate) fn carry(&mut self, aspect: Aspect, from: &Why, from_aspect: Aspect) {
        for (entry_aspect, because) in &from.entries {
            if *entry_aspect == from_aspect {
                self.push(aspect, *because);
            }
        }
    }

    /// Records, under `aspect`, the decisions `from` holds for `from_aspect` as general cases: a
    /// value taken over from another entry as that entry had it (a sub-agent thread's connection
    /// from its parent's binding), for which the other entry's exceptions were preconditions,
    /// not the step that made this value.
    pub(crate) fn inherit(&mut self, aspect: Aspect, from: &Why, from_aspect: Aspect) {
        for (entry_aspect, because) in &from.entries {
            if *entry_aspect == from_aspect {
                let general = Because {
                    exception: false,
                    ..*because
                };
                self.push(aspect, general);
            }
        }
    }

    /// Records, under `aspect`, every decision `from` holds, whatever it explains there.
    pub(crate) fn carry_all_as(&mut self, aspect: Aspect, from: &Why) {
        for (_, because) in &from.entries {
            self.push(aspect, *because);
        }
    }

    /// A why with `mark` deciding each of `aspects`.
    pub(crate) fn of_mark(aspects: &[Aspect], mark: Mark) -> Why {
        let mut why = Why::default();
        why.add_each(aspects, mark);
        why
    }

    /// Records `mark` under every aspect explained so far, and under [`Aspect::Exists`]: a
    /// decision about the whole value (an exception that kept it, or replaced it).
    pub(crate) fn also(&mut self, mark: Mark) {
        let mut aspects: Vec<Aspect> = vec![Aspect::Exists];
        for (aspect, _) in &self.entries {
            if !aspects.contains(aspect) {
                aspects.push(*aspect);
            }
        }
        self.add_each(&aspects, mark);
    }

    /// Records, under each of `aspects`, every decision `from` holds for the same aspect.
    pub(crate) fn carry_each(&mut self, aspects: &[Aspect], from: &Why) {
        for aspect in aspects {
            self.carry(*aspect, from, *aspect);
        }
    }

    /// Forgets the decisions behind `aspect`: its value was replaced.
    pub(crate) fn drop_aspect(&mut self, aspect: Aspect) {
        self.entries
            .retain(|(entry_aspect, _)| *entry_aspect != aspect);
    }

    /// Adds every entry of `from`, under the aspects it has there.
    pub(crate) fn merge(&mut self, from: &Why) {
        for (aspect, because) in &from.entries {
            self.push(*aspect, *because);
        }
    }

    fn push(&mut self, aspect: Aspect, because: Because) {
        if self.entries.contains(&(aspect, because)) {
            return;
        }
        if self.entries.len() >= WHY_ENTRIES_MAX {
            // Bounded: a summary of ten thousand reviews does not carry ten thousand records.
            // The oldest general case goes first; exceptions stay while there is one to drop.
            let oldest_general = self.entries.iter().position(|(_, b)| !b.exception);
            self.entries.remove(oldest_general.unwrap_or(0));
        }
        self.entries.push((aspect, because));
    }

    /// The decisions behind `aspect`, in the order they were recorded.
    pub fn of(&self, aspect: Aspect) -> impl Iterator<Item = &Because> + '_ {
        self.entries
            .iter()
            .filter(move |(entry_aspect, _)| *entry_aspect == aspect)
            .map(|(_, because)| because)
    }

    /// The decisions behind the field named `name`, in the order they were recorded.
    pub fn of_field<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Because> + 'a {
        self.entries
            .iter()
            .filter(move |(aspect, _)| matches!(aspect, Aspect::Field(field) if *field == name))
            .map(|(_, because)| because)
    }

    /// Every entry: the aspect it explains and the decision.
    pub fn entries(&self) -> &[(Aspect, Because)] {
        &self.entries
    }

    /// Every decision, each once, in the order recorded.
    pub fn decisions(&self) -> Vec<Because> {
        let mut decisions: Vec<Because> = Vec::new();
        for (_, because) in &self.entries {
            if !decisions
                .iter()
                .any(|d| d.rule == because.rule && d.fact == because.fact)
            {
                decisions.push(*because);
            }
        }
        decisions
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(rule: &'static str, fact: usize, exception: bool) -> Mark {
        Mark(Some(Decision {
            rule,
            fact,
            exception,
        }))
    }

    #[test]
    fn a_why_is_bounded_and_keeps_its_exceptions_longest() {
        let mut why = Why::default();
        why.add(Aspect::Exists, mark("LIFE-3", 0, true));
        for fact in 1..=WHY_ENTRIES_MAX + 10 {
            why.add(Aspect::Field("review_count"), mark("SUM-2", fact, false));
        }
        assert_eq!(why.entries().len(), WHY_ENTRIES_MAX);
        assert!(why.of(Aspect::Exists).any(|b| b.rule == "LIFE-3"));
        let counts: Vec<usize> = why
            .of(Aspect::Field("review_count"))
            .map(|b| b.fact)
            .collect();
        assert_eq!(
            counts.last(),
            Some(&(WHY_ENTRIES_MAX + 10)),
            "the latest kept"
        );
        assert_eq!(
            counts.first(),
            Some(&12),
            "the oldest general cases dropped"
        );
    }

    #[test]
    fn carrying_files_decisions_under_the_new_aspect_and_keeps_what_they_decided() {
        let mut review = Why::default();
        review.add(Aspect::Field("status"), mark("DEC-1", 3, false));
        let mut item = Why::default();
        item.carry(
            Aspect::Field("final_approval_outcome"),
            &review,
            Aspect::Field("status"),
        );
        let carried: Vec<&Because> = item.of_field("final_approval_outcome").collect();
        assert_eq!(carried.len(), 1);
        assert_eq!(carried[0].decided, Aspect::Field("status"));
        assert_eq!((carried[0].rule, carried[0].fact), ("DEC-1", 3));
    }
}
