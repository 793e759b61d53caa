//! Generated and mutated input through `validate` in-process (proptest, stable Rust):
//! no item ever vanishes, and no input makes validation or rendering panic. Every crash
//! found is kept as a fixture under tests/fixtures/fuzz/ and replayed first.

use crate::common::Config;
use dnc::manifest::{self, Severity};
use proptest::prelude::*;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Global and campaign 111.
fn config() -> Config {
    Config::new().scope("global", &[]).scope("111", &[])
}

/// Cases per property: a bounded count in the normal suite, more with `PROPTEST_CASES=n`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (0..40u32).prop_map(|n| format!("\"202-555-01{n:02}\"")),
        (0..40u32).prop_map(|n| format!("20255501{n:02}")),
        Just("2025550143.0".to_string()),
        Just("2.025550143e9".to_string()),
        Just("99999999999999999999".to_string()),
        Just("true".to_string()),
        Just("~".to_string()),
        Just("\"12345\"".to_string()),
        Just("\"+44 20 7946 0018\"".to_string()),
    ]
}

fn optional(values: &'static [&'static str]) -> impl Strategy<Value = Option<&'static str>> {
    prop::option::of(prop::sample::select(values))
}

/// One YAML item, written on one line.
fn item() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        number(),
        optional(&[
            "global",
            "111",
            "111.0",
            "999",
            "true",
            "9223372036854775808",
        ]),
        optional(&["1", "1.0", "44", "1000", "false"]),
        optional(&["DNC", "''", "-BLANK-", "\"a\\tb\""]),
    )
        .prop_map(|(removal, number, scope, code, reason)| {
            let mut fields = vec![format!("number: {number}")];
            fields.extend(scope.map(|s| format!("scope: {s}")));
            fields.extend(code.map(|c| format!("phone_code: {c}")));
            let key = if removal { "removal_reason" } else { "reason" };
            fields.extend(reason.map(|r| format!("{key}: {r}")));
            format!(
                "{}{{{}}}",
                if removal { "R" } else { "E" },
                fields.join(", ")
            )
        })
}

/// One CSV row of `number,scope,phone_code,reason`.
fn row() -> impl Strategy<Value = String> {
    (
        prop::sample::select(&["2025550150", "2.02555015e9", "12", "", "x"][..]),
        prop::sample::select(&["global", "111", "111.0", "", "-5"][..]),
        prop::sample::select(&["1", "1.0", "", "0"][..]),
        prop::sample::select(&["DNC", "", "-NOTBLANK-"][..]),
    )
        .prop_map(|(n, s, c, r)| format!("{n},{s},{c},{r}"))
}

fn write(dir: &Path, files: &[(&str, &[u8])]) {
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

/// Item lines of a generated manifest and CSV file, by (file, 1-based line).
fn layout(items: &[String], rows: &[String]) -> (String, String, Vec<(&'static str, u32)>) {
    let mut yaml = String::from("defaults: {reason: Customer Request}\n");
    let mut places = Vec::new();
    for (list, tag) in [("entries", 'E'), ("removals", 'R')] {
        let mine: Vec<&String> = items.iter().filter(|i| i.starts_with(tag)).collect();
        yaml.push_str(&format!(
            "{list}:{}\n",
            if mine.is_empty() { " []" } else { "" }
        ));
        for item in mine {
            yaml.push_str(&format!("  - {}\n", &item[1..]));
            places.push(("lists/m.yaml", yaml.lines().count() as u32));
        }
    }
    yaml.push_str("include: [{csv: rows.csv, scope: global}]\n");
    let mut csv = String::from("number,scope,phone_code,reason\n");
    for (i, row) in rows.iter().enumerate() {
        csv.push_str(row);
        csv.push('\n');
        places.push(("lists/rows.csv", i as u32 + 2));
    }
    (yaml, csv, places)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(48), ..ProptestConfig::default() })]

    /// items = entries + tombstones + items with errors: each item is accepted or has an
    /// error of its own, never both, never neither.
    #[test]
    fn no_item_vanishes(
        items in prop::collection::vec(item(), 0..12),
        rows in prop::collection::vec(row(), 0..8),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let (yaml, csv, places) = layout(&items, &rows);
        write(tmp.path(), &[
            ("dnc.yaml", config().as_bytes()),
            ("lists/m.yaml", yaml.as_bytes()),
            ("lists/rows.csv", csv.as_bytes()),
        ]);
        let loaded = manifest::load(tmp.path(), false);
        let d = &loaded.desired;
        let accepted: Vec<(String, u32)> = d.entries.iter().map(|e| &e.source)
            .chain(d.tombstones.iter().map(|t| &t.source))
            .map(|s| (s.file.to_string(), s.line))
            .collect();
        let failed: HashSet<(String, u32)> = loaded.diagnostics.items.iter()
            .filter(|x| x.severity == Severity::Error)
            .filter_map(|x| x.at.as_ref().map(|a| (a.file.to_string(), a.line)))
            .collect();
        for (file, line) in &places {
            let place = (file.to_string(), *line);
            let ok = accepted.contains(&place);
            let bad = failed.contains(&place);
            prop_assert!(ok != bad, "{file}:{line} accepted {ok}, failed {bad}\n{yaml}\n{csv}\n{:#?}", loaded.diagnostics);
        }
        prop_assert_eq!(places.len(), accepted.len() + places.iter()
            .filter(|(f, l)| failed.contains(&(f.to_string(), *l))).count());
    }
}

fn fixtures() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = vec![root];
    while let Some(dir) = dirs.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let path = e.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                dirs.push(path);
            } else if meta.is_file() && meta.len() < 8192 {
                out.push(std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// A change to a seed file: overwrite, insert or cut bytes, or splice in a fragment
/// that tends to reach odd paths of the parsers.
#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Insert(usize, &'static str),
    Cut(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let fragments = &[
        "[",
        "{",
        "}",
        "]",
        ":",
        ", ",
        "\n",
        "\r\n",
        "\t",
        "- ",
        "'",
        "\"",
        "&a ",
        "*a",
        "é",
        "\u{feff}",
        "~",
        "1.0e9",
        "99999999999999999999",
        "\\x00",
        ",\"",
        "\"\"",
        "#",
        "number: ",
        "scope: 1.5\n",
        "csv: /etc/passwd\n",
        "---\n",
    ][..];
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), prop::sample::select(fragments)).prop_map(|(i, f)| Mutation::Insert(i, f)),
        (any::<usize>(), 0..64usize).prop_map(|(i, n)| Mutation::Cut(i, n)),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
        match *m {
            Mutation::Set(i, b) if !bytes.is_empty() => {
                let i = i % bytes.len();
                bytes[i] = b;
            }
            Mutation::Set(..) => {}
            Mutation::Insert(i, f) => {
                let i = at(i, bytes.len());
                bytes.splice(i..i, f.bytes());
            }
            Mutation::Cut(i, n) => {
                let i = at(i, bytes.len());
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
        }
    }
    bytes
}

/// Validates `files` and renders the result in every format; panics are the failure.
fn validate_all(files: &[(&str, &[u8])]) {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), files);
    let loaded = manifest::load(tmp.path(), false);
    let d = &loaded.diagnostics;
    let _ = (manifest::render_human(d, false), manifest::render_json(d));
    let _ = manifest::render_github(d);
}

/// The files of a mutated run: the mutated seed as the config, a manifest or a CSV file.
fn case(target: u8, bytes: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let manifest = b"defaults: {scope: global, reason: DNC}\ninclude: [{csv: rows.csv}]\n".to_vec();
    let csv = b"number,scope\n2025550143,global\n".to_vec();
    match target % 3 {
        0 => vec![
            ("dnc.yaml", bytes.to_vec()),
            ("lists/m.yaml", manifest),
            ("lists/rows.csv", csv),
        ],
        1 => vec![
            ("dnc.yaml", config().as_bytes().into()),
            ("lists/m.yaml", bytes.to_vec()),
            ("lists/rows.csv", csv),
        ],
        _ => vec![
            ("dnc.yaml", config().as_bytes().into()),
            ("lists/m.yaml", manifest),
            ("lists/rows.csv", bytes.to_vec()),
        ],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(64), ..ProptestConfig::default() })]

    /// Mutated fixtures never make validation or rendering panic.
    #[test]
    fn mutated_fixtures_never_panic(
        seed in any::<prop::sample::Index>(),
        target in any::<u8>(),
        mutations in prop::collection::vec(mutation(), 1..8),
    ) {
        let seeds = fixtures();
        let bytes = mutate(seed.get(&seeds).clone(), &mutations);
        let files = case(target, &bytes);
        let files: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
        validate_all(&files);
    }
}

/// Crashes found by the fuzz test, kept as fixtures: each is replayed as config, manifest
/// and CSV file.
#[test]
fn kept_crashes_do_not_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap();
        for target in 0..3 {
            let files = case(target, &bytes);
            let files: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
            validate_all(&files);
        }
    }
}

/// `git ARGS` in `dir` as one fixed author.
fn git(dir: &Path, args: &[&str]) -> String {
    crate::common::git(dir, args, "Ada Lovelace", "2026-03-02T10:00:00Z")
}

/// A config with one opt-out, committed in a clone of a bare origin: what `apply
/// --ledger-branch` records into.
fn repo_with_an_opt_out(root: &Path) -> PathBuf {
    let dir = crate::common::origin_and_clone(root, "work");
    write(
        &dir,
        &[
            ("dnc.yaml", config().as_bytes()),
            (
                "lists/m.yaml",
                b"entries:\n  - {number: \"202-555-0143\", scope: global, reason: DNC}\n",
            ),
        ],
    );
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "One opt-out"]);
    dir
}

/// `GITHUB_SHA` and ledger fields are any text: cut on characters, padded without
/// `format!`'s 65,535 width limit, never a panic.
#[test]
fn multibyte_commits_and_huge_ledger_fields_do_not_panic() {
    let root = tempfile::tempdir().unwrap();
    let dir = repo_with_an_opt_out(root.path());
    let sandbox = crate::common::Sandbox::start(&[]);
    let sha = "é".repeat(40);
    let apply = crate::common::run(
        crate::common::command(&dir, &["apply", "--yes", "--ledger-branch", "dnc-ledger"])
            .env("GITHUB_SHA", &sha)
            .envs(sandbox.target()),
    )
    .ok();
    assert!(!apply.stderr.contains("panicked"), "{}", apply.stderr);
    git(&dir, &["fetch", "-q", "origin"]);
    let subject = git(&dir, &["log", "-1", "--format=%s", "origin/dnc-ledger"]);
    assert!(
        subject.starts_with(&format!("dnc apply {}: plan ", "é".repeat(12))),
        "{subject}"
    );
    // A reason and an error far wider than any format width.
    let ledger = dir.join(".dnc/ledger.jsonl");
    let wide: String = std::fs::read_to_string(&ledger)
        .unwrap()
        .lines()
        .map(|line| {
            let mut record: serde_json::Value = serde_json::from_str(line).unwrap();
            record["reason"] = "r".repeat(70_000).into();
            record["error"] = "e".repeat(70_000).into();
            format!("{record}\n")
        })
        .collect();
    std::fs::write(&ledger, wide).unwrap();
    for format in ["table", "csv", "json"] {
        let out = crate::common::dnc_ok(&dir, &["ledger", "--format", format]);
        // JSON's runs carry the whole commit; its operations are cut like the table's.
        let operations = match format {
            "json" => serde_json::from_str::<serde_json::Value>(&out.stdout).unwrap()["operations"]
                .to_string(),
            _ => out.stdout,
        };
        assert!(operations.contains(&"r".repeat(70_000)), "{format}");
        assert!(operations.contains(&"é".repeat(12)), "{format}");
        assert!(!operations.contains(&"é".repeat(13)), "{format}");
    }
}

/// Durations beyond what `Duration` holds are refused with the variable or flag named.
#[test]
fn durations_too_large_are_refused_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), &[("dnc.yaml", config().as_bytes())]);
    let flag = crate::common::dnc(tmp.path(), &["plan", "--retry-budget", "1e20"], &[]).fails(1);
    insta::assert_snapshot!(flag.stderr, @r"
        error: invalid value '1e20' for '--retry-budget <SECS>': `1e20` is more seconds than dnc can count

        For more information, try '--help'.
    ");
    let env = crate::common::dnc(
        tmp.path(),
        &["plan", "--sandbox"],
        &[("DNC_RETRY_BUDGET", "1e300")],
    )
    .fails(1);
    assert!(
        env.stderr.contains("more seconds than dnc can count"),
        "{}",
        env.stderr
    );
    let delay = crate::common::dnc(
        tmp.path(),
        &["plan", "--sandbox"],
        &[("DNC_RETRY_BASE_DELAY_MS", "18446744073709551615")],
    );
    assert!(!delay.stderr.contains("panicked"), "{}", delay.stderr);
}

/// Words the CLI fuzz draws arguments from: every subcommand but `sandbox` (a server that
/// runs until stopped), flags, and values that are too large, negative, not numbers, not
/// dates, multibyte or very long.
fn word() -> impl Strategy<Value = String> {
    let words = &[
        "validate",
        "plan",
        "apply",
        "import",
        "history",
        "ledger",
        "report",
        "fmt",
        "schema",
        "completions",
        "man",
        "manifest",
        "config",
        "bash",
        "--format",
        "json",
        "csv",
        "table",
        "markdown",
        "html",
        "--retry-budget",
        "--read-concurrency",
        "--max-rps",
        "--number",
        "--phone-code",
        "--since",
        "--until",
        "--ledger",
        "--out",
        "--csv-threshold",
        "--api-url",
        "--allow-removals",
        "--concurrency",
        "--scope",
        "--yes",
        "--check",
        "--diff",
        "--sandbox",
        "--detailed-exitcode",
        "--blank-reason",
        "--only-unmanaged",
        "1e20",
        "-1",
        "NaN",
        "inf",
        "0",
        "65536",
        "18446744073709551616",
        "9999-99-99",
        "2026-02-30",
        "२०२५५५०१४३",
        "+1 (202) 555-0143",
        "http://[::1",
        "http://u:p@h/?t=1",
        "dnc.yaml",
        "..",
        "/dev/zero",
        "-",
        "--",
        "é",
        "\u{202e}",
        "",
    ][..];
    prop_oneof![
        8 => prop::sample::select(words).prop_map(str::to_string),
        1 => (1..70_000usize).prop_map(|n| "9".repeat(n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(24), ..ProptestConfig::default() })]

    /// Any arguments and hostile environment values: a usage error or a clean result,
    /// never a panic.
    #[test]
    fn cli_arguments_never_panic(
        args in prop::collection::vec(word(), 0..6),
        env in prop::collection::vec(
            (
                prop::sample::select(&[
                    "DNC_RETRY_BUDGET", "DNC_RETRY_BASE_DELAY_MS", "DNC_TODAY", "GITHUB_SHA",
                    "DNC_API_MAX_OFFSET", "DNC_MASK_NUMBERS", "DNC_API_URL",
                ][..]),
                word(),
            ),
            0..3,
        ),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), &[
            ("dnc.yaml", config().as_bytes()),
            ("lists/m.yaml", b"entries:\n  - {number: \"202-555-0143\", scope: global, reason: DNC}\n"),
        ]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let out = crate::common::dnc(tmp.path(), &args, &env);
        prop_assert!(!out.stderr.contains("panicked"), "{args:?} {env:?}: {}", out.stderr);
        prop_assert!([0, 1, 2].contains(&out.code), "{args:?} {env:?}: {}", out.code);
    }
}

/// A ledger as `apply` writes it: a create that finished and a removal that did not.
const LEDGER: &str = concat!(
    r#"{"time":"2026-03-02T10:00:00.000Z","event":"start","plan_hash":"aaaaaaaaaaaaaaaa","op":0,"change":"create","campaign_id":0,"phone_code":1,"phone_number":"2025550143","reason":"DNC","source":"lists/m.yaml:2","actor":"ada","commit":"0123456789abcdef"}"#,
    "\n",
    r#"{"time":"2026-03-02T10:00:01.000Z","event":"finish","plan_hash":"aaaaaaaaaaaaaaaa","op":0,"change":"create","campaign_id":0,"phone_code":1,"phone_number":"2025550143","outcome":"done","id":7,"attempts":1}"#,
    "\n",
    r#"{"time":"2026-03-02T10:00:02.000Z","event":"start","plan_hash":"aaaaaaaaaaaaaaaa","op":1,"change":"remove","campaign_id":111,"phone_code":44,"phone_number":"2079460018","removal_reason":"Consent given"}"#,
    "\n",
);

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(24), ..ProptestConfig::default() })]

    /// A mutated ledger is read or refused in every format, never a panic.
    #[test]
    fn mutated_ledgers_never_panic(
        mutations in prop::collection::vec(mutation(), 1..8),
        format in prop::sample::select(&["table", "csv", "json"][..]),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let bytes = mutate(LEDGER.as_bytes().to_vec(), &mutations);
        write(tmp.path(), &[("dnc.yaml", config().as_bytes()), (".dnc/ledger.jsonl", &bytes)]);
        let _ = dnc::ledger::read(&tmp.path().join(".dnc/ledger.jsonl"))
            .map(|(records, _)| dnc::ledger::operations(records));
        let out = crate::common::dnc(tmp.path(), &["ledger", "--format", format], &[]);
        prop_assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
        prop_assert!([0, 1].contains(&out.code), "{}: {}", out.code, out.stderr);
    }
}
