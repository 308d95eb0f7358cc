//! One bad input never takes the others down: a panic while analysing one input becomes
//! that input's error line (`goaudit: <path>: internal error, please report: <what>`)
//! and exit 2, and the remaining inputs are still read and reported.
//!
//! The default panic hook would print its own message (and a backtrace hint) on stderr;
//! while a guard is active the hook records the message instead, so the user sees the
//! one error line. Panics outside a guard (in tests, say) print as usual.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};

use crate::error::Error;

/// Guards running right now (inputs are analysed one at a time, but the size
/// attribution uses scoped threads, whose panics must be silenced too).
static ACTIVE: AtomicUsize = AtomicUsize::new(0);
/// The first panic message recorded under the active guard.
static MESSAGE: Mutex<Option<String>> = Mutex::new(None);

fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if ACTIVE.load(Ordering::SeqCst) == 0 {
                return previous(info);
            }
            let payload = info.payload();
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_string());
            let what = match info.location() {
                Some(l) => format!("{what} (at {}:{})", l.file(), l.line()),
                None => what,
            };
            if let Ok(mut m) = MESSAGE.lock()
                && m.is_none()
            {
                *m = Some(what);
            }
        }));
    });
}

/// Run the analysis of the input labelled `label`; a panic inside becomes
/// [`Error::Internal`] for that input.
pub fn guard<T>(label: &str, f: impl FnOnce() -> T) -> Result<T, Error> {
    install_hook();
    ACTIVE.fetch_add(1, Ordering::SeqCst);
    let result = catch_unwind(AssertUnwindSafe(|| {
        debug_trigger(label);
        f()
    }));
    ACTIVE.fetch_sub(1, Ordering::SeqCst);
    let recorded = MESSAGE.lock().ok().and_then(|mut m| m.take());
    result.map_err(|payload| {
        let message = recorded.unwrap_or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_string())
        });
        Error::Internal {
            path: label.into(),
            message,
        }
    })
}

/// Debug builds only: `GOAUDIT_DEBUG_PANIC=SUBSTRING` makes the analysis of every input
/// whose label contains SUBSTRING panic, so tests can prove the guard works. Release
/// builds ignore the variable.
fn debug_trigger(label: &str) {
    #[cfg(debug_assertions)]
    if let Ok(p) = std::env::var("GOAUDIT_DEBUG_PANIC")
        && !p.is_empty()
        && label.contains(&p)
    {
        panic!("GOAUDIT_DEBUG_PANIC matched {label}");
    }
    #[cfg(not(debug_assertions))]
    let _ = label;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_the_inputs_error() {
        let e = guard("app", || -> u32 { panic!("boom {}", 1) }).unwrap_err();
        let s = e.to_string();
        assert!(
            s.starts_with("app: internal error, please report: boom 1 (at src/commands/guard.rs:"),
            "{s}"
        );
        assert_eq!(guard("ok", || 7).unwrap(), 7);
        // One test: the recorded message is process-wide.
        let e = guard("t", || {
            std::thread::scope(|s| {
                s.spawn(|| panic!("inner"));
            })
        })
        .unwrap_err();
        assert!(e.to_string().contains("inner"), "{e}");
    }
}
