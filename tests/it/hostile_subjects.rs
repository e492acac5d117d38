//! Hostile subjects (`yes ''`, `tests/subjects/hostile.py`) against the `review-spec` binary and
//! `ProcessSubject`: a subject that keeps writing, writes an endless line, crashes leaving a
//! grandchild that holds its stdout, or hangs while the tool is interrupted, never keeps the tool
//! running, is reported as what it did (spec/protocol.md, "Limits"), and leaves no process of its
//! group behind.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use review_spec::event::{Limits, Output};
use review_spec::fact::Fact;
use review_spec::profile::Profile;
use review_spec::subject::process::{LINE_BYTES_MAX, lines_per_fact_max};
use review_spec::subject::{ProcessSubject, Stage, Subject, SubjectError};

use crate::support::scratch;

/// How long a run may take to count as ending promptly: the subjects below would keep the tool
/// running forever (or up to a minute) without the limits under test.
const PROMPT: Duration = Duration::from_secs(5);
/// How long a run may take before the test gives up on it (and kills it).
const WATCHDOG: Duration = Duration::from_secs(20);

const HOSTILE: &str = "tests/subjects/hostile.py";

/// A `review-spec` run: its exit code, output and duration.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Run {
    #[track_caller]
    fn check_exit(&self, code: i32) {
        assert_eq!(self.code, Some(code), "{self}");
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code {:?} after {:?}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.took, self.stdout, self.stderr
        )
    }
}

/// Starts the binary in the crate's root with `args`, its stdout and stderr into files of `dir`.
fn start(dir: &Path, args: &[&str]) -> (Child, Instant) {
    let file = |name: &str| fs::File::create(dir.join(name)).expect("create an output file");
    let child = Command::new(env!("CARGO_BIN_EXE_review-spec"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(file("stdout"))
        .stderr(file("stderr"))
        .spawn()
        .expect("run review-spec");
    (child, Instant::now())
}

/// Waits for a run started by [`start`]; past the watchdog, kills it and fails.
fn finish(dir: &Path, (mut child, started): (Child, Instant)) -> Run {
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for review-spec") {
            break status;
        }
        if started.elapsed() > WATCHDOG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("review-spec still runs after {WATCHDOG:?}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    let read = |name: &str| fs::read_to_string(dir.join(name)).unwrap_or_default();
    Run {
        code: status.code(),
        stdout: read("stdout"),
        stderr: read("stderr"),
        took: started.elapsed(),
    }
}

fn review_spec(dir: &Path, args: &[&str]) -> Run {
    finish(dir, start(dir, args))
}

/// `check` against `subject`, counterexamples saved in `dir`, never in the repository.
fn check(dir: &Path, subject: &str) -> Run {
    let out = dir.join("out").display().to_string();
    review_spec(
        dir,
        &[
            "check",
            "--seed",
            "1",
            "--cases",
            "5",
            "--timeout-ms",
            "2000",
            "--out",
            &out,
            "--subject-cmd",
            subject,
        ],
    )
}

#[track_caller]
fn check_prompt(run: &Run) {
    assert!(run.took < PROMPT, "not prompt: {run}");
}

/// The processes (not zombies) with `marker` as one of their arguments (the tool has it only
/// inside its `--subject-cmd`).
fn processes_with(marker: &str) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let has_marker = cmdline
                .split(|byte| *byte == 0)
                .any(|argument| argument == marker.as_bytes());
            has_marker && is_alive(*pid)
        })
        .collect()
}

/// Whether process `pid` exists and is not a zombie (a killed process whose parent has not
/// reaped it yet).
fn is_alive(pid: u32) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // pid (comm) state ...: the state follows the last parenthesis.
    let state = stat.rsplit(')').next().unwrap_or("").trim_start();
    !state.starts_with(['Z', 'X'])
}

/// Fails unless every process whose command line contains `marker` is gone within a second (the
/// kernel takes a moment to end a killed process).
#[track_caller]
fn check_all_gone(marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut left = processes_with(marker);
    while !left.is_empty() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
        left = processes_with(marker);
    }
    assert!(left.is_empty(), "processes left behind: {left:?}");
}

/// Where a hostile subject writes its pids: a path unique to this test process, so that what a
/// failed earlier run left behind (for at most a minute) is not taken for this run's.
fn pid_file(dir: &Path) -> PathBuf {
    dir.join(format!("pids-{}", std::process::id()))
}

/// Waits for the file a hostile subject writes its pids to, and reads them.
fn pids_in(file: &Path) -> Vec<u32> {
    let deadline = Instant::now() + WATCHDOG;
    while !file.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            file.display()
        );
        thread::sleep(Duration::from_millis(10));
    }
    let text = fs::read_to_string(file).expect("read the pid file");
    text.split_whitespace()
        .map(|pid| pid.parse().expect("a pid"))
        .collect()
}

#[test]
fn yes_as_a_subject_is_refused_at_the_header_at_once() {
    let dir = scratch("hostile-yes");
    let run = check(&dir, "yes ''");
    // A subject that fails at the header is a usage error (spec/protocol.md).
    run.check_exit(2);
    check_prompt(&run);
    let limit = lines_per_fact_max(&Limits::default());
    assert!(
        run.stderr.contains(&format!(
            "subject `yes ''` wrote garbage at the protocol header: more than {limit} lines before its acknowledgement"
        )),
        "{run}"
    );
}

#[test]
fn valid_outputs_without_a_delimiter_end_promptly() {
    let dir = scratch("hostile-flood");
    let run = check(&dir, &format!("python3 {HOSTILE} flood"));
    run.check_exit(1);
    check_prompt(&run);
    assert!(
        run.stdout.contains("wrote garbage at fact 0: more than")
            && run.stdout.contains("lines for one fact"),
        "{run}"
    );
}

#[test]
fn an_endless_line_is_a_line_length_error_quoted_by_its_start() {
    let dir = scratch("hostile-long-line");
    let run = check(&dir, &format!("python3 {HOSTILE} long-line"));
    run.check_exit(1);
    check_prompt(&run);
    let excerpt = format!(
        "the line was: {}... (more than {LINE_BYTES_MAX} bytes)",
        "x".repeat(200)
    );
    assert!(
        run.stdout.contains(&format!(
            "wrote garbage at fact 0: a line longer than {LINE_BYTES_MAX} bytes"
        )) && run.stdout.contains(&excerpt),
        "{run}"
    );
    assert!(!run.stdout.contains(&"x".repeat(201)), "{run}");
}

#[test]
fn a_subject_that_keeps_writing_cannot_outrun_the_deadline() {
    // Limits so large that the line budget never ends the flood: only the deadline can.
    let limits = Limits {
        table_entries_max: usize::MAX / 8,
    };
    let timeout = Duration::from_millis(500);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(HOSTILE);
    let mut subject =
        ProcessSubject::new(&format!("python3 '{}' flood", script.display()), timeout)
            .expect("the command line parses");
    subject
        .reset(limits, &Profile::SPEC)
        .expect("the header is acknowledged");
    let fact = Fact::RequestAborted {
        connection_id: 1,
        request_id: 7,
        completed_at_ms: 5,
    };
    // On a thread, so that a subject that outruns the deadline fails the test, not hangs it.
    let (sender, receiver) = std::sync::mpsc::channel();
    let started = Instant::now();
    thread::spawn(move || {
        let mut outputs: Vec<Output> = Vec::new();
        let result = subject.ingest(0, &fact, &mut outputs);
        let _ = sender.send((result, outputs.len()));
    });
    let (result, outputs) = receiver
        .recv_timeout(WATCHDOG)
        .expect("ingest returns before the watchdog");
    let error = result.expect_err("the subject never writes the delimiter");
    assert!(
        matches!(
            error,
            SubjectError::TimedOut {
                at: Stage::Fact(0),
                timeout_ms: 500,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(started.elapsed() < timeout * 4, "{:?}", started.elapsed());
    assert!(outputs > 0, "the subject wrote outputs before the deadline");
}

#[test]
fn a_crash_leaving_a_grandchild_is_a_crash_and_nothing_is_left_behind() {
    let dir = scratch("hostile-crash-orphan");
    let trace = dir.join("trace.jsonl");
    fs::write(
        &trace,
        "{\"review_spec_trace\": 2}\n{\"type\": \"request_aborted\", \"connection_id\": 1, \"request_id\": 7, \"completed_at_ms\": 5}\n",
    )
    .expect("write the trace");
    let pid_file = pid_file(&dir).display().to_string();
    let subject = format!("python3 {HOSTILE} crash-orphan {pid_file}");
    let run = review_spec(
        &dir,
        &[
            "replay",
            &trace.display().to_string(),
            "--subject-cmd",
            &subject,
        ],
    );
    run.check_exit(1);
    // Before the child's exit was polled, this waited for the default timeout (5 s) and
    // reported a hang.
    check_prompt(&run);
    assert!(
        run.stdout
            .contains("crashed at fact 0: exit status: 3; its stderr ended with:\nboom:"),
        "{run}"
    );
    assert!(!run.stdout.contains("timed out"), "{run}");
    let [grandchild] = pids_in(Path::new(&pid_file))[..] else {
        panic!("the pid file holds one pid")
    };
    check_all_gone(&pid_file);
    // A killed process loses its command line before it becomes a zombie: wait for the end.
    let deadline = Instant::now() + Duration::from_secs(1);
    while is_alive(grandchild) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !is_alive(grandchild),
        "the grandchild {grandchild} is alive"
    );
}

/// `check` with a subject that hangs at its first fact with a grandchild, sent `signal`: the tool
/// exits with `code` promptly, and the subject and its grandchild are gone.
fn interrupted(name: &str, signal: Signal, code: i32) {
    let dir = scratch(name);
    let pid_file = pid_file(&dir);
    let marker = pid_file.display().to_string();
    let out = dir.join("out").display().to_string();
    let subject = format!("python3 {HOSTILE} hang-orphan {marker}");
    let started = start(
        &dir,
        &[
            "check",
            "--jobs",
            "1",
            "--timeout-ms",
            "15000",
            "--out",
            &out,
            "--subject-cmd",
            &subject,
        ],
    );
    let tool = Pid::from_raw(i32::try_from(started.0.id()).expect("a pid"));
    let pids = pids_in(&pid_file);
    assert_eq!(pids.len(), 2, "the subject and its grandchild: {pids:?}");
    // The marker finds them: so it is no vacuous check at the end.
    let mut found = processes_with(&marker);
    found.sort_unstable();
    let mut expected = pids.clone();
    expected.sort_unstable();
    assert_eq!(found, expected);
    let signalled = Instant::now();
    kill(tool, signal).expect("signal review-spec");
    let run = finish(&dir, started);
    run.check_exit(code);
    assert!(signalled.elapsed() < Duration::from_secs(3), "{run}");
    assert!(
        run.stderr.contains(&format!(
            "{signal}: killed 1 subject process group; exiting"
        )),
        "{run}"
    );
    check_all_gone(&marker);
}

#[test]
fn sigterm_kills_a_hung_subject_and_its_grandchild_and_exits_143() {
    interrupted("hostile-sigterm", Signal::SIGTERM, 143);
}

#[test]
fn sigint_kills_a_hung_subject_and_its_grandchild_and_exits_130() {
    interrupted("hostile-sigint", Signal::SIGINT, 130);
}
