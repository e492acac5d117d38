//! Writes one long trace to stdout, for the memory and time figures of `docs/performance.md`:
//!
//! ```sh
//! cargo run --release --example long_trace -- realistic 10000000 > /tmp/realistic-10m.jsonl
//! cargo run --release --example long_trace -- requests 5000000 18446744073709551615 > /tmp/hostile-5m.jsonl
//! ```
//!
//! Kinds: `realistic` (`generators::stream::realistic`: coherent scenarios, every turn ends),
//! `hostile` (`generators::stream::hostile`: never-repeating ids, nothing answered or ended),
//! `requests` (one connection and thread, then permission requests that are never answered, in
//! one turn that never ends), `requests-in-turns` (the same, a turn ending every 64 requests).
//! The optional third argument is the header's `table_entries_max` (default 4096).

use std::io::Write as _;
use std::process::ExitCode;

use review_spec_generators::stream;
use review_spec_vocab::event::Limits;
use review_spec_vocab::trace::{TRACE_FORMAT_VERSION, TraceHeader};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(kind), Some(Ok(facts))) = (args.first(), args.get(1).map(|n| n.parse::<usize>()))
    else {
        eprintln!("usage: long_trace KIND FACTS [TABLE_ENTRIES_MAX]");
        return ExitCode::FAILURE;
    };
    let table_entries_max = match args.get(2).map(|n| n.parse::<usize>()) {
        None => Limits::DEFAULT_TABLE_ENTRIES_MAX,
        Some(Ok(max)) => max,
        Some(Err(error)) => {
            eprintln!("long_trace: TABLE_ENTRIES_MAX: {error}");
            return ExitCode::FAILURE;
        }
    };
    let header = TraceHeader {
        review_spec_trace: TRACE_FORMAT_VERSION,
        limits: Limits { table_entries_max },
        profile: Default::default(),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut write = |line: String| writeln!(out, "{line}").is_ok();
    let mut ok = write(json(&header));
    let lines: Box<dyn Iterator<Item = String>> = match kind.as_str() {
        "realistic" => Box::new(stream::realistic(1).map(|fact| json(&fact))),
        "hostile" => Box::new(stream::hostile(1).map(|fact| json(&fact))),
        "requests" => Box::new(requests(None)),
        "requests-in-turns" => Box::new(requests(Some(64))),
        other => {
            eprintln!("long_trace: unknown kind {other}");
            return ExitCode::FAILURE;
        }
    };
    for line in lines.take(facts) {
        ok = ok && write(line);
        if !ok {
            break;
        }
    }
    if ok && out.flush().is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A connection and a thread, then never-answered permission requests; a turn ends after every
/// `turn_length` requests, or never.
fn requests(turn_length: Option<u64>) -> impl Iterator<Item = String> {
    let start = [
        r#"{"type":"initialize","connection_id":1,"app_server_client":{"product_client_id":"codex_tui","client_name":"codex-tui","client_version":"0.40.0","rpc_transport":"stdio","experimental_api_enabled":false},"runtime":{"codex_rs_version":"0.40.0","runtime_os":"linux","runtime_os_version":"6.8","runtime_arch":"x86_64"}}"#.to_owned(),
        r#"{"type":"thread_bound","connection_id":1,"thread_id":"t1","binding":"started","thread_source":"user","subagent_source":null,"parent_thread_id":null}"#.to_owned(),
    ];
    let mut request = 0u64;
    let mut turn = 0u64;
    let body = std::iter::from_fn(move || {
        if let Some(length) = turn_length
            && request > 0
            && request.is_multiple_of(length)
            && request / length > turn
        {
            turn += 1;
            return Some(format!(
                r#"{{"type":"turn_completed","thread_id":"t1","turn_id":"u{}","completed_at_ms":{request}}}"#,
                turn - 1
            ));
        }
        request += 1;
        Some(format!(
            r#"{{"type":"permissions_request","connection_id":1,"request_id":{request},"thread_id":"t1","turn_id":"u{turn}","item_id":"i{request}","started_at_ms":{request},"permissions":{{"network":{{"enabled":true}},"file_system":null}}}}"#
        ))
    });
    start.into_iter().chain(body)
}

/// A value as one JSON line.
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
