//! Progress on stderr: a live line on a terminal, a plain line every few seconds elsewhere,
//! and notes (retry announcements) printed above whichever is showing.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The bar on screen, if any: notes go above it instead of through it.
static SHOWING: Mutex<Option<ProgressBar>> = Mutex::new(None);
/// Without a terminal, how often a progress line is printed.
const EVERY: Duration = Duration::from_secs(5);

/// Prints one line to stderr without tearing a progress bar. Best effort: a note that cannot
/// be written (stderr closed under a running apply) must not stop or crash the work.
pub fn note(line: &str) {
    let showing = SHOWING.lock().unwrap_or_else(|p| p.into_inner());
    match showing.as_ref() {
        Some(bar) => bar.println(line),
        None => {
            let _ = crate::output::stderr(format!("{line}\n"));
        }
    }
}

/// Notes go above `bar` until [`hide`] is called.
pub fn show(bar: &ProgressBar) {
    *SHOWING.lock().unwrap_or_else(|p| p.into_inner()) = Some(bar.clone());
}

/// No bar on screen any more: notes go straight to stderr.
pub fn hide() {
    *SHOWING.lock().unwrap_or_else(|p| p.into_inner()) = None;
}

/// Entries read so far, per scope, while `plan` or `import` reads the remote lists.
pub struct Reading {
    bar: Option<ProgressBar>,
    state: Mutex<Counts>,
}

struct Counts {
    scopes: Vec<(String, u64)>,
    last_line: Instant,
}

impl Reading {
    /// A live line on a terminal stderr, otherwise a line every five seconds.
    pub fn start(scopes: &[String]) -> Reading {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} reading: {msg}").expect("a valid template"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            show(&bar);
            bar
        });
        Reading {
            bar,
            state: Mutex::new(Counts {
                scopes: scopes.iter().map(|s| (s.clone(), 0)).collect(),
                last_line: Instant::now(),
            }),
        }
    }

    /// `n` more entries of scope number `index` were read.
    pub fn add(&self, index: usize, n: u64) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, count)) = state.scopes.get_mut(index) {
            *count += n;
        }
        let line = state
            .scopes
            .iter()
            .map(|(name, n)| format!("{name} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        match &self.bar {
            Some(bar) => bar.set_message(line),
            None if state.last_line.elapsed() >= EVERY => {
                state.last_line = Instant::now();
                note(&format!("read so far: {line}"));
            }
            None => {}
        }
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            hide();
            bar.finish_and_clear();
        }
    }
}
