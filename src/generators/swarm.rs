//! Swarm configuration: which features one generated case may use, and how big its pools are.
//!
//! Swarm testing (Groce et al., 2012) leaves features *out* at random: a case that never sees an
//! `initialize`, or never sees a response, reaches states an all-features case almost never
//! does. A [`SwarmConfig`] is drawn first; the scenario and chaos generators then stay inside it.
//! It is printed with every failing case, on one line.

use std::fmt;

use proptest::prelude::*;

use super::chaos::ChaosKind;
use crate::event::Limits;
use crate::fact::Fact;

/// What one generated case may contain.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SwarmConfig {
    /// The fact kinds that may appear; never empty.
    pub fact_kinds: FactKinds,
    /// The chaos operations that may be applied; empty means no chaos.
    pub chaos: ChaosKinds,
    /// Connection pool size, 1..=3: connections `1..=connections`.
    pub connections: u8,
    /// Thread pool size, 1..=3: threads `"t1"..`.
    pub threads: u8,
    /// Turn ids per thread, 1..=2: turns `"u1"..`.
    pub turns_per_thread: u8,
    /// Most items per turn, 1..=3: items `"i1"..`.
    pub items_per_turn: u8,
    /// The limits the case is reduced with; sometimes small, to exercise CAP-1 eviction.
    pub limits: Limits,
}

/// A set of fact kinds, by index in [`Fact::TYPE_NAMES`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FactKinds(u16);

/// A set of chaos operations, by index in [`ChaosKind::ALL`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChaosKinds(u16);

/// The swarm configuration strategy: half the cases enable every fact kind, the others leave
/// each kind out with probability 1/4; a third of the cases have no chaos; limits are small
/// (1..=8) in a fifth of the cases.
pub fn swarm_config() -> impl Strategy<Value = SwarmConfig> {
    let fact_kinds = prop_oneof![
        Just(FactKinds::ALL),
        proptest::collection::vec(proptest::bool::weighted(0.25), Fact::TYPE_NAMES.len())
            .prop_map(|disabled| FactKinds::from_disabled(&disabled))
            .prop_filter("at least one fact kind", |kinds| !kinds.is_empty()),
    ];
    let chaos = prop_oneof![
        1 => Just(ChaosKinds::NONE),
        2 => proptest::collection::vec(proptest::bool::weighted(0.5), ChaosKind::ALL.len())
            .prop_map(|enabled| ChaosKinds::from_enabled(&enabled)),
    ];
    let limits = prop_oneof![
        4 => Just(Limits::default()),
        1 => (1usize..=8).prop_map(|table_entries_max| Limits { table_entries_max }),
    ];
    (
        fact_kinds,
        chaos,
        1u8..=3,
        1u8..=3,
        1u8..=2,
        1u8..=3,
        limits,
    )
        .prop_map(
            |(
                fact_kinds,
                chaos,
                connections,
                threads,
                turns_per_thread,
                items_per_turn,
                limits,
            )| {
                SwarmConfig {
                    fact_kinds,
                    chaos,
                    connections,
                    threads,
                    turns_per_thread,
                    items_per_turn,
                    limits,
                }
            },
        )
}

impl SwarmConfig {
    /// Whether `fact` is of an enabled kind.
    pub fn allows(&self, fact: &Fact) -> bool {
        self.fact_kinds.contains(fact)
    }

    /// Removes every fact of a disabled kind.
    pub fn retain_enabled(&self, facts: &mut Vec<Fact>) {
        facts.retain(|fact| self.allows(fact));
    }

    /// The connection ids of the pool, `1..=connections`.
    pub fn connection_ids(&self) -> impl Iterator<Item = u64> + use<> {
        1..=u64::from(self.connections.max(1))
    }
}

impl Default for SwarmConfig {
    /// Every fact kind, no chaos, the largest pools, default limits.
    fn default() -> SwarmConfig {
        SwarmConfig {
            fact_kinds: FactKinds::ALL,
            chaos: ChaosKinds::NONE,
            connections: 3,
            threads: 3,
            turns_per_thread: 2,
            items_per_turn: 3,
            limits: Limits::default(),
        }
    }
}

impl fmt::Display for SwarmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "swarm: facts={} chaos={} connections={} threads={} turns/thread={} items/turn={} table_entries_max={}",
            self.fact_kinds,
            self.chaos,
            self.connections,
            self.threads,
            self.turns_per_thread,
            self.items_per_turn,
            self.limits.table_entries_max
        )
    }
}

/// The same single line as `Display`: a failing case prints it verbatim.
impl fmt::Debug for SwarmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FactKinds {
    /// Every fact kind.
    pub const ALL: FactKinds = FactKinds((1 << Fact::TYPE_NAMES.len()) - 1);

    /// No fact kind (not a valid swarm configuration on its own).
    pub const NONE: FactKinds = FactKinds(0);

    /// The kinds whose entry in `disabled` (indexed as [`Fact::TYPE_NAMES`]) is false; entries
    /// past the last kind are ignored.
    pub fn from_disabled(disabled: &[bool]) -> FactKinds {
        let mut kinds = FactKinds::ALL;
        let flags = disabled.iter().take(Fact::TYPE_NAMES.len()).enumerate();
        for (index, _) in flags.filter(|(_, off)| **off) {
            kinds.0 &= !(1 << index);
        }
        kinds
    }

    /// The kind named `type_name` added to this set; unknown names change nothing.
    pub fn with(self, type_name: &str) -> FactKinds {
        match kind_index(type_name) {
            Some(index) => FactKinds(self.0 | 1 << index),
            None => self,
        }
    }

    /// Whether `fact`'s kind is in the set.
    pub fn contains(self, fact: &Fact) -> bool {
        self.contains_name(fact.type_name())
    }

    /// Whether the kind named `type_name` is in the set.
    pub fn contains_name(self, type_name: &str) -> bool {
        kind_index(type_name).is_some_and(|index| self.0 & (1 << index) != 0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kinds in the set, in [`Fact::TYPE_NAMES`] order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Fact::TYPE_NAMES
            .into_iter()
            .filter(move |name| self.contains_name(name))
    }
}

fn kind_index(type_name: &str) -> Option<usize> {
    Fact::TYPE_NAMES.iter().position(|name| *name == type_name)
}

/// `all`, `all-[a,b]` (all but a and b) or `[a,b]` (only a and b), whichever is shorter.
impl fmt::Display for FactKinds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let enabled: Vec<&str> = self.names().collect();
        let disabled: Vec<&str> = Fact::TYPE_NAMES
            .into_iter()
            .filter(|name| !self.contains_name(name))
            .collect();
        if disabled.is_empty() {
            f.write_str("all")
        } else if disabled.len() <= enabled.len() {
            write!(f, "all-[{}]", disabled.join(","))
        } else {
            write!(f, "[{}]", enabled.join(","))
        }
    }
}

impl fmt::Debug for FactKinds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl ChaosKinds {
    /// No chaos.
    pub const NONE: ChaosKinds = ChaosKinds(0);

    /// Every chaos operation.
    pub const ALL: ChaosKinds = ChaosKinds((1 << ChaosKind::ALL.len()) - 1);

    /// The operations whose entry in `enabled` (indexed as [`ChaosKind::ALL`]) is true; entries
    /// past the last kind are ignored.
    pub fn from_enabled(enabled: &[bool]) -> ChaosKinds {
        let mut kinds = ChaosKinds::NONE;
        let flags = enabled.iter().take(ChaosKind::ALL.len()).enumerate();
        for (index, _) in flags.filter(|(_, on)| **on) {
            kinds.0 |= 1 << index;
        }
        kinds
    }

    /// This set with `kind` added.
    pub fn with(self, kind: ChaosKind) -> ChaosKinds {
        ChaosKinds(self.0 | 1 << kind.index())
    }

    pub fn contains(self, kind: ChaosKind) -> bool {
        self.0 & (1 << kind.index()) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The operations in the set, in [`ChaosKind::ALL`] order.
    pub fn kinds(self) -> impl Iterator<Item = ChaosKind> {
        ChaosKind::ALL
            .into_iter()
            .filter(move |kind| self.contains(*kind))
    }
}

/// `none`, `all` or `[a,b]`.
impl fmt::Display for ChaosKinds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            f.write_str("none")
        } else if *self == ChaosKinds::ALL {
            f.write_str("all")
        } else {
            let names: Vec<&str> = self.kinds().map(ChaosKind::name).collect();
            write!(f, "[{}]", names.join(","))
        }
    }
}

impl fmt::Debug for ChaosKinds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
