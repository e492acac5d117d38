//! SUBJ: the subject, name, trigger and requested flags of user reviews.

use std::borrow::Cow;

use super::trail::Trail;
use super::why::{Aspect, Mark, Why};
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

/// The fields of a review (and of its item's summary) that a subject decides.
pub(crate) const KIND: [Aspect; 2] = [Aspect::Field("subject_kind"), Aspect::Field("subject_name")];
pub(crate) const TRIGGER: Aspect = Aspect::Field("trigger");
pub(crate) const FLAGS: [Aspect; 2] = [ADDITIONAL_PERMISSIONS, NETWORK_ACCESS];
const ADDITIONAL_PERMISSIONS: Aspect = Aspect::Field("requested_additional_permissions");
const NETWORK_ACCESS: Aspect = Aspect::Field("requested_network_access");

/// The decisions behind a subject: `kind` decided its kind and name, `flags` its flags, and
/// `trigger` its trigger from the flags that it read (`read`), which it carries first.
pub(crate) fn subject_why(kind: Mark, flags: Mark, trigger: Mark, read: &[Aspect]) -> Why {
    let mut why = Why::of_mark(&KIND, kind);
    why.add_each(&FLAGS, flags);
    for aspect in read {
        why.carry(TRIGGER, &why.clone(), *aspect);
    }
    why.add(TRIGGER, trigger);
    why
}

/// The flags a trigger that follows SUBJ-2's order read to find itself: the first that is set,
/// or both when neither is.
fn flags_read(network_access: bool, additional_permissions: bool) -> &'static [Aspect] {
    if network_access {
        &[NETWORK_ACCESS]
    } else if additional_permissions {
        &[ADDITIONAL_PERMISSIONS]
    } else {
        &FLAGS
    }
}

/// SUBJ-1..3: the subject of a command-execution request, with the decisions behind it.
pub(crate) fn command_subject(request: &CommandRequest, trail: &mut Trail) -> (Subject, Why) {
    let (kind, name, kind_decided) = command_kind(request.network_approval_context, trail);
    let (requested, flags_decided) = command_requested(request, trail);
    let (trigger, trigger_decided) = command_trigger(request.approval_id, requested, trail);
    let read = if request.approval_id.is_some() {
        &[][..]
    } else {
        flags_read(requested.network_access, requested.additional_permissions)
    };
    let subject = Subject {
        kind,
        name: name.into(),
        trigger,
        requested_additional_permissions: requested.additional_permissions,
        requested_network_access: requested.network_access,
    };
    let why = subject_why(kind_decided, flags_decided, trigger_decided, read);
    (subject, why)
}

/// SUBJ-1: a command request with a network approval context is a network access review.
fn command_kind(
    network_approval_context: &Option<NetworkApprovalContext>,
    trail: &mut Trail,
) -> (SubjectKind, &'static str, Mark) {
    let decides = trail.mark("SUBJ-1");
    match network_approval_context {
        Some(_) => (SubjectKind::NetworkAccess, "network_access", decides),
        None => (SubjectKind::CommandExecution, "command_execution", decides),
    }
}

/// SUBJ-2: the trigger of a command request, first match wins: execve intercept, network policy
/// denial, sandbox denial, initial.
fn command_trigger(
    approval_id: &Option<Id>,
    requested: Requested,
    trail: &mut Trail,
) -> (Trigger, Mark) {
    let decides = trail.mark("SUBJ-2");
    let trigger = if approval_id.is_some() {
        Trigger::ExecveIntercept
    } else if requested.network_access {
        Trigger::NetworkPolicyDenial
    } else if requested.additional_permissions {
        Trigger::SandboxDenial
    } else {
        Trigger::Initial
    };
    (trigger, decides)
}

/// SUBJ-3: network access is requested by a network context, a non-empty list of proposed
/// amendments, or additional permissions with network enabled; additional permissions are
/// requested iff present, even empty.
fn command_requested(request: &CommandRequest, trail: &mut Trail) -> (Requested, Mark) {
    let decides = trail.mark("SUBJ-3");
    let amendments_proposed = request
        .proposed_network_policy_amendments
        .as_ref()
        .is_some_and(|amendments| !amendments.is_empty());
    let network_enabled = request
        .additional_permissions
        .as_ref()
        .is_some_and(network_enabled);
    let requested = Requested {
        network_access: request.network_approval_context.is_some()
            || amendments_proposed
            || network_enabled,
        additional_permissions: request.additional_permissions.is_some(),
    };
    (requested, decides)
}

/// SUBJ-4: a file-change request is an apply_patch review; a grant root means a sandbox denial
/// that requests additional permissions.
pub(crate) fn file_change_subject(
    grant_root: &Option<String>,
    trail: &mut Trail,
) -> (Subject, Why) {
    let decides = trail.mark("SUBJ-4");
    let escapes_sandbox = grant_root.is_some();
    let why = subject_why(decides, decides, decides, &[]);
    let subject = Subject {
        kind: SubjectKind::FileChange,
        name: "apply_patch".into(),
        trigger: if escapes_sandbox {
            Trigger::SandboxDenial
        } else {
            Trigger::Initial
        },
        requested_additional_permissions: escapes_sandbox,
        requested_network_access: false,
    };
    (subject, why)
}

/// SUBJ-5: a permissions request; network requested iff network is enabled, additional
/// permissions iff network or a file-system profile; trigger by the same order as SUBJ-2.
pub(crate) fn permissions_subject(
    permissions: &PermissionProfile,
    trail: &mut Trail,
) -> (Subject, Why) {
    let decides = trail.mark("SUBJ-5");
    let network_access = network_enabled(permissions);
    let additional_permissions = network_access || permissions.file_system.is_some();
    let why = subject_why(decides, decides, decides, &[]);
    let subject = Subject {
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
    };
    (subject, why)
}

fn network_enabled(profile: &PermissionProfile) -> bool {
    profile
        .network
        .as_ref()
        .is_some_and(|network| network.enabled == Some(true))
}
