//! Coherent scenarios as proptest strategies: plausible streams, not random facts.
//!
//! [`scenario_plan`] draws a [`Scenario`]: connections initialize, threads are bound to one or
//! several connections, then turns run (interleaved across threads), each with tool items (one
//! after another, or in parallel) whose reviews are user requests fanned out to every attached
//! connection, or guardian completions delivered per connection. Occasional re-initializations
//! and rebindings happen between turns. [`scenario`] renders it to facts. Every `prop_oneof!`
//! lists its alternatives simple to complex, and the top level is a list of independent
//! episodes, so shrinking drops whole episodes and ends on a short, readable stream.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::subsequence;

use super::episode::{
    BindPlan, CommandRequest, Episode, GuardianReview, ItemLifecycle, ItemPlan, Outcome,
    ReviewPlan, Scenario, Stamp, SubagentPlan, ThreadOrigin, TimeAnomaly, Timeline, TurnPlan,
    UserRequest, UserReview,
};
use super::pools;
use super::render::render;
use super::swarm::SwarmConfig;
use super::values::{
    chance, command_decision, file_change_decision, flag, grant, guardian_action,
    network_approval_context, network_policy_amendment, permission_profile, string, weighted,
};
use crate::fact::{AppServerClient, ConnectionId, Fact, Runtime, ThreadBinding};

/// The most episodes after the setup (turns, re-initializations, rebindings).
pub const BODY_EPISODES_MAX: usize = 8;
/// The most reviews of one item.
pub const REVIEWS_PER_ITEM_MAX: usize = 2;
/// The length of an interleaving schedule (it is cycled).
pub const SCHEDULE_MAX: usize = 16;
/// The longest guardian review, either way.
pub const GUARDIAN_DURATION_MAX_MS: i64 = 500;
/// The clock's largest tick.
pub const TICK_MAX_MS: i64 = 100;
/// The most off-clock chunks.
pub const ANOMALIES_MAX: usize = 2;
/// The largest skew of an off-clock chunk, in ticks.
pub const SKEW_TICKS_MAX: i8 = 20;

/// Facts of a coherent scenario within `config`, with disabled fact kinds removed.
pub fn scenario(config: &SwarmConfig) -> impl Strategy<Value = Vec<Fact>> + use<> {
    let config = *config;
    scenario_plan(&config).prop_map(move |plan| {
        let mut facts = render(&plan, &config);
        config.retain_enabled(&mut facts);
        facts
    })
}

/// A coherent scenario within `config`'s pools, before rendering.
pub fn scenario_plan(config: &SwarmConfig) -> impl Strategy<Value = Scenario> + use<> {
    let schedule = option::weighted(
        pools::INTERLEAVED.probability(),
        vec(any::<u8>(), 1..=SCHEDULE_MAX),
    )
    .prop_map(Option::unwrap_or_default);
    // The body comes first in the tuple, so shrinking drops whole episodes (and shortens the
    // stream) before it simplifies the setup's metadata.
    (
        vec(body_episode(config), 1..=BODY_EPISODES_MAX),
        setup(config),
        schedule,
        timeline(),
    )
        .prop_map(|(body, mut episodes, schedule, timeline)| {
            episodes.extend(body);
            Scenario {
                episodes,
                schedule,
                timeline,
            }
        })
}

/// Every connection initializes and every thread is bound to a non-empty set of connections
/// (the last binder owns it); each of these rarely goes missing, which CTX-3 covers, and a
/// thread's bindings sometimes arrive after its first turn.
fn setup(config: &SwarmConfig) -> impl Strategy<Value = Vec<Episode>> + use<> {
    let initializations = vec(
        chance(pools::SETUP_PRESENT, client_and_runtime()),
        usize::from(config.connections),
    );
    let bindings = vec(
        (
            chance(
                pools::SETUP_PRESENT,
                (thread_binders(config), flag(pools::BIND_LATE)),
            ),
            flag(pools::SUBAGENT_THREAD),
            subagent_plan(config),
        ),
        usize::from(config.threads),
    );
    (initializations, bindings).prop_map(|(initializations, bindings)| {
        let mut episodes = Vec::new();
        for (connection, initialization) in (1..).zip(initializations) {
            if let Some((client, runtime)) = initialization {
                episodes.push(Episode::Initialize {
                    connection,
                    client,
                    runtime,
                });
            }
        }
        for (thread, (binders, subagent, plan)) in (0..).zip(bindings) {
            // A thread after the first may start as a sub-agent of the one before it (or of
            // whichever thread its plan names), with no binding of its own.
            if subagent && thread > 0 {
                let parent = plan.parent.map(|_| thread - 1);
                episodes.push(Episode::SubagentStart(SubagentPlan {
                    thread,
                    parent,
                    ..plan
                }));
                continue;
            }
            let Some((binders, late)) = binders else {
                continue;
            };
            for (connection, binding, origin, originator) in binders {
                episodes.push(Episode::Bind(BindPlan {
                    connection,
                    thread,
                    binding,
                    origin,
                    originator,
                    late,
                }));
            }
        }
        episodes
    })
}

/// The connections a thread is bound to, in binding order, each with its binding style.
#[allow(clippy::type_complexity)]
fn thread_binders(
    config: &SwarmConfig,
) -> impl Strategy<Value = Vec<(ConnectionId, ThreadBinding, ThreadOrigin, Option<String>)>> + use<>
{
    let connections: Vec<ConnectionId> = config.connection_ids().collect();
    let count = connections.len();
    (
        subsequence(connections, 1..=count).prop_shuffle(),
        vec(
            (
                weighted(pools::BINDINGS),
                origin(config),
                chance(pools::ORIGINATOR, string(pools::ORIGINATORS)),
            ),
            count,
        ),
    )
        .prop_map(|(connections, styles)| {
            connections
                .into_iter()
                .zip(styles)
                .map(|(connection, (binding, origin, originator))| {
                    (connection, binding, origin, originator)
                })
                .collect()
        })
}

/// A sub-agent start of any thread, from any parent, known or not (CTX-5).
fn subagent_plan(config: &SwarmConfig) -> impl Strategy<Value = SubagentPlan> + use<> {
    let threads = config.threads.max(1);
    (
        0..threads,
        chance(
            pools::SUBAGENT_PARENT,
            (0..threads, flag(pools::SUBAGENT_UNKNOWN_PARENT)),
        ),
        string(pools::SUBAGENT_START_SOURCES),
        chance(pools::SUBAGENT_ORIGINATOR, string(pools::ORIGINATORS)),
    )
        .prop_map(
            move |(thread, parent, subagent_source, originator)| SubagentPlan {
                thread,
                // An unknown parent: a thread past the pool, which no binding names.
                parent: parent.map(|(parent, unknown)| if unknown { threads } else { parent }),
                subagent_source,
                originator,
            },
        )
}

/// After the setup: mostly turns, sometimes a re-initialization or a rebinding.
fn body_episode(config: &SwarmConfig) -> impl Strategy<Value = Episode> + use<> {
    let connections = 1..=u64::from(config.connections.max(1));
    let threads = 0..config.threads.max(1);
    let [initialize, bind, turn] = pools::BODY_EPISODE_WEIGHTS;
    prop_oneof![
        initialize => (connections.clone(), client_and_runtime()).prop_map(
            |(connection, (client, runtime))| Episode::Initialize { connection, client, runtime }
        ),
        bind => (
            connections,
            threads,
            weighted(pools::BINDINGS),
            origin(config),
            chance(pools::ORIGINATOR, string(pools::ORIGINATORS)),
            flag(pools::BODY_SUBAGENT_STARTS),
            subagent_plan(config),
        )
            .prop_map(|(connection, thread, binding, origin, originator, subagent, plan)| {
                if subagent {
                    Episode::SubagentStart(plan)
                } else {
                    Episode::Bind(BindPlan { connection, thread, binding, origin, originator, late: false })
                }
            }),
        turn => turn_plan(config).prop_map(Episode::Turn),
    ]
}

fn turn_plan(config: &SwarmConfig) -> impl Strategy<Value = TurnPlan> + use<> {
    (
        0..config.threads.max(1),
        vec(item_plan(), 1..=usize::from(config.items_per_turn.max(1))),
        flag(pools::PARALLEL_ITEMS),
        weighted(pools::TURN_ENDS),
    )
        .prop_map(|(thread, items, parallel, end)| TurnPlan {
            thread,
            items,
            parallel,
            end,
        })
}

fn item_plan() -> impl Strategy<Value = ItemPlan> {
    let [reviews_only, started_only, completed] = pools::LIFECYCLE_WEIGHTS;
    let lifecycle = prop_oneof![
        reviews_only => Just(ItemLifecycle::ReviewsOnly),
        started_only => Just(ItemLifecycle::StartedOnly),
        completed => (
            weighted(pools::ITEM_STATUSES),
            flag(pools::ITEM_IN_PROGRESS_FIRST),
            flag(pools::ITEM_NEGATIVE_FIRST),
        )
            .prop_map(|(status, in_progress_first, negative_first)| ItemLifecycle::Completed {
                status,
                in_progress_first,
                negative_first,
            }),
    ];
    (
        weighted(pools::ITEM_KINDS),
        lifecycle,
        flag(pools::ITEM_PER_CONNECTION),
        vec(review_plan(), 0..=REVIEWS_PER_ITEM_MAX),
    )
        .prop_map(|(kind, lifecycle, per_connection, reviews)| ItemPlan {
            kind,
            lifecycle,
            per_connection,
            reviews,
        })
}

fn review_plan() -> impl Strategy<Value = ReviewPlan> {
    let [user, guardian] = pools::REVIEW_WEIGHTS;
    prop_oneof![
        user => user_review().prop_map(ReviewPlan::User),
        guardian => guardian_review().prop_map(ReviewPlan::Guardian),
    ]
}

fn user_review() -> impl Strategy<Value = UserReview> {
    (user_request(), 0u8..3, flag(pools::CLOSED_AFTER_ITEM)).prop_map(
        |(request, responder, after_item)| UserReview {
            request,
            responder,
            after_item,
        },
    )
}

fn user_request() -> impl Strategy<Value = UserRequest> {
    let [file_change, permissions, command] = pools::REQUEST_WEIGHTS;
    prop_oneof![
        file_change => (chance(pools::GRANT_ROOT, string(pools::GRANT_ROOTS)), outcome(file_change_decision()))
            .prop_map(|(grant_root, outcome)| UserRequest::FileChange { grant_root, outcome }),
        permissions => (permission_profile(), outcome(grant()))
            .prop_map(|(permissions, outcome)| UserRequest::Permissions { permissions, outcome }),
        command => (command_request(), outcome(command_decision()))
            .prop_map(|(request, outcome)| UserRequest::Command { request, outcome }),
    ]
}

fn command_request() -> impl Strategy<Value = CommandRequest> {
    (
        chance(pools::APPROVAL_ID, string(pools::APPROVAL_IDS)),
        chance(pools::NETWORK_APPROVAL_CONTEXT, network_approval_context()),
        chance(
            pools::PROPOSED_AMENDMENTS,
            vec(network_policy_amendment(), 0..=2),
        ),
        chance(pools::ADDITIONAL_PERMISSIONS, permission_profile()),
    )
        .prop_map(
            |(
                approval_id,
                network_approval_context,
                proposed_network_policy_amendments,
                additional_permissions,
            )| CommandRequest {
                approval_id,
                network_approval_context,
                proposed_network_policy_amendments,
                additional_permissions,
            },
        )
}

fn outcome<A: Clone + std::fmt::Debug + 'static>(
    answer: impl Strategy<Value = A> + 'static,
) -> impl Strategy<Value = Outcome<A>> {
    let [unanswered, aborted, malformed, answered] = pools::OUTCOME_WEIGHTS;
    prop_oneof![
        unanswered => Just(Outcome::Unanswered),
        aborted => Just(Outcome::Aborted),
        malformed => Just(Outcome::Malformed),
        answered => answer.prop_map(Outcome::Answered),
    ]
}

fn guardian_review() -> impl Strategy<Value = GuardianReview> {
    let duration_ms = (
        flag(pools::GUARDIAN_NEGATIVE_DURATION),
        0i64..=GUARDIAN_DURATION_MAX_MS,
    )
        .prop_map(|(negative, ms)| if negative { -ms - 1 } else { ms });
    (
        guardian_action(),
        weighted(pools::GUARDIAN_STATUSES),
        flag(pools::GUARDIAN_IN_PROGRESS_FIRST),
        flag(pools::GUARDIAN_TARGETS_ITEM),
        flag(pools::GUARDIAN_PER_CONNECTION),
        duration_ms,
    )
        .prop_map(
            |(action, status, in_progress_first, targets_item, per_connection, duration_ms)| {
                GuardianReview {
                    action,
                    status,
                    in_progress_first,
                    targets_item,
                    per_connection,
                    duration_ms,
                }
            },
        )
}

fn origin(config: &SwarmConfig) -> impl Strategy<Value = ThreadOrigin> + use<> {
    let [plain, source, subagent] = pools::ORIGIN_WEIGHTS;
    prop_oneof![
        plain => Just(ThreadOrigin::Plain),
        source => string(pools::THREAD_SOURCES)
            .prop_map(|thread_source| ThreadOrigin::Source { thread_source }),
        subagent => (
            string(pools::THREAD_SOURCES),
            string(pools::SUBAGENT_SOURCES),
            0..config.threads.max(1),
        )
            .prop_map(|(thread_source, subagent_source, parent_thread)| {
                ThreadOrigin::Subagent { thread_source, subagent_source, parent_thread }
            }),
    ]
}

/// Client and runtime metadata; any field may be absent.
fn client_and_runtime() -> impl Strategy<Value = (AppServerClient, Runtime)> {
    let client = (
        chance(pools::CLIENT_FIELD, string(pools::PRODUCT_CLIENT_IDS)),
        chance(pools::CLIENT_FIELD, string(pools::CLIENT_NAMES)),
        chance(pools::CLIENT_FIELD, string(pools::CLIENT_VERSIONS)),
        chance(pools::CLIENT_FIELD, weighted(pools::RPC_TRANSPORTS)),
        chance(pools::CLIENT_FIELD, any::<bool>()),
    )
        .prop_map(
            |(
                product_client_id,
                client_name,
                client_version,
                rpc_transport,
                experimental_api_enabled,
            )| AppServerClient {
                product_client_id,
                client_name,
                client_version,
                rpc_transport,
                experimental_api_enabled,
            },
        );
    let runtime = (
        chance(pools::CLIENT_FIELD, string(pools::CODEX_VERSIONS)),
        chance(pools::CLIENT_FIELD, string(pools::OSES)),
        chance(pools::CLIENT_FIELD, string(pools::OS_VERSIONS)),
        chance(pools::CLIENT_FIELD, string(pools::ARCHES)),
    )
        .prop_map(
            |(codex_rs_version, runtime_os, runtime_os_version, runtime_arch)| Runtime {
                codex_rs_version,
                runtime_os,
                runtime_os_version,
                runtime_arch,
            },
        );
    (client, runtime)
}

/// Mostly on the clock; a quarter of the scenarios have one or two chunks off it.
fn timeline() -> impl Strategy<Value = Timeline> {
    let negative_ms = prop_oneof![-1_000i64..=-1, Just(i64::MIN)];
    let [skew, zero, negative, max] = pools::STAMP_WEIGHTS;
    let stamp = prop_oneof![
        skew => (-SKEW_TICKS_MAX..=SKEW_TICKS_MAX).prop_map(|ticks| Stamp::Skew { ticks }),
        zero => Just(Stamp::Zero),
        negative => negative_ms.prop_map(|ms| Stamp::Negative { ms }),
        max => Just(Stamp::Max),
    ];
    let anomaly = (any::<u16>(), stamp).prop_map(|(at, stamp)| TimeAnomaly { at, stamp });
    let anomalies = chance(pools::TIME_ANOMALIES, vec(anomaly, 1..=ANOMALIES_MAX))
        .prop_map(Option::unwrap_or_default);
    (1i64..=TICK_MAX_MS, anomalies).prop_map(|(tick_ms, anomalies)| Timeline { tick_ms, anomalies })
}
