//! ID: review ids.

use crate::fact::RequestId;

/// ID-1: a user review's id is "user:" followed by the request id in decimal.
pub(crate) fn user_review_id(request_id: RequestId) -> String {
    format!("user:{request_id}")
}

/// ID-2: a guardian review's id is the notification's review_id, unprefixed.
pub(crate) fn guardian_review_id(review_id: &str) -> String {
    review_id.to_owned()
}
