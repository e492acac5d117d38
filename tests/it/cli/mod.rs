//! The `review-spec` binary, run as a user runs it (the built binary, never `cargo run`), every
//! run through [`runner::run`] or [`runner::review_spec`]:
//!
//! - [`exit_codes`]: usage and input errors exit 2 and say where;
//! - [`check`]: `check`, its `--json` summary, the Python subjects, `--jobs`, `--shard`, `merge`;
//! - [`subjects`]: subjects of protocol 2, hanging, events only, history-dependent, flaky;
//! - [`explain`]: `explain` pinned in `tests/it/expect/` (`UPDATE_EXPECT=1` rewrites it), `--json`;
//! - [`replay`]: `generate` then `replay`, streamed traces, a vector's expected outputs;
//! - [`profiles`]: `--profile upstream` and `--depart`;
//! - [`vectors`]: `vectors` against the Python subject, the bundled vectors from any folder,
//!   `--max-failures`, symlinked folders;
//! - [`schema`]: `schema` equal to `spec/schema/`;
//! - [`serve`]: the built-in reducer as a subject process, through vectors and `check`;
//! - [`shrinking`]: the same counterexample whatever `--window` and `--jobs`, and how many
//!   subject processes a run and a counterexample start;
//! - [`streams`]: closed and full stdout, atomic writes, FIFOs, endless input, memory per entry.

mod runner;

mod check;
mod exit_codes;
mod explain;
mod profiles;
mod replay;
mod schema;
mod serve;
mod shrinking;
mod streams;
mod subjects;
mod vectors;
