//! Each escaper, and every renderer that uses them, fed hostile text: the output keeps the
//! invariant of its medium. The helpers are shared with the renderers' own tests.

use super::*;
use proptest::prelude::*;
use pulldown_cmark::{Event, Options as Md, Parser, Tag, TagEnd};

/// Pieces of text that have broken terminals, CI logs, markdown, HTML or spreadsheets.
const HOSTILE: &[&str] = &[
    "\u{1b}[31mred\u{1b}[0m",
    "\u{1b}]8;;https://evil.example/\u{7}click\u{1b}]8;;\u{7}",
    "\u{1b}[2J\u{1b}[H",
    "\u{9b}31m",
    "\n",
    "\r",
    "\r\n",
    "\n::error::pwned",
    "::add-mask::secret",
    "  ::warning file=x::y",
    "\u{a0}::notice::z",
    "<!--",
    "-->",
    "`",
    "```",
    "|",
    "\\|",
    "\u{202e}",
    "\u{2066}",
    "\u{200b}",
    "\u{feff}",
    "\u{2028}",
    "\u{85}",
    "\0",
    "\u{7f}",
    "\t",
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "[link](https://evil.example)",
    "![x](https://evil.example/x.png)",
    "@org/team",
    "**bold**",
    "# heading",
    "> quote",
    "- item",
    "1. item",
    "&amp;",
    "%0A",
    "%",
    ":",
    ",",
    "\"",
    "'",
    "é",
    "中文",
    "➕ ➖",
    "👩‍💻",
    " ",
];

/// Strings made of hostile pieces and arbitrary characters.
pub(crate) fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => prop::sample::select(HOSTILE).prop_map(str::to_string),
        1 => any::<char>().prop_map(String::from),
        1 => "[a-zA-Z0-9 ]{0,8}",
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
}

/// One field of 70,000 characters, hostile throughout.
pub(crate) fn huge() -> String {
    HOSTILE
        .concat()
        .repeat(70_000 / HOSTILE.concat().chars().count() + 1)
}

/// No hidden character (ESC, C0, C1, bidi, zero-width) other than line breaks, and no line
/// that a GitHub runner would read as a workflow command.
pub(crate) fn assert_terminal_safe(text: &str) {
    if let Some(c) = text.chars().find(|&c| c != '\n' && hidden(c)) {
        panic!("hidden {c:?} in:\n{text}");
    }
    assert_no_workflow_command(text);
}

pub(crate) fn assert_no_workflow_command(text: &str) {
    for line in text.split(['\n', '\r']) {
        assert!(
            !line.trim_start().starts_with("::"),
            "a workflow command line {line:?} in:\n{text}"
        );
    }
}

/// A cell that a spreadsheet would run as a formula.
pub(crate) fn is_formula(cell: &str) -> bool {
    match cell.chars().next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => !cell
            .chars()
            .all(|c| c.is_ascii_digit() || " +-.()*".contains(c)),
        _ => false,
    }
}

/// Every cell of `text` read back as CSV, with its record's length.
pub(crate) fn csv_cells(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| {
            r.expect("dnc writes valid CSV")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// What a CommonMark (GFM tables) parser makes of `text`: the rows of each table (cells as
/// their text), every raw HTML fragment, every link or image, and the text outside code
/// spans (where GitHub finds mentions).
pub(crate) struct Parsed {
    pub tables: Vec<Vec<Vec<String>>>,
    pub html: Vec<String>,
    pub links: usize,
    pub text: String,
}

pub(crate) fn parse_markdown(text: &str) -> Parsed {
    let mut parsed = Parsed {
        tables: Vec::new(),
        html: Vec::new(),
        links: 0,
        text: String::new(),
    };
    let mut opts = Md::empty();
    opts.insert(Md::ENABLE_TABLES);
    opts.insert(Md::ENABLE_STRIKETHROUGH);
    for event in Parser::new_ext(text, opts) {
        let code = matches!(event, Event::Code(_));
        match event {
            Event::Start(Tag::Table(_)) => parsed.tables.push(Vec::new()),
            Event::Start(Tag::TableRow | Tag::TableHead) => {
                if let Some(t) = parsed.tables.last_mut() {
                    t.push(Vec::new());
                }
            }
            Event::Start(Tag::TableCell) => {
                if let Some(row) = parsed.tables.last_mut().and_then(|t| t.last_mut()) {
                    row.push(String::new());
                }
            }
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => parsed.links += 1,
            Event::Html(h) | Event::InlineHtml(h) => parsed.html.push(h.to_string()),
            Event::Text(t) | Event::Code(t) => {
                if !code {
                    parsed.text.push_str(&t);
                }
                if let Some(cell) = parsed
                    .tables
                    .last_mut()
                    .and_then(|t| t.last_mut())
                    .and_then(|r| r.last_mut())
                {
                    cell.push_str(&t);
                }
            }
            Event::End(TagEnd::Table) => parsed.text.push('\n'),
            _ => {}
        }
    }
    parsed
}

#[test]
fn ordinary_text_is_unchanged_in_every_medium() {
    for s in [
        "Customer Request",
        "Consent re-obtained in writing, COMP-1301",
        "Müller asked: ne plus appeler, 中文, 😀",
        "lists/global-opt-outs.yaml:12",
        "➕ create",
    ] {
        assert_eq!(terminal(s), s);
        assert_eq!(html(s), s.replace('\'', "&#39;"));
        assert_eq!(csv_cell(s), s);
        assert_eq!(markdown_code(s), format!("`{s}`"));
        assert_eq!(github_data(s), s);
    }
    assert_eq!(markdown("Müller, 中文 😀 ✏️"), "Müller, 中文 😀 ✏️");
    assert_eq!(csv_cell("+1 202-555-0143"), "+1 202-555-0143");
    assert_eq!(csv_cell("+1 202-***-0143"), "+1 202-***-0143");
    assert_eq!(csv_cell("-1"), "-1");
}

#[test]
fn each_medium_shows_hidden_characters_its_own_way() {
    let s = "a\u{1b}[31m\u{202e}b\nc\td";
    assert_eq!(terminal(s), "a\\u{1b}[31m\\u{202e}b\\nc\\td");
    assert_eq!(
        markdown(s),
        "a\\\\u{1b}\\[31m\\\\u{202e}b\\\\nc\\\\td",
        "the backslash of each escape is itself escaped"
    );
    assert_eq!(markdown_code("a`b|c\nd"), "``a`b\\|c\\nd``");
    assert_eq!(markdown_code("`x"), "`` `x ``");
    assert_eq!(markdown_code("a\\|b"), "`a\\\\u{7c}b`");
    assert_eq!(markdown("- item"), "\\- item");
    assert_eq!(markdown("12. item"), "12\\. item");
    assert_eq!(markdown("2026-03-02"), "2026-03-02");
    assert_eq!(markdown("+1 202-555-0143"), "+1 202-555-0143");
    assert_eq!(markdown("-"), "\\-");
    assert_eq!(
        markdown("see https://evil.example or WWW.evil.example"),
        "see https:\u{200b}//evil.example or WWW\u{200b}.evil.example"
    );
    assert_eq!(html("<b a='1'>\u{1b}"), "&lt;b a=&#39;1&#39;&gt;\\u{1b}");
    assert_eq!(github_data("50%\r\nx\u{1b}"), "50%25%0D%0Ax\\u{1b}");
    assert_eq!(github_property("a:b,c"), "a%3Ab%2Cc");
    assert_eq!(terminal("::error::x"), "\\::error::x");
    assert_eq!(terminal(" ::add-mask::x"), " \\::add-mask::x");
    assert_eq!(terminal("a ::b"), "a ::b");
    assert_eq!(csv_cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
    assert_eq!(csv_cell("-2+cmd"), "'-2+cmd");
    assert_eq!(csv_cell("@SUM(1)"), "'@SUM(1)");
    assert_eq!(csv_cell("\t=1"), "\\t=1");
    assert_eq!(csv_cell("a\n::error::x"), "a\\n::error::x");
}

#[test]
fn step_outputs_use_a_heredoc_for_line_breaks() {
    let mut delimiters = ["EOF", "EOF2"].into_iter().map(str::to_string);
    let out = github_output("plan", "a\nEOF\nb", || delimiters.next().unwrap());
    assert_eq!(out, "plan<<EOF2\na\nEOF\nb\nEOF2\n");
    assert_eq!(github_output("x", "1", String::new), "x=1\n");
}

/// The runner's reading of `GITHUB_OUTPUT`: lines (CR, LF or CRLF), each `name=value` or
/// `name<<DELIMITER` followed by lines up to the delimiter's own line.
fn runner_outputs(file: &str) -> Vec<(String, String)> {
    let text = file.replace("\r\n", "\n").replace('\r', "\n");
    let mut lines = text.lines();
    let mut out = Vec::new();
    while let Some(line) = lines.next() {
        let (equals, heredoc) = (line.find('='), line.find("<<"));
        match (equals, heredoc) {
            (Some(e), h) if h.is_none_or(|h| e < h) => {
                out.push((line[..e].to_string(), line[e + 1..].to_string()));
            }
            (_, Some(h)) => {
                let delimiter = &line[h + 2..];
                let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
                out.push((line[..h].to_string(), value.join("\n")));
            }
            _ => {}
        }
    }
    out
}

fn cases() -> ProptestConfig {
    ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(200),
    )
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn terminal_text_hides_nothing_and_starts_no_command(s in hostile()) {
        let shown = terminal(&s);
        assert_terminal_safe(&shown);
        prop_assert!(!shown.contains('\n'));
        assert_terminal_safe(&format!("{shown}\n{shown}"));
    }

    #[test]
    fn markdown_cells_keep_the_table_and_carry_no_markup(
        a in hostile(), b in hostile(), c in hostile()
    ) {
        let md = format!(
            "| x | y |\n|---|---|\n| {} | {} |\n| ➖ remove | DIALABLE AGAIN {} |\n",
            markdown(&a),
            markdown_code(&b),
            markdown(&c)
        );
        let parsed = parse_markdown(&md);
        prop_assert_eq!(parsed.tables.len(), 1, "{}", md);
        prop_assert_eq!(parsed.tables[0].len(), 3, "{}", md);
        prop_assert!(parsed.tables[0].iter().all(|r| r.len() == 2), "{}", md);
        prop_assert!(parsed.html.is_empty(), "{:?} in {}", parsed.html, md);
        prop_assert_eq!(parsed.links, 0, "{}", md);
        prop_assert!(parsed.tables[0][2][1].starts_with("DIALABLE AGAIN"), "{}", md);
        let shown = |c: char| c == '\n' || c == '\u{200b}' || !hidden(c);
        prop_assert!(parsed.text.chars().all(shown), "{}", md);
        let mention = parsed.text.match_indices('@').any(|(i, _)| {
            parsed.text[i + 1..].starts_with(|c: char| c.is_alphanumeric())
        });
        prop_assert!(!mention, "{}", parsed.text);
        assert_no_workflow_command(&md);
    }

    #[test]
    fn markdown_quotes_keep_their_items(a in hostile()) {
        let md = format!("> - {}\n> - second\n", markdown(&a));
        let items = Parser::new(&md)
            .filter(|e| matches!(e, Event::Start(Tag::Item)))
            .count();
        prop_assert_eq!(items, 2, "{}", md);
    }

    #[test]
    fn html_text_is_inert(s in hostile()) {
        let out = html(&s);
        prop_assert!(!out.contains(['<', '>', '"', '\'']), "{}", out);
        prop_assert!(!out.chars().any(hidden), "{}", out);
    }

    #[test]
    fn workflow_commands_stay_one_line(s in hostile()) {
        let line = format!("::error file={},title=t::{}", github_property(&s), github_data(&s));
        prop_assert!(!line.contains(['\n', '\r']));
        prop_assert!(!line.chars().any(hidden));
        prop_assert!(!github_property(&s).contains([':', ',']));
    }

    #[test]
    fn step_outputs_hold_one_value(s in hostile()) {
        let file = github_output("plan_hash", &s, || format!("ghadelimiter_{}", rand::random::<u64>()));
        let outputs = runner_outputs(&file);
        prop_assert_eq!(outputs.len(), 1, "{:?}", file);
        prop_assert_eq!(&outputs[0].0, "plan_hash");
        if !s.contains('\r') {
            prop_assert_eq!(&outputs[0].1, &s);
        }
    }

    #[test]
    fn csv_cells_never_start_a_formula(s in hostile()) {
        let cell = csv_cell(&s);
        prop_assert!(!is_formula(&cell), "{:?}", cell);
        assert_terminal_safe(&cell);
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["header", "next"]).unwrap();
        w.write_record([cell.as_ref(), "next"]).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let cells = csv_cells(&text);
        prop_assert_eq!(cells.len(), 2);
        prop_assert_eq!(&cells[1][0], cell.as_ref(), "CSV keeps the cell exactly");
    }
}

#[test]
fn a_huge_field_is_escaped_whole_in_every_medium() {
    let s = huge();
    assert!(s.chars().count() >= 70_000);
    assert_terminal_safe(&terminal(&s));
    assert!(!html(&s).contains('<'));
    assert!(!github_data(&s).contains('\n'));
    let md = format!("| a |\n|---|\n| {} |\n", markdown_code(&s));
    assert_eq!(parse_markdown(&md).tables[0].len(), 2);
}

/// The renderers themselves, fed hostile values wherever text from a manifest, the API, git
/// or the ledger appears.
mod renderers {
    use super::*;
    use crate::entry::{CampaignId, Key};
    use crate::manifest::Source;
    use crate::phone::Phone;
    use crate::plan::{
        Change, Edit, Effect, FORMAT_VERSION, Plan, RemoteSnapshot, Safety, ScopePlan, render,
    };

    fn key(n: u32) -> Key {
        Key {
            scope: CampaignId(0),
            phone: Phone {
                code: 1,
                national: format!("202555{n:04}").into(),
            },
        }
    }

    /// A plan with one change of each kind and an unmanaged entry, every text from `t`.
    fn plan(t: &[String]) -> Plan {
        let source = Source {
            file: t[3].as_str().into(),
            line: 7,
            column: 3,
        };
        let changes = vec![
            Change::Create {
                key: key(1),
                reason: t[1].clone(),
                purpose: Some(t[2].clone()),
                source: source.clone(),
                deadline: None,
                request: crate::manifest::Request {
                    ticket: Some(t[4].clone()),
                    request_source: Some(t[5].clone()),
                },
            },
            Change::Update {
                id: 2,
                key: key(2),
                reason: Edit {
                    old: Some(t[4].clone()),
                    new: Some(format!("{} {}", t[4], t[5])),
                },
                purpose: Edit {
                    old: None,
                    new: Some(t[2].clone()),
                },
                source: source.clone(),
                known: Default::default(),
                request: Default::default(),
            },
            Change::Remove {
                id: 3,
                key: key(3),
                removal_reason: t[6].clone(),
                source,
                approval: Some(crate::manifest::Approval {
                    by: t[1].clone(),
                    ticket: Some(t[3].clone()),
                }),
                request: Default::default(),
                effect: Effect::DialableIn {
                    campaign_id: CampaignId(111),
                },
            },
            Change::Prune {
                id: 4,
                key: key(4),
                reason: Some(t[7].clone()),
                effect: Effect::DialableExcept { campaigns: vec![] },
            },
        ];
        Plan {
            format_version: FORMAT_VERSION,
            tool_version: "test".into(),
            hash: "0123456789abcdef".into(),
            manifests_hash: String::new(),
            remote_hash: String::new(),
            scopes: vec![ScopePlan {
                known: Default::default(),
                campaign_id: CampaignId(0),
                name: Some(t[0].clone()),
                prune: true,
                remote_total: 3,
                incomplete: None,
                changes,
                unchanged: 0,
                already_absent: 0,
                unmanaged: vec![RemoteSnapshot {
                    id: 5,
                    key: key(5),
                    reason: Some(t[7].clone()),
                    purpose: None,
                    malformed: false,
                }],
                duplicates: vec![],
            }],
            safety: Safety {
                max_removals: 25,
                max_removal_percent: 5.0,
                removals: 2,
                breaches: vec![t[0].clone()],
                scopes: vec![],
                early_removals: vec![],
            },
        }
    }

    fn ordinary() -> Vec<String> {
        (0..8).map(|i| format!("text {i}")).collect()
    }

    /// The tags the markdown plan writes itself.
    const OUR_TAGS: &[&str] = &[
        "<details>",
        "</details>",
        "<summary>",
        "</summary>",
        "<b>",
        "</b>",
        "<ins>",
        "</ins>",
        "<del>",
        "</del>",
    ];

    fn check_markdown(md: &str) {
        let parsed = parse_markdown(md);
        assert_eq!(parsed.tables.len(), 2, "{md}");
        let rows = &parsed.tables[1];
        assert_eq!(
            rows.len(),
            6,
            "a header, four changes, one unmanaged:\n{md}"
        );
        assert!(rows.iter().all(|r| r.len() == 4), "{md}");
        assert_eq!(rows[3][0], "➖ remove", "{md}");
        assert!(
            rows[3][2].contains("DIALABLE AGAIN in campaign 111"),
            "{md}"
        );
        assert_eq!(rows[4][0], "➖ prune", "{md}");
        for html in &parsed.html {
            let rest = OUR_TAGS.iter().fold(html.clone(), |h, t| h.replace(t, ""));
            assert!(!rest.contains('<'), "raw HTML {html:?} in:\n{md}");
        }
        assert_eq!(parsed.links, 0, "{md}");
        assert_no_workflow_command(md);
    }

    #[test]
    fn the_plan_renderers_keep_their_shape_on_ordinary_text() {
        let plain = plan(&ordinary());
        check_markdown(&render::markdown(&plain, Default::default()));
        assert_terminal_safe(&render::human(&plain, Default::default()));
    }

    proptest! {
        #![proptest_config(cases())]

        #[test]
        fn plans_show_hostile_text_inertly(t in prop::collection::vec(hostile(), 8)) {
            let hostile = plan(&t);
            let human = render::human(&hostile, Default::default());
            assert_terminal_safe(&human);
            let lines = render::human(&plan(&ordinary()), Default::default()).lines().count();
            prop_assert_eq!(human.lines().count(), lines, "{}", human);
            check_markdown(&render::markdown(&hostile, Default::default()));
            let json = render::json(&hostile);
            assert_no_workflow_command(&json);
            // serde_json escapes C0 (ESC included); DEL, C1 and bidi stay, as valid JSON.
            prop_assert!(!json.chars().any(|c| c < ' ' && c != '\n'));
            let back: Plan = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, hostile, "JSON keeps every value exactly");
        }
    }

    fn report(t: &[String]) -> crate::report::Report {
        use crate::report::{Period, Report, Row};
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let row = Row {
            applied_at: t[0].clone(),
            change: "remove".into(),
            scope: t[1].clone(),
            number: "+1 202-555-0143".into(),
            reason: t[2].clone(),
            removal_reason: Some(t[3].clone()),
            requested_at: Some(day),
            due: Some(day),
            business_days_to_honor: Some(-2),
            late: true,
            asked_in: Some(t[4].clone()),
            asked_by: Some(t[5].clone()),
            applied_commit: Some(t[6].clone()),
            actor: Some(t[7].clone()),
            convoso_id: Some(5),
            outcome: t[6].clone(),
            error: Some(t[7].clone()),
            e164: Some(t[0].clone()),
            source: Some(t[3].clone()),
            ticket: Some(t[1].clone()),
            approver: Some(t[2].clone()),
            restore: None,
            repeat: false,
        };
        let gap = crate::report::drift::GapRow {
            scope: t[1].clone(),
            number: t[2].clone(),
            last_present: Some(t[3].clone()),
            missing_since: t[4].clone(),
            restored_at: Some(t[5].clone()),
            restored_by: Some("apply"),
            lasted: Some(t[6].clone()),
            checks: 2,
        };
        Report {
            format_version: crate::report::FORMAT_VERSION,
            period: Period {
                since: day,
                until: day,
            },
            honor_within: 10,
            retention_years: 5,
            notes: vec![t[0].clone()],
            totals: Default::default(),
            time_to_honor: Default::default(),
            drift: crate::report::drift::Drift {
                checks: 2,
                first: Some(t[0].clone()),
                last: Some(t[1].clone()),
                gaps: vec![gap],
                ..Default::default()
            },
            rows: vec![row.clone(), row],
            approval_trail: vec![crate::report::approvals::ApprovedRun {
                time: t[0].clone(),
                outcome: "refused".into(),
                commit: Some(t[1].clone()),
                plan: t[2].clone(),
                operations: 0,
                by: t[3].clone(),
                by_from: t[4].clone(),
                trail: Some(crate::trail::Trail::PullRequest(
                    crate::trail::PullRequest {
                        number: 7,
                        author: t[5].clone(),
                        approvers: vec![t[6].clone()],
                        stale_approvers: Vec::new(),
                        merged_by: Some(t[7].clone()),
                    },
                )),
                overrides: t[0].clone(),
                refused_by: Some(t[1].clone()),
                refusal: Some(t[2].clone()),
                flags: vec!["self-merge"],
            }],
            evidence: crate::report::Evidence {
                generated_at: t[0].clone(),
                organization: Some(t[1].clone()),
                account: Some(t[2].clone()),
                dnc_version: t[3].clone(),
                manifests_commit: Some(t[4].clone()),
                ledger_tip: Some(t[5].clone()),
                verification: Some(t[6].clone()),
            },
        }
    }

    /// One diagnostic in a file named `t[0]`, its message and help quoting `t[1]` and `t[2]`
    /// as the checks do (an excerpt), with a second place in a file named `t[3]`.
    fn diagnostics(t: &[String]) -> crate::manifest::Diagnostics {
        use crate::manifest::diagnostics::{At, Severity, SourceFile, excerpt};
        use std::sync::Arc;
        let file = Arc::new(SourceFile::new(
            t[0].as_str().into(),
            format!("reason: {}\n", t[1]).into(),
        ));
        let other = Arc::new(SourceFile::new(t[3].as_str().into(), "x\n".into()));
        let mut d = crate::manifest::Diagnostics::default();
        d.add_file(file.clone());
        d.add_file(other.clone());
        let at = At(&other).diag(Severity::Error, "dnc::t", "m", 0..1, "l");
        d.push(
            At(&file)
                .diag(
                    Severity::Error,
                    "dnc::test",
                    format!("`{}` is not an allowed reason", excerpt(&t[1])),
                    8..9,
                    "here",
                )
                .with_help(format!("allowed: {}", excerpt(&t[2])))
                .with_label(at.at.unwrap(), "first here"),
        );
        d
    }

    proptest! {
        #![proptest_config(cases())]

        #[test]
        fn reports_keep_text_inert(t in prop::collection::vec(hostile(), 8)) {
            let r = report(&t);
            let cells = csv_cells(&crate::report::csv(&r).unwrap());
            prop_assert_eq!(cells.len(), 3);
            for cell in cells.iter().flatten() {
                prop_assert!(!is_formula(cell), "{:?}", cell);
            }
            let html = crate::report::html::html(&r);
            let ordinary = crate::report::html::html(&report(&ordinary()));
            let tags = |h: &str| h.matches('<').count();
            prop_assert_eq!(tags(&html), tags(&ordinary), "no tag of the input's own");
            prop_assert!(!html.chars().any(|c| c != '\n' && hidden(c)));
        }

        #[test]
        fn diagnostics_quote_hostile_names_inertly(t in prop::collection::vec(hostile(), 4)) {
            let d = diagnostics(&t);
            let github = crate::manifest::render_github(&d);
            prop_assert_eq!(github.lines().count(), 1, "{}", github);
            prop_assert!(github.starts_with("::error file="));
            prop_assert!(!github.trim_end().chars().any(hidden), "{}", github);
            assert_terminal_safe(&crate::manifest::render_human(&d, false));
        }
    }

    /// A number's timeline: a commit adding it and an applied operation, every text from `t`.
    fn timeline(t: &[String]) -> crate::history::Timeline {
        use crate::history::{CommitInfo, Event, Number, Timeline, What};
        let event = |what, commit| Event {
            time: t[0].clone(),
            scope: CampaignId(0),
            scope_name: t[1].clone(),
            what,
            commit,
        };
        Timeline {
            format_version: 1,
            number: Number {
                phone: key(1).phone,
                display: "+1 202-555-0001".into(),
            },
            notes: vec![t[2].clone()],
            events: vec![
                event(
                    What::Added {
                        file: t[3].clone(),
                        reason: t[4].clone(),
                        purpose: Some(t[5].clone()),
                    },
                    Some(CommitInfo {
                        hash: t[6].clone(),
                        author: t[7].clone(),
                        email: t[5].clone(),
                        subject: t[4].clone(),
                    }),
                ),
                event(
                    What::Applied {
                        change: crate::plan::ChangeKind::Create,
                        outcome: "done".into(),
                        id: Some(5),
                        actor: Some(t[7].clone()),
                        plan_hash: t[6].clone(),
                        git_commit: Some(t[6].clone()),
                        reason: Some(t[4].clone()),
                        purpose: None,
                        removal_reason: None,
                        source: Some(t[3].clone()),
                        error: Some(t[2].clone()),
                        requested_at: None,
                        due: None,
                        late: Some(true),
                        ticket: Some(t[1].clone()),
                        request_source: Some(t[0].clone()),
                        run: Box::new(crate::history::RunShown {
                            trail: Some(crate::trail::Trail::Unknown {
                                reason: t[5].clone(),
                            }),
                            overrides: Some(t[4].clone()),
                        }),
                        restore: Some(Box::new(crate::drift::Restore {
                            last_present: Some(t[2].clone()),
                            missing_since: Some(t[3].clone()),
                        })),
                        repeat: false,
                    },
                    None,
                ),
                event(
                    What::Missing {
                        last_present: Some(t[4].clone()),
                        restored_at: Some(t[5].clone()),
                        restored_by: Some("found"),
                        lasted: Some(t[6].clone()),
                        checks: 1,
                    },
                    None,
                ),
            ],
        }
    }

    proptest! {
        #![proptest_config(cases())]

        #[test]
        fn timelines_show_git_and_ledger_text_inertly(t in prop::collection::vec(hostile(), 8)) {
            let shown = crate::history::render::human(&timeline(&t));
            assert_terminal_safe(&shown);
            let lines = crate::history::render::human(&timeline(&ordinary())).lines().count();
            prop_assert_eq!(shown.lines().count(), lines, "{}", shown);
        }
    }

    #[test]
    fn a_huge_reason_keeps_the_plan_whole() {
        let mut t = ordinary();
        t[1] = huge();
        t[3] = huge();
        let p = plan(&t);
        assert_terminal_safe(&render::human(&p, Default::default()));
        let md = render::markdown(&p, Default::default());
        assert!(md.len() <= render::MARKDOWN_LIMIT);
        assert_no_workflow_command(&md);
    }
}
