//! Plain descriptions of coherent scenarios: what happens, not yet which facts say it.
//!
//! A [`Scenario`] is a list of independent [`Episode`]s (a connection initializes, a thread is
//! bound, a turn runs its items and reviews), an interleaving schedule and a timeline. Both
//! generators build these values: the proptest strategies of `scenario` and the byte-driven
//! builder of `unstructured`. One function, `render::render`, turns them into facts, so the two
//! paths never disagree on what a scenario means. The types hold pool *indices* (thread 0 is
//! `"t1"`) and small enums; they carry no timestamps or request ids, which rendering assigns.
//!
//! Variants run simple to complex, as the `Fact` vocabulary does, so that shrinking moves toward
//! the first one.

use crate::fact::{
    AppServerClient, CommandDecision, ConnectionId, FileChangeDecision, GrantScope, GuardianAction,
    GuardianStatus, ItemKind, ItemStatus, NetworkApprovalContext, NetworkPolicyAmendment,
    PermissionProfile, Runtime, ThreadBinding,
};

/// A whole generated stream, before rendering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Rendered in order; consecutive turns are interleaved with each other (see `schedule`),
    /// while an initialize or a binding is a barrier that turns do not cross.
    pub episodes: Vec<Episode>,
    /// Which turn advances next, cycled: entry `k` picks turn `schedule[k] % live_turns`. Empty
    /// means no interleaving: each turn runs to its end before the next starts.
    pub schedule: Vec<u8>,
    /// How rendered facts are stamped.
    pub timeline: Timeline,
}

/// One independent piece of a scenario; removing one leaves a scenario that still renders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Episode {
    /// A connection announces itself (again, when repeated: CTX-1 replaces).
    Initialize {
        /// The connection, one of the swarm's `1..=connections`: the setup initializes each in
        /// turn (each missing with chance 1/20), the body any one again.
        connection: ConnectionId,
        /// The client metadata it announces; each field is absent with chance 1/5, and present
        /// ones come from the small pools of `pools` (product client ids, names, versions, the
        /// three transports, the experimental flag either way).
        client: AppServerClient,
        /// The runtime it runs on (Codex version, OS, OS version, architecture); each field
        /// absent with chance 1/5, like the client's.
        runtime: Runtime,
    },
    /// A connection starts, resumes or forks a thread; it joins the thread's attached
    /// connections and becomes the thread's owner (CTX-2).
    Bind(BindPlan),
    /// A sub-agent thread starts from a parent thread (CTX-5): it joins the parent's connections
    /// when it has none of its own.
    SubagentStart(SubagentPlan),
    /// One turn of one thread.
    Turn(TurnPlan),
}

/// A sub-agent thread's start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubagentPlan {
    /// Thread pool index of the sub-agent thread.
    pub thread: u8,
    /// Thread pool index of its parent; an index past the pool names a thread this stream never
    /// binds, and the thread's own index names the next one (a thread is not its own parent).
    pub parent: Option<u8>,
    /// What spawned it: `"thread_spawn"`, `"review"` or `"guardian"`.
    pub subagent_source: String,
    /// The product the start names as the thread's originator (CTX-4), present in two starts
    /// of three; absent, the thread has none of its own.
    pub originator: Option<String>,
}

/// A thread binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindPlan {
    /// The binding connection, one of the swarm's `1..=connections`: it joins the thread's
    /// attached connections (once) and becomes the last, the owner.
    pub connection: ConnectionId,
    /// Thread pool index: 0 is `"t1"`.
    pub thread: u8,
    /// Started, resumed or forked (4 : 1 : 1), which bind alike (CTX-2).
    pub binding: ThreadBinding,
    /// The thread metadata the binding records.
    pub origin: ThreadOrigin,
    /// The thread's originator (CTX-4); None keeps the thread's earlier one.
    pub originator: Option<String>,
    /// The binding arrives late: after the thread's next turn (its first, for a setup binding),
    /// as when a thread's start response is lost and the thread is resumed once it ran. Until
    /// then the thread has no context (CTX-3); a later completion of one of that turn's items
    /// has it (UP-SUM-6).
    pub late: bool,
}

/// Where a thread came from: the metadata a binding records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ThreadOrigin {
    /// No thread metadata at all.
    Plain,
    /// A thread source only.
    Source {
        /// `"user"`, `"subagent"` or `"exec"`.
        thread_source: String,
    },
    /// A sub-agent thread with a parent (a thread pool index).
    Subagent {
        /// `"user"`, `"subagent"` or `"exec"`, drawn independently of the sub-agent source.
        thread_source: String,
        /// `"review"` or `"compact"`.
        subagent_source: String,
        /// Thread pool index of the parent, within the pool; the bound thread's own index names
        /// the next thread instead (a thread is not its own parent), which may lie past the
        /// pool.
        parent_thread: u8,
    },
}

/// One turn: its items in order, then how it ends. The turn id is assigned when rendering: a
/// thread's turns cycle through its turn pool (`"u1"`, `"u2"`, `"u1"`...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TurnPlan {
    /// Thread pool index: 0 is `"t1"`.
    pub thread: u8,
    /// Item `n` gets item id `"i{n+1}"`, so equal item ids recur across threads and turns.
    pub items: Vec<ItemPlan>,
    /// The items run in parallel (parallel tool calls): their happenings interleave, one of each
    /// item in turn, so every item starts before any completes. Otherwise one after another.
    pub parallel: bool,
    /// How the turn ends, after its items: open, completed or interrupted (1 : 8 : 2).
    pub end: TurnEnd,
}

/// How a turn ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TurnEnd {
    /// No `turn_completed`: the stream stops mid-turn.
    Open,
    /// `turn_completed`.
    Completed,
    /// The turn is interrupted: every unanswered request is aborted, then `turn_completed`
    /// (upstream R-29: `cancel_requests_for_thread`).
    Interrupted,
}

/// One tool item and the reviews that happen while it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemPlan {
    /// The tool item's kind, each of the seven equally likely; it is drawn independently of the
    /// status, so every kind meets every status, although upstream's kinds do not all have
    /// every status (ITEM-4, `GeneratedCase::expressible_under`).
    pub kind: ItemKind,
    /// Which item notifications frame the reviews: reviews only, started only, or completed
    /// (1 : 1 : 8).
    pub lifecycle: ItemLifecycle,
    /// Item notifications delivered once per attached connection, as older emitters did
    /// (ITEM-6), instead of once on the owner's connection.
    pub per_connection: bool,
    /// The reviews of the item's action, 0..=2 (`scenario::REVIEWS_PER_ITEM_MAX`), rendered in
    /// order after its start: two reviews of one item are what the latest-review outcome
    /// (SUM-3) and the OR-ed flags (SUM-5) need.
    pub reviews: Vec<ReviewPlan>,
}

/// Which item notifications frame the reviews.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemLifecycle {
    /// No item notification: the reviews name an item the stream never starts.
    ReviewsOnly,
    /// Started, never completed (TURN-1 reports it).
    StartedOnly,
    /// Started, reviewed, completed with `status` (`in_progress` is not terminal: ITEM-5),
    /// optionally preceded by an `in_progress` completion, and optionally by a copy of the
    /// completion stamped with a negative timestamp (a clock gone wrong, then the completion
    /// delivered again: TIME-2 rejects the copy, which must not consume the start, UP-TIME-2).
    Completed {
        /// The completion's status: completed, failed, declined or in progress (6 : 2 : 2 : 1).
        status: ItemStatus,
        /// An `in_progress` completion comes first (chance 3/20), which changes nothing (ITEM-5).
        in_progress_first: bool,
        /// A copy of the completion stamped `pools::ITEM_NEGATIVE_MS` comes first (chance
        /// 1/30), which TIME-2 rejects.
        negative_first: bool,
    },
}

/// A review of an item's action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReviewPlan {
    /// A user review: a request and its closing fact (three reviews in five).
    User(UserReview),
    /// A guardian review: completions only (two in five).
    Guardian(GuardianReview),
}

/// A user review: a request fanned out to every attached connection, then its outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserReview {
    /// What is requested, with how it ends.
    pub request: UserRequest,
    /// Which attached connection closes the request (index, modulo the attached count).
    pub responder: u8,
    /// The closing fact arrives after the item's completion (SUM-6), when the item completes.
    pub after_item: bool,
}

/// The request of a user review, with an outcome of the matching kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserRequest {
    /// A `file_change_request` (two requests in seven), closed by a `file_change_response`.
    FileChange {
        /// The root the change asks to write under, `"/repo"` or `"/"`; present in two
        /// requests of five.
        grant_root: Option<String>,
        /// How it ends; answered with one of the four file change decisions (DEC-2).
        outcome: Outcome<FileChangeDecision>,
    },
    /// A `permissions_request` (two in seven), closed by an `effective_permissions_response`.
    Permissions {
        /// The requested profile: empty, network only, file system only, or both (SUBJ-5).
        permissions: PermissionProfile,
        /// How it ends; answered with the effective grant (GRANT-1..3).
        outcome: Outcome<Grant>,
    },
    /// A `command_execution_request` (three in seven), closed by a
    /// `command_execution_response`.
    Command {
        /// The request's optional fields.
        request: CommandRequest,
        /// How it ends; answered with any of the command decisions (DEC-1).
        outcome: Outcome<CommandDecision>,
    },
}

/// The optional fields of a command-execution request (SUBJ-1..3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandRequest {
    /// `"a1"` or `"a2"`, present in one request of four: its presence makes the trigger
    /// `execve_intercept`, whatever else the request carries (SUBJ-2).
    pub approval_id: Option<String>,
    /// The host and protocol of a network access (present in three requests of ten): what makes
    /// the request a network approval rather than a command execution (SUBJ-1).
    pub network_approval_context: Option<NetworkApprovalContext>,
    /// Amendments proposed with the request, 0..=2 of them, present in three requests of ten,
    /// with or without a network context: present but empty requests no network access
    /// (SUBJ-3).
    pub proposed_network_policy_amendments: Option<Vec<NetworkPolicyAmendment>>,
    /// Extra permissions the command asks for (SUBJ-3), present in three requests of ten.
    pub additional_permissions: Option<PermissionProfile>,
}

/// How a user review ends, `A` being the answer type of its request kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome<A> {
    /// Nothing closes it (unless the turn is interrupted). One outcome in twelve.
    Unanswered,
    /// A `request_aborted` closes it (DEC-3). Two in twelve.
    Aborted,
    /// A `malformed_response` closes it (DEC-4). One in twelve.
    Malformed,
    /// The response of the request's kind closes it, carrying the answer. Eight in twelve.
    Answered(A),
}

/// An effective permissions grant (GRANT-1..3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The granted profile: forced empty in one grant of three, otherwise a random profile,
    /// itself sometimes empty; empty is a denial whatever the scope (GRANT-1).
    pub permissions: PermissionProfile,
    /// Turn or session, equally likely (GRANT-2).
    pub scope: GrantScope,
}

/// A guardian review: its completion, delivered once or once per attached connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuardianReview {
    /// What the guardian reviewed: each of the six action kinds equally likely (GUARD-1).
    pub action: GuardianAction,
    /// The final status; `in_progress` leaves the review unfinished (GUARD-4).
    pub status: GuardianStatus,
    /// An `in_progress` completion is delivered first.
    pub in_progress_first: bool,
    /// `target_item_id` names the item; otherwise it is absent.
    pub targets_item: bool,
    /// Delivered once per attached connection (older emitters, DEDUP-1), else once.
    pub per_connection: bool,
    /// `completed_at_ms - started_at_ms`; negative means completion before start (TIME-1).
    pub duration_ms: i64,
}

/// Any fact that closes a user review, with its payload (LIFE-4, LIFE-5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Closing {
    /// A `request_aborted`.
    Aborted,
    /// A `malformed_response`.
    Malformed,
    /// A `file_change_response` with its decision.
    FileChange(FileChangeDecision),
    /// A `command_execution_response` with its decision.
    Command(CommandDecision),
    /// An `effective_permissions_response` with its grant.
    Permissions(Grant),
}

/// How facts are stamped: chunk `k` (a fact and its per-connection copies) happens at
/// `CLOCK_START_MS + k * tick_ms`, except where an anomaly says otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// Milliseconds between consecutive chunks, 1..=100 (`scenario::TICK_MAX_MS`); values
    /// below 1 are read as 1.
    pub tick_ms: i64,
    /// The chunks stamped off the clock: none in three scenarios of four, else one or two
    /// (`scenario::ANOMALIES_MAX`).
    pub anomalies: Vec<TimeAnomaly>,
}

/// A chunk stamped off the clock: chunk `at % chunk_count` gets `stamp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeAnomaly {
    /// Which chunk, modulo the scenario's chunk count; of two anomalies at one chunk the later
    /// wins, and a chunk's own stamp (a negative copy's) wins over both.
    pub at: u16,
    /// The timestamp that chunk gets instead of the clock's.
    pub stamp: Stamp,
}

/// An off-clock timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stamp {
    /// `ticks` ticks away from the clock: enough to put a completion before its start.
    Skew {
        /// Ticks added to the clock's stamp, -20..=20 (`scenario::SKEW_TICKS_MAX`), saturating.
        ticks: i8,
    },
    /// Exactly 0: the smallest timestamp TIME-2 accepts.
    Zero,
    /// A negative timestamp (TIME-2); non-negative values are clamped to -1.
    Negative {
        /// The timestamp: -1000..=-1, or `i64::MIN` (half the time).
        ms: i64,
    },
    /// `i64::MAX`: the end of time, where a duration computed carelessly overflows (TIME-1).
    Max,
}

/// When the clock starts: small numbers keep generated traces readable.
pub const CLOCK_START_MS: i64 = 1_000;

impl<A: Clone + Into<Closing>> Outcome<A> {
    /// The closing fact's payload, when the outcome has one.
    pub fn closing(&self) -> Option<Closing> {
        match self {
            Outcome::Unanswered => None,
            Outcome::Aborted => Some(Closing::Aborted),
            Outcome::Malformed => Some(Closing::Malformed),
            Outcome::Answered(answer) => Some(answer.clone().into()),
        }
    }
}

impl From<FileChangeDecision> for Closing {
    fn from(decision: FileChangeDecision) -> Closing {
        Closing::FileChange(decision)
    }
}

impl From<CommandDecision> for Closing {
    fn from(decision: CommandDecision) -> Closing {
        Closing::Command(decision)
    }
}

impl From<Grant> for Closing {
    fn from(grant: Grant) -> Closing {
        Closing::Permissions(grant)
    }
}

impl UserRequest {
    /// The closing fact's payload, when the review is answered, aborted or malformed.
    pub fn closing(&self) -> Option<Closing> {
        match self {
            UserRequest::FileChange { outcome, .. } => outcome.closing(),
            UserRequest::Permissions { outcome, .. } => outcome.closing(),
            UserRequest::Command { outcome, .. } => outcome.closing(),
        }
    }
}
