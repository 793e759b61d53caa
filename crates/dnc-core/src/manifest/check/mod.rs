//! Checking one file: the schema pass and the semantic pass over each item of a config,
//! manifest or CSV include, on its own. What needs every file at once (duplicates across
//! files) is left to `load`, so files can be checked on several threads.
//!
//! This module is the per-file driver (reading a file, its YAML, its CSV includes); the
//! checks themselves live in the child modules, as `impl Check` blocks.

mod config;
mod entries;
mod items;
mod manifest_files;
mod schema_errors;
mod schemas;
mod whole_numbers;

use super::csv_include::{self, Parsed};
use super::diagnostics::{At, Cursor, Diagnostic, Severity, SourceFile, excerpt};
use super::files::Refusal;
use super::model::ScopeRef;
use super::yaml::{self, Node, Value as Y};
use super::{Config, Source};
use crate::entry::Key;
use schemas::Schemas;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The manifest files a config names, by name relative to the config's directory.
pub(super) type ManifestFiles = Vec<(String, Arc<SourceFile>)>;

/// Reads a file's bytes: the disk, or another source such as a git commit.
pub(super) type ReadFile<'r> = &'r dyn Fn(&Path) -> std::io::Result<Vec<u8>>;

/// An entry or tombstone that passed every check of its own file.
pub(super) struct Candidate {
    pub key: Key,
    /// The reason, or a tombstone's removal reason.
    pub reason: Arc<str>,
    pub purpose: Option<Arc<str>>,
    pub tombstone: bool,
    pub source: Source,
    pub requested_at: Option<chrono::NaiveDate>,
    pub approval: Option<super::Approval>,
    /// Interned: see [`Check::request`].
    pub request: Option<Arc<super::Request>>,
    /// The item's first line, where duplicates are labelled.
    pub head: Range<usize>,
}

/// A CSV file a manifest includes, to be checked as a file of its own.
pub(super) struct Include {
    path: PathBuf,
    name: String,
    from: (Arc<SourceFile>, Range<usize>),
    inherited: Inherited,
    mapping: csv_include::CsvMapping,
    written: csv_include::Written,
}

/// What checking one file found: the files it read, its problems and its candidates.
#[derive(Default)]
pub(super) struct Checked {
    pub sources: Vec<Arc<SourceFile>>,
    pub diags: Vec<Diagnostic>,
    pub items: Vec<Candidate>,
    /// `key_hash` of each item's key, taken here while the key is in this thread's cache:
    /// the merge, on another thread, then never reads a key to find duplicates.
    pub hashes: Vec<u64>,
}

impl Checked {
    fn push(&mut self, c: Candidate) {
        self.hashes.push(key_hash(&c.key));
        self.items.push(c);
    }
}

/// The hash duplicates are found by, the same on every thread. foldhash: several times
/// faster than SipHash over a million keys, and the input is the user's own files.
fn key_hash(key: &Key) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::default().hash_one(key)
}

/// The checks of one file. Shares nothing mutable, so each thread checks its own files.
pub(super) struct Check<'a> {
    root: &'a Path,
    schemas: &'static Schemas,
    /// Accept any scope (reading history, where the config of the day is unknown).
    any_scope: bool,
    /// Only YAML entries and tombstones whose text this accepts are read.
    keep: Option<&'a (dyn Fn(&str) -> bool + Sync)>,
    out: Checked,
    /// CSV files named by the manifest checked, in the order they are named.
    includes: Vec<Include>,
    /// Offsets of values reported as not whole numbers, ascending.
    inexact: Vec<usize>,
    /// The reasons and purposes this file's items wrote, each held once.
    texts: hashbrown::HashSet<Arc<str>, foldhash::fast::RandomState>,
    /// Where the last accepted item was located: items are located in file order.
    cursor: Cursor,
    /// The request sources this file's items wrote without a ticket, each held once.
    requests: hashbrown::HashSet<Arc<super::Request>, foldhash::fast::RandomState>,
}

/// Values an item inherits: config `phone_code`, then file `defaults`, then the include's.
#[derive(Clone, Default)]
pub(super) struct Inherited {
    scope: Option<ScopeRef>,
    phone_code: Option<u16>,
    reason: Option<Arc<str>>,
    purpose: Option<Arc<str>>,
}

impl Inherited {
    fn over(
        &self,
        scope: Option<ScopeRef>,
        code: Option<u16>,
        reason: &Option<String>,
        purpose: &Option<String>,
    ) -> Self {
        Inherited {
            scope: scope.or(self.scope),
            phone_code: code.or(self.phone_code),
            reason: reason
                .as_deref()
                .map(Arc::from)
                .or_else(|| self.reason.clone()),
            purpose: purpose
                .as_deref()
                .map(Arc::from)
                .or_else(|| self.purpose.clone()),
        }
    }
}

/// The first line of a span: where to point when a whole item is at fault.
fn head(text: &str, span: &Range<usize>) -> Range<usize> {
    let end = text[span.start..span.end.min(text.len())]
        .find(['\n', '\r'])
        .map_or(span.end, |i| span.start + i);
    span.start..end.max(span.start)
}

impl<'a> Check<'a> {
    pub(super) fn new(
        root: &'a Path,
        any_scope: bool,
        keep: Option<&'a (dyn Fn(&str) -> bool + Sync)>,
    ) -> Self {
        Check {
            root,
            schemas: Schemas::get(),
            any_scope,
            keep,
            out: Checked::default(),
            includes: Vec::new(),
            inexact: Vec::new(),
            texts: Default::default(),
            cursor: Cursor::default(),
            requests: Default::default(),
        }
    }

    /// A check of another file with the same settings.
    pub(super) fn fresh(&self) -> Self {
        Check::new(self.root, self.any_scope, self.keep)
    }

    /// Room for `items` more candidates.
    fn reserve(&mut self, items: usize) {
        self.out.items.reserve(items);
        self.out.hashes.reserve(items);
    }

    /// What was found so far; the check goes on empty.
    pub(super) fn take(&mut self) -> Checked {
        std::mem::take(&mut self.out)
    }

    /// `text` as an `Arc` shared with every earlier item of this file that wrote the same.
    fn intern(&mut self, text: &str) -> Arc<str> {
        self.texts
            .get_or_insert_with(text, |t| Arc::from(t))
            .clone()
    }

    /// The request an item names, shared with every earlier item of this file that names
    /// the same; `None` for none (most entries), which costs an entry nothing.
    fn request(&mut self, request: super::Request) -> Option<Arc<super::Request>> {
        if request == super::Request::default() {
            return None;
        }
        // A ticket names one request: sharing pays for the texts items repeat (a CSV's
        // `source` column), while a set of tickets would only grow, one entry per item.
        if request.ticket.is_some() {
            return Some(Arc::new(request));
        }
        if let Some(shared) = self.requests.get(&request) {
            return Some(shared.clone());
        }
        let shared = Arc::new(request);
        self.requests.insert(shared.clone());
        Some(shared)
    }

    fn error(&mut self, d: Diagnostic) {
        self.out.diags.push(d);
    }

    fn errors(&self) -> usize {
        let errors = self.out.diags.iter();
        errors.filter(|d| d.severity == Severity::Error).count()
    }

    pub(super) fn source(&mut self, name: &str, text: Arc<str>) -> Arc<SourceFile> {
        let file = Arc::new(SourceFile::new(Arc::from(name), text));
        self.out.sources.push(file.clone());
        file
    }

    /// Reads a file as UTF-8 text (a BOM is dropped), reporting why it cannot be.
    fn read(
        &mut self,
        path: &Path,
        name: &str,
        from: Option<(&SourceFile, Range<usize>)>,
        files: ReadFile,
    ) -> Option<Arc<SourceFile>> {
        let bytes = match files(path) {
            Ok(b) => b,
            Err(e) => {
                let code = super::files::code(&e);
                let message = format!("cannot read {name}: {e}");
                let d = match from {
                    Some((f, span)) => {
                        At(f).diag(Severity::Error, code, message, span, "named here")
                    }
                    None => Diagnostic {
                        severity: Severity::Error,
                        code,
                        message,
                        at: None,
                        label: String::new(),
                        labels: Vec::new(),
                        help: None,
                    },
                };
                self.error(Diagnostic {
                    help: super::files::help(&e).map(str::to_string),
                    ..d
                });
                return None;
            }
        };
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        match std::str::from_utf8(bytes) {
            Ok(text) => Some(self.source(name, Arc::from(text))),
            Err(e) => {
                let at = e.valid_up_to();
                let text: Arc<str> = Arc::from(String::from_utf8_lossy(bytes).as_ref());
                let file = self.source(name, text);
                let d = At(&file)
                    .diag(
                        Severity::Error,
                        "dnc::file::encoding",
                        format!("{name} is not valid UTF-8"),
                        at..at + 1,
                        "invalid byte",
                    )
                    .with_help("save the file as UTF-8");
                self.error(d);
                None
            }
        }
    }

    /// Reports the problems of `file`'s parsed YAML; `None` when the syntax left no document.
    fn yaml<'t>(&mut self, file: &SourceFile, doc: yaml::Document<'t>) -> Option<Node<'t>> {
        let broken = doc.root.is_none() && !doc.problems.is_empty();
        for p in doc.problems {
            let mut d = At(file).diag(Severity::Error, p.code, p.message, p.span, p.label);
            if let Some((span, label)) = p.other {
                d = d.with_label(file.locate(span), label);
            }
            d.help = p.help;
            self.error(d);
        }
        if broken {
            return None;
        }
        if let Some(root) = &doc.root {
            self.whole_numbers(file, root);
        }
        Some(doc.root.unwrap_or(Node {
            span: 0..0,
            value: Y::Map(Vec::new()),
        }))
    }

    /// Takes the CSV files the manifests checked so far include.
    pub(super) fn take_includes(&mut self) -> Vec<Include> {
        std::mem::take(&mut self.includes)
    }

    /// Checks one included CSV file as a file of its own.
    pub(super) fn include(&self, config: &Config, include: Include, files: ReadFile) -> Checked {
        let mut check = self.fresh();
        let (from, span) = &include.from;
        if let Some(csv) = check.read(
            &include.path,
            &include.name,
            Some((from, span.clone())),
            files,
        ) {
            // About a row per line: the candidates' list is allocated once.
            let lines = csv.text.bytes().filter(|&b| b == b'\n').count();
            check.reserve(lines);
            let (mapping, written) = (&include.mapping, Some(&include.written));
            csv_include::read(&csv, mapping, written, &mut |parsed| match parsed {
                Parsed::Row(row) => check.accept(config, &csv, row, &include.inherited),
                Parsed::Problem(d) => check.error(d),
            });
        }
        check.take()
    }
}

/// The error for a path that is absolute or climbs out of the config's directory; it is
/// never read.
fn outside(file: &SourceFile, path: &str, refusal: Refusal, span: Range<usize>) -> Diagnostic {
    let path = excerpt(path);
    let (code, message) = match refusal {
        Refusal::Absolute => (
            "dnc::path::absolute",
            format!("`{path}` is an absolute path"),
        ),
        Refusal::Escapes => (
            "dnc::path::outside",
            format!("`{path}` is outside the config's directory"),
        ),
    };
    At(file)
        .diag(Severity::Error, code, message, span, "not read")
        .with_help(
            "manifests and CSV files must be inside the directory of the config file; \
             write paths relative to it (CSV paths relative to their manifest)",
        )
}
