//! Figure 6: subjects that are processes, run as users run them (the built `review-spec` binary,
//! `--subject-cmd`), each figure side by side with the others in one run:
//!
//! - each process subject (`examples/python/subject.py`, and the production reducer behind the
//!   protocol, `review-spec serve`) on its own, reading the protocol stream of 2,000 cases piped
//!   in whole, against its time inside `check --jobs 1` on the same cases (pipelined, and
//!   lock-step with `--window 1`), and the built-in reducer's `check` on them;
//! - the time from the start of `check` to its exit with a confirmed, shrunk and explained
//!   counterexample saved, for the broken Python subject and for three seeded defects served by
//!   `review-spec serve --defect NAME` (with the `seeded-defects` feature), over ten seeds.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use super::common::median;

const CASES: &str = "2000";
const SEED: &str = "3";
const RUNS: usize = 5;
const SEEDS: u64 = 10;
/// Seeded defects served for the time to a counterexample: an empty grant approved (GRANT-1),
/// one guardian completion counted per client (DEDUP-1), network access as a command (SUBJ-1).
#[cfg(feature = "seeded-defects")]
const DEFECTS: [&str; 3] = [
    "empty_grant_approved",
    "duplicate_guardian_counted",
    "network_as_command",
];

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_review-spec")
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `command` in the crate's root to its end; its wall time in seconds and its stdout.
fn timed(command: &mut Command, wanted_exit: i32) -> (f64, String) {
    let started = Instant::now();
    let output = command
        .current_dir(root())
        .output()
        .unwrap_or_else(|error| panic!("{command:?}: {error}"));
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(
        output.status.code(),
        Some(wanted_exit),
        "{command:?}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        seconds,
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn check(subject: Option<&str>, extra: &[&str]) -> Command {
    let mut command = Command::new(binary());
    command.args(["check", "--cases", CASES, "--seed", SEED, "--jobs", "1"]);
    command.args(extra);
    if let Some(subject) = subject {
        command.args(["--subject-cmd", subject]);
    }
    command
}

/// `subject` reading `stream` from stdin, its answers dropped.
fn standalone(subject: &str, stream: &Path) -> Command {
    // Not through `output()`'s pipe: straight from the file, answers to /dev/null.
    let words = shlex::split(subject).unwrap_or_else(|| panic!("{subject}"));
    let mut command = Command::new(&words[0]);
    command.args(&words[1..]);
    let input = std::fs::File::open(stream).unwrap_or_else(|error| panic!("{error}"));
    command.stdin(input).stdout(Stdio::null());
    command
}

pub fn figures() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let serve = format!("'{}' serve", binary());
    let python = "python3 examples/python/subject.py".to_owned();
    // The protocol stream exactly as `check` writes it, captured once (the header, the facts,
    // a reset line between cases).
    let stream = dir.path().join("stream.jsonl");
    let tee = format!("sh -c 'tee {} | {serve}'", stream.display());
    timed(&mut check(Some(&tee), &[]), 0);
    let facts = std::fs::read_to_string(&stream).map_or(0, |text| {
        text.lines().filter(|l| l.starts_with("{\"type\"")).count()
    });

    let subjects = [
        ("python3 examples/python/subject.py", &python),
        ("review-spec serve", &serve),
    ];
    let mut own = vec![Vec::new(); subjects.len()];
    let mut inside = vec![Vec::new(); subjects.len()];
    let mut lock_step = vec![Vec::new(); subjects.len()];
    let mut built_in = Vec::new();
    // Alternated, so that noise falls on every column alike.
    for _ in 0..RUNS {
        built_in.push(timed(&mut check(None, &[]), 0).0);
        for (index, (_, command)) in subjects.iter().enumerate() {
            own[index].push(timed(&mut standalone(command, &stream), 0).0);
            inside[index].push(timed(&mut check(Some(command), &[]), 0).0);
            lock_step[index].push(timed(&mut check(Some(command), &["--window", "1"]), 0).0);
        }
    }
    let built_in = median(built_in);
    println!(
        "\n## Process subjects ({CASES} cases of seed {SEED}, {facts} facts, `check --jobs 1`; \
         medians of {RUNS} runs, alternated)\n"
    );
    println!(
        "| subject | on its own, the stream piped in | inside `check` | inside, `--window 1` | \
         inside / max(own, built-in) |"
    );
    println!("|---|---|---|---|---|");
    for (index, (name, _)) in subjects.iter().enumerate() {
        let (alone, within) = (median(own[index].clone()), median(inside[index].clone()));
        println!(
            "| `{name}` | {alone:.2} s | {within:.2} s | {:.2} s | {:.2}x |",
            median(lock_step[index].clone()),
            within / alone.max(built_in)
        );
    }
    println!("| built-in reducer, in process | | {built_in:.2} s | | |");
    let served = median(inside[1].clone());
    let cases: f64 = CASES.parse().unwrap_or(f64::NAN);
    println!(
        "\n`review-spec serve` inside `check`: {:.0} cases/s; the built-in reducer: {:.0} \
         cases/s; ratio {:.2}",
        cases / served,
        cases / built_in,
        built_in / served
    );
    time_to_counterexample(dir.path());
}

/// `check --seed S` against `subject`, for each of [`SEEDS`] seeds: the median wall time to
/// the saved counterexample, the range, and the median length it was shrunk to.
fn counterexamples(subject: &str, out: &Path) -> (f64, f64, f64, f64) {
    let (mut times, mut lengths) = (Vec::new(), Vec::new());
    for seed in 1..=SEEDS {
        let folder = out.join(format!("seed-{seed}"));
        let mut command = Command::new(binary());
        command.args([
            "check",
            "--seed",
            &seed.to_string(),
            "--subject-cmd",
            subject,
        ]);
        command.args(["--out", &folder.display().to_string()]);
        let (seconds, stdout) = timed(&mut command, 1);
        times.push(seconds);
        let shrunk = stdout
            .lines()
            .find_map(|line| line.strip_prefix("shrunk by deleting facts: "))
            .and_then(|rest| rest.split(" to ").nth(1)?.split(' ').next()?.parse().ok())
            .unwrap_or(f64::NAN);
        lengths.push(shrunk);
        assert!(
            std::fs::read_dir(&folder).is_ok_and(|mut entries| entries.next().is_some()),
            "{subject}, seed {seed}: no counterexample saved\n{stdout}"
        );
    }
    let (low, high) = (
        times.iter().copied().fold(f64::INFINITY, f64::min),
        times.iter().copied().fold(0.0, f64::max),
    );
    (median(times), low, high, median(lengths))
}

fn time_to_counterexample(dir: &Path) {
    println!(
        "\n## Time to a confirmed, shrunk counterexample (start of `check` to its exit, the \
         vector saved; seeds 1 to {SEEDS})\n"
    );
    println!("| subject | median | fastest | slowest | facts, shrunk (median) |");
    println!("|---|---|---|---|---|");
    let broken = "python3 examples/python/broken_subject.py".to_owned();
    let subjects: Vec<(String, String)> = std::iter::once((broken.clone(), broken))
        .chain(served_defects())
        .collect();
    for (index, (name, command)) in subjects.iter().enumerate() {
        let (middle, low, high, length) = counterexamples(command, &dir.join(index.to_string()));
        println!("| `{name}` | {middle:.2} s | {low:.2} s | {high:.2} s | {length} |");
    }
    #[cfg(not(feature = "seeded-defects"))]
    println!(
        "\n**Seeded defects not compiled in: their rows are missing. Run `cargo bench --bench \
         figures --features seeded-defects`.**"
    );
}

/// The seeded defects served by `review-spec serve --defect NAME`: their names and commands
/// (none without the `seeded-defects` feature).
fn served_defects() -> Vec<(String, String)> {
    #[cfg(feature = "seeded-defects")]
    return DEFECTS
        .iter()
        .map(|defect| {
            (
                format!("review-spec serve --defect {defect}"),
                format!("'{}' serve --defect {defect}", binary()),
            )
        })
        .collect();
    #[cfg(not(feature = "seeded-defects"))]
    Vec::new()
}
