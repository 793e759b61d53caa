//! How dnc names a file to people, in plans and in git: slash-separated on every OS, `.`
//! dropped and `..` resolved lexically (no filesystem access, so it works on paths of past
//! commits too).

use std::path::{Component, Path};

/// `path` with `/` between its parts: `lists/./bulk/../a.csv` is `lists/a.csv`. A `..` with
/// nothing before it to cancel is kept; an absolute path keeps its leading `/`.
pub fn slashed(path: &Path) -> String {
    let mut head = String::new();
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            Component::Prefix(p) => head.push_str(&p.as_os_str().to_string_lossy()),
            Component::RootDir => head.push('/'),
            Component::CurDir => {}
            Component::ParentDir if parts.last().is_some_and(|p| p != "..") => {
                parts.pop();
            }
            Component::ParentDir => parts.push("..".to_string()),
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
        }
    }
    head + &parts.join("/")
}

/// `path` relative to `base` when it lies under it, slashed; else `path` slashed.
pub fn relative(base: &Path, path: &Path) -> String {
    slashed(path.strip_prefix(base).unwrap_or(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_slashed_and_resolved_lexically() {
        assert_eq!(slashed(Path::new("lists/./bulk/../a.csv")), "lists/a.csv");
        assert_eq!(slashed(Path::new("./a.yaml")), "a.yaml");
        assert_eq!(slashed(Path::new("../shared/a.csv")), "../shared/a.csv");
        assert_eq!(
            slashed(Path::new("/tmp/x/.dnc/sandbox.db")),
            "/tmp/x/.dnc/sandbox.db"
        );
        assert_eq!(
            relative(Path::new("/repo"), Path::new("/repo/lists/a.yaml")),
            "lists/a.yaml"
        );
        assert_eq!(
            relative(Path::new("/repo"), Path::new("/elsewhere/a")),
            "/elsewhere/a"
        );
    }
}
