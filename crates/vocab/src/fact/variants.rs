//! The facts themselves: one variant per kind of observation, with the ids that name its
//! connection and request.

use std::sync::Arc;

use arbitrary::Arbitrary;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Id;
use super::parts::{
    AppServerClient, CommandDecision, FileChangeDecision, GrantScope, GuardianAction,
    GuardianStatus, ItemKind, ItemStatus, NetworkApprovalContext, NetworkPolicyAmendment,
    PermissionProfile, Runtime, ThreadBinding,
};

/// A server request id. The app-server draws them from one process-wide counter, so one request
/// fanned out to several connections carries the same id on each copy (LIFE-2).
pub type RequestId = u64;

/// A connection id: one connected client.
pub type ConnectionId = u64;

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
