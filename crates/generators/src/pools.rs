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

pub const HOSTS: &[&str] = &["example.com", "api.github.com", "localhost"];
pub const PROTOCOLS: &[&str] = &["https", "http", "socks5"];
pub const PORTS: &[u16] = &[443, 80, 0, 65535];
pub const PATHS: &[&str] = &["/repo", "/repo/src", "/tmp", "/home/user/.cache"];
pub const GRANT_ROOTS: &[&str] = &["/repo", "/"];
pub const APPROVAL_IDS: &[&str] = &["a1", "a2"];
pub const COMMANDS: &[&str] = &["ls", "cargo test", "rm -rf target"];
pub const PROGRAMS: &[&str] = &["/bin/sh", "/usr/bin/git"];
pub const EXECPOLICY_WORDS: &[&str] = &["git", "status", "cargo"];
pub const MCP_SERVERS: &[&str] = &["github", "linear"];
pub const MCP_TOOLS: &[&str] = &["create_issue", "search"];
pub const THREAD_SOURCES: &[&str] = &["user", "subagent", "exec"];
pub const SUBAGENT_SOURCES: &[&str] = &["review", "compact"];
pub const PRODUCT_CLIENT_IDS: &[&str] = &["codex_cli_rs", "codex_vscode"];
/// Thread originators (CTX-4): products other than the connections' clients, and one of them.
pub const ORIGINATORS: &[&str] = &["codex_exec", "codex_sdk_ts", "codex_vscode"];
/// Sub-agent sources of a sub-agent thread's start (CTX-5).
pub const SUBAGENT_START_SOURCES: &[&str] = &["thread_spawn", "review", "guardian"];
pub const CLIENT_NAMES: &[&str] = &["codex-tui", "vscode", "codex-desktop"];
pub const CLIENT_VERSIONS: &[&str] = &["0.1.0", "1.2.3"];
pub const CODEX_VERSIONS: &[&str] = &["0.40.0", "0.41.0"];
pub const OSES: &[&str] = &["linux", "macos", "windows"];
pub const OS_VERSIONS: &[&str] = &["6.8", "14.5"];
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
    pub numerator: u8,
    pub denominator: u8,
}

impl Chance {
    pub const fn new(numerator: u8, denominator: u8) -> Chance {
        Chance {
            numerator,
            denominator,
        }
    }

    pub fn probability(self) -> f64 {
        f64::from(self.numerator) / f64::from(self.denominator.max(1))
    }
}

/// A setup initialization or binding is present (it is missing otherwise: CTX-3).
pub const SETUP_PRESENT: Chance = Chance::new(19, 20);
/// A binding names an originator (CTX-4); a sub-agent start names one.
pub const ORIGINATOR: Chance = Chance::new(1, 2);
pub const SUBAGENT_ORIGINATOR: Chance = Chance::new(2, 3);
/// A thread after the first is set up as a sub-agent of another instead of being bound (CTX-5).
pub const SUBAGENT_THREAD: Chance = Chance::new(1, 4);
/// A sub-agent start names its parent; a parent past the thread pool is one never bound.
pub const SUBAGENT_PARENT: Chance = Chance::new(9, 10);
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
pub const GRANT_ROOT: Chance = Chance::new(2, 5);
pub const APPROVAL_ID: Chance = Chance::new(1, 4);
pub const NETWORK_APPROVAL_CONTEXT: Chance = Chance::new(3, 10);
pub const PROPOSED_AMENDMENTS: Chance = Chance::new(3, 10);
pub const ADDITIONAL_PERMISSIONS: Chance = Chance::new(3, 10);
pub const PROFILE_NETWORK: Chance = Chance::new(1, 2);
pub const PROFILE_FILE_SYSTEM: Chance = Chance::new(1, 2);
/// An effective grant is forced empty (on top of profiles that happen to be empty).
pub const GRANT_EMPTY: Chance = Chance::new(1, 3);
pub const GUARDIAN_IN_PROGRESS_FIRST: Chance = Chance::new(1, 5);
pub const GUARDIAN_TARGETS_ITEM: Chance = Chance::new(4, 5);
/// A guardian completion is delivered per attached connection (older emitters).
pub const GUARDIAN_PER_CONNECTION: Chance = Chance::new(7, 10);
/// A guardian review completes before it started.
pub const GUARDIAN_NEGATIVE_DURATION: Chance = Chance::new(1, 9);
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

pub const TURN_ENDS: &[(u32, TurnEnd)] = &[
    (1, TurnEnd::Open),
    (8, TurnEnd::Completed),
    (2, TurnEnd::Interrupted),
];
pub const ITEM_STATUSES: &[(u32, ItemStatus)] = &[
    (6, ItemStatus::Completed),
    (2, ItemStatus::Failed),
    (2, ItemStatus::Declined),
    (1, ItemStatus::InProgress),
];
pub const ITEM_KINDS: &[(u32, ItemKind)] = &[
    (1, ItemKind::CommandExecution),
    (1, ItemKind::FileChange),
    (1, ItemKind::McpToolCall),
    (1, ItemKind::DynamicToolCall),
    (1, ItemKind::CollabAgentToolCall),
    (1, ItemKind::WebSearch),
    (1, ItemKind::ImageGeneration),
];
pub const GUARDIAN_STATUSES: &[(u32, GuardianStatus)] = &[
    (3, GuardianStatus::Approved),
    (2, GuardianStatus::Denied),
    (1, GuardianStatus::TimedOut),
    (1, GuardianStatus::Aborted),
    (1, GuardianStatus::InProgress),
];
pub const BINDINGS: &[(u32, ThreadBinding)] = &[
    (4, ThreadBinding::Started),
    (1, ThreadBinding::Resumed),
    (1, ThreadBinding::Forked),
];
pub const FILE_CHANGE_DECISIONS: &[(u32, FileChangeDecision)] = &[
    (1, FileChangeDecision::Accept),
    (1, FileChangeDecision::Decline),
    (1, FileChangeDecision::Cancel),
    (1, FileChangeDecision::AcceptForSession),
];
pub const GRANT_SCOPES: &[(u32, GrantScope)] = &[(1, GrantScope::Turn), (1, GrantScope::Session)];
pub const NETWORK_POLICY_ACTIONS: &[(u32, NetworkPolicyAction)] = &[
    (1, NetworkPolicyAction::Allow),
    (1, NetworkPolicyAction::Deny),
];
pub const RPC_TRANSPORTS: &[(u32, RpcTransport)] = &[
    (1, RpcTransport::Stdio),
    (1, RpcTransport::Websocket),
    (1, RpcTransport::InProcess),
];
