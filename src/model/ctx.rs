//! CTX: connection and thread context, and emission that needs it.

use super::state::{CompletedReview, ConnectionMeta, State, ThreadContext};
use super::trail::Provenance;
use super::{cap, sum};
use crate::event::{Diagnostic, DiagnosticReason, Output, ReviewEvent};
use std::sync::Arc;

use crate::fact::{AppServerClient, ConnectionId, Fact, Id, Runtime};
use crate::profile::Departure;

/// CTX-1: `initialize` records or replaces a connection's metadata.
pub(crate) fn record_connection(
    state: &mut State,
    connection_id: ConnectionId,
    app_server_client: &Arc<AppServerClient>,
    runtime: &Arc<Runtime>,
) {
    state.trail.mark("CTX-1");
    let meta = ConnectionMeta {
        app_server_client: app_server_client.clone(),
        runtime: runtime.clone(),
    };
    if let Some((evicted_id, _)) = state
        .connections
        .upsert(connection_id, meta, &mut state.trail)
    {
        let diagnostic = Diagnostic {
            connection_id: Some(evicted_id),
            ..cap::evicted(state.connections.table)
        };
        state.emit(Output::Diagnostic(diagnostic));
    }
}

/// CTX-2: `thread_bound` binds a thread to its connection; the last binder wins. UP-CTX-2:
/// upstream ignores a binding from a connection that never initialized.
pub(crate) fn bind_thread(state: &mut State, fact: &Fact) {
    let Fact::ThreadBound {
        connection_id,
        thread_id,
        thread_source,
        subagent_source,
        parent_thread_id,
        ..
    } = fact
    else {
        return;
    };
    if state.connections.get(connection_id).is_none() && state.upstream(Departure::Ctx2) {
        let diagnostic = super::fate::about_fact(fact, DiagnosticReason::UninitializedConnection);
        state.emit(Output::Diagnostic(diagnostic));
        return;
    }
    state.trail.mark("CTX-2");
    let context = ThreadContext {
        connection_id: *connection_id,
        thread_source: thread_source.clone(),
        subagent_source: subagent_source.clone(),
        parent_thread_id: parent_thread_id.clone(),
    };
    if let Some((evicted_id, _)) =
        state
            .threads
            .upsert(thread_id.clone(), context, &mut state.trail)
    {
        let diagnostic = Diagnostic {
            thread_id: Some(evicted_id),
            ..cap::evicted(state.threads.table)
        };
        state.emit(Output::Diagnostic(diagnostic));
    }
}

/// The context an event is emitted with: the thread's binding and its connection's metadata.
pub(crate) struct EventContext {
    pub(crate) thread: ThreadContext,
    pub(crate) connection: ConnectionMeta,
}

/// CTX-3: resolves an event's context, or emits the diagnostic that replaces the event
/// (`missing_thread` or `missing_connection`, filled with `dropped`'s fields) and returns None.
pub(crate) fn resolve_context(
    state: &mut State,
    thread_id: &str,
    dropped: Diagnostic,
    carried: &Provenance,
) -> Option<EventContext> {
    let Some(thread) = state.threads.get(&Id::from(thread_id)).cloned() else {
        state.trail.mark("CTX-3");
        let diagnostic = Diagnostic {
            reason: DiagnosticReason::MissingThread,
            ..dropped
        };
        state.emit_carrying(Output::Diagnostic(diagnostic), carried);
        return None;
    };
    let Some(connection) = state.connections.get(&thread.connection_id).cloned() else {
        state.trail.mark("CTX-3");
        let diagnostic = Diagnostic {
            reason: DiagnosticReason::MissingConnection,
            connection_id: Some(thread.connection_id),
            ..dropped
        };
        state.emit_carrying(Output::Diagnostic(diagnostic), carried);
        return None;
    };
    // The event carries the metadata of the connection its thread is bound to (CTX-2 decides
    // when that is not the connection that delivered this fact), as that connection recorded it
    // (CTX-1).
    if state
        .trail
        .current_connection
        .is_some_and(|id| id != thread.connection_id)
    {
        state.trail.mark("CTX-2");
    } else {
        state.trail.mark("CTX-1");
    }
    Some(EventContext { thread, connection })
}

/// CTX-3: whether an event of `thread_id` would find its context (no output, no mark).
pub(crate) fn has_context(state: &State, thread_id: &str) -> bool {
    state
        .threads
        .get(&Id::from(thread_id))
        .is_some_and(|thread| state.connections.get(&thread.connection_id).is_some())
}

/// SUM-1..5, CTX-3: a completed review first updates its item's summary, then is emitted with
/// its thread's context, or replaced by a diagnostic when the context is missing.
pub(crate) fn emit_review(state: &mut State, review: CompletedReview) {
    sum::denormalize(state, &review);
    let dropped = Diagnostic {
        thread_id: Some(review.thread_id.clone()),
        turn_id: Some(review.turn_id.clone()),
        item_id: review.item_id.clone(),
        review_id: Some(review.review_id.clone()),
        dropped_event: Some("codex_review_event".into()),
        ..Diagnostic::new(DiagnosticReason::MissingThread)
    };
    let Some(context) = resolve_context(state, &review.thread_id, dropped, &review.provenance)
    else {
        return;
    };
    state.trail.mark("TIME-1");
    let event = ReviewEvent {
        duration_ms: super::time::duration_ms(review.started_at_ms, review.completed_at_ms),
        thread_id: review.thread_id,
        turn_id: review.turn_id,
        item_id: review.item_id,
        review_id: review.review_id,
        app_server_client: context.connection.app_server_client,
        runtime: context.connection.runtime,
        thread_source: context.thread.thread_source,
        subagent_source: context.thread.subagent_source,
        parent_thread_id: context.thread.parent_thread_id,
        subject_kind: review.subject.kind,
        subject_name: review.subject.name,
        reviewer: review.reviewer,
        trigger: review.subject.trigger,
        status: review.status,
        resolution: review.resolution,
        started_at_ms: review.started_at_ms,
        completed_at_ms: review.completed_at_ms,
    };
    state.emit_carrying(Output::Review(event), &review.provenance);
}
