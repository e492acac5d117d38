//! The performance figures of `docs/performance.md`, measured in one run and printed as tables:
//! medians within the run and ratios, never absolute thresholds (the machines are shared and
//! noisy). `cargo bench --bench figures --features seeded-defects` (about five minutes; name
//! sections after `--` to run only those, `-- process_subjects`).
//!
//! 1. Reducer and model throughput on the same realistic 1 M-fact stream, and their ratio.
//! 2. Harness throughput on 64-fact cases, split into generation, model, reducer and diff.
//! 3. Live state after 1 M and 10 M facts of a realistic and of a hostile stream.
//! 4. Allocations per fact (a counting allocator): all facts, and facts that produce no output.
//! 5. `check`'s scaling: cases/s with 1 and 2 jobs, and their ratio.
//! 6. Process subjects (`process_subjects.rs`): the Python subject and `review-spec serve`, each
//!    on its own and inside `check`; the time to a confirmed, shrunk counterexample.

#[path = "../common/mod.rs"]
mod common;
mod process_subjects;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting allocations per thread (no shared counter, so the jobs of the
/// scaling figure do not contend on it).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is passed to the system allocator unchanged; the count is a thread-local
// cell with a const initializer, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations (and reallocations) made by this thread so far.
fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

use review_spec_vocab::profile::Profile;
use std::hint::black_box;
use std::time::Instant;

use review_spec::diff::first_divergence;
use review_spec_generators::stream;
use review_spec_model as model;
use review_spec_reducer::Reducer;
use review_spec_vocab::event::Limits;
use review_spec_vocab::fact::Fact;

const REDUCER_RUNS: usize = 7;
const MODEL_RUNS: usize = 3;
const HARNESS_BATCHES: usize = 5;
const HARNESS_BATCH_CASES: usize = 2_000;

fn main() {
    // `cargo bench` passes `--bench`; other arguments choose sections by name
    // (`cargo bench --bench figures -- process_subjects`), none means all.
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let sections: [(&str, fn()); 6] = [
        ("throughput", throughput),
        ("harness", harness),
        ("live_state", live_state),
        ("allocations_per_fact", allocations_per_fact),
        ("check_scaling", check_scaling),
        ("process_subjects", process_subjects::figures),
    ];
    println!("# review-spec performance figures\n");
    println!("machine: {} cores, {}", cores(), cpu_model());
    for (name, section) in sections {
        if wanted.is_empty() || wanted.iter().any(|w| name.contains(w.as_str())) {
            section();
        }
    }
}

fn throughput() {
    let started = Instant::now();
    let facts = common::realistic_stream(1, common::STREAM_FACTS);
    let generation_s = started.elapsed().as_secs_f64();
    let limits = Limits::default();
    let reducer_rates: Vec<f64> = (0..REDUCER_RUNS)
        .map(|_| {
            let started = Instant::now();
            black_box(reduce_stream(&facts, limits));
            facts.len() as f64 / started.elapsed().as_secs_f64()
        })
        .collect();
    let model_rates: Vec<f64> = (0..MODEL_RUNS)
        .map(|_| {
            let started = Instant::now();
            black_box(model::reduce(&facts, &limits, &Profile::SPEC).len());
            facts.len() as f64 / started.elapsed().as_secs_f64()
        })
        .collect();
    let reducer = common::median(reducer_rates.clone());
    let model = common::median(model_rates.clone());
    println!(
        "\n## Throughput on the realistic stream ({} facts, generated in {generation_s:.2} s)\n",
        facts.len()
    );
    println!("| subject | runs | median facts/s | min | max |");
    println!("|---|---|---|---|---|");
    for (name, rates) in [("reducer", &reducer_rates), ("model", &model_rates)] {
        let min = rates.iter().copied().fold(f64::INFINITY, f64::min);
        let max = rates.iter().copied().fold(0.0, f64::max);
        println!(
            "| {name} | {} | {} | {} | {} |",
            rates.len(),
            si(common::median(rates.clone())),
            si(min),
            si(max)
        );
    }
    println!(
        "\nreducer / model ratio (medians, same stream, same run): {:.1}x",
        reducer / model
    );
}

/// The production reducer over a whole stream, outputs dropped as they come (as
/// `examples/reducer_profile.rs` does); returns how many there were. Not inlined, so that what is
/// timed is this loop alone, compiled the same way whatever the caller.
#[inline(never)]
fn reduce_stream(facts: &[Fact], limits: Limits) -> usize {
    let mut reducer = Reducer::new(limits);
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

fn harness() {
    let mut runner = common::runner(7);
    let mut byte_seed = 0x5eed_u64;
    let mut stages: [Vec<f64>; 7] = Default::default();
    for _ in 0..HARNESS_BATCHES {
        let timed = |work: &mut dyn FnMut()| {
            let started = Instant::now();
            work();
            started.elapsed().as_secs_f64()
        };
        let mut cases = Vec::new();
        let generate = timed(&mut || {
            cases = (0..HARNESS_BATCH_CASES)
                .map(|_| common::case_64(&mut runner))
                .collect();
        });
        let generate_bytes = timed(&mut || {
            let byte_cases: Vec<_> = (0..HARNESS_BATCH_CASES)
                .map(|_| common::case_64_from_seed(&mut byte_seed))
                .collect();
            black_box(byte_cases);
        });
        let model = timed(&mut || {
            for case in &cases {
                black_box(model::reduce_with_hits(
                    &case.facts,
                    &case.limits,
                    &Profile::SPEC,
                ));
            }
        });
        let reducer = timed(&mut || {
            for case in &cases {
                black_box(Reducer::new(case.limits).ingest_all(&case.facts));
            }
        });
        let diff = timed(&mut || {
            for case in &cases {
                let mut reducer = Reducer::new(case.limits);
                let divergence =
                    first_divergence(&mut reducer, &case.facts, &case.limits, &Profile::SPEC);
                assert!(
                    matches!(divergence, Ok(None)),
                    "the reducer diverges from the model"
                );
            }
        });
        let seconds = [
            generate,
            generate_bytes,
            model,
            reducer,
            diff,
            generate + diff,
            generate_bytes + diff,
        ];
        for (stage, seconds) in stages.iter_mut().zip(seconds) {
            stage.push(HARNESS_BATCH_CASES as f64 / seconds);
        }
    }
    println!(
        "\n## Harness throughput on {}-fact cases ({HARNESS_BATCHES} batches of {HARNESS_BATCH_CASES}; medians)\n",
        common::CASE_FACTS
    );
    println!("| stage | cases/s |");
    println!("|---|---|");
    let names = [
        "generation, proptest strategy (shrinkable)",
        "generation, from seeds (as `check` draws)",
        "model (reduce_with_hits, as check runs it)",
        "reducer",
        "diff (model + reducer + compare)",
        "end to end, proptest generation + diff",
        "end to end, seeded generation + diff (`check`)",
    ];
    for (name, rates) in names.iter().zip(stages) {
        println!("| {name} | {} |", si(common::median(rates)));
    }
}

fn live_state() {
    println!(
        "\n## Live state (entries held by the reducer; table_entries_max = {})\n",
        Limits::default().table_entries_max
    );
    println!("| stream | after 1 M facts | after 10 M facts | max over the run | outputs |");
    println!("|---|---|---|---|---|");
    for (name, facts) in [
        (
            "realistic (every turn ends)",
            Box::new(stream::realistic(2)) as Box<dyn Iterator<Item = Fact>>,
        ),
        ("lossy (some turns never end)", Box::new(stream::lossy(2))),
        ("hostile (nothing ever ends)", Box::new(stream::hostile(2))),
    ] {
        let mut reducer = Reducer::new(Limits::default());
        let mut outputs = Vec::new();
        let (mut at_1m, mut max, mut emitted) = (0, 0, 0usize);
        for (index, fact) in facts.take(10_000_000).enumerate() {
            outputs.clear();
            reducer.ingest(&fact, &mut outputs);
            emitted += outputs.len();
            max = max.max(reducer.live_entries());
            if index + 1 == 1_000_000 {
                at_1m = reducer.live_entries();
            }
        }
        println!(
            "| {name} | {at_1m} | {} | {max} | {emitted} |",
            reducer.live_entries()
        );
    }
}

fn allocations_per_fact() {
    let facts = common::realistic_stream(3, common::STREAM_FACTS);
    let limits = Limits::default();
    let mut reducer = Reducer::new(limits);
    let mut outputs = Vec::new();
    // Warm up the tables and the output buffer, then count over the whole stream.
    for fact in facts.iter().take(100_000) {
        outputs.clear();
        reducer.ingest(fact, &mut outputs);
    }
    let mut reducer = Reducer::new(limits);
    let (mut all, mut silent, mut silent_facts, mut noisy, mut noisy_facts) = (0, 0, 0u64, 0, 0u64);
    for fact in &facts {
        outputs.clear();
        let before = allocations();
        reducer.ingest(fact, &mut outputs);
        let made = allocations() - before;
        all += made;
        if outputs.is_empty() {
            silent += made;
            silent_facts += 1;
        } else {
            noisy += made;
            noisy_facts += 1;
        }
    }
    let before = allocations();
    black_box(model::reduce(&facts, &limits, &Profile::SPEC).len());
    let model = allocations() - before;
    let per = |count: u64, of: u64| count as f64 / of.max(1) as f64;
    let total = facts.len() as u64;
    println!(
        "\n## Allocations per fact (realistic stream, {} facts)\n",
        facts.len()
    );
    println!("| subject | facts | allocations per fact |");
    println!("|---|---|---|");
    println!("| reducer, every fact | {total} | {:.2} |", per(all, total));
    println!(
        "| reducer, facts with no output | {silent_facts} | {:.2} |",
        per(silent, silent_facts)
    );
    println!(
        "| reducer, facts with outputs | {noisy_facts} | {:.2} |",
        per(noisy, noisy_facts)
    );
    println!("| model, every fact | {total} | {:.2} |", per(model, total));
}

fn check_scaling() {
    use review_spec::check::{CheckOptions, Seed, run_check};
    use review_spec::subject::Subject;

    const CASES: u64 = 20_000;
    const RUNS: usize = 3;
    let make = || Ok(Box::new(Reducer::new(Limits::default())) as Box<dyn Subject>);
    let rate = |jobs: usize| {
        let seed = Seed::parse("1").unwrap_or_else(|error| panic!("{error}"));
        let mut options = CheckOptions::new(seed, CASES);
        options.jobs = jobs;
        let started = Instant::now();
        let summary = run_check(&make, &options, &mut |_| {});
        let summary = summary.unwrap_or_else(|error| panic!("{error}"));
        assert!(summary.failures.is_empty(), "{}", summary.to_text());
        CASES as f64 / started.elapsed().as_secs_f64()
    };
    // Alternate the job counts so that noise hits both alike.
    let (mut one, mut two) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        one.push(rate(1));
        two.push(rate(2));
    }
    let (one, two) = (common::median(one), common::median(two));
    println!("\n## `check` scaling (built-in reducer, {CASES} cases, medians of {RUNS} runs)\n");
    println!("| jobs | cases/s |");
    println!("|---|---|");
    println!("| 1 | {} |", si(one));
    println!("| 2 | {} |", si(two));
    println!("\n2 jobs / 1 job: {:.2}x (on {} cores)", two / one, cores());
}

fn si(rate: f64) -> String {
    if rate >= 1e6 {
        format!("{:.2} M", rate / 1e6)
    } else if rate >= 1e3 {
        format!("{:.1} k", rate / 1e3)
    } else {
        format!("{rate:.0}")
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}
