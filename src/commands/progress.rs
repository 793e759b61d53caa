//! How the library's progress events look on stderr: a live line or bar on a terminal, a
//! plain line every few seconds elsewhere, and notes (retry announcements) printed above
//! whichever bar is showing.

use crate::progress::{Event, Observer};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Without a terminal, how often a progress line is printed.
const EVERY: Duration = Duration::from_secs(5);

/// Installs the stderr observer for the rest of the process.
pub fn show_on_stderr() {
    crate::progress::observe(Box::new(Stderr {
        terminal: std::io::stderr().is_terminal(),
        now: Mutex::new(Showing::Nothing),
    }));
}

/// One line to stderr. Best effort: a line that cannot be written (stderr closed under a
/// running apply) must not stop or crash the work.
fn best_effort(line: &str) {
    let _ = crate::output::stderr(format!("{line}\n"));
}

struct Stderr {
    terminal: bool,
    now: Mutex<Showing>,
}

/// What is on screen.
enum Showing {
    Nothing,
    /// Entries read so far, per scope.
    Reading {
        bar: Option<ProgressBar>,
        scopes: Vec<(String, u64)>,
        last_line: Instant,
    },
    /// Operations applied so far.
    Applying {
        bar: Option<ProgressBar>,
        total: u64,
        done: u64,
        started: Instant,
        last_line: Instant,
    },
}

impl Showing {
    fn bar(&self) -> Option<&ProgressBar> {
        match self {
            Showing::Reading { bar, .. } | Showing::Applying { bar, .. } => bar.as_ref(),
            Showing::Nothing => None,
        }
    }
}

impl Stderr {
    fn now(&self) -> MutexGuard<'_, Showing> {
        self.now.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn bar(&self, template: &str, total: Option<u64>) -> Option<ProgressBar> {
        self.terminal.then(|| {
            let style = ProgressStyle::with_template(template).expect("a valid template");
            let bar = match total {
                Some(n) => ProgressBar::new(n),
                None => ProgressBar::new_spinner(),
            }
            .with_style(style);
            if total.is_none() {
                bar.enable_steady_tick(Duration::from_millis(120));
            }
            bar
        })
    }
}

impl Observer for Stderr {
    fn event(&self, event: Event<'_>) {
        let mut now = self.now();
        match event {
            Event::Note(line) => match now.bar() {
                Some(bar) => bar.println(line),
                None => best_effort(line),
            },
            Event::Reading(scopes) => {
                *now = Showing::Reading {
                    bar: self.bar("{spinner} reading: {msg}", None),
                    scopes: scopes.iter().map(|s| (s.clone(), 0)).collect(),
                    last_line: Instant::now(),
                }
            }
            Event::Read { scope, entries } => {
                if let Showing::Reading {
                    bar,
                    scopes,
                    last_line,
                } = &mut *now
                {
                    if let Some((_, count)) = scopes.get_mut(scope) {
                        *count += entries;
                    }
                    let line = scopes
                        .iter()
                        .map(|(name, n)| format!("{name} {n}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    match bar {
                        Some(bar) => bar.set_message(line),
                        None if last_line.elapsed() >= EVERY => {
                            *last_line = Instant::now();
                            best_effort(&format!("read so far: {line}"));
                        }
                        None => {}
                    }
                }
            }
            Event::Applying { total } => {
                let now_at = Instant::now();
                *now = Showing::Applying {
                    bar: self.bar(
                        "{bar:40} {pos}/{len} {per_sec} ETA {eta} {msg}",
                        Some(total),
                    ),
                    total,
                    done: 0,
                    started: now_at,
                    last_line: now_at,
                }
            }
            Event::Applied { failed } => {
                if let Showing::Applying {
                    bar,
                    total,
                    done,
                    started,
                    last_line,
                } = &mut *now
                {
                    *done += 1;
                    match bar {
                        Some(bar) => {
                            bar.inc(1);
                            if failed > 0 {
                                bar.set_message(format!("{failed} failed"));
                            }
                        }
                        None if last_line.elapsed() >= EVERY => {
                            *last_line = Instant::now();
                            let rate = *done as f64 / started.elapsed().as_secs_f64().max(0.001);
                            best_effort(&format!(
                                "applied {done}/{total} ({rate:.0}/s), {failed} failed"
                            ));
                        }
                        None => {}
                    }
                }
            }
            Event::ReadDone | Event::ApplyDone => {
                if let Some(bar) = now.bar() {
                    bar.finish_and_clear();
                }
                *now = Showing::Nothing;
            }
        }
    }
}
