//! The one way the `cli` tests start the binary: [`run`] (or [`review_spec`] for the few runs
//! that need another folder, a redirected stdout, a time limit, a memory limit, or the process
//! itself while it runs), giving a [`Run`]: the exit code, stdout and stderr.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The crate's root: where every run starts unless told otherwise.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh folder for one test's files.
pub fn scratch(name: &str) -> PathBuf {
    crate::support::scratch(&format!("cli-{name}"))
}

pub const PYTHON_SUBJECT: &str = "python3 examples/python/subject.py";
pub const BROKEN_SUBJECT: &str = "python3 examples/python/broken_subject.py";

/// Runs the built binary in the crate's root with `args` and stdin closed.
pub fn run(args: &[&str]) -> Run {
    review_spec(args).run()
}

/// `check --cases CASES --seed SEED --out OUT --subject-cmd SUBJECT` and then `extra`: the
/// run most `check` tests make, in the crate's root.
pub fn check(cases: &str, seed: &str, out: &Path, subject: &str, extra: &[&str]) -> Run {
    let out = out.display().to_string();
    let mut args = vec![
        "check",
        "--cases",
        cases,
        "--seed",
        seed,
        "--out",
        &out,
        "--subject-cmd",
        subject,
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// A run of the built binary (`CARGO_BIN_EXE_review-spec`, never `cargo run`) to set up, then
/// [`ReviewSpec::run`] or [`ReviewSpec::spawn`]. By default: in the crate's root, stdin closed,
/// stdout and stderr captured, no time or memory limit.
pub fn review_spec(args: &[&str]) -> ReviewSpec {
    ReviewSpec {
        args: args.iter().map(|arg| (*arg).to_owned()).collect(),
        dir: root().to_path_buf(),
        stdin: None,
        stdout: None,
        stderr: None,
        within: None,
        memory_kb: None,
    }
}

/// A run to set up: see [`review_spec`].
pub struct ReviewSpec {
    args: Vec<String>,
    dir: PathBuf,
    stdin: Option<Stdio>,
    stdout: Option<Stdio>,
    stderr: Option<Stdio>,
    within: Option<Duration>,
    memory_kb: Option<u64>,
}

impl ReviewSpec {
    /// Runs in `dir` instead of the crate's root.
    pub fn current_dir(mut self, dir: &Path) -> Self {
        self.dir = dir.to_path_buf();
        self
    }

    /// Reads stdin from the file `from` instead of a closed stdin.
    pub fn stdin_file(mut self, from: &Path) -> Self {
        self.stdin = Some(std::fs::File::open(from).expect("the input file").into());
        self
    }

    /// Sends stdout to `to` (a file, `/dev/full`, `Stdio::null()`) instead of capturing it.
    pub fn stdout(mut self, to: impl Into<Stdio>) -> Self {
        self.stdout = Some(to.into());
        self
    }

    /// Sends stderr to `to` instead of capturing it.
    pub fn stderr(mut self, to: impl Into<Stdio>) -> Self {
        self.stderr = Some(to.into());
        self
    }

    /// Kills the run and fails the test when it still runs after `limit`: an input that blocks
    /// it forever fails the test instead of hanging it.
    pub fn within(mut self, limit: Duration) -> Self {
        self.within = Some(limit);
        self
    }

    /// Runs under `ulimit -v kb` (through `sh`), so that unbounded reading fails instead of
    /// swapping.
    pub fn memory_limit_kb(mut self, kb: u64) -> Self {
        self.memory_kb = Some(kb);
        self
    }

    /// Starts the run and hands back the process, for a test that acts on it while it runs.
    pub fn spawn(self) -> Running {
        let binary = env!("CARGO_BIN_EXE_review-spec");
        let mut command = match self.memory_kb {
            None => Command::new(binary),
            Some(kb) => {
                let mut shell = Command::new("sh");
                shell.args(["-c", &format!("ulimit -v {kb}; exec \"$0\" \"$@\""), binary]);
                shell
            }
        };
        let child = command
            .args(&self.args)
            .current_dir(&self.dir)
            .stdin(self.stdin.unwrap_or_else(Stdio::null))
            .stdout(self.stdout.unwrap_or_else(Stdio::piped))
            .stderr(self.stderr.unwrap_or_else(Stdio::piped))
            .spawn()
            .expect("run review-spec");
        Running {
            child,
            args: self.args,
            within: self.within,
        }
    }

    /// Runs to the end and gives its exit code and output.
    pub fn run(self) -> Run {
        self.spawn().finish()
    }
}

/// A started run: see [`ReviewSpec::spawn`].
pub struct Running {
    pub child: Child,
    args: Vec<String>,
    within: Option<Duration>,
}

impl Running {
    /// Waits for the end (killing the run and failing the test past its time limit) and gives
    /// its exit code and whatever it wrote to the captured streams.
    pub fn finish(mut self) -> Run {
        // Read both pipes while it runs, so that a run writing more than a pipe holds ends.
        let readers = [
            self.child
                .stdout
                .take()
                .map(|pipe| Box::new(pipe) as Box<dyn std::io::Read + Send>),
            self.child
                .stderr
                .take()
                .map(|pipe| Box::new(pipe) as Box<dyn std::io::Read + Send>),
        ]
        .map(|pipe| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    pipe.read_to_end(&mut bytes).expect("read the run's output");
                }
                bytes
            })
        });
        let status = match self.within {
            None => self.child.wait().expect("wait for review-spec"),
            Some(limit) => {
                let started = Instant::now();
                loop {
                    if let Some(status) = self.child.try_wait().expect("wait") {
                        break status;
                    }
                    if started.elapsed() > limit {
                        let _ = self.child.kill();
                        let _ = self.child.wait();
                        panic!(
                            "review-spec {:?} still runs after {} s",
                            self.args,
                            limit.as_secs()
                        );
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        };
        let [stdout, stderr] = readers.map(|reader| reader.join().expect("a reader thread"));
        Run::of(
            self.args,
            Output {
                status,
                stdout,
                stderr,
            },
        )
    }
}

/// A finished run: its arguments, exit code (None when killed by a signal) and output.
pub struct Run {
    pub args: Vec<String>,
    pub code: Option<i32>,
    /// Stdout as text (invalid UTF-8 replaced); [`Run::stdout_bytes`] holds it as written.
    pub stdout: String,
    /// Stderr as text (invalid UTF-8 replaced).
    pub stderr: String,
    stdout_bytes: Vec<u8>,
}

impl Run {
    fn of(args: Vec<String>, output: Output) -> Run {
        Run {
            args,
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            stdout_bytes: output.stdout,
        }
    }

    /// Stdout exactly as written.
    pub fn stdout_bytes(&self) -> &[u8] {
        &self.stdout_bytes
    }

    /// Checks that the run exited with `code`, showing its output when not.
    #[track_caller]
    pub fn exits(self, code: i32) -> Run {
        assert_eq!(
            self.code,
            Some(code),
            "review-spec {:?}\nstdout:\n{}\nstderr:\n{}",
            self.args,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Stdout as one JSON value (failing the test when it is not one).
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout_bytes).unwrap_or_else(|error| {
            panic!(
                "stdout is not one JSON value ({error}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs the binary with `args` and checks that it is a usage error (exit 2) whose message on
/// stderr contains `text`.
#[track_caller]
pub fn usage_error_says(args: &[&str], text: &str) {
    let output = run(args).exits(2);
    assert!(output.stderr.contains(text), "{}", output.stderr);
}

/// The GRANT-1 vector's first case as a trace, its first fact (an `initialize`, which changes
/// nothing when repeated) repeated `filler` more times first.
pub fn grant_1_trace(dir: &Path, filler: usize) -> PathBuf {
    let file = review_spec_vocab::trace::read_vector_file(
        &root().join("spec/vectors/grant/grant-1-empty-grant-denied.json"),
    )
    .expect("the vector loads");
    let case = &file.cases[0];
    let mut facts = vec![case.facts[0].clone(); filler];
    facts.extend(case.facts.iter().cloned());
    let trace = review_spec_vocab::trace::Trace {
        limits: case.limits,
        profile: review_spec_vocab::profile::Profile::SPEC,
        facts,
    };
    let path = dir.join(format!("grant-1-{filler}.jsonl"));
    std::fs::write(&path, review_spec_vocab::trace::write_trace(&trace)).expect("write the trace");
    path
}
