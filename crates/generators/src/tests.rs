//! Tests of the generators themselves: coverage of the vocabulary, shape of the streams,
//! round trips through traces, swarm restrictions, the fuzz entry point, and shrinking. Seeds
//! are fixed, so every figure printed here is reproducible.

use std::collections::{BTreeMap, BTreeSet};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

use super::chaos::{ChaosOp, Conflict, apply_chaos};
use super::episode::{CLOCK_START_MS, Closing};
use super::pools;
use super::render::{closing_fact, is_request, request_id};
use super::swarm::{ChaosKinds, Clock, FactKinds, IdRange, SwarmConfig};
use super::{GeneratedCase, MAX_FACTS, case, case_from_unstructured, case_with, scenario};
use crate::fact::{CommandDecision, Fact, FileChangeDecision, GuardianAction, NetworkPolicyAction};
use crate::trace::{parse_trace, write_trace};

const CASES: usize = 2_000;
const SEED: u8 = 7;

fn runner(seed: u8) -> TestRunner {
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    )
}

fn sample<S: Strategy>(strategy: S, count: usize, seed: u8) -> Vec<S::Value> {
    let mut runner = runner(seed);
    (0..count)
        .map(|_| match strategy.new_tree(&mut runner) {
            Ok(tree) => tree.current(),
            Err(reason) => panic!("strategy failed to generate: {reason}"),
        })
        .collect()
}

/// The `CASES` cases drawn from `case()` with `SEED`, drawn once for every test that reads them.
fn generated_cases() -> &'static [GeneratedCase] {
    static CASES_DRAWN: std::sync::OnceLock<Vec<GeneratedCase>> = std::sync::OnceLock::new();
    CASES_DRAWN.get_or_init(|| sample(case(), CASES, SEED))
}

/// What a set of cases exercised, by name.
#[derive(Default)]
struct Coverage {
    cases: usize,
    features: BTreeMap<String, usize>,
    lengths: Vec<usize>,
}

impl Coverage {
    fn of(cases: &[GeneratedCase]) -> Coverage {
        let mut coverage = Coverage::default();
        for case in cases {
            coverage.observe(case);
        }
        coverage
    }

    fn count(&self, feature: &str) -> usize {
        self.features.get(feature).copied().unwrap_or(0)
    }

    fn observe(&mut self, case: &GeneratedCase) {
        self.cases += 1;
        self.lengths.push(case.facts.len());
        let mut seen = BTreeSet::new();
        if case.limits.table_entries_max <= 8 {
            seen.insert("small_limits".to_owned());
        }
        for kind in case.swarm.chaos.kinds() {
            seen.insert(format!("chaos:{}", kind.name()));
        }
        let mut request_connections: BTreeMap<u64, BTreeSet<u64>> = BTreeMap::new();
        let mut item_threads: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut request_started: BTreeMap<u64, i64> = BTreeMap::new();
        for fact in &case.facts {
            seen.insert(format!("fact:{}", fact.type_name()));
            if let Some(at_ms) = fact.timestamp_ms() {
                if at_ms < 0 {
                    seen.insert("time:negative".to_owned());
                } else if at_ms == 0 {
                    seen.insert("time:zero".to_owned());
                } else if at_ms == i64::MAX {
                    seen.insert("time:max".to_owned());
                }
            }
            observe_fact(fact, &mut seen);
            match fact {
                Fact::CommandExecutionRequest {
                    connection_id,
                    request_id,
                    thread_id,
                    item_id,
                    started_at_ms,
                    ..
                }
                | Fact::FileChangeRequest {
                    connection_id,
                    request_id,
                    thread_id,
                    item_id,
                    started_at_ms,
                    ..
                }
                | Fact::PermissionsRequest {
                    connection_id,
                    request_id,
                    thread_id,
                    item_id,
                    started_at_ms,
                    ..
                } => {
                    request_connections
                        .entry(*request_id)
                        .or_default()
                        .insert(*connection_id);
                    request_started.entry(*request_id).or_insert(*started_at_ms);
                    item_threads
                        .entry(item_id.to_string())
                        .or_default()
                        .insert(thread_id.to_string());
                }
                Fact::ItemStarted {
                    thread_id, item_id, ..
                } => {
                    item_threads
                        .entry(item_id.to_string())
                        .or_default()
                        .insert(thread_id.to_string());
                }
                _ => {}
            }
            if let (Some(id), Some(completed_at_ms)) = (request_id(fact), fact.timestamp_ms())
                && !is_request(fact)
                && request_started
                    .get(&id)
                    .is_some_and(|started| completed_at_ms < *started)
            {
                seen.insert("time:completion_before_start".to_owned());
            }
        }
        if request_connections.values().any(|c| c.len() >= 2) {
            seen.insert("fan_out".to_owned());
        }
        if item_threads.values().any(|threads| threads.len() >= 2) {
            seen.insert("equal_item_ids_across_threads".to_owned());
        }
        seen.extend(reach(case).into_iter().map(str::to_owned));
        for feature in seen {
            *self.features.entry(feature).or_default() += 1;
        }
    }

    fn mean_length(&self) -> f64 {
        self.lengths.iter().sum::<usize>() as f64 / self.lengths.len().max(1) as f64
    }

    fn report(&self, title: &str) {
        println!("{title}: {} cases", self.cases);
        let mut lengths = self.lengths.clone();
        lengths.sort_unstable();
        let at = |q: f64| lengths[((lengths.len() - 1) as f64 * q) as usize];
        println!(
            "  length: mean {:.1}, min {}, p10 {}, median {}, p90 {}, max {}",
            self.mean_length(),
            at(0.0),
            at(0.1),
            at(0.5),
            at(0.9),
            at(1.0)
        );
        let buckets = [0, 1, 10, 20, 40, 60, 100, 150, usize::MAX];
        for bucket in buckets.windows(2) {
            let count = lengths
                .iter()
                .filter(|len| **len >= bucket[0] && **len < bucket[1])
                .count();
            let label = if bucket[1] == usize::MAX {
                format!("{}+", bucket[0])
            } else {
                format!("{}..{}", bucket[0], bucket[1])
            };
            println!(
                "  {label:>8}: {count:>5} {}",
                "#".repeat(count * 60 / self.cases)
            );
        }
        for (feature, count) in &self.features {
            println!(
                "  {feature:<55} {count:>5} ({:.1} %)",
                100.0 * *count as f64 / self.cases as f64
            );
        }
    }
}

/// The far corners of the input space a case reaches (each also a swarm choice, so each is
/// absent from many cases too).
fn reach(case: &GeneratedCase) -> BTreeSet<&'static str> {
    let facts = &case.facts;
    let mut reached = BTreeSet::new();
    let limit = case.limits.table_entries_max;
    if (9..=4095).contains(&limit) {
        reached.insert("limits:mid_range");
    }
    let ids: BTreeSet<u64> = facts.iter().filter_map(request_id).collect();
    let past_f64: Vec<u64> = ids.range(pools::F64_EXACT_MAX..).copied().collect();
    if past_f64
        .iter()
        .any(|a| past_f64.iter().any(|b| a != b && *a as f64 == *b as f64))
    {
        reached.insert("ids:equal_as_f64");
    }
    if ids.iter().any(|id| *id >= u64::MAX - 300) {
        reached.insert("ids:near_u64_max");
    }
    for at_ms in facts.iter().filter_map(Fact::timestamp_ms) {
        if at_ms > i64::MAX - 1_000 && at_ms < i64::MAX {
            reached.insert("time:near_max");
        }
    }
    if facts.iter().any(|fact| fact.connection_id() == Some(8)) {
        reached.insert("connections:8");
    }
    // Items per turn, and items of one turn started at once.
    let mut items: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    let mut live: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for fact in facts {
        match fact {
            Fact::ItemStarted {
                thread_id,
                turn_id,
                item_id,
                ..
            } => {
                let turn = (&**thread_id, &**turn_id);
                items.entry(turn).or_default().insert(item_id);
                let started = live.entry(turn).or_default();
                started.insert(item_id);
                if started.len() >= 5 {
                    reached.insert("items:5_started_at_once");
                }
            }
            Fact::ItemCompleted {
                thread_id,
                turn_id,
                item_id,
                ..
            } => {
                let turn = (&**thread_id, &**turn_id);
                live.entry(turn).or_default().remove(&**item_id);
            }
            _ => {}
        }
    }
    if items.values().any(|items| items.len() >= 12) {
        reached.insert("items:12_in_a_turn");
    }
    // Guardian completions delivered again: under another turn, after their turn's end, later
    // from another connection.
    let mut turns: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    // (thread, turn, review) → (index of the last delivery, its connection, whether the turn
    // ended since the first delivery).
    let mut delivered: BTreeMap<(&str, &str, &str), (usize, u64, bool)> = BTreeMap::new();
    for (index, fact) in facts.iter().enumerate() {
        match fact {
            Fact::TurnCompleted {
                thread_id, turn_id, ..
            } => {
                for ((thread, turn, _), (_, _, ended)) in &mut delivered {
                    *ended |= *thread == &**thread_id && *turn == &**turn_id;
                }
            }
            Fact::GuardianReviewCompleted {
                connection_id,
                thread_id,
                turn_id,
                review_id,
                ..
            } => {
                let review = (&**thread_id, &**review_id);
                turns.entry(review).or_default().insert(turn_id);
                let key = (&**thread_id, &**turn_id, &**review_id);
                let mut ended_before = false;
                if let Some((last, connection, ended)) = delivered.get(&key) {
                    if *ended {
                        reached.insert("guardian:after_turn_end");
                    }
                    if index > last + 1 && connection != connection_id {
                        reached.insert("guardian:later_from_another_connection");
                    }
                    ended_before = *ended;
                }
                delivered.insert(key, (index, *connection_id, ended_before));
            }
            _ => {}
        }
    }
    if turns.values().any(|turns| turns.len() >= 2) {
        reached.insert("guardian:under_two_turns");
    }
    reached
}

/// The reach features `reach` names.
const REACH: [&str; 12] = [
    "limits:mid_range",
    "ids:equal_as_f64",
    "ids:near_u64_max",
    "time:near_max",
    "time:zero",
    "connections:8",
    "items:12_in_a_turn",
    "items:5_started_at_once",
    "guardian:under_two_turns",
    "guardian:after_turn_end",
    "guardian:later_from_another_connection",
    "fan_out",
];

fn observe_fact(fact: &Fact, seen: &mut BTreeSet<String>) {
    match fact {
        Fact::CommandExecutionResponse { decision, .. } => {
            let name = match decision {
                CommandDecision::Accept => "accept",
                CommandDecision::Decline => "decline",
                CommandDecision::Cancel => "cancel",
                CommandDecision::AcceptForSession => "accept_for_session",
                CommandDecision::AcceptWithExecpolicyAmendment { .. } => {
                    "accept_with_execpolicy_amendment"
                }
                CommandDecision::ApplyNetworkPolicyAmendment {
                    network_policy_amendment,
                } => match network_policy_amendment.action {
                    NetworkPolicyAction::Allow => "apply_network_policy_amendment:allow",
                    NetworkPolicyAction::Deny => "apply_network_policy_amendment:deny",
                },
            };
            seen.insert(format!("command_decision:{name}"));
        }
        Fact::FileChangeResponse { decision, .. } => {
            let name = match decision {
                FileChangeDecision::Accept => "accept",
                FileChangeDecision::Decline => "decline",
                FileChangeDecision::Cancel => "cancel",
                FileChangeDecision::AcceptForSession => "accept_for_session",
            };
            seen.insert(format!("file_change_decision:{name}"));
        }
        Fact::EffectivePermissionsResponse {
            permissions, scope, ..
        } => {
            let empty = if *permissions == Default::default() {
                "empty"
            } else {
                "non_empty"
            };
            seen.insert(format!("grant:{scope:?}:{empty}"));
        }
        Fact::CommandExecutionRequest {
            approval_id,
            network_approval_context,
            proposed_network_policy_amendments,
            additional_permissions,
            ..
        } => {
            let network = match (network_approval_context, proposed_network_policy_amendments) {
                (None, _) => "command_request:no_network_context",
                (Some(_), None) => "command_request:network_context_without_amendments",
                (Some(_), Some(_)) => "command_request:network_context_with_amendments",
            };
            seen.insert(network.to_owned());
            if approval_id.is_some() {
                seen.insert("command_request:approval_id".to_owned());
            }
            if additional_permissions.is_some() {
                seen.insert("command_request:additional_permissions".to_owned());
            }
        }
        Fact::FileChangeRequest {
            grant_root: Some(_),
            ..
        } => {
            seen.insert("file_change_request:grant_root".to_owned());
        }
        Fact::GuardianReviewCompleted {
            action,
            status,
            started_at_ms,
            completed_at_ms,
            ..
        } => {
            let name = match action {
                GuardianAction::Command { .. } => "command",
                GuardianAction::Execve { .. } => "execve",
                GuardianAction::ApplyPatch { .. } => "apply_patch",
                GuardianAction::McpToolCall { .. } => "mcp_tool_call",
                GuardianAction::NetworkAccess { .. } => "network_access",
                GuardianAction::RequestPermissions { .. } => "request_permissions",
            };
            seen.insert(format!("guardian_action:{name}"));
            seen.insert(format!("guardian_status:{status:?}"));
            if completed_at_ms < started_at_ms {
                seen.insert("time:guardian_completion_before_start".to_owned());
            }
        }
        Fact::ItemCompleted { status, .. } => {
            seen.insert(format!("item_status:{status:?}"));
        }
        _ => {}
    }
}

#[test]
fn generated_cases_cover_the_vocabulary() {
    let cases = generated_cases();
    let coverage = Coverage::of(cases);
    coverage.report("case()");
    let mut required: Vec<String> = Fact::TYPE_NAMES
        .iter()
        .map(|name| format!("fact:{name}"))
        .collect();
    for name in [
        "accept",
        "decline",
        "cancel",
        "accept_for_session",
        "accept_with_execpolicy_amendment",
        "apply_network_policy_amendment:allow",
        "apply_network_policy_amendment:deny",
    ] {
        required.push(format!("command_decision:{name}"));
    }
    for name in ["accept", "decline", "cancel", "accept_for_session"] {
        required.push(format!("file_change_decision:{name}"));
    }
    for name in [
        "command",
        "execve",
        "apply_patch",
        "mcp_tool_call",
        "network_access",
        "request_permissions",
    ] {
        required.push(format!("guardian_action:{name}"));
    }
    for status in ["Approved", "Denied", "TimedOut", "Aborted", "InProgress"] {
        required.push(format!("guardian_status:{status}"));
    }
    for scope in ["Turn", "Session"] {
        for empty in ["empty", "non_empty"] {
            required.push(format!("grant:{scope}:{empty}"));
        }
    }
    for status in ["Completed", "Failed", "Declined", "InProgress"] {
        required.push(format!("item_status:{status}"));
    }
    for feature in [
        "fan_out",
        "equal_item_ids_across_threads",
        "small_limits",
        "command_request:no_network_context",
        "command_request:network_context_without_amendments",
        "command_request:network_context_with_amendments",
        "command_request:approval_id",
        "command_request:additional_permissions",
        "file_change_request:grant_root",
        "time:negative",
        "time:zero",
        "time:max",
        "time:completion_before_start",
        "time:guardian_completion_before_start",
    ] {
        required.push(feature.to_owned());
    }
    for kind in super::ChaosKind::ALL {
        required.push(format!("chaos:{}", kind.name()));
    }
    let missing: Vec<&String> = required
        .iter()
        .filter(|feature| coverage.count(feature) == 0)
        .collect();
    assert!(
        missing.is_empty(),
        "never generated in {CASES} cases: {missing:?}"
    );
    // Multi-connection fan-out and small limits are not rarities.
    assert!(coverage.count("fan_out") * 5 >= CASES, "fan-out too rare");
    assert!(
        coverage.count("small_limits") * 10 >= CASES,
        "small limits too rare"
    );
}

#[test]
fn case_lengths_are_moderate() {
    let coverage = Coverage::of(generated_cases());
    coverage.report("case() lengths");
    let mean = coverage.mean_length();
    assert!(
        (15.0..=80.0).contains(&mean),
        "mean case length {mean:.1} is outside 15..=80"
    );
    assert!(coverage.lengths.iter().all(|len| *len <= MAX_FACTS + 8));
}

#[test]
fn generated_facts_round_trip_through_traces() {
    for case in generated_cases() {
        let trace = case.trace();
        let text = write_trace(&trace);
        match parse_trace(&text) {
            Ok(parsed) => assert_eq!(parsed, trace, "round trip changed the case:\n{text}"),
            Err(error) => panic!("generated trace does not parse: {error}\n{text}"),
        }
    }
}

#[test]
fn debug_prints_the_swarm_line_then_a_trace() {
    for case in sample(case(), 50, SEED) {
        let printed = format!("{case:?}");
        let (first, rest) = printed.split_once('\n').unwrap_or((&printed, ""));
        assert!(first.starts_with("swarm: "), "first line: {first}");
        assert_eq!(first, case.swarm.to_string());
        assert_eq!(format!("{:#?}", case), printed, "alternate Debug differs");
        match parse_trace(rest) {
            Ok(trace) => assert_eq!(trace, case.trace()),
            Err(error) => panic!("printed case is not a trace: {error}\n{printed}"),
        }
    }
}

#[test]
fn swarm_config_restricts_fact_kinds() {
    let cases = generated_cases();
    let mut restricted = 0;
    for case in cases {
        if case.swarm.fact_kinds != FactKinds::ALL {
            restricted += 1;
        }
        for fact in &case.facts {
            assert!(
                case.swarm.fact_kinds.contains(fact),
                "{} appears although disabled in {case:?}",
                fact.type_name()
            );
        }
    }
    assert!(restricted * 4 >= cases.len(), "too few restricted configs");

    // A narrow configuration with every chaos operation (which inserts responses and requests)
    // still yields only the enabled kinds.
    let narrow = SwarmConfig {
        fact_kinds: FactKinds::NONE
            .with("thread_bound")
            .with("command_execution_request")
            .with("request_aborted"),
        chaos: ChaosKinds::ALL,
        ..SwarmConfig::default()
    };
    let mut kinds = BTreeSet::new();
    for case in sample(case_with(narrow), 300, SEED) {
        kinds.extend(case.facts.iter().map(Fact::type_name));
    }
    let expected: BTreeSet<&str> = narrow.fact_kinds.names().collect();
    assert_eq!(kinds, expected);

    // `scenario` on its own filters too.
    for facts in sample(scenario(&narrow), 300, SEED) {
        assert!(facts.iter().all(|fact| narrow.allows(fact)));
    }
}

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
    use super::episode::{BindPlan, ItemLifecycle, ItemPlan, Scenario, ThreadOrigin, Timeline};
    use super::episode::{TurnEnd, TurnPlan};
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
        super::Episode::Turn(TurnPlan {
            thread: 0,
            items: vec![item(negative_first)],
            parallel: false,
            end: TurnEnd::Completed,
        })
    };
    let plan = Scenario {
        episodes: vec![
            super::Episode::Bind(BindPlan {
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
    let facts = super::render(&plan, &config);
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

/// xorshift64: a fixed pseudo-random byte source without a new dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn unstructured_cases_are_well_formed() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut cases = Vec::new();
    let mut failures = 0;
    // Facts per case by input size: 64..256, 256..1024, 1024.. bytes.
    let mut by_size = [(0usize, 0usize); 3];
    const BUFFERS: usize = 1_000;
    for _ in 0..BUFFERS {
        let len = 64 + (rng.next() % 4_033) as usize;
        let bytes = rng.bytes(len);
        match case_from_unstructured(&mut arbitrary::Unstructured::new(&bytes)) {
            Ok(case) => {
                let band = &mut by_size[usize::from(len >= 256) + usize::from(len >= 1024)];
                band.0 += 1;
                band.1 += case.facts.len();
                cases.push(case);
            }
            Err(_) => failures += 1,
        }
    }
    let coverage = Coverage::of(&cases);
    coverage.report("case_from_unstructured (1,000 xorshift buffers of 64..=4096 bytes)");
    let ok = cases.len() as f64 / BUFFERS as f64;
    println!("  succeeded: {:.1} %", 100.0 * ok);
    for (label, (count, facts)) in ["64..256", "256..1024", "1024..=4096"].iter().zip(by_size) {
        println!(
            "  {label} bytes: {count} buffers, mean {:.1} facts",
            facts as f64 / count.max(1) as f64
        );
    }
    assert_eq!(failures, 0, "some byte buffers failed to build a case");
    for case in &cases {
        assert!(case.facts.len() <= MAX_FACTS + super::chaos::CHAOS_OPS_MAX);
        assert!(case.facts.iter().all(|fact| case.swarm.allows(fact)));
        let trace = case.trace();
        assert_eq!(parse_trace(&write_trace(&trace)).ok(), Some(trace));
    }
    for name in Fact::TYPE_NAMES {
        assert!(
            coverage.count(&format!("fact:{name}")) > 0,
            "{name} never generated from bytes"
        );
    }
    assert!(coverage.count("fan_out") > 0);
    let mean = coverage.mean_length();
    assert!((15.0..=80.0).contains(&mean), "mean length {mean:.1}");
}

#[test]
fn unstructured_accepts_short_and_empty_inputs() {
    let mut rng = XorShift(42);
    for len in 0..64 {
        let bytes = rng.bytes(len);
        let case = case_from_unstructured(&mut arbitrary::Unstructured::new(&bytes));
        assert!(case.is_ok(), "{len} bytes failed");
    }
    // Equal bytes give equal cases: a fuzz finding replays.
    let bytes = rng.bytes(512);
    let first = case_from_unstructured(&mut arbitrary::Unstructured::new(&bytes)).ok();
    let second = case_from_unstructured(&mut arbitrary::Unstructured::new(&bytes)).ok();
    assert_eq!(first, second);
}

#[test]
fn shrinking_lands_on_a_small_case() {
    // A deliberately false property: no guardian ever denies. The shrunk counterexample should
    // be a handful of facts, not a whole session.
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 512,
            failure_persistence: None,
            // The default budget is 4 steps per case (2,048): this one takes about 2,700.
            max_shrink_iters: 10_000,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[SEED; 32]),
    );
    let result = runner.run(&case(), |case| {
        let denied = case.facts.iter().any(|fact| {
            matches!(
                fact,
                Fact::GuardianReviewCompleted {
                    status: crate::fact::GuardianStatus::Denied,
                    ..
                }
            )
        });
        proptest::prop_assert!(!denied);
        Ok(())
    });
    match result {
        Err(TestError::Fail(_, minimal)) => {
            println!("shrunk to:\n{minimal:?}");
            assert!(
                minimal.facts.len() <= 3,
                "shrunk case is still {} facts long:\n{minimal:?}",
                minimal.facts.len()
            );
        }
        other => panic!("expected a failing case, got {other:?}"),
    }
}

fn command_request(connection_id: u64, request_id: u64, started_at_ms: i64) -> Fact {
    Fact::CommandExecutionRequest {
        connection_id,
        request_id,
        thread_id: "t1".into(),
        turn_id: "u1".into(),
        item_id: "i1".into(),
        started_at_ms,
        approval_id: None,
        network_approval_context: None,
        proposed_network_policy_amendments: None,
        additional_permissions: None,
    }
}

fn accept(connection_id: u64, request_id: u64, completed_at_ms: i64) -> Fact {
    closing_fact(
        connection_id,
        request_id,
        &Closing::Command(CommandDecision::Accept),
        completed_at_ms,
    )
}

fn item_started(started_at_ms: i64) -> Fact {
    Fact::ItemStarted {
        connection_id: 1,
        thread_id: "t1".into(),
        turn_id: "u1".into(),
        item_id: "i1".into(),
        kind: crate::fact::ItemKind::CommandExecution,
        started_at_ms,
    }
}

fn item_completed(completed_at_ms: i64) -> Fact {
    Fact::ItemCompleted {
        connection_id: 1,
        thread_id: "t1".into(),
        turn_id: "u1".into(),
        item_id: "i1".into(),
        kind: crate::fact::ItemKind::CommandExecution,
        status: crate::fact::ItemStatus::Completed,
        completed_at_ms,
    }
}

/// `[start i1, req#1 on c1, req#1 on c2, accept req#1, complete i1]`
fn small_stream() -> Vec<Fact> {
    vec![
        item_started(1_000),
        command_request(1, 1, 1_010),
        command_request(2, 1, 1_010),
        accept(2, 1, 1_020),
        item_completed(1_030),
    ]
}

#[test]
fn late_request_copy_follows_the_closing_fact() {
    let damaged = apply_chaos(
        small_stream(),
        &[ChaosOp::LateRequestCopy {
            pick: 0,
            connection: 3,
        }],
    );
    assert_eq!(damaged[4], command_request(3, 1, 1_010));
}

#[test]
fn conflicting_request_reuses_the_id_after_the_copies() {
    let damaged = apply_chaos(
        small_stream(),
        &[ChaosOp::ConflictingRequest {
            pick: 0,
            conflict: Conflict::OtherItem,
        }],
    );
    let Fact::CommandExecutionRequest {
        request_id,
        item_id,
        ..
    } = &damaged[3]
    else {
        panic!("expected a command request at 3: {damaged:#?}");
    };
    assert_eq!((*request_id, &**item_id), (1, "i2"));
    let other_kind = apply_chaos(
        small_stream(),
        &[ChaosOp::ConflictingRequest {
            pick: 0,
            conflict: Conflict::OtherKind,
        }],
    );
    assert_eq!(other_kind[3].type_name(), "file_change_request");
    assert_eq!(request_id_of(&other_kind[3]), Some(1));
}

fn request_id_of(fact: &Fact) -> Option<u64> {
    request_id(fact)
}

#[test]
fn wrong_kind_response_cannot_close_the_request() {
    for other in [false, true] {
        let damaged = apply_chaos(
            small_stream(),
            &[ChaosOp::WrongKindResponse { pick: 0, other }],
        );
        let kind = damaged[3].type_name();
        assert!(
            kind == "file_change_response" || kind == "effective_permissions_response",
            "{kind}"
        );
        assert_eq!(request_id_of(&damaged[3]), Some(1));
    }
}

#[test]
fn completion_before_start_moves_the_completion() {
    let damaged = apply_chaos(
        small_stream(),
        &[ChaosOp::CompletionBeforeStart { pick: 0 }],
    );
    // Candidates in stream order: accept req#1 (pick 0), then item_completed i1.
    assert_eq!(damaged[1], accept(2, 1, 1_020));
    assert_eq!(damaged[2], command_request(1, 1, 1_010));
    let damaged = apply_chaos(
        small_stream(),
        &[ChaosOp::CompletionBeforeStart { pick: 1 }],
    );
    assert_eq!(damaged[0], item_completed(1_030));
    assert_eq!(damaged[1], item_started(1_000));
}

#[test]
fn chaos_without_candidates_changes_nothing() {
    let facts = vec![Fact::TurnCompleted {
        thread_id: "t1".into(),
        turn_id: "u1".into(),
        completed_at_ms: CLOCK_START_MS,
    }];
    let ops = [
        ChaosOp::DropItemStart { pick: 3 },
        ChaosOp::CompletionBeforeStart { pick: 3 },
        ChaosOp::LateRequestCopy {
            pick: 3,
            connection: 1,
        },
        ChaosOp::ConflictingRequest {
            pick: 3,
            conflict: Conflict::LaterStart,
        },
        ChaosOp::WrongKindResponse {
            pick: 3,
            other: true,
        },
        ChaosOp::Swap { at: 0, distance: 0 },
        ChaosOp::GuardianLateCopy {
            pick: 3,
            distance: 2,
            connection: 1,
        },
        ChaosOp::GuardianOtherTurn {
            pick: 3,
            distance: 2,
            connection: 1,
        },
        ChaosOp::GuardianAfterTurnEnd {
            pick: 3,
            connection: 1,
        },
    ];
    assert_eq!(apply_chaos(facts.clone(), &ops), facts);
    assert_eq!(apply_chaos(Vec::new(), &ops), Vec::new());
    let orphan = apply_chaos(
        Vec::new(),
        &[ChaosOp::OrphanResponse {
            at: 9,
            connection: 1,
            request_id: 901,
            closing: Closing::Aborted,
        }],
    );
    assert_eq!(
        orphan,
        vec![closing_fact(1, 901, &Closing::Aborted, CLOCK_START_MS)]
    );
}

/// Cases from fuzzer-like bytes: 2,000 xorshift buffers of 64..=4096 bytes, drawn once.
fn unstructured_sample() -> &'static [GeneratedCase] {
    static DRAWN: std::sync::OnceLock<Vec<GeneratedCase>> = std::sync::OnceLock::new();
    DRAWN.get_or_init(|| {
        let mut rng = XorShift(0x5eed_cafe_f00d_0001);
        (0..2_000)
            .filter_map(|_| {
                let len = 64 + (rng.next() % 4_033) as usize;
                let bytes = rng.bytes(len);
                case_from_unstructured(&mut arbitrary::Unstructured::new(&bytes)).ok()
            })
            .collect()
    })
}

#[test]
fn both_generators_reach_the_far_corners() {
    for (name, cases) in [
        ("case()", generated_cases()),
        ("case_from_unstructured", unstructured_sample()),
    ] {
        let coverage = Coverage::of(cases);
        let missing: Vec<&str> = REACH
            .into_iter()
            .filter(|feature| coverage.count(feature) == 0)
            .collect();
        for feature in REACH {
            println!("{name}: {feature:<40} {:>5}", coverage.count(feature));
        }
        assert!(
            missing.is_empty(),
            "{name}: never reached in {} cases: {missing:?}",
            cases.len()
        );
    }
}

/// Whether a swarm configuration switches one feature on.
type SwarmFeature = fn(&SwarmConfig) -> bool;

#[test]
fn every_swarm_feature_is_on_in_some_cases_and_off_in_others() {
    for (name, cases) in [
        ("case()", generated_cases()),
        ("case_from_unstructured", unstructured_sample()),
    ] {
        let features: [(&str, SwarmFeature); 10] = [
            ("connections > 3", |swarm| swarm.connections > 3),
            ("items/turn > 3", |swarm| swarm.items_per_turn > 3),
            ("ids past 2^53", |swarm| {
                matches!(swarm.ids, IdRange::PastF64 { .. })
            }),
            ("ids near u64::MAX", |swarm| {
                matches!(swarm.ids, IdRange::NearMax { .. })
            }),
            ("clock from 0", |swarm| swarm.clock == Clock::Zero),
            ("late clock", |swarm| {
                matches!(swarm.clock, Clock::Late { .. })
            }),
            ("limits 9..=4095", |swarm| {
                (9..=4095).contains(&swarm.limits.table_entries_max)
            }),
            ("guardian_late_copy", |swarm| {
                swarm.chaos.contains(super::ChaosKind::GuardianLateCopy)
            }),
            ("guardian_other_turn", |swarm| {
                swarm.chaos.contains(super::ChaosKind::GuardianOtherTurn)
            }),
            ("guardian_after_turn_end", |swarm| {
                swarm.chaos.contains(super::ChaosKind::GuardianAfterTurnEnd)
            }),
        ];
        for (feature, on) in features {
            let count = cases.iter().filter(|case| on(&case.swarm)).count();
            println!("{name}: {feature:<25} on in {count} of {}", cases.len());
            // On in at least 5 % of the cases, off in at least half.
            assert!(count * 20 >= cases.len(), "{name}: {feature} too rare");
            assert!(count * 2 <= cases.len(), "{name}: {feature} too common");
        }
    }
}

#[test]
fn id_ranges_are_one_to_one_and_past_2_53_collide_as_f64() {
    let ranges = [
        IdRange::Small,
        IdRange::PastF64 { offset: -2 },
        IdRange::PastF64 { offset: 2 },
        IdRange::NearMax { below: 0 },
        IdRange::NearMax { below: u8::MAX },
    ];
    for range in ranges {
        let ids: BTreeSet<u64> = (1..=1_000).map(|number| range.id(number)).collect();
        assert_eq!(ids.len(), 1_000, "{range} maps two numbers to one id");
    }
    assert_eq!(IdRange::NearMax { below: 0 }.id(1), u64::MAX);
    let past = IdRange::PastF64 { offset: 0 };
    assert_eq!(past.id(1), 1 << 53);
    assert_eq!(past.id(1) as f64, past.id(2) as f64);
}

#[test]
fn clocks_start_at_zero_and_end_near_the_end_of_time() {
    for clock in [Clock::Zero, Clock::Late { below: 7 }] {
        let config = SwarmConfig {
            clock,
            ..SwarmConfig::default()
        };
        let mut checked = 0;
        for plan in sample(super::scenario_plan(&config), 200, SEED) {
            // Only plans on the clock: no anomaly, no completion stamped negative on purpose.
            let negative_first = plan.episodes.iter().any(|episode| match episode {
                super::Episode::Turn(turn) => turn.items.iter().any(|item| {
                    matches!(
                        item.lifecycle,
                        super::episode::ItemLifecycle::Completed {
                            negative_first: true,
                            ..
                        }
                    )
                }),
                _ => false,
            });
            if !plan.timeline.anomalies.is_empty() || negative_first {
                continue;
            }
            let times: Vec<i64> = super::render(&plan, &config)
                .iter()
                .filter_map(Fact::timestamp_ms)
                .collect();
            let (Some(first), Some(last)) = (times.first(), times.iter().max()) else {
                continue;
            };
            checked += 1;
            match clock {
                Clock::Zero => assert_eq!(*first, 0, "{times:?}"),
                _ => assert!(*last <= i64::MAX - 7 && *last > i64::MAX - 7 - 30_000),
            }
            assert!(times.iter().all(|at_ms| *at_ms >= 0));
        }
        assert!(
            checked > 50,
            "{clock}: only {checked} plans without anomalies"
        );
    }
}

fn guardian(connection_id: u64, turn_id: &str) -> Fact {
    Fact::GuardianReviewCompleted {
        connection_id,
        thread_id: "t1".into(),
        turn_id: turn_id.into(),
        review_id: "g1".into(),
        target_item_id: Some("i1".into()),
        action: GuardianAction::Command {
            command: "ls".to_owned(),
        },
        status: crate::fact::GuardianStatus::Approved,
        started_at_ms: 1_010,
        completed_at_ms: 1_020,
    }
}

fn turn_completed(completed_at_ms: i64) -> Fact {
    Fact::TurnCompleted {
        thread_id: "t1".into(),
        turn_id: "u1".into(),
        completed_at_ms,
    }
}

/// `[start i1, guardian g1 on c1, complete i1, turn u1 ends]`
fn guardian_stream() -> Vec<Fact> {
    vec![
        item_started(1_000),
        guardian(1, "u1"),
        item_completed(1_030),
        turn_completed(1_040),
    ]
}

#[test]
fn guardian_redeliveries_land_later_under_another_turn_or_after_the_turn_end() {
    let late = apply_chaos(
        guardian_stream(),
        &[ChaosOp::GuardianLateCopy {
            pick: 0,
            distance: 1,
            connection: 5,
        }],
    );
    assert_eq!(late[3], guardian(5, "u1"));
    let clamped = apply_chaos(
        guardian_stream(),
        &[ChaosOp::GuardianLateCopy {
            pick: 0,
            distance: 200,
            connection: 2,
        }],
    );
    assert_eq!(clamped.last(), Some(&guardian(2, "u1")));
    let other_turn = apply_chaos(
        guardian_stream(),
        &[ChaosOp::GuardianOtherTurn {
            pick: 0,
            distance: 0,
            connection: 1,
        }],
    );
    assert_eq!(other_turn[2], guardian(1, "u2"));
    let after_end = apply_chaos(
        guardian_stream(),
        &[ChaosOp::GuardianAfterTurnEnd {
            pick: 0,
            connection: 3,
        }],
    );
    assert_eq!(after_end[3], turn_completed(1_040));
    assert_eq!(after_end[4], guardian(3, "u1"));
    // Without a later end of its turn, a completion is no candidate.
    let unended = vec![turn_completed(1_000), guardian(1, "u1")];
    let ops = [ChaosOp::GuardianAfterTurnEnd {
        pick: 0,
        connection: 1,
    }];
    assert_eq!(apply_chaos(unended.clone(), &ops), unended);
}
