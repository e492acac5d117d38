//! What a review or tool-item event says, derived from one fact: subjects, triggers and
//! requested flags (SUBJ, GUARD-1..3), decisions and grants (DEC-1..2, GRANT), outcomes (SUM-4),
//! item statuses (ITEM-4), durations (TIME-1) and review ids (ID).
//!
//! These are pure functions of their arguments. They touch no state and emit nothing; the few that
//! a seeded defect breaks take the reducer's hooks (`hooks`), which answer `false` in production.

use std::borrow::Cow;

use crate::event::{
    FailureKind, FinalApprovalOutcome, Resolution, ReviewStatus, Reviewer, SubjectKind,
    TerminalStatus, Trigger,
};
use crate::fact::{
    CommandDecision, FileChangeDecision, GrantScope, GuardianAction, GuardianStatus, Id,
    ItemStatus, NetworkApprovalContext, NetworkPolicyAction, NetworkPolicyAmendment,
    PermissionProfile, RequestId,
};

use super::Defect;
use super::hooks::Hooks;

/// The two requested flags of a review (SUBJ-3..5, GUARD-2, SUM-5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RequestedFlags {
    pub(crate) additional_permissions: bool,
    pub(crate) network_access: bool,
}

/// A guardian review's subject and trigger (GUARD-1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GuardianSubject {
    pub(crate) kind: SubjectKind,
    pub(crate) name: Cow<'static, str>,
    pub(crate) trigger: Trigger,
}

/// The empty id, which some seeded defects key state under (shared, allocated once).
pub(crate) fn empty_id() -> &'static Id {
    static EMPTY: std::sync::LazyLock<Id> = std::sync::LazyLock::new(|| Id::from(""));
    &EMPTY
}

/// ID-1: a user review's id is `"user:"` and the request id in decimal, every digit of it.
pub(crate) fn user_review_id(hooks: &impl Hooks, request_id: RequestId) -> Id {
    if hooks.breaks(Defect::ReviewIdOfNineteenDigits) {
        return decimal_review_id(request_id % 10_000_000_000_000_000_000);
    }
    decimal_review_id(request_id)
}

/// `"user:"` and `request_id` in decimal.
fn decimal_review_id(request_id: RequestId) -> Id {
    // Written digit by digit: `format!` costs more than the rest of a closing fact's work.
    // Into a buffer on the stack, right to left, then one allocation for the shared id.
    let mut text = [0u8; 25];
    let mut at = text.len();
    let mut rest = request_id;
    loop {
        at -= 1;
        text[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    at -= 5;
    text[at..at + 5].copy_from_slice(b"user:");
    // ASCII digits after an ASCII prefix.
    Id::from_ascii(&text[at..])
}

/// SUBJ-1: a command request with a network approval context is a network access review.
pub(crate) fn command_subject(
    hooks: &impl Hooks,
    network_approval_context: Option<&NetworkApprovalContext>,
) -> (SubjectKind, &'static str) {
    if hooks.breaks(Defect::NetworkAsCommand) {
        return (SubjectKind::CommandExecution, "command_execution");
    }
    if network_approval_context.is_some() {
        (SubjectKind::NetworkAccess, "network_access")
    } else {
        (SubjectKind::CommandExecution, "command_execution")
    }
}

/// SUBJ-2: a command request's trigger, first match wins: execve, network, sandbox, initial.
pub(crate) fn command_trigger(
    hooks: &impl Hooks,
    has_approval_id: bool,
    flags: RequestedFlags,
) -> Trigger {
    if hooks.breaks(Defect::NetworkTriggerBeforeExecve) && flags.network_access {
        return Trigger::NetworkPolicyDenial;
    }
    if has_approval_id {
        Trigger::ExecveIntercept
    } else {
        sandbox_trigger(flags)
    }
}

/// GUARD-3, GUARD-4: a terminal guardian status maps to the same review status; `in_progress`
/// completes nothing (`None`).
pub(crate) fn guardian_status(hooks: &impl Hooks, status: GuardianStatus) -> Option<ReviewStatus> {
    match status {
        GuardianStatus::Approved => Some(ReviewStatus::Approved),
        GuardianStatus::Denied => Some(ReviewStatus::Denied),
        GuardianStatus::TimedOut => Some(ReviewStatus::TimedOut),
        GuardianStatus::Aborted => Some(ReviewStatus::Aborted),
        GuardianStatus::InProgress => {
            if hooks.breaks(Defect::GuardianInProgressEmitted) {
                return Some(ReviewStatus::Aborted);
            }
            None
        }
    }
}

/// GRANT-1, GRANT-2: an empty effective grant is a denial whatever its scope; a non-empty one is
/// an approval, resolved by scope.
pub(crate) fn grant_decision(
    hooks: &impl Hooks,
    permissions: &PermissionProfile,
    scope: GrantScope,
) -> (ReviewStatus, Resolution) {
    let empty = is_empty_grant(permissions) && !hooks.breaks(Defect::EmptyGrantApproved);
    if empty {
        return (ReviewStatus::Denied, Resolution::None);
    }
    match scope {
        GrantScope::Turn => (ReviewStatus::Approved, Resolution::None),
        GrantScope::Session => {
            if hooks.breaks(Defect::ScopeIgnored) {
                return (ReviewStatus::Approved, Resolution::None);
            }
            (ReviewStatus::Approved, Resolution::SessionApproval)
        }
    }
}

/// TIME-1: `completed - started` when not negative, else null; never wraps.
pub(crate) fn duration_ms(
    hooks: &impl Hooks,
    started_at_ms: u64,
    completed_at_ms: u64,
) -> Option<u64> {
    if hooks.breaks(Defect::DurationUnderflow) {
        return Some(completed_at_ms.wrapping_sub(started_at_ms));
    }
    completed_at_ms.checked_sub(started_at_ms)
}

/// SUBJ-3: a command request's requested flags.
pub(crate) fn command_requested_flags(
    network_approval_context: Option<&NetworkApprovalContext>,
    proposed_network_policy_amendments: Option<&[NetworkPolicyAmendment]>,
    additional_permissions: Option<&PermissionProfile>,
) -> RequestedFlags {
    let amendments_proposed = proposed_network_policy_amendments.is_some_and(|a| !a.is_empty());
    let network_enabled = additional_permissions.is_some_and(network_enabled);
    RequestedFlags {
        additional_permissions: additional_permissions.is_some(),
        network_access: network_approval_context.is_some()
            || amendments_proposed
            || network_enabled,
    }
}

/// SUBJ-4: a file-change request asks for additional permissions, and is a sandbox denial, iff
/// it carries a grant root.
pub(crate) fn file_change_review(grant_root: Option<&str>) -> (RequestedFlags, Trigger) {
    let flags = RequestedFlags {
        additional_permissions: grant_root.is_some(),
        network_access: false,
    };
    let trigger = if flags.additional_permissions {
        Trigger::SandboxDenial
    } else {
        Trigger::Initial
    };
    (flags, trigger)
}

/// SUBJ-5: the requested flags of a permissions request (and of a guardian
/// `request_permissions` action, GUARD-2).
pub(crate) fn permissions_requested_flags(permissions: &PermissionProfile) -> RequestedFlags {
    let network_access = network_enabled(permissions);
    RequestedFlags {
        additional_permissions: network_access || permissions.file_system.is_some(),
        network_access,
    }
}

/// SUBJ-5 (and the tail of SUBJ-2): network policy denial if network access was requested, else
/// sandbox denial if additional permissions were, else initial.
pub(crate) fn sandbox_trigger(flags: RequestedFlags) -> Trigger {
    if flags.network_access {
        Trigger::NetworkPolicyDenial
    } else if flags.additional_permissions {
        Trigger::SandboxDenial
    } else {
        Trigger::Initial
    }
}

fn network_enabled(permissions: &PermissionProfile) -> bool {
    permissions
        .network
        .as_ref()
        .is_some_and(|network| network.enabled == Some(true))
}

/// GUARD-1: a guardian review's subject, name and trigger, by action.
pub(crate) fn guardian_subject(action: &GuardianAction) -> GuardianSubject {
    let (kind, name, trigger) = match action {
        GuardianAction::Command { .. } => (
            SubjectKind::CommandExecution,
            "command_execution",
            Trigger::Initial,
        ),
        GuardianAction::Execve { .. } => (
            SubjectKind::CommandExecution,
            "command_execution",
            Trigger::ExecveIntercept,
        ),
        GuardianAction::ApplyPatch { .. } => (
            SubjectKind::FileChange,
            "apply_patch",
            Trigger::SandboxDenial,
        ),
        GuardianAction::NetworkAccess { .. } => (
            SubjectKind::NetworkAccess,
            "network_access",
            Trigger::NetworkPolicyDenial,
        ),
        GuardianAction::RequestPermissions { permissions } => (
            SubjectKind::Permissions,
            "permissions",
            sandbox_trigger(permissions_requested_flags(permissions)),
        ),
        GuardianAction::McpToolCall { tool_name, .. } => {
            return GuardianSubject {
                kind: SubjectKind::McpToolCall,
                name: Cow::Owned(tool_name.clone()),
                trigger: Trigger::Initial,
            };
        }
    };
    GuardianSubject {
        kind,
        name: Cow::Borrowed(name),
        trigger,
    }
}

/// GUARD-2: a guardian review's requested flags, by action.
pub(crate) fn guardian_requested_flags(action: &GuardianAction) -> RequestedFlags {
    match action {
        GuardianAction::ApplyPatch { .. } => RequestedFlags {
            additional_permissions: true,
            network_access: false,
        },
        GuardianAction::NetworkAccess { .. } => RequestedFlags {
            additional_permissions: true,
            network_access: true,
        },
        GuardianAction::RequestPermissions { permissions } => {
            permissions_requested_flags(permissions)
        }
        GuardianAction::Command { .. }
        | GuardianAction::Execve { .. }
        | GuardianAction::McpToolCall { .. } => RequestedFlags::default(),
    }
}

/// DEC-1: a command decision's status and resolution. The status says whether the command may
/// run; the resolution names what, beyond this once, the decision also granted or recorded.
pub(crate) fn command_decision(decision: &CommandDecision) -> (ReviewStatus, Resolution) {
    let denies_network = matches!(
        decision,
        CommandDecision::ApplyNetworkPolicyAmendment { network_policy_amendment }
            if network_policy_amendment.action == NetworkPolicyAction::Deny
    );
    let status = match decision {
        CommandDecision::Cancel => ReviewStatus::Aborted,
        CommandDecision::Decline => ReviewStatus::Denied,
        _ if denies_network => ReviewStatus::Denied,
        _ => ReviewStatus::Approved,
    };
    let resolution = match decision {
        CommandDecision::AcceptForSession => Resolution::SessionApproval,
        CommandDecision::AcceptWithExecpolicyAmendment { .. } => Resolution::ExecPolicyAmendment,
        CommandDecision::ApplyNetworkPolicyAmendment { .. } => Resolution::NetworkPolicyAmendment,
        _ => Resolution::None,
    };
    (status, resolution)
}

/// DEC-2: a file-change decision's status and resolution: a file change is only ever approved
/// once or for the session.
pub(crate) fn file_change_decision(decision: FileChangeDecision) -> (ReviewStatus, Resolution) {
    let status = match decision {
        FileChangeDecision::Cancel => ReviewStatus::Aborted,
        FileChangeDecision::Decline => ReviewStatus::Denied,
        FileChangeDecision::Accept | FileChangeDecision::AcceptForSession => ReviewStatus::Approved,
    };
    let resolution = if decision == FileChangeDecision::AcceptForSession {
        Resolution::SessionApproval
    } else {
        Resolution::None
    };
    (status, resolution)
}

/// GRANT-3: a profile is empty iff both its network and file-system parts are absent.
pub(crate) fn is_empty_grant(permissions: &PermissionProfile) -> bool {
    permissions.network.is_none() && permissions.file_system.is_none()
}

/// SUM-4: the approval outcome of a completed review: who decided, crossed with how it ended
/// (approved, approved for the session by a user, denied, or ended without a decision).
pub(crate) fn approval_outcome(
    reviewer: Reviewer,
    status: ReviewStatus,
    resolution: Resolution,
) -> FinalApprovalOutcome {
    use FinalApprovalOutcome as Outcome;
    let ended = |guardian: Outcome, user: Outcome| match reviewer {
        Reviewer::Guardian => guardian,
        Reviewer::User => user,
    };
    match status {
        ReviewStatus::Approved if resolution == Resolution::SessionApproval => {
            ended(Outcome::GuardianApproved, Outcome::UserApprovedForSession)
        }
        ReviewStatus::Approved => ended(Outcome::GuardianApproved, Outcome::UserApproved),
        ReviewStatus::Denied => ended(Outcome::GuardianDenied, Outcome::UserDenied),
        // User reviews never time out; were one to, it ended without approval like an abort.
        ReviewStatus::Aborted | ReviewStatus::TimedOut => {
            ended(Outcome::GuardianAborted, Outcome::UserAborted)
        }
    }
}

/// ITEM-4: a terminal item status's terminal status and failure kind; `None` for
/// `in_progress`, which is not terminal (ITEM-5).
pub(crate) fn item_terminal_status(
    status: ItemStatus,
) -> Option<(TerminalStatus, Option<FailureKind>)> {
    match status {
        ItemStatus::Completed => Some((TerminalStatus::Completed, None)),
        ItemStatus::Failed => Some((TerminalStatus::Failed, Some(FailureKind::ToolError))),
        ItemStatus::Declined => Some((TerminalStatus::Rejected, Some(FailureKind::ApprovalDenied))),
        ItemStatus::InProgress => None,
    }
}

/// SUM-1: only command, file-change and MCP reviews denormalize onto tool items.
pub(crate) fn denormalizes(subject_kind: SubjectKind) -> bool {
    match subject_kind {
        SubjectKind::CommandExecution | SubjectKind::FileChange | SubjectKind::McpToolCall => true,
        SubjectKind::Permissions | SubjectKind::NetworkAccess => false,
    }
}

/// A timestamp that TIME-2 already checked is not negative, as the unsigned event field.
pub(crate) fn timestamp_ms(value: i64) -> u64 {
    debug_assert!(value >= 0);
    u64::try_from(value).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::NoDefects;
    use crate::fact::NetworkPermission;

    #[test]
    fn user_review_id_is_prefixed_decimal() {
        assert_eq!(&*user_review_id(&NoDefects, 41), "user:41");
        assert_eq!(&*user_review_id(&NoDefects, 0), "user:0");
        assert_eq!(
            &*user_review_id(&NoDefects, u64::MAX),
            "user:18446744073709551615"
        );
    }

    #[test]
    fn empty_proposed_amendments_request_no_network() {
        let flags = command_requested_flags(None, Some(&[]), None);
        assert_eq!(flags, RequestedFlags::default());
    }

    #[test]
    fn approval_id_wins_over_network_context() {
        let flags = RequestedFlags {
            additional_permissions: false,
            network_access: true,
        };
        assert_eq!(
            command_trigger(&NoDefects, true, flags),
            Trigger::ExecveIntercept
        );
    }

    #[test]
    fn disabled_network_is_not_an_empty_grant() {
        let permissions = PermissionProfile {
            network: Some(NetworkPermission {
                enabled: Some(false),
            }),
            file_system: None,
        };
        assert!(!is_empty_grant(&permissions));
        assert!(is_empty_grant(&PermissionProfile::default()));
    }

    #[test]
    fn duration_is_null_when_completion_precedes_start() {
        assert_eq!(duration_ms(&NoDefects, 1042, 1000), None);
        assert_eq!(duration_ms(&NoDefects, 1000, 1042), Some(42));
        assert_eq!(duration_ms(&NoDefects, 0, u64::MAX), Some(u64::MAX));
    }
}
