//! The root config: its schema, its semantic checks (scopes, allowed values, deadlines)
//! and the `Config` the plan uses.

use super::schemas::Which;
use super::{Check, ManifestFiles, head};
use crate::calendar::Calendar;
use crate::entry::CampaignId;
use crate::manifest::diagnostics::{At, Severity, SourceFile};
use crate::manifest::files::{self, Disk};
use crate::manifest::model::{ConfigFile, HolidayCalendar};
use crate::manifest::yaml::{self, Node, Value as Y};
use crate::manifest::{Config, Deadlines, Safety, ScopeConfig, ScopeSafety};
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

impl Check<'_> {
    /// The config and the manifest files its globs name. A glob that matches nothing is
    /// reported, and the files the others match are still read.
    pub(in crate::manifest) fn config(
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
            .unwrap_or(files::DEFAULT_MAX_FILE_BYTES);
        let read = |p: &Path| disk.read(p, cap);
        let manifests =
            self.manifest_files(&file, &node, &config, path, &read, disk.overlay_path());
        Some((config, manifests, cap))
    }

    /// The config alone, without reading the manifests its globs name.
    pub(in crate::manifest) fn config_only(&mut self, path: &Path) -> Option<Config> {
        let file = self.config_text(path)?;
        self.config_of(&file, false).map(|(config, _)| config)
    }

    fn config_text(&mut self, path: &Path) -> Option<Arc<SourceFile>> {
        let name = crate::paths::relative(self.root, path);
        let read = |p: &Path| files::read_regular(p, files::DEFAULT_MAX_FILE_BYTES);
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
                    .with_help("list each scope once")
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
                        self.error(
                            At(file)
                                .diag(
                                    Severity::Error,
                                    "dnc::config::empty_value",
                                    format!("empty value in `{key}`"),
                                    item.span.clone(),
                                    "empty",
                                )
                                .with_help("write the value, or remove the empty item"),
                        );
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
            require: spec.require,
            approvals: spec.removals.approvals,
            ledger_root: spec.ledger.map(|l| l.root),
            organization: spec.organization,
            account: spec.account,
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
                Err(_) => self.error(
                    At(file)
                        .diag(
                            Severity::Error,
                            "dnc::config::date",
                            format!("`{}` is not a date", day.0),
                            item.span.clone(),
                            "no such day",
                        )
                        .with_help("write the day as YYYY-MM-DD, e.g. 2026-12-24"),
                ),
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
}
