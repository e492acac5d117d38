//! The documents of the two formats: a trace's header and a loaded trace, a vector file and its
//! cases with what each expects, the format versions, and the one check of limits they share.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::event::{Emitted, Limits};
use crate::fact::Fact;
use crate::profile::{Base, Profile};

/// The trace format version this crate writes. Version 3 added the `subagent_thread_started` fact
/// and `thread_bound`'s `originator`; version 2 added the header's `profile`. Version 1 traces
/// (no profile: the `spec` profile) and version 2 traces are still read.
pub const TRACE_FORMAT_VERSION: u32 = 3;

/// The vector file format version this crate writes. Version 2 added `review_spec_vectors`, each
/// case's `upstream` expectation and a saved counterexample's `profile`; files without the key
/// are version 1 and still read. Version 3 added a case's `history`: traces a subject runs first,
/// in the same process, for a failure that depends on what the process saw before. Version 4 added
/// the facts of trace version 3 (`subagent_thread_started`, `thread_bound`'s `originator`).
pub const VECTOR_FORMAT_VERSION: u32 = 4;

/// The first line of a trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TraceHeader {
    /// The format version: 1, 2 or 3.
    pub review_spec_trace: u32,
    /// State bounds for the reduction (CAP-1); defaults when absent.
    #[serde(default)]
    pub limits: Limits,
    /// What the reduction follows where the spec departs from upstream; `spec` when absent.
    #[serde(default, skip_serializing_if = "is_spec_profile")]
    pub profile: Profile,
}

fn is_spec_profile(profile: &Profile) -> bool {
    *profile == Profile::SPEC
}

/// A loaded trace: limits, profile and facts in order.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Trace {
    /// State bounds for the reduction (CAP-1), from the header.
    pub limits: Limits,
    /// What the reduction follows where the spec departs from upstream, from the header.
    pub profile: Profile,
    /// The facts, in order; fact `i` is the trace's `i`th fact line (blank lines aside).
    pub facts: Vec<Fact>,
}

/// A conformance vector file: a list of cases.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VectorFile {
    /// The format version: 2 (absent in version 1 files).
    #[serde(default = "vector_format_v1")]
    pub review_spec_vectors: u32,
    /// The cases, each run on its own from empty state.
    pub cases: Vec<VectorCase>,
}

fn vector_format_v1() -> u32 {
    1
}

impl VectorFile {
    /// A file of the current format version.
    pub fn new(cases: Vec<VectorCase>) -> VectorFile {
        VectorFile {
            review_spec_vectors: VECTOR_FORMAT_VERSION,
            cases,
        }
    }
}

/// What a case expects under the `upstream` profile, when that differs from `expected`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum UpstreamExpectation {
    /// The outputs under the `upstream` profile.
    Expected(Vec<Emitted>),
    /// The case's facts include one upstream cannot express; the reason says which and why.
    NotApplicable(String),
}

/// What a case expects under a profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expectation<'c> {
    /// These outputs, from the file.
    Outputs(&'c [Emitted]),
    /// The case does not apply, for this reason.
    NotApplicable(&'c str),
    /// The file pins only the two base profiles: a profile with departures switched takes its
    /// expectation from the model (which the base expectations pin).
    FromModel,
}

/// One conformance case: facts in, expected outputs out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VectorCase {
    /// Unique within its file; `family/file/name` is the case's full name.
    pub name: String,
    /// One sentence: the behaviour the case pins down.
    pub description: String,
    /// The rule IDs of `spec/rules.md` this case exercises.
    pub rules: Vec<String>,
    /// State bounds (CAP-1); defaults when absent.
    #[serde(default, skip_serializing_if = "is_default_limits")]
    pub limits: Limits,
    /// The facts, in order.
    pub facts: Vec<Fact>,
    /// Every output under the `spec` profile, in order, each with the index of the fact that
    /// produced it.
    pub expected: Vec<Emitted>,
    /// Under the `upstream` profile: other outputs, or why the case does not apply; absent when
    /// the outputs are those of `expected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<UpstreamExpectation>,
    /// The profile a saved counterexample was found under, when it was not `spec`; `replay`
    /// uses it unless told otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// Where this case came from (a bug, a fuzz finding, a postmortem sentence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub see: Option<String>,
    /// Traces a subject runs first, in one fresh process and in order, each after a reset; only
    /// the case's own facts are compared. A saved counterexample of a history-dependent failure
    /// has one (format 3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryTrace>,
}

/// A trace run before a vector case, to put a subject process in the state where it fails.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryTrace {
    /// The trace's state bounds (CAP-1); defaults when absent.
    #[serde(default, skip_serializing_if = "is_default_limits")]
    pub limits: Limits,
    /// The facts fed to the subject; its outputs are not compared.
    pub facts: Vec<Fact>,
}

pub(super) fn is_default_limits(limits: &Limits) -> bool {
    *limits == Limits::default()
}

impl VectorCase {
    /// What the case expects under `profile`.
    pub fn expectation(&self, profile: &Profile) -> Expectation<'_> {
        if !profile.is_base() {
            return Expectation::FromModel;
        }
        match (profile.base, &self.upstream) {
            (Base::Spec, _) | (Base::Upstream, None) => Expectation::Outputs(&self.expected),
            (Base::Upstream, Some(UpstreamExpectation::Expected(outputs))) => {
                Expectation::Outputs(outputs)
            }
            (Base::Upstream, Some(UpstreamExpectation::NotApplicable(why))) => {
                Expectation::NotApplicable(why)
            }
        }
    }
}

/// Why `limits` are not valid state bounds (CAP-1: `table_entries_max` at least 1), if they are
/// not: the one check of limits wherever a format carries them (a trace's header, a vector case,
/// a case's history traces), so no subject is ever started with limits the protocol forbids.
pub fn limits_problem(limits: &Limits) -> Option<String> {
    (limits.table_entries_max == 0)
        .then(|| "invalid limits: table_entries_max must be at least 1".to_owned())
}
