//! ISO: isolation of items across threads and turns.

use crate::fact::Id;

/// ISO-1: item state (starts and summaries) is keyed by thread, turn and item together.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ItemKey {
    pub(crate) thread_id: Id,
    pub(crate) turn_id: Id,
    pub(crate) item_id: Id,
}

/// ISO-1: the key of an item of a thread and turn.
pub(crate) fn item_key(thread_id: &str, turn_id: &str, item_id: &str) -> ItemKey {
    ItemKey {
        thread_id: thread_id.into(),
        turn_id: turn_id.into(),
        item_id: item_id.into(),
    }
}

/// ISO-2: pending user reviews are keyed by request id alone; the review itself remembers the
/// thread, turn and item it belongs to.
pub(crate) type PendingKey = crate::fact::RequestId;

/// ISO-1 decides when the item id of `key` also occurs under another thread or turn: the key
/// keeps the two apart. Returns its mark when it decides.
pub(crate) fn scope(key: &ItemKey, trail: &mut super::trail::Trail) -> Option<super::why::Mark> {
    trail
        .note_item_scope(&key.thread_id, &key.turn_id, &key.item_id)
        .then(|| trail.exception("ISO-1"))
}

impl super::trail::Entry {
    /// The start of the item `key` names, as an entry of the explanation memory.
    pub(crate) fn start(key: &ItemKey) -> Self {
        Self::Start(
            key.thread_id.clone(),
            key.turn_id.clone(),
            key.item_id.clone(),
        )
    }

    /// The summary of the item `key` names, as an entry of the explanation memory.
    pub(crate) fn summary(key: &ItemKey) -> Self {
        Self::Summary(
            key.thread_id.clone(),
            key.turn_id.clone(),
            key.item_id.clone(),
        )
    }
}
