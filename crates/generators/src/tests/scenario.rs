//! Rendered scenarios: request ids numbered in order on a forward clock, fanned-out copies
//! alike, and the shapes of late bindings and negative completion copies.

use std::collections::{BTreeMap, BTreeSet};

use super::support::{SEED, sample};
use crate::fact::Fact;
use crate::pools;
use crate::render::{is_request, request_id};
use crate::scenario;
use crate::swarm::SwarmConfig;

#[test]
fn scenarios_number_requests_in_order_and_keep_the_clock() {
    let config = SwarmConfig::default();
    let mut pairs = 0usize;
    let mut forward = 0usize;
    for facts in sample(scenario(&config), 500, SEED) {
        let mut next_new: u64 = 1;
        let mut seen = BTreeSet::new();
        for fact in facts.iter().filter(|fact| is_request(fact)) {
            if let Some(id) = request_id(fact)
                && seen.insert(id)
            {
                assert_eq!(id, next_new, "request ids out of order in {facts:#?}");
                next_new += 1;
            }
        }
        let times: Vec<i64> = facts.iter().filter_map(Fact::timestamp_ms).collect();
        for window in times.windows(2) {
            pairs += 1;
            if window[0] <= window[1] {
                forward += 1;
            }
        }
    }
    let share = forward as f64 / pairs as f64;
    println!("adjacent timestamps not decreasing: {:.1} %", 100.0 * share);
    assert!(share >= 0.9, "the clock goes backwards too often: {share}");
}

#[test]
fn fanned_out_copies_share_id_and_timestamp() {
    let config = SwarmConfig::default();
    for facts in sample(scenario(&config), 300, SEED) {
        let mut started: BTreeMap<u64, i64> = BTreeMap::new();
        for fact in facts.iter().filter(|fact| is_request(fact)) {
            let (Some(id), Some(at_ms)) = (request_id(fact), fact.timestamp_ms()) else {
                continue;
            };
            assert_eq!(*started.entry(id).or_insert(at_ms), at_ms);
        }
    }
}

/// The two shapes that reach UP-SUM-6 and UP-TIME-2: a late binding arrives once its thread's
/// first turn is over (so that turn has no context, and the next one has), and a completion
/// stamped negative comes just before the same completion on the clock.
#[test]
fn a_late_binding_follows_the_first_turn_and_a_negative_copy_precedes_its_completion() {
    use crate::episode::{BindPlan, ItemLifecycle, ItemPlan, Scenario, ThreadOrigin, Timeline};
    use crate::episode::{TurnEnd, TurnPlan};
    use crate::fact::{ItemKind, ItemStatus, ThreadBinding};
    let config = SwarmConfig {
        turns_per_thread: 1,
        ..SwarmConfig::default()
    };
    let item = |negative_first| ItemPlan {
        kind: ItemKind::CommandExecution,
        lifecycle: ItemLifecycle::Completed {
            status: ItemStatus::Completed,
            in_progress_first: false,
            negative_first,
        },
        per_connection: false,
        reviews: Vec::new(),
    };
    let turn = |negative_first| {
        crate::Episode::Turn(TurnPlan {
            thread: 0,
            items: vec![item(negative_first)],
            parallel: false,
            end: TurnEnd::Completed,
        })
    };
    let plan = Scenario {
        episodes: vec![
            crate::Episode::Bind(BindPlan {
                connection: 1,
                thread: 0,
                binding: ThreadBinding::Started,
                origin: ThreadOrigin::Plain,
                originator: None,
                late: true,
            }),
            turn(true),
            turn(false),
        ],
        schedule: Vec::new(),
        timeline: Timeline {
            tick_ms: 10,
            anomalies: Vec::new(),
        },
    };
    let facts = crate::render(&plan, &config);
    let types: Vec<&str> = facts.iter().map(Fact::type_name).collect();
    assert_eq!(
        types,
        [
            "item_started",
            "item_completed",
            "item_completed",
            "turn_completed",
            "thread_bound",
            "item_started",
            "item_completed",
            "turn_completed",
        ]
    );
    let times: Vec<Option<i64>> = facts.iter().map(Fact::timestamp_ms).collect();
    assert_eq!(times[1], Some(pools::ITEM_NEGATIVE_MS), "{times:?}");
    assert!(times[2].is_some_and(|at_ms| at_ms > 0), "{times:?}");
    let (mut first, mut second) = (facts[1].clone(), facts[2].clone());
    for copy in [&mut first, &mut second] {
        if let (_, Some(completed_at_ms)) = copy.times_mut() {
            *completed_at_ms = 0;
        }
    }
    assert_eq!(first, second, "the same completion, twice");
}
