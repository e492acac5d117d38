//! The keys and entries of the reducer's tables: what each table remembers, and what an evicted
//! or released entry hands back for its diagnostic.

use std::sync::Arc;

use crate::event::{FinalApprovalOutcome, SubjectKind, Trigger};
use crate::fact::{AppServerClient, ConnectionId, Id, RequestId, Runtime};
use crate::id::StoredHashes;

use super::table::TableKey;

/// ISO-1: item starts and item summaries are keyed by thread, turn and item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ItemKey {
    pub(crate) thread_id: Id,
    pub(crate) turn_id: Id,
    pub(crate) item_id: Id,
}

/// The borrowed form of an [`ItemKey`], for lookups that clone nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ItemKeyView<'a> {
    pub(crate) thread_id: &'a Id,
    pub(crate) turn_id: &'a Id,
    pub(crate) item_id: &'a Id,
}

impl ItemKeyView<'_> {
    pub(crate) fn to_key(self) -> ItemKey {
        ItemKey {
            thread_id: self.thread_id.clone(),
            turn_id: self.turn_id.clone(),
            item_id: self.item_id.clone(),
        }
    }
}

impl TableKey for ItemKey {
    type View<'a> = ItemKeyView<'a>;
    type Hashing = StoredHashes;

    fn view(&self) -> ItemKeyView<'_> {
        ItemKeyView {
            thread_id: &self.thread_id,
            turn_id: &self.turn_id,
            item_id: &self.item_id,
        }
    }

    fn matches(&self, query: ItemKeyView<'_>) -> bool {
        self.view() == query
    }
}

/// DEDUP-1: a guardian completion is identified by its thread and review id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GuardianKey {
    pub(crate) thread_id: Id,
    pub(crate) review_id: Id,
}

/// The borrowed form of a [`GuardianKey`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct GuardianKeyView<'a> {
    pub(crate) thread_id: &'a Id,
    pub(crate) review_id: &'a Id,
}

impl TableKey for GuardianKey {
    type View<'a> = GuardianKeyView<'a>;
    type Hashing = StoredHashes;

    fn view(&self) -> GuardianKeyView<'_> {
        GuardianKeyView {
            thread_id: &self.thread_id,
            review_id: &self.review_id,
        }
    }

    fn matches(&self, query: GuardianKeyView<'_>) -> bool {
        self.view() == query
    }
}

/// CTX-1: a connection's metadata, copied onto the events of the threads bound to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Connection {
    pub(crate) app_server_client: Arc<AppServerClient>,
    pub(crate) runtime: Arc<Runtime>,
}

/// CTX-2: the connection a thread was last bound to (none for a sub-agent thread whose parent
/// had none to lend, CTX-5), the thread's metadata, and its originator (CTX-4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ThreadContext {
    pub(crate) connection_id: Option<ConnectionId>,
    pub(crate) thread_source: Option<Id>,
    pub(crate) subagent_source: Option<Id>,
    pub(crate) parent_thread_id: Option<Id>,
    pub(crate) originator: Option<String>,
}

/// Which request opened a pending review; a response closes only its own kind (LIFE-5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RequestKind {
    CommandExecution,
    FileChange,
    Permissions,
}

/// LIFE-1: a user review waiting for its closing fact, with everything SUBJ-1..5 derived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PendingReview {
    pub(crate) kind: RequestKind,
    pub(crate) thread_id: Id,
    pub(crate) turn_id: Id,
    pub(crate) item_id: Id,
    pub(crate) subject_kind: SubjectKind,
    pub(crate) subject_name: &'static str,
    pub(crate) trigger: Trigger,
    pub(crate) requested_additional_permissions: bool,
    pub(crate) requested_network_access: bool,
    pub(crate) started_at_ms: u64,
}

/// DEDUP-2: a seen guardian completion remembers its turn, which releases it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SeenGuardian {
    pub(crate) turn_id: Id,
}

/// ITEM-1: when a tool item started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ItemStart {
    pub(crate) started_at_ms: u64,
}

/// SUM-2..5: the review fields accumulated for one tool item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ItemSummary {
    /// Reviews of the item so far: guardian and user.
    pub(crate) reviews: u64,
    pub(crate) guardian_reviews: u64,
    pub(crate) user_reviews: u64,
    /// The last review's outcome.
    pub(crate) outcome: FinalApprovalOutcome,
    /// Whether any review asked for additional permissions, or for network access.
    pub(crate) asked_for_permissions: bool,
    pub(crate) asked_for_network: bool,
}

impl Default for ItemSummary {
    /// SUM-3, SUM-5: no reviews, outcome `unknown`, nothing requested.
    fn default() -> ItemSummary {
        let nothing_asked = false;
        ItemSummary {
            reviews: 0,
            guardian_reviews: 0,
            user_reviews: 0,
            outcome: FinalApprovalOutcome::Unknown,
            asked_for_permissions: nothing_asked,
            asked_for_network: nothing_asked,
        }
    }
}

/// CAP-1: an entry evicted to make room, handed back for its `evicted` diagnostic.
#[derive(Debug)]
pub(crate) enum Evicted {
    Connection {
        connection_id: ConnectionId,
    },
    Thread {
        thread_id: Id,
    },
    PendingRequest {
        request_id: RequestId,
        review: PendingReview,
    },
    GuardianCompletion {
        key: GuardianKey,
        seen: SeenGuardian,
    },
    ItemStart {
        key: ItemKey,
    },
    ItemSummary {
        key: ItemKey,
    },
}

/// TURN-1: an entry a turn end removed and reports (seen guardian completions are released
/// silently, DEDUP-2).
#[derive(Debug)]
pub(crate) enum Released {
    PendingRequest {
        request_id: RequestId,
        review: PendingReview,
    },
    ItemStart {
        key: ItemKey,
    },
    ItemSummary {
        key: ItemKey,
    },
}
