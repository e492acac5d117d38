//! Generators: what to generate, never how to run it.
//!
//! A generated case is drawn in three steps: a [`SwarmConfig`] (which fact kinds and chaos
//! operations this case may use, pool sizes, where request ids and the clock run, limits), a
//! coherent [`scenario()`] within it (initialized connections, threads bound to one or several
//! connections, turns with tool items, one after another or in parallel, and user or guardian
//! reviews, fanned out per connection as the app-server does), then a [`chaos()`] layer
//! (duplicates, swaps, orphans, late copies, conflicts, wrong kinds, guardian completions
//! delivered again). Both the proptest strategies and the cargo-fuzz entry point
//! ([`case_from_unstructured`]) build the same plain [`Scenario`] description and share one
//! renderer. The differ, the test runner and the subjects live elsewhere; nothing here reduces
//! facts.

#![warn(missing_docs)]

mod bytes;
pub mod chaos;
mod chunks;
pub mod episode;
pub mod pools;
pub mod render;
pub mod scenario;
mod sites;
pub mod stream;
pub mod swarm;
pub mod unstructured;
pub mod values;

#[cfg(test)]
mod tests;

use review_spec_vocab::{event, fact, id, profile, trace};

use std::fmt;

use proptest::prelude::*;

pub use self::chaos::{ChaosOp, apply_chaos, chaos, chaos_ops};
pub use self::chunks::MAX_FACTS;
pub use self::episode::{Episode, Scenario};
pub use self::render::render;
pub use self::scenario::{scenario, scenario_plan};
pub use self::swarm::{ChaosKind, ChaosKinds, FactKinds, SwarmConfig, swarm_config};
pub use self::unstructured::case_from_unstructured;

use crate::event::Limits;
use crate::fact::{Fact, ItemKind, ItemStatus};
use crate::profile::{Base, Profile};
use crate::trace::{Trace, write_trace};

/// One generated case: the swarm configuration it was drawn under, its limits and its facts.
#[derive(Clone, PartialEq, Eq)]
pub struct GeneratedCase {
    /// The swarm configuration the scenario and its chaos were drawn within; printed as the
    /// first line of the case's `Debug` output. Its `limits` are the case's own `limits`.
    pub swarm: SwarmConfig,
    /// The state bounds the case is reduced with (CAP-1), the same as `swarm.limits`: written
    /// into the case's trace. Drawn beside the case by [`case()`], so they shrink on their own.
    pub limits: Limits,
    /// The rendered scenario (at most [`MAX_FACTS`]) with chaos applied (each operation inserts
    /// at most one fact, and at most [`chaos::CHAOS_OPS_MAX`] are applied) and every fact of a
    /// kind the swarm disables removed. Empty when [`case_from_seed`] gives up.
    pub facts: Vec<Fact>,
}

/// A case: a swarm configuration, then a scenario within it, then chaos.
pub fn case() -> impl Strategy<Value = GeneratedCase> {
    // The limits shape nothing the scenario or its chaos draws: drawn beside the case rather
    // than inside the flat map (which redraws the case when its configuration shrinks), they
    // shrink on their own, first, toward small bounds a short counterexample can fill.
    (swarm::limits(), swarm_config().prop_flat_map(case_with)).prop_map(|(limits, case)| {
        GeneratedCase {
            swarm: SwarmConfig {
                limits,
                ..case.swarm
            },
            limits,
            ..case
        }
    })
}

/// Random bytes behind one case drawn from a seed.
const CASE_BYTES: usize = 1024;

/// A case drawn from a 64-bit seed: the seed expands into bytes that [`case_from_unstructured`]
/// reads, so the case is one of the same coherent scenarios, built without proptest's value
/// trees (several times faster to draw). Shrinking such a case is left to `diff::minimize`.
pub fn case_from_seed(seed: u64) -> GeneratedCase {
    let mut rng = stream::XorShift::new(seed);
    let mut bytes = vec![0u8; CASE_BYTES];
    // Running out of bytes only shortens a scenario; an error (not seen in 10^6 draws) draws
    // fresh bytes from the same seed's stream, a bounded number of times.
    for _ in 0..SEED_DRAWS_MAX {
        rng.fill(&mut bytes);
        if let Ok(case) = case_from_unstructured(&mut arbitrary::Unstructured::new(&bytes)) {
            return case;
        }
    }
    let swarm = SwarmConfig::default();
    GeneratedCase {
        swarm,
        limits: swarm.limits,
        facts: Vec::new(),
    }
}

/// How often [`case_from_seed`] redraws bytes before settling for an empty case.
const SEED_DRAWS_MAX: usize = 16;

/// A case under a fixed swarm configuration.
pub fn case_with(config: SwarmConfig) -> impl Strategy<Value = GeneratedCase> {
    // The scenario and its chaos are drawn independently (chaos selectors resolve against
    // whatever stream they meet), so each shrinks on its own.
    (scenario_plan(&config), chaos_ops(&config))
        .prop_map(move |(plan, ops)| GeneratedCase::build(config, &plan, &ops))
}

impl GeneratedCase {
    /// Renders `plan`, applies `ops`, and removes the fact kinds `swarm` disables.
    pub fn build(swarm: SwarmConfig, plan: &Scenario, ops: &[ChaosOp]) -> GeneratedCase {
        let mut facts = apply_chaos(render(plan, &swarm), ops);
        swarm.retain_enabled(&mut facts);
        GeneratedCase {
            swarm,
            limits: swarm.limits,
            facts,
        }
    }

    /// The case as a trace, ready to write or reduce.
    pub fn trace(&self) -> Trace {
        Trace {
            limits: self.limits,
            profile: Profile::SPEC,
            facts: self.facts.clone(),
        }
    }

    /// The case with only facts of trace format `version` ([`Fact::in_trace_format`]): for a
    /// subject that reads no newer ones.
    pub fn in_trace_format(mut self, version: u32) -> GeneratedCase {
        if version < crate::trace::TRACE_FORMAT_VERSION {
            self.facts = self
                .facts
                .iter()
                .filter_map(|fact| fact.in_trace_format(version))
                .collect();
        }
        self
    }

    /// The case with only facts the profile's base can express: under `upstream`, each item
    /// completion carries a status its kind has upstream (web search always completed; MCP,
    /// dynamic and collab calls failed for declined; image generation's status is a free string
    /// upstream, so any status stays), and responses and aborts carry unsigned timestamps.
    pub fn expressible_under(mut self, profile: &Profile) -> GeneratedCase {
        if profile.base == Base::Upstream {
            for fact in &mut self.facts {
                make_expressible_upstream(fact);
            }
        }
        self
    }
}

/// Rewrites one fact into the nearest one upstream can express (see
/// [`crate::profile::upstream_cannot_express`]).
fn make_expressible_upstream(fact: &mut Fact) {
    match fact {
        Fact::ItemCompleted { kind, status, .. } => {
            *status = match (*kind, *status) {
                (ItemKind::WebSearch, _) => ItemStatus::Completed,
                (
                    ItemKind::McpToolCall
                    | ItemKind::DynamicToolCall
                    | ItemKind::CollabAgentToolCall,
                    ItemStatus::Declined,
                ) => ItemStatus::Failed,
                (_, status) => status,
            };
        }
        _ if fact.is_closing() && fact.timestamp_ms().is_some_and(|ms| ms < 0) => {
            chunks::set_time(fact, 0, 0);
        }
        _ => {}
    }
}

/// The swarm configuration on one line, then the case as a trace file: a failing case printed
/// by proptest can be saved as it is and replayed.
impl fmt::Debug for GeneratedCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.swarm)?;
        f.write_str(&write_trace(&self.trace()))
    }
}
