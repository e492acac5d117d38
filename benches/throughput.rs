//! Criterion benchmarks: the production reducer and the reference model on the same realistic
//! 1 M-fact stream (facts/s), and the harness stages on 64-fact cases.
//!
//! `cargo bench --bench throughput`. For the ratio and the other figures in one table, see
//! `benches/figures.rs`.

mod common;

use review_spec_vocab::profile::Profile;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use review_spec::diff::first_divergence;
use review_spec_model as model;
use review_spec_reducer::Reducer;
use review_spec_vocab::event::Limits;

fn stream_throughput(c: &mut Criterion) {
    let facts = common::realistic_stream(1, common::STREAM_FACTS);
    let limits = Limits::default();
    let mut group = c.benchmark_group("stream_1m");
    group.throughput(Throughput::Elements(facts.len() as u64));
    group.sample_size(10);
    group.bench_function("reducer", |b| {
        b.iter(|| {
            let mut reducer = Reducer::new(limits);
            let mut outputs = Vec::new();
            for fact in &facts {
                outputs.clear();
                reducer.ingest(fact, &mut outputs);
            }
            black_box(reducer.live_entries())
        })
    });
    // The model is about 20x slower: a 100 k-fact prefix keeps the run short; facts/s is what
    // compares (figures.rs runs both on the full stream for the ratio).
    let prefix = &facts[..100_000];
    group.throughput(Throughput::Elements(prefix.len() as u64));
    group.bench_function("model_100k_prefix", |b| {
        b.iter(|| black_box(model::reduce(prefix, &limits, &Profile::SPEC).len()))
    });
    group.finish();
}

fn harness_stages(c: &mut Criterion) {
    let mut runner = common::runner(7);
    let mut group = c.benchmark_group("harness_case_64");
    group.throughput(Throughput::Elements(1));
    group.bench_function("generate", |b| {
        b.iter(|| black_box(common::case_64(&mut runner)))
    });
    let mut runner = common::runner(8);
    group.bench_function("model", |b| {
        b.iter_batched(
            || common::case_64(&mut runner),
            |case| {
                black_box(model::reduce_with_hits(
                    &case.facts,
                    &case.limits,
                    &Profile::SPEC,
                ))
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("reducer", |b| {
        b.iter_batched(
            || common::case_64(&mut runner),
            |case| black_box(Reducer::new(case.limits).ingest_all(&case.facts)),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("diff", |b| {
        b.iter_batched(
            || common::case_64(&mut runner),
            |case| {
                black_box(
                    first_divergence(
                        &mut Reducer::new(case.limits),
                        &case.facts,
                        &case.limits,
                        &Profile::SPEC,
                    )
                    .ok(),
                )
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, stream_throughput, harness_stages);
criterion_main!(benches);
