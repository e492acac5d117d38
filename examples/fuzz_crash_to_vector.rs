//! Turns a crash input of any fuzz target into a minimized, human-readable regression:
//!
//! ```sh
//! cargo run --example fuzz_crash_to_vector -- differential fuzz/artifacts/differential/crash-...
//! cargo run --example fuzz_crash_to_vector -- trace_json CRASH... [--out DIR]
//! # a crash found with a seeded defect replays only against that defect:
//! REVIEW_SPEC_DEFECT=network_as_command cargo run --features seeded-defects \
//!     --example fuzz_crash_to_vector -- differential fuzz/artifacts/differential/crash-...
//! ```
//!
//! The bytes are decoded exactly as the target decodes them (`review_spec::fuzzing::replay`),
//! then:
//! - a **divergence** is minimized (`diff::minimize`) and written as a one-case vector file
//!   (`to_vector_case`, `write_vector_file`) under `spec/vectors/regressions/`, which
//!   `cargo test` then runs forever;
//! - a **reducer panic** is minimized (while it panics) and written as a vector the same way (the
//!   model supplies `expected`);
//! - a **model or loader panic**, or another finding, is not a divergence: there is no expected
//!   output to write, so the minimized trace is saved as `spec/vectors/regressions/*.jsonl` and
//!   the raw input under `fuzz/regressions/<target>/`, both replayed by
//!   `tests/it/fuzz_regressions.rs`.
//!
//! With `REVIEW_SPEC_DEFECT` set (a seeded defect is not a bug to keep), files go to
//! `fuzz/artifacts/vectors/` unless `--out DIR` says otherwise.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use review_spec::fuzzing::{PanicStage, Replay, SubjectChoice, Target, replay};
use review_spec::regression;
use review_spec_model as model;
use review_spec_vocab::trace::{Trace, VectorCase, VectorFile, write_trace, write_vector_file};

const USAGE: &str = "usage: fuzz_crash_to_vector <target> <crash file>... [--out DIR]";

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(message) => {
            eprintln!("fuzz_crash_to_vector: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Where findings go.
struct Output {
    /// Vector files and readable traces.
    vectors: PathBuf,
    /// Raw crash inputs, one folder per target.
    raw: PathBuf,
    /// Whether the files land where `cargo test` replays them.
    kept: bool,
}

/// Ok(true) when every input reproduced and was saved.
fn run() -> Result<bool, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut positional = Vec::new();
    let mut out_dir = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--out" {
            out_dir = Some(PathBuf::from(args.next().ok_or(USAGE)?));
        } else {
            positional.push(arg);
        }
    }
    let (target_name, inputs) = positional.split_first().ok_or(USAGE)?;
    if inputs.is_empty() {
        return Err(USAGE.to_owned());
    }
    let target = Target::from_name(target_name).ok_or_else(|| {
        let names: Vec<&str> = Target::ALL.iter().map(|t| t.name()).collect();
        format!(
            "unknown target {target_name:?}; expected one of {}",
            names.join(", ")
        )
    })?;
    let choice = SubjectChoice::from_env().map_err(|error| error.to_string())?;
    let output = match (out_dir, choice) {
        (Some(dir), _) => Output {
            vectors: dir.clone(),
            raw: dir,
            kept: false,
        },
        (None, SubjectChoice::Reducer) => Output {
            vectors: root.join("spec/vectors/regressions"),
            raw: root.join("fuzz/regressions"),
            kept: true,
        },
        #[cfg(feature = "seeded-defects")]
        (None, SubjectChoice::Defective(_)) => Output {
            vectors: root.join("fuzz/artifacts/vectors"),
            raw: root.join("fuzz/artifacts/vectors"),
            kept: false,
        },
    };
    // The replay reports every panic itself; the default hook would print each minimization step.
    std::panic::set_hook(Box::new(|_| {}));
    let mut all_saved = true;
    for input in inputs {
        let path = Path::new(input);
        let data = std::fs::read(path).map_err(|e| format!("cannot read {input}: {e}"))?;
        println!("== {target} {input} (subject: {choice})");
        all_saved &= convert(target, path, &data, choice, &output)?;
    }
    Ok(all_saved)
}

fn convert(
    target: Target,
    path: &Path,
    data: &[u8],
    choice: SubjectChoice,
    output: &Output,
) -> Result<bool, String> {
    let input_name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    match replay(target, data, choice) {
        Replay::Rejected => {
            println!("the target rejects this input before running anything: no crash to save");
            Ok(false)
        }
        Replay::Passes(trace) => {
            println!(
                "does not reproduce: the {} facts agree and nothing panics in this build \
                 (was the run made with --features seeded-defects and {}?)",
                trace.facts.len(),
                review_spec::fuzzing::DEFECT_VAR
            );
            Ok(false)
        }
        Replay::Diverges(divergence) => {
            println!("{divergence}");
            let see = format!(
                "fuzz target {target} ({choice}), crash input {input_name}, minimized to {} facts by fuzz_crash_to_vector",
                divergence.facts.len()
            );
            let name = finding_name(target, divergence.rules.first().copied(), &divergence.facts);
            let case = divergence.to_vector_case(&name, &see);
            save_vector(case, output)?;
            Ok(true)
        }
        Replay::Panicked {
            stage,
            message,
            trace,
        } => {
            println!("{stage} panicked (not a divergence): {message}");
            save_raw(target, data, output)?;
            match (stage, trace) {
                (PanicStage::Reducer, Some(trace)) => {
                    let name = finding_name(target, Some("panic"), &trace.facts);
                    let case = panic_vector(&trace, &name, &message, target, &input_name);
                    save_vector(case, output)?;
                }
                (_, Some(trace)) => {
                    save_trace(target, "model-panic", &trace, output)?;
                    println!(
                        "no vector: the model has no expected outputs for it; the trace and \
                         the raw input are saved instead"
                    );
                }
                (_, None) => println!("no trace: the input did not decode; the raw input is saved"),
            }
            Ok(true)
        }
        Replay::Other { trace, finding } => {
            println!("{finding}");
            save_raw(target, data, output)?;
            if let Some(trace) = trace {
                save_trace(target, "finding", &trace, output)?;
            }
            println!("not a divergence: the trace (if any) and the raw input are saved");
            Ok(true)
        }
    }
}

/// `fuzz-<target>-<rule or kind>-<hash of the facts>`: stable, so one finding is one file.
fn finding_name(
    target: Target,
    kind: Option<&str>,
    facts: &[review_spec_vocab::fact::Fact],
) -> String {
    let kind = format!("fuzz-{}-{}", target.name(), kind.unwrap_or("none"));
    regression::name(&kind, facts)
}

fn panic_vector(
    trace: &Trace,
    name: &str,
    message: &str,
    target: Target,
    input_name: &str,
) -> VectorCase {
    let applied = model::reduce_explained(&trace.facts, &trace.limits, &trace.profile).rule_hits;
    let (expected, upstream) = review_spec::diff::expectations(&trace.facts, &trace.limits);
    VectorCase {
        name: name.to_owned(),
        description: format!("Regression: the reducer panicked on these facts ({message})."),
        rules: applied.keys().map(|rule| (*rule).to_owned()).collect(),
        limits: trace.limits,
        facts: trace.facts.clone(),
        expected,
        upstream,
        profile: review_spec::diff::found_under(&trace.profile),
        see: Some(format!(
            "fuzz target {target}, crash input {input_name}, minimized to {} facts by fuzz_crash_to_vector",
            trace.facts.len()
        )),
        history: Vec::new(),
    }
}

fn save_vector(case: VectorCase, output: &Output) -> Result<(), String> {
    let path = output.vectors.join(format!("{}.json", case.name));
    let name = case.name.clone();
    write(&path, write_vector_file(&VectorFile::new(vec![case])))?;
    println!("saved vector {}", path.display());
    if output.kept {
        println!("replay: REVIEW_SPEC_FILTER=regressions/{name} cargo test --test it vectors");
    } else {
        println!("(not under spec/vectors/regressions/: cargo test does not run it)");
    }
    Ok(())
}

fn save_trace(target: Target, kind: &str, trace: &Trace, output: &Output) -> Result<(), String> {
    let name = finding_name(target, Some(kind), &trace.facts);
    let path = output.vectors.join(format!("{name}.jsonl"));
    write(&path, write_trace(trace))?;
    println!("saved trace {}", path.display());
    Ok(())
}

fn save_raw(target: Target, data: &[u8], output: &Output) -> Result<(), String> {
    let path = output
        .raw
        .join(target.name())
        .join(format!("crash-{:016x}", regression::hash_bytes(data)));
    write(&path, data)?;
    println!("saved raw input {}", path.display());
    if output.kept {
        println!("replay: cargo test --test it fuzz_regressions");
    }
    Ok(())
}

fn write(path: &Path, contents: impl AsRef<[u8]>) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|error| format!("cannot create {}: {error}", parent.display()))?;
    }
    regression::write_atomically(path, contents.as_ref())
        .map_err(|error| format!("cannot write {}: {error}", path.display()))
}
