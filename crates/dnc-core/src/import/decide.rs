//! Deciding what to write: which remote entries each scope's file holds, what phone code and
//! notation each number is written in, whether the config allows their reasons, and where
//! the files go.

use super::*;

/// Whether `files` (a rendered group) hold `scope`: with one file per scope, by name.
pub(super) fn files_hold(files: &[OutFile], scope: CampaignId, single: bool) -> bool {
    let stem = format!("imported-{}", file_scope(scope));
    single
        || files
            .iter()
            .any(|f| f.path.file_stem().and_then(|s| s.to_str()) == Some(&stem))
}

pub(super) fn scope_rows(
    config: &Config,
    remote: &RemoteState,
    scope: CampaignId,
    opts: &Options,
    named: &BTreeMap<&Key, String>,
    already: &mut Vec<String>,
) -> (ScopeReport, Vec<Row>) {
    let mut report = ScopeReport {
        scope,
        remote: 0,
        imported: 0,
        given_reason: 0,
        managed: 0,
        no_reason: 0,
        unlearned: 0,
        bad_number: Vec::new(),
        blank_purpose: 0,
        unsendable: 0,
        duplicates: 0,
        refused: None,
        files: Vec::new(),
    };
    let Some(state) = remote.scope(scope) else {
        report.refused = Some("it was not read".into());
        return (report, Vec::new());
    };
    report.remote = state.entries.len();
    if let Some(why) = &state.incomplete {
        report.refused = Some(format!("its read is incomplete: {why}"));
        return (report, Vec::new());
    }
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    for e in &state.entries {
        // The plan compares a manifest entry with the first remote entry of its key.
        if !seen.insert(&e.key) {
            report.duplicates += 1;
            continue;
        }
        if let Some(at) = named.get(&e.key) {
            report.managed += 1;
            already.push(at.clone());
            continue;
        }
        if !e.known.is_known() {
            report.unlearned += 1;
            continue;
        }
        if e.purpose.as_deref().is_some_and(|p| p.trim().is_empty()) {
            report.blank_purpose += 1;
            continue;
        }
        let phone_code = (config.phone_code != Some(e.key.phone.code)).then_some(e.key.phone.code);
        let Some(number) = writable_number(config, e, phone_code) else {
            report.bad_number.push(e.key.phone.display());
            continue;
        };
        let reason = match (&e.reason, &opts.blank_reason) {
            (Some(r), _) if !r.trim().is_empty() => r.to_string(),
            (_, Some(given)) => {
                report.given_reason += 1;
                given.clone()
            }
            (_, None) => {
                report.no_reason += 1;
                continue;
            }
        };
        let unsendable =
            |text: Option<&str>| text.and_then(crate::entry::api_text_problem).is_some();
        if unsendable(Some(&reason)) || unsendable(e.purpose.as_deref()) {
            report.unsendable += 1;
            continue;
        }
        report.imported += 1;
        rows.push(Row {
            key: e.key.clone(),
            number,
            phone_code,
            reason,
            purpose: e.purpose.as_deref().map(str::to_string),
            source: format!("imported from Convoso on {}, id {}", opts.date, e.id),
        });
    }
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    (report, rows)
}

/// The number as a manifest writes it, checked to normalize back to the same key.
pub(super) fn writable_number(
    config: &Config,
    e: &RemoteEntry,
    phone_code: Option<u16>,
) -> Option<String> {
    let phone = &e.key.phone;
    let code = phone_code.or(config.phone_code);
    [
        phone.display(),
        format!("+{}{}", phone.code, phone.national),
    ]
    .into_iter()
    .find(|text| {
        matches!(phone::normalize(code, text), Ok((p, a))
                if p == *phone && (a == Assignment::Assigned || !config.strict))
    })
}

pub(super) fn check_allowed(config: &Config, groups: &Group) -> Result<(), ImportError> {
    let missing = |allowed: &Option<Vec<String>>, values: &mut dyn Iterator<Item = &String>| {
        let Some(allowed) = allowed else {
            return Vec::new();
        };
        let set: std::collections::BTreeSet<String> =
            values.filter(|v| !allowed.contains(v)).cloned().collect();
        set.into_iter().collect::<Vec<_>>()
    };
    let rows = || groups.iter().flat_map(|(_, r)| r.iter());
    let reasons = missing(&config.reasons, &mut rows().map(|r| &r.reason));
    let purposes = missing(
        &config.purposes,
        &mut rows().filter_map(|r| r.purpose.as_ref()),
    );
    if reasons.is_empty() && purposes.is_empty() {
        Ok(())
    } else {
        Err(ImportError::NotAllowed { reasons, purposes })
    }
}

/// The directory of the first `manifests` glob that matches a file written there, else the
/// config's directory.
pub(super) fn default_dir(config: &Config, scope: CampaignId) -> PathBuf {
    let name = format!("imported-{}.yaml", file_scope(scope));
    config
        .manifests
        .iter()
        .map(|pattern| literal_dir(pattern))
        .find(|dir| matched(config, &dir.join(&name)))
        .unwrap_or_default()
}

/// The leading directories of a glob that hold no pattern characters.
pub(super) fn literal_dir(pattern: &str) -> PathBuf {
    let parts: Vec<&str> = pattern.split('/').collect();
    parts[..parts.len().saturating_sub(1)]
        .iter()
        .take_while(|p| !p.contains(['*', '?', '[', '{']))
        .filter(|p| !p.is_empty() && **p != ".")
        .collect()
}

/// Whether a path (relative to the config's directory) matches one of its `manifests` globs.
pub(super) fn matched(config: &Config, path: &Path) -> bool {
    let path = paths::slashed(path);
    config.manifests.iter().any(|pattern| {
        let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
        glob::Pattern::new(pattern).is_ok_and(|p| p.matches(&path))
    })
}
