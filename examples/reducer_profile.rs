//! A fixed workload for profiling the production reducer under callgrind, whose instruction
//! counts are stable on a noisy machine (`docs/performance.md`, "Profile"):
//!
//! ```sh
//! cargo build --release --example reducer_profile
//! valgrind --tool=callgrind --toggle-collect='*reduce_stream*' target/release/examples/reducer_profile 200000
//! perf record -g target/release/examples/reducer_profile 1000000 20   # FACTS [REPEAT]
//! callgrind_annotate --inclusive=yes callgrind.out.<pid> | head -40
//! ```
//!
//! The stream (realistic, seed 1) is generated first, outside the collected function; the
//! reducer then ingests it. Prints the facts, the outputs, and the reducer's speed (facts/s).

use std::hint::black_box;

use review_spec_generators::stream;
use review_spec_reducer::Reducer;
use review_spec_vocab::event::Limits;
use review_spec_vocab::fact::Fact;

#[inline(never)]
fn reduce_stream(facts: &[Fact]) -> usize {
    let mut reducer = Reducer::new(Limits::default());
    let mut outputs = Vec::new();
    let mut emitted = 0;
    for fact in facts {
        outputs.clear();
        reducer.ingest(fact, &mut outputs);
        emitted += outputs.len();
    }
    black_box(reducer.live_entries());
    emitted
}

fn main() {
    let count = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(200_000);
    let facts: Vec<Fact> = stream::realistic(1).take(count).collect();
    // `REPEAT` runs of the reducer over the same facts (default 1), for a profile of the
    // reducer alone (`perf record`); the speed printed is the last run's.
    let repeat: usize = std::env::args()
        .nth(2)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(1);
    for _ in 1..repeat {
        reduce_stream(&facts);
    }
    let started = std::time::Instant::now();
    let emitted = reduce_stream(&facts);
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{count} facts, {emitted} outputs, {:.2} M facts/s",
        count as f64 / seconds / 1e6
    );
}
