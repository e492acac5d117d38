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
use proptest::sample::{select, subsequence};
use proptest::strategy::Union;

use super::episode::{
    BindPlan, CommandRequest, Episode, Grant, GuardianReview, ItemLifecycle, ItemPlan, Outcome,
    ReviewPlan, Scenario, Stamp, ThreadOrigin, TimeAnomaly, Timeline, TurnPlan, UserRequest,
    UserReview,
};
use super::pools::{self, Chance};
use super::render::render;
use super::swarm::SwarmConfig;
use crate::fact::{
    AppServerClient, CommandDecision, ConnectionId, Fact, FileChangeDecision, FileSystemPermission,
    GuardianAction, NetworkApprovalContext, NetworkPermission, NetworkPolicyAmendment,
    PermissionProfile, Runtime, ThreadBinding,
};

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
/// (the last binder owns it); each of these rarely goes missing, which CTX-3 covers.
fn setup(config: &SwarmConfig) -> impl Strategy<Value = Vec<Episode>> + use<> {
    let initializations = vec(
        chance(pools::SETUP_PRESENT, client_and_runtime()),
        usize::from(config.connections),
    );
    let bindings = vec(
        chance(pools::SETUP_PRESENT, thread_binders(config)),
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
        for (thread, binders) in (0..).zip(bindings) {
            for (connection, binding, origin) in binders.into_iter().flatten() {
                episodes.push(Episode::Bind(BindPlan {
                    connection,
                    thread,
                    binding,
                    origin,
                }));
            }
        }
        episodes
    })
}

/// The connections a thread is bound to, in binding order, each with its binding style.
fn thread_binders(
    config: &SwarmConfig,
) -> impl Strategy<Value = Vec<(ConnectionId, ThreadBinding, ThreadOrigin)>> + use<> {
    let connections: Vec<ConnectionId> = config.connection_ids().collect();
    let count = connections.len();
    (
        subsequence(connections, 1..=count).prop_shuffle(),
        vec((weighted(pools::BINDINGS), origin(config)), count),
    )
        .prop_map(|(connections, styles)| {
            connections
                .into_iter()
                .zip(styles)
                .map(|(connection, (binding, origin))| (connection, binding, origin))
                .collect()
        })
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
        bind => (connections, threads, weighted(pools::BINDINGS), origin(config)).prop_map(
            |(connection, thread, binding, origin)| {
                Episode::Bind(BindPlan { connection, thread, binding, origin })
            }
        ),
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
        completed => (weighted(pools::ITEM_STATUSES), flag(pools::ITEM_IN_PROGRESS_FIRST))
            .prop_map(|(status, in_progress_first)| ItemLifecycle::Completed {
                status,
                in_progress_first,
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

/// Every decision (DEC-1).
pub fn command_decision() -> impl Strategy<Value = CommandDecision> {
    prop_oneof![
        Just(CommandDecision::Accept),
        Just(CommandDecision::Decline),
        Just(CommandDecision::Cancel),
        Just(CommandDecision::AcceptForSession),
        vec(string(pools::EXECPOLICY_WORDS), 0..=2).prop_map(|execpolicy_amendment| {
            CommandDecision::AcceptWithExecpolicyAmendment {
                execpolicy_amendment,
            }
        }),
        network_policy_amendment().prop_map(|network_policy_amendment| {
            CommandDecision::ApplyNetworkPolicyAmendment {
                network_policy_amendment,
            }
        }),
    ]
}

/// Every decision (DEC-2).
pub fn file_change_decision() -> impl Strategy<Value = FileChangeDecision> {
    weighted(pools::FILE_CHANGE_DECISIONS)
}

/// An effective grant: empty about half the time, with either scope (GRANT-1..3).
pub fn grant() -> impl Strategy<Value = Grant> {
    let permissions =
        (flag(pools::GRANT_EMPTY), permission_profile()).prop_map(|(empty, profile)| {
            if empty {
                PermissionProfile::default()
            } else {
                profile
            }
        });
    (permissions, weighted(pools::GRANT_SCOPES))
        .prop_map(|(permissions, scope)| Grant { permissions, scope })
}

/// A permission profile: empty, network only (enabled, disabled or unset), file system only,
/// or both.
pub fn permission_profile() -> impl Strategy<Value = PermissionProfile> {
    let network = option::of(any::<bool>()).prop_map(|enabled| NetworkPermission { enabled });
    let file_system = (
        vec(string(pools::PATHS), 0..=2),
        vec(string(pools::PATHS), 0..=2),
    )
        .prop_map(|(read, write)| FileSystemPermission { read, write });
    (
        chance(pools::PROFILE_NETWORK, network),
        chance(pools::PROFILE_FILE_SYSTEM, file_system),
    )
        .prop_map(|(network, file_system)| PermissionProfile {
            network,
            file_system,
        })
}

fn network_approval_context() -> impl Strategy<Value = NetworkApprovalContext> {
    (string(pools::HOSTS), string(pools::PROTOCOLS))
        .prop_map(|(host, protocol)| NetworkApprovalContext { host, protocol })
}

fn network_policy_amendment() -> impl Strategy<Value = NetworkPolicyAmendment> {
    (
        string(pools::HOSTS),
        weighted(pools::NETWORK_POLICY_ACTIONS),
    )
        .prop_map(|(host, action)| NetworkPolicyAmendment { host, action })
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

/// Every guardian action (GUARD-1).
pub fn guardian_action() -> impl Strategy<Value = GuardianAction> {
    prop_oneof![
        string(pools::COMMANDS).prop_map(|command| GuardianAction::Command { command }),
        string(pools::PROGRAMS).prop_map(|program| GuardianAction::Execve { program }),
        vec(string(pools::PATHS), 0..=2).prop_map(|files| GuardianAction::ApplyPatch { files }),
        (string(pools::MCP_SERVERS), string(pools::MCP_TOOLS))
            .prop_map(|(server, tool_name)| GuardianAction::McpToolCall { server, tool_name }),
        (
            string(pools::HOSTS),
            string(pools::PROTOCOLS),
            option::of(select(pools::PORTS))
        )
            .prop_map(|(host, protocol, port)| GuardianAction::NetworkAccess {
                host,
                protocol,
                port
            }),
        permission_profile()
            .prop_map(|permissions| GuardianAction::RequestPermissions { permissions }),
    ]
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

fn string(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    select(pool).prop_map(str::to_owned)
}

/// A value from a weighted table of `pools`.
fn weighted<T: Copy + std::fmt::Debug + 'static>(
    table: &'static [(u32, T)],
) -> impl Strategy<Value = T> {
    Union::new_weighted(
        table
            .iter()
            .map(|(weight, value)| (*weight, Just(*value)))
            .collect(),
    )
}

/// `Some` with the given chance; shrinks to `None`.
fn chance<S: Strategy>(chance: Chance, inner: S) -> option::OptionStrategy<S> {
    option::weighted(chance.probability(), inner)
}

/// `true` with the given chance; shrinks to `false`.
fn flag(chance: Chance) -> proptest::bool::Weighted {
    proptest::bool::weighted(chance.probability())
}
