//! Unit tests of the reducer on examples from `spec/rules.md`, through its public API, plus the
//! memory bound under a hostile stream. Traces and expected outputs are written as JSON, as in
//! `spec/vectors/`, so a case reads like the spec; absent optional fields are null.

use crate::profile::Profile;
use pretty_assertions::assert_eq;

use crate::event::{Emitted, Limits, Table};
use crate::fact::Fact;
use crate::trace::parse_trace;

use super::{Reducer, reduce_all};

/// Facts of a trace body, one JSON object a line (blank lines allowed).
#[track_caller]
fn facts(lines: &str) -> Vec<Fact> {
    let text = format!("{{\"review_spec_trace\": 1}}\n{lines}");
    match parse_trace(&text) {
        Ok(trace) => trace.facts,
        Err(error) => panic!("bad test trace: {error}"),
    }
}

/// Expected outputs, one `Emitted` JSON object a line.
#[track_caller]
fn emitted(lines: &str) -> Vec<Emitted> {
    lines
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| match serde_json::from_str(line) {
            Ok(emitted) => emitted,
            Err(error) => panic!("bad expected output {line}: {error}"),
        })
        .collect()
}

#[track_caller]
fn check_with(limits: Limits, input: &str, expected: &str) {
    assert_eq!(
        reduce_all(&facts(input), &limits, &Profile::SPEC),
        emitted(expected)
    );
}

#[track_caller]
fn check(input: &str, expected: &str) {
    check_with(Limits::default(), input, expected);
}

/// Connection 1 initialized, thread t1 bound to it: reviews of t1 are emitted.
const CONTEXT: &str = r#"
{"type": "initialize", "connection_id": 1, "app_server_client": {"client_name": "tui"}, "runtime": {}}
{"type": "thread_bound", "connection_id": 1, "thread_id": "t1", "binding": "started", "thread_source": "user"}
"#;

fn with_context(lines: &str) -> String {
    format!("{CONTEXT}{lines}")
}

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
fn turn_end_releases_requests_then_starts_then_summaries_each_in_insertion_order() {
    // TURN-1, ISO-1 (another turn and another thread keep their state).
    check(
        r#"
{"type": "item_started", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i9", "kind": "web_search", "started_at_ms": 1}
{"type": "file_change_request", "connection_id": 1, "request_id": 7, "thread_id": "t1", "turn_id": "u1", "item_id": "i2", "started_at_ms": 1}
{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g1", "target_item_id": "i5", "action": {"type": "execve", "program": "sh"}, "status": "timed_out", "started_at_ms": 1, "completed_at_ms": 2}
{"type": "command_execution_request", "connection_id": 1, "request_id": 3, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1}
{"type": "command_execution_request", "connection_id": 1, "request_id": 4, "thread_id": "t1", "turn_id": "u2", "item_id": "i1", "started_at_ms": 1}
{"type": "command_execution_request", "connection_id": 1, "request_id": 5, "thread_id": "t2", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1}
{"type": "item_started", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i3", "kind": "command_execution", "started_at_ms": 1}
{"type": "turn_completed", "thread_id": "t1", "turn_id": "u1", "completed_at_ms": 9}
{"type": "turn_completed", "thread_id": "t1", "turn_id": "u1", "completed_at_ms": 10}
{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g1", "action": {"type": "network_access", "host": "example.com", "protocol": "https"}, "status": "approved", "started_at_ms": 1, "completed_at_ms": 2}
"#,
        r#"
{"at": 2, "event_type": "review_spec_diagnostic", "event_params": {"reason": "missing_thread", "thread_id": "t1", "turn_id": "u1", "item_id": "i5", "review_id": "g1", "dropped_event": "codex_review_event"}}
{"at": 7, "event_type": "review_spec_diagnostic", "event_params": {"reason": "unanswered_request", "request_id": 7, "thread_id": "t1", "turn_id": "u1", "item_id": "i2"}}
{"at": 7, "event_type": "review_spec_diagnostic", "event_params": {"reason": "unanswered_request", "request_id": 3, "thread_id": "t1", "turn_id": "u1", "item_id": "i1"}}
{"at": 7, "event_type": "review_spec_diagnostic", "event_params": {"reason": "item_never_completed", "thread_id": "t1", "turn_id": "u1", "item_id": "i9"}}
{"at": 7, "event_type": "review_spec_diagnostic", "event_params": {"reason": "item_never_completed", "thread_id": "t1", "turn_id": "u1", "item_id": "i3"}}
{"at": 7, "event_type": "review_spec_diagnostic", "event_params": {"reason": "unconsumed_summary", "thread_id": "t1", "turn_id": "u1", "item_id": "i5"}}
{"at": 9, "event_type": "review_spec_diagnostic", "event_params": {"reason": "missing_thread", "thread_id": "t1", "turn_id": "u1", "review_id": "g1", "dropped_event": "codex_review_event"}}
"#,
    );
}

#[test]
fn full_table_evicts_its_oldest_entry_and_a_late_answer_is_an_orphan() {
    // CAP-1, LIFE-4; an update (rebinding t1) does not move the key.
    check_with(
        Limits {
            table_entries_max: 2,
        },
        r#"
{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1}
{"type": "command_execution_request", "connection_id": 1, "request_id": 2, "thread_id": "t1", "turn_id": "u1", "item_id": "i2", "started_at_ms": 1}
{"type": "command_execution_request", "connection_id": 1, "request_id": 3, "thread_id": "t1", "turn_id": "u1", "item_id": "i3", "started_at_ms": 1}
{"type": "command_execution_response", "connection_id": 1, "request_id": 1, "decision": {"decision": "accept"}, "completed_at_ms": 2}
{"type": "thread_bound", "connection_id": 1, "thread_id": "t1", "binding": "started"}
{"type": "thread_bound", "connection_id": 1, "thread_id": "t2", "binding": "started"}
{"type": "thread_bound", "connection_id": 2, "thread_id": "t1", "binding": "resumed"}
{"type": "thread_bound", "connection_id": 1, "thread_id": "t3", "binding": "forked"}
{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g1", "action": {"type": "command", "command": "ls"}, "status": "in_progress", "started_at_ms": 1, "completed_at_ms": 2}
"#,
        r#"
{"at": 2, "event_type": "review_spec_diagnostic", "event_params": {"reason": "evicted", "table": "pending_requests", "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1"}}
{"at": 3, "event_type": "review_spec_diagnostic", "event_params": {"reason": "orphan_response", "connection_id": 1, "request_id": 1}}
{"at": 7, "event_type": "review_spec_diagnostic", "event_params": {"reason": "evicted", "table": "threads", "thread_id": "t1"}}
{"at": 8, "event_type": "review_spec_diagnostic", "event_params": {"reason": "guardian_in_progress", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g1"}}
"#,
    );
}

#[test]
fn first_terminal_fact_wins_and_malformed_closes_as_denied_before_its_diagnostic() {
    // LIFE-4 example, DEC-3, DEC-4, LIFE-5, CTX-3 (missing connection).
    check(
        r#"
{"type": "thread_bound", "connection_id": 5, "thread_id": "t1", "binding": "started"}
{"type": "command_execution_request", "connection_id": 5, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1}
{"type": "request_aborted", "connection_id": 5, "request_id": 1, "completed_at_ms": 2}
{"type": "command_execution_response", "connection_id": 5, "request_id": 1, "decision": {"decision": "accept"}, "completed_at_ms": 3}
{"type": "file_change_request", "connection_id": 5, "request_id": 2, "thread_id": "t1", "turn_id": "u1", "item_id": "i2", "started_at_ms": 1, "grant_root": "/"}
{"type": "command_execution_response", "connection_id": 5, "request_id": 2, "decision": {"decision": "accept"}, "completed_at_ms": 3}
{"type": "malformed_response", "connection_id": 6, "request_id": 2, "completed_at_ms": 4}
{"type": "malformed_response", "connection_id": 6, "request_id": 2, "completed_at_ms": 5}
"#,
        r#"
{"at": 2, "event_type": "review_spec_diagnostic", "event_params": {"reason": "missing_connection", "connection_id": 5, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "review_id": "user:1", "dropped_event": "codex_review_event"}}
{"at": 3, "event_type": "review_spec_diagnostic", "event_params": {"reason": "orphan_response", "connection_id": 5, "request_id": 1}}
{"at": 5, "event_type": "review_spec_diagnostic", "event_params": {"reason": "mismatched_response", "connection_id": 5, "request_id": 2}}
{"at": 6, "event_type": "review_spec_diagnostic", "event_params": {"reason": "missing_connection", "connection_id": 5, "thread_id": "t1", "turn_id": "u1", "item_id": "i2", "review_id": "user:2", "dropped_event": "codex_review_event"}}
{"at": 6, "event_type": "review_spec_diagnostic", "event_params": {"reason": "malformed_response", "connection_id": 6, "request_id": 2}}
{"at": 7, "event_type": "review_spec_diagnostic", "event_params": {"reason": "orphan_response", "connection_id": 6, "request_id": 2}}
"#,
    );
}

#[test]
fn copies_are_absorbed_conflicts_keep_the_first_and_negative_timestamps_are_rejected() {
    // LIFE-2, LIFE-3, TIME-2, ITEM-5, ITEM-6.
    check(
        r#"
{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1, "network_approval_context": {"host": "example.com", "protocol": "https"}}
{"type": "command_execution_request", "connection_id": 2, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1, "network_approval_context": {"host": "other.com", "protocol": "http"}}
{"type": "command_execution_request", "connection_id": 2, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1}
{"type": "command_execution_request", "connection_id": 2, "request_id": 2, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": -1}
{"type": "guardian_review_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g1", "action": {"type": "command", "command": "ls"}, "status": "approved", "started_at_ms": 1, "completed_at_ms": -2}
{"type": "item_started", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "command_execution", "started_at_ms": 1}
{"type": "item_started", "connection_id": 2, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "command_execution", "started_at_ms": 2}
{"type": "item_completed", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "kind": "command_execution", "status": "in_progress", "completed_at_ms": 3}
{"type": "turn_completed", "thread_id": "t1", "turn_id": "u1", "completed_at_ms": -4}
"#,
        r#"
{"at": 1, "event_type": "review_spec_diagnostic", "event_params": {"reason": "duplicate_request", "connection_id": 2, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1"}}
{"at": 2, "event_type": "review_spec_diagnostic", "event_params": {"reason": "conflicting_request", "connection_id": 2, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1"}}
{"at": 3, "event_type": "review_spec_diagnostic", "event_params": {"reason": "negative_timestamp", "connection_id": 2, "request_id": 2, "thread_id": "t1", "turn_id": "u1", "item_id": "i1"}}
{"at": 4, "event_type": "review_spec_diagnostic", "event_params": {"reason": "negative_timestamp", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "review_id": "g1"}}
{"at": 6, "event_type": "review_spec_diagnostic", "event_params": {"reason": "duplicate_item_start", "connection_id": 2, "thread_id": "t1", "turn_id": "u1", "item_id": "i1"}}
{"at": 7, "event_type": "review_spec_diagnostic", "event_params": {"reason": "item_not_terminal", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1"}}
{"at": 8, "event_type": "review_spec_diagnostic", "event_params": {"reason": "negative_timestamp", "thread_id": "t1", "turn_id": "u1"}}
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

/// A stream no real server sends: every fact opens new state that nothing ever closes.
fn hostile_fact(i: u64) -> Fact {
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

#[test]
fn hostile_stream_stays_within_six_tables_of_entries() {
    let entries_max = 64;
    let mut reducer = Reducer::new(Limits {
        table_entries_max: entries_max,
    });
    let mut outputs = Vec::new();
    let mut evictions = 0usize;
    for i in 0..200_000u64 {
        outputs.clear();
        reducer.ingest(&hostile_fact(i), &mut outputs);
        evictions += outputs.len();
        assert!(reducer.live_entries() <= 6 * entries_max, "fact {i}");
        assert!(reducer.state.indexed_turns() <= 4 * entries_max, "fact {i}");
    }
    for table in [
        Table::Connections,
        Table::Threads,
        Table::PendingRequests,
        Table::GuardianCompletions,
        Table::ItemStarts,
        Table::ItemSummaries,
    ] {
        assert_eq!(reducer.table_len(table), entries_max, "{table:?}");
    }
    assert!(evictions > 0);
}

/// A tiny deterministic generator (xorshift64*), so stress runs replay without a seed knob.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick(&mut self, names: &[&str]) -> String {
        let index = usize::try_from(self.below(names.len() as u64)).unwrap_or(0);
        names.get(index).copied().unwrap_or_default().to_owned()
    }
}

/// A fact from small id pools, so that requests, responses, items and turns collide often.
fn colliding_fact(rng: &mut Rng) -> Fact {
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

/// Runs colliding streams through `reducer`, relying on its debug assertions, and checks that
/// only state-changing facts are silent (FATE-1) and, if `bounded`, that the bounds hold (CAP-1;
/// a profile that follows upstream on CAP-1 has none).
fn stress<H: super::Hooks>(mut make: impl FnMut(Limits) -> Reducer<H>, bounded: bool) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..300 {
        let entries_max = usize::try_from(1 + rng.below(4)).unwrap_or(1);
        let mut reducer = make(Limits {
            table_entries_max: entries_max,
        });
        let mut outputs = Vec::new();
        for _ in 0..60 {
            let fact = colliding_fact(&mut rng);
            outputs.clear();
            reducer.ingest(&fact, &mut outputs);
            // FATE-1: only facts that change state (or end a turn with none) may be silent.
            if outputs.is_empty() {
                assert!(
                    matches!(
                        fact,
                        Fact::TurnCompleted { .. }
                            | Fact::Initialize { .. }
                            | Fact::ThreadBound { .. }
                            | Fact::SubagentThreadStarted { .. }
                            | Fact::ItemStarted { .. }
                            | Fact::FileChangeRequest { .. }
                            | Fact::PermissionsRequest { .. }
                            | Fact::CommandExecutionRequest { .. }
                    ),
                    "silent fact {fact:?}"
                );
            }
            if bounded {
                assert!(reducer.live_entries() <= 6 * entries_max);
                assert!(reducer.state.indexed_turns() <= 4 * entries_max);
            }
        }
    }
}

#[test]
fn colliding_streams_keep_every_invariant() {
    stress(Reducer::new, true);
}

#[cfg(feature = "seeded-defects")]
#[test]
fn colliding_streams_keep_every_invariant_with_each_defect() {
    // BoundIgnored breaks the bound and SilentOrphan breaks FATE-1 on purpose (the stress run
    // catches both); every other defect must keep the invariants it checks.
    for defect in super::Defect::ALL {
        if matches!(
            defect,
            super::Defect::BoundIgnored | super::Defect::SilentOrphan
        ) {
            continue;
        }
        let bounded = !defect
            .profile()
            .follows_upstream(crate::profile::Departure::Cap1);
        stress(|limits| Reducer::with_defect(limits, defect), bounded);
    }
}

/// TURN-1 index: in a turn that never ends, requests opened and answered by the thousand leave
/// stale handles in the turn's list; compaction keeps the list within twice the live entries.
#[test]
fn a_long_turn_with_churn_keeps_its_index_small() {
    let mut reducer = Reducer::new(Limits::default());
    let mut outputs = Vec::new();
    let mut handles_max = 0;
    for request_id in 0..20_000u64 {
        let request = Fact::CommandExecutionRequest {
            connection_id: 1,
            request_id,
            thread_id: "t1".into(),
            turn_id: "u1".into(),
            item_id: format!("i{request_id}").into(),
            started_at_ms: 1,
            approval_id: None,
            network_approval_context: None,
            proposed_network_policy_amendments: None,
            additional_permissions: None,
        };
        reducer.ingest(&request, &mut outputs);
        // Answer requests ten behind (not the newest handle), keeping every seventh open, so
        // stale handles pile up in the middle of the turn's list.
        if let Some(answered) = request_id.checked_sub(10).filter(|id| id % 7 != 0) {
            let abort = Fact::RequestAborted {
                connection_id: 1,
                request_id: answered,
                completed_at_ms: 2,
            };
            reducer.ingest(&abort, &mut outputs);
        }
        outputs.clear();
        handles_max = handles_max.max(reducer.state.indexed_handles());
        let live = reducer.live_entries();
        assert!(
            reducer.state.indexed_handles() <= 2 * live + crate::table::STALE_HANDLES_SLACK + 1,
            "{} index handles for {live} live entries",
            reducer.state.indexed_handles()
        );
    }
    assert!(handles_max > 0);
}

/// CAP-1: `live_entries` is exactly the sum of the six tables' sizes, as state grows and shrinks
/// (colliding facts open and close requests, items and turns).
#[test]
fn live_entries_is_the_sum_of_the_tables() {
    let tables = [
        Table::Connections,
        Table::Threads,
        Table::PendingRequests,
        Table::GuardianCompletions,
        Table::ItemStarts,
        Table::ItemSummaries,
    ];
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut reducer = Reducer::new(Limits::default());
    let mut outputs = Vec::new();
    let (mut grew, mut shrank, mut last) = (false, false, 0);
    for _ in 0..5_000 {
        reducer.ingest(&colliding_fact(&mut rng), &mut outputs);
        let sum: usize = tables.iter().map(|&table| reducer.table_len(table)).sum();
        assert_eq!(reducer.live_entries(), sum);
        (grew, shrank) = (grew || sum > last, shrank || sum < last);
        last = sum;
    }
    assert!(
        grew && shrank,
        "the stream never grew and shrank the tables"
    );
}
