//! TIME: timestamps and durations.

use crate::fact::Fact;

/// TIME-1: the duration from start to completion, or null when completion precedes start.
pub(crate) fn duration_ms(started_at_ms: u64, completed_at_ms: u64) -> Option<u64> {
    if completed_at_ms >= started_at_ms {
        Some(completed_at_ms - started_at_ms)
    } else {
        None
    }
}

/// TIME-2: whether the fact carries a negative timestamp (and is therefore rejected).
pub(crate) fn has_negative_timestamp(fact: &Fact) -> bool {
    timestamps(fact).iter().any(|&ms| ms < 0)
}

/// A validated (non-negative, TIME-2) wire timestamp as an event timestamp.
pub(crate) fn event_ms(ms: i64) -> u64 {
    u64::try_from(ms).unwrap_or(0)
}

fn timestamps(fact: &Fact) -> Vec<i64> {
    match fact {
        Fact::Initialize { .. } | Fact::ThreadBound { .. } | Fact::SubagentThreadStarted { .. } => {
            vec![]
        }
        Fact::TurnCompleted {
            completed_at_ms, ..
        }
        | Fact::ItemCompleted {
            completed_at_ms, ..
        }
        | Fact::RequestAborted {
            completed_at_ms, ..
        }
        | Fact::MalformedResponse {
            completed_at_ms, ..
        }
        | Fact::FileChangeResponse {
            completed_at_ms, ..
        }
        | Fact::CommandExecutionResponse {
            completed_at_ms, ..
        }
        | Fact::EffectivePermissionsResponse {
            completed_at_ms, ..
        } => vec![*completed_at_ms],
        Fact::ItemStarted { started_at_ms, .. }
        | Fact::FileChangeRequest { started_at_ms, .. }
        | Fact::PermissionsRequest { started_at_ms, .. }
        | Fact::CommandExecutionRequest { started_at_ms, .. } => vec![*started_at_ms],
        Fact::GuardianReviewCompleted {
            started_at_ms,
            completed_at_ms,
            ..
        } => vec![*started_at_ms, *completed_at_ms],
    }
}
