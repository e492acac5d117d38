//! Guardian reviews (GUARD-1..5, DEDUP-1..2, ID-2): a terminal completion, the first for its
//! `(thread, review id)`, completes a review.

use crate::event::{DiagnosticReason, Output, Resolution, Reviewer};
use crate::fact::{Fact, GuardianAction, GuardianStatus, Id};
use crate::fields::Fields;
use crate::profile::Departure;

use super::Defect;
use super::derive::{guardian_requested_flags, guardian_status, guardian_subject};
use super::entries::GuardianKeyView;
use super::hooks::Hooks;
use super::review::CompletedReview;

use super::Reducer;
use super::derive::timestamp_ms;
use super::diagnostic::push_fact_diagnostic;

impl<H: Hooks> Reducer<H> {
    /// GUARD-1..5, DEDUP-1, ID-2: a terminal guardian completion, the first for its
    /// `(thread, review id)`, is remembered for its turn and completes a guardian review; an
    /// `in_progress` one or a repeat is reported and changes nothing.
    pub(super) fn guardian_review_completed(
        &mut self,
        fact: &Fact,
        completion: &GuardianCompletion<'_>,
        outputs: &mut Vec<Output>,
    ) {
        let Some(status) = guardian_status(&self.hooks, completion.status) else {
            push_fact_diagnostic(DiagnosticReason::GuardianInProgress, fact, outputs);
            return;
        };
        let key = GuardianKeyView {
            thread_id: completion.thread_id,
            review_id: completion.review_id,
        };
        // UP-DEDUP-1: upstream counts every terminal completion and remembers none.
        if !self.upstream(Departure::Dedup1) {
            let seen = self.state.guardian_seen(key);
            let seen_in_another_turn = || {
                self.state
                    .guardian_seen_turn(key)
                    .is_some_and(|turn_id| turn_id != completion.turn_id)
            };
            let seen = seen
                && !self.hooks.breaks(Defect::DuplicateGuardianCounted)
                && !(self.hooks.breaks(Defect::GuardianDedupPerTurn) && seen_in_another_turn());
            if seen {
                if self.hooks.breaks(Defect::GuardianMemoryOutlivesTurn) && seen_in_another_turn() {
                    // Re-filed under no turn, which no `turn_completed` names.
                    self.state.forget_guardian(key);
                    let evicted = self
                        .state
                        .mark_guardian_seen(key, super::derive::empty_id());
                    debug_assert!(evicted.is_none());
                }
                push_fact_diagnostic(DiagnosticReason::DuplicateGuardianCompletion, fact, outputs);
                return;
            }
            let evicted = self.state.mark_guardian_seen(key, completion.turn_id);
            self.report_eviction(evicted, outputs);
        }
        let subject = guardian_subject(completion.action);
        let review = CompletedReview {
            thread_id: completion.thread_id.clone(),
            turn_id: completion.turn_id.clone(),
            item_id: completion.target_item_id.cloned(),
            review_id: completion.review_id.clone(),
            subject_kind: subject.kind,
            subject_name: subject.name,
            reviewer: Reviewer::Guardian,
            trigger: subject.trigger,
            status,
            resolution: Resolution::None,
            requested: guardian_requested_flags(completion.action),
            started_at_ms: completion.started_at_ms,
            completed_at_ms: completion.completed_at_ms,
        };
        self.complete_review(review, outputs);
    }
}

/// A guardian completion's fields, borrowed from its fact, timestamps already checked (TIME-2).
pub(super) struct GuardianCompletion<'f> {
    pub(super) thread_id: &'f Id,
    pub(super) turn_id: &'f Id,
    pub(super) review_id: &'f Id,
    pub(super) target_item_id: Option<&'f Id>,
    pub(super) action: &'f GuardianAction,
    pub(super) status: GuardianStatus,
    pub(super) started_at_ms: u64,
    pub(super) completed_at_ms: u64,
}

impl<'f> GuardianCompletion<'f> {
    /// The fields of a guardian completion fact (None for any other fact); its timestamps were
    /// checked by TIME-2 before.
    pub(super) fn of(fact: &'f Fact) -> Option<GuardianCompletion<'f>> {
        let Fact::GuardianReviewCompleted { action, status, .. } = fact else {
            return None;
        };
        let ids = Fields::of(fact);
        Some(GuardianCompletion {
            thread_id: ids.thread?,
            turn_id: ids.turn?,
            review_id: ids.review?,
            target_item_id: ids.item,
            action,
            status: *status,
            started_at_ms: timestamp_ms(ids.started_ms?),
            completed_at_ms: timestamp_ms(ids.completed_ms?),
        })
    }
}
