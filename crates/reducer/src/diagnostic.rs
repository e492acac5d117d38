//! The shapes of diagnostics: which identifying fields each reason carries (FATE-1 for facts,
//! TURN-1 and CAP-1 for state, CTX-3 for dropped events).
//!
//! This module decides what a diagnostic *says*, never whether one is due: that is `ingest`'s
//! job. Builders that take state by value move its strings into the diagnostic instead of
//! cloning them.

use crate::fields::Fields;
use std::borrow::Cow;

use crate::event::{Diagnostic, DiagnosticReason, Output, Table, ToolItemEvent};
use crate::fact::{ConnectionId, Fact, Id, ItemKind, RequestId};

use super::entries::{Evicted, ItemKey, PendingReview};

/// FATE-1: a diagnostic about a fact, carrying that fact's identity fields: every id it has.
pub(crate) fn fact_diagnostic(reason: DiagnosticReason, fact: &Fact) -> Diagnostic {
    let ids = Fields::of(fact);
    let owned = |id: Option<&Id>| id.cloned();
    Diagnostic {
        connection_id: ids.connection,
        request_id: ids.request,
        thread_id: owned(ids.thread),
        turn_id: owned(ids.turn),
        item_id: owned(ids.item),
        review_id: owned(ids.review),
        ..Diagnostic::new(reason)
    }
}

/// CAP-1: the `evicted` diagnostic, with the table and the evicted entry's key fields (pending
/// requests also their thread, turn and item; guardian completions also their turn).
pub(crate) fn evicted_diagnostic(evicted: Evicted) -> Diagnostic {
    let base = Diagnostic::new(DiagnosticReason::Evicted);
    match evicted {
        Evicted::Connection { connection_id } => Diagnostic {
            table: Some(Table::Connections),
            connection_id: Some(connection_id),
            ..base
        },
        Evicted::Thread { thread_id } => Diagnostic {
            table: Some(Table::Threads),
            thread_id: Some(thread_id),
            ..base
        },
        Evicted::PendingRequest { request_id, review } => Diagnostic {
            table: Some(Table::PendingRequests),
            request_id: Some(request_id),
            thread_id: Some(review.thread_id),
            turn_id: Some(review.turn_id),
            item_id: Some(review.item_id),
            ..base
        },
        Evicted::GuardianCompletion { key, seen } => Diagnostic {
            table: Some(Table::GuardianCompletions),
            thread_id: Some(key.thread_id),
            turn_id: Some(seen.turn_id),
            review_id: Some(key.review_id),
            ..base
        },
        Evicted::ItemStart { key } => item_diagnostic(
            Diagnostic {
                table: Some(Table::ItemStarts),
                ..base
            },
            key,
        ),
        Evicted::ItemSummary { key } => item_diagnostic(
            Diagnostic {
                table: Some(Table::ItemSummaries),
                ..base
            },
            key,
        ),
    }
}

/// TURN-1: a pending request released unanswered at its turn's end.
pub(crate) fn unanswered_request(request_id: RequestId, review: PendingReview) -> Diagnostic {
    Diagnostic {
        request_id: Some(request_id),
        thread_id: Some(review.thread_id),
        turn_id: Some(review.turn_id),
        item_id: Some(review.item_id),
        ..Diagnostic::new(DiagnosticReason::UnansweredRequest)
    }
}

/// TURN-1: an item state entry (start or summary) released at its turn's end.
pub(crate) fn released_item(reason: DiagnosticReason, key: ItemKey) -> Diagnostic {
    item_diagnostic(Diagnostic::new(reason), key)
}

fn item_diagnostic(base: Diagnostic, key: ItemKey) -> Diagnostic {
    Diagnostic {
        thread_id: Some(key.thread_id),
        turn_id: Some(key.turn_id),
        item_id: Some(key.item_id),
        ..base
    }
}

/// Why an event's context could not be resolved (CTX-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MissingContext {
    /// The thread was never bound (or its binding was evicted).
    Thread,
    /// The thread's connection never initialized (or was evicted).
    Connection(ConnectionId),
}

/// The ids of an event that could not be emitted (CTX-3).
pub(crate) struct DroppedEvent {
    pub(crate) event_type: &'static str,
    pub(crate) thread_id: Id,
    pub(crate) turn_id: Id,
    pub(crate) item_id: Option<Id>,
    pub(crate) review_id: Option<Id>,
}

/// CTX-3: the diagnostic that replaces an event whose context is missing.
pub(crate) fn missing_context(missing: MissingContext, dropped: DroppedEvent) -> Diagnostic {
    let (reason, connection_id) = match missing {
        MissingContext::Thread => (DiagnosticReason::MissingThread, None),
        MissingContext::Connection(connection_id) => {
            (DiagnosticReason::MissingConnection, Some(connection_id))
        }
    };
    Diagnostic {
        connection_id,
        thread_id: Some(dropped.thread_id),
        turn_id: Some(dropped.turn_id),
        item_id: dropped.item_id,
        review_id: dropped.review_id,
        dropped_event: Some(Cow::Borrowed(dropped.event_type)),
        ..Diagnostic::new(reason)
    }
}

/// The `event_type` of a review event.
pub(crate) const REVIEW_EVENT_TYPE: &str = "codex_review_event";

/// ITEM-2: the terminal event of a tool item of a kind: its `event_type` on the wire, and the
/// output variant that carries it.
pub(crate) fn tool_item_event(kind: ItemKind) -> (&'static str, fn(ToolItemEvent) -> Output) {
    use ItemKind as K;
    match kind {
        K::CommandExecution => ("codex_command_execution_event", Output::CommandExecution),
        K::FileChange => ("codex_file_change_event", Output::FileChange),
        K::McpToolCall => ("codex_mcp_tool_call_event", Output::McpToolCall),
        K::DynamicToolCall => ("codex_dynamic_tool_call_event", Output::DynamicToolCall),
        K::CollabAgentToolCall => (
            "codex_collab_agent_tool_call_event",
            Output::CollabAgentToolCall,
        ),
        K::WebSearch => ("codex_web_search_event", Output::WebSearch),
        K::ImageGeneration => ("codex_image_generation_event", Output::ImageGeneration),
    }
}

/// FATE-1: pushes a diagnostic about a fact, with the fact's identity fields.
pub(crate) fn push_fact_diagnostic(
    reason: DiagnosticReason,
    fact: &Fact,
    outputs: &mut Vec<Output>,
) {
    outputs.push(Output::Diagnostic(fact_diagnostic(reason, fact)));
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::trace::parse_trace;

    /// FATE-1's identity table, row by row, including the facts no rule ever diagnoses today
    /// (`initialize`, `thread_bound`): the table is the contract, reachability may change.
    #[test]
    fn every_fact_type_carries_its_identity_fields() {
        let trace = parse_trace(
            r#"{"review_spec_trace": 1}
{"type": "turn_completed", "thread_id": "t", "turn_id": "u", "completed_at_ms": 1}
{"type": "initialize", "connection_id": 3, "app_server_client": {}, "runtime": {}}
{"type": "thread_bound", "connection_id": 3, "thread_id": "t", "binding": "resumed"}
{"type": "item_started", "connection_id": 3, "thread_id": "t", "turn_id": "u", "item_id": "i", "kind": "web_search", "started_at_ms": 1}
{"type": "malformed_response", "connection_id": 3, "request_id": 9, "completed_at_ms": 1}
{"type": "file_change_request", "connection_id": 3, "request_id": 9, "thread_id": "t", "turn_id": "u", "item_id": "i", "started_at_ms": 1}
{"type": "guardian_review_completed", "connection_id": 3, "thread_id": "t", "turn_id": "u", "review_id": "g", "action": {"type": "command", "command": "ls"}, "status": "approved", "started_at_ms": 1, "completed_at_ms": 2}"#,
        )
        .expect("valid trace");
        let shown: Vec<String> = trace
            .facts
            .iter()
            .map(|fact| {
                let diagnostic = fact_diagnostic(DiagnosticReason::NegativeTimestamp, fact);
                serde_json::to_string(&diagnostic).unwrap_or_default()
            })
            .collect();
        let reason = r#""reason":"negative_timestamp""#;
        assert_eq!(
            shown,
            [
                format!(r#"{{{reason},"thread_id":"t","turn_id":"u"}}"#),
                format!(r#"{{{reason},"connection_id":3}}"#),
                format!(r#"{{{reason},"connection_id":3,"thread_id":"t"}}"#),
                format!(
                    r#"{{{reason},"connection_id":3,"thread_id":"t","turn_id":"u","item_id":"i"}}"#
                ),
                format!(r#"{{{reason},"connection_id":3,"request_id":9}}"#),
                format!(
                    r#"{{{reason},"connection_id":3,"request_id":9,"thread_id":"t","turn_id":"u","item_id":"i"}}"#
                ),
                format!(
                    r#"{{{reason},"connection_id":3,"thread_id":"t","turn_id":"u","review_id":"g"}}"#
                ),
            ]
        );
    }
}
