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

/// GRANT-3: a profile is empty iff both network and file_system are absent.
fn is_empty(permissions: &PermissionProfile, trail: &mut Trail) -> bool {
    trail.mark("GRANT-3");
    permissions.network.is_none() && permissions.file_system.is_none()
}
