//! Swarm configuration: which features one generated case may use, and how big its pools are.
//!
//! Swarm testing (Groce et al., 2012) leaves features *out* at random: a case that never sees an
//! `initialize`, or never sees a response, reaches states an all-features case almost never
//! does. A [`SwarmConfig`] is drawn first; the scenario and chaos generators then stay inside it.
//! It is printed with every failing case, on one line.

use std::fmt;

use proptest::prelude::*;

use super::pools;
use crate::event::Limits;
use crate::fact::{Fact, RequestId};

/// What one generated case may contain.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SwarmConfig {
    /// The fact kinds that may appear; never empty.
    pub fact_kinds: FactKinds,
    /// The chaos operations that may be applied; empty means no chaos.
    pub chaos: ChaosKinds,
    /// Connection pool size, 1..=8 (mostly 1..=3): connections `1..=connections`.
    pub connections: u8,
    /// Thread pool size, 1..=3: threads `"t1"..`.
    pub threads: u8,
    /// Turn ids per thread, 1..=2: turns `"u1"..`.
    pub turns_per_thread: u8,
    /// Most items per turn, 1..=12 (mostly 1..=3): items `"i1"..`.
    pub items_per_turn: u8,
    /// Where request ids start: small, past 2^53, or just below `u64::MAX`.
    pub ids: IdRange,
    /// Where the clock runs: from 1000, from 0, or up to the end of time.
    pub clock: Clock,
    /// The limits the case is reduced with: the default, small (CAP-1 evictions), or any bound
    /// of 1..=4096 drawn log-uniformly.
    pub limits: Limits,
}

/// Where request ids start. The scenario numbers its requests 1, 2, 3... in order of first
/// appearance (as the app-server's process-wide counter does); the range maps those numbers to
/// the ids a case carries, one to one, so distinct requests keep distinct ids and copies keep
/// their shared id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdRange {
    /// 1, 2, 3...: readable traces.
    Small,
    /// Counting up from `2^53 + offset`, `offset` in `-2..=2`: past 2^53, neighbouring ids read
    /// through an f64 are equal (ISO-2's global ids in a JSON-number world).
    PastF64 {
        /// Where the count starts relative to 2^53, -2..=2: the first ids sit on either side of
        /// the last exactly representable integer.
        offset: i8,
    },
    /// Counting down from `u64::MAX - below`: the widest ids, with twenty decimal digits (ID-1).
    NearMax {
        /// How far below `u64::MAX` the first id is, 0..=255 (0: the first id is `u64::MAX`).
        below: u8,
    },
}

/// Where the clock runs (chunk `k` is stamped `start + k * tick_ms`, anomalies aside).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// From `CLOCK_START_MS`: readable traces.
    Early,
    /// From 0, TIME-2's boundary: the first timestamped chunk is at 0.
    Zero,
    /// Up to `i64::MAX - below`: the last chunk is that late, every other chunk just before it,
    /// so durations are computed between timestamps at the end of time (TIME-1).
    Late {
        /// How far before `i64::MAX` the last chunk is stamped, 0..=1000
        /// (`pools::LATE_CLOCK_BELOW_MAX`).
        below: u16,
    },
}

/// A set of fact kinds, by index in [`Fact::TYPE_NAMES`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FactKinds(u16);

/// A kind of chaos operation, as enabled by a swarm configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChaosKind {
    /// A fact delivered twice, a few places apart
    /// ([`ChaosOp::Duplicate`](crate::ChaosOp::Duplicate)).
    Duplicate,
    /// Two nearby facts reordered ([`ChaosOp::Swap`](crate::ChaosOp::Swap)).
    Swap,
    /// An `item_started` lost ([`ChaosOp::DropItemStart`](crate::ChaosOp::DropItemStart)).
    DropItemStart,
    /// A completion or closing fact before what it closes
    /// ([`ChaosOp::CompletionBeforeStart`](crate::ChaosOp::CompletionBeforeStart)).
    CompletionBeforeStart,
    /// A closing fact for a request id most likely never sent
    /// ([`ChaosOp::OrphanResponse`](crate::ChaosOp::OrphanResponse)).
    OrphanResponse,
    /// A request copy after the request was closed, LIFE-6
    /// ([`ChaosOp::LateRequestCopy`](crate::ChaosOp::LateRequestCopy)).
    LateRequestCopy,
    /// Another request under a pending request's id, LIFE-3
    /// ([`ChaosOp::ConflictingRequest`](crate::ChaosOp::ConflictingRequest)).
    ConflictingRequest,
    /// A response of a kind that cannot close the request, LIFE-5
    /// ([`ChaosOp::WrongKindResponse`](crate::ChaosOp::WrongKindResponse)).
    WrongKindResponse,
    /// A guardian completion delivered again, later, from any connection, DEDUP-1
    /// ([`ChaosOp::GuardianLateCopy`](crate::ChaosOp::GuardianLateCopy)).
    GuardianLateCopy,
    /// A guardian completion delivered again under another turn of its thread, DEDUP-1
    /// ([`ChaosOp::GuardianOtherTurn`](crate::ChaosOp::GuardianOtherTurn)).
    GuardianOtherTurn,
    /// A guardian completion delivered again after its turn ended, DEDUP-2
    /// ([`ChaosOp::GuardianAfterTurnEnd`](crate::ChaosOp::GuardianAfterTurnEnd)).
    GuardianAfterTurnEnd,
}

impl ChaosKind {
    /// Every kind, simple to complex.
    pub const ALL: [ChaosKind; 11] = [
        ChaosKind::Duplicate,
        ChaosKind::Swap,
        ChaosKind::DropItemStart,
        ChaosKind::CompletionBeforeStart,
        ChaosKind::OrphanResponse,
        ChaosKind::LateRequestCopy,
        ChaosKind::ConflictingRequest,
        ChaosKind::WrongKindResponse,
        ChaosKind::GuardianLateCopy,
        ChaosKind::GuardianOtherTurn,
        ChaosKind::GuardianAfterTurnEnd,
    ];

    /// The kind's snake_case name, as the swarm line prints it (`chaos=[swap,orphan_response]`).
    pub fn name(self) -> &'static str {
        match self {
            ChaosKind::Duplicate => "duplicate",
            ChaosKind::Swap => "swap",
            ChaosKind::DropItemStart => "drop_item_start",
            ChaosKind::CompletionBeforeStart => "completion_before_start",
            ChaosKind::OrphanResponse => "orphan_response",
            ChaosKind::LateRequestCopy => "late_request_copy",
            ChaosKind::ConflictingRequest => "conflicting_request",
            ChaosKind::WrongKindResponse => "wrong_kind_response",
            ChaosKind::GuardianLateCopy => "guardian_late_copy",
            ChaosKind::GuardianOtherTurn => "guardian_other_turn",
            ChaosKind::GuardianAfterTurnEnd => "guardian_after_turn_end",
        }
    }

    /// Position in [`ChaosKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A set of chaos operations, by index in [`ChaosKind::ALL`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChaosKinds(u16);

/// The swarm configuration strategy: half the cases enable every fact kind, the others leave
/// each kind out with probability 1/4; a third of the cases have no chaos; connection and item
/// pools are small (1..=3) in three cases of four; ids, clocks and limits are the readable
/// defaults in most cases and extreme in the others (see `pools`). Every alternative lists the
/// simple one first, so shrinking ends on small pools, small ids and the early clock.
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
    (
        fact_kinds,
        chaos,
        pool_size(pools::CONNECTIONS_MAX),
        1u8..=3,
        1u8..=2,
        pool_size(pools::ITEMS_PER_TURN_MAX),
        id_range(),
        clock(),
        limits(),
    )
        .prop_map(
            |(
                fact_kinds,
                chaos,
                connections,
                threads,
                turns_per_thread,
                items_per_turn,
                ids,
                clock,
                limits,
            )| {
                SwarmConfig {
                    fact_kinds,
                    chaos,
                    connections,
                    threads,
                    turns_per_thread,
                    items_per_turn,
                    ids,
                    clock,
                    limits,
                }
            },
        )
}

/// A pool size: small (`1..=SMALL_POOL_MAX`) or large (up to `max`), by `pools::POOL_WEIGHTS`.
fn pool_size(max: u8) -> impl Strategy<Value = u8> {
    let [small, large] = pools::POOL_WEIGHTS;
    let small_max = pools::SMALL_POOL_MAX.min(max);
    prop_oneof![
        small => 1..=small_max,
        large => small_max.saturating_add(1).min(max)..=max,
    ]
}

fn id_range() -> impl Strategy<Value = IdRange> {
    let [small, past_f64, near_max] = pools::ID_RANGE_WEIGHTS;
    prop_oneof![
        small => Just(IdRange::Small),
        past_f64 => (-2i8..=2).prop_map(|offset| IdRange::PastF64 { offset }),
        near_max => any::<u8>().prop_map(|below| IdRange::NearMax { below }),
    ]
}

fn clock() -> impl Strategy<Value = Clock> {
    let [early, zero, late] = pools::CLOCK_WEIGHTS;
    prop_oneof![
        early => Just(Clock::Early),
        zero => Just(Clock::Zero),
        late => (0..=pools::LATE_CLOCK_BELOW_MAX).prop_map(|below| Clock::Late { below }),
    ]
}

/// Table limits: the default, small (1..=8), or log-uniform over 1..=4096 (an octave, then a
/// value in it).
pub fn limits() -> impl Strategy<Value = Limits> {
    let [default, small, log_uniform] = pools::LIMIT_WEIGHTS;
    prop_oneof![
        default => Just(Limits::default()),
        small => (1..=pools::SMALL_LIMIT_MAX)
            .prop_map(|table_entries_max| Limits { table_entries_max }),
        log_uniform => (0..=pools::LIMIT_OCTAVE_MAX, any::<u16>())
            .prop_map(|(octave, within)| Limits {
                table_entries_max: pools::in_octave(octave, within),
            }),
    ]
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
    /// Every fact kind, no chaos, the largest small pools, small ids, the early clock, default
    /// limits: readable streams (the benchmarks' and the memory checks').
    fn default() -> SwarmConfig {
        SwarmConfig {
            fact_kinds: FactKinds::ALL,
            chaos: ChaosKinds::NONE,
            connections: 3,
            threads: 3,
            turns_per_thread: 2,
            items_per_turn: 3,
            ids: IdRange::Small,
            clock: Clock::Early,
            limits: Limits::default(),
        }
    }
}

impl IdRange {
    /// The id of the request numbered `number` (1, 2, 3...; chaos draws orphan numbers up to
    /// 999). One to one on numbers from 1.
    pub fn id(self, number: RequestId) -> RequestId {
        let index = number.saturating_sub(1);
        match self {
            IdRange::Small => number,
            IdRange::PastF64 { offset } => pools::F64_EXACT_MAX
                .saturating_add_signed(i64::from(offset))
                .saturating_add(index),
            IdRange::NearMax { below } => (u64::MAX - u64::from(below)).saturating_sub(index),
        }
    }
}

impl fmt::Display for IdRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdRange::Small => f.write_str("small"),
            IdRange::PastF64 { offset } => write!(f, "2^53{offset:+}.."),
            IdRange::NearMax { below } => write!(f, "u64::MAX-{below}.."),
        }
    }
}

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Clock::Early => f.write_str("early"),
            Clock::Zero => f.write_str("zero"),
            Clock::Late { below } => write!(f, "..i64::MAX-{below}"),
        }
    }
}

impl fmt::Display for SwarmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "swarm: facts={} chaos={} connections={} threads={} turns/thread={} items/turn={} ids={} clock={} table_entries_max={}",
            self.fact_kinds,
            self.chaos,
            self.connections,
            self.threads,
            self.turns_per_thread,
            self.items_per_turn,
            self.ids,
            self.clock,
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

    /// Whether no fact kind is in the set (never so in a drawn swarm configuration).
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

    /// Whether `kind` is in the set.
    pub fn contains(self, kind: ChaosKind) -> bool {
        self.0 & (1 << kind.index()) != 0
    }

    /// Whether no operation is in the set: the case gets no chaos.
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
