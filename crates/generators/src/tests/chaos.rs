//! Chaos operations on small hand-written streams: where each lands, and that one without a
//! candidate changes nothing.

use crate::chaos::{ChaosOp, Conflict, apply_chaos};
use crate::episode::{CLOCK_START_MS, Closing};
use crate::fact::{CommandDecision, Fact, GuardianAction};
use crate::render::{closing_fact, request_id};

fn command_request(connection_id: u64, request_id: u64, started_at_ms: i64) -> Fact {
    Fact::CommandExecutionRequest {
        connection_id,
        request_id,
        thread_id: "t1".into(),
        turn_id: "u1".into(),
        item_id: "i1".into(),
        started_at_ms,
        approval_id: None,
        network_approval_context: None,
        proposed_network_policy_amendments: None,
        additional_permissions: None,
    }
}

fn accept(connection_id: u64, request_id: u64, completed_at_ms: i64) -> Fact {
    closing_fact(
        connection_id,
        request_id,
        &Closing::Command(CommandDecision::Accept),
        completed_at_ms,
    )
}

fn item_started(started_at_ms: i64) -> Fact {
    Fact::ItemStarted {
        connection_id: 1,
        thread_id: "t1".into(),
        turn_id: "u1".into(),
        item_id: "i1".into(),
        kind: crate::fact::ItemKind::CommandExecution,
        started_at_ms,
    }
}

fn item_completed(completed_at_ms: i64) -> Fact {
    Fact::ItemCompleted {
        connection_id: 1,
        thread_id: "t1".into(),
        turn_id: "u1".into(),
        item_id: "i1".into(),
        kind: crate::fact::ItemKind::CommandExecution,
        status: crate::fact::ItemStatus::Completed,
        completed_at_ms,
    }
}

/// `[start i1, req#1 on c1, req#1 on c2, accept req#1, complete i1]`
fn small_stream() -> Vec<Fact> {
    vec![
        item_started(1_000),
        command_request(1, 1, 1_010),
        command_request(2, 1, 1_010),
        accept(2, 1, 1_020),
        item_completed(1_030),
    ]
}

#[test]
fn late_request_copy_follows_the_closing_fact() {
    let damaged = apply_chaos(
        small_stream(),
        &[ChaosOp::LateRequestCopy {
            pick: 0,
            connection: 3,
        }],
    );
    assert_eq!(damaged[4], command_request(3, 1, 1_010));
}

#[test]
fn conflicting_request_reuses_the_id_after_the_copies() {
    let damaged = apply_chaos(
        small_stream(),
        &[ChaosOp::ConflictingRequest {
            pick: 0,
            conflict: Conflict::OtherItem,
        }],
    );
    let Fact::CommandExecutionRequest {
        request_id,
        item_id,
        ..
    } = &damaged[3]
    else {
        panic!("expected a command request at 3: {damaged:#?}");
    };
    assert_eq!((*request_id, &**item_id), (1, "i2"));
    let other_kind = apply_chaos(
        small_stream(),
        &[ChaosOp::ConflictingRequest {
            pick: 0,
            conflict: Conflict::OtherKind,
        }],
    );
    assert_eq!(other_kind[3].type_name(), "file_change_request");
    assert_eq!(request_id_of(&other_kind[3]), Some(1));
}

fn request_id_of(fact: &Fact) -> Option<u64> {
    request_id(fact)
}

#[test]
fn wrong_kind_response_cannot_close_the_request() {
    for other in [false, true] {
        let damaged = apply_chaos(
            small_stream(),
            &[ChaosOp::WrongKindResponse { pick: 0, other }],
        );
        let kind = damaged[3].type_name();
        assert!(
            kind == "file_change_response" || kind == "effective_permissions_response",
            "{kind}"
        );
        assert_eq!(request_id_of(&damaged[3]), Some(1));
    }
}

#[test]
fn completion_before_start_moves_the_completion() {
    let damaged = apply_chaos(
        small_stream(),
        &[ChaosOp::CompletionBeforeStart { pick: 0 }],
    );
    // Candidates in stream order: accept req#1 (pick 0), then item_completed i1.
    assert_eq!(damaged[1], accept(2, 1, 1_020));
    assert_eq!(damaged[2], command_request(1, 1, 1_010));
    let damaged = apply_chaos(
        small_stream(),
        &[ChaosOp::CompletionBeforeStart { pick: 1 }],
    );
    assert_eq!(damaged[0], item_completed(1_030));
    assert_eq!(damaged[1], item_started(1_000));
}

#[test]
fn chaos_without_candidates_changes_nothing() {
    let facts = vec![Fact::TurnCompleted {
        thread_id: "t1".into(),
        turn_id: "u1".into(),
        completed_at_ms: CLOCK_START_MS,
    }];
    let ops = [
        ChaosOp::DropItemStart { pick: 3 },
        ChaosOp::CompletionBeforeStart { pick: 3 },
        ChaosOp::LateRequestCopy {
            pick: 3,
            connection: 1,
        },
        ChaosOp::ConflictingRequest {
            pick: 3,
            conflict: Conflict::LaterStart,
        },
        ChaosOp::WrongKindResponse {
            pick: 3,
            other: true,
        },
        ChaosOp::Swap { at: 0, distance: 0 },
        ChaosOp::GuardianLateCopy {
            pick: 3,
            distance: 2,
            connection: 1,
        },
        ChaosOp::GuardianOtherTurn {
            pick: 3,
            distance: 2,
            connection: 1,
        },
        ChaosOp::GuardianAfterTurnEnd {
            pick: 3,
            connection: 1,
        },
    ];
    assert_eq!(apply_chaos(facts.clone(), &ops), facts);
    assert_eq!(apply_chaos(Vec::new(), &ops), Vec::new());
    let orphan = apply_chaos(
        Vec::new(),
        &[ChaosOp::OrphanResponse {
            at: 9,
            connection: 1,
            request_id: 901,
            closing: Closing::Aborted,
        }],
    );
    assert_eq!(
        orphan,
        vec![closing_fact(1, 901, &Closing::Aborted, CLOCK_START_MS)]
    );
}

fn guardian(connection_id: u64, turn_id: &str) -> Fact {
    Fact::GuardianReviewCompleted {
        connection_id,
        thread_id: "t1".into(),
        turn_id: turn_id.into(),
        review_id: "g1".into(),
        target_item_id: Some("i1".into()),
        action: GuardianAction::Command {
            command: "ls".to_owned(),
        },
        status: crate::fact::GuardianStatus::Approved,
        started_at_ms: 1_010,
        completed_at_ms: 1_020,
    }
}

fn turn_completed(completed_at_ms: i64) -> Fact {
    Fact::TurnCompleted {
        thread_id: "t1".into(),
        turn_id: "u1".into(),
        completed_at_ms,
    }
}

/// `[start i1, guardian g1 on c1, complete i1, turn u1 ends]`
fn guardian_stream() -> Vec<Fact> {
    vec![
        item_started(1_000),
        guardian(1, "u1"),
        item_completed(1_030),
        turn_completed(1_040),
    ]
}

#[test]
fn guardian_redeliveries_land_later_under_another_turn_or_after_the_turn_end() {
    let late = apply_chaos(
        guardian_stream(),
        &[ChaosOp::GuardianLateCopy {
            pick: 0,
            distance: 1,
            connection: 5,
        }],
    );
    assert_eq!(late[3], guardian(5, "u1"));
    let clamped = apply_chaos(
        guardian_stream(),
        &[ChaosOp::GuardianLateCopy {
            pick: 0,
            distance: 200,
            connection: 2,
        }],
    );
    assert_eq!(clamped.last(), Some(&guardian(2, "u1")));
    let other_turn = apply_chaos(
        guardian_stream(),
        &[ChaosOp::GuardianOtherTurn {
            pick: 0,
            distance: 0,
            connection: 1,
        }],
    );
    assert_eq!(other_turn[2], guardian(1, "u2"));
    let after_end = apply_chaos(
        guardian_stream(),
        &[ChaosOp::GuardianAfterTurnEnd {
            pick: 0,
            connection: 3,
        }],
    );
    assert_eq!(after_end[3], turn_completed(1_040));
    assert_eq!(after_end[4], guardian(3, "u1"));
    // Without a later end of its turn, a completion is no candidate.
    let unended = vec![turn_completed(1_000), guardian(1, "u1")];
    let ops = [ChaosOp::GuardianAfterTurnEnd {
        pick: 0,
        connection: 1,
    }];
    assert_eq!(apply_chaos(unended.clone(), &ops), unended);
}
