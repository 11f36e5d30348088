//! Rate limits: a token bucket for each key (a conversation, a client address), refilled at a
//! steady rate up to a burst.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// The most keys kept: at this many, full buckets are forgotten, then the least recently used.
const PRUNE_ABOVE: usize = 50_000;

/// Token buckets by key.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    /// Allows `per_minute` on average and up to `burst` at once, for each key.
    pub fn new(per_minute: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            per_minute: f64::from(per_minute.max(1)),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one go for `key`; when there is none left, the seconds until there is.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let rate = self.per_minute / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= PRUNE_ABOVE && !buckets.contains_key(key) {
            let (burst, per_second) = (self.burst, rate);
            buckets.retain(|_, bucket| {
                bucket.tokens + now.duration_since(bucket.updated).as_secs_f64() * per_second < burst
            });
            if buckets.len() >= PRUNE_ABOVE {
                // Still full of keys in use: forget the half used least recently, so memory stays
                // bounded whatever keys arrive.
                let mut ages: Vec<Instant> = buckets.values().map(|bucket| bucket.updated).collect();
                let middle = ages.len() / 2;
                let (_, cutoff, _) = ages.select_nth_unstable(middle);
                let cutoff = *cutoff;
                buckets.retain(|_, bucket| bucket.updated > cutoff);
            }
        }
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket { tokens: self.burst, updated: now });
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.updated).as_secs_f64() * rate).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_with_the_wait() {
        let limiter = RateLimiter::new(6, 2);
        assert!(limiter.check("a").is_ok());
        assert!(limiter.check("a").is_ok());
        assert_eq!(limiter.check("a"), Err(10));
        assert!(limiter.check("b").is_ok());
    }

    #[test]
    fn rate_limiter_memory_is_bounded_whatever_keys_arrive() {
        let limiter = RateLimiter::new(1, 1);
        for key in 0..(3 * PRUNE_ABOVE) {
            let _ = limiter.check(&format!("key-{key}"));
        }
        let kept = limiter.buckets.lock().unwrap().len();
        assert!(kept <= PRUNE_ABOVE, "{kept} keys kept");
        assert!(kept > 0);
    }
}
