//! The messages of the protocol, either side (`spec/protocol.md`; their schemas are
//! `spec/schema/protocol-*.schema.json`), and how a line the subject writes is read.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::WHAT_CHARS_MAX;
use crate::event::Limits;
use crate::event::{Output, OutputKind};
use crate::fact::Fact;
use crate::profile::Profile;
use crate::shape::Shape;

/// The first line the tool writes: the protocol version, and the limits and profile of the first
/// trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// The protocol version the tool speaks (`PROTOCOL_VERSION`, or 2 for a subject that
    /// answered a version 3 header by exiting).
    pub review_spec_protocol: u32,
    /// The limits of the first trace.
    pub limits: Limits,
    /// The profile of the first trace.
    pub profile: Profile,
}

/// The subject's acknowledgement of the header: the protocol version it speaks, and the output
/// kinds it emits (all three when absent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeaderAck {
    /// The protocol version the subject speaks.
    pub review_spec_protocol: u64,
    /// The output kinds the subject emits; all three when absent.
    #[serde(default)]
    pub emits: Option<Vec<OutputKind>>,
}

/// The line the tool writes between traces: forget everything, these limits from now on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reset {
    /// What the next trace runs under.
    pub reset: ResetBody,
}

/// The body of a [`Reset`] line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetBody {
    /// The limits of the next trace.
    pub limits: Limits,
    /// The profile of the next trace.
    pub profile: Profile,
}

/// One line the subject writes while answering for a fact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectLine {
    /// An output of the fact (boxed: outputs are large, delimiters small).
    Output(Box<Output>),
    /// The delimiter `{"done": N}`: the fact's outputs are complete.
    Done(u64),
    /// A blank line, ignored.
    Blank,
}

/// Reads one line the subject wrote while answering for a fact: an output, the delimiter, or a
/// blank line; anything else is garbage, described by the error.
pub fn parse_subject_line(line: &str) -> Result<SubjectLine, String> {
    let text = line.trim();
    if text.is_empty() {
        return Ok(SubjectLine::Blank);
    }
    // The common case, read once: a line without arrays that is exactly a delimiter or exactly
    // an output. What it accepts, the checks below accept too; anything else goes to them for
    // its verdict and its message.
    if !text.contains('[') {
        if text.starts_with(r#"{"done""#)
            && let Ok(delimiter) = serde_json::from_str::<Delimiter>(text)
        {
            return Ok(SubjectLine::Done(delimiter.done));
        }
        if let Ok(output) = serde_json::from_str::<Output>(text) {
            return Ok(SubjectLine::Output(Box::new(output)));
        }
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|error| format!("not a JSON value ({})", short_error(&error)))?;
    let Some(object) = value.as_object() else {
        return Err(
            "not a JSON object: expected an output {\"event_type\", \"event_params\"} or the delimiter {\"done\": N}"
                .to_owned(),
        );
    };
    if object.contains_key("done") {
        // From the text, not the value: a key given twice ({"done": 0, "done": 0}) is an error
        // there, where the value kept the last.
        return serde_json::from_str::<Delimiter>(text)
            .map(|delimiter| SubjectLine::Done(delimiter.done))
            .map_err(|error| {
                format!(
                    "invalid delimiter: expected exactly {{\"done\": N}}, N the index of the fact ({})",
                    short_error(&error)
                )
            });
    }
    if object.contains_key("event_type") {
        if let Some(extra) = object
            .keys()
            .find(|key| *key != "event_type" && *key != "event_params")
        {
            return Err(format!(
                "invalid output: unexpected key `{extra}`: an output line has exactly the keys event_type and event_params"
            ));
        }
        if let Some(misfit) = output_shape().misplaced_array(&value) {
            return Err(format!("invalid output: {}", misfit.describe()));
        }
        // From the text, so that a key given twice is an error.
        return serde_json::from_str(text)
            .map(|output| SubjectLine::Output(Box::new(output)))
            .map_err(|error| format!("invalid output: {}", short_error(&error)));
    }
    Err(
        "expected an output {\"event_type\", \"event_params\"} or the delimiter {\"done\": N}"
            .to_owned(),
    )
}

/// The delimiter line, read strictly: exactly one key, once.
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Delimiter {
    /// The index of the fact whose outputs are complete.
    pub done: u64,
}

/// A line the tool writes to a subject (`spec/protocol.md`, "Messages from the tool"); the
/// schema of `spec/schema/protocol-tool.schema.json`.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
pub enum ToolMessage {
    /// The first line.
    Header(Header),
    /// The line between two traces.
    Reset(Reset),
    /// A fact of the trace.
    Fact(Box<Fact>),
}

/// A line a subject writes to the tool (`spec/protocol.md`, "Messages from the subject"); the
/// schema of `spec/schema/protocol-subject.schema.json`.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
pub enum SubjectMessage {
    /// The answer to the header.
    HeaderAck(HeaderAck),
    /// An output of the fact being answered.
    Output(Box<Output>),
    /// The end of the fact's outputs.
    Delimiter(Delimiter),
}

/// The shape of an output line ([`crate::shape`]): objects only.
fn output_shape() -> &'static Shape {
    static SHAPE: OnceLock<Shape> = OnceLock::new();
    SHAPE.get_or_init(Shape::of::<Output>)
}

/// The shape of the acknowledgement.
pub(super) fn ack_shape() -> &'static Shape {
    static SHAPE: OnceLock<Shape> = OnceLock::new();
    SHAPE.get_or_init(Shape::of::<HeaderAck>)
}

/// serde's message about a subject's line, safe and short for display: the input it quotes is
/// cut to an excerpt, control characters escaped ([`crate::untrusted`]).
pub(super) fn short_error(error: &serde_json::Error) -> String {
    crate::untrusted::one_line(&crate::trace::shorten(&error.to_string()), WHAT_CHARS_MAX)
}

/// Splits a command line into program and arguments as a POSIX shell would for a simple command
/// (`shlex`): blanks separate words, quotes and backslashes as in `sh`. No variables, globs or
/// pipes: for those, run `sh -c '...'` as the command.
pub fn split_command(command: &str) -> Result<Vec<String>, String> {
    let words = shlex::split(command)
        .ok_or_else(|| "unterminated quote, or a trailing backslash".to_owned())?;
    if words.is_empty() {
        return Err("empty command".to_owned());
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_split_like_a_shell() {
        assert_eq!(
            split_command(r#"python3 "my dir/s.py" --x 'a b' c\ d "q\"uote""#),
            Ok(vec![
                "python3".to_owned(),
                "my dir/s.py".to_owned(),
                "--x".to_owned(),
                "a b".to_owned(),
                "c d".to_owned(),
                "q\"uote".to_owned(),
            ])
        );
        assert_eq!(split_command("  "), Err("empty command".to_owned()));
        assert_eq!(
            split_command("a 'b"),
            Err("unterminated quote, or a trailing backslash".to_owned())
        );
        assert!(split_command("a\\").is_err());
        assert_eq!(split_command("''"), Ok(vec![String::new()]));
    }

    #[test]
    fn subject_lines_are_outputs_delimiters_or_garbage() {
        assert_eq!(parse_subject_line("  \n"), Ok(SubjectLine::Blank));
        assert_eq!(
            parse_subject_line("{\"done\": 3}\n"),
            Ok(SubjectLine::Done(3))
        );
        let output = parse_subject_line(
            r#"{"event_type": "review_spec_diagnostic", "event_params": {"reason": "orphan_response", "connection_id": 1, "request_id": 9}}"#,
        );
        assert!(matches!(output, Ok(SubjectLine::Output(_))), "{output:?}");
        for garbage in [
            "hello",
            "[1]",
            "{\"done\": -1}",
            "{\"done\": 1, \"x\": 2}",
            "{\"at\": 0, \"event_type\": \"review_spec_diagnostic\", \"event_params\": {\"reason\": \"evicted\"}}",
            "{\"event_type\": \"nope\", \"event_params\": {}}",
            "{\"reset\": {}}",
            "{\"done\": 0, \"done\": 0}",
            "{\"event_type\": \"review_spec_diagnostic\", \"event_params\": [\"evicted\"]}",
        ] {
            assert!(parse_subject_line(garbage).is_err(), "{garbage}");
        }
    }
}
