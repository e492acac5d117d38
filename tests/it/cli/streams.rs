//! Files and streams: a closed or full stdout, files written atomically (never through a
//! symlink, never half a trace on an interrupt), FIFOs and endless inputs refused, and the
//! README's memory figure measured.

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::runner::{review_spec, root, run, scratch};

#[test]
fn a_closed_or_full_stdout_ends_the_run_quietly_and_never_panics() {
    // `schema --json` writes more than a pipe holds (64 KiB): the reader closes after one byte.
    let mut running = review_spec(&["schema", "--json"]).spawn();
    let mut pipe = running.child.stdout.take().expect("stdout");
    let mut first = [0u8; 1];
    pipe.read_exact(&mut first).expect("one byte");
    drop(pipe);
    let closed = running.finish().exits(141);
    assert_eq!(closed.stderr, "", "a closed pipe ends the run quietly");
    // A full device: the run says so and exits 2, on the success path and on the error path.
    for args in [
        &["vectors", "spec/vectors/grant", "--json"][..],
        &["schema"],
        &["replay", "no-such-trace.jsonl", "--json"],
        &["explain", "spec/vectors/grant/grant-3-emptiness.json"],
        &[
            "explain",
            "spec/vectors/grant/grant-3-emptiness.json",
            "--json",
        ],
    ] {
        let full = std::fs::File::create("/dev/full").expect("/dev/full");
        let output = review_spec(args).stdout(full).run().exits(2);
        let text = &output.stderr;
        assert!(!text.contains("panicked"), "{args:?}: {text}");
        assert!(
            text.contains("cannot write to standard output: No space left on device"),
            "{args:?}: {text}"
        );
    }
}

/// `--help` and `--version` written to a full disk are an error (exit 2), as every other write
/// to stdout is.
#[test]
fn help_to_a_full_device_is_an_error() {
    for flag in ["--help", "--version"] {
        let output = review_spec(&[flag])
            .stdout(std::fs::File::create("/dev/full").expect("open /dev/full"))
            .run()
            .exits(2);
        assert!(
            output.stderr.contains("cannot write to standard output"),
            "{}",
            output.stderr
        );
    }
}

#[test]
fn written_files_replace_a_symlink_instead_of_writing_through_it_and_leave_no_temporary() {
    let out = scratch("atomic-out");
    let outside = scratch("atomic-outside");
    std::fs::create_dir_all(&out).expect("out");
    std::fs::create_dir_all(&outside).expect("outside");
    let target = outside.join("precious.jsonl");
    std::fs::write(&target, "precious\n").expect("target");
    std::os::unix::fs::symlink(&target, out.join("case-00000.jsonl")).expect("symlink");
    let out_text = out.display().to_string();
    run(&[
        "generate", "--cases", "3", "--seed", "1", "--out", &out_text,
    ])
    .exits(0);
    assert_eq!(
        std::fs::read_to_string(&target).expect("target"),
        "precious\n",
        "the symlink's target is untouched"
    );
    let written = out.join("case-00000.jsonl");
    assert!(!written.is_symlink(), "the symlink is replaced by the file");
    review_spec_vocab::trace::read_trace(&written).expect("a whole trace");
    let names: Vec<String> = std::fs::read_dir(&out)
        .expect("out")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names.len(), 3, "three traces and nothing else: {names:?}");
}

#[test]
fn an_interrupted_generate_leaves_only_whole_traces() {
    let out = scratch("interrupted");
    let out_text = out.display().to_string();
    let mut running = review_spec(&[
        "generate", "--cases", "100000", "--seed", "2", "--out", &out_text,
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn();
    // Interrupt once some traces are written (at most one more entry is a temporary).
    let started = std::time::Instant::now();
    while std::fs::read_dir(&out).map_or(0, Iterator::count) < 21
        && started.elapsed() < Duration::from_secs(30)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let interrupted = Command::new("kill")
        .args(["-INT", &running.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(interrupted.success());
    running.child.wait().expect("wait");
    let mut traces = 0;
    for entry in std::fs::read_dir(&out).expect("out") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with(".review-spec-") {
            continue; // a temporary, never a trace's name
        }
        let trace = review_spec_vocab::trace::read_trace(&path);
        assert!(trace.is_ok(), "{name} is a partial trace: {trace:?}");
        traces += 1;
    }
    assert!(traces >= 20, "{traces} traces before the interrupt");
}

/// A FIFO at `path` that no process writes to.
fn fifo(path: &Path) -> String {
    let made = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(made.success(), "mkfifo {}", path.display());
    path.display().to_string()
}

/// Every input file is read through one bounded reader: a FIFO with no writer is an error at
/// once, not a run that blocks forever (`replay`, `explain`, `vectors`, `merge`). Each run is
/// killed (and the test failed) after 10 s.
#[test]
fn a_fifo_with_no_writer_never_blocks_a_command() {
    let dir = scratch("fifo");
    let trace = fifo(&dir.join("trace.jsonl"));
    let vectors_dir = dir.join("vectors");
    std::fs::create_dir_all(&vectors_dir).expect("a folder");
    let vector = fifo(&vectors_dir.join("v.json"));
    let summary = fifo(&dir.join("shard.json"));
    let vectors_dir = vectors_dir.display().to_string();
    for args in [
        vec!["replay", trace.as_str()],
        vec!["explain", trace.as_str()],
        vec!["replay", vector.as_str()],
        vec!["vectors", vectors_dir.as_str()],
        vec!["merge", summary.as_str()],
    ] {
        let output = review_spec(&args)
            .within(Duration::from_secs(10))
            .run()
            .exits(2);
        assert!(
            output.stderr.contains("not a regular file"),
            "{args:?}: {}",
            output.stderr
        );
    }
}

/// `merge` reads a summary through the bounded reader: `/dev/zero` is refused at the limit, not
/// read until memory runs out (the run is capped at 4 GB, so the old behaviour fails, not
/// swaps).
#[test]
fn merge_of_an_endless_input_is_refused_at_the_file_limit() {
    let output = review_spec(&["merge", "/dev/zero"])
        .memory_limit_kb(4_000_000)
        .run()
        .exits(2);
    assert!(
        output.stderr.contains("/dev/zero: not a regular file")
            || output.stderr.contains("larger than"),
        "{}",
        output.stderr
    );
}

/// The README's "about N bytes per entry" that a huge `table_entries_max` holds, measured: the
/// peak resident memory of `replay` on 40 k and 120 k never-answered requests in a turn that
/// never ends, per request of the difference, is within a fifth of the figure.
#[test]
fn the_readme_s_bytes_per_held_entry_are_measured() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("the README");
    let stated: f64 = readme
        .split("is held, about ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|number| number.parse().ok())
        .expect("the README states the bytes per entry");
    let dir = scratch("bytes-per-entry");
    let peak = |requests: usize| {
        let trace = dir.join(format!("never-{requests}.jsonl"));
        let mut text = String::from(
            "{\"review_spec_trace\": 2, \"limits\": {\"table_entries_max\": 18446744073709551615}}\n\
             {\"type\": \"thread_bound\", \"connection_id\": 1, \"thread_id\": \"t1\", \"binding\": \"started\"}\n",
        );
        for id in 0..requests {
            text.push_str(&format!(
                "{{\"type\": \"permissions_request\", \"connection_id\": 1, \"request_id\": {id}, \"thread_id\": \"t1\", \"turn_id\": \"u1\", \"item_id\": \"i{id}\", \"started_at_ms\": 1000, \"permissions\": {{\"network\": {{\"enabled\": true}}, \"file_system\": null}}}}\n"
            ));
        }
        std::fs::write(&trace, text).expect("write the trace");
        let mut running = review_spec(&["replay", &trace.display().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = &mut running.child;
        // The state only grows: the last reading before the exit is the peak.
        let mut peak_kb = 0u64;
        while child.try_wait().expect("wait").is_none() {
            let status =
                std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
            if let Some(kb) = status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            {
                peak_kb = kb;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        peak_kb as f64 * 1024.0
    };
    let measured = (peak(120_000) - peak(40_000)) / 80_000.0;
    assert!(
        (measured - stated).abs() <= stated / 5.0,
        "the README says about {stated} bytes per entry; measured {measured:.0}"
    );
}
