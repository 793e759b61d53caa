//! The writers every command prints through. A failure to write is an `io::Result`, never a
//! panic: the commands turn it into their error (`CommandError::output`), so a reader that went
//! away (`dnc plan | head`) ends dnc with exit 1, and a full disk with `dnc::output::write`.

use std::io::{self, Write};

/// Writes `text` to stdout whole and flushes it.
pub fn stdout(text: impl AsRef<[u8]>) -> io::Result<()> {
    write(&mut io::stdout().lock(), text.as_ref())
}

/// Writes `text` to stderr whole.
pub fn stderr(text: impl AsRef<[u8]>) -> io::Result<()> {
    write(&mut io::stderr().lock(), text.as_ref())
}

fn write(to: &mut impl Write, text: &[u8]) -> io::Result<()> {
    to.write_all(text)?;
    to.flush()
}
