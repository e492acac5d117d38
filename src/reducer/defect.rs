//! Seeded defects: deliberately broken variants of the production reducer, to prove that the
//! harness catches each kind of mistake (compiled only with the `seeded-defects` feature).
//!
//! Each defect is one realistic bug, injected where the real code would make it, as an
//! `if self.has_defect(Defect::X)` branch under `#[cfg(feature = "seeded-defects")]`; the default
//! build carries no trace of them. This module only names the defects and switches them on; the
//! branches live beside the code they break. It is not a test: `tests/` and the unit tests below
//! check that each defect shows in the outputs.

use crate::event::Limits;
use crate::profile::Profile;

use super::Reducer;

/// One seeded bug. Each variant names the rule it breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Defect {
    /// GRANT-1: an empty effective grant is counted as an approval (resolved by scope).
    EmptyGrantApproved,
    /// DEDUP-1: guardian completions are not deduplicated; every copy is emitted and counted.
    DuplicateGuardianCounted,
    /// SUBJ-1: a command request with a network approval context is classified as a command
    /// execution.
    NetworkAsCommand,
    /// ISO-1: item summaries are keyed without the thread, so equal item ids of two threads
    /// share one summary.
    SummaryKeyWithoutThread,
    /// GRANT-2: a non-empty session grant is reported with resolution `none`.
    ScopeIgnored,
    /// LIFE-4: a response or malformed response leaves the review pending, so a second closing
    /// fact re-emits it instead of being an orphan.
    LastTerminalWins,
    /// SUM-3: the final approval outcome is the first denormalized review's, not the latest's.
    FinalOutcomeFromFirst,
    /// TIME-1: the duration is a wrapping subtraction, never null.
    DurationUnderflow,
    /// SUM-1: permission reviews are denormalized onto their tool item.
    PermissionsDenormalized,
    /// ISO-1: item summaries are keyed without the turn, so equal item ids of two turns share
    /// one summary.
    SummaryKeyWithoutTurn,
    /// GUARD-4: an `in_progress` guardian completion is emitted as an aborted review.
    GuardianInProgressEmitted,
    /// LIFE-4: an abort leaves the review pending, so a response after it emits a second review.
    ResponseAfterAbortCounted,
    /// LIFE-3: a conflicting request replaces the pending review instead of keeping the first.
    ConflictReplaces,
    /// DEC-4: a malformed response only yields its diagnostic and leaves the review pending.
    MalformedLeavesPending,
    /// ITEM-5: an `in_progress` item completion discards the item's summary.
    InProgressDiscardsSummary,
    /// CAP-1: an eviction is silent (no `evicted` diagnostic).
    SilentEviction,
    /// ITEM-6: a duplicate item start overwrites the first start's timestamp.
    DuplicateStartOverwrites,
    /// SUBJ-2: the network check comes before the approval id, so an intercepted execve that
    /// asks for network access gets trigger `network_policy_denial`.
    NetworkTriggerBeforeExecve,
    /// CAP-1: the state tables are built without the configured bound, so a hostile stream
    /// grows memory without limit.
    BoundIgnored,
    /// LIFE-4: a closing fact for a request that is not pending is dropped silently, as upstream
    /// does, instead of yielding `orphan_response`.
    SilentOrphan,
    /// UP-TURN-1: the turn's end releases its state even where the profile follows upstream,
    /// which releases nothing (the switch is ignored).
    UpstreamTurnReleases,
    /// UP-LIFE-3: a conflicting request keeps the first pending review even where the profile
    /// follows upstream, which replaces it (the switch is ignored).
    UpstreamConflictKept,
}

impl Defect {
    /// Every seeded defect, in declaration order.
    pub const ALL: [Defect; 22] = [
        Defect::EmptyGrantApproved,
        Defect::DuplicateGuardianCounted,
        Defect::NetworkAsCommand,
        Defect::SummaryKeyWithoutThread,
        Defect::ScopeIgnored,
        Defect::LastTerminalWins,
        Defect::FinalOutcomeFromFirst,
        Defect::DurationUnderflow,
        Defect::PermissionsDenormalized,
        Defect::SummaryKeyWithoutTurn,
        Defect::GuardianInProgressEmitted,
        Defect::ResponseAfterAbortCounted,
        Defect::ConflictReplaces,
        Defect::MalformedLeavesPending,
        Defect::InProgressDiscardsSummary,
        Defect::SilentEviction,
        Defect::DuplicateStartOverwrites,
        Defect::NetworkTriggerBeforeExecve,
        Defect::BoundIgnored,
        Defect::SilentOrphan,
        Defect::UpstreamTurnReleases,
        Defect::UpstreamConflictKept,
    ];

    /// The defect's name in snake case, for reports and replay commands.
    pub fn name(self) -> &'static str {
        match self {
            Defect::EmptyGrantApproved => "empty_grant_approved",
            Defect::DuplicateGuardianCounted => "duplicate_guardian_counted",
            Defect::NetworkAsCommand => "network_as_command",
            Defect::SummaryKeyWithoutThread => "summary_key_without_thread",
            Defect::ScopeIgnored => "scope_ignored",
            Defect::LastTerminalWins => "last_terminal_wins",
            Defect::FinalOutcomeFromFirst => "final_outcome_from_first",
            Defect::DurationUnderflow => "duration_underflow",
            Defect::PermissionsDenormalized => "permissions_denormalized",
            Defect::SummaryKeyWithoutTurn => "summary_key_without_turn",
            Defect::GuardianInProgressEmitted => "guardian_in_progress_emitted",
            Defect::ResponseAfterAbortCounted => "response_after_abort_counted",
            Defect::ConflictReplaces => "conflict_replaces",
            Defect::MalformedLeavesPending => "malformed_leaves_pending",
            Defect::InProgressDiscardsSummary => "in_progress_discards_summary",
            Defect::SilentEviction => "silent_eviction",
            Defect::DuplicateStartOverwrites => "duplicate_start_overwrites",
            Defect::NetworkTriggerBeforeExecve => "network_trigger_before_execve",
            Defect::BoundIgnored => "bound_ignored",
            Defect::SilentOrphan => "silent_orphan",
            Defect::UpstreamTurnReleases => "upstream_turn_releases",
            Defect::UpstreamConflictKept => "upstream_conflict_kept",
        }
    }

    /// The ID of the rule (`spec/rules.md`) the defect breaks.
    pub fn rule(self) -> &'static str {
        match self {
            Defect::EmptyGrantApproved => "GRANT-1",
            Defect::DuplicateGuardianCounted => "DEDUP-1",
            Defect::NetworkAsCommand => "SUBJ-1",
            Defect::SummaryKeyWithoutThread | Defect::SummaryKeyWithoutTurn => "ISO-1",
            Defect::ScopeIgnored => "GRANT-2",
            Defect::LastTerminalWins | Defect::ResponseAfterAbortCounted | Defect::SilentOrphan => {
                "LIFE-4"
            }
            Defect::FinalOutcomeFromFirst => "SUM-3",
            Defect::DurationUnderflow => "TIME-1",
            Defect::PermissionsDenormalized => "SUM-1",
            Defect::GuardianInProgressEmitted => "GUARD-4",
            Defect::ConflictReplaces => "LIFE-3",
            Defect::MalformedLeavesPending => "DEC-4",
            Defect::InProgressDiscardsSummary => "ITEM-5",
            Defect::SilentEviction | Defect::BoundIgnored => "CAP-1",
            Defect::DuplicateStartOverwrites => "ITEM-6",
            Defect::NetworkTriggerBeforeExecve => "SUBJ-2",
            Defect::UpstreamTurnReleases => "UP-TURN-1",
            Defect::UpstreamConflictKept => "UP-LIFE-3",
        }
    }

    /// The profile under which the defect shows: `upstream` for a defect in a departure's
    /// switch, `spec` for every other.
    pub fn profile(self) -> Profile {
        match self {
            Defect::UpstreamTurnReleases | Defect::UpstreamConflictKept => Profile::UPSTREAM,
            _ => Profile::SPEC,
        }
    }
}

impl Reducer {
    /// A reducer with one seeded defect switched on, under the profile where the defect shows
    /// ([`Defect::profile`]); the defect survives [`crate::subject::Subject::reset`].
    pub fn with_defect(limits: Limits, defect: Defect) -> Reducer {
        let mut reducer = Reducer::with_profile(limits, defect.profile());
        reducer.defect = Some(defect);
        reducer.state = super::state::State::new(reducer.defective_limits(limits));
        reducer
    }

    /// The limits the state is built with: the configured ones, but for `BoundIgnored`.
    pub(crate) fn defective_limits(&self, limits: Limits) -> Limits {
        if self.has_defect(Defect::BoundIgnored) {
            Limits {
                table_entries_max: usize::MAX,
            }
        } else {
            limits
        }
    }

    /// The seeded defect this reducer carries, if any.
    pub fn defect(&self) -> Option<Defect> {
        self.defect
    }

    /// Whether this reducer carries `defect`.
    pub(crate) fn has_defect(&self, defect: Defect) -> bool {
        self.defect == Some(defect)
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_ne;

    use super::*;
    use crate::event::Emitted;
    use crate::fact::Fact;
    use crate::subject::Subject;
    use crate::trace::parse_trace;

    /// Connection 1 initialized, thread t1 bound to it, so review events carry their fields.
    const CONTEXT: &str = r#"
{"type": "initialize", "connection_id": 1, "app_server_client": {}, "runtime": {}}
{"type": "thread_bound", "connection_id": 1, "thread_id": "t1", "binding": "started"}
"#;

    /// A short trace on which each defect's outputs differ from the correct reducer's.
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
            Defect::UpstreamConflictKept => format!(
                r#"{CONTEXT}
{{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1}}
{{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i2", "started_at_ms": 1}}
{{"type": "request_aborted", "connection_id": 1, "request_id": 1, "completed_at_ms": 3}}"#
            ),
        };
        (limits, trace)
    }

    fn facts(trace: &str) -> Vec<Fact> {
        match parse_trace(&format!("{{\"review_spec_trace\": 1}}\n{trace}")) {
            Ok(trace) => trace.facts,
            Err(error) => panic!("bad test trace: {error}"),
        }
    }

    fn reduce(mut reducer: Reducer, facts: &[Fact]) -> Vec<Emitted> {
        reducer.ingest_all(facts)
    }

    #[test]
    fn every_defect_is_observable_on_a_short_trace() {
        for defect in Defect::ALL {
            let (limits, trace) = exposing_trace(defect);
            let facts = facts(&trace);
            assert!(facts.len() <= 6, "{}: trace too long", defect.name());
            let correct = reduce(Reducer::with_profile(limits, defect.profile()), &facts);
            let broken = reduce(Reducer::with_defect(limits, defect), &facts);
            assert_ne!(correct, broken, "{} is not observable", defect.name());
        }
    }

    #[test]
    fn defect_names_are_unique_and_rules_exist_in_the_spec() {
        let rules = include_str!("../../spec/rules.md");
        let mut names: Vec<&str> = Defect::ALL.iter().map(|d| d.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Defect::ALL.len());
        for defect in Defect::ALL {
            let heading = format!("### {} ", defect.rule());
            assert!(rules.contains(&heading), "{}: no {heading}", defect.name());
        }
    }

    #[test]
    fn a_defect_survives_reset() {
        let mut reducer = Reducer::with_defect(Limits::default(), Defect::ScopeIgnored);
        assert!(
            reducer
                .reset(Limits::default(), &crate::profile::Profile::SPEC)
                .is_ok()
        );
        assert_eq!(reducer.defect(), Some(Defect::ScopeIgnored));
    }
}
