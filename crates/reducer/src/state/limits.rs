//! How big the tables may be: CAP-1 bounds each by the limits, UP-CAP-1 (upstream) bounds
//! nothing, and two seeded defects get the bound wrong; and the check, after each fact, that no
//! table is bigger.

use crate::event::Limits;
use crate::profile::{Departure, Profile};

use super::State;
use crate::Defect;
use crate::hooks::Hooks;

impl State {
    /// Checks the bounds CAP-1 promises, after each fact.
    pub(crate) fn debug_assert_bounded(&self) {
        debug_assert!(self.connections.len() <= self.entries_max);
        debug_assert!(self.threads.len() <= self.entries_max);
        debug_assert!(self.pending_requests.len() <= self.entries_max);
        debug_assert!(self.guardian_completions.len() <= self.entries_max);
        debug_assert!(self.item_starts.len() <= self.entries_max);
        debug_assert!(self.item_summaries.len() <= self.entries_max);
        debug_assert!(self.turns.len() <= self.entries_max.saturating_mul(4));
    }
}

/// CAP-1 bounds each table by the limits; UP-CAP-1 (upstream) bounds nothing.
pub(crate) fn table_limits(limits: Limits, profile: &Profile, hooks: &impl Hooks) -> Limits {
    if profile.follows_upstream(Departure::Cap1) || hooks.breaks(Defect::BoundIgnored) {
        Limits {
            table_entries_max: usize::MAX,
        }
    } else if hooks.breaks(Defect::BoundInBlocks) && limits.table_entries_max > 64 {
        Limits {
            table_entries_max: limits.table_entries_max.div_ceil(64),
        }
    } else {
        limits
    }
}
