//! The traces that expose each seeded defect (`seeded-defects` builds only).

use crate::Defect;
use crate::event::Limits;

/// Connection 1 initialized, thread t1 bound to it, so review events carry their fields.
const CONTEXT: &str = r#"
{"type": "initialize", "connection_id": 1, "app_server_client": {}, "runtime": {}}
{"type": "thread_bound", "connection_id": 1, "thread_id": "t1", "binding": "started"}
"#;

impl Defect {
    /// The fact lines of a short trace (at most seven facts, no header) on which this defect's outputs differ from the
    /// correct reducer's, with the limits it needs: what the catalogue's tests, and the
    /// harness's check that each defect is blamed on its own rule, start from.
    pub fn exposing_trace(self) -> (Limits, String) {
        exposing_trace(self)
    }
}

fn exposing_trace(defect: Defect) -> (Limits, String) {
    let limits = Limits::default();
    let trace = match defect {
        Defect::EmptyGrantApproved => format!(
            r#"{CONTEXT}
{{"type": "permissions_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1, "permissions": {{}}}}
{{"type": "effective_permissions_response", "connection_id": 1, "request_id": 1, "permissions": {{}}, "scope": "turn", "completed_at_ms": 2}}"#
        ),
        Defect::ScopeIgnored => format!(
            r#"{CONTEXT}
{{"type": "permissions_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1, "permissions": {{}}}}
{{"type": "effective_permissions_response", "connection_id": 1, "request_id": 1, "permissions": {{"network": {{"enabled": true}}}}, "scope": "session", "completed_at_ms": 2}}"#
        ),
        Defect::DuplicateGuardianCounted => r#"
{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g1", "action": {"type": "command", "command": "ls"}, "status": "approved", "started_at_ms": 1, "completed_at_ms": 2}
{"type": "guardian_review_completed", "connection_id": 2, "thread_id": "t1", "turn_id": "u1", "review_id": "g1", "action": {"type": "command", "command": "ls"}, "status": "approved", "started_at_ms": 1, "completed_at_ms": 2}"#
            .to_owned(),
        Defect::NetworkAsCommand => r#"
{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1, "network_approval_context": {"host": "example.com", "protocol": "https"}}
{"type": "request_aborted", "connection_id": 1, "request_id": 1, "completed_at_ms": 2}
{"type": "turn_completed", "thread_id": "t1", "turn_id": "u1", "completed_at_ms": 3}"#
            .to_owned(),
        Defect::SummaryKeyWithoutThread | Defect::SummaryKeyWithoutTurn => r#"
{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g1", "target_item_id": "i1", "action": {"type": "command", "command": "ls"}, "status": "approved", "started_at_ms": 1, "completed_at_ms": 2}
{"type": "turn_completed", "thread_id": "t1", "turn_id": "u1", "completed_at_ms": 3}"#
            .to_owned(),
        Defect::LastTerminalWins => r#"
{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1}
{"type": "command_execution_response", "connection_id": 1, "request_id": 1, "decision": {"decision": "accept"}, "completed_at_ms": 2}
{"type": "command_execution_response", "connection_id": 2, "request_id": 1, "decision": {"decision": "decline"}, "completed_at_ms": 3}"#
            .to_owned(),
        Defect::SilentOrphan => r#"
{"type": "request_aborted", "connection_id": 1, "request_id": 9, "completed_at_ms": 2}"#
            .to_owned(),
        Defect::ResponseAfterAbortCounted => r#"
{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1}
{"type": "request_aborted", "connection_id": 1, "request_id": 1, "completed_at_ms": 2}
{"type": "command_execution_response", "connection_id": 1, "request_id": 1, "decision": {"decision": "accept"}, "completed_at_ms": 3}"#
            .to_owned(),
        Defect::FinalOutcomeFromFirst => format!(
            r#"{CONTEXT}
{{"type": "item_started", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "command_execution", "started_at_ms": 1}}
{{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g1", "target_item_id": "i1", "action": {{"type": "command", "command": "ls"}}, "status": "denied", "started_at_ms": 1, "completed_at_ms": 2}}
{{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g2", "target_item_id": "i1", "action": {{"type": "command", "command": "ls"}}, "status": "approved", "started_at_ms": 3, "completed_at_ms": 4}}
{{"type": "item_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "command_execution", "status": "completed", "completed_at_ms": 5}}"#
        ),
        Defect::DurationUnderflow => format!(
            r#"{CONTEXT}
{{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1042}}
{{"type": "command_execution_response", "connection_id": 1, "request_id": 1, "decision": {{"decision": "accept"}}, "completed_at_ms": 1000}}"#
        ),
        Defect::PermissionsDenormalized => r#"
{"type": "permissions_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1, "permissions": {}}
{"type": "request_aborted", "connection_id": 1, "request_id": 1, "completed_at_ms": 2}
{"type": "turn_completed", "thread_id": "t1", "turn_id": "u1", "completed_at_ms": 3}"#
            .to_owned(),
        Defect::GuardianInProgressEmitted => r#"
{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g1", "action": {"type": "command", "command": "ls"}, "status": "in_progress", "started_at_ms": 1, "completed_at_ms": 2}"#
            .to_owned(),
        Defect::ConflictReplaces => r#"
{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1}
{"type": "command_execution_request", "connection_id": 2, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i2", "started_at_ms": 1}
{"type": "request_aborted", "connection_id": 1, "request_id": 1, "completed_at_ms": 2}"#
            .to_owned(),
        Defect::MalformedLeavesPending => r#"
{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1}
{"type": "malformed_response", "connection_id": 1, "request_id": 1, "completed_at_ms": 2}"#
            .to_owned(),
        Defect::InProgressDiscardsSummary => r#"
{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g1", "target_item_id": "i1", "action": {"type": "command", "command": "ls"}, "status": "approved", "started_at_ms": 1, "completed_at_ms": 2}
{"type": "item_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "command_execution", "status": "in_progress", "completed_at_ms": 3}
{"type": "turn_completed", "thread_id": "t1", "turn_id": "u1", "completed_at_ms": 4}"#
            .to_owned(),
        Defect::SilentEviction | Defect::BoundIgnored => {
            let trace = r#"
{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1}
{"type": "command_execution_request", "connection_id": 1, "request_id": 2, "thread_id": "t1", "turn_id": "u1", "item_id": "i2", "started_at_ms": 1}"#;
            return (
                Limits {
                    table_entries_max: 1,
                },
                trace.to_owned(),
            );
        }
        Defect::DuplicateStartOverwrites => format!(
            r#"{CONTEXT}
{{"type": "item_started", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "command_execution", "started_at_ms": 1}}
{{"type": "item_started", "connection_id": 2, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "command_execution", "started_at_ms": 5}}
{{"type": "item_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "command_execution", "status": "completed", "completed_at_ms": 9}}"#
        ),
        Defect::NetworkTriggerBeforeExecve => format!(
            r#"{CONTEXT}
{{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1, "approval_id": "a1", "network_approval_context": {{"host": "example.com", "protocol": "https"}}}}
{{"type": "request_aborted", "connection_id": 1, "request_id": 1, "completed_at_ms": 2}}"#
        ),
        Defect::UpstreamTurnReleases => format!(
            r#"{CONTEXT}
{{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1}}
{{"type": "turn_completed", "thread_id": "t1", "turn_id": "u1", "completed_at_ms": 2}}
{{"type": "request_aborted", "connection_id": 1, "request_id": 1, "completed_at_ms": 3}}"#
        ),
        Defect::RequestIdThroughF64 => r#"
{"type": "command_execution_request", "connection_id": 1, "request_id": 9007199254740992, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1}
{"type": "command_execution_request", "connection_id": 1, "request_id": 9007199254740993, "thread_id": "t1", "turn_id": "u1", "item_id": "i2", "started_at_ms": 2}"#
            .to_owned(),
        Defect::ReviewIdOfNineteenDigits => r#"
{"type": "command_execution_request", "connection_id": 1, "request_id": 18446744073709551615, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1}
{"type": "request_aborted", "connection_id": 1, "request_id": 18446744073709551615, "completed_at_ms": 2}"#
            .to_owned(),
        Defect::GuardianDedupPerTurn => r#"
{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g1", "action": {"type": "command", "command": "ls"}, "status": "approved", "started_at_ms": 1, "completed_at_ms": 2}
{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u2", "review_id": "g1", "action": {"type": "command", "command": "ls"}, "status": "approved", "started_at_ms": 1, "completed_at_ms": 2}"#
            .to_owned(),
        Defect::GuardianMemoryOutlivesTurn => r#"
{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g1", "action": {"type": "command", "command": "ls"}, "status": "approved", "started_at_ms": 1, "completed_at_ms": 2}
{"type": "guardian_review_completed", "connection_id": 2, "thread_id": "t1", "turn_id": "u2", "review_id": "g1", "action": {"type": "command", "command": "ls"}, "status": "approved", "started_at_ms": 1, "completed_at_ms": 2}
{"type": "turn_completed", "thread_id": "t1", "turn_id": "u1", "completed_at_ms": 3}
{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g1", "action": {"type": "command", "command": "ls"}, "status": "approved", "started_at_ms": 1, "completed_at_ms": 2}"#
            .to_owned(),
        Defect::FourConnectionSlots => r#"
{"type": "initialize", "connection_id": 1, "app_server_client": {"client_name": "vscode"}, "runtime": {}}
{"type": "initialize", "connection_id": 5, "app_server_client": {"client_name": "codex-tui"}, "runtime": {}}
{"type": "thread_bound", "connection_id": 1, "thread_id": "t1", "binding": "started"}
{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g1", "action": {"type": "command", "command": "ls"}, "status": "approved", "started_at_ms": 1, "completed_at_ms": 2}"#
            .to_owned(),
        Defect::FourItemStartsPerTurn => {
            let mut trace = String::new();
            for item in 1..=5 {
                trace.push_str(&format!(
                    r#"{{"type": "item_started", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i{item}", "kind": "command_execution", "started_at_ms": 1}}
"#
                ));
            }
            trace.push_str(
                r#"{"type": "turn_completed", "thread_id": "t1", "turn_id": "u1", "completed_at_ms": 3}"#,
            );
            trace
        }
        Defect::BoundInBlocks => {
            let trace = r#"
{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1}
{"type": "command_execution_request", "connection_id": 1, "request_id": 2, "thread_id": "t1", "turn_id": "u1", "item_id": "i2", "started_at_ms": 1}
{"type": "command_execution_request", "connection_id": 1, "request_id": 3, "thread_id": "t1", "turn_id": "u1", "item_id": "i3", "started_at_ms": 1}"#;
            return (
                Limits {
                    table_entries_max: 65,
                },
                trace.to_owned(),
            );
        }
        Defect::RequestStartThroughF64 => format!(
            r#"{CONTEXT}
{{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 9223372036854775000}}
{{"type": "request_aborted", "connection_id": 1, "request_id": 1, "completed_at_ms": 9223372036854775001}}"#
        ),
        Defect::OriginatorIgnored => r#"
{"type": "initialize", "connection_id": 1, "app_server_client": {"product_client_id": "vscode"}, "runtime": {}}
{"type": "thread_bound", "connection_id": 1, "thread_id": "t1", "binding": "started", "originator": "codex_exec"}
{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g1", "action": {"type": "command", "command": "ls"}, "status": "approved", "started_at_ms": 1, "completed_at_ms": 2}"#
            .to_owned(),
        Defect::OriginatorClearedByRebinding => r#"
{"type": "initialize", "connection_id": 1, "app_server_client": {"product_client_id": "vscode"}, "runtime": {}}
{"type": "thread_bound", "connection_id": 1, "thread_id": "t1", "binding": "started", "originator": "codex_exec"}
{"type": "thread_bound", "connection_id": 1, "thread_id": "t1", "binding": "resumed"}
{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g1", "action": {"type": "command", "command": "ls"}, "status": "approved", "started_at_ms": 1, "completed_at_ms": 2}"#
            .to_owned(),
        Defect::SubagentWithoutParentConnection => format!(
            r#"{CONTEXT}
{{"type": "subagent_thread_started", "thread_id": "t2", "parent_thread_id": "t1", "subagent_source": "thread_spawn"}}
{{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t2", "turn_id": "u1", "review_id": "g1", "action": {{"type": "command", "command": "ls"}}, "status": "approved", "started_at_ms": 1, "completed_at_ms": 2}}"#
        ),
        Defect::NetworkFlagFromLastReview => format!(
            r#"{CONTEXT}
{{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1, "proposed_network_policy_amendments": [{{"host": "example.com", "action": "allow"}}]}}
{{"type": "command_execution_response", "connection_id": 1, "request_id": 1, "decision": {{"decision": "accept"}}, "completed_at_ms": 2}}
{{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g1", "target_item_id": "i1", "action": {{"type": "command", "command": "ls"}}, "status": "approved", "started_at_ms": 3, "completed_at_ms": 4}}
{{"type": "item_started", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "command_execution", "started_at_ms": 0}}
{{"type": "item_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "command_execution", "status": "completed", "completed_at_ms": 5}}"#
        ),
        Defect::SummaryLeftAfterEvent => format!(
            r#"{CONTEXT}
{{"type": "item_started", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "command_execution", "started_at_ms": 1}}
{{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g1", "target_item_id": "i1", "action": {{"type": "command", "command": "ls"}}, "status": "approved", "started_at_ms": 1, "completed_at_ms": 2}}
{{"type": "item_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "command_execution", "status": "completed", "completed_at_ms": 3}}
{{"type": "turn_completed", "thread_id": "t1", "turn_id": "u1", "completed_at_ms": 4}}"#
        ),
        Defect::UpstreamConflictKept => format!(
            r#"{CONTEXT}
{{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1}}
{{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i2", "started_at_ms": 1}}
{{"type": "request_aborted", "connection_id": 1, "request_id": 1, "completed_at_ms": 3}}"#
        ),
    };
    (limits, trace)
}
