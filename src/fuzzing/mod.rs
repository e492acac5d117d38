//! The bodies of the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs` are one-line calls into these),
//! so that `cargo test` reaches the same code, plus what turns fuzzer bytes into something a
//! person can read: the decoders of each target, the seed corpus and dictionary, and the replay
//! of a crash input into a minimized divergence ([`replay`]).
//!
//! Three targets, each a different view of the input bytes (`fuzz/README.md` says why each):
//! - [`differential`]: bytes → a coherent generated case (`generators::case_from_unstructured`)
//!   → model vs reducer;
//! - [`trace_json`]: bytes → the JSONL trace loader → model vs reducer;
//! - [`facts_arbitrary`]: bytes → raw `Vec<Fact>` and small limits straight from `arbitrary`
//!   (incoherent ids, arbitrary strings, extreme numbers) → model vs reducer.
//!
//! Every target also checks that what it ran survives `write_trace` → `parse_trace`, since that
//! is how a finding is saved. A finding panics with a readable report: that is how libFuzzer
//! learns of it. The subject is the production reducer, or, with the `seeded-defects` feature and
//! `REVIEW_SPEC_DEFECT=<name>`, a deliberately broken one ([`SubjectChoice`]).
//!
//! Not here: how to generate (`generators`), how to compare (`diff`), the libFuzzer glue
//! (`fuzz/`), and file output (the `fuzz_*` examples).

use std::fmt;
use std::sync::OnceLock;

use arbitrary::Unstructured;

use crate::diff::{self, Divergence};
use crate::event::Limits;
use crate::fact::Fact;
use crate::generators::case_from_unstructured;
use crate::profile::{Base, Departure, Profile};
use crate::reducer::Reducer;
use crate::subject::{Subject, SubjectError};
use crate::trace::{Trace, TraceError, parse_trace, parse_trace_bytes, write_trace};

mod corpus;
mod replay;

pub use corpus::{
    CorpusInput, RANDOM_SEEDS_PER_TARGET, pseudo_random_inputs, seed_corpus, trace_json_dictionary,
};
pub use replay::{PanicStage, Replay, replay};

/// The environment variable naming the seeded defect the fuzz targets run instead of the
/// production reducer (needs the `seeded-defects` feature).
pub const DEFECT_VAR: &str = "REVIEW_SPEC_DEFECT";

/// The most facts `facts_arbitrary` reads from one input: bounds the model's quadratic scans.
pub const FACTS_ARBITRARY_MAX: usize = 256;

/// The largest `table_entries_max` `facts_arbitrary` draws: small, so evictions (CAP-1) happen.
pub const FACTS_ARBITRARY_TABLE_ENTRIES_MAX: u8 = 16;

/// `differential`: coherent generated cases, model vs reducer.
pub fn differential(data: &[u8]) {
    run(Target::Differential, data);
}

/// `trace_json`: any bytes either fail to load with a positioned error, or load and reduce in the
/// model and the reducer alike.
pub fn trace_json(data: &[u8]) {
    run(Target::TraceJson, data);
}

/// `facts_arbitrary`: raw arbitrary facts and small limits, model vs reducer.
pub fn facts_arbitrary(data: &[u8]) {
    run(Target::FactsArbitrary, data);
}

/// A fuzz target: how it reads its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// `differential`: generated cases, the model against a subject.
    Differential,
    /// `trace_json`: arbitrary bytes read as a trace.
    TraceJson,
    /// `facts_arbitrary`: facts built from arbitrary bytes, the model against a subject.
    FactsArbitrary,
}

impl Target {
    /// Every target, in the order CI runs them.
    pub const ALL: [Target; 3] = [
        Target::Differential,
        Target::TraceJson,
        Target::FactsArbitrary,
    ];

    /// The target's name, as in `fuzz/fuzz_targets/<name>.rs`.
    pub fn name(self) -> &'static str {
        match self {
            Target::Differential => "differential",
            Target::TraceJson => "trace_json",
            Target::FactsArbitrary => "facts_arbitrary",
        }
    }

    /// The target called `name`, if any.
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|target| target.name() == name)
    }

    /// The target body: decode, check, and panic with the report on a finding.
    pub fn run(self, data: &[u8]) {
        run(self, data);
    }

    /// Decodes the bytes as the target does: `Ok(None)` for an input the target rejects (it
    /// returns at once), `Err` for a finding made while decoding (a malformed error).
    pub fn decode(self, data: &[u8]) -> Result<Option<Trace>, Finding> {
        match self {
            Target::Differential => Ok(decode_generated(data)),
            Target::TraceJson => decode_trace_json(data),
            Target::FactsArbitrary => Ok(Some(decode_arbitrary_facts(data))),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn run(target: Target, data: &[u8]) {
    let choice = subject_from_env();
    let result = target.decode(data).and_then(|trace| match trace {
        Some(trace) => check(&trace, choice.reducer(trace.limits).as_mut()),
        None => Ok(()),
    });
    if let Err(finding) = result {
        panic!(
            "{finding}\nturn this input into a vector: {}cargo run {}--example fuzz_crash_to_vector -- {target} <crash file>",
            choice.env_prefix(),
            choice.features_flag()
        );
    }
}

/// The subject chosen by `REVIEW_SPEC_DEFECT`, read once per process. A malformed choice panics
/// on the first input: a fuzz run must never quietly test something else than it was asked to.
fn subject_from_env() -> SubjectChoice {
    static CHOICE: OnceLock<Result<SubjectChoice, String>> = OnceLock::new();
    match CHOICE.get_or_init(|| SubjectChoice::from_env().map_err(|error| error.to_string())) {
        Ok(choice) => *choice,
        Err(message) => panic!("{message}"),
    }
}

/// `differential`'s decoder: a coherent case (swarm, scenario, chaos) from the bytes, under the
/// profile the last two bytes choose ([`profile_from_tail`]), with only the facts that profile's
/// base can express.
fn decode_generated(data: &[u8]) -> Option<Trace> {
    let profile = profile_from_tail(data);
    // `case_from_unstructured` accepts every byte string; an error would be a reject, not a bug.
    case_from_unstructured(&mut Unstructured::new(data))
        .ok()
        .map(|case| Trace {
            profile,
            ..case.expressible_under(&profile).trace()
        })
}

/// A profile from the last two bytes of a fuzz input: the last byte's bit 0 picks the base
/// (`upstream` when set), its bit 1 whether departures are switched, and then the byte before it
/// and the last byte's bits 2-5 say which of the twelve.
pub fn profile_from_tail(data: &[u8]) -> Profile {
    let [.., departures, choice] = data else {
        return Profile::SPEC;
    };
    let base = if choice & 1 == 1 {
        Base::Upstream
    } else {
        Base::Spec
    };
    let mut profile = Profile::base(base);
    if choice & 2 == 2 {
        let bits = u16::from(*departures) | (u16::from(choice >> 2) << 8);
        for (index, departure) in Departure::ALL.into_iter().enumerate() {
            if bits & (1 << index) != 0 {
                profile = profile.departing(departure);
            }
        }
    }
    profile
}

/// `trace_json`'s decoder: the streaming trace loader, on the raw bytes (invalid UTF-8 included).
/// A load error is the loader's answer to bad input, not a finding, as long as it points into
/// the input.
fn decode_trace_json(data: &[u8]) -> Result<Option<Trace>, Finding> {
    merge_summaries(data);
    match parse_trace_bytes(data, "<trace>") {
        Ok(trace) => Ok(Some(trace)),
        Err(error) => check_error_position(data, &error).map(|()| None),
    }
}

/// `merge`'s input, from the same bytes: up to four shard summaries, separated by NUL bytes (so
/// one summary seed is one shard, and inserted NULs make more). `merge` answers with a merged
/// summary or an error, never a panic (an overflow in a sum included); a merged summary carries
/// at most one failure, the first failing shard's.
fn merge_summaries(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let inputs: Vec<(String, String)> = text
        .split('\0')
        .take(4)
        .enumerate()
        .map(|(index, part)| (format!("shard-{index}.json"), part.to_owned()))
        .collect();
    if let Ok(merged) = crate::check::merge::merge(&inputs) {
        assert!(
            merged.summary.failures.len() <= 1,
            "merge counted more than one failure"
        );
    }
}

/// A load error names a line of the input (or the line after the last, for a missing part) and a
/// column within that line (or just past its end).
fn check_error_position(data: &[u8], error: &TraceError) -> Result<(), Finding> {
    let TraceError::Invalid { line, column, .. } = error else {
        return Err(Finding::BadError {
            error: error.to_string(),
            why: "a trace held in memory cannot be unreadable",
        });
    };
    let mut lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|last| last.is_empty()) {
        lines.pop();
    }
    if *line == 0 || *line > lines.len() + 1 {
        return Err(Finding::BadError {
            error: error.to_string(),
            why: "the line is not in the input",
        });
    }
    let line_bytes = lines.get(line - 1).map_or(0, |bytes| bytes.len());
    if *column == 0 || *column > line_bytes + 1 {
        return Err(Finding::BadError {
            error: error.to_string(),
            why: "the column is not in the line",
        });
    }
    Ok(())
}

/// `facts_arbitrary`'s decoder: limits with `table_entries_max` in
/// `1..=FACTS_ARBITRARY_TABLE_ENTRIES_MAX`, then up to [`FACTS_ARBITRARY_MAX`] facts from the
/// derived `Arbitrary` of [`Fact`]. An exhausted input reads as zeros, so every input decodes.
fn decode_arbitrary_facts(data: &[u8]) -> Trace {
    let mut u = Unstructured::new(data);
    let table_entries_max = u
        .int_in_range(1..=FACTS_ARBITRARY_TABLE_ENTRIES_MAX)
        .unwrap_or(1);
    let mut facts = Vec::new();
    if let Ok(iter) = u.arbitrary_iter::<Fact>() {
        for fact in iter.take(FACTS_ARBITRARY_MAX) {
            // A malformed tail ends the sequence; what was read so far is still a valid case.
            let Ok(fact) = fact else { break };
            facts.push(fact);
        }
    }
    Trace {
        limits: Limits {
            table_entries_max: usize::from(table_entries_max),
        },
        profile: Profile::SPEC,
        facts,
    }
}

/// What a target found wrong with an input.
#[derive(Debug)]
pub enum Finding {
    /// The subject's outputs differ from the model's.
    Divergence(Box<Divergence>),
    /// The trace does not survive `write_trace` → `parse_trace`, so it could not be saved.
    RoundTrip {
        /// The trace as written.
        trace: String,
        /// What did not survive.
        problem: String,
    },
    /// The loader rejected the input with an error that does not point into it.
    BadError {
        /// The error the loader gave.
        error: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The subject could not answer (never for in-process reducers).
    SubjectFailed(SubjectError),
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Divergence(divergence) => write!(f, "{divergence}"),
            Finding::RoundTrip { trace, problem } => write!(
                f,
                "the trace does not survive write_trace → parse_trace: {problem}\ntrace:\n{trace}"
            ),
            Finding::BadError { error, why } => {
                write!(f, "the loader's error is misplaced ({why}): {error}")
            }
            Finding::SubjectFailed(error) => write!(f, "{error}"),
        }
    }
}

/// The checks every target makes on a decoded trace: it round-trips through the trace format,
/// and `subject` agrees with the model on it.
pub fn check(trace: &Trace, subject: &mut dyn Subject) -> Result<(), Finding> {
    check_round_trip(trace)?;
    match diff::first_divergence(subject, &trace.facts, &trace.limits, &trace.profile) {
        Ok(None) => Ok(()),
        Ok(Some(divergence)) => Err(Finding::Divergence(Box::new(divergence))),
        Err(error) => Err(Finding::SubjectFailed(error)),
    }
}

fn check_round_trip(trace: &Trace) -> Result<(), Finding> {
    let text = write_trace(trace);
    match parse_trace(&text) {
        Ok(reloaded) if reloaded == *trace => Ok(()),
        Ok(reloaded) => Err(Finding::RoundTrip {
            problem: format!(
                "it reloads as {} facts with {:?}, different from what was written",
                reloaded.facts.len(),
                reloaded.limits
            ),
            trace: text,
        }),
        Err(error) => Err(Finding::RoundTrip {
            problem: error.to_string(),
            trace: text,
        }),
    }
}

/// Which reducer the targets test: the production one, or one with a seeded defect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SubjectChoice {
    #[default]
    /// The production reducer.
    Reducer,
    #[cfg(feature = "seeded-defects")]
    /// The production reducer with this seeded defect switched on.
    Defective(crate::reducer::Defect),
}

/// Why `REVIEW_SPEC_DEFECT` does not name a usable subject.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SubjectChoiceError {
    #[error(
        "{DEFECT_VAR}={name}: seeded defects are not compiled in; build with the `seeded-defects` feature (cargo +nightly fuzz run --features seeded-defects ...)"
    )]
    /// A defect was named, but this build has none.
    NotCompiled {
        /// The name given.
        name: String,
    },
    #[error("{DEFECT_VAR}={name}: unknown seeded defect; expected one of {expected}")]
    /// No seeded defect has this name.
    Unknown {
        /// The name given.
        name: String,
        /// The names there are.
        expected: String,
    },
    #[error("{DEFECT_VAR} is not valid UTF-8")]
    /// The variable holds bytes that are not UTF-8.
    NotUnicode,
}

impl SubjectChoice {
    /// The subject `REVIEW_SPEC_DEFECT` names: unset or empty is the production reducer.
    pub fn from_env() -> Result<SubjectChoice, SubjectChoiceError> {
        match std::env::var(DEFECT_VAR) {
            Ok(name) => SubjectChoice::from_defect_name(Some(&name)),
            Err(std::env::VarError::NotPresent) => Ok(SubjectChoice::Reducer),
            Err(std::env::VarError::NotUnicode(_)) => Err(SubjectChoiceError::NotUnicode),
        }
    }

    /// The subject with the seeded defect `name` (snake case, as `Defect::name`); `None` or an
    /// empty name is the production reducer.
    pub fn from_defect_name(name: Option<&str>) -> Result<SubjectChoice, SubjectChoiceError> {
        let name = name.map(str::trim).unwrap_or_default();
        if name.is_empty() {
            return Ok(SubjectChoice::Reducer);
        }
        #[cfg(feature = "seeded-defects")]
        {
            use crate::reducer::Defect;
            match Defect::ALL.into_iter().find(|defect| defect.name() == name) {
                Some(defect) => Ok(SubjectChoice::Defective(defect)),
                None => Err(SubjectChoiceError::Unknown {
                    name: name.to_owned(),
                    expected: Defect::ALL.map(Defect::name).join(", "),
                }),
            }
        }
        #[cfg(not(feature = "seeded-defects"))]
        Err(SubjectChoiceError::NotCompiled {
            name: name.to_owned(),
        })
    }

    /// A fresh reducer of this choice, as a subject: the production reducer and a defective one
    /// are two types (`Reducer` and `Reducer<Seeded>`), and everything that tests them takes a
    /// `&mut dyn Subject` anyway.
    pub fn reducer(self, limits: Limits) -> Box<dyn Subject> {
        match self {
            SubjectChoice::Reducer => Box::new(Reducer::new(limits)),
            #[cfg(feature = "seeded-defects")]
            SubjectChoice::Defective(defect) => Box::new(Reducer::with_defect(limits, defect)),
        }
    }
}

impl SubjectChoice {
    /// `REVIEW_SPEC_DEFECT=<name> ` for a defective subject, for printed commands.
    fn env_prefix(self) -> String {
        match self {
            SubjectChoice::Reducer => String::new(),
            #[cfg(feature = "seeded-defects")]
            SubjectChoice::Defective(defect) => format!("{DEFECT_VAR}={} ", defect.name()),
        }
    }

    /// `--features seeded-defects ` for a defective subject, for printed commands.
    fn features_flag(self) -> &'static str {
        match self {
            SubjectChoice::Reducer => "",
            #[cfg(feature = "seeded-defects")]
            SubjectChoice::Defective(_) => "--features seeded-defects ",
        }
    }
}

impl fmt::Display for SubjectChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubjectChoice::Reducer => f.write_str("reducer"),
            #[cfg(feature = "seeded-defects")]
            SubjectChoice::Defective(defect) => write!(f, "reducer with defect {}", defect.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_two_bytes_choose_the_profile() {
        assert_eq!(profile_from_tail(&[]), Profile::SPEC);
        assert_eq!(profile_from_tail(&[7]), Profile::SPEC);
        assert_eq!(profile_from_tail(&[0xff, 0b01]), Profile::UPSTREAM);
        assert_eq!(
            profile_from_tail(&[0b1, 0b11]),
            Profile::UPSTREAM.departing(Departure::ALL[0])
        );
        assert_eq!(
            profile_from_tail(&[0, 0b1_0010]),
            Profile::SPEC.departing(Departure::ALL[10])
        );
    }

    #[test]
    fn differential_cases_carry_their_profile_and_only_expressible_facts() {
        let mut upstream_cases = 0;
        for seed in 0..200u8 {
            let data: Vec<u8> = (0..512u32)
                .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
                .chain([seed, seed])
                .collect();
            let Some(trace) = decode_generated(&data) else {
                continue;
            };
            assert_eq!(trace.profile, profile_from_tail(&data));
            if trace.profile.base == Base::Upstream {
                upstream_cases += 1;
                assert_eq!(crate::profile::first_inexpressible(&trace.facts), None);
            }
        }
        assert!(upstream_cases > 0);
    }
}
