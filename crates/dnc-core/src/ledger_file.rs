//! The ledger file dnc owns. This is the one place that knows where it lives
//! (`.dnc/ledger.jsonl` in the config's folder, unless `--ledger` names another) and how it is
//! opened:
//! - the default stays inside the config's folder: a `.dnc` that leads out of it is refused;
//! - any ledger is a regular file: a symlink, FIFO or device is refused by the open itself
//!   (`O_NOFOLLOW | O_NONBLOCK`), so nothing is written through a link and nothing blocks;
//! - apply holds it under an exclusive advisory lock (std's `File::try_lock`, `flock` on
//!   Unix), released when the process ends, so a run that died leaves no stale lock;
//! - a torn last line (a write cut short, e.g. by a full disk) is ended with a newline before
//!   the first new line: nothing is written onto it, and readers report it as unreadable.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// What can go wrong with a ledger file: each names the file and what to check.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LedgerError {
    #[error("cannot open the ledger {}", path.display())]
    #[diagnostic(
        code(dnc::ledger::open),
        help("check the path (--ledger) and that its directory can be created and written")
    )]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the ledger {}", path.display())]
    #[diagnostic(
        code(dnc::ledger::write),
        help(
            "check free disk space and permissions, then run apply again: it finishes what was \
             interrupted"
        )
    )]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the ledger {}", path.display())]
    #[diagnostic(
        code(dnc::ledger::read),
        help("check the path (--ledger) and that it is readable")
    )]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the ledger {} leads out of the config's folder", path.display())]
    #[diagnostic(
        code(dnc::ledger::outside),
        help(
            "`.dnc` must be a directory inside the config's folder, not a symlink out of it: \
             remove the symlink, or name a ledger with --ledger"
        )
    )]
    Outside { path: PathBuf },
    #[error("the ledger {} is {what}, not a regular file", path.display())]
    #[diagnostic(
        code(dnc::ledger::not_regular),
        help(
            "dnc writes the ledger itself, as a regular file: remove this one, or name another \
             ledger with --ledger"
        )
    )]
    NotRegular { path: PathBuf, what: &'static str },
    #[error("another dnc apply is writing the ledger {}; nothing was sent", path.display())]
    #[diagnostic(
        code(dnc::ledger::locked),
        help(
            "wait for the other apply on this config to finish, then run again (the lock ends \
             with the process holding it, so a run that died leaves none behind)"
        )
    )]
    Locked { path: PathBuf },
}

/// `.dnc/ledger.jsonl` in the config's folder `root`.
pub fn default_path(root: &Path) -> PathBuf {
    root.join(".dnc").join("ledger.jsonl")
}

/// The ledger a command uses: the one `--ledger` names, or the default.
pub struct Place {
    path: PathBuf,
    /// The config's folder the default must stay in; `None` for a named ledger.
    root: Option<PathBuf>,
}

impl Place {
    pub fn of(root: &Path, named: Option<&Path>) -> Place {
        match named {
            Some(path) => Place {
                path: path.to_path_buf(),
                root: None,
            },
            None => Place {
                path: default_path(root),
                root: Some(root.to_path_buf()),
            },
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether there is a ledger to read: a named one always (reading it says when it is
    /// missing), the default once it exists.
    pub fn present(&self) -> Result<bool, LedgerError> {
        self.check_confined()?;
        Ok(self.root.is_none() || std::fs::symlink_metadata(&self.path).is_ok())
    }

    /// Opens (creating) the ledger for appending under an exclusive lock; `true` when its
    /// torn last line was terminated.
    pub(crate) fn open_locked(&self) -> Result<(File, bool), LedgerError> {
        let failed = |source| LedgerError::Open {
            path: self.path.clone(),
            source,
        };
        self.check_confined()?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(failed)?;
        }
        let mut file = self.lock()?;
        // An apply that wrote nothing removes the empty ledger as it ends: if it did so
        // between this open and this lock, the file locked is no longer the ledger.
        if !still_there(&file, &self.path) {
            file = self.lock()?;
        }
        let torn = terminate_torn(&mut file).map_err(|source| LedgerError::Write {
            path: self.path.clone(),
            source,
        })?;
        Ok((file, torn))
    }

    fn lock(&self) -> Result<File, LedgerError> {
        let failed = |source| LedgerError::Open {
            path: self.path.clone(),
            source,
        };
        let mut opts = OpenOptions::new();
        opts.read(true).append(true).create(true);
        let file = open_regular(&self.path, &mut opts).map_err(|e| e.error(&self.path, failed))?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => Err(LedgerError::Locked {
                path: self.path.clone(),
            }),
            Err(std::fs::TryLockError::Error(e)) => Err(failed(e)),
        }
    }

    /// The default's `.dnc`, when it exists, must resolve inside the config's folder.
    fn check_confined(&self) -> Result<(), LedgerError> {
        let Some(root) = &self.root else {
            return Ok(());
        };
        let dir = root.join(".dnc");
        if std::fs::symlink_metadata(&dir).is_err() {
            return Ok(());
        }
        let inside = match (dir.canonicalize(), root.canonicalize()) {
            (Ok(real), Ok(root)) => real.starts_with(root),
            _ => false,
        };
        if inside {
            Ok(())
        } else {
            Err(LedgerError::Outside {
                path: self.path.clone(),
            })
        }
    }
}

/// Opens a ledger for reading: a regular file, never through a symlink, never blocking.
pub(crate) fn open_read(path: &Path) -> Result<File, LedgerError> {
    open_regular(path, OpenOptions::new().read(true)).map_err(|e| {
        e.error(path, |source| LedgerError::Read {
            path: path.to_path_buf(),
            source,
        })
    })
}

/// Removes the ledger `file` (locked, at `path`) when it holds no line.
pub(crate) fn discard_if_empty(file: &File, path: &Path) {
    if file.metadata().is_ok_and(|m| m.len() == 0) && still_there(file, path) {
        // Best effort: an empty ledger left behind says nothing false.
        let _ = std::fs::remove_file(path);
    }
}

/// Whether `path` still names the open `file`.
fn still_there(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::symlink_metadata(path)) {
            (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

/// A fresh run id: the UTC second it started and 32 random bits, sortable and unique
/// enough for the runs of one ledger.
pub fn run_id() -> String {
    let started = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    format!("{started}-{:08x}", rand::random::<u32>())
}

enum Refused {
    /// What the path is instead of a regular file.
    Not(&'static str),
    Io(io::Error),
}

impl Refused {
    /// The ledger error: `io` wraps a failure to open.
    fn error(self, path: &Path, io: impl FnOnce(io::Error) -> LedgerError) -> LedgerError {
        match self {
            Refused::Not(what) => LedgerError::NotRegular {
                path: path.to_path_buf(),
                what,
            },
            Refused::Io(source) => io(source),
        }
    }
}

fn open_regular(path: &Path, opts: &mut OpenOptions) -> Result<File, Refused> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    // Elsewhere a check before opening: the best available without those flags.
    if cfg!(not(unix))
        && let Some(what) = special(path)
    {
        return Err(Refused::Not(what));
    }
    let file = opts
        .open(path)
        .map_err(|e| special(path).map_or(Refused::Io(e), Refused::Not))?;
    match file.metadata() {
        Ok(m) if m.is_file() => Ok(file),
        Ok(_) => Err(Refused::Not(special(path).unwrap_or("a special file"))),
        Err(e) => Err(Refused::Io(e)),
    }
}

/// What `path` is when it is there and not a regular file.
fn special(path: &Path) -> Option<&'static str> {
    let kind = std::fs::symlink_metadata(path).ok()?.file_type();
    if kind.is_file() {
        return None;
    }
    if kind.is_symlink() {
        return Some("a symlink");
    }
    if kind.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a FIFO");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
        if kind.is_block_device() || kind.is_char_device() {
            return Some("a device");
        }
    }
    Some("a special file")
}

/// Ends a last line that has no newline; `true` when there was one.
fn terminate_torn(file: &mut File) -> io::Result<bool> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8];
    file.read_exact(&mut last)?;
    if last[0] == b'\n' {
        return Ok(false);
    }
    // Append mode: the newline goes to the end wherever the cursor is.
    file.write_all(b"\n")?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_line_is_ended_once_and_a_whole_one_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        std::fs::write(&path, "{\"a\":1}\n{\"b\":").unwrap();
        let open = || {
            OpenOptions::new()
                .read(true)
                .append(true)
                .open(&path)
                .unwrap()
        };
        assert!(terminate_torn(&mut open()).unwrap());
        assert!(!terminate_torn(&mut open()).unwrap());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"a\":1}\n{\"b\":\n"
        );
    }

    #[test]
    fn each_run_id_is_new() {
        let (a, b) = (run_id(), run_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), "20261205T235632Z-c151b377".len(), "{a}");
    }
}
