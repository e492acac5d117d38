//! Tests of the generators themselves: coverage of the vocabulary, shape of the streams,
//! round trips through traces, swarm restrictions, the fuzz entry point, and shrinking. Seeds
//! are fixed, so every figure printed here is reproducible.

/// Chaos operations on small hand-written streams.
mod chaos;
/// What a set of cases exercised; every part of the vocabulary is generated.
mod coverage;
/// The far corners of the input space, reached by both generators.
mod reach;
/// Rendered scenarios: request numbering, fan-out, late bindings, negative copies.
mod scenario;
/// Shrinking ends on a small case.
mod shrinking;
/// The runner, the samples drawn once, and a byte source, shared by the files above.
mod support;
/// Swarm configurations: fact kinds, features, id ranges, clocks.
mod swarm;
/// Cases as traces: round trips and the printed form.
mod trace;
/// The fuzz entry point, from arbitrary bytes.
mod unstructured;
