//! SUM: review summaries denormalized onto tool items.

use super::cap;
use super::iso::{self, ItemKey};
use super::state::{CompletedReview, State, Summary};
use super::trail::Trail;
use crate::event::{
    Diagnostic, FinalApprovalOutcome, Output, Resolution, ReviewStatus, Reviewer, SubjectKind,
};

/// SUM-1: a review denormalizes iff its subject is a command execution, file change or MCP tool
/// call and it names an item.
fn denormalizes(review: &CompletedReview, trail: &mut Trail) -> bool {
    let item_subject = matches!(
        review.subject.kind,
        SubjectKind::CommandExecution | SubjectKind::FileChange | SubjectKind::McpToolCall
    );
    let denormalizes = item_subject && review.item_id.is_some();
    if !denormalizes {
        trail.mark("SUM-1");
    }
    denormalizes
}

/// SUM-1..5: adds a completed review to its item's summary, when it denormalizes.
pub(crate) fn denormalize(state: &mut State, review: &CompletedReview) {
    if !denormalizes(review, &mut state.trail) {
        return;
    }
    let Some(item_id) = &review.item_id else {
        return;
    };
    let key = iso::item_key(&review.thread_id, &review.turn_id, item_id);
    iso::scope(&key, &mut state.trail);
    let previous = state.item_summaries.get(&key).cloned();
    let overwrites_outcome = previous.is_some();
    let mut summary = previous.unwrap_or_else(empty_summary);
    count_review(&mut summary, review.reviewer, &mut state.trail);
    summary.final_approval_outcome = latest_outcome(review, overwrites_outcome, &mut state.trail);
    or_requested_flags(&mut summary, review, &mut state.trail);
    summary.provenance.merge(&review.provenance);
    summary.provenance.merge(&state.trail.provenance());
    if let Some((evicted_key, evicted)) =
        state.item_summaries.upsert(key, summary, &mut state.trail)
    {
        let diagnostic = item_diagnostic(evicted_key, cap::evicted(state.item_summaries.table));
        state.emit_carrying(Output::Diagnostic(diagnostic), &evicted.provenance);
    }
}

/// The summary of an item with no reviews: zero counts, outcome unknown, flags false.
pub(crate) fn empty_summary() -> Summary {
    Summary {
        review_count: 0,
        guardian_review_count: 0,
        user_review_count: 0,
        final_approval_outcome: FinalApprovalOutcome::Unknown,
        requested_additional_permissions: false,
        requested_network_access: false,
        provenance: Default::default(),
    }
}

/// SUM-2: each review counts once in total and once for its reviewer.
fn count_review(summary: &mut Summary, reviewer: Reviewer, trail: &mut Trail) {
    trail.mark("SUM-2");
    summary.review_count += 1;
    match reviewer {
        Reviewer::Guardian => summary.guardian_review_count += 1,
        Reviewer::User => summary.user_review_count += 1,
    }
}

/// SUM-3: the final outcome is the latest review's (SUM-3 decides when it replaces an earlier
/// review's outcome).
fn latest_outcome(
    review: &CompletedReview,
    replaces: bool,
    trail: &mut Trail,
) -> FinalApprovalOutcome {
    if replaces {
        trail.mark("SUM-3");
    }
    outcome(review.reviewer, review.status, review.resolution, trail)
}

/// SUM-4: the outcome of a review from its reviewer, status and resolution.
fn outcome(
    reviewer: Reviewer,
    status: ReviewStatus,
    resolution: Resolution,
    trail: &mut Trail,
) -> FinalApprovalOutcome {
    trail.mark("SUM-4");
    match (reviewer, status) {
        (Reviewer::Guardian, ReviewStatus::Approved) => FinalApprovalOutcome::GuardianApproved,
        (Reviewer::Guardian, ReviewStatus::Denied) => FinalApprovalOutcome::GuardianDenied,
        (Reviewer::Guardian, ReviewStatus::TimedOut | ReviewStatus::Aborted) => {
            FinalApprovalOutcome::GuardianAborted
        }
        (Reviewer::User, ReviewStatus::Approved) if resolution == Resolution::SessionApproval => {
            FinalApprovalOutcome::UserApprovedForSession
        }
        (Reviewer::User, ReviewStatus::Approved) => FinalApprovalOutcome::UserApproved,
        (Reviewer::User, ReviewStatus::Denied) => FinalApprovalOutcome::UserDenied,
        (Reviewer::User, ReviewStatus::TimedOut | ReviewStatus::Aborted) => {
            FinalApprovalOutcome::UserAborted
        }
    }
}

/// SUM-5: the requested flags are OR-ed over the item's reviews.
fn or_requested_flags(summary: &mut Summary, review: &CompletedReview, trail: &mut Trail) {
    trail.mark("SUM-5");
    summary.requested_additional_permissions |= review.subject.requested_additional_permissions;
    summary.requested_network_access |= review.subject.requested_network_access;
}

/// SUM-6: the item's terminal event consumes its summary; without one, the item has no reviews:
/// outcome unknown (SUM-3), flags false (SUM-5).
pub(crate) fn consume_summary(state: &mut State, key: &ItemKey) -> Summary {
    let consumed = state.item_summaries.remove(key);
    if consumed.is_some() {
        state.trail.mark("SUM-6");
    }
    consumed.unwrap_or_else(|| {
        state.trail.mark("SUM-3");
        state.trail.mark("SUM-5");
        empty_summary()
    })
}

/// A diagnostic about an item-keyed entry, with the key's fields.
pub(crate) fn item_diagnostic(key: ItemKey, base: Diagnostic) -> Diagnostic {
    Diagnostic {
        thread_id: Some(key.thread_id),
        turn_id: Some(key.turn_id),
        item_id: Some(key.item_id),
        ..base
    }
}
