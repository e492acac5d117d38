//! Facts: the inputs of a review reduction, as they appear on the wire.
//!
//! A fact is one thing the app-server observed: a connection initialized, a thread bound to a
//! connection, an approval request sent, a response received, a guardian notification, an item
//! or turn lifecycle notification. Facts are plain data; the rules that give them meaning live in
//! `model` (the spec as code) and `reducer` (production), never here.
//!
//! Variants run from simple to complex so that shrinking lands on simple facts (`spec/rules.md`,
//! "Vocabulary"). Timestamps are signed, as on the wire: a negative one is a spec'd rejection
//! (TIME-2), not a parse error.

use std::sync::Arc;

use arbitrary::Arbitrary;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A server request id. The app-server draws them from one process-wide counter, so one request
/// fanned out to several connections carries the same id on each copy (LIFE-2).
pub type RequestId = u64;

/// A connection id: one connected client.
pub type ConnectionId = u64;

/// A thread, turn, item or review id, or a thread attribute copied onto events: shared rather
/// than copied, hashed once (`id`), and a plain JSON string on the wire.
pub use crate::id::Id;
use crate::id::Interner;

/// One input fact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fact {
    /// A turn ended: per-turn state is released (TURN-1).
    TurnCompleted {
        thread_id: Id,
        turn_id: Id,
        completed_at_ms: i64,
    },
    /// A client connection announced itself (CTX-1).
    Initialize {
        connection_id: ConnectionId,
        // Shared: events of the connection's threads copy them by reference.
        app_server_client: Arc<AppServerClient>,
        runtime: Arc<Runtime>,
    },
    /// A connection started, resumed or forked a thread: the thread is now bound to it (CTX-2).
    ThreadBound {
        connection_id: ConnectionId,
        thread_id: Id,
        binding: ThreadBinding,
        #[serde(default)]
        thread_source: Option<Id>,
        #[serde(default)]
        subagent_source: Option<Id>,
        #[serde(default)]
        parent_thread_id: Option<Id>,
        /// The thread's originator: the product that started the thread, which events of the
        /// thread name as their `product_client_id` (CTX-4); absent: the thread keeps its own.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        originator: Option<String>,
    },
    /// A sub-agent or guardian thread started from a parent thread: it inherits the parent's
    /// connection when it has none, and its metadata and originator when it has none (CTX-5).
    /// Delivered by the server itself, on no connection.
    SubagentThreadStarted {
        thread_id: Id,
        #[serde(default)]
        parent_thread_id: Option<Id>,
        subagent_source: Id,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        originator: Option<String>,
    },
    /// A tool item started (ITEM-1).
    ItemStarted {
        connection_id: ConnectionId,
        thread_id: Id,
        turn_id: Id,
        item_id: Id,
        kind: ItemKind,
        started_at_ms: i64,
    },
    /// A tool item reached a status; terminal statuses emit the tool-item event (ITEM-2).
    ItemCompleted {
        connection_id: ConnectionId,
        thread_id: Id,
        turn_id: Id,
        item_id: Id,
        kind: ItemKind,
        status: ItemStatus,
        completed_at_ms: i64,
    },
    /// The server aborted a request: timed out, cancelled, turn interrupted, or the client
    /// answered with a JSON-RPC error (DEC-3).
    RequestAborted {
        connection_id: ConnectionId,
        request_id: RequestId,
        completed_at_ms: i64,
    },
    /// A client answered a request with something that could not be parsed; the approval handler
    /// falls back to a denial (DEC-4).
    MalformedResponse {
        connection_id: ConnectionId,
        request_id: RequestId,
        completed_at_ms: i64,
    },
    /// A client's decision on a file-change approval (DEC-2).
    FileChangeResponse {
        connection_id: ConnectionId,
        request_id: RequestId,
        decision: FileChangeDecision,
        completed_at_ms: i64,
    },
    /// A client's decision on a command-execution approval (DEC-1).
    CommandExecutionResponse {
        connection_id: ConnectionId,
        request_id: RequestId,
        decision: CommandDecision,
        completed_at_ms: i64,
    },
    /// What the permissions handler actually granted, after validating and intersecting the
    /// client's answer (GRANT-1..3).
    EffectivePermissionsResponse {
        connection_id: ConnectionId,
        request_id: RequestId,
        permissions: PermissionProfile,
        scope: GrantScope,
        completed_at_ms: i64,
    },
    /// The server asked a client to approve a file change (SUBJ-4).
    FileChangeRequest {
        connection_id: ConnectionId,
        request_id: RequestId,
        thread_id: Id,
        turn_id: Id,
        item_id: Id,
        started_at_ms: i64,
        #[serde(default)]
        grant_root: Option<String>,
    },
    /// The server asked a client to grant permissions (SUBJ-5).
    PermissionsRequest {
        connection_id: ConnectionId,
        request_id: RequestId,
        thread_id: Id,
        turn_id: Id,
        item_id: Id,
        started_at_ms: i64,
        permissions: PermissionProfile,
    },
    /// The server asked a client to approve a command execution, or network access when a
    /// network approval context is present (SUBJ-1..3).
    CommandExecutionRequest {
        connection_id: ConnectionId,
        request_id: RequestId,
        thread_id: Id,
        turn_id: Id,
        item_id: Id,
        started_at_ms: i64,
        #[serde(default)]
        approval_id: Option<Id>,
        #[serde(default)]
        network_approval_context: Option<NetworkApprovalContext>,
        #[serde(default)]
        proposed_network_policy_amendments: Option<Vec<NetworkPolicyAmendment>>,
        #[serde(default)]
        additional_permissions: Option<PermissionProfile>,
    },
    /// A guardian review reached a status, delivered once per connection attached to the thread
    /// (GUARD-1..5, DEDUP-1).
    GuardianReviewCompleted {
        connection_id: ConnectionId,
        thread_id: Id,
        turn_id: Id,
        review_id: Id,
        #[serde(default)]
        target_item_id: Option<Id>,
        action: GuardianAction,
        status: GuardianStatus,
        started_at_ms: i64,
        completed_at_ms: i64,
    },
}

/// Client metadata announced by `initialize`, copied verbatim onto events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct AppServerClient {
    #[serde(default)]
    pub product_client_id: Option<String>,
    #[serde(default)]
    pub client_name: Option<String>,
    #[serde(default)]
    pub client_version: Option<String>,
    #[serde(default)]
    pub rpc_transport: Option<RpcTransport>,
    #[serde(default)]
    pub experimental_api_enabled: Option<bool>,
}

/// How the client talks to the app-server.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum RpcTransport {
    Stdio,
    Websocket,
    InProcess,
}

/// Runtime metadata announced by `initialize`, copied verbatim onto events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct Runtime {
    #[serde(default)]
    pub codex_rs_version: Option<String>,
    #[serde(default)]
    pub runtime_os: Option<String>,
    #[serde(default)]
    pub runtime_os_version: Option<String>,
    #[serde(default)]
    pub runtime_arch: Option<String>,
}

/// How a thread came to be bound to a connection.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum ThreadBinding {
    Started,
    Resumed,
    Forked,
}

/// The tool item kinds that emit a terminal tool-item event (ITEM-1).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    CommandExecution,
    FileChange,
    McpToolCall,
    DynamicToolCall,
    CollabAgentToolCall,
    WebSearch,
    ImageGeneration,
}

/// The status an item-completed notification carries.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Completed,
    Failed,
    Declined,
    InProgress,
}

/// A requested or granted permission profile. It is *empty* when both parts are absent (GRANT-3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct PermissionProfile {
    #[serde(default)]
    pub network: Option<NetworkPermission>,
    #[serde(default)]
    pub file_system: Option<FileSystemPermission>,
}

/// The network part of a permission profile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct NetworkPermission {
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// The file-system part of a permission profile: paths readable and writable.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct FileSystemPermission {
    #[serde(default)]
    pub read: Vec<String>,
    #[serde(default)]
    pub write: Vec<String>,
}

/// The scope of a permissions grant.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum GrantScope {
    Turn,
    Session,
}

/// The network target of a command-execution request that is really a network access request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct NetworkApprovalContext {
    pub host: String,
    pub protocol: String,
}

/// A proposed or applied change to the network policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct NetworkPolicyAmendment {
    pub host: String,
    pub action: NetworkPolicyAction,
}

/// Whether a network policy amendment allows or denies its host.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum NetworkPolicyAction {
    Allow,
    Deny,
}

/// A client's decision on a command-execution approval (DEC-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(tag = "decision", rename_all = "snake_case", deny_unknown_fields)]
pub enum CommandDecision {
    Accept,
    Decline,
    Cancel,
    AcceptForSession,
    AcceptWithExecpolicyAmendment {
        execpolicy_amendment: Vec<String>,
    },
    ApplyNetworkPolicyAmendment {
        network_policy_amendment: NetworkPolicyAmendment,
    },
}

/// A client's decision on a file-change approval (DEC-2).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum FileChangeDecision {
    Accept,
    Decline,
    Cancel,
    AcceptForSession,
}

/// The status a guardian review completion carries (GUARD-3, GUARD-4).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum GuardianStatus {
    Approved,
    Denied,
    TimedOut,
    Aborted,
    InProgress,
}

/// The action a guardian reviewed (GUARD-1, GUARD-2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum GuardianAction {
    Command {
        command: String,
    },
    Execve {
        program: String,
    },
    ApplyPatch {
        #[serde(default)]
        files: Vec<String>,
    },
    McpToolCall {
        server: String,
        tool_name: String,
    },
    NetworkAccess {
        host: String,
        protocol: String,
        #[serde(default)]
        port: Option<u16>,
    },
    RequestPermissions {
        permissions: PermissionProfile,
    },
}

/// The started and completed timestamps of a fact, by reference: one table for [`Fact::timestamp_ms`]
/// and [`Fact::times_mut`] (the match binds by shared or mutable reference as the fact is).
macro_rules! timestamps {
    ($fact:expr) => {
        match $fact {
            Fact::Initialize { .. } => (None, None),
            Fact::ThreadBound { .. } => (None, None),
            Fact::SubagentThreadStarted { .. } => (None, None),
            Fact::TurnCompleted {
                completed_at_ms: at,
                ..
            } => (None, Some(at)),
            Fact::ItemStarted {
                started_at_ms: at, ..
            } => (Some(at), None),
            Fact::ItemCompleted {
                completed_at_ms: at,
                ..
            } => (None, Some(at)),
            Fact::RequestAborted {
                completed_at_ms: at,
                ..
            } => (None, Some(at)),
            Fact::MalformedResponse {
                completed_at_ms: at,
                ..
            } => (None, Some(at)),
            Fact::FileChangeResponse {
                completed_at_ms: at,
                ..
            } => (None, Some(at)),
            Fact::CommandExecutionResponse {
                completed_at_ms: at,
                ..
            } => (None, Some(at)),
            Fact::EffectivePermissionsResponse {
                completed_at_ms: at,
                ..
            } => (None, Some(at)),
            Fact::FileChangeRequest {
                started_at_ms: at, ..
            } => (Some(at), None),
            Fact::PermissionsRequest {
                started_at_ms: at, ..
            } => (Some(at), None),
            Fact::CommandExecutionRequest {
                started_at_ms: at, ..
            } => (Some(at), None),
            Fact::GuardianReviewCompleted {
                started_at_ms,
                completed_at_ms,
                ..
            } => (Some(started_at_ms), Some(completed_at_ms)),
        }
    };
}

impl Fact {
    /// Whether the fact closes a user review: a response, `malformed_response` or
    /// `request_aborted`.
    pub fn is_closing(&self) -> bool {
        matches!(
            self,
            Fact::RequestAborted { .. }
                | Fact::MalformedResponse { .. }
                | Fact::FileChangeResponse { .. }
                | Fact::CommandExecutionResponse { .. }
                | Fact::EffectivePermissionsResponse { .. }
        )
    }

    /// The connection that delivered the fact; None for `turn_completed` and
    /// `subagent_thread_started`, which name none.
    pub fn connection_id(&self) -> Option<ConnectionId> {
        match self {
            Fact::TurnCompleted { .. } | Fact::SubagentThreadStarted { .. } => None,
            Fact::Initialize { connection_id, .. }
            | Fact::ThreadBound { connection_id, .. }
            | Fact::ItemStarted { connection_id, .. }
            | Fact::ItemCompleted { connection_id, .. }
            | Fact::RequestAborted { connection_id, .. }
            | Fact::MalformedResponse { connection_id, .. }
            | Fact::FileChangeResponse { connection_id, .. }
            | Fact::CommandExecutionResponse { connection_id, .. }
            | Fact::EffectivePermissionsResponse { connection_id, .. }
            | Fact::FileChangeRequest { connection_id, .. }
            | Fact::PermissionsRequest { connection_id, .. }
            | Fact::CommandExecutionRequest { connection_id, .. }
            | Fact::GuardianReviewCompleted { connection_id, .. } => Some(*connection_id),
        }
    }

    /// The timestamps the fact carries, to change them: `(started_at_ms, completed_at_ms)`.
    pub fn times_mut(&mut self) -> (Option<&mut i64>, Option<&mut i64>) {
        timestamps!(self)
    }

    /// Makes each id of the fact a clone of the equal id `interner` holds ([`Interner`]).
    pub fn intern_ids(&mut self, interner: &mut Interner) {
        self.for_each_id_mut(|id| interner.intern(id));
    }

    /// Calls `f` on every id the fact carries (thread, turn, item and review ids, and the
    /// thread attributes and approval id), to replace them (e.g. `id::Interner`).
    pub fn for_each_id_mut(&mut self, mut f: impl FnMut(&mut Id)) {
        match self {
            Fact::TurnCompleted {
                thread_id, turn_id, ..
            } => {
                f(thread_id);
                f(turn_id);
            }
            Fact::ThreadBound {
                thread_id,
                thread_source,
                subagent_source,
                parent_thread_id,
                ..
            } => {
                f(thread_id);
                for id in [thread_source, subagent_source, parent_thread_id]
                    .into_iter()
                    .flatten()
                {
                    f(id);
                }
            }
            Fact::SubagentThreadStarted {
                thread_id,
                parent_thread_id,
                subagent_source,
                ..
            } => {
                f(thread_id);
                f(subagent_source);
                if let Some(parent_thread_id) = parent_thread_id {
                    f(parent_thread_id);
                }
            }
            Fact::ItemStarted {
                thread_id,
                turn_id,
                item_id,
                ..
            }
            | Fact::ItemCompleted {
                thread_id,
                turn_id,
                item_id,
                ..
            }
            | Fact::FileChangeRequest {
                thread_id,
                turn_id,
                item_id,
                ..
            }
            | Fact::PermissionsRequest {
                thread_id,
                turn_id,
                item_id,
                ..
            } => {
                f(thread_id);
                f(turn_id);
                f(item_id);
            }
            Fact::CommandExecutionRequest {
                thread_id,
                turn_id,
                item_id,
                approval_id,
                ..
            } => {
                f(thread_id);
                f(turn_id);
                f(item_id);
                if let Some(approval_id) = approval_id {
                    f(approval_id);
                }
            }
            Fact::GuardianReviewCompleted {
                thread_id,
                turn_id,
                review_id,
                target_item_id,
                ..
            } => {
                f(thread_id);
                f(turn_id);
                f(review_id);
                if let Some(target_item_id) = target_item_id {
                    f(target_item_id);
                }
            }
            Fact::Initialize { .. }
            | Fact::RequestAborted { .. }
            | Fact::MalformedResponse { .. }
            | Fact::FileChangeResponse { .. }
            | Fact::CommandExecutionResponse { .. }
            | Fact::EffectivePermissionsResponse { .. } => {}
        }
    }

    /// The fact's main timestamp: its completion, else its start; None for `initialize`,
    /// `thread_bound` and `subagent_thread_started`, which carry none.
    pub fn timestamp_ms(&self) -> Option<i64> {
        let (started_at_ms, completed_at_ms) = timestamps!(self);
        completed_at_ms.or(started_at_ms).copied()
    }

    /// The oldest trace format version that can hold the fact: 3 for a sub-agent start and a
    /// binding with an originator, 1 for every other fact.
    pub fn trace_format_version(&self) -> u32 {
        match self {
            Fact::SubagentThreadStarted { .. }
            | Fact::ThreadBound {
                originator: Some(_),
                ..
            } => 3,
            _ => 1,
        }
    }

    /// The fact as trace format `version` can hold it: a binding loses its originator, and a
    /// sub-agent start, which `version` cannot hold, is None.
    pub fn in_trace_format(&self, version: u32) -> Option<Fact> {
        if version >= 3 {
            return Some(self.clone());
        }
        match self {
            Fact::SubagentThreadStarted { .. } => None,
            Fact::ThreadBound { .. } => {
                let mut fact = self.clone();
                if let Fact::ThreadBound { originator, .. } = &mut fact {
                    *originator = None;
                }
                Some(fact)
            }
            _ => Some(self.clone()),
        }
    }

    /// The fact's type tag as it appears in traces (`"type": "..."`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Fact::TurnCompleted { .. } => "turn_completed",
            Fact::Initialize { .. } => "initialize",
            Fact::ThreadBound { .. } => "thread_bound",
            Fact::SubagentThreadStarted { .. } => "subagent_thread_started",
            Fact::ItemStarted { .. } => "item_started",
            Fact::ItemCompleted { .. } => "item_completed",
            Fact::RequestAborted { .. } => "request_aborted",
            Fact::MalformedResponse { .. } => "malformed_response",
            Fact::FileChangeResponse { .. } => "file_change_response",
            Fact::CommandExecutionResponse { .. } => "command_execution_response",
            Fact::EffectivePermissionsResponse { .. } => "effective_permissions_response",
            Fact::FileChangeRequest { .. } => "file_change_request",
            Fact::PermissionsRequest { .. } => "permissions_request",
            Fact::CommandExecutionRequest { .. } => "command_execution_request",
            Fact::GuardianReviewCompleted { .. } => "guardian_review_completed",
        }
    }

    /// Every fact type name, in declaration order (simple to complex).
    pub const TYPE_NAMES: [&'static str; 15] = [
        "turn_completed",
        "initialize",
        "thread_bound",
        "subagent_thread_started",
        "item_started",
        "item_completed",
        "request_aborted",
        "malformed_response",
        "file_change_response",
        "command_execution_response",
        "effective_permissions_response",
        "file_change_request",
        "permissions_request",
        "command_execution_request",
        "guardian_review_completed",
    ];
}
