//! The one integration test binary. Each module holds one kind of test.

// Helpers shared by the modules below.
mod support;

// Conformance vectors of spec/vectors/ run through the model and the reducer.
mod vectors;

// Every rule ID is traced: spec ↔ model ↔ vectors.
mod traceability;

// The model and the reducer stay independent: no imports, no shared runs of code.
mod independence;

// Malformed traces and vector files give positioned errors, never panics.
mod trace_errors;

// The JSON Schemas of spec/schema/ are generated and current.
mod schema;

// Model vs reducer on generated sequences; failures saved as regression vectors.
mod differential;

// Profiles with departures switched: what the base profiles' vectors cannot pin.
mod profiles;

// Each departure from upstream is named first against a reducer pinned to plain upstream.
mod departures;

// Every departure is discriminated in at least 1 % of generated cases, under both bases.
mod reach;

// Properties of the reducer on its own (dedup, empty grants, network, isolation, conservation).
mod properties;

// The fuzz targets' bodies on seeds, pseudo-random and mutated inputs, and saved crash inputs.
mod fuzz_regressions;

// The seeded-defect catalogue: the harness catches every defect (needs --features seeded-defects).
#[cfg(feature = "seeded-defects")]
mod defects;

// The process protocol's failure modes: crash, hang, garbage, early exit, wrong delimiter.
mod protocol;

// Hostile subjects: endless output, endless lines, orphaned grandchildren, signals to the tool.
mod hostile_subjects;

// The review-spec binary: exit codes, --json, explain pinned, schema, the Python subjects.
mod cli;
