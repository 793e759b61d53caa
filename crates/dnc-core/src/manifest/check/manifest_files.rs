//! The manifest files a config names: its `manifests` globs expanded, confined to the
//! config's directory, and read.

use super::{Check, ManifestFiles, ReadFile, outside};
use crate::manifest::Config;
use crate::manifest::diagnostics::{At, Severity, SourceFile};
use crate::manifest::files::same_path;
use crate::manifest::yaml::{Node, Value as Y};
use std::ops::Range;
use std::path::{Path, PathBuf};

impl Check<'_> {
    /// Expands the `manifests` globs; each must match at least one file. `extra`, a file
    /// about to be written, is matched as if it were on disk.
    pub(super) fn manifest_files(
        &mut self,
        file: &SourceFile,
        node: &Node,
        config: &Config,
        config_path: &Path,
        files: ReadFile,
        extra: Option<&Path>,
    ) -> ManifestFiles {
        let Some((
            _,
            Node {
                value: Y::Seq(patterns),
                ..
            },
        )) = node.get("manifests")
        else {
            return Vec::new();
        };
        let mut paths: Vec<(PathBuf, Range<usize>)> = Vec::new();
        for p in patterns {
            let pattern = p.scalar().unwrap_or_default();
            if let Err(refusal) = crate::manifest::files::confine(Path::new(""), pattern) {
                self.error(outside(file, pattern, refusal, p.span.clone()));
                continue;
            }
            let globbed = match crate::manifest::files::glob(&config.root, pattern) {
                Ok(mut globbed) => {
                    if let Some(x) = extra.filter(|x| {
                        !globbed.paths.iter().any(|p| same_path(p, x))
                            && crate::manifest::files::glob_matches(&config.root, pattern, x)
                    }) {
                        globbed.paths.push(x.to_path_buf());
                    }
                    globbed
                }
                Err(e) => {
                    self.error(At(file).diag(
                        Severity::Error,
                        "dnc::config::glob",
                        format!("bad pattern `{pattern}`: {}", e.msg),
                        p.span.clone(),
                        "here",
                    )
                    .with_help("patterns use `*`, `**`, `?` and `[...]`, relative to the directory of the config file"));
                    continue;
                }
            };
            for e in &globbed.errors {
                let dir = crate::paths::relative(&config.root, e.path());
                self.error(
                    At(file)
                        .diag(
                            Severity::Error,
                            "dnc::config::unlistable",
                            format!(
                                "`{pattern}`: cannot list {dir}: {}; the manifests in it would be missing",
                                e.error()
                            ),
                            p.span.clone(),
                            "while expanding this",
                        )
                        .with_help(
                            "make the directory readable, or remove it if it holds no manifest: a list that is not read cannot be planned",
                        ),
                );
            }
            let matches = globbed.paths;
            if matches.is_empty() && globbed.errors.is_empty() {
                self.error(
                    At(file)
                        .diag(
                            Severity::Error,
                            "dnc::config::no_files",
                            format!("`{pattern}` matches no file"),
                            p.span.clone(),
                            "no file here",
                        )
                        .with_help("paths are relative to the directory of the config file"),
                );
            }
            for m in matches {
                let same_as_config = m.canonicalize().ok() == config_path.canonicalize().ok();
                if !same_as_config && !paths.iter().any(|(q, _)| *q == m) {
                    paths.push((m, p.span.clone()));
                }
            }
        }
        let mut out = Vec::new();
        for (path, span) in paths {
            let name = crate::paths::relative(&config.root, &path);
            if let Some(f) = self.read(&path, &name, Some((file, span)), files) {
                out.push((name, f));
            }
        }
        out
    }
}
