//! The fact streams the boundedness and stress tests draw from: a hostile stream that only ever
//! opens state, and colliding facts from small id pools, both deterministic.

use crate::fact::Fact;

/// A stream no real server sends: every fact opens new state that nothing ever closes.
pub(super) fn hostile_fact(i: u64) -> Fact {
    let thread_id = format!("t{i}");
    let turn_id = format!("u{i}");
    let item_id = format!("i{i}");
    match i % 6 {
        0 => Fact::CommandExecutionRequest {
            connection_id: i,
            request_id: i,
            thread_id: thread_id.into(),
            turn_id: turn_id.into(),
            item_id: item_id.into(),
            started_at_ms: 1,
            approval_id: None,
            network_approval_context: None,
            proposed_network_policy_amendments: None,
            additional_permissions: None,
        },
        1 => Fact::ItemStarted {
            connection_id: i,
            thread_id: thread_id.into(),
            turn_id: turn_id.into(),
            item_id: item_id.into(),
            kind: crate::fact::ItemKind::CommandExecution,
            started_at_ms: 1,
        },
        2 => Fact::GuardianReviewCompleted {
            connection_id: i,
            thread_id: thread_id.into(),
            turn_id: turn_id.into(),
            review_id: format!("g{i}").into(),
            target_item_id: Some(item_id.into()),
            action: crate::fact::GuardianAction::Command {
                command: "ls".to_owned(),
            },
            status: crate::fact::GuardianStatus::Approved,
            started_at_ms: 1,
            completed_at_ms: 2,
        },
        3 => Fact::ThreadBound {
            connection_id: i,
            thread_id: thread_id.into(),
            binding: crate::fact::ThreadBinding::Started,
            thread_source: None,
            subagent_source: None,
            parent_thread_id: None,
            originator: None,
        },
        4 => Fact::Initialize {
            connection_id: i,
            app_server_client: crate::fact::AppServerClient {
                product_client_id: None,
                client_name: None,
                client_version: None,
                rpc_transport: None,
                experimental_api_enabled: None,
            }
            .into(),
            runtime: crate::fact::Runtime {
                codex_rs_version: None,
                runtime_os: None,
                runtime_os_version: None,
                runtime_arch: None,
            }
            .into(),
        },
        _ => Fact::PermissionsRequest {
            connection_id: i,
            request_id: i,
            thread_id: thread_id.into(),
            turn_id: turn_id.into(),
            item_id: item_id.into(),
            started_at_ms: 1,
            permissions: crate::fact::PermissionProfile::default(),
        },
    }
}

/// A tiny deterministic generator (xorshift64*), so stress runs replay without a seed knob.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick(&mut self, names: &[&str]) -> String {
        let index = usize::try_from(self.below(names.len() as u64)).unwrap_or(0);
        names.get(index).copied().unwrap_or_default().to_owned()
    }
}

/// A fact from small id pools, so that requests, responses, items and turns collide often.
pub(super) fn colliding_fact(rng: &mut Rng) -> Fact {
    use crate::fact::{
        CommandDecision, FileChangeDecision, GrantScope, GuardianAction, GuardianStatus, ItemKind,
        ItemStatus, NetworkApprovalContext, NetworkPermission, PermissionProfile, ThreadBinding,
    };
    let threads = ["t1", "t2"];
    let turns = ["u1", "u2"];
    let items = ["i1", "i2"];
    let connection_id = rng.below(3);
    let request_id = rng.below(4);
    let ms = i64::try_from(rng.below(6)).unwrap_or(0) - 1;
    let profile = match rng.below(3) {
        0 => PermissionProfile::default(),
        1 => PermissionProfile {
            network: Some(NetworkPermission {
                enabled: Some(rng.below(2) == 0),
            }),
            file_system: None,
        },
        _ => PermissionProfile {
            network: None,
            file_system: Some(crate::fact::FileSystemPermission::default()),
        },
    };
    match rng.below(14) {
        0 => Fact::TurnCompleted {
            thread_id: rng.pick(&threads).into(),
            turn_id: rng.pick(&turns).into(),
            completed_at_ms: ms,
        },
        1 => hostile_fact(4 + 6 * rng.below(3)),
        2 => Fact::ThreadBound {
            connection_id,
            thread_id: rng.pick(&threads).into(),
            binding: ThreadBinding::Resumed,
            thread_source: None,
            subagent_source: None,
            parent_thread_id: None,
            originator: Some("codex_exec".to_owned()),
        },
        3 => Fact::ItemStarted {
            connection_id,
            thread_id: rng.pick(&threads).into(),
            turn_id: rng.pick(&turns).into(),
            item_id: rng.pick(&items).into(),
            kind: ItemKind::FileChange,
            started_at_ms: ms,
        },
        4 => Fact::ItemCompleted {
            connection_id,
            thread_id: rng.pick(&threads).into(),
            turn_id: rng.pick(&turns).into(),
            item_id: rng.pick(&items).into(),
            kind: ItemKind::CommandExecution,
            status: [
                ItemStatus::Completed,
                ItemStatus::Failed,
                ItemStatus::Declined,
                ItemStatus::InProgress,
            ][usize::try_from(rng.below(4)).unwrap_or(0)],
            completed_at_ms: ms,
        },
        5 => Fact::RequestAborted {
            connection_id,
            request_id,
            completed_at_ms: ms,
        },
        6 => Fact::MalformedResponse {
            connection_id,
            request_id,
            completed_at_ms: ms,
        },
        7 => Fact::FileChangeResponse {
            connection_id,
            request_id,
            decision: FileChangeDecision::AcceptForSession,
            completed_at_ms: ms,
        },
        8 => Fact::CommandExecutionResponse {
            connection_id,
            request_id,
            decision: CommandDecision::Decline,
            completed_at_ms: ms,
        },
        9 => Fact::EffectivePermissionsResponse {
            connection_id,
            request_id,
            permissions: profile,
            scope: GrantScope::Session,
            completed_at_ms: ms,
        },
        10 => Fact::FileChangeRequest {
            connection_id,
            request_id,
            thread_id: rng.pick(&threads).into(),
            turn_id: rng.pick(&turns).into(),
            item_id: rng.pick(&items).into(),
            started_at_ms: ms,
            grant_root: None,
        },
        11 => Fact::PermissionsRequest {
            connection_id,
            request_id,
            thread_id: rng.pick(&threads).into(),
            turn_id: rng.pick(&turns).into(),
            item_id: rng.pick(&items).into(),
            started_at_ms: ms,
            permissions: profile,
        },
        12 => Fact::CommandExecutionRequest {
            connection_id,
            request_id,
            thread_id: rng.pick(&threads).into(),
            turn_id: rng.pick(&turns).into(),
            item_id: rng.pick(&items).into(),
            started_at_ms: ms,
            approval_id: None,
            network_approval_context: (rng.below(2) == 0).then(|| NetworkApprovalContext {
                host: "h".to_owned(),
                protocol: "https".to_owned(),
            }),
            proposed_network_policy_amendments: None,
            additional_permissions: None,
        },
        _ => Fact::GuardianReviewCompleted {
            connection_id,
            thread_id: rng.pick(&threads).into(),
            turn_id: rng.pick(&turns).into(),
            review_id: rng.pick(&["g1", "g2"]).into(),
            target_item_id: (rng.below(3) != 0).then(|| rng.pick(&items).into()),
            action: GuardianAction::ApplyPatch { files: Vec::new() },
            status: [GuardianStatus::Approved, GuardianStatus::InProgress]
                [usize::try_from(rng.below(2)).unwrap_or(0)],
            started_at_ms: ms,
            completed_at_ms: ms,
        },
    }
}
