//! GRANT: effective permission grants.

use super::trail::Trail;
use crate::event::{Resolution, ReviewStatus};
use crate::fact::{GrantScope, PermissionProfile};

/// GRANT-1 and GRANT-2: an empty effective grant is a denial whatever its scope; a non-empty one
/// is an approval, with session approval for scope session.
pub(crate) fn effective_grant(
    permissions: &PermissionProfile,
    scope: GrantScope,
    trail: &mut Trail,
) -> (ReviewStatus, Resolution) {
    if is_empty(permissions, trail) {
        trail.mark("GRANT-1");
        return (ReviewStatus::Denied, Resolution::None);
    }
    trail.mark("GRANT-2");
    match scope {
        GrantScope::Turn => (ReviewStatus::Approved, Resolution::None),
        GrantScope::Session => (ReviewStatus::Approved, Resolution::SessionApproval),
    }
}

/// GRANT-3: a profile is empty iff both network and file_system are absent. GRANT-3 decides
/// (beyond "nothing granted") when a present part grants nothing and still makes the profile
/// non-empty.
fn is_empty(permissions: &PermissionProfile, trail: &mut Trail) -> bool {
    let empty = permissions.network.is_none() && permissions.file_system.is_none();
    let network_grants_nothing = permissions
        .network
        .as_ref()
        .is_none_or(|network| network.enabled != Some(true));
    let file_system_grants_nothing = permissions
        .file_system
        .as_ref()
        .is_none_or(|file_system| file_system.read.is_empty() && file_system.write.is_empty());
    if !empty && network_grants_nothing && file_system_grants_nothing {
        trail.mark("GRANT-3");
    }
    empty
}
