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
        /// The thread the turn ran in.
        thread_id: Id,
        /// The turn that ended; with `thread_id`, the key of the state it releases.
        turn_id: Id,
        /// When the turn ended, in milliseconds; negative rejects the fact (TIME-2).
        completed_at_ms: i64,
    },
    /// A client connection announced itself (CTX-1).
    Initialize {
        /// The connection that sent `initialize`; its metadata replaces any earlier one.
        connection_id: ConnectionId,
        // Shared: events of the connection's threads copy them by reference.
        /// The client's metadata, copied onto the events of every thread bound to the connection.
        app_server_client: Arc<AppServerClient>,
        /// The runtime's metadata, copied onto the events of every thread bound to the connection.
        runtime: Arc<Runtime>,
    },
    /// A connection started, resumed or forked a thread: the thread is now bound to it (CTX-2).
    ThreadBound {
        /// The connection the thread is now bound to, whose metadata its events carry.
        connection_id: ConnectionId,
        /// The thread bound.
        thread_id: Id,
        /// Whether the thread was started, resumed or forked.
        binding: ThreadBinding,
        /// Where the thread came from, as the app-server names it (`subagent` for a sub-agent's),
        /// copied onto its events; absent or null: none.
        #[serde(default)]
        thread_source: Option<Id>,
        /// What spawned the thread as a sub-agent, as the app-server names it, copied onto its
        /// events; absent or null: none.
        #[serde(default)]
        subagent_source: Option<Id>,
        /// The thread this one was started from, copied onto its events; absent or null: none.
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
        /// The sub-agent's thread, and the fact's identity field.
        thread_id: Id,
        /// The thread it was started from, which lends it its connection; absent or null: none,
        /// and the thread stays unbound.
        #[serde(default)]
        parent_thread_id: Option<Id>,
        /// What spawned the thread, recorded as its `subagent_source` if the thread is unknown.
        subagent_source: Id,
        /// The product that started the thread, set only where the thread has no originator
        /// (CTX-4); absent: none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        originator: Option<String>,
    },
    /// A tool item started (ITEM-1).
    ItemStarted {
        /// The connection that delivered the notification.
        connection_id: ConnectionId,
        /// The thread of the item; with `turn_id` and `item_id`, the item's key (ISO-1).
        thread_id: Id,
        /// The turn of the item.
        turn_id: Id,
        /// The item started.
        item_id: Id,
        /// The kind of tool item.
        kind: ItemKind,
        /// When the item started, in milliseconds: the start of its event's duration (TIME-1).
        started_at_ms: i64,
    },
    /// A tool item reached a status; terminal statuses emit the tool-item event (ITEM-2).
    ItemCompleted {
        /// The connection that delivered the notification.
        connection_id: ConnectionId,
        /// The thread of the item; with `turn_id` and `item_id`, the item's key (ISO-1).
        thread_id: Id,
        /// The turn of the item.
        turn_id: Id,
        /// The item completed.
        item_id: Id,
        /// The kind of tool item, which names the tool-item event emitted.
        kind: ItemKind,
        /// The status reached: terminal, or `in_progress` (ITEM-4, ITEM-5).
        status: ItemStatus,
        /// When the item completed, in milliseconds; negative rejects the fact (TIME-2).
        completed_at_ms: i64,
    },
    /// The server aborted a request: timed out, cancelled, turn interrupted, or the client
    /// answered with a JSON-RPC error (DEC-3).
    RequestAborted {
        /// The connection the aborted request was sent to.
        connection_id: ConnectionId,
        /// The request aborted: any pending review of it closes as aborted.
        request_id: RequestId,
        /// When the request was aborted, in milliseconds: the review's completion (TIME-3).
        completed_at_ms: i64,
    },
    /// A client answered a request with something that could not be parsed; the approval handler
    /// falls back to a denial (DEC-4).
    MalformedResponse {
        /// The connection that sent the response.
        connection_id: ConnectionId,
        /// The request answered: any pending review of it closes as denied.
        request_id: RequestId,
        /// When the response was received, in milliseconds: the review's completion (TIME-3).
        completed_at_ms: i64,
    },
    /// A client's decision on a file-change approval (DEC-2).
    FileChangeResponse {
        /// The connection that sent the response.
        connection_id: ConnectionId,
        /// The request answered; it closes only a file-change request (LIFE-5).
        request_id: RequestId,
        /// The client's decision, which gives the review's status and resolution.
        decision: FileChangeDecision,
        /// When the response was received, in milliseconds: the review's completion (TIME-3).
        completed_at_ms: i64,
    },
    /// A client's decision on a command-execution approval (DEC-1).
    CommandExecutionResponse {
        /// The connection that sent the response.
        connection_id: ConnectionId,
        /// The request answered; it closes only a command-execution request (LIFE-5).
        request_id: RequestId,
        /// The client's decision, which gives the review's status and resolution.
        decision: CommandDecision,
        /// When the response was received, in milliseconds: the review's completion (TIME-3).
        completed_at_ms: i64,
    },
    /// What the permissions handler actually granted, after validating and intersecting the
    /// client's answer (GRANT-1..3).
    EffectivePermissionsResponse {
        /// The connection that sent the answer.
        connection_id: ConnectionId,
        /// The request answered; it closes only a permissions request (LIFE-5).
        request_id: RequestId,
        /// The effective grant: empty is a denial (GRANT-1), anything else an approval.
        permissions: PermissionProfile,
        /// How long a non-empty grant lasts, which gives the approval's resolution (GRANT-2).
        scope: GrantScope,
        /// When the answer was received, in milliseconds: the review's completion (TIME-3).
        completed_at_ms: i64,
    },
    /// The server asked a client to approve a file change (SUBJ-4).
    FileChangeRequest {
        /// The connection the request was sent to (one fact per copy, LIFE-2).
        connection_id: ConnectionId,
        /// The request id, the pending review's key (LIFE-1) and its review id (ID-1).
        request_id: RequestId,
        /// The thread the patch belongs to.
        thread_id: Id,
        /// The turn the patch belongs to.
        turn_id: Id,
        /// The file-change item reviewed, onto which the review denormalizes (SUM-1).
        item_id: Id,
        /// When the request was sent, in milliseconds: the review's start (TIME-3).
        started_at_ms: i64,
        /// A root the patch asks write access to, beyond the sandbox; present: additional
        /// permissions requested and the trigger is `sandbox_denial` (SUBJ-4).
        #[serde(default)]
        grant_root: Option<String>,
    },
    /// The server asked a client to grant permissions (SUBJ-5).
    PermissionsRequest {
        /// The connection the request was sent to (one fact per copy, LIFE-2).
        connection_id: ConnectionId,
        /// The request id, the pending review's key (LIFE-1) and its review id (ID-1).
        request_id: RequestId,
        /// The thread that asks.
        thread_id: Id,
        /// The turn that asks.
        turn_id: Id,
        /// The item the request is made for (a permissions review never denormalizes, SUM-1).
        item_id: Id,
        /// When the request was sent, in milliseconds: the review's start (TIME-3).
        started_at_ms: i64,
        /// The permissions asked for, which give the requested flags and trigger (SUBJ-5).
        permissions: PermissionProfile,
    },
    /// The server asked a client to approve a command execution, or network access when a
    /// network approval context is present (SUBJ-1..3).
    CommandExecutionRequest {
        /// The connection the request was sent to (one fact per copy, LIFE-2).
        connection_id: ConnectionId,
        /// The request id, the pending review's key (LIFE-1) and its review id (ID-1).
        request_id: RequestId,
        /// The thread that asks.
        thread_id: Id,
        /// The turn that asks.
        turn_id: Id,
        /// The command-execution item reviewed, onto which the review denormalizes (SUM-1).
        item_id: Id,
        /// When the request was sent, in milliseconds: the review's start (TIME-3).
        started_at_ms: i64,
        /// Present when an intercepted `execve` asks: the trigger is `execve_intercept` (SUBJ-2).
        #[serde(default)]
        approval_id: Option<Id>,
        /// Present when the request is really for network access: the subject is then
        /// `network_access` (SUBJ-1) and network access is requested (SUBJ-3).
        #[serde(default)]
        network_approval_context: Option<NetworkApprovalContext>,
        /// Network policy changes the server proposes; non-empty: network access is requested
        /// (SUBJ-3).
        #[serde(default)]
        proposed_network_policy_amendments: Option<Vec<NetworkPolicyAmendment>>,
        /// Permissions beyond the sandbox the command asks for; present, even empty: additional
        /// permissions are requested (SUBJ-3).
        #[serde(default)]
        additional_permissions: Option<PermissionProfile>,
    },
    /// A guardian review reached a status, delivered once per connection attached to the thread
    /// (GUARD-1..5, DEDUP-1).
    GuardianReviewCompleted {
        /// The connection that delivered this copy of the notification.
        connection_id: ConnectionId,
        /// The thread reviewed; with `review_id`, the completion's identity (DEDUP-1).
        thread_id: Id,
        /// The turn of the review, whose end releases the seen completion (DEDUP-2).
        turn_id: Id,
        /// The guardian's review id, the review event's id unprefixed (ID-2).
        review_id: Id,
        /// The tool item reviewed, the review's `item_id`; absent or null: none, and the review
        /// denormalizes onto no item (SUM-1).
        #[serde(default)]
        target_item_id: Option<Id>,
        /// What the guardian reviewed: it gives the subject, trigger and flags (GUARD-1, GUARD-2).
        action: GuardianAction,
        /// The review's status; `in_progress` completes nothing (GUARD-4).
        status: GuardianStatus,
        /// When the guardian review started, in milliseconds (GUARD-5).
        started_at_ms: i64,
        /// When the guardian review completed, in milliseconds (GUARD-5).
        completed_at_ms: i64,
    },
}

/// Client metadata announced by `initialize`, copied verbatim onto events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct AppServerClient {
    /// The product the client is (`codex_vscode`, ...); a thread's originator replaces it on the
    /// thread's events (CTX-4). Absent or null: unknown.
    #[serde(default)]
    pub product_client_id: Option<String>,
    /// The client's name as it announced it; absent or null: unknown.
    #[serde(default)]
    pub client_name: Option<String>,
    /// The client's version as it announced it; absent or null: unknown.
    #[serde(default)]
    pub client_version: Option<String>,
    /// How the client talks to the app-server; absent or null: unknown.
    #[serde(default)]
    pub rpc_transport: Option<RpcTransport>,
    /// Whether the client opted into the experimental API; absent or null: unknown.
    #[serde(default)]
    pub experimental_api_enabled: Option<bool>,
}

/// How the client talks to the app-server.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum RpcTransport {
    /// JSON-RPC over the app-server process's standard input and output.
    Stdio,
    /// JSON-RPC over a WebSocket connection.
    Websocket,
    /// An app-server embedded in the client's own process.
    InProcess,
}

/// Runtime metadata announced by `initialize`, copied verbatim onto events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct Runtime {
    /// The version of `codex-rs` that runs the app-server; absent or null: unknown.
    #[serde(default)]
    pub codex_rs_version: Option<String>,
    /// The operating system it runs on; absent or null: unknown.
    #[serde(default)]
    pub runtime_os: Option<String>,
    /// The operating system's version; absent or null: unknown.
    #[serde(default)]
    pub runtime_os_version: Option<String>,
    /// The CPU architecture it runs on; absent or null: unknown.
    #[serde(default)]
    pub runtime_arch: Option<String>,
}

/// How a thread came to be bound to a connection.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum ThreadBinding {
    /// The connection started a new thread.
    Started,
    /// The connection resumed an existing thread.
    Resumed,
    /// The connection forked a thread into a new one.
    Forked,
}

/// The tool item kinds that emit a terminal tool-item event (ITEM-1).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A shell command; emits `codex_command_execution_event`.
    CommandExecution,
    /// A patch applied to files; emits `codex_file_change_event`.
    FileChange,
    /// A call to an MCP server's tool; emits `codex_mcp_tool_call_event`.
    McpToolCall,
    /// A call to a tool the client registered at run time; emits
    /// `codex_dynamic_tool_call_event`.
    DynamicToolCall,
    /// A call to another agent; emits `codex_collab_agent_tool_call_event`.
    CollabAgentToolCall,
    /// A web search; emits `codex_web_search_event`.
    WebSearch,
    /// An image generation; emits `codex_image_generation_event`.
    ImageGeneration,
}

/// The status an item-completed notification carries.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// The tool ran to completion: terminal status `completed` (ITEM-4).
    Completed,
    /// The tool failed: terminal status `failed`, failure kind `tool_error` (ITEM-4).
    Failed,
    /// The tool was not run because its approval was denied: `rejected`/`approval_denied`.
    Declined,
    /// Not terminal: the completion changes nothing (ITEM-5).
    InProgress,
}

/// A requested or granted permission profile. It is *empty* when both parts are absent (GRANT-3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct PermissionProfile {
    /// Network access; absent or null: the profile says nothing of the network.
    #[serde(default)]
    pub network: Option<NetworkPermission>,
    /// File-system access; absent or null: the profile says nothing of files.
    #[serde(default)]
    pub file_system: Option<FileSystemPermission>,
}

/// The network part of a permission profile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct NetworkPermission {
    /// Whether network access is on; only `true` requests it (SUBJ-3, SUBJ-5), and even `false`
    /// makes the profile non-empty (GRANT-3).
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// The file-system part of a permission profile: paths readable and writable.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct FileSystemPermission {
    /// Paths readable; absent: none.
    #[serde(default)]
    pub read: Vec<String>,
    /// Paths writable; absent: none.
    #[serde(default)]
    pub write: Vec<String>,
}

/// The scope of a permissions grant.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum GrantScope {
    /// For the rest of the turn: a non-empty grant resolves as `none` (GRANT-2).
    Turn,
    /// For the rest of the session: a non-empty grant resolves as `session_approval` (GRANT-2).
    Session,
}

/// The network target of a command-execution request that is really a network access request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct NetworkApprovalContext {
    /// The host the command wants to reach.
    pub host: String,
    /// The protocol it wants to use (`https`, ...).
    pub protocol: String,
}

/// A proposed or applied change to the network policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct NetworkPolicyAmendment {
    /// The host the change is about.
    pub host: String,
    /// Whether the change allows or denies the host.
    pub action: NetworkPolicyAction,
}

/// Whether a network policy amendment allows or denies its host.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum NetworkPolicyAction {
    /// The host is allowed: an applied amendment approves (DEC-1).
    Allow,
    /// The host is denied: an applied amendment denies (DEC-1).
    Deny,
}

/// A client's decision on a command-execution approval (DEC-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(tag = "decision", rename_all = "snake_case", deny_unknown_fields)]
pub enum CommandDecision {
    /// Run the command this once: approved/none.
    Accept,
    /// Do not run it: denied/none.
    Decline,
    /// Cancel the request: aborted/none.
    Cancel,
    /// Run it, and commands like it for the rest of the session: approved/session_approval.
    AcceptForSession,
    /// Run it and amend the exec policy to allow it: approved/exec_policy_amendment.
    AcceptWithExecpolicyAmendment {
        /// The command, word by word, that the amended exec policy allows.
        execpolicy_amendment: Vec<String>,
    },
    /// Apply a network policy amendment: approved or denied by its action, resolution
    /// network_policy_amendment.
    ApplyNetworkPolicyAmendment {
        /// The amendment applied; its action decides the status.
        network_policy_amendment: NetworkPolicyAmendment,
    },
}

/// A client's decision on a file-change approval (DEC-2).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum FileChangeDecision {
    /// Apply the patch: approved/none.
    Accept,
    /// Do not apply it: denied/none.
    Decline,
    /// Cancel the request: aborted/none.
    Cancel,
    /// Apply it, and patches like it for the rest of the session: approved/session_approval.
    AcceptForSession,
}

/// The status a guardian review completion carries (GUARD-3, GUARD-4).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum GuardianStatus {
    /// The guardian approved the action: review status `approved`.
    Approved,
    /// The guardian denied the action: review status `denied`.
    Denied,
    /// The guardian gave no verdict in time: review status `timed_out`.
    TimedOut,
    /// The guardian review was aborted: review status `aborted`.
    Aborted,
    /// Not terminal: the completion completes nothing (GUARD-4).
    InProgress,
}

/// The action a guardian reviewed (GUARD-1, GUARD-2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum GuardianAction {
    /// A shell command: subject `command_execution`, trigger `initial`.
    Command {
        /// The command line reviewed.
        command: String,
    },
    /// An intercepted `execve`: subject `command_execution`, trigger `execve_intercept`.
    Execve {
        /// The program to be executed.
        program: String,
    },
    /// A patch escaping the sandbox: subject `file_change`, trigger `sandbox_denial`.
    ApplyPatch {
        /// The files the patch touches; absent: none listed.
        #[serde(default)]
        files: Vec<String>,
    },
    /// A call to an MCP tool: subject `mcp_tool_call`, named by the tool.
    McpToolCall {
        /// The MCP server that provides the tool.
        server: String,
        /// The tool called, the review's `subject_name` (GUARD-1).
        tool_name: String,
    },
    /// Network access: subject `network_access`, trigger `network_policy_denial`.
    NetworkAccess {
        /// The host to be reached.
        host: String,
        /// The protocol to be used (`https`, ...).
        protocol: String,
        /// The port to be reached; absent or null: unspecified.
        #[serde(default)]
        port: Option<u16>,
    },
    /// A permissions request: subject `permissions`, trigger and flags as SUBJ-5.
    RequestPermissions {
        /// The permissions asked for.
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
