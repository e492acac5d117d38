//! The same coherent generation, driven by fuzzer bytes (`arbitrary::Unstructured`).
//!
//! cargo-fuzz mutates bytes, not strategies, so this module reads a [`SwarmConfig`], a
//! [`Scenario`] and chaos operations straight from the input, with the pools, weights and
//! chances of `pools`, and hands them to the shared renderer and chaos layer. Every choice has
//! a valid answer for every byte string: an exhausted input reads as zeros, which pick the
//! first (simplest) alternative, so no input fails and sizes stay bounded (at most
//! [`MAX_FACTS`](super::MAX_FACTS) rendered facts plus [`CHAOS_OPS_MAX`] chaos insertions).

use arbitrary::{Error, Result, Unstructured};

use super::GeneratedCase;
use super::bytes::{
    below, between, chance, likely, list, option, string, weighted, weighted_index,
};
use super::chaos::{CHAOS_OPS_MAX, ChaosOp, Conflict};
use super::episode::{
    BindPlan, Closing, CommandRequest, Episode, Grant, GuardianReview, ItemLifecycle, ItemPlan,
    Outcome, ReviewPlan, Scenario, Stamp, SubagentPlan, ThreadOrigin, TimeAnomaly, Timeline,
    TurnPlan, UserRequest, UserReview,
};
use super::pools::{self, Chance};
use super::scenario::{
    ANOMALIES_MAX, BODY_EPISODES_MAX, GUARDIAN_DURATION_MAX_MS, REVIEWS_PER_ITEM_MAX, SCHEDULE_MAX,
    SKEW_TICKS_MAX, TICK_MAX_MS,
};
use super::swarm::{ChaosKind, ChaosKinds, Clock, FactKinds, IdRange, SwarmConfig};
use crate::event::Limits;
use crate::fact::{
    AppServerClient, CommandDecision, ConnectionId, FileChangeDecision, FileSystemPermission,
    GuardianAction, NetworkApprovalContext, NetworkPermission, NetworkPolicyAmendment,
    PermissionProfile, Runtime,
};

/// A generated case read from fuzzer bytes: swarm configuration, scenario, chaos.
pub fn case_from_unstructured(u: &mut Unstructured<'_>) -> Result<GeneratedCase> {
    let swarm = swarm_config(u)?;
    let plan = scenario_plan(u, &swarm)?;
    let ops = chaos_ops(u, &swarm)?;
    Ok(GeneratedCase::build(swarm, &plan, &ops))
}

/// A swarm configuration: as `swarm::swarm_config`, half the cases enable every fact kind, the
/// others disable each with chance 1/4; a third have no chaos; pools, ids, clocks and limits by
/// the weights of `pools`.
pub fn swarm_config(u: &mut Unstructured<'_>) -> Result<SwarmConfig> {
    let mut fact_kinds = FactKinds::ALL;
    if chance(u, Chance::new(1, 2))? {
        // Two random masks ANDed: each kind is disabled with chance 1/4.
        let disabled = u.int_in_range(0..=u16::MAX)? & u.int_in_range(0..=u16::MAX)?;
        let flags: Vec<bool> = (0..16).map(|bit| disabled & (1 << bit) != 0).collect();
        let subset = FactKinds::from_disabled(&flags);
        if !subset.is_empty() {
            fact_kinds = subset;
        }
    }
    let mut chaos = ChaosKinds::NONE;
    if chance(u, Chance::new(2, 3))? {
        let enabled = u.int_in_range(0..=u16::MAX)?;
        let flags: Vec<bool> = (0..16).map(|bit| enabled & (1 << bit) != 0).collect();
        chaos = ChaosKinds::from_enabled(&flags);
    }
    let connections = pool_size(u, pools::CONNECTIONS_MAX)?;
    let threads = between(u, 1u8, 3)?;
    let turns_per_thread = between(u, 1u8, 2)?;
    let items_per_turn = pool_size(u, pools::ITEMS_PER_TURN_MAX)?;
    let ids = match weighted_index(u, &pools::ID_RANGE_WEIGHTS)? {
        0 => IdRange::Small,
        1 => IdRange::PastF64 {
            offset: between(u, -2, 2)?,
        },
        _ => IdRange::NearMax {
            below: u.int_in_range(0..=u8::MAX)?,
        },
    };
    let clock = match weighted_index(u, &pools::CLOCK_WEIGHTS)? {
        0 => Clock::Early,
        1 => Clock::Zero,
        _ => Clock::Late {
            below: between(u, 0, pools::LATE_CLOCK_BELOW_MAX)?,
        },
    };
    let limits = match weighted_index(u, &pools::LIMIT_WEIGHTS)? {
        0 => Limits::default(),
        1 => Limits {
            table_entries_max: between(u, 1, pools::SMALL_LIMIT_MAX)?,
        },
        _ => Limits {
            table_entries_max: pools::in_octave(
                between(u, 0, pools::LIMIT_OCTAVE_MAX)?,
                u.int_in_range(0..=u16::MAX)?,
            ),
        },
    };
    Ok(SwarmConfig {
        fact_kinds,
        chaos,
        connections,
        threads,
        turns_per_thread,
        items_per_turn,
        ids,
        clock,
        limits,
    })
}

/// A pool size as `swarm::swarm_config` draws it: small or large, by `pools::POOL_WEIGHTS`.
fn pool_size(u: &mut Unstructured<'_>, max: u8) -> Result<u8> {
    let small_max = pools::SMALL_POOL_MAX.min(max);
    if weighted_index(u, &pools::POOL_WEIGHTS)? == 0 {
        between(u, 1, small_max)
    } else {
        between(u, small_max.saturating_add(1).min(max), max)
    }
}

/// A coherent scenario within `config`, as `scenario::scenario_plan` draws it.
pub fn scenario_plan(u: &mut Unstructured<'_>, config: &SwarmConfig) -> Result<Scenario> {
    let mut episodes = setup(u, config)?;
    let body = between(u, 1, BODY_EPISODES_MAX)?;
    for _ in 0..body {
        episodes.push(body_episode(u, config)?);
    }
    let schedule = if chance(u, pools::INTERLEAVED)? {
        list(u, 1, SCHEDULE_MAX, |u| u.int_in_range(0..=u8::MAX))?
    } else {
        Vec::new()
    };
    Ok(Scenario {
        episodes,
        schedule,
        timeline: timeline(u)?,
    })
}

/// Up to [`CHAOS_OPS_MAX`] operations of the kinds `config` enables.
pub fn chaos_ops(u: &mut Unstructured<'_>, config: &SwarmConfig) -> Result<Vec<ChaosOp>> {
    let kinds: Vec<ChaosKind> = config.chaos.kinds().collect();
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let count = between(u, 0, CHAOS_OPS_MAX)?;
    let mut ops = Vec::with_capacity(count);
    for _ in 0..count {
        let kind = kinds
            .get(below(u, kinds.len())?)
            .copied()
            .ok_or(Error::EmptyChoose)?;
        ops.push(chaos_op(u, kind, config)?);
    }
    Ok(ops)
}

fn chaos_op(u: &mut Unstructured<'_>, kind: ChaosKind, config: &SwarmConfig) -> Result<ChaosOp> {
    let connections = config.connections;
    let at = u.int_in_range(0..=u16::MAX)?;
    Ok(match kind {
        ChaosKind::Duplicate => ChaosOp::Duplicate {
            at,
            distance: between(u, 0, 3)?,
        },
        ChaosKind::Swap => ChaosOp::Swap {
            at,
            distance: between(u, 0, 2)?,
        },
        ChaosKind::DropItemStart => ChaosOp::DropItemStart { pick: at },
        ChaosKind::CompletionBeforeStart => ChaosOp::CompletionBeforeStart { pick: at },
        ChaosKind::OrphanResponse => ChaosOp::OrphanResponse {
            at,
            connection: connection(u, connections)?,
            request_id: config.ids.id(if below(u, 2)? == 0 {
                between(u, 900, 999)?
            } else {
                between(u, 1, 30)?
            }),
            closing: closing(u)?,
        },
        ChaosKind::LateRequestCopy => ChaosOp::LateRequestCopy {
            pick: at,
            connection: connection(u, connections)?,
        },
        ChaosKind::ConflictingRequest => ChaosOp::ConflictingRequest {
            pick: at,
            conflict: match below(u, 4)? {
                0 => Conflict::OtherItem,
                1 => Conflict::OtherTurn,
                2 => Conflict::LaterStart,
                _ => Conflict::OtherKind,
            },
        },
        ChaosKind::WrongKindResponse => ChaosOp::WrongKindResponse {
            pick: at,
            other: below(u, 2)? == 1,
        },
        ChaosKind::GuardianLateCopy => ChaosOp::GuardianLateCopy {
            pick: at,
            distance: u.int_in_range(0..=u8::MAX)?,
            connection: connection(u, connections)?,
        },
        ChaosKind::GuardianOtherTurn => ChaosOp::GuardianOtherTurn {
            pick: at,
            distance: between(u, 0, 3)?,
            connection: connection(u, connections)?,
        },
        ChaosKind::GuardianAfterTurnEnd => ChaosOp::GuardianAfterTurnEnd {
            pick: at,
            connection: connection(u, connections)?,
        },
    })
}

fn closing(u: &mut Unstructured<'_>) -> Result<Closing> {
    Ok(match below(u, 5)? {
        0 => Closing::Aborted,
        1 => Closing::Malformed,
        2 => Closing::FileChange(file_change_decision(u)?),
        3 => Closing::Command(command_decision(u)?),
        _ => Closing::Permissions(grant(u)?),
    })
}

fn setup(u: &mut Unstructured<'_>, config: &SwarmConfig) -> Result<Vec<Episode>> {
    let mut episodes = Vec::new();
    for connection in config.connection_ids() {
        if likely(u, pools::SETUP_PRESENT)? {
            let (client, runtime) = client_and_runtime(u)?;
            episodes.push(Episode::Initialize {
                connection,
                client,
                runtime,
            });
        }
    }
    for thread in 0..config.threads {
        // A thread after the first may start as a sub-agent of the one before it (CTX-5).
        if thread > 0 && chance(u, pools::SUBAGENT_THREAD)? {
            let plan = subagent_plan(u, config)?;
            episodes.push(Episode::SubagentStart(SubagentPlan {
                thread,
                parent: plan.parent.map(|_| thread - 1),
                ..plan
            }));
            continue;
        }
        if likely(u, pools::SETUP_PRESENT)? {
            let late = chance(u, pools::BIND_LATE)?;
            for connection in binders(u, config)? {
                episodes.push(Episode::Bind(BindPlan {
                    connection,
                    thread,
                    binding: weighted(u, pools::BINDINGS)?,
                    origin: origin(u, config)?,
                    originator: option(u, pools::ORIGINATOR, |u| string(u, pools::ORIGINATORS))?,
                    late,
                }));
            }
        }
    }
    Ok(episodes)
}

/// A non-empty set of distinct connections in random order (a partial Fisher-Yates shuffle).
fn binders(u: &mut Unstructured<'_>, config: &SwarmConfig) -> Result<Vec<ConnectionId>> {
    let mut connections: Vec<ConnectionId> = config.connection_ids().collect();
    let count = between(u, 1, connections.len().max(1))?;
    for index in 0..count.min(connections.len()) {
        let other = index + below(u, connections.len() - index)?;
        connections.swap(index, other);
    }
    connections.truncate(count);
    Ok(connections)
}

fn body_episode(u: &mut Unstructured<'_>, config: &SwarmConfig) -> Result<Episode> {
    Ok(match weighted_index(u, &pools::BODY_EPISODE_WEIGHTS)? {
        0 => {
            let connection = connection(u, config.connections)?;
            let (client, runtime) = client_and_runtime(u)?;
            Episode::Initialize {
                connection,
                client,
                runtime,
            }
        }
        1 if chance(u, pools::BODY_SUBAGENT_STARTS)? => {
            Episode::SubagentStart(subagent_plan(u, config)?)
        }
        1 => Episode::Bind(BindPlan {
            connection: connection(u, config.connections)?,
            thread: thread(u, config)?,
            binding: weighted(u, pools::BINDINGS)?,
            origin: origin(u, config)?,
            originator: option(u, pools::ORIGINATOR, |u| string(u, pools::ORIGINATORS))?,
            late: false,
        }),
        _ => Episode::Turn(turn_plan(u, config)?),
    })
}

fn turn_plan(u: &mut Unstructured<'_>, config: &SwarmConfig) -> Result<TurnPlan> {
    Ok(TurnPlan {
        thread: thread(u, config)?,
        items: list(u, 1, usize::from(config.items_per_turn.max(1)), item_plan)?,
        parallel: chance(u, pools::PARALLEL_ITEMS)?,
        end: weighted(u, pools::TURN_ENDS)?,
    })
}

fn item_plan(u: &mut Unstructured<'_>) -> Result<ItemPlan> {
    let kind = weighted(u, pools::ITEM_KINDS)?;
    let lifecycle = match weighted_index(u, &pools::LIFECYCLE_WEIGHTS)? {
        0 => ItemLifecycle::ReviewsOnly,
        1 => ItemLifecycle::StartedOnly,
        _ => ItemLifecycle::Completed {
            status: weighted(u, pools::ITEM_STATUSES)?,
            in_progress_first: chance(u, pools::ITEM_IN_PROGRESS_FIRST)?,
            negative_first: chance(u, pools::ITEM_NEGATIVE_FIRST)?,
        },
    };
    Ok(ItemPlan {
        kind,
        lifecycle,
        per_connection: chance(u, pools::ITEM_PER_CONNECTION)?,
        reviews: list(u, 0, REVIEWS_PER_ITEM_MAX, review_plan)?,
    })
}

fn review_plan(u: &mut Unstructured<'_>) -> Result<ReviewPlan> {
    Ok(match weighted_index(u, &pools::REVIEW_WEIGHTS)? {
        0 => ReviewPlan::User(UserReview {
            request: user_request(u)?,
            responder: between(u, 0, 2)?,
            after_item: chance(u, pools::CLOSED_AFTER_ITEM)?,
        }),
        _ => ReviewPlan::Guardian(guardian_review(u)?),
    })
}

fn user_request(u: &mut Unstructured<'_>) -> Result<UserRequest> {
    Ok(match weighted_index(u, &pools::REQUEST_WEIGHTS)? {
        0 => UserRequest::FileChange {
            grant_root: option(u, pools::GRANT_ROOT, |u| string(u, pools::GRANT_ROOTS))?,
            outcome: outcome(u, file_change_decision)?,
        },
        1 => UserRequest::Permissions {
            permissions: permission_profile(u)?,
            outcome: outcome(u, grant)?,
        },
        _ => UserRequest::Command {
            request: CommandRequest {
                approval_id: option(u, pools::APPROVAL_ID, |u| string(u, pools::APPROVAL_IDS))?,
                network_approval_context: option(
                    u,
                    pools::NETWORK_APPROVAL_CONTEXT,
                    network_approval_context,
                )?,
                proposed_network_policy_amendments: option(u, pools::PROPOSED_AMENDMENTS, |u| {
                    list(u, 0, 2, network_policy_amendment)
                })?,
                additional_permissions: option(
                    u,
                    pools::ADDITIONAL_PERMISSIONS,
                    permission_profile,
                )?,
            },
            outcome: outcome(u, command_decision)?,
        },
    })
}

fn outcome<A>(
    u: &mut Unstructured<'_>,
    answer: impl FnOnce(&mut Unstructured<'_>) -> Result<A>,
) -> Result<Outcome<A>> {
    Ok(match weighted_index(u, &pools::OUTCOME_WEIGHTS)? {
        0 => Outcome::Unanswered,
        1 => Outcome::Aborted,
        2 => Outcome::Malformed,
        _ => Outcome::Answered(answer(u)?),
    })
}

fn command_decision(u: &mut Unstructured<'_>) -> Result<CommandDecision> {
    Ok(match below(u, 6)? {
        0 => CommandDecision::Accept,
        1 => CommandDecision::Decline,
        2 => CommandDecision::Cancel,
        3 => CommandDecision::AcceptForSession,
        4 => CommandDecision::AcceptWithExecpolicyAmendment {
            execpolicy_amendment: list(u, 0, 2, |u| string(u, pools::EXECPOLICY_WORDS))?,
        },
        _ => CommandDecision::ApplyNetworkPolicyAmendment {
            network_policy_amendment: network_policy_amendment(u)?,
        },
    })
}

fn file_change_decision(u: &mut Unstructured<'_>) -> Result<FileChangeDecision> {
    weighted(u, pools::FILE_CHANGE_DECISIONS)
}

fn grant(u: &mut Unstructured<'_>) -> Result<Grant> {
    let permissions = if chance(u, pools::GRANT_EMPTY)? {
        PermissionProfile::default()
    } else {
        permission_profile(u)?
    };
    Ok(Grant {
        permissions,
        scope: weighted(u, pools::GRANT_SCOPES)?,
    })
}

fn permission_profile(u: &mut Unstructured<'_>) -> Result<PermissionProfile> {
    let network = option(u, pools::PROFILE_NETWORK, |u| {
        let enabled = match below(u, 3)? {
            0 => None,
            1 => Some(false),
            _ => Some(true),
        };
        Ok(NetworkPermission { enabled })
    })?;
    let file_system = option(u, pools::PROFILE_FILE_SYSTEM, |u| {
        Ok(FileSystemPermission {
            read: list(u, 0, 2, |u| string(u, pools::PATHS))?,
            write: list(u, 0, 2, |u| string(u, pools::PATHS))?,
        })
    })?;
    Ok(PermissionProfile {
        network,
        file_system,
    })
}

fn network_approval_context(u: &mut Unstructured<'_>) -> Result<NetworkApprovalContext> {
    Ok(NetworkApprovalContext {
        host: string(u, pools::HOSTS)?,
        protocol: string(u, pools::PROTOCOLS)?,
    })
}

fn network_policy_amendment(u: &mut Unstructured<'_>) -> Result<NetworkPolicyAmendment> {
    Ok(NetworkPolicyAmendment {
        host: string(u, pools::HOSTS)?,
        action: weighted(u, pools::NETWORK_POLICY_ACTIONS)?,
    })
}

fn guardian_review(u: &mut Unstructured<'_>) -> Result<GuardianReview> {
    let action = guardian_action(u)?;
    let status = weighted(u, pools::GUARDIAN_STATUSES)?;
    let in_progress_first = chance(u, pools::GUARDIAN_IN_PROGRESS_FIRST)?;
    let targets_item = chance(u, pools::GUARDIAN_TARGETS_ITEM)?;
    let per_connection = chance(u, pools::GUARDIAN_PER_CONNECTION)?;
    let negative = chance(u, pools::GUARDIAN_NEGATIVE_DURATION)?;
    let ms = between(u, 0, GUARDIAN_DURATION_MAX_MS)?;
    Ok(GuardianReview {
        action,
        status,
        in_progress_first,
        targets_item,
        per_connection,
        duration_ms: if negative { -ms - 1 } else { ms },
    })
}

fn guardian_action(u: &mut Unstructured<'_>) -> Result<GuardianAction> {
    Ok(match below(u, 6)? {
        0 => GuardianAction::Command {
            command: string(u, pools::COMMANDS)?,
        },
        1 => GuardianAction::Execve {
            program: string(u, pools::PROGRAMS)?,
        },
        2 => GuardianAction::ApplyPatch {
            files: list(u, 0, 2, |u| string(u, pools::PATHS))?,
        },
        3 => GuardianAction::McpToolCall {
            server: string(u, pools::MCP_SERVERS)?,
            tool_name: string(u, pools::MCP_TOOLS)?,
        },
        4 => GuardianAction::NetworkAccess {
            host: string(u, pools::HOSTS)?,
            protocol: string(u, pools::PROTOCOLS)?,
            port: match below(u, pools::PORTS.len() + 1)? {
                0 => None,
                index => pools::PORTS.get(index - 1).copied(),
            },
        },
        _ => GuardianAction::RequestPermissions {
            permissions: permission_profile(u)?,
        },
    })
}

/// A sub-agent start of any thread, from any parent, known or not (CTX-5).
fn subagent_plan(u: &mut Unstructured<'_>, config: &SwarmConfig) -> Result<SubagentPlan> {
    let threads = config.threads.max(1);
    let thread = thread(u, config)?;
    let parent = if likely(u, pools::SUBAGENT_PARENT)? {
        // An unknown parent: a thread past the pool, which no binding names.
        if chance(u, pools::SUBAGENT_UNKNOWN_PARENT)? {
            Some(threads)
        } else {
            Some(u8::try_from(below(u, usize::from(threads))?).unwrap_or(0))
        }
    } else {
        None
    };
    Ok(SubagentPlan {
        thread,
        parent,
        subagent_source: string(u, pools::SUBAGENT_START_SOURCES)?,
        originator: option(u, pools::SUBAGENT_ORIGINATOR, |u| {
            string(u, pools::ORIGINATORS)
        })?,
    })
}

fn origin(u: &mut Unstructured<'_>, config: &SwarmConfig) -> Result<ThreadOrigin> {
    Ok(match weighted_index(u, &pools::ORIGIN_WEIGHTS)? {
        0 => ThreadOrigin::Plain,
        1 => ThreadOrigin::Source {
            thread_source: string(u, pools::THREAD_SOURCES)?,
        },
        _ => ThreadOrigin::Subagent {
            thread_source: string(u, pools::THREAD_SOURCES)?,
            subagent_source: string(u, pools::SUBAGENT_SOURCES)?,
            parent_thread: thread(u, config)?,
        },
    })
}

fn client_and_runtime(u: &mut Unstructured<'_>) -> Result<(AppServerClient, Runtime)> {
    let field = pools::CLIENT_FIELD;
    let client = AppServerClient {
        product_client_id: option(u, field, |u| string(u, pools::PRODUCT_CLIENT_IDS))?,
        client_name: option(u, field, |u| string(u, pools::CLIENT_NAMES))?,
        client_version: option(u, field, |u| string(u, pools::CLIENT_VERSIONS))?,
        rpc_transport: option(u, field, |u| weighted(u, pools::RPC_TRANSPORTS))?,
        experimental_api_enabled: option(u, field, |u| Ok(below(u, 2)? == 1))?,
    };
    let runtime = Runtime {
        codex_rs_version: option(u, field, |u| string(u, pools::CODEX_VERSIONS))?,
        runtime_os: option(u, field, |u| string(u, pools::OSES))?,
        runtime_os_version: option(u, field, |u| string(u, pools::OS_VERSIONS))?,
        runtime_arch: option(u, field, |u| string(u, pools::ARCHES))?,
    };
    Ok((client, runtime))
}

fn timeline(u: &mut Unstructured<'_>) -> Result<Timeline> {
    let tick_ms = between(u, 1, TICK_MAX_MS)?;
    let anomalies = if chance(u, pools::TIME_ANOMALIES)? {
        list(u, 1, ANOMALIES_MAX, |u| {
            let at = u.int_in_range(0..=u16::MAX)?;
            let stamp = match weighted_index(u, &pools::STAMP_WEIGHTS)? {
                0 => Stamp::Skew {
                    ticks: between(u, -SKEW_TICKS_MAX, SKEW_TICKS_MAX)?,
                },
                1 => Stamp::Zero,
                2 => Stamp::Negative {
                    ms: if below(u, 2)? == 0 {
                        between(u, -1_000, -1)?
                    } else {
                        i64::MIN
                    },
                },
                _ => Stamp::Max,
            };
            Ok(TimeAnomaly { at, stamp })
        })?
    } else {
        Vec::new()
    };
    Ok(Timeline { tick_ms, anomalies })
}

fn connection(u: &mut Unstructured<'_>, connections: u8) -> Result<ConnectionId> {
    between(u, 1, u64::from(connections.max(1)))
}

fn thread(u: &mut Unstructured<'_>, config: &SwarmConfig) -> Result<u8> {
    between(u, 0, config.threads.max(1) - 1)
}
