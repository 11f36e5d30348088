//! The time now, as the stores and the runner see it: the system clock in service, a clock
//! moved forward by hand in tests so leases and deadlines lapse without waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// The time now in milliseconds since 1970 (UTC); tests set their own.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(crate::now_millis)
}

/// The system clock moved forward by however much it has been advanced: time still passes, and
/// a test can jump past a lease or a deadline at once.
#[derive(Debug, Clone, Default)]
pub struct FastForwardClock {
    ahead_millis: Arc<AtomicI64>,
}

impl FastForwardClock {
    /// A clock showing the system time until it is advanced.
    pub fn new() -> FastForwardClock {
        FastForwardClock::default()
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.ahead_millis.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }

    /// The clock to give the journal.
    pub fn clock(&self) -> Clock {
        let ahead = self.ahead_millis.clone();
        Arc::new(move || crate::now_millis() + ahead.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_the_clock_forward_by_that_much() {
        let fast_forward = FastForwardClock::new();
        let clock = fast_forward.clock();
        let before = clock();
        fast_forward.advance(Duration::from_secs(3600));
        let after = clock();
        assert!(after - before >= 3_600_000, "{before} then {after}");
    }
}
