//! SUBJ: the subject, name, trigger and requested flags of user reviews.

use std::borrow::Cow;

use super::trail::Trail;
use crate::event::{SubjectKind, Trigger};
use crate::fact::{Id, NetworkApprovalContext, NetworkPolicyAmendment, PermissionProfile};

/// What a review is about and why it was needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Subject {
    pub(crate) kind: SubjectKind,
    pub(crate) name: Cow<'static, str>,
    pub(crate) trigger: Trigger,
    pub(crate) requested_additional_permissions: bool,
    pub(crate) requested_network_access: bool,
}

/// The two requested flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Requested {
    pub(crate) additional_permissions: bool,
    pub(crate) network_access: bool,
}

/// The parts of a command-execution request that decide its subject.
pub(crate) struct CommandRequest<'a> {
    pub(crate) approval_id: &'a Option<Id>,
    pub(crate) network_approval_context: &'a Option<NetworkApprovalContext>,
    pub(crate) proposed_network_policy_amendments: &'a Option<Vec<NetworkPolicyAmendment>>,
    pub(crate) additional_permissions: &'a Option<PermissionProfile>,
}

/// SUBJ-1..3: the subject of a command-execution request.
pub(crate) fn command_subject(request: &CommandRequest, trail: &mut Trail) -> Subject {
    let (kind, name) = command_kind(request.network_approval_context, trail);
    let requested = command_requested(request, trail);
    Subject {
        kind,
        name: name.into(),
        trigger: command_trigger(request.approval_id, requested, trail),
        requested_additional_permissions: requested.additional_permissions,
        requested_network_access: requested.network_access,
    }
}

/// SUBJ-1: a command request with a network approval context is a network access review.
fn command_kind(
    network_approval_context: &Option<NetworkApprovalContext>,
    trail: &mut Trail,
) -> (SubjectKind, &'static str) {
    trail.mark("SUBJ-1");
    match network_approval_context {
        Some(_) => (SubjectKind::NetworkAccess, "network_access"),
        None => (SubjectKind::CommandExecution, "command_execution"),
    }
}

/// SUBJ-2: the trigger of a command request, first match wins: execve intercept, network policy
/// denial, sandbox denial, initial.
fn command_trigger(approval_id: &Option<Id>, requested: Requested, trail: &mut Trail) -> Trigger {
    trail.mark("SUBJ-2");
    if approval_id.is_some() {
        Trigger::ExecveIntercept
    } else if requested.network_access {
        Trigger::NetworkPolicyDenial
    } else if requested.additional_permissions {
        Trigger::SandboxDenial
    } else {
        Trigger::Initial
    }
}

/// SUBJ-3: network access is requested by a network context, a non-empty list of proposed
/// amendments, or additional permissions with network enabled; additional permissions are
/// requested iff present, even empty.
fn command_requested(request: &CommandRequest, trail: &mut Trail) -> Requested {
    trail.mark("SUBJ-3");
    let amendments_proposed = request
        .proposed_network_policy_amendments
        .as_ref()
        .is_some_and(|amendments| !amendments.is_empty());
    let network_enabled = request
        .additional_permissions
        .as_ref()
        .is_some_and(network_enabled);
    Requested {
        network_access: request.network_approval_context.is_some()
            || amendments_proposed
            || network_enabled,
        additional_permissions: request.additional_permissions.is_some(),
    }
}

/// SUBJ-4: a file-change request is an apply_patch review; a grant root means a sandbox denial
/// that requests additional permissions.
pub(crate) fn file_change_subject(grant_root: &Option<String>, trail: &mut Trail) -> Subject {
    trail.mark("SUBJ-4");
    let escapes_sandbox = grant_root.is_some();
    Subject {
        kind: SubjectKind::FileChange,
        name: "apply_patch".into(),
        trigger: if escapes_sandbox {
            Trigger::SandboxDenial
        } else {
            Trigger::Initial
        },
        requested_additional_permissions: escapes_sandbox,
        requested_network_access: false,
    }
}

/// SUBJ-5: a permissions request; network requested iff network is enabled, additional
/// permissions iff network or a file-system profile; trigger by the same order as SUBJ-2.
pub(crate) fn permissions_subject(permissions: &PermissionProfile, trail: &mut Trail) -> Subject {
    trail.mark("SUBJ-5");
    let network_access = network_enabled(permissions);
    let additional_permissions = network_access || permissions.file_system.is_some();
    Subject {
        kind: SubjectKind::Permissions,
        name: "permissions".into(),
        trigger: if network_access {
            Trigger::NetworkPolicyDenial
        } else if additional_permissions {
            Trigger::SandboxDenial
        } else {
            Trigger::Initial
        },
        requested_additional_permissions: additional_permissions,
        requested_network_access: network_access,
    }
}

fn network_enabled(profile: &PermissionProfile) -> bool {
    profile
        .network
        .as_ref()
        .is_some_and(|network| network.enabled == Some(true))
}
