//! ID: review ids.

use crate::fact::{Id, RequestId};

/// ID-1: a user review's id is "user:" followed by the request id in decimal.
pub(crate) fn user_review_id(request_id: RequestId) -> Id {
    format!("user:{request_id}").into()
}

/// ID-2: a guardian review's id is the notification's review_id, unprefixed.
pub(crate) fn guardian_review_id(review_id: &Id) -> Id {
    review_id.clone()
}
