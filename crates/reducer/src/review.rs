//! Completing a review: denormalizing it onto its tool item's summary (SUM-1..3, SUM-5, ISO-1)
//! and emitting its `codex_review_event`, or the CTX-3 diagnostic that replaces it. Also the
//! event context lookup (CTX-2, CTX-3) that tool-item events share.
//!
//! Not here: which fact completes which review (`ingest`), and what the review says (`derive`).

use std::borrow::Cow;
use std::sync::Arc;

use crate::event::{Output, Resolution, ReviewEvent, ReviewStatus, Reviewer, SubjectKind, Trigger};
use crate::fact::{AppServerClient, Id, Runtime};

use super::derive::{RequestedFlags, approval_outcome, denormalizes, duration_ms};
use super::diagnostic::{DroppedEvent, MissingContext, REVIEW_EVENT_TYPE, missing_context};
use super::entries::{ItemKeyView, ItemSummary};
use super::hooks::Hooks;
use super::{Defect, Reducer};

/// A review that just completed, user or guardian, with every field its event needs except the
/// thread's context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CompletedReview {
    pub(crate) thread_id: Id,
    pub(crate) turn_id: Id,
    pub(crate) item_id: Option<Id>,
    pub(crate) review_id: Id,
    pub(crate) subject_kind: SubjectKind,
    pub(crate) subject_name: Cow<'static, str>,
    pub(crate) reviewer: Reviewer,
    pub(crate) trigger: Trigger,
    pub(crate) status: ReviewStatus,
    pub(crate) resolution: Resolution,
    pub(crate) requested: RequestedFlags,
    pub(crate) started_at_ms: u64,
    pub(crate) completed_at_ms: u64,
}

/// CTX-1, CTX-2: the metadata an event copies from its thread and the thread's connection.
pub(crate) struct EventContext {
    pub(crate) app_server_client: Arc<AppServerClient>,
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) thread_source: Option<Id>,
    pub(crate) subagent_source: Option<Id>,
    pub(crate) parent_thread_id: Option<Id>,
}

impl<H: Hooks> Reducer<H> {
    /// SUM-2, CTX-3: denormalizes a completed review (before its context is resolved, so it
    /// counts even when its event is dropped), then emits its review event or the diagnostic
    /// that replaces it.
    pub(crate) fn complete_review(&mut self, review: CompletedReview, outputs: &mut Vec<Output>) {
        self.denormalize(&review, outputs);
        let duration_ms = duration_ms(&self.hooks, review.started_at_ms, review.completed_at_ms);
        match self.event_context(&review.thread_id) {
            Ok(context) => outputs.push(Output::Review(ReviewEvent {
                thread_id: review.thread_id,
                turn_id: review.turn_id,
                item_id: review.item_id,
                review_id: review.review_id,
                app_server_client: context.app_server_client,
                runtime: context.runtime,
                thread_source: context.thread_source,
                subagent_source: context.subagent_source,
                parent_thread_id: context.parent_thread_id,
                subject_kind: review.subject_kind,
                subject_name: review.subject_name,
                reviewer: review.reviewer,
                trigger: review.trigger,
                status: review.status,
                resolution: review.resolution,
                started_at_ms: review.started_at_ms,
                completed_at_ms: review.completed_at_ms,
                duration_ms,
            })),
            Err(missing) => outputs.push(Output::Diagnostic(missing_context(
                missing,
                DroppedEvent {
                    event_type: REVIEW_EVENT_TYPE,
                    thread_id: review.thread_id,
                    turn_id: review.turn_id,
                    item_id: review.item_id,
                    review_id: Some(review.review_id),
                },
            ))),
        }
    }

    /// SUM-1: a command, file-change or MCP review with an item id adds to its item's summary,
    /// starting one (CAP-1) if the item has none.
    fn denormalize(&mut self, review: &CompletedReview, outputs: &mut Vec<Output>) {
        let Some(item_id) = review.item_id.as_ref() else {
            return;
        };
        let denormalized = denormalizes(review.subject_kind)
            || (self.hooks.breaks(Defect::PermissionsDenormalized)
                && review.subject_kind == SubjectKind::Permissions);
        if !denormalized {
            return;
        }
        let key = summary_key(&self.hooks, &review.thread_id, &review.turn_id, item_id);
        let outcome = approval_outcome(review.reviewer, review.status, review.resolution);
        let keeps_first_outcome = self.hooks.breaks(Defect::FinalOutcomeFromFirst);
        if let Some(summary) = self.state.summary_mut(key) {
            let outcome = if keeps_first_outcome {
                summary.outcome
            } else {
                outcome
            };
            record_review(summary, review.reviewer, outcome, review.requested);
            if self.hooks.breaks(Defect::NetworkFlagFromLastReview) {
                summary.asked_for_network = review.requested.network_access;
            }
            return;
        }
        let mut summary = ItemSummary::default();
        record_review(&mut summary, review.reviewer, outcome, review.requested);
        let evicted = self.state.insert_summary(key, summary);
        self.report_eviction(evicted, outputs);
    }

    /// CTX-2, CTX-3: the metadata of the connection the thread was last bound to, or what is
    /// missing.
    pub(crate) fn event_context(&self, thread_id: &Id) -> Result<EventContext, MissingContext> {
        let thread = self.state.thread(thread_id).ok_or(MissingContext::Thread)?;
        // A sub-agent thread bound to no connection (CTX-5) has no context either.
        let connection_id = thread.connection_id.ok_or(MissingContext::Thread)?;
        let connection = self
            .state
            .connection(connection_id)
            .ok_or(MissingContext::Connection(connection_id))?;
        let connection = if self.hooks.breaks(Defect::FourConnectionSlots)
            && let Some(slot) = self.state.connection_slot(connection_id)
        {
            slot
        } else {
            connection
        };
        // CTX-4: the thread's originator, when it has one, is the product the event names.
        let app_server_client = match &thread.originator {
            Some(originator) if !self.hooks.breaks(Defect::OriginatorIgnored) => {
                let mut client = (*connection.app_server_client).clone();
                client.product_client_id = Some(originator.clone());
                std::sync::Arc::new(client)
            }
            _ => connection.app_server_client.clone(),
        };
        Ok(EventContext {
            app_server_client,
            runtime: connection.runtime.clone(),
            thread_source: thread.thread_source.clone(),
            subagent_source: thread.subagent_source.clone(),
            parent_thread_id: thread.parent_thread_id.clone(),
        })
    }
}

/// ISO-1: an item's summary is keyed by its thread, turn and item.
pub(crate) fn summary_key<'k>(
    hooks: &impl Hooks,
    thread_id: &'k Id,
    turn_id: &'k Id,
    item_id: &'k Id,
) -> ItemKeyView<'k> {
    if hooks.breaks(Defect::SummaryKeyWithoutThread) {
        return ItemKeyView {
            thread_id: super::derive::empty_id(),
            turn_id,
            item_id,
        };
    }
    if hooks.breaks(Defect::SummaryKeyWithoutTurn) {
        return ItemKeyView {
            thread_id,
            turn_id: super::derive::empty_id(),
            item_id,
        };
    }
    ItemKeyView {
        thread_id,
        turn_id,
        item_id,
    }
}

/// SUM-2, SUM-3, SUM-5: one more review of this reviewer, its outcome now the final one, its
/// requested flags OR-ed in.
fn record_review(
    summary: &mut ItemSummary,
    reviewer: Reviewer,
    outcome: crate::event::FinalApprovalOutcome,
    requested: RequestedFlags,
) {
    let review_count_before = summary.reviews;
    summary.reviews = summary.reviews.saturating_add(1);
    match reviewer {
        Reviewer::Guardian => {
            summary.guardian_reviews = summary.guardian_reviews.saturating_add(1);
        }
        Reviewer::User => {
            summary.user_reviews = summary.user_reviews.saturating_add(1);
        }
    }
    summary.outcome = outcome;
    summary.asked_for_permissions |= requested.additional_permissions;
    summary.asked_for_network |= requested.network_access;
    debug_assert!(summary.reviews > review_count_before);
    debug_assert!(
        summary.reviews
            == summary
                .guardian_reviews
                .saturating_add(summary.user_reviews)
    );
}
