//! CTX: connection and thread context, and emission that needs it.

use super::state::{CompletedReview, ConnectionMeta, State, ThreadBinding};
use super::trail::Entry;
use super::why::{Aspect, Why};
use super::{cap, sum};
use crate::event::{Diagnostic, DiagnosticReason, Identity, Output, ReviewEvent};
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
    let replaces = state.connections.contains(&connection_id);
    let records = if replaces {
        state.trail.exception("CTX-1")
    } else {
        state.trail.mark("CTX-1")
    };
    let mut why = Why::of_mark(
        &[Aspect::Exists, Aspect::Context, Aspect::Order(1)],
        records,
    );
    if replaces {
        cap::keep_place(&mut why, &mut state.trail);
    }
    let meta = ConnectionMeta {
        app_server_client: app_server_client.clone(),
        runtime: runtime.clone(),
        why,
    };
    if let Some((evicted_id, evicted)) =
        state
            .connections
            .upsert(connection_id, meta, &mut state.trail)
    {
        let diagnostic = Diagnostic {
            connection_id: Some(evicted_id),
            ..cap::evicted(state.connections.table)
        };
        let entry = Entry::Connection(evicted_id);
        state.emit_evicted(diagnostic, entry, &evicted.why);
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
        originator,
        ..
    } = fact
    else {
        return;
    };
    let mut why = Why::default();
    if state.connections.get(connection_id).is_none() {
        if let Some(ignores) = state.upstream(Departure::Ctx2) {
            // Ignored because its connection is not initialized: never, or no longer.
            let mut gone = state.trail.why_gone(&Entry::Connection(*connection_id));
            gone.add_each(&[Aspect::Exists, Aspect::Context], ignores);
            match state.threads.get_mut(thread_id) {
                // The earlier binding stays, against this one, and so does its originator.
                Some(kept) if state.trail.explains() => {
                    kept.why.carry_all_as(Aspect::Context, &gone);
                    kept.why.carry_all_as(Aspect::Exists, &gone);
                    kept.why.carry_all_as(ORIGINATOR, &gone);
                }
                Some(_) => {}
                None => state
                    .trail
                    .note_gone(Entry::Thread(thread_id.clone()), gone.clone()),
            }
            let diagnostic =
                super::fate::about_fact(fact, DiagnosticReason::UninitializedConnection);
            state.emit(Output::Diagnostic(diagnostic), gone);
            return;
        }
        // The spec's side of the departure: the binding holds before its connection initializes.
        why.add_each(
            &[Aspect::Exists, Aspect::Context],
            state.trail.exception("CTX-2"),
        );
    }
    let previous = state.threads.get(thread_id);
    let rebinds = previous.is_some();
    let binds = if rebinds {
        state.trail.exception("CTX-2")
    } else {
        state.trail.mark("CTX-2")
    };
    why.add_each(&[Aspect::Exists, Aspect::Context, Aspect::Order(1)], binds);
    let originator = bound_originator(state, thread_id, originator.as_ref(), &mut why);
    state
        .trail
        .withhold_diagnostic(DiagnosticReason::UninitializedConnection, binds);
    if rebinds {
        cap::keep_place(&mut why, &mut state.trail);
    }
    let context = ThreadBinding {
        connection_id: Some(*connection_id),
        thread_source: thread_source.clone(),
        subagent_source: subagent_source.clone(),
        parent_thread_id: parent_thread_id.clone(),
        originator,
        why,
    };
    upsert_thread(state, thread_id, context);
}

/// The aspect of a thread's binding that holds the decisions behind its originator.
const ORIGINATOR: Aspect = Aspect::Field("originator");

/// CTX-4: a binding with an originator sets the thread's; one without keeps the thread's earlier
/// originator, if it has one.
fn bound_originator(
    state: &mut State,
    thread_id: &Id,
    originator: Option<&String>,
    why: &mut Why,
) -> Option<String> {
    if let Some(originator) = originator {
        // The first step of the product an event names, where it is not the connection's.
        why.add(ORIGINATOR, state.trail.exception("CTX-4"));
        return Some(originator.clone());
    }
    let earlier = state.threads.get(thread_id)?;
    let kept = earlier.originator.clone()?;
    let earlier_why = earlier.why.clone();
    why.carry(ORIGINATOR, &earlier_why, ORIGINATOR);
    why.add(ORIGINATOR, state.trail.exception("CTX-4"));
    Some(kept)
}

/// Records or replaces a thread's binding, reporting the entry it evicted (CAP-1).
fn upsert_thread(state: &mut State, thread_id: &Id, binding: ThreadBinding) {
    if let Some((evicted_id, evicted)) =
        state
            .threads
            .upsert(thread_id.clone(), binding, &mut state.trail)
    {
        let diagnostic = Diagnostic {
            thread_id: Some(evicted_id.clone()),
            ..cap::evicted(state.threads.table)
        };
        state.emit_evicted(diagnostic, Entry::Thread(evicted_id), &evicted.why);
    }
}

/// The `thread_source` a sub-agent start records (CTX-5).
const SUBAGENT_THREAD_SOURCE: &str = "subagent";

/// CTX-5: a sub-agent thread's start binds it to its parent's connection when it has none, and
/// records its metadata and originator when it has none; what it already has stays.
pub(crate) fn start_subagent_thread(state: &mut State, fact: &Fact) {
    let Fact::SubagentThreadStarted {
        thread_id,
        parent_thread_id,
        subagent_source,
        originator,
    } = fact
    else {
        return;
    };
    // The parent's connection as it is now: the child does not follow a later rebinding.
    let parent = parent_thread_id
        .as_ref()
        .and_then(|parent| state.threads.get(parent))
        .map(|parent| (parent.connection_id, parent.why.clone()));
    let (lent, lent_why) = match parent {
        Some((Some(connection_id), why)) => (Some(connection_id), why),
        _ => (None, Why::default()),
    };
    if let Some(known) = state.threads.get_mut(thread_id) {
        let trail = &mut state.trail;
        // Its metadata stays as it was recorded.
        let keeps = trail.exception("CTX-5");
        known.why.add_each(&THREAD_FIELDS, keeps);
        match (known.connection_id, lent) {
            (None, Some(connection_id)) => {
                known.connection_id = Some(connection_id);
                // A thread no client bound gets a connection: the exception to CTX-3's missing
                // context.
                let lends = trail.exception("CTX-5");
                known
                    .why
                    .add_each(&[Aspect::Exists, Aspect::Context], lends);
                known
                    .why
                    .inherit(Aspect::Context, &lent_why, Aspect::Context);
            }
            _ => known.why.add(Aspect::Context, keeps),
        }
        match (&known.originator, originator) {
            (None, Some(originator)) => {
                known.originator = Some(originator.clone());
                known.why.add(ORIGINATOR, trail.exception("CTX-4"));
                known.why.add(ORIGINATOR, trail.mark("CTX-5"));
            }
            _ => known.why.add(ORIGINATOR, keeps),
        }
        return;
    }
    let starts = state.trail.mark("CTX-5");
    let mut why = Why::default();
    if lent.is_some() {
        // A thread no client bound gets a connection: the exception to CTX-3's missing context.
        let lends = state.trail.exception("CTX-5");
        why.add_each(&[Aspect::Exists, Aspect::Context], lends);
    }
    why.add_each(&[Aspect::Exists, Aspect::Context, Aspect::Order(1)], starts);
    why.add_each(&THREAD_FIELDS, starts);
    if originator.is_some() {
        why.add(ORIGINATOR, state.trail.exception("CTX-4"));
        why.add(ORIGINATOR, starts);
    }
    if lent.is_some() {
        why.inherit(Aspect::Context, &lent_why, Aspect::Context);
    } else if let Some(parent_thread_id) = parent_thread_id {
        // No connection to lend: the parent is unknown (never bound, or gone) or unbound.
        let gone = state
            .trail
            .why_gone(&Entry::Thread(parent_thread_id.clone()));
        why.carry_all_as(Aspect::Context, &gone);
    }
    let binding = ThreadBinding {
        connection_id: lent,
        thread_source: Some(Id::from(SUBAGENT_THREAD_SOURCE)),
        subagent_source: Some(subagent_source.clone()),
        parent_thread_id: parent_thread_id.clone(),
        originator: originator.clone(),
        why,
    };
    upsert_thread(state, thread_id, binding);
}

/// The context an event is emitted with: the thread's binding and its connection's metadata.
pub(crate) struct EventContext {
    pub(crate) thread: ThreadBinding,
    pub(crate) connection: ConnectionMeta,
    /// The decisions behind each context field of the event, and behind its having a context.
    pub(crate) why: Why,
}

/// The fields of an event that come from its context.
const CONNECTION_FIELDS: [Aspect; 2] = [APP_SERVER_CLIENT, Aspect::Field("runtime")];
const APP_SERVER_CLIENT: Aspect = Aspect::Field("app_server_client");
const THREAD_FIELDS: [Aspect; 3] = [
    Aspect::Field("thread_source"),
    Aspect::Field("subagent_source"),
    Aspect::Field("parent_thread_id"),
];

/// CTX-3: resolves an event's context, or emits the diagnostic that replaces the event
/// (`missing_thread` or `missing_connection`, filled with `dropped`'s fields), records the event
/// as not produced, and returns None. `carried` explains the event that would have been.
pub(crate) fn resolve_context(
    state: &mut State,
    thread_id: &str,
    dropped: Diagnostic,
    carried: &Why,
) -> Option<EventContext> {
    let Some(thread) = state.threads.get(&Id::from(thread_id)).cloned() else {
        let drops = state.trail.mark("CTX-3");
        let mut missing = Why::of_mark(&[Aspect::Exists], drops);
        // Why the thread is not bound: its binding was ignored, evicted, or never made.
        let gone = state.trail.why_gone(&Entry::Thread(Id::from(thread_id)));
        missing.carry_all_as(Aspect::Exists, &gone);
        let diagnostic = Diagnostic {
            reason: DiagnosticReason::MissingThread,
            ..dropped
        };
        drop_event(state, diagnostic, missing, carried);
        return None;
    };
    let Some(connection_id) = thread.connection_id else {
        // A sub-agent thread whose parent lent it no connection (CTX-5): bound to none.
        let drops = state.trail.exception("CTX-3");
        let mut missing = Why::of_mark(&[Aspect::Exists], drops);
        missing.carry(Aspect::Exists, &thread.why, Aspect::Context);
        // Not a missing connection: the thread has none to miss, as its binding says.
        let reason = DiagnosticReason::MissingConnection;
        state
            .trail
            .withhold(Identity::Diagnostic { reason }, missing.clone());
        let diagnostic = Diagnostic {
            reason: DiagnosticReason::MissingThread,
            ..dropped
        };
        drop_event(state, diagnostic, missing, carried);
        return None;
    };
    let Some(connection) = state.connections.get(&connection_id).cloned() else {
        let drops = state.trail.mark("CTX-3");
        let mut missing = Why::of_mark(&[Aspect::Exists], drops);
        let gone = state.trail.why_gone(&Entry::Connection(connection_id));
        missing.carry_all_as(Aspect::Exists, &gone);
        // The thread is bound to this connection by its binding.
        missing.carry(Aspect::Exists, &thread.why, Aspect::Context);
        missing.carry(Aspect::Field("connection_id"), &thread.why, Aspect::Context);
        // Not a missing thread: the thread is bound, as its binding says.
        let mut bound = Why::default();
        bound.carry(Aspect::Exists, &thread.why, Aspect::Context);
        let reason = DiagnosticReason::MissingThread;
        state.trail.withhold(Identity::Diagnostic { reason }, bound);
        let diagnostic = Diagnostic {
            reason: DiagnosticReason::MissingConnection,
            connection_id: Some(connection_id),
            ..dropped
        };
        drop_event(state, diagnostic, missing, carried);
        return None;
    };
    // The event carries the metadata of the connection its thread is bound to (CTX-2 decides
    // when that is not the connection that delivered this fact), as that connection recorded it
    // (CTX-1).
    let resolves = if state
        .trail
        .current_connection
        .is_some_and(|id| id != connection_id)
    {
        state.trail.exception("CTX-2")
    } else {
        state.trail.mark("CTX-1")
    };
    let mut why = Why::default();
    let mut connection = connection;
    if let Some(originator) = &thread.originator {
        // CTX-4: the thread's originator names the product, not the connection's client; it
        // decides the field before the connection does.
        why.carry(APP_SERVER_CLIENT, &thread.why, ORIGINATOR);
        why.add(APP_SERVER_CLIENT, state.trail.exception("CTX-4"));
        let mut client = (*connection.app_server_client).clone();
        client.product_client_id = Some(originator.clone());
        connection.app_server_client = Arc::new(client);
    }
    for field in CONNECTION_FIELDS {
        why.carry(field, &thread.why, Aspect::Context);
        why.carry(field, &connection.why, Aspect::Context);
        why.add(field, resolves);
    }
    for field in THREAD_FIELDS {
        why.carry(field, &thread.why, Aspect::Context);
        why.carry(field, &thread.why, field);
    }

    why.carry(Aspect::Exists, &thread.why, Aspect::Exists);
    why.carry(Aspect::Exists, &connection.why, Aspect::Exists);
    why.carry(Aspect::Context, &thread.why, Aspect::Context);
    why.carry(Aspect::Context, &connection.why, Aspect::Context);
    why.add(Aspect::Context, resolves);
    for reason in [
        DiagnosticReason::MissingThread,
        DiagnosticReason::MissingConnection,
    ] {
        let mut found = Why::default();
        found.carry(Aspect::Exists, &why, Aspect::Context);
        state.trail.withhold(Identity::Diagnostic { reason }, found);
    }
    Some(EventContext {
        thread,
        connection,
        why,
    })
}

/// The field of a CTX-3 diagnostic that names the dropped event's type.
const DROPPED: Aspect = Aspect::Field("dropped_event");

/// CTX-3: the diagnostic that replaces an event, and the event recorded as not produced.
/// `missing` says why its context is missing, `carried` why the event would have been: the
/// diagnostic exists for both reasons, the event's own first.
fn drop_event(state: &mut State, diagnostic: Diagnostic, missing: Why, carried: &Why) {
    let output = Output::Diagnostic(diagnostic);
    if let Some(identity) = output.replaces() {
        state.trail.withhold(identity, missing.clone());
    }
    let mut why = carried.clone();
    why.carry(DROPPED, carried, Aspect::Field("event_type"));
    why.merge(&missing);
    state.emit(output, why);
}

/// CTX-3: whether an event of `thread_id` would find its context (no output, no mark).
pub(crate) fn has_context(state: &State, thread_id: &str) -> bool {
    state
        .threads
        .get(&Id::from(thread_id))
        .and_then(|thread| thread.connection_id)
        .is_some_and(|connection_id| state.connections.get(&connection_id).is_some())
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
    let Some(context) = resolve_context(state, &review.thread_id, dropped, &review.why) else {
        return;
    };
    let mut why = review.why;
    why.merge(&context.why);
    why.add(Aspect::Field("duration_ms"), state.trail.mark("TIME-1"));
    why.carry(
        Aspect::Field("duration_ms"),
        &why.clone(),
        Aspect::Field("started_at_ms"),
    );
    why.carry(
        Aspect::Field("duration_ms"),
        &why.clone(),
        Aspect::Field("completed_at_ms"),
    );
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
    state.emit(Output::Review(event), why);
}
