//! Examples from `spec/rules.md` of when state opens, closes, is released or is evicted: turn
//! ends (TURN-1), full tables (CAP-1), the first terminal fact of a request (LIFE-2..5, DEC-3,
//! DEC-4), copies and conflicts, and negative timestamps (TIME-2).

use crate::event::Limits;

use super::support::{check, check_with};

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
