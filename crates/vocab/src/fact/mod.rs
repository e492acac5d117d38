//! Facts: the inputs of a review reduction, as they appear on the wire.
//!
//! A fact is one thing the app-server observed: a connection initialized, a thread bound to a
//! connection, an approval request sent, a response received, a guardian notification, an item
//! or turn lifecycle notification. Facts are plain data; the rules that give them meaning live in
//! `model` (the spec as code) and `reducer` (production), never here.
//!
//! Variants run from simple to complex so that shrinking lands on simple facts (`spec/rules.md`,
//! "Vocabulary"). Timestamps are signed, as on the wire: a negative one is a spec'd rejection
//! (TIME-2), not a parse error.
//!
//! One concern per file: `variants` declares the facts, `parts` the values they carry, and
//! `accessors` reads any fact's connection, ids and timestamps alike. Every item is re-exported
//! here, as `fact::X`.

mod accessors;
mod parts;
mod variants;

/// A thread, turn, item or review id, or a thread attribute copied onto events: shared rather
/// than copied, hashed once (`id`), and a plain JSON string on the wire.
pub use crate::id::Id;
pub use parts::{
    AppServerClient, CommandDecision, FileChangeDecision, FileSystemPermission, GrantScope,
    GuardianAction, GuardianStatus, ItemKind, ItemStatus, NetworkApprovalContext,
    NetworkPermission, NetworkPolicyAction, NetworkPolicyAmendment, PermissionProfile,
    RpcTransport, Runtime, ThreadBinding,
};
pub use variants::{ConnectionId, Fact, RequestId};
