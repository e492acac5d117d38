//! GUARD: guardian reviews: subject, trigger, flags, status and timing.

use super::state::{CompletedReview, State};
use super::subj::{self, Subject};
use super::trail::Trail;
use super::why::{Aspect, Mark, Why};
use super::{ctx, dedup, fate, id, time};
use crate::event::{
    DiagnosticReason, Identity, Output, Resolution, ReviewStatus, Reviewer, SubjectKind, Trigger,
};
use crate::fact::{Fact, GuardianAction, GuardianStatus};

/// GUARD-4, DEDUP-1, then GUARD-1..5: a guardian completion that is terminal and not yet counted
/// completes a guardian review.
pub(crate) fn complete_guardian_review(state: &mut State, fact: &Fact) {
    let Fact::GuardianReviewCompleted {
        thread_id,
        turn_id,
        review_id,
        target_item_id,
        action,
        status,
        started_at_ms,
        completed_at_ms,
        ..
    } = fact
    else {
        return;
    };
    let identity = Identity::Review {
        review_id: id::guardian_review_id(review_id),
    };
    let (status, decides) = terminal_status(*status, &mut state.trail);
    let Some(status) = status else {
        let why = Why::of_mark(&[Aspect::Exists], decides);
        state.trail.withhold(identity, why.clone());
        let diagnostic = fate::about_fact(fact, DiagnosticReason::GuardianInProgress);
        state.emit(Output::Diagnostic(diagnostic), why);
        return;
    };
    state
        .trail
        .withhold_diagnostic(DiagnosticReason::GuardianInProgress, decides);
    let Some(counts) = dedup::first_completion(state, fact, thread_id, turn_id, review_id) else {
        return;
    };
    let trail = &mut state.trail;
    let mut why = Why::of_mark(
        &[
            Aspect::Exists,
            Aspect::Field("status"),
            Aspect::Field("resolution"),
            Aspect::Field("reviewer"),
        ],
        decides,
    );
    why.merge(&counts);
    why.add_each(&IDENTIFIED, trail.mark("ID-2"));
    let (started_at_ms, completed_at_ms, timed) =
        guardian_timing(*started_at_ms, *completed_at_ms, trail);
    why.add_each(&TIMED, timed);
    let (subject, subject_why) = action_subject(action, trail);
    why.merge(&subject_why);
    let review = CompletedReview {
        thread_id: thread_id.clone(),
        turn_id: turn_id.clone(),
        item_id: target_item_id.clone(),
        review_id: id::guardian_review_id(review_id),
        subject,
        reviewer: Reviewer::Guardian,
        status,
        resolution: Resolution::None,
        started_at_ms,
        completed_at_ms,
        why,
    };
    ctx::emit_review(state, review);
}

/// What ID-2 decides: the review's id, and the thread, turn and item it names as they are.
const IDENTIFIED: [Aspect; 4] = [
    Aspect::Field("review_id"),
    Aspect::Field("thread_id"),
    Aspect::Field("turn_id"),
    Aspect::Field("item_id"),
];
/// What GUARD-5 decides.
const TIMED: [Aspect; 2] = [
    Aspect::Field("started_at_ms"),
    Aspect::Field("completed_at_ms"),
];

/// GUARD-1 and GUARD-2: the subject, trigger and requested flags of a guardian action. GUARD-1's
/// table, with GUARD-2's flags (additional permissions, network access) as its last column.
fn action_subject(action: &GuardianAction, trail: &mut Trail) -> (Subject, Why) {
    let table = trail.mark("GUARD-1");
    let flags = trail.mark("GUARD-2");
    const NEITHER: (bool, bool) = (false, false);
    let (kind, name, trigger, (requested_additional_permissions, requested_network_access)) =
        match action {
            GuardianAction::Command { .. } => (
                SubjectKind::CommandExecution,
                "command_execution".to_owned(),
                Trigger::Initial,
                NEITHER,
            ),
            GuardianAction::Execve { .. } => (
                SubjectKind::CommandExecution,
                "command_execution".to_owned(),
                Trigger::ExecveIntercept,
                NEITHER,
            ),
            GuardianAction::ApplyPatch { .. } => (
                SubjectKind::FileChange,
                "apply_patch".to_owned(),
                Trigger::SandboxDenial,
                (true, false),
            ),
            GuardianAction::NetworkAccess { .. } => (
                SubjectKind::NetworkAccess,
                "network_access".to_owned(),
                Trigger::NetworkPolicyDenial,
                (true, true),
            ),
            GuardianAction::McpToolCall { tool_name, .. } => (
                SubjectKind::McpToolCall,
                tool_name.clone(),
                Trigger::Initial,
                NEITHER,
            ),
            // `permissions`; trigger and flags as SUBJ-5 on the action's permissions.
            GuardianAction::RequestPermissions { permissions } => {
                return subj::permissions_subject(permissions, trail);
            }
        };
    let subject = Subject {
        kind,
        name: name.into(),
        trigger,
        requested_additional_permissions,
        requested_network_access,
    };
    (subject, subj::subject_why(table, flags, table, &[]))
}

/// GUARD-3 and GUARD-4: a terminal guardian status maps to the same review status; in_progress
/// is not terminal.
fn terminal_status(status: GuardianStatus, trail: &mut Trail) -> (Option<ReviewStatus>, Mark) {
    match status {
        GuardianStatus::InProgress => (None, trail.exception("GUARD-4")),
        GuardianStatus::Approved => guardian_status(ReviewStatus::Approved, trail),
        GuardianStatus::Denied => guardian_status(ReviewStatus::Denied, trail),
        GuardianStatus::TimedOut => guardian_status(ReviewStatus::TimedOut, trail),
        GuardianStatus::Aborted => guardian_status(ReviewStatus::Aborted, trail),
    }
}

/// GUARD-3: the review status of a terminal guardian status (its resolution is always none).
fn guardian_status(status: ReviewStatus, trail: &mut Trail) -> (Option<ReviewStatus>, Mark) {
    (Some(status), trail.mark("GUARD-3"))
}

/// GUARD-5: a guardian review's timestamps are the notification's.
fn guardian_timing(
    started_at_ms: i64,
    completed_at_ms: i64,
    trail: &mut Trail,
) -> (u64, u64, Mark) {
    (
        time::event_ms(started_at_ms),
        time::event_ms(completed_at_ms),
        trail.mark("GUARD-5"),
    )
}
