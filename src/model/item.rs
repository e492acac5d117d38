//! ITEM: tool item starts and terminal tool-item events.

use super::state::State;
use super::sum::{self, item_diagnostic};
use super::trail::Trail;
use super::{cap, ctx, fate, iso, time};
use crate::event::{
    Diagnostic, DiagnosticReason, FailureKind, Output, TerminalStatus, ToolItemEvent,
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
    iso::scope(&key, &mut state.trail);
    if state.item_starts.get(&key).is_some() {
        let replaces = state.upstream(Departure::Item6);
        if !replaces {
            state.trail.mark("ITEM-6");
        }
        let diagnostic = fate::about_fact(fact, DiagnosticReason::DuplicateItemStart);
        state.emit(Output::Diagnostic(diagnostic));
        if replaces {
            // The last start is recorded afresh; removing the first freed its slot, so nothing
            // is evicted.
            state.item_starts.remove(&key);
            let start = (time::event_ms(*started_at_ms), state.trail.provenance());
            let evicted = state.item_starts.insert_new(key, start, &mut state.trail);
            debug_assert!(evicted.is_none());
        }
        return;
    }
    state.trail.mark("ITEM-1");
    if let Some((evicted_key, (_, evicted_provenance))) = state.item_starts.insert_new(
        key,
        (time::event_ms(*started_at_ms), state.trail.provenance()),
        &mut state.trail,
    ) {
        let diagnostic = item_diagnostic(evicted_key, cap::evicted(state.item_starts.table));
        state.emit_carrying(Output::Diagnostic(diagnostic), &evicted_provenance);
    }
}

/// UP-TIME-2: upstream removes an item's start before it rejects the completion's negative
/// timestamp, so a later valid completion of the item finds no start. (The summary stays.)
pub(crate) fn consume_start_of_rejected(state: &mut State, fact: &Fact) {
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
    if state.item_starts.get(&key).is_some() && state.upstream(Departure::Time2) {
        state.item_starts.remove(&key);
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
    let terminal = if *kind == ItemKind::ImageGeneration
        && matches!(status, ItemStatus::InProgress | ItemStatus::Declined)
        && state.upstream(Departure::Item4)
    {
        // UP-ITEM-4: upstream's image generation status is a free string; all but failed is
        // completed.
        Some((TerminalStatus::Completed, None))
    } else {
        terminal(*status, &mut state.trail)
    };
    if terminal.is_none() && !state.upstream(Departure::Item5) {
        state.trail.mark("ITEM-5");
        let diagnostic = fate::about_fact(fact, DiagnosticReason::ItemNotTerminal);
        state.emit(Output::Diagnostic(diagnostic));
        return;
    }
    let key = iso::item_key(thread_id, turn_id, item_id);
    iso::scope(&key, &mut state.trail);
    let Some((started_at_ms, start_provenance)) = state.item_starts.remove(&key) else {
        state.trail.mark("ITEM-3");
        let diagnostic = fate::about_fact(fact, DiagnosticReason::ItemNotStarted);
        state.emit(Output::Diagnostic(diagnostic));
        return;
    };
    let keeps_summary = state.profile.follows_upstream(Departure::Sum6);
    let Some((terminal_status, failure_kind)) = terminal else {
        // UP-ITEM-5: no event, the start is gone, and so is the summary unless UP-SUM-6 keeps
        // it for want of context.
        if keeps_summary && !ctx::has_context(state, thread_id) {
            state.trail.mark("UP-SUM-6");
        } else {
            sum::consume_summary(state, &key);
        }
        let diagnostic = fate::about_fact(fact, DiagnosticReason::ItemNotTerminal);
        state.emit(Output::Diagnostic(diagnostic));
        return;
    };
    state.trail.mark("ITEM-2");
    let summary = if keeps_summary && !ctx::has_context(state, thread_id) {
        state.trail.mark("UP-SUM-6");
        state
            .item_summaries
            .get(&key)
            .cloned()
            .unwrap_or_else(sum::empty_summary)
    } else {
        sum::consume_summary(state, &key)
    };
    let dropped = Diagnostic {
        dropped_event: Some(event_type(*kind).into()),
        ..item_diagnostic(key, Diagnostic::new(DiagnosticReason::MissingThread))
    };
    let mut carried = start_provenance;
    carried.merge(&summary.provenance);
    let Some(context) = ctx::resolve_context(state, thread_id, dropped, &carried) else {
        return;
    };
    state.trail.mark("TIME-1");
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
    state.emit_carrying(terminal_event(*kind, event), &carried);
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

/// ITEM-4: a terminal item status and its failure kind; in_progress is not terminal (ITEM-5).
fn terminal(
    status: ItemStatus,
    trail: &mut Trail,
) -> Option<(TerminalStatus, Option<FailureKind>)> {
    match status {
        ItemStatus::InProgress => None,
        ItemStatus::Completed => {
            trail.mark("ITEM-4");
            Some((TerminalStatus::Completed, None))
        }
        ItemStatus::Failed => {
            trail.mark("ITEM-4");
            Some((TerminalStatus::Failed, Some(FailureKind::ToolError)))
        }
        ItemStatus::Declined => {
            trail.mark("ITEM-4");
            Some((TerminalStatus::Rejected, Some(FailureKind::ApprovalDenied)))
        }
    }
}
