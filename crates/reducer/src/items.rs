//! The item lifecycle (ITEM-1..6): starts recorded under their key, terminal completions that
//! consume their summary and emit the tool-item event.

use crate::event::{DiagnosticReason, Output, TerminalStatus, ToolItemEvent};
use crate::fact::{Fact, ItemKind, ItemStatus};
use crate::profile::Departure;

use super::Defect;
use super::derive::{duration_ms, item_terminal_status};
use super::diagnostic::{DroppedEvent, missing_context, tool_item_event};
use super::entries::{ItemKeyView, ItemStart};
use super::hooks::Hooks;
use super::review::summary_key;

use super::Reducer;
use super::diagnostic::push_fact_diagnostic;

impl<H: Hooks> Reducer<H> {
    /// ITEM-1, ITEM-6: an item start is recorded under `(thread, turn, item)`; a second start
    /// keeps the first and is reported (UP-ITEM-6: replaces it, and is reported).
    pub(super) fn item_started(
        &mut self,
        fact: &Fact,
        key: ItemKeyView<'_>,
        started_at_ms: u64,
        outputs: &mut Vec<Output>,
    ) {
        if self.state.item_start(key).is_some() {
            if self.hooks.breaks(Defect::DuplicateStartOverwrites)
                && let Some(start) = self.state.item_start_mut(key)
            {
                start.started_at_ms = started_at_ms;
            }
            push_fact_diagnostic(DiagnosticReason::DuplicateItemStart, fact, outputs);
            if self.upstream(Departure::Item6) {
                self.state.take_item_start(key);
                let evicted = self
                    .state
                    .record_item_start(key, ItemStart { started_at_ms });
                debug_assert!(evicted.is_none());
            }
            return;
        }
        if self.hooks.breaks(Defect::FourItemStartsPerTurn)
            && self.state.turn_item_starts(key.thread_id, key.turn_id) >= 4
        {
            return;
        }
        let evicted = self
            .state
            .record_item_start(key, ItemStart { started_at_ms });
        self.report_eviction(evicted, outputs);
    }

    /// ITEM-2..5, SUM-6: a terminal completion of a started item consumes its start and summary
    /// and emits the tool-item event (or its CTX-3 diagnostic); an unstarted one, or an
    /// `in_progress` one, changes nothing and is reported. UP-ITEM-5: an `in_progress` one
    /// consumes the start and summary too; UP-SUM-6: a dropped event leaves the summary.
    pub(super) fn item_completed(
        &mut self,
        fact: &Fact,
        key: ItemKeyView<'_>,
        kind: ItemKind,
        status: ItemStatus,
        completed_at_ms: u64,
        outputs: &mut Vec<Output>,
    ) {
        let terminal = if kind == ItemKind::ImageGeneration
            && matches!(status, ItemStatus::InProgress | ItemStatus::Declined)
            && self.upstream(Departure::Item4)
        {
            // UP-ITEM-4: all but a failed image generation is a completed one upstream.
            Some((TerminalStatus::Completed, None))
        } else {
            item_terminal_status(status)
        };
        if terminal.is_none() && !self.upstream(Departure::Item5) {
            if self.hooks.breaks(Defect::InProgressDiscardsSummary) {
                let summary_key = summary_key(&self.hooks, key.thread_id, key.turn_id, key.item_id);
                self.state.take_summary(summary_key);
            }
            push_fact_diagnostic(DiagnosticReason::ItemNotTerminal, fact, outputs);
            return;
        }
        let Some((item_key, start)) = self.state.take_item_start(key) else {
            push_fact_diagnostic(DiagnosticReason::ItemNotStarted, fact, outputs);
            return;
        };
        let summary_key = summary_key(&self.hooks, key.thread_id, key.turn_id, key.item_id);
        let context = self.event_context(&item_key.thread_id);
        let leaves_summary = terminal.is_some() && self.hooks.breaks(Defect::SummaryLeftAfterEvent);
        let summary = if context.is_err() && self.upstream(Departure::Sum6) || leaves_summary {
            self.state.summary(summary_key).cloned().unwrap_or_default()
        } else {
            let summary = self.state.take_summary(summary_key).unwrap_or_default();
            debug_assert!(self.state.summary(summary_key).is_none());
            summary
        };
        debug_assert!(self.state.item_start(key).is_none());
        let Some((terminal_status, failure_kind)) = terminal else {
            push_fact_diagnostic(DiagnosticReason::ItemNotTerminal, fact, outputs);
            return;
        };
        let duration_ms = duration_ms(&self.hooks, start.started_at_ms, completed_at_ms);
        match context {
            Ok(context) => outputs.push(tool_item_event(kind).1(ToolItemEvent {
                thread_id: item_key.thread_id,
                turn_id: item_key.turn_id,
                item_id: item_key.item_id,
                app_server_client: context.app_server_client,
                runtime: context.runtime,
                thread_source: context.thread_source,
                subagent_source: context.subagent_source,
                parent_thread_id: context.parent_thread_id,
                terminal_status,
                failure_kind,
                started_at_ms: start.started_at_ms,
                completed_at_ms,
                duration_ms,
                review_count: summary.reviews,
                guardian_review_count: summary.guardian_reviews,
                user_review_count: summary.user_reviews,
                final_approval_outcome: summary.outcome,
                requested_additional_permissions: summary.asked_for_permissions,
                requested_network_access: summary.asked_for_network,
            })),
            Err(missing) => outputs.push(Output::Diagnostic(missing_context(
                missing,
                DroppedEvent {
                    event_type: tool_item_event(kind).0,
                    thread_id: item_key.thread_id,
                    turn_id: item_key.turn_id,
                    item_id: Some(item_key.item_id),
                    review_id: None,
                },
            ))),
        }
    }
}
