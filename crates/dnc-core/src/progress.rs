//! What the library tells while it works: retry notes, entries read, operations applied. It
//! prints nothing itself; each event goes to the one observer the binary installed (as the
//! `log` crate hands records to one logger), which decides how it looks, and with none
//! installed (tests, benchmarks) events go nowhere.

use std::sync::OnceLock;

/// One thing worth telling while a command runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A line for people (a retry announcement).
    Note(&'a str),
    /// Reading these scopes (their names) begins.
    Reading(&'a [String]),
    /// `entries` more entries of scope number `scope` were read.
    Read { scope: usize, entries: u64 },
    /// The read ended.
    ReadDone,
    /// Applying `total` operations begins.
    Applying { total: u64 },
    /// One more operation ended; `failed` have failed so far.
    Applied { failed: u64 },
    /// Applying ended.
    ApplyDone,
}

pub trait Observer: Send + Sync {
    fn event(&self, event: Event<'_>);
}

static OBSERVER: OnceLock<Box<dyn Observer>> = OnceLock::new();

/// Sends every event from now on to `observer`; only the first call takes effect.
pub fn observe(observer: Box<dyn Observer>) {
    let _ = OBSERVER.set(observer);
}

pub fn tell(event: Event<'_>) {
    if let Some(observer) = OBSERVER.get() {
        observer.event(event);
    }
}

pub fn note(line: &str) {
    tell(Event::Note(line));
}

/// A read in progress: tells `Reading` when made and `ReadDone` when dropped.
pub struct Reading(());

impl Reading {
    pub fn start(scopes: &[String]) -> Reading {
        tell(Event::Reading(scopes));
        Reading(())
    }

    /// `n` more entries of scope number `index` were read.
    pub fn add(&self, index: usize, n: u64) {
        tell(Event::Read {
            scope: index,
            entries: n,
        });
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        tell(Event::ReadDone);
    }
}
