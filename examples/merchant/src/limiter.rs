//! A per-client rate limit for what strangers can ask of the shop (checkouts, each of which
//! costs a `ready` call at the gateway): a fixed window per client address, in memory.
//!
//! Per instance: N instances behind a load balancer allow N times the limit. Behind a reverse
//! proxy every client has the proxy's address, so the limit applies to all of them together;
//! a deployment there limits at the proxy (the shop does not trust `X-Forwarded-For`, which
//! any client can send).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The most clients remembered at once. Beyond it, expired windows are dropped; if every
/// remembered client is still within its window, new clients are refused until one expires
/// (the limiter's memory is bounded and so is the gateway traffic strangers cause).
pub const MAX_CLIENTS: usize = 10_000;

/// Requests per client in the current window.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    /// Counts one request from `client` at `now`; `false` when it is over `limit` per
    /// `window`.
    pub fn allow(&self, client: IpAddr, limit: u32, window: Duration, now: Instant) -> bool {
        let Ok(mut windows) = self.windows.lock() else {
            return false;
        };
        if windows.len() >= MAX_CLIENTS && !windows.contains_key(&client) {
            windows.retain(|_, (start, _)| now.saturating_duration_since(*start) < window);
            if windows.len() >= MAX_CLIENTS {
                return false;
            }
        }
        let entry = windows.entry(client).or_insert((now, 0));
        if now.saturating_duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        if entry.1 >= limit {
            return false;
        }
        entry.1 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_limit_per_window_and_others_are_counted_apart() {
        let limiter = RateLimiter::default();
        let start = Instant::now();
        let window = Duration::from_secs(60);
        let a: IpAddr = [192, 0, 2, 1].into();
        let b: IpAddr = [192, 0, 2, 2].into();
        for _ in 0..3 {
            assert!(limiter.allow(a, 3, window, start));
        }
        assert!(!limiter.allow(a, 3, window, start), "the fourth is refused");
        assert!(limiter.allow(b, 3, window, start), "another client is not");
        let later = start + window;
        assert!(limiter.allow(a, 3, window, later), "a new window");
    }

    #[test]
    fn the_memory_is_bounded_and_full_of_live_clients_refuses_new_ones() {
        let limiter = RateLimiter::default();
        let start = Instant::now();
        let window = Duration::from_secs(60);
        for i in 0..MAX_CLIENTS {
            let ip = IpAddr::from(u32::try_from(i).unwrap().to_be_bytes());
            assert!(limiter.allow(ip, 1, window, start));
        }
        let newcomer: IpAddr = [203, 0, 113, 9].into();
        assert!(!limiter.allow(newcomer, 1, window, start));
        // Once the old windows expire they are dropped and the newcomer is let in.
        assert!(limiter.allow(newcomer, 1, window, start + window));
        assert_eq!(limiter.windows.lock().unwrap().len(), 1);
    }
}
