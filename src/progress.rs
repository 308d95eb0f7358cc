//! One progress line on stderr while a slow input is read.
//!
//! Shown only when stderr is a terminal that can rewrite a line (`TERM` is not `dumb`),
//! only once the work has taken [`DELAY`], at most ten times a second, and erased when
//! the work ends, so the report is left as it would be without it. Nothing is written
//! otherwise: a log, a pipe or a CI job never sees a byte of it. The line is plain text
//! (a carriage return and spaces, no escape sequences), so `NO_COLOR` has nothing to
//! turn off.

use std::cell::RefCell;
use std::io::{IsTerminal, Read, Write};
use std::time::{Duration, Instant};

/// How long the work must have taken before the line appears.
pub const DELAY: Duration = Duration::from_secs(1);
/// Time between two redraws.
const EVERY: Duration = Duration::from_millis(100);
/// Longest line drawn: wider would wrap on an 80-column terminal and could not be erased.
const WIDTH: usize = 79;

/// Whether a progress line may be drawn: the command's output is for people (not
/// `--json`), stderr is a terminal, and the terminal is not `dumb`.
pub fn allowed(for_people: bool, stderr_is_terminal: bool, term: Option<&str>) -> bool {
    for_people && stderr_is_terminal && term != Some("dumb")
}

struct State {
    start: Instant,
    last: Option<Instant>,
    /// Characters on screen now (0: nothing drawn).
    drawn: usize,
    out: Box<dyn Write>,
}

/// A progress line; [`Progress::off`] draws nothing.
pub struct Progress {
    state: Option<RefCell<State>>,
    delay: Duration,
}

impl Progress {
    /// A line on stderr when [`allowed`] (`for_people` is the command's choice).
    pub fn stderr(for_people: bool) -> Self {
        let term = std::env::var("TERM").ok();
        if !allowed(for_people, std::io::stderr().is_terminal(), term.as_deref()) {
            return Progress::off();
        }
        Progress::to(Box::new(std::io::stderr()), debug_delay().unwrap_or(DELAY))
    }

    /// Draws nothing.
    pub fn off() -> Self {
        Progress {
            state: None,
            delay: DELAY,
        }
    }

    /// A line on `out`, drawn once `delay` has passed.
    pub fn to(out: Box<dyn Write>, delay: Duration) -> Self {
        Progress {
            state: Some(RefCell::new(State {
                start: Instant::now(),
                last: None,
                drawn: 0,
                out,
            })),
            delay,
        }
    }

    /// Redraw with the text `line` makes, when it is time to.
    pub fn update(&self, line: impl FnOnce() -> String) {
        let Some(cell) = &self.state else { return };
        let Ok(mut s) = cell.try_borrow_mut() else {
            return;
        };
        let now = Instant::now();
        if now.duration_since(s.start) < self.delay
            || s.last.is_some_and(|l| now.duration_since(l) < EVERY)
        {
            return;
        }
        s.last = Some(now);
        let text: String = line().chars().take(WIDTH).collect();
        let n = text.chars().count();
        let pad = " ".repeat(s.drawn.saturating_sub(n));
        let _ = write!(s.out, "\r{text}{pad}\r");
        let _ = s.out.flush();
        s.drawn = n;
    }

    /// Erase the line, if one was drawn.
    pub fn finish(&self) {
        let Some(cell) = &self.state else { return };
        let Ok(mut s) = cell.try_borrow_mut() else {
            return;
        };
        if s.drawn > 0 {
            let blank = " ".repeat(s.drawn);
            let _ = write!(s.out, "\r{blank}\r");
            let _ = s.out.flush();
            s.drawn = 0;
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("on", &self.state.is_some())
            .field("delay", &self.delay)
            .finish()
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Debug builds only: `GOAUDIT_DEBUG_PROGRESS_DELAY_MS=N` draws the line after N ms
/// instead of [`DELAY`], so that tests need no slow input.
fn debug_delay() -> Option<Duration> {
    if !cfg!(debug_assertions) {
        return None;
    }
    let ms = std::env::var("GOAUDIT_DEBUG_PROGRESS_DELAY_MS").ok()?;
    ms.parse().ok().map(Duration::from_millis)
}

/// A reader that reports how many of `total` bytes it has read.
pub struct Counting<'p, R> {
    inner: R,
    read: u64,
    total: Option<u64>,
    what: &'p str,
    progress: &'p Progress,
}

impl<R> std::fmt::Debug for Counting<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Counting")
            .field("what", &self.what)
            .field("read", &self.read)
            .field("total", &self.total)
            .finish()
    }
}

impl<'p, R: Read> Counting<'p, R> {
    /// Count `inner`'s bytes as `what` (`layer 2/5 of app.tar`).
    pub fn new(inner: R, progress: &'p Progress, what: &'p str, total: Option<u64>) -> Self {
        Counting {
            inner,
            read: 0,
            total,
            what,
            progress,
        }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        let (read, total, what) = (self.read, self.total, self.what);
        self.progress.update(|| {
            let of = total
                .map(|t| format!(" of {}", crate::render::human_bytes(t)))
                .unwrap_or_default();
            format!(
                "goaudit: reading {what}: {}{of}",
                crate::render::human_bytes(read)
            )
        });
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn only_on_a_capable_terminal_for_people() {
        assert!(allowed(true, true, Some("xterm-256color")));
        assert!(allowed(true, true, None));
        assert!(!allowed(true, false, Some("xterm")));
        assert!(!allowed(false, true, Some("xterm")));
        assert!(!allowed(true, true, Some("dumb")));
    }

    #[test]
    fn draws_after_the_delay_and_erases_itself() {
        let buf = Shared::default();
        let p = Progress::to(Box::new(buf.clone()), Duration::ZERO);
        let data = vec![7u8; 3000];
        let mut r = Counting::new(&data[..], &p, "layer 1/2 of x.tar", Some(3000));
        let mut sink = Vec::new();
        std::io::copy(&mut r, &mut sink).unwrap();
        let shown = String::from_utf8(buf.0.borrow().clone()).unwrap();
        assert!(
            shown.starts_with("\rgoaudit: reading layer 1/2 of x.tar: ")
                && shown.contains(" of 2.9 KiB"),
            "{shown:?}"
        );
        let before = shown.len();
        p.finish();
        let all = String::from_utf8(buf.0.borrow().clone()).unwrap();
        let erase = &all[before..];
        // The erasing write covers the line with blanks and returns to its start.
        assert!(
            erase.starts_with('\r') && erase.ends_with('\r'),
            "{erase:?}"
        );
        assert!(erase.trim_matches('\r').chars().all(|c| c == ' '));
        assert!(!all.contains('\x1b'), "no escape sequences: {all:?}");
        // Erasing twice writes nothing more.
        p.finish();
        assert_eq!(buf.0.borrow().len(), all.len());
    }

    #[test]
    fn nothing_before_the_delay_or_when_off() {
        let buf = Shared::default();
        let p = Progress::to(Box::new(buf.clone()), Duration::from_secs(3600));
        p.update(|| "never".into());
        p.finish();
        assert!(buf.0.borrow().is_empty());
        let off = Progress::off();
        off.update(|| unreachable!("an off line never builds its text"));
    }
}
