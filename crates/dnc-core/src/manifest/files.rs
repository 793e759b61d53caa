//! Reading input files from disk, confined to the config's directory: paths must stay inside
//! it (symlinks followed), only regular files are opened (a FIFO or device is refused before
//! any read, so it never blocks), and each file is read up to a size cap.

use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

/// Default cap on one input file; `max_file_bytes` in the config changes it.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Why a path cannot be used, before anything is read.
pub(super) enum Refusal {
    Absolute,
    Escapes,
}

/// Checks a path as written in a config or manifest, relative to `base` (a directory
/// relative to the root): absolute paths and `..` steps that climb above the root are
/// refused. Returns the path relative to the root.
pub(super) fn confine(base: &Path, written: &str) -> Result<PathBuf, Refusal> {
    let path = Path::new(written);
    if path.has_root() || written.starts_with(['/', '\\']) || looks_like_drive(written) {
        return Err(Refusal::Absolute);
    }
    let mut out = PathBuf::new();
    for c in base.components().chain(path.components()) {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return Err(Refusal::Escapes);
                }
            }
            Component::RootDir | Component::Prefix(_) => return Err(Refusal::Absolute),
        }
    }
    Ok(out)
}

fn looks_like_drive(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// Reads files on disk inside `root`.
pub(super) struct Disk<'o> {
    /// The root, canonical (symlinks resolved), or `None` when it cannot be resolved.
    root: Option<PathBuf>,
    /// A file read as this text instead of from disk (which may not hold it yet): an edit
    /// is checked with every other file before it is written.
    overlay: Option<(&'o Path, &'o str)>,
}

impl<'o> Disk<'o> {
    pub(super) fn new(root: &Path, overlay: Option<(&'o Path, &'o str)>) -> Self {
        Disk {
            root: root.canonicalize().ok(),
            overlay,
        }
    }

    /// The file read from the overlay, when it is `path`.
    pub(super) fn overlay_path(&self) -> Option<&'o Path> {
        self.overlay.map(|(p, _)| p)
    }

    /// Reads `path` if it resolves inside the root to a regular file of at most `cap` bytes.
    pub(super) fn read(&self, path: &Path, cap: u64) -> io::Result<Vec<u8>> {
        if let Some((_, text)) = self.overlay.filter(|(p, _)| same_path(p, path)) {
            return Ok(text.as_bytes().to_vec());
        }
        let real = path.canonicalize()?;
        if !self.root.as_ref().is_some_and(|r| real.starts_with(r)) {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "it resolves outside the config's directory",
            ));
        }
        read_regular(&real, cap)
    }
}

/// The same path written two ways (`./a/b` and `a/b`), compared without the filesystem.
pub(super) fn same_path(a: &Path, b: &Path) -> bool {
    crate::paths::slashed(a) == crate::paths::slashed(b)
}

/// Reads `path` if it is a regular file of at most `cap` bytes (the config file itself,
/// which the user names, is read this way wherever it points).
pub(super) fn read_regular(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    // Checked before opening: opening a FIFO blocks, reading a device never ends.
    if !std::fs::metadata(path)?.is_file() {
        return Err(not_regular());
    }
    let file = std::fs::File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(not_regular());
    }
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("it is larger than {cap} bytes (`max_file_bytes` in the config)"),
        ));
    }
    Ok(bytes)
}

fn not_regular() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "it is not a regular file")
}

/// What a `manifests` glob matched under the config's directory.
pub struct Globbed {
    /// Every match but directories, sorted: a dangling symlink or FIFO is kept, so reading
    /// it says what is wrong with it instead of the list quietly vanishing.
    pub paths: Vec<PathBuf>,
    /// Directories that could not be listed: what they hold is unknown.
    pub errors: Vec<glob::GlobError>,
}

/// Expands `pattern` under `root`. The root is escaped: a config kept in a directory named
/// `[x]` or `*` matches its own files, never others.
pub fn glob(root: &Path, pattern: &str) -> Result<Globbed, glob::PatternError> {
    let full = Path::new(&glob::Pattern::escape(&root.to_string_lossy())).join(pattern);
    let mut out = Globbed {
        paths: Vec::new(),
        errors: Vec::new(),
    };
    for found in glob::glob(&full.to_string_lossy())? {
        match found {
            Ok(path) if path.is_dir() => {}
            Ok(path) => out.paths.push(path),
            Err(e) => out.errors.push(e),
        }
    }
    out.paths.sort();
    Ok(out)
}

/// Whether `path` is one `glob(root, pattern)` would match if it existed.
pub fn glob_matches(root: &Path, pattern: &str, path: &Path) -> bool {
    let full = Path::new(&glob::Pattern::escape(&root.to_string_lossy())).join(pattern);
    glob::Pattern::new(&full.to_string_lossy()).is_ok_and(|g| g.matches_path(path))
}

/// The diagnostic code for a read failure.
pub(super) fn code(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::PermissionDenied => "dnc::file::outside",
        io::ErrorKind::InvalidInput => "dnc::file::not_regular",
        io::ErrorKind::FileTooLarge => "dnc::file::too_large",
        _ => "dnc::file::unreadable",
    }
}

/// How to fix a read failure, when dnc refused the file.
pub(super) fn help(e: &io::Error) -> Option<&'static str> {
    match e.kind() {
        io::ErrorKind::PermissionDenied => {
            Some("a symlink must point to a file inside the directory of the config file")
        }
        io::ErrorKind::InvalidInput => Some("name a regular file, not a FIFO, device or directory"),
        io::ErrorKind::FileTooLarge => {
            Some("split the file, or raise `max_file_bytes` in the config")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_paths_are_confined_lexically() {
        let ok = |b: &str, w: &str| confine(Path::new(b), w).ok();
        assert_eq!(ok("lists", "a.csv"), Some(PathBuf::from("lists/a.csv")));
        assert_eq!(ok("lists", "../b.csv"), Some(PathBuf::from("b.csv")));
        assert!(matches!(
            confine(Path::new("lists"), "../../x"),
            Err(Refusal::Escapes)
        ));
        assert!(matches!(
            confine(Path::new(""), "/etc/passwd"),
            Err(Refusal::Absolute)
        ));
        assert!(matches!(
            confine(Path::new(""), "C:\\x"),
            Err(Refusal::Absolute)
        ));
    }
}
