//! Text the tool did not write (a subject's lines and stderr, the input files' bytes), made safe
//! and short before it reaches the user: every control character (NUL, ESC and so the OSC and CSI
//! sequences that retitle or rewrite a terminal, C1 controls, DEL) and every bidirectional
//! override is escaped as `\u{..}`, and the text is cut after a number of characters. Errors
//! carry such text in text and in `--json` alike, so the escaping is done once, here, where the
//! error is made.

/// `text` with every control and bidirectional-formatting character escaped, cut after
/// `max_chars` characters (of the escaped text) with `…`. Line breaks are escaped too: the result
/// is one line.
pub fn one_line(text: &str, max_chars: usize) -> String {
    escape(text, max_chars, false)
}

/// As [`one_line`], but line breaks (`\n`) are kept: for a multi-line tail, such as a subject's
/// stderr.
pub fn lines(text: &str, max_chars: usize) -> String {
    escape(text, max_chars, true)
}

/// Whether `c` would change what a terminal shows rather than be shown: a control character, or
/// a bidirectional embedding, override or isolate (which reorders the rest of the line).
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape(text: &str, max_chars: usize, keep_line_breaks: bool) -> String {
    let mut safe = String::with_capacity(text.len().min(max_chars.saturating_mul(4)));
    let mut chars = 0usize;
    for c in text.chars() {
        let piece = if is_unsafe(c) && !(keep_line_breaks && c == '\n') {
            c.escape_unicode().to_string()
        } else {
            c.to_string()
        };
        let width = piece.chars().count();
        if chars + width > max_chars {
            safe.push('…');
            return safe;
        }
        chars += width;
        safe.push_str(&piece);
    }
    safe
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_sequences_are_escaped_and_long_text_cut() {
        assert_eq!(
            one_line("a\0b \u{1b}]0;t\u{7} \u{1b}[2J \u{202e}x\ny", 100),
            "a\\u{0}b \\u{1b}]0;t\\u{7} \\u{1b}[2J \\u{202e}x\\u{a}y"
        );
        assert_eq!(lines("a\nb\r", 100), "a\nb\\u{d}");
        assert_eq!(one_line("héllo wörld", 5), "héllo…");
        assert_eq!(one_line("ab\u{1b}", 3), "ab…");
        assert_eq!(one_line("plain {\"done\": 1}", 80), "plain {\"done\": 1}");
    }
}
