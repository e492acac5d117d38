//! SUM: review summaries denormalized onto tool items.

use super::iso::{self, ItemKey};
use super::state::{CompletedReview, State, Summary};
use super::trail::{Entry, Trail};
use super::why::{Aspect, Mark, Why};
use super::{cap, subj};
use crate::event::{
    Diagnostic, FinalApprovalOutcome, Resolution, ReviewStatus, Reviewer, SubjectKind,
};

/// SUM-1: a review denormalizes iff its subject is a command execution, file change or MCP tool
/// call and it names an item. Returns the exclusion's mark when it does not.
fn denormalizes(review: &CompletedReview, trail: &mut Trail) -> Result<(), Mark> {
    let item_subject = matches!(
        review.subject.kind,
        SubjectKind::CommandExecution | SubjectKind::FileChange | SubjectKind::McpToolCall
    );
    if item_subject && review.item_id.is_some() {
        Ok(())
    } else {
        Err(trail.exception("SUM-1"))
    }
}

/// The fields of a summary, as the tool-item event shows them.
pub(crate) const SUMMARY_FIELDS: [Aspect; 6] = [
    COUNT,
    Aspect::Field("guardian_review_count"),
    Aspect::Field("user_review_count"),
    OUTCOME,
    Aspect::Field("requested_additional_permissions"),
    Aspect::Field("requested_network_access"),
];
const COUNT: Aspect = Aspect::Field("review_count");
const OUTCOME: Aspect = Aspect::Field("final_approval_outcome");

/// SUM-1..5: adds a completed review to its item's summary, when it denormalizes.
pub(crate) fn denormalize(state: &mut State, review: &CompletedReview) {
    let excluded = denormalizes(review, &mut state.trail);
    let Some(item_id) = &review.item_id else {
        return;
    };
    let key = iso::item_key(&review.thread_id, &review.turn_id, item_id);
    if let Err(excludes) = excluded {
        // The item's summary is without this review, by SUM-1.
        exclude(state, &key, review, excludes);
        return;
    }
    let isolates = iso::scope(&key, &mut state.trail);
    let previous = state.item_summaries.get(&key).cloned();
    let overwrites_outcome = previous.is_some();
    let mut summary = previous.unwrap_or_else(|| {
        let mut fresh = empty_summary();
        // Why there was none: consumed, released, evicted, or excluded before.
        let gone = state.trail.why_gone(&Entry::summary(&key));
        fresh.why.carry_all_as(Aspect::Exists, &gone);
        fresh
    });
    let counted_before = summary.review_count > 0;
    count_review(&mut summary, review, &mut state.trail);
    let (outcome, outcome_why) = latest_outcome(review, overwrites_outcome, &mut state.trail);
    summary.final_approval_outcome = outcome;
    summary.why.drop_aspect(OUTCOME);
    summary.why.merge(&outcome_why);
    or_requested_flags(&mut summary, review, counted_before, &mut state.trail);
    if let Some(isolates) = isolates {
        summary.why.also(isolates);
    }
    if overwrites_outcome {
        cap::keep_place(&mut summary.why, &mut state.trail);
    }
    if let Some((evicted_key, evicted)) =
        state.item_summaries.upsert(key, summary, &mut state.trail)
    {
        let entry = Entry::summary(&evicted_key);
        let diagnostic = item_diagnostic(evicted_key, cap::evicted(state.item_summaries.table));
        state.emit_evicted(diagnostic, entry, &evicted.why);
    }
}

/// SUM-1: a review kept off its item's summary: the summary, or its absence, is decided by the
/// exclusion too.
fn exclude(state: &mut State, key: &ItemKey, review: &CompletedReview, excludes: Mark) {
    // The exclusion follows from the review's subject kind.
    let mut why = Why::default();
    for field in SUMMARY_FIELDS {
        why.carry(field, &review.why, subj::KIND[0]);
        why.add(field, excludes);
    }
    if let Some(summary) = state.item_summaries.get_mut(key) {
        summary.why.merge(&why);
    } else {
        let mut gone = state.trail.why_gone(&Entry::summary(key));
        gone.carry(Aspect::Exists, &review.why, subj::KIND[0]);
        gone.add(Aspect::Exists, excludes);
        state.trail.note_gone(Entry::summary(key), gone);
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
        why: Why::default(),
    }
}

/// SUM-2: each review counts once in total and once for its reviewer.
fn count_review(summary: &mut Summary, review: &CompletedReview, trail: &mut Trail) {
    let counts = trail.mark("SUM-2");
    let reviewer_count = match review.reviewer {
        Reviewer::Guardian => {
            summary.guardian_review_count += 1;
            Aspect::Field("guardian_review_count")
        }
        Reviewer::User => {
            summary.user_review_count += 1;
            Aspect::Field("user_review_count")
        }
    };
    summary.review_count += 1;
    let why = &mut summary.why;
    why.add_each(&[Aspect::Exists, Aspect::Order(1)], counts);
    for field in [COUNT, reviewer_count] {
        why.carry(field, &review.why, Aspect::Exists);
        why.add(field, counts);
    }
    why.carry(reviewer_count, &review.why, Aspect::Field("reviewer"));
}

/// SUM-3: the final outcome is the latest review's (SUM-3 decides when it replaces an earlier
/// review's outcome).
fn latest_outcome(
    review: &CompletedReview,
    replaces: bool,
    trail: &mut Trail,
) -> (FinalApprovalOutcome, Why) {
    let mut why = Why::default();
    if replaces {
        why.add(OUTCOME, trail.exception("SUM-3"));
    }
    for field in ["status", "resolution", "reviewer"] {
        why.carry(OUTCOME, &review.why, Aspect::Field(field));
    }
    let (outcome, maps) = outcome(review.reviewer, review.status, review.resolution, trail);
    why.add(OUTCOME, maps);
    (outcome, why)
}

/// SUM-4: the outcome of a review from its reviewer, status and resolution.
fn outcome(
    reviewer: Reviewer,
    status: ReviewStatus,
    resolution: Resolution,
    trail: &mut Trail,
) -> (FinalApprovalOutcome, Mark) {
    let maps = trail.mark("SUM-4");
    let outcome = match (reviewer, status) {
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
    };
    (outcome, maps)
}

/// SUM-5: the requested flags are OR-ed over the item's reviews (SUM-5 decides when the review
/// is not the item's first).
fn or_requested_flags(
    summary: &mut Summary,
    review: &CompletedReview,
    combines: bool,
    trail: &mut Trail,
) {
    let ors = if combines {
        trail.exception("SUM-5")
    } else {
        trail.mark("SUM-5")
    };
    summary.requested_additional_permissions |= review.subject.requested_additional_permissions;
    summary.requested_network_access |= review.subject.requested_network_access;
    summary.why.carry_each(&subj::FLAGS, &review.why);
    if combines {
        summary.why.add_each(&subj::FLAGS, ors);
    }
}

/// SUM-6: the item's terminal event consumes its summary; without one, the item has no reviews:
/// outcome unknown (SUM-3), flags false (SUM-5).
pub(crate) fn consume_summary(state: &mut State, key: &ItemKey) -> Summary {
    if let Some(consumed) = state.item_summaries.remove(key) {
        let consumes = state.trail.mark("SUM-6");
        let gone = Why::of_mark(&[Aspect::Exists], consumes);
        state.trail.note_gone(Entry::summary(key), gone);
        return consumed;
    }
    let mut empty = empty_summary();
    let none = state.trail.mark("SUM-6");
    empty.why.add_each(&SUMMARY_FIELDS, none);
    // Why there is none: consumed, released, evicted, or excluded before.
    let gone = state.trail.why_gone(&Entry::summary(key));
    for field in SUMMARY_FIELDS {
        empty.why.carry_all_as(field, &gone);
    }
    empty.why.add(OUTCOME, state.trail.mark("SUM-3"));
    empty.why.add_each(&subj::FLAGS, state.trail.mark("SUM-5"));
    empty
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
