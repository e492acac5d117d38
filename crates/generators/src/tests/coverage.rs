//! What a set of cases exercised (`Coverage`), and the tests that every part of the vocabulary
//! is generated, that both generators reach the far corners, and that cases are of moderate
//! length.

use std::collections::{BTreeMap, BTreeSet};

use super::reach::reach;
use super::support::{CASES, generated_cases, unstructured_sample};
use crate::GeneratedCase;
use crate::MAX_FACTS;
use crate::fact::{CommandDecision, Fact, FileChangeDecision, GuardianAction, NetworkPolicyAction};
use crate::render::{is_request, request_id};

/// What a set of cases exercised, by name.
#[derive(Default)]
pub(super) struct Coverage {
    cases: usize,
    features: BTreeMap<String, usize>,
    lengths: Vec<usize>,
}

impl Coverage {
    pub(super) fn of(cases: &[GeneratedCase]) -> Coverage {
        let mut coverage = Coverage::default();
        for case in cases {
            coverage.observe(case);
        }
        coverage
    }

    pub(super) fn count(&self, feature: &str) -> usize {
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
        for fact in &case.facts {
            seen.insert(format!("fact:{}", fact.type_name()));
            observe_time(fact, &mut seen);
            observe_fact(fact, &mut seen);
        }
        observe_across_facts(&case.facts, &mut seen);
        seen.extend(reach(case).into_iter().map(str::to_owned));
        for feature in seen {
            *self.features.entry(feature).or_default() += 1;
        }
    }

    pub(super) fn mean_length(&self) -> f64 {
        self.lengths.iter().sum::<usize>() as f64 / self.lengths.len().max(1) as f64
    }

    pub(super) fn report(&self, title: &str) {
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

/// A timestamp at an edge: negative, zero, or the end of time.
fn observe_time(fact: &Fact, seen: &mut BTreeSet<String>) {
    if let Some(at_ms) = fact.timestamp_ms() {
        if at_ms < 0 {
            seen.insert("time:negative".to_owned());
        } else if at_ms == 0 {
            seen.insert("time:zero".to_owned());
        } else if at_ms == i64::MAX {
            seen.insert("time:max".to_owned());
        }
    }
}

/// What only several facts together show: a request fanned out to two connections or more, one
/// item id under two threads, a request closed before it started.
fn observe_across_facts(facts: &[Fact], seen: &mut BTreeSet<String>) {
    let mut request_connections: BTreeMap<u64, BTreeSet<u64>> = BTreeMap::new();
    let mut item_threads: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut request_started: BTreeMap<u64, i64> = BTreeMap::new();
    for fact in facts {
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
}

fn observe_fact(fact: &Fact, seen: &mut BTreeSet<String>) {
    match fact {
        Fact::CommandExecutionResponse { decision, .. } => {
            let name = command_decision_name(decision);
            seen.insert(format!("command_decision:{name}"));
        }
        Fact::FileChangeResponse { decision, .. } => {
            let name = file_change_decision_name(*decision);
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
            let name = guardian_action_name(action);
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

/// A command decision's coverage name; a network policy amendment's by its action.
fn command_decision_name(decision: &CommandDecision) -> &'static str {
    match decision {
        CommandDecision::Accept => "accept",
        CommandDecision::Decline => "decline",
        CommandDecision::Cancel => "cancel",
        CommandDecision::AcceptForSession => "accept_for_session",
        CommandDecision::AcceptWithExecpolicyAmendment { .. } => "accept_with_execpolicy_amendment",
        CommandDecision::ApplyNetworkPolicyAmendment {
            network_policy_amendment,
        } => match network_policy_amendment.action {
            NetworkPolicyAction::Allow => "apply_network_policy_amendment:allow",
            NetworkPolicyAction::Deny => "apply_network_policy_amendment:deny",
        },
    }
}

/// A file change decision's coverage name.
fn file_change_decision_name(decision: FileChangeDecision) -> &'static str {
    match decision {
        FileChangeDecision::Accept => "accept",
        FileChangeDecision::Decline => "decline",
        FileChangeDecision::Cancel => "cancel",
        FileChangeDecision::AcceptForSession => "accept_for_session",
    }
}

/// A guardian action's coverage name.
fn guardian_action_name(action: &GuardianAction) -> &'static str {
    match action {
        GuardianAction::Command { .. } => "command",
        GuardianAction::Execve { .. } => "execve",
        GuardianAction::ApplyPatch { .. } => "apply_patch",
        GuardianAction::McpToolCall { .. } => "mcp_tool_call",
        GuardianAction::NetworkAccess { .. } => "network_access",
        GuardianAction::RequestPermissions { .. } => "request_permissions",
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
    for kind in crate::ChaosKind::ALL {
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

/// The far corners both generators must reach: [`reach`]'s features, and `time:zero` and
/// `fan_out` of [`Coverage::observe`].
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
