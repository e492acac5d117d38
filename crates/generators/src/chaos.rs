//! The chaos layer: damage a coherent stream the way real emitters and transports do.
//!
//! A [`ChaosOp`] is plain data naming its target by a selector (`at`, `pick`) that is resolved
//! modulo the candidates present when it is applied, so any list of operations applies to any
//! stream, an operation without a candidate does nothing, and shrinking a scenario never makes
//! its chaos invalid. The operations: duplicated facts, nearby swaps, dropped item starts,
//! completions moved before their start, orphan responses with random request ids, a request
//! copy arriving after its response (LIFE-6), a conflicting request reusing an id (LIFE-3), a
//! response of the wrong kind (LIFE-5), and guardian completions delivered again: later from
//! another connection, under another turn of the thread, or after the turn ended (DEDUP-1,
//! DEDUP-2).

use proptest::prelude::*;
use proptest::strategy::Union;

use super::episode::{Closing, Grant};
use super::render::closing_fact;
use super::sites::{
    after_copies, completions_after_starts, completions_before_turn_end, first_requests,
    guardian_completions, nearby_time_ms, pick_from, requests_and_closings, select,
};
use super::swarm::{ChaosKind, SwarmConfig};
use super::values::{command_decision, file_change_decision, grant};
use crate::fact::{
    CommandDecision, ConnectionId, Fact, FileChangeDecision, GrantScope, NetworkPermission,
    PermissionProfile, RequestId,
};

/// The most chaos operations applied to one case.
pub const CHAOS_OPS_MAX: usize = 4;

/// One chaos operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChaosOp {
    /// A copy of fact `at` is inserted `1 + distance` places later.
    Duplicate {
        /// Which fact is copied: an index into the stream, modulo its length (nothing happens
        /// in an empty stream).
        at: u16,
        /// How far past the original the copy lands, 0..=3 as drawn: adjacent or a few facts
        /// later; a copy that would land past the end is appended.
        distance: u8,
    },
    /// Fact `at` swaps with the one `1 + distance` places later.
    Swap {
        /// Which fact moves: an index into the stream, modulo its length.
        at: u16,
        /// How far the other fact is, 0..=2 as drawn (nearby reorderings, as a transport
        /// makes); nothing happens when it lies past the end.
        distance: u8,
    },
    /// An `item_started` disappears, as a full emitter queue drops facts (upstream §4.11).
    DropItemStart {
        /// Which `item_started`, in stream order, modulo their count; none, nothing happens.
        pick: u16,
    },
    /// An item completion or a request's closing fact moves just before its start or request.
    CompletionBeforeStart {
        /// Which (start, completion) pair, ordered by the completion's place in the stream,
        /// modulo their count: an item completion with the nearest earlier start of the same
        /// item, or a closing fact with the first of the per-connection copies of the nearest
        /// earlier request of its id.
        pick: u16,
    },
    /// A closing fact for `request_id`, most likely never requested, is inserted at `at`.
    OrphanResponse {
        /// Where it is inserted: a position modulo `length + 1`, so it may also come last. It is
        /// stamped with the nearest earlier timestamp, or [`CLOCK_START_MS`] when there is none.
        ///
        /// [`CLOCK_START_MS`]: super::episode::CLOCK_START_MS
        at: u16,
        /// The connection it arrives on, one of the swarm's `1..=connections`.
        connection: ConnectionId,
        /// The id it closes: request number 900..=999 (past any request a scenario numbers, so
        /// an orphan: LIFE-4) or 1..=30 (possibly a real request, answered twice or early), as
        /// the swarm's [`IdRange`](super::swarm::IdRange) maps request numbers to ids.
        request_id: RequestId,
        /// What closes it: an abort, a malformed response, or a response of any kind.
        closing: Closing,
    },
    /// A request's per-connection copy arrives, from `connection`, just after the request was
    /// closed (LIFE-6).
    LateRequestCopy {
        /// Which (request, closing) pair, in order of the requests' first copies, modulo their
        /// count: the first copy of a request id with the first closing fact of that id after
        /// it. Requests never closed are no candidates.
        pick: u16,
        /// The connection the late copy names, one of the swarm's `1..=connections` (possibly
        /// one that had a copy already).
        connection: ConnectionId,
    },
    /// A different request reusing a pending request's id follows it (LIFE-3).
    ConflictingRequest {
        /// Which request id, by its first copy in stream order, modulo their count; the
        /// conflicting request is inserted just after that copy's run of per-connection copies.
        pick: u16,
        /// How the conflicting request differs from the original.
        conflict: Conflict,
    },
    /// A response of another kind for a pending request follows it (LIFE-5); `other` picks
    /// which of the two other kinds.
    WrongKindResponse {
        /// Which request id, by its first copy in stream order, modulo their count; the
        /// response is inserted just after that copy's run of per-connection copies, from the
        /// first copy's connection, stamped at the request's start.
        pick: u16,
        /// Which of the two kinds that cannot close the request: for a command request a file
        /// change (false) or permissions (true) response; for a file change request a command
        /// (false) or permissions (true) one; for a permissions request a command (false) or
        /// file change (true) one.
        other: bool,
    },
    /// A guardian completion is delivered again from `connection`, `1 + distance` places later
    /// (per-connection deliveries need not be adjacent: DEDUP-1).
    GuardianLateCopy {
        /// Which guardian completion, in stream order, modulo their count.
        pick: u16,
        /// How far past the original the copy lands, 0..=255: anywhere from adjacent to far
        /// past its turn's end; appended when past the end of the stream.
        distance: u8,
        /// The connection that delivers the copy, one of the swarm's `1..=connections`.
        connection: ConnectionId,
    },
    /// A guardian completion is delivered again from `connection`, `1 + distance` places later
    /// (a few places: mostly before its turn ends), under another turn of its thread with the
    /// same review id (DEDUP-1 keys by thread and review id alone).
    GuardianOtherTurn {
        /// Which guardian completion, in stream order, modulo their count.
        pick: u16,
        /// How far past the original the copy lands, 0..=3 as drawn; appended when past the end.
        distance: u8,
        /// The connection that delivers the copy, one of the swarm's `1..=connections`.
        connection: ConnectionId,
    },
    /// A guardian completion is delivered again from `connection`, just after its turn's
    /// `turn_completed` released the dedup memory (DEDUP-2).
    GuardianAfterTurnEnd {
        /// Which guardian completion with a later `turn_completed` of its thread and turn, in
        /// stream order, modulo their count; a completion whose turn never ends after it is no
        /// candidate.
        pick: u16,
        /// The connection that delivers the copy, one of the swarm's `1..=connections`.
        connection: ConnectionId,
    },
}

/// How a conflicting request differs from the pending one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// Another item of the same turn: `"i2"` for `"i1"`, `"i1"` for any other item id.
    OtherItem,
    /// The same item id under another turn of the thread: `"u2"` for `"u1"`, `"u1"` for any
    /// other turn id.
    OtherTurn,
    /// The same request, started one millisecond later (saturating at `i64::MAX`).
    LaterStart,
    /// The next request kind (command → file change → permissions → command), with the same
    /// connection, ids and start, and its own optional fields absent (an empty profile for
    /// permissions).
    OtherKind,
}

impl ChaosOp {
    /// The swarm's name for this operation's kind: a case draws only operations whose kind its
    /// [`SwarmConfig::chaos`] enables.
    pub fn kind(&self) -> ChaosKind {
        match self {
            ChaosOp::Duplicate { .. } => ChaosKind::Duplicate,
            ChaosOp::Swap { .. } => ChaosKind::Swap,
            ChaosOp::DropItemStart { .. } => ChaosKind::DropItemStart,
            ChaosOp::CompletionBeforeStart { .. } => ChaosKind::CompletionBeforeStart,
            ChaosOp::OrphanResponse { .. } => ChaosKind::OrphanResponse,
            ChaosOp::LateRequestCopy { .. } => ChaosKind::LateRequestCopy,
            ChaosOp::ConflictingRequest { .. } => ChaosKind::ConflictingRequest,
            ChaosOp::WrongKindResponse { .. } => ChaosKind::WrongKindResponse,
            ChaosOp::GuardianLateCopy { .. } => ChaosKind::GuardianLateCopy,
            ChaosOp::GuardianOtherTurn { .. } => ChaosKind::GuardianOtherTurn,
            ChaosOp::GuardianAfterTurnEnd { .. } => ChaosKind::GuardianAfterTurnEnd,
        }
    }
}

/// `facts` with chaos applied, as `config` enables it; disabled fact kinds are removed.
pub fn chaos(facts: Vec<Fact>, config: &SwarmConfig) -> impl Strategy<Value = Vec<Fact>> + use<> {
    let config = *config;
    chaos_ops(&config).prop_map(move |ops| {
        let mut damaged = apply_chaos(facts.clone(), &ops);
        config.retain_enabled(&mut damaged);
        damaged
    })
}

/// Up to [`CHAOS_OPS_MAX`] operations of the kinds `config` enables; none when it enables none.
pub fn chaos_ops(config: &SwarmConfig) -> BoxedStrategy<Vec<ChaosOp>> {
    let kinds: Vec<BoxedStrategy<ChaosOp>> = config
        .chaos
        .kinds()
        .map(|kind| chaos_op(kind, config))
        .collect();
    if kinds.is_empty() {
        return Just(Vec::new()).boxed();
    }
    proptest::collection::vec(Union::new(kinds), 0..=CHAOS_OPS_MAX).boxed()
}

fn chaos_op(kind: ChaosKind, config: &SwarmConfig) -> BoxedStrategy<ChaosOp> {
    let connection = 1..=u64::from(config.connections.max(1));
    let ids = config.ids;
    match kind {
        ChaosKind::Duplicate => (any::<u16>(), 0u8..=3)
            .prop_map(|(at, distance)| ChaosOp::Duplicate { at, distance })
            .boxed(),
        ChaosKind::Swap => (any::<u16>(), 0u8..=2)
            .prop_map(|(at, distance)| ChaosOp::Swap { at, distance })
            .boxed(),
        ChaosKind::DropItemStart => any::<u16>()
            .prop_map(|pick| ChaosOp::DropItemStart { pick })
            .boxed(),
        ChaosKind::CompletionBeforeStart => any::<u16>()
            .prop_map(|pick| ChaosOp::CompletionBeforeStart { pick })
            .boxed(),
        ChaosKind::OrphanResponse => {
            let request_id = prop_oneof![900u64..=999, 1u64..=30].prop_map(move |n| ids.id(n));
            (any::<u16>(), connection, request_id, closing())
                .prop_map(
                    |(at, connection, request_id, closing)| ChaosOp::OrphanResponse {
                        at,
                        connection,
                        request_id,
                        closing,
                    },
                )
                .boxed()
        }
        ChaosKind::LateRequestCopy => (any::<u16>(), connection)
            .prop_map(|(pick, connection)| ChaosOp::LateRequestCopy { pick, connection })
            .boxed(),
        ChaosKind::ConflictingRequest => {
            let conflict = prop_oneof![
                Just(Conflict::OtherItem),
                Just(Conflict::OtherTurn),
                Just(Conflict::LaterStart),
                Just(Conflict::OtherKind),
            ];
            (any::<u16>(), conflict)
                .prop_map(|(pick, conflict)| ChaosOp::ConflictingRequest { pick, conflict })
                .boxed()
        }
        ChaosKind::WrongKindResponse => (any::<u16>(), any::<bool>())
            .prop_map(|(pick, other)| ChaosOp::WrongKindResponse { pick, other })
            .boxed(),
        ChaosKind::GuardianLateCopy => (any::<u16>(), any::<u8>(), connection)
            .prop_map(|(pick, distance, connection)| ChaosOp::GuardianLateCopy {
                pick,
                distance,
                connection,
            })
            .boxed(),
        ChaosKind::GuardianOtherTurn => (any::<u16>(), 0u8..=3, connection)
            .prop_map(|(pick, distance, connection)| ChaosOp::GuardianOtherTurn {
                pick,
                distance,
                connection,
            })
            .boxed(),
        ChaosKind::GuardianAfterTurnEnd => (any::<u16>(), connection)
            .prop_map(|(pick, connection)| ChaosOp::GuardianAfterTurnEnd { pick, connection })
            .boxed(),
    }
}

/// Any closing fact's payload.
fn closing() -> impl Strategy<Value = Closing> {
    prop_oneof![
        Just(Closing::Aborted),
        Just(Closing::Malformed),
        file_change_decision().prop_map(Closing::FileChange),
        command_decision().prop_map(Closing::Command),
        grant().prop_map(Closing::Permissions),
    ]
}

/// Applies `ops` in order; each resolves its selector against the stream as it is then.
pub fn apply_chaos(mut facts: Vec<Fact>, ops: &[ChaosOp]) -> Vec<Fact> {
    for op in ops {
        apply_op(&mut facts, op);
    }
    facts
}

/// Applies one operation: each kind's step finds its candidates, then changes the stream.
fn apply_op(facts: &mut Vec<Fact>, op: &ChaosOp) {
    match op {
        ChaosOp::Duplicate { at, distance } => duplicate(facts, *at, *distance),
        ChaosOp::Swap { at, distance } => swap(facts, *at, *distance),
        ChaosOp::DropItemStart { pick } => drop_item_start(facts, *pick),
        ChaosOp::CompletionBeforeStart { pick } => completion_before_start(facts, *pick),
        ChaosOp::OrphanResponse {
            at,
            connection,
            request_id,
            closing,
        } => orphan_response(facts, *at, *connection, *request_id, closing),
        ChaosOp::LateRequestCopy { pick, connection } => {
            late_request_copy(facts, *pick, *connection);
        }
        ChaosOp::ConflictingRequest { pick, conflict } => {
            insert_conflicting_request(facts, *pick, *conflict);
        }
        ChaosOp::WrongKindResponse { pick, other } => {
            insert_wrong_kind_response(facts, *pick, *other);
        }
        ChaosOp::GuardianLateCopy {
            pick,
            distance,
            connection,
        } => guardian_copy_later(facts, *pick, *distance, *connection, false),
        ChaosOp::GuardianOtherTurn {
            pick,
            distance,
            connection,
        } => guardian_copy_later(facts, *pick, *distance, *connection, true),
        ChaosOp::GuardianAfterTurnEnd { pick, connection } => {
            guardian_copy_after_turn_end(facts, *pick, *connection);
        }
    }
}

/// [`ChaosOp::Duplicate`]: a copy of fact `at`, `1 + distance` places later (at most last).
fn duplicate(facts: &mut Vec<Fact>, at: u16, distance: u8) {
    let Some(index) = select(facts.len(), at) else {
        return;
    };
    let copy = facts[index].clone();
    let to = (index + 1 + usize::from(distance)).min(facts.len());
    facts.insert(to, copy);
}

/// [`ChaosOp::Swap`]: fact `at` and the one `1 + distance` places later trade places, when
/// there is one.
fn swap(facts: &mut [Fact], at: u16, distance: u8) {
    let Some(index) = select(facts.len(), at) else {
        return;
    };
    let other = index + 1 + usize::from(distance);
    if other < facts.len() {
        facts.swap(index, other);
    }
}

/// [`ChaosOp::DropItemStart`]: the picked `item_started` is removed.
fn drop_item_start(facts: &mut Vec<Fact>, pick: u16) {
    let starts: Vec<usize> = (0..facts.len())
        .filter(|index| matches!(facts[*index], Fact::ItemStarted { .. }))
        .collect();
    if let Some(index) = pick_from(&starts, pick) {
        facts.remove(index);
    }
}

/// [`ChaosOp::CompletionBeforeStart`]: the picked completion moves to just before its start.
fn completion_before_start(facts: &mut Vec<Fact>, pick: u16) {
    let pairs = completions_after_starts(facts);
    if let Some((start, completion)) = pick_from(&pairs, pick) {
        let moved = facts.remove(completion);
        facts.insert(start, moved);
    }
}

/// [`ChaosOp::OrphanResponse`]: a closing fact inserted at `at`, stamped like its neighbours.
fn orphan_response(
    facts: &mut Vec<Fact>,
    at: u16,
    connection: ConnectionId,
    request_id: RequestId,
    closing: &Closing,
) {
    let index = usize::from(at) % (facts.len() + 1);
    let completed_at_ms = nearby_time_ms(facts, index);
    let fact = closing_fact(connection, request_id, closing, completed_at_ms);
    facts.insert(index, fact);
}

/// [`ChaosOp::LateRequestCopy`]: a copy of the picked request, from `connection`, just after
/// its first closing fact.
fn late_request_copy(facts: &mut Vec<Fact>, pick: u16, connection: ConnectionId) {
    let pairs = requests_and_closings(facts);
    if let Some((request, closed)) = pick_from(&pairs, pick) {
        let mut copy = facts[request].clone();
        set_connection(&mut copy, connection);
        facts.insert(closed + 1, copy);
    }
}

/// [`ChaosOp::ConflictingRequest`]: a conflicting request just after the picked request's
/// copies.
fn insert_conflicting_request(facts: &mut Vec<Fact>, pick: u16, conflict: Conflict) {
    let requests = first_requests(facts);
    if let Some(index) = pick_from(&requests, pick) {
        let conflicting = conflicting_request(&facts[index], conflict);
        facts.insert(after_copies(facts, index), conflicting);
    }
}

/// [`ChaosOp::WrongKindResponse`]: a response of another kind just after the picked request's
/// copies.
fn insert_wrong_kind_response(facts: &mut Vec<Fact>, pick: u16, other: bool) {
    let requests = first_requests(facts);
    if let Some(index) = pick_from(&requests, pick)
        && let Some(response) = wrong_kind_response(&facts[index], other)
    {
        facts.insert(after_copies(facts, index), response);
    }
}

/// [`ChaosOp::GuardianLateCopy`] and, with `other_turn`, [`ChaosOp::GuardianOtherTurn`]: the
/// picked guardian completion delivered again from `connection`, `1 + distance` places later
/// (at most last).
fn guardian_copy_later(
    facts: &mut Vec<Fact>,
    pick: u16,
    distance: u8,
    connection: ConnectionId,
    other_turn: bool,
) {
    if let Some(index) = pick_from(&guardian_completions(facts), pick) {
        let copy = redelivered(&facts[index], connection, other_turn);
        let to = (index + 1 + usize::from(distance)).min(facts.len());
        facts.insert(to, copy);
    }
}

/// [`ChaosOp::GuardianAfterTurnEnd`]: the picked guardian completion delivered again from
/// `connection`, just after its turn's end.
fn guardian_copy_after_turn_end(facts: &mut Vec<Fact>, pick: u16, connection: ConnectionId) {
    if let Some((completion, turn_end)) = pick_from(&completions_before_turn_end(facts), pick) {
        let copy = redelivered(&facts[completion], connection, false);
        facts.insert(turn_end + 1, copy);
    }
}

/// A guardian completion delivered again, from `connection`, under another turn of its thread
/// when `other_turn` is set (`"u2"` for `"u1"`, `"u1"` for any other).
fn redelivered(completion: &Fact, connection: ConnectionId, other_turn: bool) -> Fact {
    let mut copy = completion.clone();
    if let Fact::GuardianReviewCompleted {
        connection_id,
        turn_id,
        ..
    } = &mut copy
    {
        *connection_id = connection;
        if other_turn {
            *turn_id = other_id(turn_id, "u").into();
        }
    }
    copy
}

fn set_connection(fact: &mut Fact, connection: ConnectionId) {
    match fact {
        Fact::FileChangeRequest { connection_id, .. }
        | Fact::PermissionsRequest { connection_id, .. }
        | Fact::CommandExecutionRequest { connection_id, .. } => *connection_id = connection,
        _ => {}
    }
}

/// The common fields of a request fact.
struct RequestParts {
    connection_id: ConnectionId,
    request_id: RequestId,
    thread_id: String,
    turn_id: String,
    item_id: String,
    started_at_ms: i64,
}

fn request_parts(fact: &Fact) -> Option<RequestParts> {
    let (Fact::FileChangeRequest {
        connection_id,
        request_id,
        thread_id,
        turn_id,
        item_id,
        started_at_ms,
        ..
    }
    | Fact::PermissionsRequest {
        connection_id,
        request_id,
        thread_id,
        turn_id,
        item_id,
        started_at_ms,
        ..
    }
    | Fact::CommandExecutionRequest {
        connection_id,
        request_id,
        thread_id,
        turn_id,
        item_id,
        started_at_ms,
        ..
    }) = fact
    else {
        return None;
    };
    Some(RequestParts {
        connection_id: *connection_id,
        request_id: *request_id,
        thread_id: thread_id.to_string(),
        turn_id: turn_id.to_string(),
        item_id: item_id.to_string(),
        started_at_ms: *started_at_ms,
    })
}

/// A request with `original`'s id whose derived review differs (LIFE-3).
fn conflicting_request(original: &Fact, conflict: Conflict) -> Fact {
    let mut fact = original.clone();
    match conflict {
        Conflict::OtherKind => {
            if let Some(parts) = request_parts(original) {
                fact = other_kind_request(original, parts);
            }
        }
        Conflict::OtherItem | Conflict::OtherTurn | Conflict::LaterStart => match &mut fact {
            Fact::FileChangeRequest {
                turn_id,
                item_id,
                started_at_ms,
                ..
            }
            | Fact::PermissionsRequest {
                turn_id,
                item_id,
                started_at_ms,
                ..
            }
            | Fact::CommandExecutionRequest {
                turn_id,
                item_id,
                started_at_ms,
                ..
            } => match conflict {
                Conflict::OtherItem => *item_id = other_id(item_id, "i").into(),
                Conflict::OtherTurn => *turn_id = other_id(turn_id, "u").into(),
                _ => *started_at_ms = started_at_ms.saturating_add(1),
            },
            _ => {}
        },
    }
    fact
}

/// `"{prefix}2"` for `"{prefix}1"`, `"{prefix}1"` for anything else.
fn other_id(id: &str, prefix: &str) -> String {
    if id == format!("{prefix}1") {
        format!("{prefix}2")
    } else {
        format!("{prefix}1")
    }
}

/// The same request ids and place, as the next request kind (command → file change →
/// permissions → command).
fn other_kind_request(original: &Fact, parts: RequestParts) -> Fact {
    let RequestParts {
        connection_id,
        request_id,
        thread_id,
        turn_id,
        item_id,
        started_at_ms,
    } = parts;
    match original {
        Fact::CommandExecutionRequest { .. } => Fact::FileChangeRequest {
            connection_id,
            request_id,
            thread_id: thread_id.into(),
            turn_id: turn_id.into(),
            item_id: item_id.into(),
            started_at_ms,
            grant_root: None,
        },
        Fact::FileChangeRequest { .. } => Fact::PermissionsRequest {
            connection_id,
            request_id,
            thread_id: thread_id.into(),
            turn_id: turn_id.into(),
            item_id: item_id.into(),
            started_at_ms,
            permissions: PermissionProfile::default(),
        },
        _ => Fact::CommandExecutionRequest {
            connection_id,
            request_id,
            thread_id: thread_id.into(),
            turn_id: turn_id.into(),
            item_id: item_id.into(),
            started_at_ms,
            approval_id: None,
            network_approval_context: None,
            proposed_network_policy_amendments: None,
            additional_permissions: None,
        },
    }
}

/// A response for `request`'s id of one of the two kinds that cannot close it (LIFE-5).
fn wrong_kind_response(request: &Fact, other: bool) -> Option<Fact> {
    let parts = request_parts(request)?;
    let file_change = Closing::FileChange(FileChangeDecision::Accept);
    let command = Closing::Command(CommandDecision::Accept);
    let permissions = Closing::Permissions(Grant {
        permissions: PermissionProfile {
            network: Some(NetworkPermission {
                enabled: Some(true),
            }),
            file_system: None,
        },
        scope: GrantScope::Turn,
    });
    let (first, second) = match request {
        Fact::CommandExecutionRequest { .. } => (file_change, permissions),
        Fact::FileChangeRequest { .. } => (command, permissions),
        _ => (command, file_change),
    };
    let closing = if other { second } else { first };
    Some(closing_fact(
        parts.connection_id,
        parts.request_id,
        &closing,
        parts.started_at_ms,
    ))
}
