//! Traces and conformance vectors: reading, writing, and errors that say where.
//!
//! A **trace** is JSON Lines: a header line `{"review_spec_trace": 1, "limits": {...}}`, then one
//! fact per line. Blank lines are allowed and carry nothing. A **vector file** is one JSON object
//! `{"cases": [...]}`; each case holds facts in and the expected outputs out (see
//! `spec/vectors/README.md`). A malformed line or case is an error naming the source, line,
//! column (in bytes), fact index and what was expected, quoting at most [`EXCERPT_CHARS`]
//! characters of the input; nothing is returned half-applied. Nothing here panics on any input.
//!
//! Traces stream: [`TraceReader`] reads the header, then one fact per line from any `BufRead`,
//! holding one line at a time; a line longer than its `max_line_bytes`
//! ([`DEFAULT_MAX_LINE_BYTES`] unless told otherwise) is refused as soon as the limit is passed,
//! so an endless line (`/dev/zero`) costs no more than the limit. A vector file is one JSON
//! document and is read whole, up to [`DEFAULT_MAX_FILE_BYTES`] unless told otherwise.
//!
//! One concern per file: `format` holds the documents and their versions, `reader` reads traces,
//! `vector_reader` reads vector files, `writer` writes both, and `error` says what went wrong and
//! where. Every item is re-exported here, as `trace::X`.

mod error;
mod format;
mod reader;
mod vector_reader;
mod writer;

pub use error::{EXCERPT_CHARS, TraceError, excerpt, misplaced_array, shorten};
pub use format::{
    Expectation, HistoryTrace, TRACE_FORMAT_VERSION, Trace, TraceHeader, UpstreamExpectation,
    VECTOR_FORMAT_VERSION, VectorCase, VectorFile, limits_problem,
};
pub use reader::{
    DEFAULT_MAX_LINE_BYTES, LineRead, TraceReader, parse_fact_line, parse_trace, parse_trace_bytes,
    parse_trace_named, read_line_bounded, read_trace,
};
pub use vector_reader::{
    DEFAULT_MAX_FILE_BYTES, parse_vector_bytes, parse_vector_file, read_vector_file,
    read_vector_file_limited,
};
pub use writer::{write_trace, write_vector_file};
