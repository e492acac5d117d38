//! DEC: command and file decisions, aborts and malformed responses.

use super::trail::Trail;
use super::why::Mark;
use crate::event::{Resolution, ReviewStatus};
use crate::fact::{CommandDecision, FileChangeDecision, NetworkPolicyAction};

/// A closing fact's status and resolution, with the decisions behind each.
pub(crate) type Decided = (ReviewStatus, Resolution, Mark, Mark);

/// DEC-1: a command decision's status and resolution.
pub(crate) fn command_decision(decision: &CommandDecision, trail: &mut Trail) -> Decided {
    let decides = trail.mark("DEC-1");
    let (status, resolution) = match decision {
        CommandDecision::Accept => (ReviewStatus::Approved, Resolution::None),
        CommandDecision::AcceptForSession => (ReviewStatus::Approved, Resolution::SessionApproval),
        CommandDecision::AcceptWithExecpolicyAmendment { .. } => {
            (ReviewStatus::Approved, Resolution::ExecPolicyAmendment)
        }
        CommandDecision::ApplyNetworkPolicyAmendment {
            network_policy_amendment,
        } => match network_policy_amendment.action {
            NetworkPolicyAction::Allow => {
                (ReviewStatus::Approved, Resolution::NetworkPolicyAmendment)
            }
            NetworkPolicyAction::Deny => (ReviewStatus::Denied, Resolution::NetworkPolicyAmendment),
        },
        CommandDecision::Decline => (ReviewStatus::Denied, Resolution::None),
        CommandDecision::Cancel => (ReviewStatus::Aborted, Resolution::None),
    };
    (status, resolution, decides, decides)
}

/// DEC-2: a file-change decision's status and resolution.
pub(crate) fn file_change_decision(decision: FileChangeDecision, trail: &mut Trail) -> Decided {
    let decides = trail.mark("DEC-2");
    let (status, resolution) = match decision {
        FileChangeDecision::Accept => (ReviewStatus::Approved, Resolution::None),
        FileChangeDecision::AcceptForSession => {
            (ReviewStatus::Approved, Resolution::SessionApproval)
        }
        FileChangeDecision::Decline => (ReviewStatus::Denied, Resolution::None),
        FileChangeDecision::Cancel => (ReviewStatus::Aborted, Resolution::None),
    };
    (status, resolution, decides, decides)
}

/// DEC-3: an abort closes any review as aborted.
pub(crate) fn abort(trail: &mut Trail) -> Decided {
    let decides = trail.mark("DEC-3");
    (ReviewStatus::Aborted, Resolution::None, decides, decides)
}

/// DEC-4: a malformed response closes any review as denied, as the handler's fallback does.
pub(crate) fn malformed(trail: &mut Trail) -> Decided {
    let decides = trail.mark("DEC-4");
    (ReviewStatus::Denied, Resolution::None, decides, decides)
}
