//! Contains panics of third-party parsers to the file being read, without noise on the terminal.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    /// Whether this thread is running code whose panics are contained.
    static CONTAINING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `work`, turning a panic into `Err(())`; the panic message is not printed when
/// [`quiet_contained_panics`] has been called.
pub(crate) fn contain<T>(work: impl FnOnce() -> T) -> Result<T, ()> {
    let was = CONTAINING.with(|flag| flag.replace(true));
    let result = catch_unwind(AssertUnwindSafe(work)).map_err(|_| ());
    CONTAINING.with(|flag| flag.set(was));
    result
}

/// Keeps panics that are contained (and reported as a skipped file) off standard error, while
/// every other panic is printed as before. Call once at start-up.
pub fn quiet_contained_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CONTAINING.with(Cell::get) {
                previous(info);
            }
        }));
    });
}
