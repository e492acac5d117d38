//! The reducer's own reading of what each fact carries: its identity fields (FATE-1: the
//! connection, request, thread, turn, item and review ids) and its timestamps (TIME-2). The
//! model reads the same from the rule text in its own form; the vocabulary holds no such table,
//! so that a misreading on either side shows as a divergence.

use crate::fact::{ConnectionId, Fact, RequestId};
use crate::id::Id;

/// What one fact carries, each field None where the fact has no such field.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Fields<'f> {
    pub(crate) connection: Option<ConnectionId>,
    pub(crate) request: Option<RequestId>,
    pub(crate) thread: Option<&'f Id>,
    pub(crate) turn: Option<&'f Id>,
    /// A guardian completion's `target_item_id` is its item.
    pub(crate) item: Option<&'f Id>,
    pub(crate) review: Option<&'f Id>,
    pub(crate) started_ms: Option<i64>,
    pub(crate) completed_ms: Option<i64>,
}

impl<'f> Fields<'f> {
    /// Reads `fact`: one line per fact type, the fields it carries left to right.
    #[rustfmt::skip]
    pub(crate) fn of(fact: &'f Fact) -> Fields<'f> {
        use Fact as F;
        let at = |connection: &ConnectionId| Fields { connection: Some(*connection), ..Fields::default() };
        match fact {
            F::TurnCompleted { thread_id, turn_id, completed_at_ms } =>
                Fields::default().thread(thread_id).turn(turn_id).completed(*completed_at_ms),
            F::Initialize { connection_id, .. } => at(connection_id),
            F::ThreadBound { connection_id, thread_id, .. } => at(connection_id).thread(thread_id),
            F::SubagentThreadStarted { thread_id, .. } => Fields::default().thread(thread_id),
            F::ItemStarted { connection_id, thread_id, turn_id, item_id, started_at_ms, .. } =>
                at(connection_id).thread(thread_id).turn(turn_id).item(item_id).started(*started_at_ms),
            F::ItemCompleted { connection_id, thread_id, turn_id, item_id, completed_at_ms, .. } =>
                at(connection_id).thread(thread_id).turn(turn_id).item(item_id).completed(*completed_at_ms),
            F::RequestAborted { connection_id, request_id, completed_at_ms }
            | F::MalformedResponse { connection_id, request_id, completed_at_ms }
            | F::FileChangeResponse { connection_id, request_id, completed_at_ms, .. }
            | F::CommandExecutionResponse { connection_id, request_id, completed_at_ms, .. }
            | F::EffectivePermissionsResponse { connection_id, request_id, completed_at_ms, .. } =>
                at(connection_id).request(*request_id).completed(*completed_at_ms),
            F::FileChangeRequest { connection_id, request_id, thread_id, turn_id, item_id, started_at_ms, .. }
            | F::PermissionsRequest { connection_id, request_id, thread_id, turn_id, item_id, started_at_ms, .. }
            | F::CommandExecutionRequest { connection_id, request_id, thread_id, turn_id, item_id, started_at_ms, .. } =>
                at(connection_id).request(*request_id).thread(thread_id).turn(turn_id).item(item_id).started(*started_at_ms),
            F::GuardianReviewCompleted { connection_id, thread_id, turn_id, review_id, target_item_id, started_at_ms, completed_at_ms, .. } => Fields {
                item: target_item_id.as_ref(),
                ..at(connection_id).thread(thread_id).turn(turn_id).review(review_id).started(*started_at_ms).completed(*completed_at_ms)
            },
        }
    }

    fn request(self, id: RequestId) -> Self {
        Fields {
            request: Some(id),
            ..self
        }
    }

    fn thread(self, id: &'f Id) -> Self {
        Fields {
            thread: Some(id),
            ..self
        }
    }

    fn turn(self, id: &'f Id) -> Self {
        Fields {
            turn: Some(id),
            ..self
        }
    }

    fn item(self, id: &'f Id) -> Self {
        Fields {
            item: Some(id),
            ..self
        }
    }

    fn review(self, id: &'f Id) -> Self {
        Fields {
            review: Some(id),
            ..self
        }
    }

    fn started(self, ms: i64) -> Self {
        Fields {
            started_ms: Some(ms),
            ..self
        }
    }

    fn completed(self, ms: i64) -> Self {
        Fields {
            completed_ms: Some(ms),
            ..self
        }
    }

    /// TIME-2: whether either timestamp is negative.
    pub(crate) fn has_negative_timestamp(&self) -> bool {
        [self.started_ms, self.completed_ms]
            .into_iter()
            .flatten()
            .any(|ms| ms < 0)
    }
}
