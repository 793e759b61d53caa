//! Checking one file: the schema pass and the semantic pass over each item of a config,
//! manifest or CSV include, on its own. What needs every file at once (duplicates across
//! files) is left to `load`, so files can be checked on several threads.

use super::diagnostics::{At, Diagnostic, Severity, SourceFile, excerpt};
use super::files::{Disk, Refusal};
use super::model::{
    ConfigFile, Defaults, EntrySpec, HolidayCalendar, IncludeSpec, RemovalSpec, ScopeRef,
};
use super::schema::{self, Item};
use super::yaml::{self, Node, Value as Y};
use super::{Config, Deadlines, Safety, ScopeConfig, ScopeSafety, Source};
use crate::calendar::{self, Calendar};
use crate::entry::{CampaignId, Key, TextProblem};
use crate::phone::{self, Assignment};
use serde_json::Value;
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

struct Schemas {
    config: (Value, jsonschema::Validator),
    manifest: (Value, jsonschema::Validator),
    items: Vec<(Item, &'static str, Value, jsonschema::Validator)>,
}

fn compile(schema: Value) -> (Value, jsonschema::Validator) {
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("generated schemas are valid");
    (schema, validator)
}

impl Schemas {
    /// Compiled once per process: history loads thousands of file versions.
    fn get() -> &'static Schemas {
        static SCHEMAS: std::sync::OnceLock<Schemas> = std::sync::OnceLock::new();
        SCHEMAS.get_or_init(Schemas::new)
    }

    fn new() -> Self {
        let items = Item::ALL
            .iter()
            .map(|&(item, key)| {
                let (s, v) = compile(item.schema());
                (item, key, s, v)
            })
            .collect();
        Schemas {
            config: compile(schema::config()),
            manifest: compile(schema::manifest()),
            items,
        }
    }
}

/// The manifest files a config names, by name relative to the config's directory.
pub(super) type ManifestFiles = Vec<(String, Arc<SourceFile>)>;

/// Reads a file's bytes: the disk, or another source such as a git commit.
pub(super) type ReadFile<'r> = &'r dyn Fn(&Path) -> std::io::Result<Vec<u8>>;

/// An entry or tombstone that passed every check of its own file.
pub(super) struct Candidate {
    pub key: Key,
    /// The reason, or a tombstone's removal reason.
    pub reason: String,
    pub purpose: Option<String>,
    pub tombstone: bool,
    pub source: Source,
    pub requested_at: Option<chrono::NaiveDate>,
    /// The item's first line, where duplicates are labelled.
    pub head: Range<usize>,
}

/// A CSV file a manifest includes, to be checked as a file of its own.
pub(super) struct Include {
    path: PathBuf,
    name: String,
    from: (Arc<SourceFile>, Range<usize>),
    inherited: Inherited,
}

/// What checking one file found: the files it read, its problems and its candidates.
#[derive(Default)]
pub(super) struct Checked {
    pub sources: Vec<Arc<SourceFile>>,
    pub diags: Vec<Diagnostic>,
    pub items: Vec<Candidate>,
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
}

/// Values an item inherits: config `phone_code`, then file `defaults`, then the include's.
#[derive(Clone, Default)]
pub(super) struct Inherited {
    scope: Option<ScopeRef>,
    phone_code: Option<u16>,
    reason: Option<String>,
    purpose: Option<String>,
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
            reason: reason.clone().or_else(|| self.reason.clone()),
            purpose: purpose.clone().or_else(|| self.purpose.clone()),
        }
    }
}

/// One entry or tombstone as written, from YAML or a CSV row, with the spans of its fields.
#[derive(Default)]
pub(super) struct Row {
    pub head: Range<usize>,
    pub number: (String, Range<usize>),
    pub phone_code: Option<u16>,
    pub scope: Option<(ScopeRef, Range<usize>)>,
    pub reason: Option<(String, Range<usize>)>,
    pub purpose: Option<(String, Range<usize>)>,
    pub requested_at: Option<(String, Range<usize>)>,
    /// Set for tombstones.
    pub removal_reason: Option<(String, Range<usize>)>,
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
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
        }
    }

    /// A check of another file with the same settings.
    pub(super) fn fresh(&self) -> Self {
        Check::new(self.root, self.any_scope, self.keep)
    }

    /// What was found so far; the check goes on empty.
    pub(super) fn take(&mut self) -> Checked {
        std::mem::take(&mut self.out)
    }

    pub(super) fn error(&mut self, d: Diagnostic) {
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

    /// Reports numbers, scopes and phone codes written as plain YAML numbers that are not
    /// exact whole numbers (`2025550143.0`, `2.025550143e9`, `99999999999999999999`): the
    /// schema reads them as numbers, but no item may silently lose its digits.
    fn whole_numbers(&mut self, file: &SourceFile, node: &Node) {
        match &node.value {
            Y::Map(pairs) => {
                for (k, v) in pairs {
                    match (k.scalar(), &v.value) {
                        (Some(key), Y::Scalar { text, plain: true })
                            if WHOLE_NUMBERS.contains(&key) =>
                        {
                            if let Some(d) = not_whole(file, key, text, v.span.clone()) {
                                self.inexact.push(v.span.start);
                                self.error(d);
                            }
                        }
                        _ => self.whole_numbers(file, v),
                    }
                }
            }
            Y::Seq(items) => items.iter().for_each(|i| self.whole_numbers(file, i)),
            Y::Scalar { .. } => {}
        }
    }

    /// Whether a value this file's whole-number pass reported lies in `span`.
    fn reported_inexact(&self, span: &Range<usize>) -> bool {
        let i = self.inexact.partition_point(|&o| o < span.start);
        self.inexact.get(i).is_some_and(|&o| o < span.end)
    }

    /// Schema pass for one node. Returns whether the node is structurally valid.
    fn check_schema(&mut self, file: &SourceFile, node: &Node, json: &Value, which: Which) -> bool {
        let (schema, validator) = match which {
            Which::Config => (&self.schemas.config.0, &self.schemas.config.1),
            Which::Manifest => (&self.schemas.manifest.0, &self.schemas.manifest.1),
            Which::Item(i) => {
                let s = &self.schemas.items[i];
                (&s.2, &s.3)
            }
        };
        if validator.is_valid(json) {
            return true;
        }
        let mut found = Vec::new();
        for err in validator.iter_errors(json) {
            let item = matches!(which, Which::Item(_));
            found.extend(schema_diagnostic(file, node, schema, &err, item));
        }
        let ok = found.is_empty();
        for d in found {
            // A value the whole-number pass reported is not reported again.
            let inexact = d.at.as_ref().map(|a| self.inexact.binary_search(&a.offset));
            if !matches!(inexact, Some(Ok(_))) {
                self.error(d);
            }
        }
        ok
    }

    /// The config and the manifest files its globs name. A glob that matches nothing is
    /// reported, and the files the others match are still read.
    pub(super) fn config(
        &mut self,
        path: &Path,
        strict_override: bool,
        disk: &Disk,
    ) -> Option<(Config, ManifestFiles, u64)> {
        let file = self.config_text(path)?;
        let (config, node) = self.config_of(&file, strict_override)?;
        // Read from the checked document, so the config model the plan uses stays as it is.
        let cap = node
            .get("max_file_bytes")
            .and_then(|(_, v)| v.scalar()?.parse().ok())
            .unwrap_or(super::files::DEFAULT_MAX_FILE_BYTES);
        let read = |p: &Path| disk.read(p, cap);
        let manifests = self.manifest_files(&file, &node, &config, path, &read);
        Some((config, manifests, cap))
    }

    /// The config alone, without reading the manifests its globs name.
    pub(super) fn config_only(&mut self, path: &Path) -> Option<Config> {
        let file = self.config_text(path)?;
        self.config_of(&file, false).map(|(config, _)| config)
    }

    fn config_text(&mut self, path: &Path) -> Option<Arc<SourceFile>> {
        let name = relative(self.root, path);
        let read = |p: &Path| super::files::read_regular(p, super::files::DEFAULT_MAX_FILE_BYTES);
        self.read(path, &name, None, &read)
    }

    fn config_of<'f>(
        &mut self,
        file: &'f SourceFile,
        strict_override: bool,
    ) -> Option<(Config, Node<'f>)> {
        let node = self.yaml(file, yaml::read(&file.text))?;
        let before = self.errors();
        let json = node.to_json();
        let valid = self.check_schema(file, &node, &json, Which::Config);
        // A scope written as a decimal number passes the schema but is already reported.
        if !valid || self.errors() > before || !self.inexact.is_empty() {
            return None;
        }
        let spec: ConfigFile = match serde_json::from_value(json) {
            Ok(s) => s,
            Err(e) => {
                self.error(At(file).diag(
                    Severity::Error,
                    "dnc::schema::invalid",
                    e.to_string(),
                    head(&file.text, &node.span),
                    "here",
                ));
                return None;
            }
        };
        let config = self.config_semantics(file, &node, spec, strict_override);
        if self.errors() > before {
            return None;
        }
        Some((config, node))
    }

    fn config_semantics(
        &mut self,
        file: &SourceFile,
        node: &Node,
        spec: ConfigFile,
        strict_override: bool,
    ) -> Config {
        let scope_nodes = match node.get("scopes") {
            Some((
                _,
                Node {
                    value: Y::Seq(items),
                    ..
                },
            )) => items.iter().collect(),
            _ => Vec::new(),
        };
        let mut first: HashMap<CampaignId, Range<usize>> = HashMap::new();
        for (spec, item) in spec.scopes.iter().zip(&scope_nodes) {
            let span = item
                .get("scope")
                .map_or(item.span.clone(), |(_, v)| v.span.clone());
            let id = spec.scope.campaign_id();
            if let Some(prev) = first.get(&id) {
                let d = At(file)
                    .diag(
                        Severity::Error,
                        "dnc::config::duplicate_scope",
                        format!("scope {id} is listed twice"),
                        span,
                        "listed again here",
                    )
                    .with_label(file.locate(prev.clone()), "first listed here");
                self.error(d);
            } else {
                first.insert(id, span);
            }
        }
        for key in ["reasons", "purposes"] {
            if let Some((
                _,
                Node {
                    value: Y::Seq(items),
                    ..
                },
            )) = node.get(key)
            {
                for item in items {
                    if item.scalar().is_some_and(|s| s.trim().is_empty()) {
                        self.error(At(file).diag(
                            Severity::Error,
                            "dnc::config::empty_value",
                            format!("empty value in `{key}`"),
                            item.span.clone(),
                            "empty",
                        ));
                    }
                }
            }
        }
        Config {
            root: self.root.to_path_buf(),
            manifests: spec.manifests.clone(),
            phone_code: spec.phone_code,
            scopes: spec
                .scopes
                .iter()
                .map(|s| ScopeConfig {
                    id: s.scope.campaign_id(),
                    name: s.name.clone(),
                    prune: s.prune,
                    safety: s
                        .safety
                        .as_ref()
                        .map(|l| ScopeSafety {
                            max_removals: l.max_removals,
                            max_removal_percent: l.max_removal_percent,
                        })
                        .unwrap_or_default(),
                })
                .collect(),
            safety: Safety {
                max_removals: spec.safety.max_removals,
                max_removal_percent: spec.safety.max_removal_percent,
            },
            deadlines: self.deadlines(file, node, &spec),
            reasons: spec.reasons,
            purposes: spec.purposes,
            strict: strict_override || spec.strict,
        }
    }

    /// The config's deadlines; an `extra_holidays` day that does not exist is an error.
    fn deadlines(&mut self, file: &SourceFile, node: &Node, spec: &ConfigFile) -> Deadlines {
        let mut extra = std::collections::BTreeSet::new();
        let items: Vec<&Node> = match node.get("extra_holidays") {
            Some((
                _,
                Node {
                    value: Y::Seq(items),
                    ..
                },
            )) => items.iter().collect(),
            _ => Vec::new(),
        };
        for (day, item) in spec.extra_holidays.iter().zip(items) {
            match chrono::NaiveDate::parse_from_str(&day.0, "%Y-%m-%d") {
                Ok(d) => {
                    extra.insert(d);
                }
                Err(_) => self.error(At(file).diag(
                    Severity::Error,
                    "dnc::config::date",
                    format!("`{}` is not a date", day.0),
                    item.span.clone(),
                    "no such day",
                )),
            }
        }
        Deadlines {
            honor_within: spec.honor_within,
            calendar: Calendar {
                us_federal: spec.holidays == HolidayCalendar::UsFederal,
                extra,
            },
            retention_years: spec.retention_years,
        }
    }

    /// Expands the `manifests` globs; each must match at least one file.
    fn manifest_files(
        &mut self,
        file: &SourceFile,
        node: &Node,
        config: &Config,
        config_path: &Path,
        files: ReadFile,
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
            if let Err(refusal) = super::files::confine(Path::new(""), pattern) {
                self.error(outside(file, pattern, refusal, p.span.clone()));
                continue;
            }
            let full = config.root.join(pattern);
            let matches = match glob::glob(&full.to_string_lossy()) {
                Ok(m) => m
                    .filter_map(Result::ok)
                    .filter(|p| p.is_file())
                    .collect::<Vec<_>>(),
                Err(e) => {
                    self.error(At(file).diag(
                        Severity::Error,
                        "dnc::config::glob",
                        format!("bad pattern `{pattern}`: {}", e.msg),
                        p.span.clone(),
                        "here",
                    ));
                    continue;
                }
            };
            if matches.is_empty() {
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
            let mut matches = matches;
            matches.sort();
            for m in matches {
                let same_as_config = m.canonicalize().ok() == config_path.canonicalize().ok();
                if !same_as_config && !paths.iter().any(|(q, _)| *q == m) {
                    paths.push((m, p.span.clone()));
                }
            }
        }
        let mut out = Vec::new();
        for (path, span) in paths {
            let name = relative(&config.root, &path);
            if let Some(f) = self.read(&path, &name, Some((file, span)), files) {
                out.push((name, f));
            }
        }
        out
    }

    /// Checks one manifest; the CSV files it includes are left for `includes`.
    pub(super) fn manifest(
        &mut self,
        config: &Config,
        name: &str,
        file: &Arc<SourceFile>,
        doc: yaml::Document,
    ) {
        let Some(node) = self.yaml(file, doc) else {
            return;
        };
        // The top level is checked with its lists emptied; each item is checked on its own.
        let top = match &node.value {
            Y::Map(pairs) => Value::Object(
                pairs
                    .iter()
                    .map(|(k, v)| {
                        let key = k.scalar().unwrap_or_default();
                        let lists = Item::ALL.iter().any(|(_, l)| *l == key);
                        let json = match &v.value {
                            Y::Seq(_) if lists => Value::Array(Vec::new()),
                            _ => v.to_json(),
                        };
                        (key.to_string(), json)
                    })
                    .collect(),
            ),
            _ => node.to_json(),
        };
        self.check_schema(file, &node, &top, Which::Manifest);
        // Items are still checked when other top-level keys are wrong, with the fields of
        // `defaults` that can be read.
        let defaults = top
            .get("defaults")
            .map(readable_defaults)
            .unwrap_or_default();
        let base = Inherited {
            phone_code: config.phone_code,
            ..Inherited::default()
        };
        let defaults_node = node.get("defaults").map(|(_, v)| v);
        if let Some(n) = defaults_node {
            self.check_inherited(config, file, n, &defaults);
        }
        let Defaults {
            scope,
            phone_code,
            reason,
            purpose,
        } = &defaults;
        let inherited = base.over(*scope, *phone_code, reason, purpose);
        for (index, (_, list)) in Item::ALL.iter().enumerate() {
            let Some((
                _,
                Node {
                    value: Y::Seq(items),
                    ..
                },
            )) = node.get(list)
            else {
                continue;
            };
            let kind = Item::ALL[index].0;
            for item in items {
                let skip = self.keep.is_some_and(|keep| {
                    kind != Item::Include
                        && !keep(file.text.get(item.span.clone()).unwrap_or_default())
                });
                if skip {
                    continue;
                }
                let json = item.to_json();
                if !self.check_schema(file, item, &json, Which::Item(index)) {
                    continue;
                }
                self.item(
                    config,
                    name,
                    file,
                    item,
                    json,
                    Item::ALL[index].0,
                    &inherited,
                );
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn item(
        &mut self,
        config: &Config,
        name: &str,
        file: &Arc<SourceFile>,
        node: &Node,
        json: Value,
        kind: Item,
        inherited: &Inherited,
    ) {
        let span = |key: &str| {
            node.get(key)
                .map(|(_, v)| v.span.clone())
                .unwrap_or_else(|| head(&file.text, &node.span))
        };
        let text = |v: &Option<String>, key: &str| v.clone().map(|s| (s, span(key)));
        match kind {
            Item::Entry => {
                let Some(e) = self.spec::<EntrySpec>(file, node, json) else {
                    return;
                };
                let row = Row {
                    head: head(&file.text, &node.span),
                    number: (e.number.into_string(), span("number")),
                    phone_code: e.phone_code,
                    scope: e.scope.map(|s| (s, span("scope"))),
                    reason: text(&e.reason, "reason"),
                    purpose: text(&e.purpose, "purpose"),
                    requested_at: text(&e.requested_at, "requested_at"),
                    removal_reason: None,
                };
                self.accept(config, file, row, inherited);
            }
            Item::Removal => {
                let Some(r) = self.spec::<RemovalSpec>(file, node, json) else {
                    return;
                };
                let row = Row {
                    head: head(&file.text, &node.span),
                    number: (r.number.into_string(), span("number")),
                    phone_code: r.phone_code,
                    scope: r.scope.map(|s| (s, span("scope"))),
                    requested_at: text(&r.requested_at, "requested_at"),
                    removal_reason: Some((r.removal_reason, span("removal_reason"))),
                    ..Row::default()
                };
                self.accept(config, file, row, inherited);
            }
            Item::Include => {
                let Some(inc) = self.spec::<IncludeSpec>(file, node, json) else {
                    return;
                };
                let defaults = Defaults {
                    scope: inc.scope,
                    phone_code: inc.phone_code,
                    reason: inc.reason.clone(),
                    purpose: inc.purpose.clone(),
                };
                self.check_inherited(config, file, node, &defaults);
                let inherited =
                    inherited.over(inc.scope, inc.phone_code, &inc.reason, &inc.purpose);
                let dir = Path::new(name).parent().unwrap_or(Path::new(""));
                let rel = match super::files::confine(dir, &inc.csv) {
                    Ok(rel) => rel,
                    Err(refusal) => {
                        self.error(outside(file, &inc.csv, refusal, span("csv")));
                        return;
                    }
                };
                self.includes.push(Include {
                    path: config.root.join(&rel),
                    name: relative(Path::new(""), &rel),
                    from: (file.clone(), span("csv")),
                    inherited,
                });
            }
        }
    }

    /// Reads an item that passed the schema; what still cannot be read is an error, so no
    /// item is ever skipped in silence.
    fn spec<T: serde::de::DeserializeOwned>(
        &mut self,
        file: &SourceFile,
        node: &Node,
        json: Value,
    ) -> Option<T> {
        let e = match serde_json::from_value(json) {
            Ok(spec) => return Some(spec),
            Err(e) => e,
        };
        if !self.reported_inexact(&node.span) {
            self.error(At(file).diag(
                Severity::Error,
                "dnc::schema::invalid",
                format!("this item cannot be read: {}", excerpt(&e.to_string())),
                head(&file.text, &node.span),
                "here",
            ));
        }
        None
    }

    /// Checks values set once for many items (file defaults, include defaults) where they
    /// are written, so a bad default is reported once, not once per entry.
    fn check_inherited(&mut self, config: &Config, file: &SourceFile, node: &Node, d: &Defaults) {
        let span = |key: &str| {
            node.get(key)
                .map(|(_, v)| v.span.clone())
                .unwrap_or(node.span.clone())
        };
        if let Some(s) = d.scope {
            self.check_scope(config, file, s, span("scope"));
        }
        if let Some(r) = &d.reason {
            self.check_text(file, "reason", r, span("reason"), config.reasons.as_deref());
        }
        if let Some(p) = &d.purpose {
            self.check_text(
                file,
                "purpose",
                p,
                span("purpose"),
                config.purposes.as_deref(),
            );
        }
    }

    fn check_scope(
        &mut self,
        config: &Config,
        file: &SourceFile,
        scope: ScopeRef,
        span: Range<usize>,
    ) -> bool {
        let id = scope.campaign_id();
        if self.any_scope || config.scopes.iter().any(|s| s.id == id) {
            return true;
        }
        let managed: Vec<String> = config.scopes.iter().map(|s| s.id.to_string()).collect();
        self.error(
            At(file)
                .diag(
                    Severity::Error,
                    "dnc::entry::unknown_scope",
                    format!("{id} is not a scope this config manages"),
                    span,
                    "unknown scope",
                )
                .with_help(format!(
                    "managed scopes: {}; add it to `scopes` in the config",
                    managed.join(", ")
                )),
        );
        false
    }

    fn check_text(
        &mut self,
        file: &SourceFile,
        what: &str,
        value: &str,
        span: Range<usize>,
        allowed: Option<&[String]>,
    ) -> bool {
        if value.trim().is_empty() {
            self.error(At(file).diag(
                Severity::Error,
                "dnc::entry::empty",
                format!("`{what}` is empty"),
                span,
                "empty",
            ));
            return false;
        }
        // History reads what a file said, without the checks of today's account.
        let sent = what != "removal_reason" && !self.any_scope;
        if let Some(problem) = crate::entry::api_text_problem(value).filter(|_| sent) {
            // Text already on the account (an import) may hold control characters; it is
            // only a problem once dnc has to send it.
            let severity = match problem {
                TextProblem::Control => Severity::Warning,
                _ => Severity::Error,
            };
            self.error(
                At(file)
                    .diag(
                        severity,
                        "dnc::entry::api_limit",
                        format!("`{what}` cannot be sent to Convoso: {problem}"),
                        span,
                        "refused by the API",
                    )
                    .with_help(match problem {
                        TextProblem::TooLong(_) => format!(
                            "shorten it to at most {} characters",
                            crate::entry::MAX_API_TEXT
                        ),
                        TextProblem::Control => "write it on one line, without tabs".into(),
                        TextProblem::Keyword => format!("write the {what} itself, or leave it out"),
                    }),
            );
            return severity == Severity::Warning;
        }
        if let Some(allowed) = allowed
            && !allowed.iter().any(|a| a == value)
        {
            self.error(
                At(file)
                    .diag(
                        Severity::Error,
                        "dnc::entry::not_allowed",
                        format!("`{}` is not an allowed {what}", excerpt(value)),
                        span,
                        format!("not in the config's `{what}s`"),
                    )
                    .with_help(format!("allowed: {}", allowed.join(", "))),
            );
            return false;
        }
        true
    }

    /// The semantic pass for one entry or tombstone; accepted items become candidates.
    pub(super) fn accept(
        &mut self,
        config: &Config,
        file: &Arc<SourceFile>,
        row: Row,
        inherited: &Inherited,
    ) {
        let at = At(file);
        let mut ok = true;
        let scope = match (&row.scope, inherited.scope) {
            (Some((s, span)), _) => {
                ok &= self.check_scope(config, file, *s, span.clone());
                Some(*s)
            }
            (None, Some(s)) => Some(s),
            (None, None) => {
                self.error(
                    at.diag(
                        Severity::Error,
                        "dnc::entry::no_scope",
                        "no scope for this entry",
                        row.head.clone(),
                        "no `scope`",
                    )
                    .with_help("set `scope` here or in the file's `defaults`"),
                );
                ok = false;
                None
            }
        };
        let tombstone = row.removal_reason.is_some();
        let mut reason = String::new();
        if let Some((r, span)) = &row.removal_reason {
            ok &= self.check_text(file, "removal_reason", r, span.clone(), None);
            reason = r.clone();
        } else {
            match (&row.reason, &inherited.reason) {
                (Some((r, span)), _) => {
                    ok &=
                        self.check_text(file, "reason", r, span.clone(), config.reasons.as_deref());
                    reason = r.clone();
                }
                (None, Some(r)) => reason = r.clone(),
                (None, None) => {
                    self.error(at.diag(Severity::Error, "dnc::entry::no_reason", "no reason for this entry", row.head.clone(), "no `reason`").with_help("every entry needs a reason: set `reason` here or in the file's `defaults`"));
                    ok = false;
                }
            }
        }
        let purpose = match (&row.purpose, &inherited.purpose) {
            (Some((p, span)), _) => {
                ok &= self.check_text(file, "purpose", p, span.clone(), config.purposes.as_deref());
                Some(p.clone())
            }
            (None, p) => p.clone(),
        };
        let requested_at = row.requested_at.as_ref().and_then(|(date, span)| {
            let day = calendar::parse_day(date);
            if day.is_none() {
                self.error(
                    at.diag(
                        Severity::Error,
                        "dnc::entry::date",
                        format!("`{}` is not a date", excerpt(date)),
                        span.clone(),
                        "expected YYYY-MM-DD or an RFC 3339 date-time",
                    )
                    .with_help("write the day (2026-03-01) or the moment with its offset (2026-03-01T14:30:00-05:00)"),
                );
            }
            day
        });
        ok &= row.requested_at.is_none() || requested_at.is_some();
        let (number, number_span) = &row.number;
        let code = row.phone_code.or(inherited.phone_code);
        let phone = match phone::normalize(code, number) {
            Ok((phone, assignment)) => {
                if assignment == Assignment::Unassigned {
                    let severity = if config.strict {
                        Severity::Error
                    } else {
                        Severity::Warning
                    };
                    self.error(
                        at.diag(
                            severity,
                            "dnc::number::unassigned",
                            format!("`{number}` is in no assigned range of +{}", phone.code),
                            number_span.clone(),
                            "unassigned number",
                        )
                        .with_help(
                            "check the digits; `strict: true` or --strict makes this an error",
                        ),
                    );
                    ok &= !config.strict;
                }
                Some(phone)
            }
            Err(e) => {
                // Point at the offending character itself when the source shows it verbatim.
                let number_span = match &e {
                    phone::PhoneError::BadCharacter { ch, .. } => file.text[number_span.clone()]
                        .find(*ch)
                        .map_or(number_span.clone(), |i| {
                            number_span.start + i..number_span.start + i + ch.len_utf8()
                        }),
                    _ => number_span.clone(),
                };
                let (label, help) = match (&e, code) {
                    (phone::PhoneError::BadCharacter { .. }, _) => (
                        "not allowed in a number",
                        "write the digits as dialed: vanity letters, extensions and look-alike \
                         digits are not part of a DNC number",
                    ),
                    (phone::PhoneError::NotANumber(_), None) => (
                        "invalid number",
                        "write the number with `+` and its country code, or set `phone_code`",
                    ),
                    _ => (
                        "invalid number",
                        "check the digits and the phone code (libphonenumber rules)",
                    ),
                };
                self.error(
                    at.diag(
                        Severity::Error,
                        "dnc::number::invalid",
                        e.to_string(),
                        number_span,
                        label,
                    )
                    .with_help(help),
                );
                None
            }
        };
        let (Some(scope), Some(phone), true) = (scope, phone, ok) else {
            return;
        };
        let loc = file.locate(row.head.clone());
        self.out.items.push(Candidate {
            key: Key {
                scope: scope.campaign_id(),
                phone,
            },
            reason,
            purpose,
            tombstone,
            requested_at,
            source: Source {
                file: loc.file,
                line: loc.line,
                column: loc.column,
            },
            head: row.head,
        });
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
            super::csv_include::read(&mut check, config, &csv, &include.inherited);
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

/// Keys whose plain-number values must be exact whole numbers.
const WHOLE_NUMBERS: [&str; 3] = ["number", "scope", "phone_code"];

/// The error for a plain YAML number under `key` that is not an exact whole number.
fn not_whole(file: &SourceFile, key: &str, text: &str, span: Range<usize>) -> Option<Diagnostic> {
    let Value::Number(n) = yaml::core_schema(text) else {
        return None;
    };
    if n.is_i64() || (key == "number" && n.is_u64()) {
        return None;
    }
    let shown = excerpt(text);
    let digits = text.trim_start_matches(['+', '-']);
    let overflow = digits.bytes().all(|b| b.is_ascii_digit());
    let message = if overflow {
        format!("`{shown}` is too large for a whole number")
    } else {
        format!("`{shown}` is read as a decimal number, not as the digits written")
    };
    // The whole number the writer most likely meant, if the value is one.
    let meant = n
        .as_f64()
        .filter(|f| !overflow && f.fract() == 0.0 && f.abs() < 1e15)
        .map(|f| format!("{f:.0}"));
    let help = match (key, meant) {
        ("number", Some(m)) => format!("quote the number: `number: \"{m}\"`"),
        ("number", None) => format!("quote the number as written: `number: \"{shown}\"`"),
        (_, Some(m)) => format!("write a whole number: `{key}: {m}`"),
        ("scope", None) => "a scope is `global`, `purpose-type` or a campaign id".into(),
        _ => "a country calling code is a whole number from 1 to 999".into(),
    };
    Some(
        At(file)
            .diag(
                Severity::Error,
                "dnc::value::not_whole",
                message,
                span,
                "not a whole number",
            )
            .with_help(help),
    )
}

/// The readable fields of a file's `defaults`: a bad field is reported by the schema pass,
/// and the items that need it then fail on their own instead of being skipped.
fn readable_defaults(value: &Value) -> Defaults {
    let field = |key: &str| {
        let mut one = serde_json::Map::new();
        one.insert(key.to_string(), value.get(key)?.clone());
        serde_json::from_value::<Defaults>(Value::Object(one)).ok()
    };
    Defaults {
        scope: field("scope").and_then(|d| d.scope),
        phone_code: field("phone_code").and_then(|d| d.phone_code),
        reason: field("reason").and_then(|d| d.reason),
        purpose: field("purpose").and_then(|d| d.purpose),
    }
}

#[derive(Clone, Copy)]
enum Which {
    Config,
    Manifest,
    Item(usize),
}

/// Turns one schema error into diagnostics at the exact node (or key) it is about.
fn schema_diagnostic(
    file: &SourceFile,
    node: &Node,
    schema: &Value,
    err: &jsonschema::ValidationError,
    item: bool,
) -> Vec<Diagnostic> {
    use jsonschema::error::ValidationErrorKind as K;
    let pointer = err.instance_path().as_str();
    let (target, key) = node.at_pointer(pointer);
    let at = At(file);
    let field = pointer
        .rsplit('/')
        .find(|s| s.parse::<usize>().is_err())
        .unwrap_or("document");
    let schema_node = schema::at_pointer(schema, pointer);
    // A mapping that fails `anyOf` (an optional section such as `defaults`): report what
    // is wrong inside it, from the branch that accepts mappings.
    if let (K::AnyOf { context }, Y::Map(_)) = (err.kind(), &target.value) {
        let inner = context.iter().find(|errors| {
            errors.iter().any(|e| {
                e.instance_path().as_str() != pointer
                    || matches!(
                        e.kind(),
                        K::AdditionalProperties { .. } | K::Required { .. }
                    )
            })
        });
        if let Some(errors) = inner {
            return errors
                .iter()
                .flat_map(|e| schema_diagnostic(file, node, schema, e, item))
                .collect();
        }
    }
    match err.kind() {
        K::AdditionalProperties { unexpected } => {
            let allowed: Vec<&str> = schema_node
                .and_then(|n| n.get("properties"))
                .and_then(Value::as_object)
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            unexpected
                .iter()
                .map(|k| {
                    let span = target
                        .get(k)
                        .map_or(target.span.clone(), |(kn, _)| kn.span.clone());
                    let mut d = at.diag(
                        Severity::Error,
                        "dnc::schema::unknown_key",
                        format!("unknown key `{}`", excerpt(k)),
                        span,
                        "not allowed here",
                    );
                    let near = allowed.iter().find(|a| close(a, k));
                    d.help = Some(match near {
                        Some(n) => {
                            format!("did you mean `{n}`? allowed here: {}", allowed.join(", "))
                        }
                        None => format!("allowed here: {}", allowed.join(", ")),
                    });
                    d
                })
                .collect()
        }
        K::Required { property } => {
            let p = property.as_str().unwrap_or_default();
            let what = if pointer.is_empty() && !item {
                "the file"
            } else {
                "this item"
            };
            vec![at.diag(
                Severity::Error,
                "dnc::schema::missing",
                format!("missing required key `{p}`"),
                head(&file.text, &target.span),
                format!("{what} has no `{p}`"),
            )]
        }
        _ => {
            let span = if matches!(target.value, Y::Scalar { .. }) || key.is_none() {
                target.span.clone()
            } else {
                head(&file.text, &target.span)
            };
            let shown = match &target.value {
                Y::Scalar { text, .. } => format!("`{}`", excerpt(text)),
                Y::Seq(_) => "a list".to_string(),
                Y::Map(_) => "a mapping".to_string(),
            };
            let description = schema_node
                .and_then(|n| n.get("description"))
                .and_then(Value::as_str);
            let mut help = description.map(str::to_string);
            let message = match err.kind() {
                K::AnyOf { .. } | K::OneOfNotValid { .. } => {
                    if field == "number" && matches!(target.value, Y::Scalar { plain: true, .. }) {
                        help = Some("write the number in quotes: `number: \"2025550143\"`".into());
                    }
                    format!("{shown} is not a valid `{field}`")
                }
                K::Type { .. } => {
                    let want = expected(schema_node);
                    if want == "text"
                        && let Y::Scalar { text, plain: true } = &target.value
                    {
                        help = Some(format!("quote it: `{field}: \"{}\"`", excerpt(text)));
                    }
                    format!("`{field}` must be {want}, not {shown}")
                }
                _ => format!("invalid `{field}`: {}", err.masked()),
            };
            let mut d = at.diag(
                Severity::Error,
                "dnc::schema::invalid",
                message,
                span,
                "here",
            );
            d.help = help;
            vec![d]
        }
    }
}

/// The kinds of value a schema node accepts, in words (null, meaning "absent", left out).
fn expected(schema_node: Option<&Value>) -> String {
    let types: Vec<&str> = match schema_node.and_then(|n| n.get("type")) {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let words: Vec<&str> = types
        .iter()
        .filter_map(|t| match *t {
            "string" => Some("text"),
            "integer" => Some("a whole number"),
            "number" => Some("a number"),
            "boolean" => Some("true or false"),
            "array" => Some("a list"),
            "object" => Some("a mapping of keys to values"),
            _ => None,
        })
        .collect();
    if words.is_empty() {
        "something else".into()
    } else {
        words.join(" or ")
    }
}

/// A likely misspelling: same length +-1 and at most two differing characters.
fn close(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()] <= 2
}
