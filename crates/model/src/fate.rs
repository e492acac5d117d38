//! FATE: every fact has a defined fate; diagnostics about a fact carry its identity fields.

use crate::event::{Diagnostic, DiagnosticReason};
use crate::fact::{ConnectionId, Fact};

/// FATE-1: a diagnostic about `fact`, carrying the fact's identity fields (spec/rules.md, table
/// "Identity fields of a fact").
pub(crate) fn about_fact(fact: &Fact, reason: DiagnosticReason) -> Diagnostic {
    let base = Diagnostic::new(reason);
    match fact {
        Fact::TurnCompleted {
            thread_id, turn_id, ..
        } => Diagnostic {
            thread_id: Some(thread_id.clone()),
            turn_id: Some(turn_id.clone()),
            ..base
        },
        Fact::Initialize { connection_id, .. } => Diagnostic {
            connection_id: Some(*connection_id),
            ..base
        },
        Fact::ThreadBound {
            connection_id,
            thread_id,
            ..
        } => Diagnostic {
            connection_id: Some(*connection_id),
            thread_id: Some(thread_id.clone()),
            ..base
        },
        Fact::SubagentThreadStarted { thread_id, .. } => Diagnostic {
            thread_id: Some(thread_id.clone()),
            ..base
        },
        Fact::ItemStarted {
            connection_id,
            thread_id,
            turn_id,
            item_id,
            ..
        }
        | Fact::ItemCompleted {
            connection_id,
            thread_id,
            turn_id,
            item_id,
            ..
        } => Diagnostic {
            connection_id: Some(*connection_id),
            thread_id: Some(thread_id.clone()),
            turn_id: Some(turn_id.clone()),
            item_id: Some(item_id.clone()),
            ..base
        },
        Fact::RequestAborted {
            connection_id,
            request_id,
            ..
        }
        | Fact::MalformedResponse {
            connection_id,
            request_id,
            ..
        }
        | Fact::FileChangeResponse {
            connection_id,
            request_id,
            ..
        }
        | Fact::CommandExecutionResponse {
            connection_id,
            request_id,
            ..
        }
        | Fact::EffectivePermissionsResponse {
            connection_id,
            request_id,
            ..
        } => Diagnostic {
            connection_id: Some(*connection_id),
            request_id: Some(*request_id),
            ..base
        },
        Fact::FileChangeRequest {
            connection_id,
            request_id,
            thread_id,
            turn_id,
            item_id,
            ..
        }
        | Fact::PermissionsRequest {
            connection_id,
            request_id,
            thread_id,
            turn_id,
            item_id,
            ..
        }
        | Fact::CommandExecutionRequest {
            connection_id,
            request_id,
            thread_id,
            turn_id,
            item_id,
            ..
        } => Diagnostic {
            connection_id: Some(*connection_id),
            request_id: Some(*request_id),
            thread_id: Some(thread_id.clone()),
            turn_id: Some(turn_id.clone()),
            item_id: Some(item_id.clone()),
            ..base
        },
        Fact::GuardianReviewCompleted {
            connection_id,
            thread_id,
            turn_id,
            review_id,
            target_item_id,
            ..
        } => Diagnostic {
            connection_id: Some(*connection_id),
            thread_id: Some(thread_id.clone()),
            turn_id: Some(turn_id.clone()),
            item_id: target_item_id.clone(),
            review_id: Some(review_id.clone()),
            ..base
        },
    }
}

/// The connection a fact names: the connection among its identity fields (FATE-1), if any.
pub(crate) fn connection_of(fact: &Fact) -> Option<ConnectionId> {
    // The reason plays no part in the identity fields.
    about_fact(fact, DiagnosticReason::NegativeTimestamp).connection_id
}
