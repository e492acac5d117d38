//! The progress of long runs: cases done, cases per second, elapsed time, on stderr. On a
//! terminal, a bar redrawn in place; otherwise (logs, CI) a plain line at most every
//! [`LOG_INTERVAL`], so a long run shows it is alive without flooding the log. Nothing at all
//! when the run prints JSON, so that stdout and stderr stay machine-readable.

use std::io::{IsTerminal as _, Write as _};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle, TermLike};

/// The least time between two progress lines when stderr is not a terminal.
pub(super) const LOG_INTERVAL: Duration = Duration::from_secs(5);

/// Progress over `cases` cases: a bar on a terminal, periodic lines elsewhere, hidden for JSON.
pub(super) fn bar(cases: u64, json: bool) -> ProgressBar {
    let terminal = std::io::stderr().is_terminal();
    let target = if json {
        ProgressDrawTarget::hidden()
    } else if terminal {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::term_like(Box::new(LogLines::new(LOG_INTERVAL, write_to_stderr)))
    };
    let template = if terminal {
        "[{elapsed_precise}] {wide_bar} {pos}/{len} cases ({rate} cases/s) {msg}"
    } else {
        "progress: {pos}/{len} cases, {rate} cases/s, {elapsed_precise} elapsed {msg}"
    };
    let bar = ProgressBar::with_draw_target(Some(cases), target);
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key(
            "rate",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}", state.per_sec());
            },
        );
    bar.set_style(style);
    bar
}

/// A terminal stand-in that turns the bar's redraws into plain lines, at most one per `interval`
/// (the first one an interval after the start, so a short run prints none).
struct LogLines {
    /// The text of the redraw in progress, and when the last line was written.
    state: Mutex<(String, Instant)>,
    interval: Duration,
    write: fn(&str),
}

impl std::fmt::Debug for LogLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogLines")
            .field("interval", &self.interval)
            .finish()
    }
}

/// Writes one progress line to stderr; a closed or full stderr loses the line, never the run.
fn write_to_stderr(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

impl LogLines {
    fn new(interval: Duration, write: fn(&str)) -> LogLines {
        LogLines {
            state: Mutex::new((String::new(), Instant::now())),
            interval,
            write,
        }
    }

    fn with_state(&self, change: impl FnOnce(&mut (String, Instant))) {
        if let Ok(mut state) = self.state.lock() {
            change(&mut state);
        }
    }
}

impl TermLike for LogLines {
    fn width(&self) -> u16 {
        120
    }

    fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }

    fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }

    fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }

    fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }

    fn write_line(&self, text: &str) -> std::io::Result<()> {
        self.write_str(text)
    }

    fn write_str(&self, text: &str) -> std::io::Result<()> {
        self.with_state(|(pending, _)| pending.push_str(text));
        Ok(())
    }

    fn clear_line(&self) -> std::io::Result<()> {
        self.with_state(|(pending, _)| pending.clear());
        Ok(())
    }

    fn flush(&self) -> std::io::Result<()> {
        self.with_state(|(pending, last)| {
            let line = pending.trim();
            if !line.is_empty() && last.elapsed() >= self.interval {
                (self.write)(line);
                *last = Instant::now();
            }
            pending.clear();
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static WRITTEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

    fn record(line: &str) {
        if let Ok(mut written) = WRITTEN.lock() {
            written.push(line.to_owned());
        }
    }

    #[test]
    fn redraws_become_whole_lines_no_more_often_than_the_interval() {
        let lines = LogLines::new(Duration::ZERO, record);
        lines.write_str("progress: 1/3").unwrap();
        lines.flush().unwrap();
        lines.clear_line().unwrap();
        lines.write_str("progress: ").unwrap();
        lines.write_str("2/3").unwrap();
        lines.flush().unwrap();
        let quiet = LogLines::new(Duration::from_secs(3600), record);
        quiet.write_str("progress: never shown").unwrap();
        quiet.flush().unwrap();
        let written = WRITTEN.lock().map(|w| w.clone()).unwrap_or_default();
        assert_eq!(written, ["progress: 1/3", "progress: 2/3"]);
    }
}
