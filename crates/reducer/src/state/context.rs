//! Connections and threads: the context an event is completed with (CTX-1, CTX-2). Never
//! turn-scoped, so never listed in the per-turn index: only replaced, or evicted (CAP-1). Also
//! the four connection slots of the seeded defect `FourConnectionSlots`.

use crate::fact::{ConnectionId, Id};

use super::State;
use crate::entries::{Connection, Evicted, ThreadContext};

impl State {
    pub(crate) fn connection(&self, connection_id: ConnectionId) -> Option<&Connection> {
        self.connections.get(connection_id)
    }

    /// Records or replaces a connection's metadata; a replacement keeps its eviction position.
    pub(crate) fn upsert_connection(
        &mut self,
        connection_id: ConnectionId,
        connection: Connection,
    ) -> Option<Evicted> {
        if let Some(existing) = self.connections.get_mut(connection_id) {
            *existing = connection;
            return None;
        }
        let inserted = self.connections.insert(connection_id, connection);
        inserted
            .evicted
            .map(|(connection_id, _)| Evicted::Connection { connection_id })
    }

    /// The metadata slot of a connection under the seeded defect `FourConnectionSlots`: slot
    /// `(id - 1) % 4`, shared by connections 1 and 5.
    pub(crate) fn connection_slot(&self, connection_id: ConnectionId) -> Option<&Connection> {
        self.connection_slots[slot_of(connection_id)].as_ref()
    }

    pub(crate) fn connection_slot_mut(
        &mut self,
        connection_id: ConnectionId,
    ) -> &mut Option<Connection> {
        &mut self.connection_slots[slot_of(connection_id)]
    }

    pub(crate) fn thread(&self, thread_id: &Id) -> Option<&ThreadContext> {
        self.threads.get(thread_id)
    }

    /// A thread's context, to change in place (its eviction position stays).
    pub(crate) fn thread_mut(&mut self, thread_id: &Id) -> Option<&mut ThreadContext> {
        self.threads.get_mut(thread_id)
    }

    /// Records or replaces a thread's binding; a replacement keeps its eviction position.
    pub(crate) fn upsert_thread(
        &mut self,
        thread_id: &Id,
        context: ThreadContext,
    ) -> Option<Evicted> {
        if let Some(existing) = self.threads.get_mut(thread_id) {
            *existing = context;
            return None;
        }
        let inserted = self.threads.insert(thread_id.to_owned(), context);
        inserted
            .evicted
            .map(|(thread_id, _)| Evicted::Thread { thread_id })
    }
}

fn slot_of(connection_id: ConnectionId) -> usize {
    (connection_id.wrapping_sub(1) % 4) as usize
}
