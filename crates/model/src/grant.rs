//! GRANT: effective permission grants.

use super::dec::Decided;
use super::trail::Trail;
use crate::event::{Resolution, ReviewStatus};
use crate::fact::{GrantScope, PermissionProfile};

/// GRANT-1 and GRANT-2: an empty effective grant is a denial whatever its scope; a non-empty one
/// is an approval, with session approval for scope session.
pub(crate) fn effective_grant(
    permissions: &PermissionProfile,
    scope: GrantScope,
    trail: &mut Trail,
) -> Decided {
    if is_empty(permissions) {
        let denies = trail.mark("GRANT-1");
        return (ReviewStatus::Denied, Resolution::None, denies, denies);
    }
    let by_scope = trail.mark("GRANT-2");
    // GRANT-3 decides: a present part that grants nothing still makes the grant non-empty.
    let approves = if grants_nothing(permissions) {
        trail.exception("GRANT-3")
    } else {
        by_scope
    };
    let resolution = match scope {
        GrantScope::Turn => Resolution::None,
        GrantScope::Session => Resolution::SessionApproval,
    };
    (ReviewStatus::Approved, resolution, approves, by_scope)
}

/// GRANT-3: a profile is empty iff both network and file_system are absent.
fn is_empty(permissions: &PermissionProfile) -> bool {
    permissions.network.is_none() && permissions.file_system.is_none()
}

/// GRANT-3 decides (beyond "nothing granted") when a present part grants nothing and still makes
/// the profile non-empty.
fn grants_nothing(permissions: &PermissionProfile) -> bool {
    let network_grants_nothing = permissions
        .network
        .as_ref()
        .is_none_or(|network| network.enabled != Some(true));
    let file_system_grants_nothing = permissions
        .file_system
        .as_ref()
        .is_none_or(|file_system| file_system.read.is_empty() && file_system.write.is_empty());
    network_grants_nothing && file_system_grants_nothing
}
