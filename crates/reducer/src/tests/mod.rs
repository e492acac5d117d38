//! Unit tests of the reducer on examples from `spec/rules.md`, through its public API, plus the
//! memory bound under a hostile stream. Traces and expected outputs are written as JSON, as in
//! `spec/vectors/`, so a case reads like the spec; absent optional fields are null.
//!
//! - `reviews`: what a review and its item say (ID, GRANT, DEDUP, GUARD, SUM, ISO examples).
//! - `lifecycle`: when state opens, closes, is released or evicted (TURN, CAP, LIFE, DEC, TIME
//!   examples).
//! - `bounds`: the memory bound under hostile and churning streams (CAP-1, the TURN-1 index).
//! - `stress`: colliding streams keep FATE-1 and CAP-1, with and without each seeded defect.
//! - `streams`: the hostile and colliding fact streams `bounds` and `stress` draw from.
//! - `support`: JSON traces and expected outputs, and the context most examples start from.

mod bounds;
mod lifecycle;
mod reviews;
mod streams;
mod stress;
mod support;
