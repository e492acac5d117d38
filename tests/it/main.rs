//! The one integration test binary. Each module holds one kind of test.

// Conformance vectors of spec/vectors/ run through the model (and the reducer).
mod vectors;

// Every rule ID is traced: spec ↔ model ↔ vectors.
mod traceability;

// Malformed traces and vector files give positioned errors, never panics.
mod trace_errors;

// The JSON Schemas of spec/schema/ are generated and current.
mod schema;
