//! Long fact streams for benchmarks and memory checks, as iterators of unbounded length.
//!
//! A **realistic** stream is many coherent scenarios back to back (the same scenarios the
//! property tests draw, without chaos), each relabelled so that its threads, requests and guardian
//! reviews never collide with another scenario's, while its connections come from a fixed pool
//! (a long-running app-server sees the same clients again). Its live set is bounded: turns end,
//! reviews complete, items finish. A **hostile** stream never repeats an id and never answers or
//! ends anything: only the bounds of CAP-1 keep the reducer's memory finite.

use std::collections::VecDeque;

use arbitrary::Unstructured;

use super::chunks::request_id_mut;
use super::render::render;
use super::swarm::SwarmConfig;
use super::unstructured::scenario_plan;
use crate::fact::{
    AppServerClient, Fact, GuardianAction, GuardianStatus, Id, Runtime, ThreadBinding,
};
use crate::id::Interner;

/// Connections a realistic stream draws from.
const CONNECTION_POOL: u64 = 64;
/// Random bytes behind one scenario.
const SCENARIO_BYTES: usize = 512;
/// Request ids of one scenario stay below this stride.
const REQUEST_ID_STRIDE: u64 = 1 << 20;

/// A small deterministic generator (xorshift64*), so streams are reproducible from a seed without
/// pulling a random-number crate into the library.
pub(crate) struct XorShift(u64);

impl XorShift {
    pub(crate) fn new(seed: u64) -> XorShift {
        XorShift(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(crate) fn fill(&mut self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

/// An endless realistic stream: coherent scenarios, relabelled apart, each followed by the end of
/// every turn it touched, so its live set stays bounded. Reproducible from `seed`.
pub fn realistic(seed: u64) -> impl Iterator<Item = Fact> {
    scenarios(seed, true)
}

/// As [`realistic`], but turns end only when the scenario ends them: some never do (the stream
/// lost the fact), so their state stays until the bounds of CAP-1 evict it.
pub fn lossy(seed: u64) -> impl Iterator<Item = Fact> {
    scenarios(seed, false)
}

fn scenarios(seed: u64, end_every_turn: bool) -> impl Iterator<Item = Fact> {
    let mut rng = XorShift::new(seed);
    let mut bytes = vec![0u8; SCENARIO_BYTES];
    let mut pending: VecDeque<Fact> = VecDeque::new();
    let mut scenario = 0u64;
    let config = SwarmConfig::default();
    // Equal ids of the stream's facts are one shared id, as where facts are made from one
    // server's state (or read by the trace reader, which interns the same way).
    let mut interner = Interner::default();
    std::iter::from_fn(move || {
        while pending.is_empty() {
            rng.fill(&mut bytes);
            let mut u = Unstructured::new(&bytes);
            // Running out of bytes only shortens a scenario; an error skips it.
            if let Ok(plan) = scenario_plan(&mut u, &config) {
                let facts = render(&plan, &config);
                let turns = if end_every_turn {
                    turns_of(&facts)
                } else {
                    Vec::new()
                };
                let turn_ends = turns
                    .into_iter()
                    .map(|(thread_id, turn_id)| Fact::TurnCompleted {
                        thread_id: thread_id.into(),
                        turn_id: turn_id.into(),
                        completed_at_ms: i64::MAX,
                    });
                pending.extend(facts.into_iter().chain(turn_ends).map(|mut fact| {
                    relabel(&mut fact, scenario);
                    fact.intern_ids(&mut interner);
                    fact
                }));
            }
            scenario += 1;
        }
        pending.pop_front()
    })
}

/// Every (thread, turn) the facts touch, in first-seen order.
fn turns_of(facts: &[Fact]) -> Vec<(String, String)> {
    let mut turns: Vec<(String, String)> = Vec::new();
    for fact in facts {
        let Some((thread_id, turn_id)) = crate::render::turn_of(fact) else {
            continue;
        };
        let turn = (thread_id, turn_id);
        if !turns
            .iter()
            .any(|(t, u)| **t == **turn.0 && **u == **turn.1)
        {
            turns.push((turn.0.to_string(), turn.1.to_string()));
        }
    }
    turns
}

/// Makes one scenario's ids its own: threads and guardian reviews get a suffix, request ids an
/// offset, connections a place in the pool.
fn relabel(fact: &mut Fact, scenario: u64) {
    if let Some(id) = connection_id_mut(fact) {
        *id = (*id + scenario * 7) % CONNECTION_POOL + 1;
    }
    if let Some(id) = request_id_mut(fact) {
        *id = scenario * REQUEST_ID_STRIDE + *id % REQUEST_ID_STRIDE;
    }
    for_each_scenario_id(fact, |id| *id = format!("{id}.s{scenario}").into());
}

/// The connection a fact names, to change it; None for the two facts that name none.
fn connection_id_mut(fact: &mut Fact) -> Option<&mut u64> {
    match fact {
        Fact::TurnCompleted { .. } | Fact::SubagentThreadStarted { .. } => None,
        Fact::Initialize { connection_id, .. }
        | Fact::ThreadBound { connection_id, .. }
        | Fact::ItemStarted { connection_id, .. }
        | Fact::ItemCompleted { connection_id, .. }
        | Fact::RequestAborted { connection_id, .. }
        | Fact::MalformedResponse { connection_id, .. }
        | Fact::FileChangeResponse { connection_id, .. }
        | Fact::CommandExecutionResponse { connection_id, .. }
        | Fact::EffectivePermissionsResponse { connection_id, .. }
        | Fact::FileChangeRequest { connection_id, .. }
        | Fact::PermissionsRequest { connection_id, .. }
        | Fact::CommandExecutionRequest { connection_id, .. }
        | Fact::GuardianReviewCompleted { connection_id, .. } => Some(connection_id),
    }
}

/// Calls `relabel` on every id a scenario owns: its thread ids (parents included) and its
/// guardian review ids. Turn and item ids stay, as they are keyed under their thread.
fn for_each_scenario_id(fact: &mut Fact, mut relabel: impl FnMut(&mut Id)) {
    match fact {
        Fact::Initialize { .. }
        | Fact::RequestAborted { .. }
        | Fact::MalformedResponse { .. }
        | Fact::FileChangeResponse { .. }
        | Fact::CommandExecutionResponse { .. }
        | Fact::EffectivePermissionsResponse { .. } => {}
        Fact::TurnCompleted { thread_id, .. }
        | Fact::ItemStarted { thread_id, .. }
        | Fact::ItemCompleted { thread_id, .. }
        | Fact::FileChangeRequest { thread_id, .. }
        | Fact::PermissionsRequest { thread_id, .. }
        | Fact::CommandExecutionRequest { thread_id, .. } => relabel(thread_id),
        Fact::ThreadBound {
            thread_id,
            parent_thread_id,
            ..
        }
        | Fact::SubagentThreadStarted {
            thread_id,
            parent_thread_id,
            ..
        } => {
            relabel(thread_id);
            if let Some(parent) = parent_thread_id {
                relabel(parent);
            }
        }
        Fact::GuardianReviewCompleted {
            thread_id,
            review_id,
            ..
        } => {
            relabel(thread_id);
            relabel(review_id);
        }
    }
}

/// An endless hostile stream: every fact opens state under a never-repeating id (connections,
/// threads, requests never answered, items never completed, guardian reviews), and no turn ever
/// ends.
pub fn hostile(seed: u64) -> impl Iterator<Item = Fact> {
    let mut rng = XorShift::new(seed);
    let mut n = 0u64;
    std::iter::from_fn(move || {
        n += 1;
        let thread_id = format!("t{n}");
        let turn_id = "u1".to_owned();
        let item_id = format!("i{n}");
        let at_ms = i64::try_from(n).unwrap_or(i64::MAX);
        Some(match rng.next_u64() % 5 {
            0 => Fact::Initialize {
                connection_id: n,
                app_server_client: AppServerClient {
                    product_client_id: None,
                    client_name: Some("hostile".to_owned()),
                    client_version: None,
                    rpc_transport: None,
                    experimental_api_enabled: None,
                }
                .into(),
                runtime: Runtime {
                    codex_rs_version: None,
                    runtime_os: None,
                    runtime_os_version: None,
                    runtime_arch: None,
                }
                .into(),
            },
            1 => Fact::ThreadBound {
                connection_id: n,
                thread_id: thread_id.into(),
                binding: ThreadBinding::Started,
                thread_source: None,
                subagent_source: None,
                parent_thread_id: None,
                originator: None,
            },
            2 => Fact::CommandExecutionRequest {
                connection_id: 1,
                request_id: n,
                thread_id: thread_id.into(),
                turn_id: turn_id.into(),
                item_id: item_id.into(),
                started_at_ms: at_ms,
                approval_id: None,
                network_approval_context: None,
                proposed_network_policy_amendments: None,
                additional_permissions: None,
            },
            3 => Fact::ItemStarted {
                connection_id: 1,
                thread_id: thread_id.into(),
                turn_id: turn_id.into(),
                item_id: item_id.into(),
                kind: crate::fact::ItemKind::CommandExecution,
                started_at_ms: at_ms,
            },
            _ => Fact::GuardianReviewCompleted {
                connection_id: 1,
                thread_id: thread_id.into(),
                turn_id: turn_id.into(),
                review_id: format!("g{n}").into(),
                target_item_id: Some(item_id.into()),
                action: GuardianAction::Command {
                    command: "ls".to_owned(),
                },
                status: GuardianStatus::Approved,
                started_at_ms: at_ms,
                completed_at_ms: at_ms,
            },
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_endless() {
        let a: Vec<Fact> = realistic(1).take(2_000).collect();
        let b: Vec<Fact> = realistic(1).take(2_000).collect();
        assert_eq!(a, b);
        assert_eq!(hostile(3).take(5_000).count(), 5_000);
    }

    #[test]
    fn realistic_scenarios_do_not_share_threads_or_requests() {
        let facts: Vec<Fact> = realistic(2).take(5_000).collect();
        let mut owner: std::collections::HashMap<u64, String> = std::collections::HashMap::new();
        for fact in &facts {
            if let Fact::CommandExecutionRequest {
                request_id,
                thread_id,
                ..
            }
            | Fact::FileChangeRequest {
                request_id,
                thread_id,
                ..
            }
            | Fact::PermissionsRequest {
                request_id,
                thread_id,
                ..
            } = fact
            {
                let scenario = thread_id.rsplit('.').next().unwrap_or_default().to_owned();
                let previous = owner.entry(*request_id).or_insert_with(|| scenario.clone());
                assert_eq!(*previous, scenario, "request {request_id} spans scenarios");
            }
        }
        assert!(owner.len() > 100, "too few requests: {}", owner.len());
    }
}
