//! Rendering: the one function that turns a [`Scenario`] into facts, for both generators.
//!
//! Each turn renders to a *lane* of chunks; a chunk is one server-side happening (a request sent
//! to every attached connection, a notification delivered per connection) and becomes one or
//! more facts that share one timestamp. A turn's items run one after another, or in parallel
//! (their chunks taken one of each item in turn). Lanes of consecutive turns are interleaved by
//! the scenario's schedule; an initialize or binding is a barrier between them. Only then are
//! request ids numbered (in order of first appearance, as the app-server's process-wide counter
//! does, from where the swarm's [`IdRange`](super::swarm::IdRange) starts) and timestamps
//! stamped (on the swarm's [`Clock`](super::swarm::Clock)), so an interleaved stream still reads
//! `req#1, req#2, ...` on a clock that moves forward (`chunks.rs`).

use std::collections::{BTreeMap, VecDeque};

use super::chunks::{Chunk, flatten, number_requests, stamp};
use super::episode::{
    BindPlan, Closing, Episode, GuardianReview, ItemLifecycle, ItemPlan, ReviewPlan, Scenario,
    Stamp, SubagentPlan, ThreadOrigin, TurnEnd, TurnPlan, UserRequest, UserReview,
};
use super::pools;
use super::swarm::SwarmConfig;
use crate::fact::{ConnectionId, Fact, GuardianStatus, Id, ItemKind, ItemStatus, RequestId};

/// Renders `scenario` to facts, within `config`'s pools. Fact kinds are not filtered here (see
/// [`SwarmConfig::retain_enabled`]).
pub fn render(scenario: &Scenario, config: &SwarmConfig) -> Vec<Fact> {
    let mut renderer = Renderer::new(config);
    let mut schedule = Schedule::new(&scenario.schedule);
    let mut segment: Vec<VecDeque<Chunk>> = Vec::new();
    let mut ordered: Vec<Chunk> = Vec::new();
    // Late bindings, by thread: rendered once the thread's next turn is over.
    let mut late: BTreeMap<u8, Vec<&BindPlan>> = BTreeMap::new();
    for episode in &scenario.episodes {
        match episode {
            Episode::Turn(turn) => {
                segment.push(renderer.turn(turn));
                if let Some(binds) = late.remove(&turn.thread) {
                    schedule.interleave(&mut segment, &mut ordered);
                    for bind in binds {
                        ordered.push(chunk(None, vec![renderer.bind(bind)]));
                    }
                }
            }
            Episode::Bind(bind) if bind.late => late.entry(bind.thread).or_default().push(bind),
            Episode::Initialize {
                connection,
                client,
                runtime,
            } => {
                schedule.interleave(&mut segment, &mut ordered);
                let initialize = Fact::Initialize {
                    connection_id: *connection,
                    app_server_client: client.clone().into(),
                    runtime: runtime.clone().into(),
                };
                ordered.push(chunk(None, vec![initialize]));
            }
            Episode::Bind(bind) => {
                schedule.interleave(&mut segment, &mut ordered);
                ordered.push(chunk(None, vec![renderer.bind(bind)]));
            }
            Episode::SubagentStart(start) => {
                schedule.interleave(&mut segment, &mut ordered);
                ordered.push(chunk(None, vec![renderer.subagent_start(start)]));
            }
        }
    }
    schedule.interleave(&mut segment, &mut ordered);
    // A late binding of a thread with no turn after it still arrives, last.
    for bind in late.into_values().flatten() {
        ordered.push(chunk(None, vec![renderer.bind(bind)]));
    }
    number_requests(&mut ordered, config.ids);
    stamp(&mut ordered, &scenario.timeline, config.clock);
    flatten(ordered)
}

/// The fact that closes request `request_id` with `closing`, from `connection_id`.
pub fn closing_fact(
    connection_id: ConnectionId,
    request_id: RequestId,
    closing: &Closing,
    completed_at_ms: i64,
) -> Fact {
    match closing {
        Closing::Aborted => Fact::RequestAborted {
            connection_id,
            request_id,
            completed_at_ms,
        },
        Closing::Malformed => Fact::MalformedResponse {
            connection_id,
            request_id,
            completed_at_ms,
        },
        Closing::FileChange(decision) => Fact::FileChangeResponse {
            connection_id,
            request_id,
            decision: *decision,
            completed_at_ms,
        },
        Closing::Command(decision) => Fact::CommandExecutionResponse {
            connection_id,
            request_id,
            decision: decision.clone(),
            completed_at_ms,
        },
        Closing::Permissions(grant) => Fact::EffectivePermissionsResponse {
            connection_id,
            request_id,
            permissions: grant.permissions.clone(),
            scope: grant.scope,
            completed_at_ms,
        },
    }
}

/// The request id a fact carries, if any.
pub fn request_id(fact: &Fact) -> Option<RequestId> {
    match fact {
        Fact::RequestAborted { request_id, .. }
        | Fact::MalformedResponse { request_id, .. }
        | Fact::FileChangeResponse { request_id, .. }
        | Fact::CommandExecutionResponse { request_id, .. }
        | Fact::EffectivePermissionsResponse { request_id, .. }
        | Fact::FileChangeRequest { request_id, .. }
        | Fact::PermissionsRequest { request_id, .. }
        | Fact::CommandExecutionRequest { request_id, .. } => Some(*request_id),
        _ => None,
    }
}

/// The (thread, turn) a fact names, if it names both.
pub fn turn_of(fact: &Fact) -> Option<(&Id, &Id)> {
    match fact {
        Fact::TurnCompleted {
            thread_id, turn_id, ..
        }
        | Fact::ItemStarted {
            thread_id, turn_id, ..
        }
        | Fact::ItemCompleted {
            thread_id, turn_id, ..
        }
        | Fact::FileChangeRequest {
            thread_id, turn_id, ..
        }
        | Fact::PermissionsRequest {
            thread_id, turn_id, ..
        }
        | Fact::CommandExecutionRequest {
            thread_id, turn_id, ..
        }
        | Fact::GuardianReviewCompleted {
            thread_id, turn_id, ..
        } => Some((thread_id, turn_id)),
        _ => None,
    }
}

/// Whether a fact is a `*_request`.
pub fn is_request(fact: &Fact) -> bool {
    matches!(
        fact,
        Fact::FileChangeRequest { .. }
            | Fact::PermissionsRequest { .. }
            | Fact::CommandExecutionRequest { .. }
    )
}

/// Picks which lane advances next, cycling through the scenario's schedule.
struct Schedule<'a> {
    picks: &'a [u8],
    next: usize,
}

impl<'a> Schedule<'a> {
    fn new(picks: &'a [u8]) -> Schedule<'a> {
        Schedule { picks, next: 0 }
    }

    /// Moves every chunk of `lanes` into `ordered`, keeping each lane's own order.
    fn interleave(&mut self, lanes: &mut Vec<VecDeque<Chunk>>, ordered: &mut Vec<Chunk>) {
        lanes.retain(|lane| !lane.is_empty());
        while !lanes.is_empty() {
            let lane = match self.picks.get(self.next % self.picks.len().max(1)) {
                Some(pick) => usize::from(*pick) % lanes.len(),
                None => 0,
            };
            self.next = self.next.wrapping_add(1);
            if let Some(chunk) = lanes.get_mut(lane).and_then(VecDeque::pop_front) {
                ordered.push(chunk);
            }
            lanes.retain(|lane| !lane.is_empty());
        }
    }
}

/// What rendering remembers across episodes.
struct Renderer<'c> {
    config: &'c SwarmConfig,
    /// Connections attached to each thread, in binding order: the last is the owner (CTX-2).
    attached: BTreeMap<u8, Vec<ConnectionId>>,
    /// Turns rendered so far per thread, to cycle through the turn pool.
    turns_seen: BTreeMap<u8, usize>,
    /// Guardian reviews rendered so far per thread, for review ids unique within a thread.
    reviews_seen: BTreeMap<u8, usize>,
    next_lane: usize,
}

/// Where an item lives.
struct ItemRef {
    thread_id: Id,
    turn_id: Id,
    item_id: Id,
    kind: ItemKind,
}

/// A lane under construction.
struct LaneBuilder {
    lane: usize,
    chunks: VecDeque<Chunk>,
    /// Lane-local request ids; `number_requests` makes them global.
    next_request: RequestId,
}

impl<'c> Renderer<'c> {
    fn new(config: &'c SwarmConfig) -> Renderer<'c> {
        Renderer {
            config,
            attached: BTreeMap::new(),
            turns_seen: BTreeMap::new(),
            reviews_seen: BTreeMap::new(),
            next_lane: 0,
        }
    }

    /// A binding, outside any lane: the connection joins the thread and becomes its owner.
    fn bind(&mut self, bind: &BindPlan) -> Fact {
        let attached = self.attached.entry(bind.thread).or_default();
        attached.retain(|connection| *connection != bind.connection);
        attached.push(bind.connection);
        let (thread_source, subagent_source, parent_thread_id) = match &bind.origin {
            ThreadOrigin::Plain => (None, None, None),
            ThreadOrigin::Source { thread_source } => (Some(thread_source.clone()), None, None),
            ThreadOrigin::Subagent {
                thread_source,
                subagent_source,
                parent_thread,
            } => (
                Some(thread_source.clone()),
                Some(subagent_source.clone()),
                // A thread is not its own parent: that index names the next thread instead,
                // which may lie outside the pool (a parent this stream never binds).
                Some(pools::thread_id(if *parent_thread == bind.thread {
                    parent_thread.wrapping_add(1)
                } else {
                    *parent_thread
                })),
            ),
        };
        Fact::ThreadBound {
            connection_id: bind.connection,
            thread_id: pools::thread_id(bind.thread).into(),
            binding: bind.binding,
            thread_source: thread_source.map(Into::into),
            subagent_source: subagent_source.map(Into::into),
            parent_thread_id: parent_thread_id.map(Into::into),
            originator: bind.originator.clone(),
        }
    }

    /// A sub-agent thread's start, outside any lane: a thread with no connections of its own
    /// is delivered on its parent's (CTX-5).
    fn subagent_start(&mut self, start: &SubagentPlan) -> Fact {
        // A thread is not its own parent: that index names the next thread instead.
        let parent = start.parent.map(|parent| {
            if parent == start.thread {
                parent.wrapping_add(1)
            } else {
                parent
            }
        });
        let inherited = parent
            .and_then(|parent| self.attached.get(&parent))
            .cloned()
            .unwrap_or_default();
        let attached = self.attached.entry(start.thread).or_default();
        if attached.is_empty() {
            *attached = inherited;
        }
        Fact::SubagentThreadStarted {
            thread_id: pools::thread_id(start.thread).into(),
            parent_thread_id: parent.map(|parent| pools::thread_id(parent).into()),
            subagent_source: start.subagent_source.clone().into(),
            originator: start.originator.clone(),
        }
    }

    /// A turn's lane: its items with their reviews, then its end.
    fn turn(&mut self, plan: &TurnPlan) -> VecDeque<Chunk> {
        let seen = self.turns_seen.entry(plan.thread).or_default();
        let turn_index = *seen % usize::from(self.config.turns_per_thread.max(1));
        *seen += 1;
        // A thread nobody bound (its binding shrunk away) is still delivered somewhere.
        let attached = match self.attached.get(&plan.thread) {
            Some(attached) if !attached.is_empty() => attached.clone(),
            _ => vec![1],
        };
        let owner = attached.last().copied().unwrap_or(1);
        let mut lane = LaneBuilder {
            lane: self.next_lane,
            chunks: VecDeque::new(),
            next_request: 1,
        };
        self.next_lane += 1;
        let thread_id = Id::from(pools::thread_id(plan.thread));
        let turn_id = Id::from(pools::turn_id(u8::try_from(turn_index).unwrap_or(u8::MAX)));
        let mut unanswered = Vec::new();
        let mut items = Vec::with_capacity(plan.items.len());
        for (index, item) in plan.items.iter().enumerate() {
            let item_ref = ItemRef {
                thread_id: thread_id.clone(),
                turn_id: turn_id.clone(),
                item_id: pools::item_id(index).into(),
                kind: item.kind,
            };
            self.item(
                plan.thread,
                item,
                &item_ref,
                &attached,
                &mut lane,
                &mut unanswered,
            );
            items.push(std::mem::take(&mut lane.chunks));
        }
        if plan.parallel {
            round_robin(&mut items, &mut lane.chunks);
        } else {
            lane.chunks.extend(items.into_iter().flatten());
        }
        let turn_completed = Fact::TurnCompleted {
            thread_id,
            turn_id,
            completed_at_ms: 0,
        };
        match plan.end {
            TurnEnd::Open => {}
            TurnEnd::Completed => lane.push(vec![turn_completed], 0),
            TurnEnd::Interrupted => {
                for request_id in unanswered {
                    let abort = closing_fact(owner, request_id, &Closing::Aborted, 0);
                    lane.push(vec![abort], 0);
                }
                lane.push(vec![turn_completed], 0);
            }
        }
        lane.chunks
    }

    /// An item's chunks: start, reviews, completion, then reviews answered after it.
    fn item(
        &mut self,
        thread: u8,
        item: &ItemPlan,
        item_ref: &ItemRef,
        attached: &[ConnectionId],
        lane: &mut LaneBuilder,
        unanswered: &mut Vec<RequestId>,
    ) {
        let owner = attached.last().copied().unwrap_or(1);
        let item_connections = if item.per_connection {
            attached.to_vec()
        } else {
            vec![owner]
        };
        if item.lifecycle != ItemLifecycle::ReviewsOnly {
            let starts = item_connections
                .iter()
                .map(|connection| item_started(*connection, item_ref))
                .collect();
            lane.push(starts, 0);
        }
        let completes = matches!(item.lifecycle, ItemLifecycle::Completed { .. });
        let mut after_item = Vec::new();
        for review in &item.reviews {
            match review {
                ReviewPlan::User(user) => {
                    let (request_id, closing) = user_review(user, item_ref, attached, lane);
                    match closing {
                        None => unanswered.push(request_id),
                        Some(chunk) if user.after_item && completes => after_item.push(chunk),
                        Some(chunk) => lane.chunks.push_back(chunk),
                    }
                }
                ReviewPlan::Guardian(guardian) => {
                    self.guardian_review(thread, guardian, item_ref, attached, lane);
                }
            }
        }
        if let ItemLifecycle::Completed {
            status,
            in_progress_first,
            negative_first,
        } = item.lifecycle
        {
            if in_progress_first {
                let progress = item_connections
                    .iter()
                    .map(|connection| item_completed(*connection, item_ref, ItemStatus::InProgress))
                    .collect();
                lane.push(progress, 0);
            }
            let completions: Vec<Fact> = item_connections
                .iter()
                .map(|connection| item_completed(*connection, item_ref, status))
                .collect();
            if negative_first {
                let mut rejected = chunk(Some(lane.lane), completions.clone());
                rejected.stamp = Some(Stamp::Negative {
                    ms: pools::ITEM_NEGATIVE_MS,
                });
                lane.chunks.push_back(rejected);
            }
            lane.push(completions, 0);
        }
        lane.chunks.extend(after_item);
    }

    /// Pushes the guardian completion, delivered once or once per attached connection.
    fn guardian_review(
        &mut self,
        thread: u8,
        guardian: &GuardianReview,
        item_ref: &ItemRef,
        attached: &[ConnectionId],
        lane: &mut LaneBuilder,
    ) {
        let seen = self.reviews_seen.entry(thread).or_default();
        let review_id = pools::review_id(*seen);
        *seen += 1;
        let owner = attached.last().copied().unwrap_or(1);
        let connections = if guardian.per_connection {
            attached.to_vec()
        } else {
            vec![owner]
        };
        let completion =
            |connection: ConnectionId, status: GuardianStatus| Fact::GuardianReviewCompleted {
                connection_id: connection,
                thread_id: item_ref.thread_id.clone(),
                turn_id: item_ref.turn_id.clone(),
                review_id: review_id.clone().into(),
                target_item_id: guardian.targets_item.then(|| item_ref.item_id.clone()),
                action: guardian.action.clone(),
                status,
                started_at_ms: 0,
                completed_at_ms: 0,
            };
        if guardian.in_progress_first {
            let progress = connections
                .iter()
                .map(|connection| completion(*connection, GuardianStatus::InProgress))
                .collect();
            lane.push(progress, guardian.duration_ms);
        }
        let completions = connections
            .iter()
            .map(|connection| completion(*connection, guardian.status))
            .collect();
        lane.push(completions, guardian.duration_ms);
    }
}

impl LaneBuilder {
    fn push(&mut self, facts: Vec<Fact>, duration_ms: i64) {
        let mut chunk = chunk(Some(self.lane), facts);
        chunk.duration_ms = duration_ms;
        self.chunks.push_back(chunk);
    }
}

/// Pushes a user review's request, fanned out to every attached connection with one id (LIFE-2),
/// and returns its lane-local id and its closing chunk, if the review is closed at all.
fn user_review(
    user: &UserReview,
    item_ref: &ItemRef,
    attached: &[ConnectionId],
    lane: &mut LaneBuilder,
) -> (RequestId, Option<Chunk>) {
    let request_id = lane.next_request;
    lane.next_request += 1;
    let copies = attached
        .iter()
        .map(|connection| request_fact(*connection, request_id, item_ref, &user.request))
        .collect();
    lane.push(copies, 0);
    let responder = attached
        .get(usize::from(user.responder) % attached.len().max(1))
        .copied()
        .unwrap_or(1);
    let Some(closing) = user.request.closing() else {
        return (request_id, None);
    };
    let closing = closing_fact(responder, request_id, &closing, 0);
    (request_id, Some(chunk(Some(lane.lane), vec![closing])))
}

/// Moves the chunks of `queues` into `into`, one chunk of each non-empty queue in turn.
fn round_robin(queues: &mut [VecDeque<Chunk>], into: &mut VecDeque<Chunk>) {
    while queues.iter().any(|queue| !queue.is_empty()) {
        into.extend(queues.iter_mut().filter_map(VecDeque::pop_front));
    }
}

fn chunk(lane: Option<usize>, facts: Vec<Fact>) -> Chunk {
    Chunk {
        lane,
        facts,
        duration_ms: 0,
        stamp: None,
    }
}

fn item_started(connection_id: ConnectionId, item: &ItemRef) -> Fact {
    Fact::ItemStarted {
        connection_id,
        thread_id: item.thread_id.clone(),
        turn_id: item.turn_id.clone(),
        item_id: item.item_id.clone(),
        kind: item.kind,
        started_at_ms: 0,
    }
}

fn item_completed(connection_id: ConnectionId, item: &ItemRef, status: ItemStatus) -> Fact {
    Fact::ItemCompleted {
        connection_id,
        thread_id: item.thread_id.clone(),
        turn_id: item.turn_id.clone(),
        item_id: item.item_id.clone(),
        kind: item.kind,
        status,
        completed_at_ms: 0,
    }
}

fn request_fact(
    connection_id: ConnectionId,
    request_id: RequestId,
    item: &ItemRef,
    request: &UserRequest,
) -> Fact {
    let (thread_id, turn_id, item_id) = (
        item.thread_id.clone(),
        item.turn_id.clone(),
        item.item_id.clone(),
    );
    match request {
        UserRequest::FileChange { grant_root, .. } => Fact::FileChangeRequest {
            connection_id,
            request_id,
            thread_id,
            turn_id,
            item_id,
            started_at_ms: 0,
            grant_root: grant_root.clone(),
        },
        UserRequest::Permissions { permissions, .. } => Fact::PermissionsRequest {
            connection_id,
            request_id,
            thread_id,
            turn_id,
            item_id,
            started_at_ms: 0,
            permissions: permissions.clone(),
        },
        UserRequest::Command { request, .. } => Fact::CommandExecutionRequest {
            connection_id,
            request_id,
            thread_id,
            turn_id,
            item_id,
            started_at_ms: 0,
            approval_id: request.approval_id.clone().map(Into::into),
            network_approval_context: request.network_approval_context.clone(),
            proposed_network_policy_amendments: request.proposed_network_policy_amendments.clone(),
            additional_permissions: request.additional_permissions.clone(),
        },
    }
}
