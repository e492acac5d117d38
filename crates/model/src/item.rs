//! ITEM: tool item starts and terminal tool-item events.

use super::iso::ItemKey;
use super::state::State;
use super::sum::{self, item_diagnostic};
use super::trail::{Entry, Trail};
use super::why::{Aspect, Mark, Why};
use super::{cap, ctx, fate, iso, time};
use crate::event::{
    Diagnostic, DiagnosticReason, FailureKind, Identity, Output, TerminalStatus, ToolItemEvent,
};
use crate::fact::{Fact, ItemKind, ItemStatus};
use crate::profile::Departure;

/// ITEM-1 and ITEM-6: an item start is recorded under its thread, turn and item, unless the item
/// already has one. UP-ITEM-6: upstream's last start wins.
pub(crate) fn start_item(state: &mut State, fact: &Fact) {
    let Fact::ItemStarted {
        thread_id,
        turn_id,
        item_id,
        started_at_ms,
        ..
    } = fact
    else {
        return;
    };
    let key = iso::item_key(thread_id, turn_id, item_id);
    let isolates = iso::scope(&key, &mut state.trail);
    if state.item_starts.get(&key).is_some() {
        let replaces = state.upstream(Departure::Item6);
        let decides = match replaces {
            Some(up) => up,
            None => state.trail.exception("ITEM-6"),
        };
        let diagnostic = fate::about_fact(fact, DiagnosticReason::DuplicateItemStart);
        state.emit(
            Output::Diagnostic(diagnostic),
            Why::of_mark(&[Aspect::Exists], decides),
        );
        if replaces.is_some() {
            // The last start is recorded afresh; removing the first freed its slot, so nothing
            // is evicted.
            state.item_starts.remove(&key);
            let start = (
                time::event_ms(*started_at_ms),
                Why::of_mark(&STARTED, decides),
            );
            let evicted = state.item_starts.insert_new(key, start, &mut state.trail);
            debug_assert!(evicted.is_none());
        } else if let Some((_, why)) = state.item_starts.get_mut(&key) {
            // The first start stays as it was, against this one.
            why.also(decides);
        }
        return;
    }
    let starts = state.trail.mark("ITEM-1");
    let mut why = Why::of_mark(&STARTED, starts);
    state
        .trail
        .withhold_diagnostic(DiagnosticReason::DuplicateItemStart, starts);
    if let Some(isolates) = isolates {
        why.also(isolates);
    }
    let start = (time::event_ms(*started_at_ms), why);
    if let Some((evicted_key, (_, evicted_why))) =
        state.item_starts.insert_new(key, start, &mut state.trail)
    {
        let entry = Entry::start(&evicted_key);
        let diagnostic = item_diagnostic(evicted_key, cap::evicted(state.item_starts.table));
        state.emit_evicted(diagnostic, entry, &evicted_why);
    }
}

/// What an item start decides: that the item started, its place in its table, and its start
/// time.
const STARTED: [Aspect; 3] = [
    Aspect::Exists,
    Aspect::Order(1),
    Aspect::Field("started_at_ms"),
];

/// TIME-2 on an item completion: UP-TIME-2, upstream removes the item's start before it rejects
/// the completion's negative timestamp, so a later valid completion of the item finds no start
/// (the summary stays); the spec keeps the start against the rejected completion.
pub(crate) fn consume_start_of_rejected(state: &mut State, fact: &Fact, rejects: Mark) {
    let Fact::ItemCompleted {
        thread_id,
        turn_id,
        item_id,
        ..
    } = fact
    else {
        return;
    };
    let key = iso::item_key(thread_id, turn_id, item_id);
    if state.item_starts.get(&key).is_none() {
        return;
    }
    match state.upstream(Departure::Time2) {
        Some(up) => {
            state.item_starts.remove(&key);
            let gone = Why::of_mark(&[Aspect::Exists], up);
            state.trail.note_gone(Entry::start(&key), gone);
        }
        None => {
            if let Some((_, why)) = state.item_starts.get_mut(&key) {
                why.also(rejects);
            }
        }
    }
}

/// ITEM-2, ITEM-3, ITEM-5: a terminal completion of a started item consumes its start and summary
/// and emits the tool-item event; without a start, or with a non-terminal status, a diagnostic.
/// UP-ITEM-5: upstream's in-progress completion consumes the start and summary all the same.
/// UP-ITEM-4: upstream takes an image generation as completed unless it failed.
/// UP-SUM-6: upstream keeps the summary when the event is dropped for missing context.
pub(crate) fn complete_item(state: &mut State, fact: &Fact) {
    let Fact::ItemCompleted {
        thread_id,
        turn_id,
        item_id,
        kind,
        status,
        completed_at_ms,
        ..
    } = fact
    else {
        return;
    };
    let key = iso::item_key(thread_id, turn_id, item_id);
    let identity = Identity::tool_item(&key.thread_id, &key.turn_id, &key.item_id);
    let mut why = Why::default();
    let image_generation_not_completed = *kind == ItemKind::ImageGeneration
        && matches!(status, ItemStatus::InProgress | ItemStatus::Declined);
    let (terminal, decides) = match image_generation_not_completed {
        true => match state.upstream(Departure::Item4) {
            // UP-ITEM-4: upstream's image generation status is a free string; all but failed
            // is completed.
            Some(up) => (Some((TerminalStatus::Completed, None)), up),
            // The spec's side of the departure: the item's own status decides.
            None => {
                let spec = state.trail.exception("ITEM-4");
                (terminal(*status, &mut state.trail).0, spec)
            }
        },
        false => terminal(*status, &mut state.trail),
    };
    why.add_each(&[Aspect::Exists, STATUS, FAILURE], decides);
    if terminal.is_none() && !state.follows_upstream(Departure::Item5) {
        why.add(Aspect::Exists, state.trail.exception("ITEM-5"));
        keep_item(state, &key, &why);
        state.trail.withhold(identity, why.clone());
        let diagnostic = fate::about_fact(fact, DiagnosticReason::ItemNotTerminal);
        state.emit(Output::Diagnostic(diagnostic), why);
        return;
    }
    // UP-ITEM-5: upstream goes on with a non-terminal completion.
    let goes_on = match terminal {
        None => state.upstream(Departure::Item5).unwrap_or(Mark::NONE),
        Some(_) => Mark::NONE,
    };
    why.add(Aspect::Exists, goes_on);
    if let Some(isolates) = iso::scope(&key, &mut state.trail) {
        why.also(isolates);
    }
    let Some((started_at_ms, start_why)) = state.item_starts.remove(&key) else {
        let rejects = state.trail.exception("ITEM-3");
        let mut refused = Why::of_mark(&[Aspect::Exists], rejects);
        // Why the item has no start: consumed, released, evicted, rejected, or never made.
        let gone = state.trail.why_gone(&Entry::start(&key));
        refused.carry_all_as(Aspect::Exists, &gone);
        // The summary, if any, stays for a later completion (or its turn's end).
        keep_item(state, &key, &refused);
        state.trail.withhold(identity, refused.clone());
        let diagnostic = fate::about_fact(fact, DiagnosticReason::ItemNotStarted);
        state.emit(Output::Diagnostic(diagnostic), refused);
        return;
    };
    let has_context = ctx::has_context(state, thread_id);
    // UP-SUM-6 decides only where the context is missing.
    let keeps_summary = !has_context && state.follows_upstream(Departure::Sum6);
    let Some((terminal_status, failure_kind)) = terminal else {
        // UP-ITEM-5: no event, the start is gone, and so is the summary unless UP-SUM-6 keeps
        // it for want of context.
        state
            .trail
            .note_gone(Entry::start(&key), Why::of_mark(&[Aspect::Exists], goes_on));
        if keeps_summary {
            let _ = state.upstream(Departure::Sum6);
        } else {
            let _ = sum::consume_summary(state, &key);
            let mut gone = Why::of_mark(&[Aspect::Exists], goes_on);
            gone.merge(&state.trail.why_gone(&Entry::summary(&key)));
            state.trail.note_gone(Entry::summary(&key), gone);
        }
        state.trail.withhold(identity, why.clone());
        let diagnostic = fate::about_fact(fact, DiagnosticReason::ItemNotTerminal);
        state.emit(Output::Diagnostic(diagnostic), why);
        return;
    };
    let completes = state.trail.mark("ITEM-2");
    why.add_each(&COMPLETED, completes);
    // Not without a start: the item started.
    let mut started = Why::default();
    started.carry(Aspect::Exists, &start_why, Aspect::Exists);
    let not_started = Identity::Diagnostic {
        reason: DiagnosticReason::ItemNotStarted,
    };
    state.trail.withhold(not_started, started);
    state
        .trail
        .withhold_diagnostic(DiagnosticReason::ItemNotTerminal, decides);
    why.carry(Aspect::Exists, &start_why, Aspect::Exists);
    why.carry(STARTED_AT, &start_why, STARTED_AT);
    state.trail.note_gone(
        Entry::start(&key),
        Why::of_mark(&[Aspect::Exists], completes),
    );
    let summary = match (has_context, keeps_summary) {
        (false, true) => {
            let keeps = state.upstream(Departure::Sum6).unwrap_or(Mark::NONE);
            let mut kept = state
                .item_summaries
                .get(&key)
                .cloned()
                .unwrap_or_else(sum::empty_summary);
            kept.why.also(keeps);
            if let Some(summary) = state.item_summaries.get_mut(&key) {
                summary.why.also(keeps);
            }
            kept
        }
        (false, false) => {
            // The spec's side of the departure: the summary is consumed though the event is
            // dropped.
            let consumed = sum::consume_summary(state, &key);
            let drops = state.trail.exception("SUM-6");
            let mut gone = state.trail.why_gone(&Entry::summary(&key));
            gone.add(Aspect::Exists, drops);
            state.trail.note_gone(Entry::summary(&key), gone);
            consumed
        }
        (true, _) => sum::consume_summary(state, &key),
    };
    why.carry_each(&sum::SUMMARY_FIELDS, &summary.why);
    let dropped = Diagnostic {
        dropped_event: Some(event_type(*kind).into()),
        ..item_diagnostic(key, Diagnostic::new(DiagnosticReason::MissingThread))
    };
    let Some(context) = ctx::resolve_context(state, thread_id, dropped, &why) else {
        return;
    };
    why.merge(&context.why);
    why.add(DURATION, state.trail.mark("TIME-1"));
    why.carry(DURATION, &why.clone(), STARTED_AT);
    why.carry(DURATION, &why.clone(), Aspect::Field("completed_at_ms"));
    let completed_at_ms = time::event_ms(*completed_at_ms);
    let event = ToolItemEvent {
        thread_id: thread_id.clone(),
        turn_id: turn_id.clone(),
        item_id: item_id.clone(),
        app_server_client: context.connection.app_server_client,
        runtime: context.connection.runtime,
        thread_source: context.thread.thread_source,
        subagent_source: context.thread.subagent_source,
        parent_thread_id: context.thread.parent_thread_id,
        terminal_status,
        failure_kind,
        started_at_ms,
        completed_at_ms,
        duration_ms: time::duration_ms(started_at_ms, completed_at_ms),
        review_count: summary.review_count,
        guardian_review_count: summary.guardian_review_count,
        user_review_count: summary.user_review_count,
        final_approval_outcome: summary.final_approval_outcome,
        requested_additional_permissions: summary.requested_additional_permissions,
        requested_network_access: summary.requested_network_access,
    };
    state.emit(terminal_event(*kind, event), why);
}

const STATUS: Aspect = Aspect::Field("terminal_status");
const FAILURE: Aspect = Aspect::Field("failure_kind");
const STARTED_AT: Aspect = Aspect::Field("started_at_ms");
const DURATION: Aspect = Aspect::Field("duration_ms");
/// What ITEM-2 decides: that the event exists, its type, and the fields it takes from the
/// completion as they are.
const COMPLETED: [Aspect; 6] = [
    Aspect::Exists,
    Aspect::Field("event_type"),
    Aspect::Field("thread_id"),
    Aspect::Field("turn_id"),
    Aspect::Field("item_id"),
    Aspect::Field("completed_at_ms"),
];

/// A completion that leaves the item's start and summary as they are (ITEM-3, ITEM-5): they stay
/// against it, for a later completion or the turn's end.
fn keep_item(state: &mut State, key: &ItemKey, why: &Why) {
    if !state.trail.explains() {
        return;
    }
    let decisions: Vec<Mark> = why
        .decisions()
        .into_iter()
        .filter(|because| because.fact == state.trail.current_index && because.exception)
        .map(Mark::of)
        .collect();
    for decision in decisions {
        if let Some((_, start)) = state.item_starts.get_mut(key) {
            start.also(decision);
        }
        if let Some(summary) = state.item_summaries.get_mut(key) {
            summary.why.also(decision);
        }
    }
}

/// ITEM-2: the terminal event of an item of each kind.
fn terminal_event(kind: ItemKind, event: ToolItemEvent) -> Output {
    match kind {
        ItemKind::CommandExecution => Output::CommandExecution(event),
        ItemKind::FileChange => Output::FileChange(event),
        ItemKind::McpToolCall => Output::McpToolCall(event),
        ItemKind::DynamicToolCall => Output::DynamicToolCall(event),
        ItemKind::CollabAgentToolCall => Output::CollabAgentToolCall(event),
        ItemKind::WebSearch => Output::WebSearch(event),
        ItemKind::ImageGeneration => Output::ImageGeneration(event),
    }
}

/// ITEM-2: the `event_type` of the terminal event of an item of each kind.
fn event_type(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::CommandExecution => "codex_command_execution_event",
        ItemKind::FileChange => "codex_file_change_event",
        ItemKind::McpToolCall => "codex_mcp_tool_call_event",
        ItemKind::DynamicToolCall => "codex_dynamic_tool_call_event",
        ItemKind::CollabAgentToolCall => "codex_collab_agent_tool_call_event",
        ItemKind::WebSearch => "codex_web_search_event",
        ItemKind::ImageGeneration => "codex_image_generation_event",
    }
}

/// The terminal status of an item, and its failure kind.
type Terminal = Option<(TerminalStatus, Option<FailureKind>)>;

/// ITEM-4: a terminal item status and its failure kind; in_progress is not terminal (ITEM-5,
/// which decides then).
fn terminal(status: ItemStatus, trail: &mut Trail) -> (Terminal, Mark) {
    let terminal = match status {
        ItemStatus::InProgress => return (None, Mark::NONE),
        ItemStatus::Completed => (TerminalStatus::Completed, None),
        ItemStatus::Failed => (TerminalStatus::Failed, Some(FailureKind::ToolError)),
        ItemStatus::Declined => (TerminalStatus::Rejected, Some(FailureKind::ApprovalDenied)),
    };
    (Some(terminal), trail.mark("ITEM-4"))
}
