//! The fuzz targets' bodies (`review_spec::fuzzing`) run in `cargo test`, so they cannot rot: on
//! the seed corpus, on fixed pseudo-random and mutated inputs, and on every saved crash input
//! (`fuzz/regressions/<target>/`, `spec/vectors/regressions/*.jsonl`). Also: the dictionary is
//! current, every target is wired into `fuzz/`, CI and the nightly workflow, and (with
//! `seeded-defects`) the differential target finds a seeded defect and its crash replays to a
//! small vector.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use review_spec::fuzzing::{
    self, SubjectChoice, Target, pseudo_random_inputs, seed_corpus, trace_json_dictionary,
};
use review_spec_vocab::fact::Fact;

/// Pseudo-random inputs per target.
const RANDOM_INPUTS: usize = 300;
/// The longest pseudo-random input.
const RANDOM_LEN_MAX: usize = 2048;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `inputs` through `target`'s body and fails once, naming every input that crashed.
#[track_caller]
fn check_inputs(target: Target, inputs: impl IntoIterator<Item = (String, Vec<u8>)>) -> usize {
    let mut crashed = Vec::new();
    let mut count = 0;
    for (name, bytes) in inputs {
        count += 1;
        if catch_unwind(AssertUnwindSafe(|| target.run(&bytes))).is_err() {
            crashed.push(name);
        }
    }
    assert!(
        crashed.is_empty(),
        "{} of {count} inputs crash the {target} target (its panic messages are above); \
         turn each into a vector with cargo run --example fuzz_crash_to_vector -- {target} FILE:\n{}",
        crashed.len(),
        crashed.join("\n")
    );
    count
}

#[test]
fn every_seed_runs_through_its_target() {
    let seeds = seed_corpus(&root().join("spec/vectors")).unwrap_or_else(|error| panic!("{error}"));
    for target in Target::ALL {
        let mine = seeds
            .iter()
            .filter(|seed| seed.target == target)
            .map(|seed| (seed.name.clone(), seed.bytes.clone()));
        let count = check_inputs(target, mine);
        assert!(count > 0, "no seeds for {target}");
    }
}

/// trace_json feeds its bytes to `merge` too: the summary seeds merge (and are refused as
/// traces, with a positioned error), and malformed summaries are errors, never panics.
#[test]
fn trace_json_covers_merge_s_input() {
    let seeds = seed_corpus(&root().join("spec/vectors")).unwrap_or_else(|error| panic!("{error}"));
    let summaries: Vec<_> = seeds
        .iter()
        .filter(|seed| seed.target == Target::TraceJson && seed.name.starts_with("summary-"))
        .collect();
    assert_eq!(summaries.len(), 2);
    for seed in summaries {
        let text = String::from_utf8_lossy(&seed.bytes).into_owned();
        let inputs: Vec<_> = text
            .split('\0')
            .map(|part| ("s".to_owned(), part.to_owned()))
            .collect();
        if inputs.len() == 2 {
            review_spec::check::merge::merge(&inputs).expect("the two shards merge");
        }
        assert!(
            matches!(Target::TraceJson.decode(&seed.bytes), Ok(None)),
            "{}",
            seed.name
        );
        Target::TraceJson.run(&seed.bytes);
        // Overflowing sums: an error, not a panic.
        let huge = seed.bytes.clone();
        let huge = String::from_utf8_lossy(&huge)
            .replace("\"facts\": 3", "\"facts\": 18446744073709551615");
        Target::TraceJson.run(huge.as_bytes());
    }
}

#[test]
fn every_vector_case_is_a_trace_json_seed_that_loads() {
    let seeds = seed_corpus(&root().join("spec/vectors")).unwrap_or_else(|error| panic!("{error}"));
    let traces: Vec<_> = seeds
        .iter()
        .filter(|seed| seed.target == Target::TraceJson && seed.name.starts_with("vector-"))
        .collect();
    let cases: usize = crate::vectors::load_all()
        .iter()
        .map(|(_, _, file)| file.cases.len())
        .sum();
    assert_eq!(traces.len(), cases, "one trace_json seed per vector case");
    for seed in traces {
        assert!(
            matches!(Target::TraceJson.decode(&seed.bytes), Ok(Some(_))),
            "seed {} does not load as a trace",
            seed.name
        );
    }
}

#[test]
fn pseudo_random_inputs_run_through_every_target() {
    for (index, target) in Target::ALL.into_iter().enumerate() {
        let inputs =
            pseudo_random_inputs(0x7e57_0000 + index as u64, RANDOM_INPUTS, RANDOM_LEN_MAX);
        check_inputs(
            target,
            inputs.into_iter().enumerate().map(|(n, bytes)| {
                (
                    format!("pseudo-random input {n} ({} bytes)", bytes.len()),
                    bytes,
                )
            }),
        );
    }
}

/// Small deterministic edits of valid traces (truncations, byte flips, dropped, doubled and
/// swapped lines, dictionary tokens spliced in) reach the loader's error paths and the reducers'
/// odd corners; each must load and agree, or fail with a positioned error.
#[test]
fn mutated_vector_traces_load_and_agree_or_fail_with_a_position() {
    let seeds = seed_corpus(&root().join("spec/vectors")).unwrap_or_else(|error| panic!("{error}"));
    let tokens: Vec<String> = trace_json_dictionary()
        .lines()
        .filter_map(|line| line.strip_prefix('"')?.strip_suffix('"').map(unescape))
        .collect();
    let noise = pseudo_random_inputs(0x3a7e, 1, 1 << 16).concat();
    let mut pick = noise.iter().cycle().map(|byte| usize::from(*byte));
    let mut mutants = Vec::new();
    for seed in seeds.iter().filter(|seed| seed.target == Target::TraceJson) {
        let text = String::from_utf8_lossy(&seed.bytes).into_owned();
        let lines: Vec<&str> = text.lines().collect();
        let at = |n: usize, len: usize| if len == 0 { 0 } else { n * 251 % len };
        let cut = at(pick.next().unwrap_or(0) * 97 + 13, seed.bytes.len());
        mutants.push(("truncated", seed.bytes[..cut].to_vec()));
        let mut flipped = seed.bytes.clone();
        if let Some(byte) = flipped.get_mut(cut) {
            *byte ^= 1 << (pick.next().unwrap_or(0) % 8);
        }
        mutants.push(("flipped", flipped));
        let line = at(pick.next().unwrap_or(0), lines.len());
        let mut dropped = lines.clone();
        dropped.remove(line.min(dropped.len().saturating_sub(1)));
        mutants.push(("dropped line", dropped.join("\n").into_bytes()));
        let mut doubled = lines.clone();
        if let Some(copy) = lines.get(line) {
            doubled.insert(line, copy);
        }
        mutants.push(("doubled line", doubled.join("\n").into_bytes()));
        let mut swapped = lines.clone();
        if swapped.len() > 2 {
            let last = swapped.len() - 1;
            swapped.swap(1.max(line.min(last)), last);
        }
        mutants.push(("swapped lines", swapped.join("\n").into_bytes()));
        let token = &tokens[pick.next().unwrap_or(0) % tokens.len()];
        let mut spliced = seed.bytes[..cut].to_vec();
        spliced.extend_from_slice(token.as_bytes());
        spliced.extend_from_slice(&seed.bytes[cut..]);
        mutants.push(("token spliced", spliced));
    }
    check_inputs(
        Target::TraceJson,
        mutants
            .into_iter()
            .enumerate()
            .map(|(n, (kind, bytes))| (format!("mutant {n} ({kind})"), bytes)),
    );
}

fn unescape(entry: &str) -> String {
    entry
        .replace("\\x0a", "\n")
        .replace("\\\"", "\"")
        .replace("\\\\", "\\")
}

/// Saved crash inputs: raw ones under `fuzz/regressions/<target>/`, readable traces under
/// `spec/vectors/regressions/*.jsonl` (findings that are not divergences; see
/// `examples/fuzz_crash_to_vector.rs`).
#[test]
fn saved_crash_inputs_replay_without_crashing() {
    let files = |dir: PathBuf, extension: Option<&str>| -> Vec<(String, Vec<u8>)> {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.is_file())
            .filter(|path| extension.is_none_or(|e| path.extension().is_some_and(|x| x == e)))
            .collect();
        paths.sort();
        paths
            .into_iter()
            .map(|path| {
                let bytes = std::fs::read(&path)
                    .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
                (path.display().to_string(), bytes)
            })
            .collect()
    };
    for target in Target::ALL {
        let dir = root().join("fuzz/regressions").join(target.name());
        let count = check_inputs(target, files(dir.clone(), None));
        assert!(
            count > 0,
            "{} holds no input: nothing was replayed",
            dir.display()
        );
    }
    check_inputs(
        Target::TraceJson,
        files(root().join("spec/vectors/regressions"), Some("jsonl")),
    );
}

#[test]
fn the_dictionary_is_current_and_names_every_fact_type() {
    let path = root().join("fuzz/dict/trace_json.dict");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == trace_json_dictionary(),
        "{} is stale: regenerate it with cargo run --example fuzz_seed_corpus and commit it",
        path.display()
    );
    for type_name in Fact::TYPE_NAMES {
        assert!(
            current.contains(&format!("\"\\\"{type_name}\\\"\"")),
            "the dictionary lacks the fact type {type_name}"
        );
    }
}

/// Each target has its one-line file, a `[[bin]]`, a run in `fuzz/ci.sh`, a matrix entry in the
/// nightly workflow and a copy in the ClusterFuzzLite build.
#[test]
fn every_target_is_wired_into_fuzz_ci_and_the_nightly_workflow() {
    let read = |relative: &str| {
        std::fs::read_to_string(root().join(relative))
            .unwrap_or_else(|error| panic!("cannot read {relative}: {error}"))
    };
    let cargo_toml = read("fuzz/Cargo.toml");
    let ci = read("fuzz/ci.sh");
    let nightly = read(".github/workflows/nightly-fuzz.yml");
    let cflite = read(".clusterfuzzlite/build.sh");
    let mut problems = Vec::new();
    for target in Target::ALL {
        let name = target.name();
        let body = read(&format!("fuzz/fuzz_targets/{name}.rs"));
        let call = format!("review_spec::fuzzing::{name}(data)");
        if !body.contains(&call) {
            problems.push(format!("fuzz/fuzz_targets/{name}.rs does not call {call}"));
        }
        if !cargo_toml.contains(&format!("name = \"{name}\"")) {
            problems.push(format!("fuzz/Cargo.toml has no [[bin]] {name}"));
        }
        for (file, text) in [
            ("fuzz/ci.sh", &ci),
            (".github/workflows/nightly-fuzz.yml", &nightly),
            (".clusterfuzzlite/build.sh", &cflite),
        ] {
            if !text.contains(name) {
                problems.push(format!("{file} does not run {name}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn facts_arbitrary_reaches_every_fact_type_and_small_limits() {
    let mut seen = std::collections::BTreeSet::new();
    let mut limits = std::collections::BTreeSet::new();
    for bytes in pseudo_random_inputs(0xfac7, RANDOM_INPUTS, RANDOM_LEN_MAX) {
        let Ok(Some(trace)) = Target::FactsArbitrary.decode(&bytes) else {
            panic!("facts_arbitrary decodes every input");
        };
        assert!(trace.facts.len() <= fuzzing::FACTS_ARBITRARY_MAX);
        limits.insert(trace.limits.table_entries_max);
        seen.extend(trace.facts.iter().map(Fact::type_name));
    }
    let missing: Vec<&str> = Fact::TYPE_NAMES
        .into_iter()
        .filter(|name| !seen.contains(name))
        .collect();
    assert!(missing.is_empty(), "never decoded: {missing:?}");
    assert!(
        limits.iter().all(|max| (1..=16).contains(max)) && limits.len() > 8,
        "table_entries_max drawn: {limits:?}"
    );
}

#[test]
fn minimize_facts_keeps_only_what_makes_it_fail() {
    let facts: Vec<Fact> = (0..40)
        .map(|n| match n % 3 {
            0 => Fact::TurnCompleted {
                thread_id: format!("t{n}").into(),
                turn_id: "u1".into(),
                completed_at_ms: n,
            },
            _ => Fact::RequestAborted {
                connection_id: 1,
                request_id: n.unsigned_abs(),
                completed_at_ms: n,
            },
        })
        .collect();
    let is_turn_end = |fact: &Fact| matches!(fact, Fact::TurnCompleted { .. });
    let minimized = review_spec::shrink::delete_facts_while(facts, |facts| {
        facts.iter().filter(|fact| is_turn_end(fact)).count() >= 2
    });
    assert_eq!(minimized.len(), 2);
    assert!(minimized.iter().all(is_turn_end));
}

#[test]
fn an_unknown_or_uncompiled_defect_is_a_clear_error() {
    assert_eq!(
        SubjectChoice::from_defect_name(None),
        Ok(SubjectChoice::Reducer)
    );
    assert_eq!(
        SubjectChoice::from_defect_name(Some("")),
        Ok(SubjectChoice::Reducer)
    );
    let error = SubjectChoice::from_defect_name(Some("no_such_defect"))
        .err()
        .map(|error| error.to_string())
        .unwrap_or_default();
    assert!(
        error.contains("REVIEW_SPEC_DEFECT=no_such_defect"),
        "{error}"
    );
    if cfg!(feature = "seeded-defects") {
        assert!(error.contains("network_as_command"), "{error}");
    } else {
        assert!(error.contains("--features seeded-defects"), "{error}");
    }
}

/// The differential target finds a seeded defect on fixed pseudo-random inputs, and its crash
/// input replays, as `fuzz_crash_to_vector` does, to a small vector that loads back, still
/// catches the defect and passes on the real reducer.
#[cfg(feature = "seeded-defects")]
#[test]
fn differential_finds_a_seeded_defect_and_its_crash_becomes_a_vector() {
    use review_spec::diff::first_divergence;
    use review_spec::fuzzing::{Finding, Replay};
    use review_spec_reducer::{Defect, Reducer};
    use review_spec_vocab::trace::{VectorFile, parse_vector_file, write_vector_file};

    let defect = Defect::NetworkAsCommand;
    let choice = SubjectChoice::Defective(defect);
    let inputs = pseudo_random_inputs(0xdefec7, 5_000, RANDOM_LEN_MAX);
    let crash = inputs.iter().position(|bytes| {
        let Ok(Some(trace)) = Target::Differential.decode(bytes) else {
            return false;
        };
        matches!(
            fuzzing::check(&trace, choice.reducer(trace.limits).as_mut()),
            Err(Finding::Divergence(_))
        )
    });
    let Some(crash) = crash else {
        panic!("{} not found in {} inputs", defect.name(), inputs.len());
    };
    let Replay::Diverges(divergence) =
        fuzzing::replay(Target::Differential, &inputs[crash], choice)
    else {
        panic!("input {crash} does not replay to a divergence");
    };
    assert!(divergence.facts.len() <= 8, "{divergence}");
    assert!(divergence.rules.contains(&defect.rule()), "{divergence}");
    let case = divergence.to_vector_case("fuzz-differential-example", "a test");
    let text = write_vector_file(&VectorFile::new(vec![case.clone()]));
    let reloaded = parse_vector_file(&text, "<vector>").unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(reloaded.cases, vec![case.clone()]);
    let broken = first_divergence(
        &mut Reducer::with_defect(case.limits, defect),
        &case.facts,
        &case.limits,
        &review_spec_vocab::profile::Profile::SPEC,
    );
    assert!(
        matches!(broken, Ok(Some(_))),
        "the vector no longer catches the defect"
    );
    let real = first_divergence(
        &mut Reducer::new(case.limits),
        &case.facts,
        &case.limits,
        &review_spec_vocab::profile::Profile::SPEC,
    );
    assert!(
        matches!(real, Ok(None)),
        "the real reducer disagrees: {real:?}"
    );
    assert!(matches!(
        fuzzing::replay(Target::Differential, &inputs[crash], SubjectChoice::Reducer),
        Replay::Passes(_)
    ));
}
