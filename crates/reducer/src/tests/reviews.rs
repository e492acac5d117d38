//! Examples from `spec/rules.md` of what a review and its item say: review ids and fields (ID-1,
//! ID-2), grants (GRANT-1..3), guardian completions seen twice (DEDUP-1, GUARD-1), item
//! summaries (SUM-1..6) and threads kept apart (ISO-1).

use super::support::{check, with_context};

#[test]
fn accepted_command_emits_user_review_then_counts_on_its_item() {
    // ID-1, ORDER-1, SUM-2..4, TIME-1, TIME-3.
    check(
        &with_context(
            r#"
{"type": "item_started", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "command_execution", "started_at_ms": 900}
{"type": "command_execution_request", "connection_id": 1, "request_id": 41, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1000}
{"type": "command_execution_response", "connection_id": 1, "request_id": 41, "decision": {"decision": "accept_for_session"}, "completed_at_ms": 1042}
{"type": "item_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "command_execution", "status": "completed", "completed_at_ms": 1100}
"#,
        ),
        r#"
{"at": 4, "event_type": "codex_review_event", "event_params": {"thread_id": "t1", "turn_id": "u1", "item_id": "i1", "review_id": "user:41", "app_server_client": {"client_name": "tui"}, "runtime": {}, "thread_source": "user", "subject_kind": "command_execution", "subject_name": "command_execution", "reviewer": "user", "trigger": "initial", "status": "approved", "resolution": "session_approval", "started_at_ms": 1000, "completed_at_ms": 1042, "duration_ms": 42}}
{"at": 5, "event_type": "codex_command_execution_event", "event_params": {"thread_id": "t1", "turn_id": "u1", "item_id": "i1", "app_server_client": {"client_name": "tui"}, "runtime": {}, "thread_source": "user", "terminal_status": "completed", "started_at_ms": 900, "completed_at_ms": 1100, "duration_ms": 200, "review_count": 1, "guardian_review_count": 0, "user_review_count": 1, "final_approval_outcome": "user_approved_for_session", "requested_additional_permissions": false, "requested_network_access": false}}
"#,
    );
}

#[test]
fn empty_grant_is_denied_with_either_scope_and_non_empty_session_grant_is_session_approval() {
    // GRANT-1, GRANT-2, GRANT-3, SUM-1 (permissions never touch an item).
    check(
        &with_context(
            r#"
{"type": "permissions_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "p1", "started_at_ms": 10, "permissions": {"network": {"enabled": true}}}
{"type": "effective_permissions_response", "connection_id": 1, "request_id": 1, "permissions": {}, "scope": "turn", "completed_at_ms": 11}
{"type": "permissions_request", "connection_id": 1, "request_id": 2, "thread_id": "t1", "turn_id": "u1", "item_id": "p1", "started_at_ms": 10, "permissions": {"network": {"enabled": true}}}
{"type": "effective_permissions_response", "connection_id": 1, "request_id": 2, "permissions": {}, "scope": "session", "completed_at_ms": 12}
{"type": "permissions_request", "connection_id": 1, "request_id": 3, "thread_id": "t1", "turn_id": "u1", "item_id": "p1", "started_at_ms": 10, "permissions": {}}
{"type": "effective_permissions_response", "connection_id": 1, "request_id": 3, "permissions": {"network": {"enabled": false}}, "scope": "session", "completed_at_ms": 9}
{"type": "turn_completed", "thread_id": "t1", "turn_id": "u1", "completed_at_ms": 20}
"#,
        ),
        r#"
{"at": 3, "event_type": "codex_review_event", "event_params": {"thread_id": "t1", "turn_id": "u1", "item_id": "p1", "review_id": "user:1", "app_server_client": {"client_name": "tui"}, "runtime": {}, "thread_source": "user", "subject_kind": "permissions", "subject_name": "permissions", "reviewer": "user", "trigger": "network_policy_denial", "status": "denied", "resolution": "none", "started_at_ms": 10, "completed_at_ms": 11, "duration_ms": 1}}
{"at": 5, "event_type": "codex_review_event", "event_params": {"thread_id": "t1", "turn_id": "u1", "item_id": "p1", "review_id": "user:2", "app_server_client": {"client_name": "tui"}, "runtime": {}, "thread_source": "user", "subject_kind": "permissions", "subject_name": "permissions", "reviewer": "user", "trigger": "network_policy_denial", "status": "denied", "resolution": "none", "started_at_ms": 10, "completed_at_ms": 12, "duration_ms": 2}}
{"at": 7, "event_type": "codex_review_event", "event_params": {"thread_id": "t1", "turn_id": "u1", "item_id": "p1", "review_id": "user:3", "app_server_client": {"client_name": "tui"}, "runtime": {}, "thread_source": "user", "subject_kind": "permissions", "subject_name": "permissions", "reviewer": "user", "trigger": "initial", "status": "approved", "resolution": "session_approval", "started_at_ms": 10, "completed_at_ms": 9, "duration_ms": null}}
"#,
    );
}

#[test]
fn guardian_completion_from_a_second_connection_counts_once() {
    // DEDUP-1, GUARD-1, GUARD-3, ID-2, DEDUP-2 (released silently).
    check(
        &with_context(
            r#"
{"type": "item_started", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "command_execution", "started_at_ms": 1}
{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "gr-7", "target_item_id": "i1", "action": {"type": "command", "command": "ls"}, "status": "denied", "started_at_ms": 1000, "completed_at_ms": 1042}
{"type": "guardian_review_completed", "connection_id": 2, "thread_id": "t1", "turn_id": "u1", "review_id": "gr-7", "target_item_id": "i1", "action": {"type": "command", "command": "ls"}, "status": "denied", "started_at_ms": 1000, "completed_at_ms": 1042}
{"type": "item_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "command_execution", "status": "declined", "completed_at_ms": 1100}
{"type": "turn_completed", "thread_id": "t1", "turn_id": "u1", "completed_at_ms": 1200}
"#,
        ),
        r#"
{"at": 3, "event_type": "codex_review_event", "event_params": {"thread_id": "t1", "turn_id": "u1", "item_id": "i1", "review_id": "gr-7", "app_server_client": {"client_name": "tui"}, "runtime": {}, "thread_source": "user", "subject_kind": "command_execution", "subject_name": "command_execution", "reviewer": "guardian", "trigger": "initial", "status": "denied", "resolution": "none", "started_at_ms": 1000, "completed_at_ms": 1042, "duration_ms": 42}}
{"at": 4, "event_type": "review_spec_diagnostic", "event_params": {"reason": "duplicate_guardian_completion", "connection_id": 2, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "review_id": "gr-7"}}
{"at": 5, "event_type": "codex_command_execution_event", "event_params": {"thread_id": "t1", "turn_id": "u1", "item_id": "i1", "app_server_client": {"client_name": "tui"}, "runtime": {}, "thread_source": "user", "terminal_status": "rejected", "failure_kind": "approval_denied", "started_at_ms": 1, "completed_at_ms": 1100, "duration_ms": 1099, "review_count": 1, "guardian_review_count": 1, "user_review_count": 0, "final_approval_outcome": "guardian_denied", "requested_additional_permissions": false, "requested_network_access": false}}
"#,
    );
}

#[test]
fn review_after_its_item_completed_is_an_unconsumed_summary_at_turn_end() {
    // SUM-6, ITEM-3, TURN-1; no context, so events become CTX-3 diagnostics.
    check(
        r#"
{"type": "item_started", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "file_change", "started_at_ms": 1}
{"type": "item_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "file_change", "status": "completed", "completed_at_ms": 2}
{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g1", "target_item_id": "i1", "action": {"type": "apply_patch"}, "status": "approved", "started_at_ms": 3, "completed_at_ms": 4}
{"type": "item_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "file_change", "status": "completed", "completed_at_ms": 5}
{"type": "turn_completed", "thread_id": "t1", "turn_id": "u1", "completed_at_ms": 6}
"#,
        r#"
{"at": 1, "event_type": "review_spec_diagnostic", "event_params": {"reason": "missing_thread", "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "dropped_event": "codex_file_change_event"}}
{"at": 2, "event_type": "review_spec_diagnostic", "event_params": {"reason": "missing_thread", "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "review_id": "g1", "dropped_event": "codex_review_event"}}
{"at": 3, "event_type": "review_spec_diagnostic", "event_params": {"reason": "item_not_started", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1"}}
{"at": 4, "event_type": "review_spec_diagnostic", "event_params": {"reason": "unconsumed_summary", "thread_id": "t1", "turn_id": "u1", "item_id": "i1"}}
"#,
    );
}

#[test]
fn a_review_on_one_thread_does_not_reach_the_same_item_id_on_another() {
    // ISO-1 example; SUM-2 counts the review although its event is dropped (t9 is unbound).
    check(
        &with_context(
            r#"
{"type": "item_started", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "mcp_tool_call", "started_at_ms": 5}
{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t9", "turn_id": "u1", "review_id": "g1", "target_item_id": "i1", "action": {"type": "mcp_tool_call", "server": "s", "tool_name": "search"}, "status": "approved", "started_at_ms": 1, "completed_at_ms": 2}
{"type": "item_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "mcp_tool_call", "status": "failed", "completed_at_ms": 4}
{"type": "turn_completed", "thread_id": "t9", "turn_id": "u1", "completed_at_ms": 6}
"#,
        ),
        r#"
{"at": 3, "event_type": "review_spec_diagnostic", "event_params": {"reason": "missing_thread", "thread_id": "t9", "turn_id": "u1", "item_id": "i1", "review_id": "g1", "dropped_event": "codex_review_event"}}
{"at": 4, "event_type": "codex_mcp_tool_call_event", "event_params": {"thread_id": "t1", "turn_id": "u1", "item_id": "i1", "app_server_client": {"client_name": "tui"}, "runtime": {}, "thread_source": "user", "terminal_status": "failed", "failure_kind": "tool_error", "started_at_ms": 5, "completed_at_ms": 4, "duration_ms": null, "review_count": 0, "guardian_review_count": 0, "user_review_count": 0, "final_approval_outcome": "unknown", "requested_additional_permissions": false, "requested_network_access": false}}
{"at": 5, "event_type": "review_spec_diagnostic", "event_params": {"reason": "unconsumed_summary", "thread_id": "t9", "turn_id": "u1", "item_id": "i1"}}
"#,
    );
}
