//! Fault injection: server errors, throttling and latency, drawn from a seeded generator so a
//! test sees the same sequence of faults on every run.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Mutex;
use std::time::Duration;

/// What the sandbox does wrong on purpose. The default does nothing wrong.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Share of requests (0.0..=1.0) answered with a 5xx.
    pub error_rate: f64,
    /// Share of requests answered with 429 and `Retry-After`.
    pub throttle_rate: f64,
    /// The `Retry-After` seconds sent with a 429.
    pub retry_after_secs: u64,
    /// Added to every request before it is handled.
    pub latency: Duration,
    pub seed: u64,
}

/// One request's fate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    ServerError(u16),
    Throttle { retry_after_secs: u64 },
}

pub struct Injector {
    faults: Faults,
    rng: Mutex<StdRng>,
}

impl Injector {
    pub fn new(faults: Faults) -> Injector {
        let rng = Mutex::new(StdRng::seed_from_u64(faults.seed));
        Injector { faults, rng }
    }

    pub fn latency(&self) -> Duration {
        self.faults.latency
    }

    /// Draws the next request's fault, if any.
    pub fn draw(&self) -> Option<Fault> {
        let f = &self.faults;
        if f.error_rate <= 0.0 && f.throttle_rate <= 0.0 {
            return None;
        }
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        let roll: f64 = rng.random();
        if roll < f.error_rate {
            const STATUSES: [u16; 3] = [500, 502, 503];
            Some(Fault::ServerError(
                STATUSES[rng.random_range(0..STATUSES.len())],
            ))
        } else if roll < f.error_rate + f.throttle_rate {
            Some(Fault::Throttle {
                retry_after_secs: f.retry_after_secs,
            })
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sequence(seed: u64) -> Vec<Option<Fault>> {
        let inj = Injector::new(Faults {
            error_rate: 0.3,
            throttle_rate: 0.2,
            retry_after_secs: 2,
            seed,
            ..Faults::default()
        });
        (0..200).map(|_| inj.draw()).collect()
    }

    #[test]
    fn same_seed_same_faults() {
        let a = sequence(7);
        assert_eq!(a, sequence(7));
        assert_ne!(a, sequence(8));
        let errors = a
            .iter()
            .filter(|f| matches!(f, Some(Fault::ServerError(_))))
            .count();
        let throttles = a
            .iter()
            .filter(|f| matches!(f, Some(Fault::Throttle { .. })))
            .count();
        // 200 draws at 30 % and 20 %: far from zero and far from all.
        assert!((30..90).contains(&errors), "{errors}");
        assert!((15..70).contains(&throttles), "{throttles}");
    }

    #[test]
    fn no_rates_no_faults() {
        let inj = Injector::new(Faults::default());
        assert!((0..100).all(|_| inj.draw().is_none()));
    }
}
