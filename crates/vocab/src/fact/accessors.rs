//! Reading any fact uniformly: whether it closes a review, its connection, ids and timestamps, its
//! type name, and the trace format version that can hold it.

use crate::id::Interner;

use super::{ConnectionId, Fact, Id};

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
