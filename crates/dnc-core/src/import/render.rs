//! Rendering the chosen entries as manifests: YAML with the schema modeline, and CSV
//! includes for scopes above the threshold.

use super::*;

/// The manifest text (and the CSV text when `use_csv`) for one group of scopes.
pub(super) fn render(
    manifest: &Path,
    csv: &Path,
    group: Group,
    use_csv: bool,
    schema_line: Option<String>,
    opts: &Options,
) -> Vec<OutFile> {
    let one_scope = (group.len() == 1).then(|| group[0].0);
    let total: usize = group.iter().map(|(_, r)| r.len()).sum();
    let scopes: Vec<String> = group.iter().map(|(s, _)| s.to_string()).collect();
    let mut yaml = String::new();
    if let Some(line) = schema_line {
        let _ = writeln!(yaml, "{line}");
    }
    let _ = writeln!(
        yaml,
        "# Imported by `dnc import` on {} from {}: {} of {}.",
        opts.date,
        one_line(&opts.origin),
        entries(total),
        scopes.join(", ")
    );
    yaml.push_str(
        "# Reasons and purposes are the ones Convoso holds; `source` names each entry's Convoso id.\n",
    );
    if let Some(scope) = one_scope {
        let _ = writeln!(yaml, "defaults:\n  scope: {}", scope_text(scope));
    }
    let (mut in_yaml, mut in_csv) = (Vec::new(), Vec::new());
    for (scope, rows) in group {
        for row in rows {
            if use_csv && csv_safe(&row) {
                in_csv.push((scope, row));
            } else {
                in_yaml.push((scope, row));
            }
        }
    }
    let mut files = Vec::new();
    if !in_csv.is_empty() {
        let name = csv
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let _ = writeln!(yaml, "include:\n  - csv: {}", yaml_str(&name));
        files.push(OutFile {
            path: csv.to_path_buf(),
            text: csv_text(&in_csv, one_scope.is_none()),
        });
    }
    if !in_yaml.is_empty() {
        yaml.push_str("entries:\n");
        for (scope, row) in &in_yaml {
            let _ = writeln!(yaml, "  - number: {}", yaml_str(&row.number));
            if let Some(code) = row.phone_code {
                let _ = writeln!(yaml, "    phone_code: {code}");
            }
            if one_scope.is_none() {
                let _ = writeln!(yaml, "    scope: {}", scope_text(*scope));
            }
            let _ = writeln!(yaml, "    reason: {}", yaml_str(&row.reason));
            if let Some(p) = &row.purpose {
                let _ = writeln!(yaml, "    purpose: {}", yaml_str(p));
            }
            let _ = writeln!(yaml, "    source: {}", yaml_str(&row.source));
        }
    }
    files.push(OutFile {
        path: manifest.to_path_buf(),
        text: yaml,
    });
    files
}

/// CSV cells are trimmed when read and cannot hold every character a YAML string can: such
/// rows stay in the manifest.
pub(super) fn csv_safe(row: &Row) -> bool {
    let ok = |s: &str| s.trim() == s && !s.chars().any(char::is_control);
    ok(&row.reason) && row.purpose.as_deref().is_none_or(ok)
}

pub(super) fn csv_text(rows: &[(CampaignId, Row)], with_scope: bool) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let with_code = rows.iter().any(|(_, r)| r.phone_code.is_some());
    let mut header = vec!["number"];
    if with_code {
        header.push("phone_code");
    }
    if with_scope {
        header.push("scope");
    }
    header.extend(["reason", "purpose", "source"]);
    w.write_record(&header).expect("writing to memory");
    for (scope, row) in rows {
        let mut record = vec![row.number.clone()];
        if with_code {
            record.push(row.phone_code.map_or_else(String::new, |c| c.to_string()));
        }
        if with_scope {
            record.push(scope_text(*scope));
        }
        record.extend([
            row.reason.clone(),
            row.purpose.clone().unwrap_or_default(),
            row.source.clone(),
        ]);
        w.write_record(&record).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("CSV of UTF-8 is UTF-8")
}

/// The scope as manifests and CSV files name it.
pub fn scope_text(scope: CampaignId) -> String {
    match scope {
        CampaignId::GLOBAL => "global".into(),
        CampaignId::PURPOSE_TYPE => "purpose-type".into(),
        CampaignId(id) => id.to_string(),
    }
}

pub(super) fn file_scope(scope: CampaignId) -> String {
    match scope {
        CampaignId::GLOBAL | CampaignId::PURPOSE_TYPE => scope_text(scope),
        CampaignId(id) => format!("campaign-{id}"),
    }
}

/// `1 entry`, `2 entries`.
pub fn entries(n: usize) -> String {
    if n == 1 {
        "1 entry".into()
    } else {
        format!("{n} entries")
    }
}

pub(super) fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if crate::escape::hidden(c) { ' ' } else { c })
        .collect()
}
