//! Outputs of a review reduction: analytics events in the upstream wire shape, and diagnostics.
//!
//! Every output has the upstream envelope `{"event_type": ..., "event_params": {...}}`. Review
//! events and tool-item events are the analytics rows; a *diagnostic* (`event_type`
//! `review_spec_diagnostic`) accounts for a fact, or a piece of state, that produced no event, so
//! that no fact is silently lost (FATE-1). This module holds data only; which output a fact
//! yields is decided by `model` and `reducer`.

use std::borrow::Cow;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::fact::{AppServerClient, ConnectionId, Id, RequestId, Runtime};

/// One output of a reduction. Read strictly: a key other than `event_type` and `event_params`
/// is an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "event_type", content = "event_params", deny_unknown_fields)]
pub enum Output {
    /// A completed user or guardian review (`codex_review_event`).
    #[serde(rename = "codex_review_event")]
    Review(ReviewEvent),
    /// A command-execution item's terminal event, with its review fields (ITEM-2).
    #[serde(rename = "codex_command_execution_event")]
    CommandExecution(ToolItemEvent),
    /// A file-change item's terminal event, with its review fields (ITEM-2).
    #[serde(rename = "codex_file_change_event")]
    FileChange(ToolItemEvent),
    /// An MCP tool call's terminal event, with its review fields (ITEM-2).
    #[serde(rename = "codex_mcp_tool_call_event")]
    McpToolCall(ToolItemEvent),
    /// A dynamic tool call's terminal event, with its review fields (ITEM-2).
    #[serde(rename = "codex_dynamic_tool_call_event")]
    DynamicToolCall(ToolItemEvent),
    /// A collab agent tool call's terminal event, with its review fields (ITEM-2).
    #[serde(rename = "codex_collab_agent_tool_call_event")]
    CollabAgentToolCall(ToolItemEvent),
    /// A web search's terminal event, with its review fields (ITEM-2).
    #[serde(rename = "codex_web_search_event")]
    WebSearch(ToolItemEvent),
    /// An image generation's terminal event, with its review fields (ITEM-2).
    #[serde(rename = "codex_image_generation_event")]
    ImageGeneration(ToolItemEvent),
    /// What a fact or piece of state produced instead of an event, and why (FATE-1).
    #[serde(rename = "review_spec_diagnostic")]
    Diagnostic(Diagnostic),
}

/// An output together with the index of the fact that produced it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Emitted {
    /// Zero-based index of the fact (in its trace or vector) whose ingestion produced the output.
    pub at: usize,
    /// The output; its `event_type` and `event_params` sit beside `at` on the wire.
    #[serde(flatten)]
    pub output: Output,
}

/// `codex_review_event`: one completed review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewEvent {
    /// The thread the reviewed action belongs to.
    pub thread_id: Id,
    /// The turn the reviewed action belongs to.
    pub turn_id: Id,
    /// The item reviewed: the request's item, or a guardian's `target_item_id`; null when a
    /// guardian review names none (GUARD).
    pub item_id: Option<Id>,
    /// `user:` and the request id for a user review (ID-1), the guardian's id as is (ID-2).
    pub review_id: Id,
    /// Shared by every event of the connection's threads (serialized as the plain object).
    pub app_server_client: Arc<AppServerClient>,
    /// Shared by every event of the connection's threads (serialized as the plain object).
    pub runtime: Arc<Runtime>,
    /// The thread's `thread_source` from its binding (CTX-2) or sub-agent start (CTX-5);
    /// null: none.
    pub thread_source: Option<Id>,
    /// The thread's `subagent_source`, recorded as `thread_source` is; null: none.
    pub subagent_source: Option<Id>,
    /// The thread's parent, recorded as `thread_source` is; null: none.
    pub parent_thread_id: Option<Id>,
    /// What was reviewed (SUBJ-1, SUBJ-4, SUBJ-5, GUARD-1).
    pub subject_kind: SubjectKind,
    /// The subject's name: `command_execution`, `apply_patch`, ..., or an MCP tool's name.
    pub subject_name: Cow<'static, str>,
    /// Who reviewed: the user, through a client, or the guardian.
    pub reviewer: Reviewer,
    /// Why the review was needed (SUBJ-2, SUBJ-4, SUBJ-5, GUARD-1).
    pub trigger: Trigger,
    /// How the review ended (DEC, GRANT, GUARD-3).
    pub status: ReviewStatus,
    /// What an approval changed beyond the one action; `none` for guardians (GUARD-3).
    pub resolution: Resolution,
    /// When the review started, in milliseconds: the request's or the guardian's (TIME-3,
    /// GUARD-5).
    pub started_at_ms: u64,
    /// When the review ended, in milliseconds: the closing fact's or the guardian's.
    pub completed_at_ms: u64,
    /// `completed_at_ms - started_at_ms`, in milliseconds; null when it would be negative (TIME-1).
    pub duration_ms: Option<u64>,
}

/// The review fields (and the lifecycle fields they need) of a terminal tool-item event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolItemEvent {
    /// The thread of the item; with `turn_id` and `item_id`, the item's key (ISO-1).
    pub thread_id: Id,
    /// The turn of the item.
    pub turn_id: Id,
    /// The item that completed.
    pub item_id: Id,
    /// Shared by every event of the connection's threads (serialized as the plain object).
    pub app_server_client: Arc<AppServerClient>,
    /// Shared by every event of the connection's threads (serialized as the plain object).
    pub runtime: Arc<Runtime>,
    /// The thread's `thread_source` from its binding (CTX-2) or sub-agent start (CTX-5);
    /// null: none.
    pub thread_source: Option<Id>,
    /// The thread's `subagent_source`, recorded as `thread_source` is; null: none.
    pub subagent_source: Option<Id>,
    /// The thread's parent, recorded as `thread_source` is; null: none.
    pub parent_thread_id: Option<Id>,
    /// How the item ended, from its completion's status (ITEM-4).
    pub terminal_status: TerminalStatus,
    /// Why it did not complete (ITEM-4); null when it completed.
    pub failure_kind: Option<FailureKind>,
    /// When the item started, in milliseconds: its `item_started`'s (ITEM-2).
    pub started_at_ms: u64,
    /// When the item completed, in milliseconds: its terminal completion's.
    pub completed_at_ms: u64,
    /// `completed_at_ms - started_at_ms`, in milliseconds; null when it would be negative (TIME-1).
    pub duration_ms: Option<u64>,
    /// Reviews denormalized onto the item before its completion (SUM-1, SUM-2).
    pub review_count: u64,
    /// Of those, the guardian's (SUM-2).
    pub guardian_review_count: u64,
    /// Of those, the user's (SUM-2).
    pub user_review_count: u64,
    /// The outcome of the last of those reviews; `unknown` when there is none (SUM-3).
    pub final_approval_outcome: FinalApprovalOutcome,
    /// Whether any of those reviews requested additional permissions (SUM-5).
    pub requested_additional_permissions: bool,
    /// Whether any of those reviews requested network access (SUM-5).
    pub requested_network_access: bool,
}

/// What a review decided about.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// A command execution (SUBJ-1; guardian `command`, `execve`).
    CommandExecution,
    /// A file change (SUBJ-4; guardian `apply_patch`).
    FileChange,
    /// An MCP tool call (guardian `mcp_tool_call` only).
    McpToolCall,
    /// A permissions request (SUBJ-5; guardian `request_permissions`); never on a tool item.
    Permissions,
    /// Network access (SUBJ-1 with a network context; guardian `network_access`); never on a
    /// tool item.
    NetworkAccess,
}

/// Who reviewed.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Reviewer {
    /// The user, answering a request through a client (SUBJ, DEC, GRANT).
    User,
    /// The guardian, reporting by `guardian_review_completed` (GUARD).
    Guardian,
}

/// Why a review was needed.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The action asked for approval in the first place, with nothing denied before it.
    Initial,
    /// An `execve` was intercepted (an `approval_id`, or a guardian `execve`).
    ExecveIntercept,
    /// The network policy denied the access the action needs.
    NetworkPolicyDenial,
    /// The sandbox denied what the action needs (additional permissions).
    SandboxDenial,
}

/// How a review ended.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// The action was approved.
    Approved,
    /// The action was denied, by the user (a decline, an empty grant, ...) or the guardian.
    Denied,
    /// The guardian gave no verdict in time (guardian reviews only, GUARD-3).
    TimedOut,
    /// The review was cancelled or aborted (DEC-1, DEC-2, DEC-3, GUARD-3).
    Aborted,
}

/// What an approval changed beyond the one action.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Nothing beyond the one action; every guardian review resolves so (GUARD-3).
    None,
    /// Approved for the rest of the session (`accept_for_session`, a session grant).
    SessionApproval,
    /// The exec policy was amended to allow the command.
    ExecPolicyAmendment,
    /// The network policy was amended, to allow or to deny the host.
    NetworkPolicyAmendment,
}

/// The approval outcome denormalized onto a tool item (SUM-4).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FinalApprovalOutcome {
    /// No review was denormalized onto the item (SUM-3).
    Unknown,
    /// The guardian approved.
    GuardianApproved,
    /// The guardian denied.
    GuardianDenied,
    /// The guardian timed out or was aborted.
    GuardianAborted,
    /// The user approved, for this action only.
    UserApproved,
    /// The user approved for the session (resolution `session_approval`).
    UserApprovedForSession,
    /// The user denied.
    UserDenied,
    /// The user's review was aborted.
    UserAborted,
}

/// How a tool item ended (ITEM-4).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TerminalStatus {
    /// The item completed (status `completed`).
    Completed,
    /// The item failed (status `failed`).
    Failed,
    /// The item was declined (status `declined`).
    Rejected,
}

/// Why a tool item did not complete (ITEM-4).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The tool itself failed (a `failed` item).
    ToolError,
    /// The item's approval was denied (a `declined` item).
    ApprovalDenied,
}

/// A fact, or a piece of state, that produced no event, and why (FATE-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Diagnostic {
    /// Why no event was produced: names the one rule that decided it.
    pub reason: DiagnosticReason,
    /// The fact's connection, or the dropped event's thread's (`missing_connection`), or an
    /// evicted connection; absent when the reason carries none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<ConnectionId>,
    /// The request of a request or closing fact, or of a released or evicted pending review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<RequestId>,
    /// The thread of the fact, of the dropped event, or of the released or evicted entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<Id>,
    /// The turn of the fact, of the dropped event, or of the released or evicted entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<Id>,
    /// The item of the fact, dropped event or entry; absent when it has none (a guardian
    /// completion without a target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<Id>,
    /// The guardian review of a guardian completion, or the review id of a dropped review event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_id: Option<Id>,
    /// For `missing_thread` / `missing_connection`: the event type that was not emitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped_event: Option<Cow<'static, str>>,
    /// For `evicted`: the state table the entry was evicted from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<Table>,
}

/// Why a diagnostic was emitted. Each reason belongs to exactly one rule of `spec/rules.md`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosticReason {
    /// TIME-2: a fact carried a negative timestamp and was rejected.
    NegativeTimestamp,
    /// LIFE-2: a per-connection copy of an already pending request.
    DuplicateRequest,
    /// LIFE-3: a request reused a pending request id with different content.
    ConflictingRequest,
    /// LIFE-4: a response or abort for a request id that is not pending.
    OrphanResponse,
    /// LIFE-5: a response whose kind does not match the pending request's kind.
    MismatchedResponse,
    /// DEC-4: a malformed client response, closed as a denial (informational).
    MalformedResponse,
    /// GUARD-4: a guardian completion whose status is still in progress.
    GuardianInProgress,
    /// DEDUP-1: a guardian completion already counted for this thread.
    DuplicateGuardianCompletion,
    /// CTX-3: an event was not emitted because its thread is unknown.
    MissingThread,
    /// CTX-3: an event was not emitted because its thread's connection never initialized.
    MissingConnection,
    /// ITEM-3: an item completed that has no started record.
    ItemNotStarted,
    /// ITEM-5: an item completion whose status is not terminal.
    ItemNotTerminal,
    /// ITEM-6: an item start for an item already started.
    DuplicateItemStart,
    /// TURN-1: a request of a completed turn was never answered.
    UnansweredRequest,
    /// TURN-1: an item of a completed turn never completed.
    ItemNeverCompleted,
    /// TURN-1: a review summary of a completed turn was never consumed by its item.
    UnconsumedSummary,
    /// CAP-1: a state table was full and its oldest entry was evicted.
    Evicted,
    /// UP-CTX-2 (upstream profile): a thread binding from a connection that never initialized
    /// was ignored.
    UninitializedConnection,
}

/// The reducer's state tables, each bounded by `Limits::table_entries_max` (CAP-1).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    /// Connection metadata, keyed by connection_id (CTX-1).
    Connections,
    /// Thread bindings, keyed by thread_id (CTX-2, CTX-5).
    Threads,
    /// Pending user reviews, keyed by request_id (LIFE-1).
    PendingRequests,
    /// Seen guardian completions, keyed by thread_id and review_id (DEDUP-1).
    GuardianCompletions,
    /// Item start records, keyed by thread_id, turn_id and item_id (ITEM-1).
    ItemStarts,
    /// Review summaries of tool items, keyed by thread_id, turn_id and item_id (SUM-2).
    ItemSummaries,
}

/// The `event_type` of a diagnostic.
pub const DIAGNOSTIC_EVENT_TYPE: &str = "review_spec_diagnostic";

impl Output {
    /// Which of the three kinds this output is.
    pub fn kind(&self) -> OutputKind {
        match self {
            Output::Review(_) => OutputKind::Review,
            Output::Diagnostic(_) => OutputKind::Diagnostic,
            _ => OutputKind::ToolItem,
        }
    }

    /// The tool-item event inside this output, if it is one.
    pub fn as_tool_item(&self) -> Option<&ToolItemEvent> {
        match self {
            Output::CommandExecution(e)
            | Output::FileChange(e)
            | Output::McpToolCall(e)
            | Output::DynamicToolCall(e)
            | Output::CollabAgentToolCall(e)
            | Output::WebSearch(e)
            | Output::ImageGeneration(e) => Some(e),
            Output::Review(_) | Output::Diagnostic(_) => None,
        }
    }

    /// The `event_type` string of this output.
    pub fn event_type(&self) -> &'static str {
        match self {
            Output::Review(_) => "codex_review_event",
            Output::CommandExecution(_) => "codex_command_execution_event",
            Output::FileChange(_) => "codex_file_change_event",
            Output::McpToolCall(_) => "codex_mcp_tool_call_event",
            Output::DynamicToolCall(_) => "codex_dynamic_tool_call_event",
            Output::CollabAgentToolCall(_) => "codex_collab_agent_tool_call_event",
            Output::WebSearch(_) => "codex_web_search_event",
            Output::ImageGeneration(_) => "codex_image_generation_event",
            Output::Diagnostic(_) => DIAGNOSTIC_EVENT_TYPE,
        }
    }
}

/// What an output is about: a review by its id, a tool item by its thread, turn and item, a
/// diagnostic by its reason. The differ pairs two reductions' outputs of one fact by it, and
/// the model names by it an output that a fact did not produce.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Identity {
    /// A review event, by its review id.
    Review {
        /// The review's id (ID-1, ID-2).
        review_id: Id,
    },
    /// A tool-item event, by its item's key (ISO-1).
    ToolItem {
        /// The item's thread.
        thread_id: Id,
        /// The item's turn.
        turn_id: Id,
        /// The item.
        item_id: Id,
    },
    /// A diagnostic, by its reason.
    Diagnostic {
        /// The diagnostic's reason.
        reason: DiagnosticReason,
    },
}

impl Identity {
    /// The identity of a tool item.
    pub fn tool_item(thread_id: &Id, turn_id: &Id, item_id: &Id) -> Identity {
        Identity::ToolItem {
            thread_id: thread_id.clone(),
            turn_id: turn_id.clone(),
            item_id: item_id.clone(),
        }
    }
}

impl Output {
    /// What this output is about.
    pub fn identity(&self) -> Identity {
        match self {
            Output::Review(review) => Identity::Review {
                review_id: review.review_id.clone(),
            },
            Output::Diagnostic(diagnostic) => Identity::Diagnostic {
                reason: diagnostic.reason,
            },
            Output::CommandExecution(item)
            | Output::FileChange(item)
            | Output::McpToolCall(item)
            | Output::DynamicToolCall(item)
            | Output::CollabAgentToolCall(item)
            | Output::WebSearch(item)
            | Output::ImageGeneration(item) => {
                Identity::tool_item(&item.thread_id, &item.turn_id, &item.item_id)
            }
        }
    }

    /// The kind of output this one stands for: a diagnostic that replaces a dropped event
    /// stands for that event's kind; any other output for its own.
    pub fn stands_for(&self) -> OutputKind {
        match self.replaces() {
            Some(Identity::Review { .. }) => OutputKind::Review,
            Some(Identity::ToolItem { .. }) => OutputKind::ToolItem,
            _ => self.kind(),
        }
    }

    /// For a diagnostic that stands in for an event it dropped (its `dropped_event`), the
    /// identity of that event.
    pub fn replaces(&self) -> Option<Identity> {
        let Output::Diagnostic(diagnostic) = self else {
            return None;
        };
        let dropped = diagnostic.dropped_event.as_deref()?;
        if dropped == "codex_review_event" {
            return Some(Identity::Review {
                review_id: diagnostic.review_id.clone()?,
            });
        }
        Some(Identity::ToolItem {
            thread_id: diagnostic.thread_id.clone()?,
            turn_id: diagnostic.turn_id.clone()?,
            item_id: diagnostic.item_id.clone()?,
        })
    }
}

impl Diagnostic {
    /// A diagnostic with a reason and no detail fields; fill them with struct update syntax.
    pub fn new(reason: DiagnosticReason) -> Diagnostic {
        Diagnostic {
            reason,
            connection_id: None,
            request_id: None,
            thread_id: None,
            turn_id: None,
            item_id: None,
            review_id: None,
            dropped_event: None,
            table: None,
        }
    }
}

/// The three kinds of output a subject may declare it emits (spec/protocol.md).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// `codex_review_event`.
    Review,
    /// The seven terminal tool-item events.
    ToolItem,
    /// `review_spec_diagnostic`.
    Diagnostic,
}

impl OutputKind {
    /// Every kind, in declaration order.
    pub const ALL: [OutputKind; 3] = [
        OutputKind::Review,
        OutputKind::ToolItem,
        OutputKind::Diagnostic,
    ];

    /// The kind's name as a subject declares it (`review`, `tool_item`, `diagnostic`).
    pub fn name(self) -> &'static str {
        match self {
            OutputKind::Review => "review",
            OutputKind::ToolItem => "tool_item",
            OutputKind::Diagnostic => "diagnostic",
        }
    }
}

/// A set of output kinds: what a subject emits, and so what the differ compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OutputKinds(u8);

impl OutputKinds {
    /// Every kind: what a subject that declares nothing is compared on.
    pub const ALL: OutputKinds = OutputKinds(0b111);
    /// Review and tool-item events, no diagnostics: what an upstream reducer emits.
    pub const EVENTS: OutputKinds = OutputKinds(0b011);

    /// The set of `kinds`.
    pub fn of(kinds: &[OutputKind]) -> OutputKinds {
        OutputKinds(kinds.iter().fold(0, |bits, kind| bits | 1 << (*kind as u8)))
    }

    /// Whether `kind` is in the set.
    pub fn contains(self, kind: OutputKind) -> bool {
        self.0 & (1 << (kind as u8)) != 0
    }

    /// The kinds in the set, in declaration order.
    pub fn kinds(self) -> Vec<OutputKind> {
        OutputKind::ALL
            .into_iter()
            .filter(|kind| self.contains(*kind))
            .collect()
    }

    /// The kinds not in the set: what a comparison leaves out.
    pub fn missing(self) -> Vec<OutputKind> {
        OutputKind::ALL
            .into_iter()
            .filter(|kind| !self.contains(*kind))
            .collect()
    }

    /// Keeps the outputs of these kinds.
    pub fn retain(self, outputs: &mut Vec<Emitted>) {
        if self != OutputKinds::ALL {
            outputs.retain(|emitted| self.contains(emitted.output.kind()));
        }
    }
}

/// Bounds on the reducer's state, part of every trace and vector (CAP-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// The most entries any one state table holds; the oldest is evicted past it.
    #[serde(default = "Limits::default_table_entries_max")]
    pub table_entries_max: usize,
}

impl Limits {
    /// The default bound, as upstream's pending-correlation bound.
    pub const DEFAULT_TABLE_ENTRIES_MAX: usize = 4096;

    fn default_table_entries_max() -> usize {
        Self::DEFAULT_TABLE_ENTRIES_MAX
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            table_entries_max: Self::DEFAULT_TABLE_ENTRIES_MAX,
        }
    }
}
