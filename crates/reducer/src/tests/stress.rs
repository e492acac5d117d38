//! Colliding streams through the production reducer and through each seeded defect, relying on
//! the reducer's debug assertions: FATE-1 and, where the profile bounds the tables, CAP-1.

use crate::event::Limits;
use crate::fact::Fact;

use super::streams::{Rng, colliding_fact};
use crate::Reducer;

/// Runs colliding streams through `reducer`, relying on its debug assertions, and checks that
/// only state-changing facts are silent (FATE-1) and, if `bounded`, that the bounds hold (CAP-1;
/// a profile that follows upstream on CAP-1 has none).
fn stress<H: crate::Hooks>(mut make: impl FnMut(Limits) -> Reducer<H>, bounded: bool) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..300 {
        let entries_max = usize::try_from(1 + rng.below(4)).unwrap_or(1);
        let mut reducer = make(Limits {
            table_entries_max: entries_max,
        });
        let mut outputs = Vec::new();
        for _ in 0..60 {
            let fact = colliding_fact(&mut rng);
            outputs.clear();
            reducer.ingest(&fact, &mut outputs);
            // FATE-1: only facts that change state (or end a turn with none) may be silent.
            if outputs.is_empty() {
                assert!(
                    matches!(
                        fact,
                        Fact::TurnCompleted { .. }
                            | Fact::Initialize { .. }
                            | Fact::ThreadBound { .. }
                            | Fact::SubagentThreadStarted { .. }
                            | Fact::ItemStarted { .. }
                            | Fact::FileChangeRequest { .. }
                            | Fact::PermissionsRequest { .. }
                            | Fact::CommandExecutionRequest { .. }
                    ),
                    "silent fact {fact:?}"
                );
            }
            if bounded {
                assert!(reducer.live_entries() <= 6 * entries_max);
                assert!(reducer.state.indexed_turns() <= 4 * entries_max);
            }
        }
    }
}

#[test]
fn colliding_streams_keep_every_invariant() {
    stress(Reducer::new, true);
}

#[cfg(feature = "seeded-defects")]
#[test]
fn colliding_streams_keep_every_invariant_with_each_defect() {
    // BoundIgnored breaks the bound and SilentOrphan breaks FATE-1 on purpose (the stress run
    // catches both); every other defect must keep the invariants it checks.
    for defect in crate::Defect::ALL {
        if matches!(
            defect,
            crate::Defect::BoundIgnored | crate::Defect::SilentOrphan
        ) {
            continue;
        }
        let bounded = !defect
            .profile()
            .follows_upstream(crate::profile::Departure::Cap1);
        stress(|limits| Reducer::with_defect(limits, defect), bounded);
    }
}
