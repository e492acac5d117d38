//! The one integration test binary. Each module holds one kind of test.

// Conformance vectors of spec/vectors/ run through the model (and the reducer).
mod vectors;
