//! Small value pools, weights and chances shared by both generators.
//!
//! Drawing strings from a handful of values keeps traces readable and makes equal values (hosts,
//! paths, item ids) recur, which is where keying bugs hide. Ids are derived from pool indices:
//! thread 0 is `"t1"`, turn 0 is `"u1"`, item 0 is `"i1"`. The weights and chances below are
//! shared the same way, so both generators draw one distribution.

use super::episode::TurnEnd;
use crate::fact::{
    FileChangeDecision, GrantScope, GuardianStatus, ItemKind, ItemStatus, NetworkPolicyAction,
    RpcTransport, ThreadBinding,
};

/// Hosts of network approval contexts, network policy amendments and guardian network
/// accesses: one host recurs across all three.
pub const HOSTS: &[&str] = &["example.com", "api.github.com", "localhost"];
/// Protocols of network approval contexts and guardian network accesses.
pub const PROTOCOLS: &[&str] = &["https", "http", "socks5"];
/// Ports of guardian network accesses (which may also have none): two common ones and the two
/// ends of the range.
pub const PORTS: &[u16] = &[443, 80, 0, 65535];
/// Paths of permission profiles' file system reads and writes and of guardian `apply_patch`
/// files; nested, so a profile may name a path and its parent.
pub const PATHS: &[&str] = &["/repo", "/repo/src", "/tmp", "/home/user/.cache"];
/// Grant roots of file change requests: the repository, or the whole file system.
pub const GRANT_ROOTS: &[&str] = &["/repo", "/"];
/// Approval ids of command requests (SUBJ-2).
pub const APPROVAL_IDS: &[&str] = &["a1", "a2"];
/// Commands of guardian `command` actions.
pub const COMMANDS: &[&str] = &["ls", "cargo test", "rm -rf target"];
/// Programs of guardian `execve` actions.
pub const PROGRAMS: &[&str] = &["/bin/sh", "/usr/bin/git"];
/// Words of an `accept_with_execpolicy_amendment` decision's amendment (0..=2 of them).
pub const EXECPOLICY_WORDS: &[&str] = &["git", "status", "cargo"];
/// Servers of guardian `mcp_tool_call` actions.
pub const MCP_SERVERS: &[&str] = &["github", "linear"];
/// Tool names of guardian `mcp_tool_call` actions (the review's subject name: GUARD-1).
pub const MCP_TOOLS: &[&str] = &["create_issue", "search"];
/// Thread sources a binding records.
pub const THREAD_SOURCES: &[&str] = &["user", "subagent", "exec"];
/// Sub-agent sources a sub-agent binding records.
pub const SUBAGENT_SOURCES: &[&str] = &["review", "compact"];
/// Product client ids connections announce; `codex_vscode` is also an originator, so a
/// thread's originator sometimes names its own connection's product (CTX-4).
pub const PRODUCT_CLIENT_IDS: &[&str] = &["codex_cli_rs", "codex_vscode"];
/// Thread originators (CTX-4): products other than the connections' clients, and one of them.
pub const ORIGINATORS: &[&str] = &["codex_exec", "codex_sdk_ts", "codex_vscode"];
/// Sub-agent sources of a sub-agent thread's start (CTX-5).
pub const SUBAGENT_START_SOURCES: &[&str] = &["thread_spawn", "review", "guardian"];
/// Client names connections announce.
pub const CLIENT_NAMES: &[&str] = &["codex-tui", "vscode", "codex-desktop"];
/// Client versions connections announce.
pub const CLIENT_VERSIONS: &[&str] = &["0.1.0", "1.2.3"];
/// Codex versions of connections' runtimes.
pub const CODEX_VERSIONS: &[&str] = &["0.40.0", "0.41.0"];
/// Operating systems of connections' runtimes.
pub const OSES: &[&str] = &["linux", "macos", "windows"];
/// Operating system versions of connections' runtimes (drawn apart from the OS).
pub const OS_VERSIONS: &[&str] = &["6.8", "14.5"];
/// Architectures of connections' runtimes.
pub const ARCHES: &[&str] = &["x86_64", "aarch64"];

/// Thread id of pool index `index`.
pub fn thread_id(index: u8) -> String {
    format!("t{}", u16::from(index) + 1)
}

/// Turn id of pool index `index`.
pub fn turn_id(index: u8) -> String {
    format!("u{}", u16::from(index) + 1)
}

/// Item id of pool index `index`.
pub fn item_id(index: usize) -> String {
    format!("i{}", index.saturating_add(1))
}

/// Guardian review id number `index` of a thread.
pub fn review_id(index: usize) -> String {
    format!("g{}", index.saturating_add(1))
}

// Weights and chances, shared so that both generators draw the same distribution. Weighted
// tables list values simple to complex; the first is what shrinking (and an exhausted fuzz
// input) falls back to.

/// A probability `numerator / denominator`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chance {
    /// How many of `denominator` draws come out true, at most `denominator`.
    pub numerator: u8,
    /// Out of how many; 0 is read as 1.
    pub denominator: u8,
}

impl Chance {
    /// The chance `numerator / denominator`, usable in constants.
    pub const fn new(numerator: u8, denominator: u8) -> Chance {
        Chance {
            numerator,
            denominator,
        }
    }

    /// The chance as a probability, for proptest's weighted booleans and options (the byte
    /// readers of `unstructured` draw from `0..denominator` instead).
    pub fn probability(self) -> f64 {
        f64::from(self.numerator) / f64::from(self.denominator.max(1))
    }
}

/// A setup initialization or binding is present (it is missing otherwise: CTX-3).
pub const SETUP_PRESENT: Chance = Chance::new(19, 20);
/// A binding names an originator (CTX-4); otherwise the thread keeps its earlier one.
pub const ORIGINATOR: Chance = Chance::new(1, 2);
/// A sub-agent start names an originator (CTX-4).
pub const SUBAGENT_ORIGINATOR: Chance = Chance::new(2, 3);
/// A thread after the first is set up as a sub-agent of another instead of being bound (CTX-5).
pub const SUBAGENT_THREAD: Chance = Chance::new(1, 4);
/// A sub-agent start names its parent; a parent past the thread pool is one never bound.
pub const SUBAGENT_PARENT: Chance = Chance::new(9, 10);
/// A body sub-agent start's parent is past the thread pool: a thread this stream never binds,
/// whose connections it cannot inherit (CTX-5). A setup start's parent is the thread before it.
pub const SUBAGENT_UNKNOWN_PARENT: Chance = Chance::new(1, 8);
/// A thread's setup bindings arrive late, after its first turn (UP-SUM-6's ground: a completion
/// without context, then one of the same item with it).
pub const BIND_LATE: Chance = Chance::new(1, 5);
/// Item notifications are delivered per attached connection.
pub const ITEM_PER_CONNECTION: Chance = Chance::new(3, 20);
/// An `in_progress` item completion comes first.
pub const ITEM_IN_PROGRESS_FIRST: Chance = Chance::new(3, 20);
/// A copy of the item's completion with a negative timestamp comes first (UP-TIME-2).
pub const ITEM_NEGATIVE_FIRST: Chance = Chance::new(1, 30);
/// The timestamp of that copy: TIME-2's boundary, the largest negative one.
pub const ITEM_NEGATIVE_MS: i64 = -1;
/// A user review is closed after its item completed.
pub const CLOSED_AFTER_ITEM: Chance = Chance::new(3, 20);
/// A file change request names a grant root.
pub const GRANT_ROOT: Chance = Chance::new(2, 5);
/// A command request carries an approval id (SUBJ-2's `execve_intercept`).
pub const APPROVAL_ID: Chance = Chance::new(1, 4);
/// A command request carries a network approval context (SUBJ-1's network access).
pub const NETWORK_APPROVAL_CONTEXT: Chance = Chance::new(3, 10);
/// A command request proposes network policy amendments (SUBJ-3).
pub const PROPOSED_AMENDMENTS: Chance = Chance::new(3, 10);
/// A command request asks for additional permissions (SUBJ-3).
pub const ADDITIONAL_PERMISSIONS: Chance = Chance::new(3, 10);
/// A permission profile has a network part (enabled, disabled or unset).
pub const PROFILE_NETWORK: Chance = Chance::new(1, 2);
/// A permission profile has a file system part (0..=2 reads, 0..=2 writes).
pub const PROFILE_FILE_SYSTEM: Chance = Chance::new(1, 2);
/// An effective grant is forced empty (on top of profiles that happen to be empty).
pub const GRANT_EMPTY: Chance = Chance::new(1, 3);
/// An `in_progress` guardian completion is delivered before the final one (GUARD-4).
pub const GUARDIAN_IN_PROGRESS_FIRST: Chance = Chance::new(1, 5);
/// A guardian completion names its item in `target_item_id`; otherwise the field is absent.
pub const GUARDIAN_TARGETS_ITEM: Chance = Chance::new(4, 5);
/// A guardian completion is delivered per attached connection (older emitters).
pub const GUARDIAN_PER_CONNECTION: Chance = Chance::new(7, 10);
/// A guardian review completes before it started.
pub const GUARDIAN_NEGATIVE_DURATION: Chance = Chance::new(1, 9);
/// Each field of a connection's client and runtime metadata is present, independently.
pub const CLIENT_FIELD: Chance = Chance::new(4, 5);
/// Turns are interleaved at all.
pub const INTERLEAVED: Chance = Chance::new(2, 3);
/// Some chunks are stamped off the clock.
pub const TIME_ANOMALIES: Chance = Chance::new(1, 4);

/// Items of a turn run in parallel: all start, then their reviews interleave, then they
/// complete (parallel tool calls), so many items of one turn hold state at once.
pub const PARALLEL_ITEMS: Chance = Chance::new(1, 3);

// Swarm choices (`swarm::SwarmConfig`).

/// The most connections of a case.
pub const CONNECTIONS_MAX: u8 = 8;
/// The most items of a turn.
pub const ITEMS_PER_TURN_MAX: u8 = 12;
/// A small pool has 1..=3 members.
pub const SMALL_POOL_MAX: u8 = 3;
/// Pool sizes: small, large.
pub const POOL_WEIGHTS: [u32; 2] = [3, 1];
/// Request ids: small, past 2^53, near `u64::MAX`.
pub const ID_RANGE_WEIGHTS: [u32; 3] = [4, 1, 1];
/// The largest integer below which every integer is exact as an f64.
pub const F64_EXACT_MAX: u64 = 1 << 53;
/// Clocks: early, from zero, late.
pub const CLOCK_WEIGHTS: [u32; 3] = [4, 1, 1];
/// A late clock ends at most this far before `i64::MAX`.
pub const LATE_CLOCK_BELOW_MAX: u16 = 1_000;
/// Limits: default, small, log-uniform.
pub const LIMIT_WEIGHTS: [u32; 3] = [3, 1, 1];
/// Small limits are 1..=8.
pub const SMALL_LIMIT_MAX: usize = 8;
/// Log-uniform limits: octave `k` is `2^k..2^(k+1)`, the last one is the default bound 4096.
pub const LIMIT_OCTAVE_MAX: u8 = 12;

/// A bound in octave `octave`: `2^octave + within % 2^octave`, at most 4096 (the last octave
/// is 4096 alone), so `1..=4096` with every octave equally likely when `octave` is uniform.
pub fn in_octave(octave: u8, within: u16) -> usize {
    let low = 1usize << octave.min(LIMIT_OCTAVE_MAX);
    (low + usize::from(within) % low).min(1 << LIMIT_OCTAVE_MAX)
}

/// Body episodes: initialize, bind, turn.
pub const BODY_EPISODE_WEIGHTS: [u32; 3] = [1, 1, 12];
/// Of the body's bindings, how many are sub-agent starts instead (CTX-5): one in this many.
pub const BODY_SUBAGENT_STARTS: Chance = Chance::new(1, 3);
/// Item lifecycles: reviews only, started only, completed.
pub const LIFECYCLE_WEIGHTS: [u32; 3] = [1, 1, 8];
/// Reviews: user, guardian.
pub const REVIEW_WEIGHTS: [u32; 2] = [3, 2];
/// User requests: file change, permissions, command.
pub const REQUEST_WEIGHTS: [u32; 3] = [2, 2, 3];
/// Outcomes: unanswered, aborted, malformed, answered.
pub const OUTCOME_WEIGHTS: [u32; 4] = [1, 2, 1, 8];
/// Thread origins: plain, source, sub-agent.
pub const ORIGIN_WEIGHTS: [u32; 3] = [3, 1, 1];
/// Stamps: skew, zero, negative, max.
pub const STAMP_WEIGHTS: [u32; 4] = [6, 1, 1, 1];

/// How turns end: open (the stream stops mid-turn), completed, interrupted.
pub const TURN_ENDS: &[(u32, TurnEnd)] = &[
    (1, TurnEnd::Open),
    (8, TurnEnd::Completed),
    (2, TurnEnd::Interrupted),
];
/// Final statuses of item completions: `in_progress` (not terminal: ITEM-5) is the rarest.
pub const ITEM_STATUSES: &[(u32, ItemStatus)] = &[
    (6, ItemStatus::Completed),
    (2, ItemStatus::Failed),
    (2, ItemStatus::Declined),
    (1, ItemStatus::InProgress),
];
/// Item kinds, all equally likely.
pub const ITEM_KINDS: &[(u32, ItemKind)] = &[
    (1, ItemKind::CommandExecution),
    (1, ItemKind::FileChange),
    (1, ItemKind::McpToolCall),
    (1, ItemKind::DynamicToolCall),
    (1, ItemKind::CollabAgentToolCall),
    (1, ItemKind::WebSearch),
    (1, ItemKind::ImageGeneration),
];
/// Final statuses of guardian reviews; `in_progress` leaves the review unfinished (GUARD-4).
pub const GUARDIAN_STATUSES: &[(u32, GuardianStatus)] = &[
    (3, GuardianStatus::Approved),
    (2, GuardianStatus::Denied),
    (1, GuardianStatus::TimedOut),
    (1, GuardianStatus::Aborted),
    (1, GuardianStatus::InProgress),
];
/// Thread bindings: mostly starts, sometimes resumes or forks.
pub const BINDINGS: &[(u32, ThreadBinding)] = &[
    (4, ThreadBinding::Started),
    (1, ThreadBinding::Resumed),
    (1, ThreadBinding::Forked),
];
/// File change decisions, all equally likely (DEC-2).
pub const FILE_CHANGE_DECISIONS: &[(u32, FileChangeDecision)] = &[
    (1, FileChangeDecision::Accept),
    (1, FileChangeDecision::Decline),
    (1, FileChangeDecision::Cancel),
    (1, FileChangeDecision::AcceptForSession),
];
/// Scopes of effective grants, equally likely (GRANT-2).
pub const GRANT_SCOPES: &[(u32, GrantScope)] = &[(1, GrantScope::Turn), (1, GrantScope::Session)];
/// Actions of network policy amendments: allow or deny, equally likely (DEC-1 maps them to
/// approved and denied).
pub const NETWORK_POLICY_ACTIONS: &[(u32, NetworkPolicyAction)] = &[
    (1, NetworkPolicyAction::Allow),
    (1, NetworkPolicyAction::Deny),
];
/// Transports connections announce, equally likely.
pub const RPC_TRANSPORTS: &[(u32, RpcTransport)] = &[
    (1, RpcTransport::Stdio),
    (1, RpcTransport::Websocket),
    (1, RpcTransport::InProcess),
];
