//! The one `dnc.yaml` builder: version 1, manifests `lists/*.yaml`, phone code 1, and the
//! scopes and settings a test names.

use std::fmt::Write;

/// A config's text, built up scope by scope; it reads as a `&str`.
#[derive(Clone, Debug)]
pub struct Config(String);

impl Config {
    /// Manifests `lists/*.yaml`, no scopes yet.
    pub fn new() -> Config {
        Config::reading("lists/*.yaml")
    }

    /// Manifests matching `glob`, no scopes yet.
    pub fn reading(glob: &str) -> Config {
        Config(format!(
            "version: 1\nmanifests: [\"{glob}\"]\nphone_code: 1\nscopes:\n"
        ))
    }

    /// Global, campaign 111 (Sales Campaign) and purpose-type: what most tests manage.
    pub fn standard() -> Config {
        Config::new()
            .scope("global", &[])
            .scope("111", &[("name", "Sales Campaign")])
            .scope("purpose-type", &[])
    }

    /// Global (pruned when `prune_global`), 111, 222 (pruned) and purpose-type, removing at
    /// most `max_removals` entries.
    pub fn pruning(prune_global: bool, max_removals: u32) -> Config {
        Config::new()
            .scope("global", &[("prune", &prune_global.to_string())])
            .scope("111", &[("name", "Sales Campaign")])
            .scope("222", &[("name", "Renewals"), ("prune", "true")])
            .scope("purpose-type", &[])
            .safety(max_removals)
    }

    /// One more scope with its `fields`, in order.
    pub fn scope(mut self, scope: &str, fields: &[(&str, &str)]) -> Config {
        writeln!(self.0, "  - scope: {scope}").unwrap();
        for (key, value) in fields {
            writeln!(self.0, "    {key}: {value}").unwrap();
        }
        self
    }

    /// A safety block allowing `max_removals` removals, at any share of a scope.
    pub fn safety(self, max_removals: u32) -> Config {
        self.with(&format!(
            "safety:\n  max_removals: {max_removals}\n  max_removal_percent: 100\n"
        ))
    }

    /// `yaml` appended as it is (top-level keys after the scopes).
    pub fn with(mut self, yaml: &str) -> Config {
        self.0.push_str(yaml);
        self
    }
}

impl std::ops::Deref for Config {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}
