//! The memory bound under hostile and churning streams (CAP-1, the TURN-1 index), through the
//! public API and the state's own counts.

use pretty_assertions::assert_eq;

use crate::event::{Limits, Table};
use crate::fact::Fact;

use super::streams::{Rng, colliding_fact, hostile_fact};
use crate::Reducer;

#[test]
fn hostile_stream_stays_within_six_tables_of_entries() {
    let entries_max = 64;
    let mut reducer = Reducer::new(Limits {
        table_entries_max: entries_max,
    });
    let mut outputs = Vec::new();
    let mut evictions = 0usize;
    for i in 0..200_000u64 {
        outputs.clear();
        reducer.ingest(&hostile_fact(i), &mut outputs);
        evictions += outputs.len();
        assert!(reducer.live_entries() <= 6 * entries_max, "fact {i}");
        assert!(reducer.state.indexed_turns() <= 4 * entries_max, "fact {i}");
    }
    for table in [
        Table::Connections,
        Table::Threads,
        Table::PendingRequests,
        Table::GuardianCompletions,
        Table::ItemStarts,
        Table::ItemSummaries,
    ] {
        assert_eq!(reducer.table_len(table), entries_max, "{table:?}");
    }
    assert!(evictions > 0);
}

/// TURN-1 index: in a turn that never ends, requests opened and answered by the thousand leave
/// stale handles in the turn's list; compaction keeps the list within twice the live entries.
#[test]
fn a_long_turn_with_churn_keeps_its_index_small() {
    let mut reducer = Reducer::new(Limits::default());
    let mut outputs = Vec::new();
    let mut handles_max = 0;
    for request_id in 0..20_000u64 {
        let request = Fact::CommandExecutionRequest {
            connection_id: 1,
            request_id,
            thread_id: "t1".into(),
            turn_id: "u1".into(),
            item_id: format!("i{request_id}").into(),
            started_at_ms: 1,
            approval_id: None,
            network_approval_context: None,
            proposed_network_policy_amendments: None,
            additional_permissions: None,
        };
        reducer.ingest(&request, &mut outputs);
        // Answer requests ten behind (not the newest handle), keeping every seventh open, so
        // stale handles pile up in the middle of the turn's list.
        if let Some(answered) = request_id.checked_sub(10).filter(|id| id % 7 != 0) {
            let abort = Fact::RequestAborted {
                connection_id: 1,
                request_id: answered,
                completed_at_ms: 2,
            };
            reducer.ingest(&abort, &mut outputs);
        }
        outputs.clear();
        handles_max = handles_max.max(reducer.state.indexed_handles());
        let live = reducer.live_entries();
        assert!(
            reducer.state.indexed_handles() <= 2 * live + crate::table::STALE_HANDLES_SLACK + 1,
            "{} index handles for {live} live entries",
            reducer.state.indexed_handles()
        );
    }
    assert!(handles_max > 0);
}

/// CAP-1: `live_entries` is exactly the sum of the six tables' sizes, as state grows and shrinks
/// (colliding facts open and close requests, items and turns).
#[test]
fn live_entries_is_the_sum_of_the_tables() {
    let tables = [
        Table::Connections,
        Table::Threads,
        Table::PendingRequests,
        Table::GuardianCompletions,
        Table::ItemStarts,
        Table::ItemSummaries,
    ];
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut reducer = Reducer::new(Limits::default());
    let mut outputs = Vec::new();
    let (mut grew, mut shrank, mut last) = (false, false, 0);
    for _ in 0..5_000 {
        reducer.ingest(&colliding_fact(&mut rng), &mut outputs);
        let sum: usize = tables.iter().map(|&table| reducer.table_len(table)).sum();
        assert_eq!(reducer.live_entries(), sum);
        (grew, shrank) = (grew || sum > last, shrank || sum < last);
        last = sum;
    }
    assert!(
        grew && shrank,
        "the stream never grew and shrank the tables"
    );
}
