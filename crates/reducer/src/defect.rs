//! Seeded defects: deliberately broken variants of the production reducer, to prove that the
//! harness catches each kind of mistake.
//!
//! Each defect is one realistic bug, injected where the real code would make it, as an
//! `if self.hooks.breaks(Defect::X)` branch beside the code it breaks (see `hooks`). The branches
//! compile in every build, so they are type-checked and kept in step with the code around them,
//! but the production reducer, `Reducer<NoDefects>`, answers `false` to every one of them and the
//! optimizer removes them. This module names the defects (the enum, always compiled, because
//! the branches name its variants) and, with the `seeded-defects` feature only, holds the
//! catalogue: each defect's name, rule and profile, the `Seeded` hooks that switch one on, and
//! `Reducer::with_defect`. It is not a test: `tests/` and the unit tests below check that each
//! defect shows in the outputs.

#[cfg(feature = "seeded-defects")]
use crate::event::Limits;
#[cfg(feature = "seeded-defects")]
use crate::profile::Profile;

#[cfg(feature = "seeded-defects")]
use super::Reducer;
#[cfg(feature = "seeded-defects")]
use super::hooks::{Hooks, sealed};

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
    /// ISO-2: pending reviews are keyed by the request id read through an f64 (as a JSON layer
    /// that parses numbers as doubles would), so two ids past 2^53 can name one review.
    RequestIdThroughF64,
    /// ID-1: the review id's digit buffer holds 19 digits (enough for `i64::MAX`), so a request
    /// id of twenty digits loses its leading one.
    ReviewIdOfNineteenDigits,
    /// DEDUP-1: a guardian completion is deduplicated within its turn only: delivered again
    /// under another turn of the thread, it is counted again.
    GuardianDedupPerTurn,
    /// DEDUP-2: a guardian completion delivered again under another turn is re-filed as
    /// thread-wide: no turn's end releases its dedup memory, so a copy delivered after its own
    /// turn ended is still taken for a duplicate.
    GuardianMemoryOutlivesTurn,
    /// CTX-1: connection metadata is kept in four slots by connection id (which connections
    /// initialized is tracked apart), so a fifth connection's `initialize` overwrites the
    /// first's metadata.
    FourConnectionSlots,
    /// ITEM-1: a turn keeps at most four item starts (a fixed inline array: most turns run one
    /// to three tools); while four items of a turn are running, a fifth one's start is lost.
    FourItemStartsPerTurn,
    /// CAP-1: a bound above 64 entries is taken in blocks of 64: the tables hold
    /// `ceil(bound / 64)` entries.
    BoundInBlocks,
    /// TIME-3: a request's start is kept as an f64 (it also feeds a latency histogram), so a
    /// start past 2^53 is rounded; `i64::MAX` survives, casts saturating back to it.
    RequestStartThroughF64,
    /// CTX-4: events carry the connection's `product_client_id`; the thread's originator is
    /// ignored.
    OriginatorIgnored,
    /// CTX-5: a sub-agent thread does not inherit its parent's connection, so its events are
    /// dropped until a binding of its own.
    SubagentWithoutParentConnection,
    /// CTX-4: a binding without an originator clears the thread's originator instead of keeping
    /// it.
    OriginatorClearedByRebinding,
    /// SUM-5: an item's `requested_network_access` is the last denormalized review's, not the
    /// OR over its reviews (an assignment where an `|=` belonged).
    NetworkFlagFromLastReview,
    /// SUM-6: the terminal event reads the item's summary and leaves it in place, so a later
    /// completion of the same item key carries the reviews of the one before.
    SummaryLeftAfterEvent,
}

#[cfg(feature = "seeded-defects")]
impl Defect {
    /// Every seeded defect, in declaration order.
    pub const ALL: [Defect; 35] = [
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
        Defect::RequestIdThroughF64,
        Defect::ReviewIdOfNineteenDigits,
        Defect::GuardianDedupPerTurn,
        Defect::GuardianMemoryOutlivesTurn,
        Defect::FourConnectionSlots,
        Defect::FourItemStartsPerTurn,
        Defect::BoundInBlocks,
        Defect::RequestStartThroughF64,
        Defect::OriginatorIgnored,
        Defect::SubagentWithoutParentConnection,
        Defect::OriginatorClearedByRebinding,
        Defect::NetworkFlagFromLastReview,
        Defect::SummaryLeftAfterEvent,
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
            Defect::RequestIdThroughF64 => "request_id_through_f64",
            Defect::ReviewIdOfNineteenDigits => "review_id_of_nineteen_digits",
            Defect::GuardianDedupPerTurn => "guardian_dedup_per_turn",
            Defect::GuardianMemoryOutlivesTurn => "guardian_memory_outlives_turn",
            Defect::FourConnectionSlots => "four_connection_slots",
            Defect::FourItemStartsPerTurn => "four_item_starts_per_turn",
            Defect::BoundInBlocks => "bound_in_blocks",
            Defect::RequestStartThroughF64 => "request_start_through_f64",
            Defect::OriginatorIgnored => "originator_ignored",
            Defect::SubagentWithoutParentConnection => "subagent_without_parent_connection",
            Defect::OriginatorClearedByRebinding => "originator_cleared_by_rebinding",
            Defect::NetworkFlagFromLastReview => "network_flag_from_last_review",
            Defect::SummaryLeftAfterEvent => "summary_left_after_event",
        }
    }

    /// The ID of the rule (`spec/rules.md`) the defect breaks.
    pub fn rule(self) -> &'static str {
        match self {
            Defect::EmptyGrantApproved => "GRANT-1",
            Defect::DuplicateGuardianCounted | Defect::GuardianDedupPerTurn => "DEDUP-1",
            Defect::GuardianMemoryOutlivesTurn => "DEDUP-2",
            Defect::RequestIdThroughF64 => "ISO-2",
            Defect::ReviewIdOfNineteenDigits => "ID-1",
            Defect::FourConnectionSlots => "CTX-1",
            Defect::OriginatorIgnored | Defect::OriginatorClearedByRebinding => "CTX-4",
            Defect::SubagentWithoutParentConnection => "CTX-5",
            Defect::FourItemStartsPerTurn => "ITEM-1",
            Defect::RequestStartThroughF64 => "TIME-3",
            Defect::NetworkAsCommand => "SUBJ-1",
            Defect::SummaryKeyWithoutThread | Defect::SummaryKeyWithoutTurn => "ISO-1",
            Defect::ScopeIgnored => "GRANT-2",
            Defect::LastTerminalWins | Defect::ResponseAfterAbortCounted | Defect::SilentOrphan => {
                "LIFE-4"
            }
            Defect::FinalOutcomeFromFirst => "SUM-3",
            Defect::NetworkFlagFromLastReview => "SUM-5",
            Defect::SummaryLeftAfterEvent => "SUM-6",
            Defect::DurationUnderflow => "TIME-1",
            Defect::PermissionsDenormalized => "SUM-1",
            Defect::GuardianInProgressEmitted => "GUARD-4",
            Defect::ConflictReplaces => "LIFE-3",
            Defect::MalformedLeavesPending => "DEC-4",
            Defect::InProgressDiscardsSummary => "ITEM-5",
            Defect::SilentEviction | Defect::BoundIgnored | Defect::BoundInBlocks => "CAP-1",
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

/// The hooks of a reducer with one seeded defect switched on (`seeded-defects` builds only).
#[cfg(feature = "seeded-defects")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seeded {
    defect: Defect,
}

#[cfg(feature = "seeded-defects")]
impl Hooks for Seeded {
    #[inline]
    fn breaks(&self, defect: Defect) -> bool {
        self.defect == defect
    }
}

#[cfg(feature = "seeded-defects")]
impl sealed::Sealed for Seeded {}

#[cfg(feature = "seeded-defects")]
impl Reducer<Seeded> {
    /// A reducer with one seeded defect switched on, under the profile where the defect shows
    /// ([`Defect::profile`]); the defect survives [`Reducer::reset`].
    pub fn with_defect(limits: Limits, defect: Defect) -> Reducer<Seeded> {
        Reducer::with_hooks(limits, defect.profile(), Seeded { defect })
    }

    /// The seeded defect this reducer carries.
    pub fn defect(&self) -> Defect {
        self.hooks.defect
    }
}

#[cfg(all(test, feature = "seeded-defects"))]
mod tests {
    use pretty_assertions::assert_ne;

    use super::*;
    use crate::event::Emitted;
    use crate::fact::Fact;
    use crate::trace::parse_trace;

    fn facts(trace: &str) -> Vec<Fact> {
        match parse_trace(&format!("{{\"review_spec_trace\": 1}}\n{trace}")) {
            Ok(trace) => trace.facts,
            Err(error) => panic!("bad test trace: {error}"),
        }
    }

    fn reduce<H: Hooks>(mut reducer: Reducer<H>, facts: &[Fact]) -> Vec<Emitted> {
        reducer.ingest_all(facts)
    }

    #[test]
    fn every_defect_is_observable_on_a_short_trace() {
        for defect in Defect::ALL {
            let (limits, trace) = defect.exposing_trace();
            let facts = facts(&trace);
            // Seven for two reviews of one item and its event, with the context it needs.
            assert!(facts.len() <= 7, "{}: trace too long", defect.name());
            let correct = reduce(Reducer::with_profile(limits, defect.profile()), &facts);
            let broken = reduce(Reducer::with_defect(limits, defect), &facts);
            assert_ne!(correct, broken, "{} is not observable", defect.name());
        }
    }

    #[test]
    fn a_defective_reducer_is_built_as_reset_builds_it() {
        let (limits, trace) = Defect::SilentEviction.exposing_trace();
        let facts = facts(&trace);
        for defect in Defect::ALL {
            let built = reduce(Reducer::with_defect(limits, defect), &facts);
            let mut reset = Reducer::with_defect(Limits::default(), defect);
            reset.reset(limits, defect.profile());
            assert_eq!(built, reduce(reset, &facts), "{}", defect.name());
        }
    }

    #[test]
    fn a_defect_survives_reset() {
        let mut reducer = Reducer::with_defect(Limits::default(), Defect::ScopeIgnored);
        reducer.reset(Limits::default(), crate::profile::Profile::SPEC);
        assert_eq!(reducer.defect(), Defect::ScopeIgnored);
    }
}
