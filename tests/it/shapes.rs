//! Answers shaped as the public clients record them, not as the contract documents them:
//! success without ids, auth refusals in an HTTP 200 body, `error_code`/`error`, and the public
//! SDK's error tables. dnc judges each operation by the state a search shows, recognizes every
//! refusal of the token, and quotes the server's code and text beside its own reading.

use crate::common::{Config, Project, Run, Sandbox, normalize, run, scripted_server, seed};

const LIST: &str = "entries:
  - number: \"202-555-0101\"
    scope: global
    reason: Customer Request
  - number: \"202-555-0102\"
    scope: global
    reason: Customer Request
  - number: \"202-555-0103\"
    scope: global
    reason: Changed
removals:
  - number: \"202-555-0199\"
    scope: global
    removal_reason: Consent given
";

fn project() -> Project {
    Project::new(
        &Config::new().scope("global", &[]).safety(10),
        &[("lists/global.yaml", LIST)],
    )
}

/// The ledger's finish lines.
fn finish_lines(project: &Project) -> Vec<serde_json::Value> {
    std::fs::read_to_string(project.path(".dnc/ledger.jsonl"))
        .expect("a ledger")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON line"))
        .filter(|r| r["event"] == "finish")
        .collect()
}

/// The id the sandbox holds for a global US number.
async fn remote_id(sandbox: &Sandbox, number: &str) -> Option<u64> {
    let q = dnc::api::SearchQuery {
        phone_number: Some(number.to_string()),
        phone_code: Some(1),
        campaign_id: Some(dnc::entry::CampaignId::GLOBAL),
        ..Default::default()
    };
    let page = sandbox.client().search(&q).await.expect("search");
    page.entries.first().map(|e| e.id)
}

fn sandbox_with(variant: &str) -> Sandbox {
    Sandbox::start_seeded(
        [
            seed("2025550103", 0).reason("Old"),
            seed("2025550199", 0).reason("Old"),
        ],
        &["--variant", variant],
    )
}

/// Applies the list on a fresh project against `sandbox`: the requests apply sent.
fn applied(project: &Project, sandbox: &Sandbox) -> u64 {
    let before = sandbox.requests();
    project.dnc_ok(sandbox, &["apply", "--yes"]);
    sandbox.requests() - before
}

#[tokio::test(flavor = "multi_thread")]
async fn success_without_ids_is_confirmed_by_search_and_converges() {
    let contract = applied(&project(), &sandbox_with("standard"));
    // The contract's answers carry their fields: apply sends what its plan read sent, one
    // request per operation and the removal's re-check, and no confirming search.
    let planning = sandbox_with("standard");
    let before = planning.requests();
    project().dnc_ok(&planning, &["plan"]);
    assert_eq!(contract, planning.requests() - before + 4 + 1);
    let project = project();
    let sandbox = sandbox_with("sparse-answers");
    // 2 inserts, 1 update and 1 delete, each answered without its fields: one confirming
    // search each, and not one more (an answer that carries them is not searched for).
    assert_eq!(applied(&project, &sandbox), contract + 4);
    let lines = finish_lines(&project);
    assert_eq!(lines.len(), 4);
    for line in &lines {
        assert_eq!(line["outcome"], "done", "{line}");
        let number = line["phone_number"].as_str().unwrap();
        let remote = remote_id(&sandbox, number).await;
        match line["change"].as_str().unwrap() {
            "remove" => assert_eq!(remote, None, "{line}"),
            _ => assert_eq!(
                line["id"].as_u64(),
                remote,
                "the id found is recorded: {line}"
            ),
        }
    }
    project.dnc_ok(&sandbox, &["plan", "--detailed-exitcode"]);
}

#[test]
fn ghost_inserts_fail_and_are_never_recorded_done() {
    let project = project();
    let sandbox = sandbox_with("ghost-insert");
    // One at a time: the failures print in the plan's order.
    let out = project.dnc_fail(&sandbox, 1, &["apply", "--yes", "--concurrency", "1"]);
    insta::assert_snapshot!("ghost_insert_apply", normalize(&out.stderr));
    let lines = finish_lines(&project);
    let creates: Vec<_> = lines.iter().filter(|l| l["change"] == "create").collect();
    assert_eq!(creates.len(), 2);
    for line in creates {
        assert_eq!(line["outcome"], "failed", "{line}");
        assert!(line["id"].is_null(), "{line}");
        assert!(
            line["error"]
                .as_str()
                .unwrap()
                .contains("an exact search finds no entry"),
            "{line}"
        );
    }
    // The update and the removal are unaffected.
    assert_eq!(lines.iter().filter(|l| l["outcome"] == "done").count(), 2);
    project.dnc_fail(&sandbox, 2, &["plan", "--detailed-exitcode"]);
}

/// `dnc ARGS` against `sandbox`, and how many requests it received meanwhile.
fn counted(project: &Project, sandbox: &Sandbox, args: &[&str]) -> (Run, u64) {
    let before = sandbox.requests();
    let out = run(&mut project.targeting(sandbox, args));
    (out, sandbox.requests() - before)
}

#[test]
fn every_auth_refusal_is_the_token_diagnosis_after_one_request() {
    // One scope: the first request is the only one in flight.
    let project = Project::new(
        &Config::new().scope("global", &[]),
        &[("lists/global.yaml", LIST)],
    );
    for variant in ["auth-5001", "auth-403-body", "auth-error-text", "forbidden"] {
        let sandbox = Sandbox::start(&["--variant", variant]);
        for command in [&["plan"][..], &["apply", "--yes"], &["probe"]] {
            let (out, requests) = counted(&project, &sandbox, command);
            let what = format!("{variant} × {}", command[0]);
            assert_eq!(out.code, 1, "{what}: {}", out.stderr);
            assert_eq!(requests, 1, "{what}: {}", out.stderr);
            assert!(out.stderr.contains("dnc::api::unauthorized"), "{what}");
            insta::assert_snapshot!(format!("auth_{variant}_{}", command[0]), out.stderr);
        }
        assert!(!project.path(".dnc/ledger.jsonl").exists(), "{variant}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn error_code_and_error_read_like_code_and_text() {
    let sandbox = Sandbox::start(&["--variant", "error-code"]);
    let insert = dnc::api::InsertRequest {
        phone_code: 1,
        phone_number: "2025550101".into(),
        campaign_id: dnc::entry::CampaignId::GLOBAL,
        reason: Some("Customer Request".into()),
        purpose: None,
    };
    let client = sandbox.client();
    client.insert(&insert).await.expect("the first insert");
    let again = client.insert(&insert).await.unwrap_err();
    assert_eq!(
        again.to_string(),
        "dnc/insert refused the request: 6008 \"Phone already in DNC\" (dnc reads it as: already exists)"
    );
    // A scope the account lacks is named as one, from `error_code` 6026.
    let project = Project::new(
        &Config::new().scope("global", &[]).scope("999", &[]),
        &[("lists/global.yaml", LIST)],
    );
    let out = project.dnc_fail(&sandbox, 1, &["plan"]);
    insta::assert_snapshot!("error_code_unknown_scope", normalize(&out.stderr));
}

#[test]
fn sdk_codes_are_quoted_beside_dncs_reading() {
    // The account restricts reasons; the config does not know it. The SDK numbers an invalid
    // reason on insert 6058, which the contract reads as an invalid purpose.
    let project = Project::new(
        &Config::new().scope("global", &[]),
        &[("lists/global.yaml", LIST.split("removals:").next().unwrap())],
    );
    let sandbox = Sandbox::start(&["--variant", "sdk-codes", "--reasons", "DNC"]);
    let out = project.dnc_fail(&sandbox, 1, &["apply", "--yes", "--concurrency", "1"]);
    assert!(
        out.stderr.contains("6058 \"Invalid Reason\""),
        "{}",
        out.stderr
    );
    insta::assert_snapshot!("sdk_codes_invalid_reason", normalize(&out.stderr));
}

#[test]
fn disputed_codes_are_confirmed_by_search_and_quoted() {
    // The SDK's insert 6007 is "Invalid Phone Number", the contract's "Duplicate entry"; the
    // SDK's delete 6003 is "not found", the contract's "Invalid phone code". A search settles
    // both: no entry for the insert, the entry still there for the delete.
    let url = scripted_server(vec![
        (
            "/v1/dnc/search",
            r#"{"data":{"offset":0,"limit":1000,"total":1,"entries":[{"id":"9","phone_number":"2025550199","campaign_id":"0","insert_date":"2020-03-03","phone_code":"1"}]}}"#,
        ),
        (
            "/v1/dnc/insert",
            r#"{"success":false,"code":6007,"text":"Invalid Phone Number"}"#,
        ),
        (
            "/v1/dnc/delete",
            r#"{"success":false,"code":6003,"text":"Phone Number Not Found"}"#,
        ),
    ]);
    let list = "entries:\n  - number: \"202-555-0101\"\n    scope: global\n    reason: Customer Request\nremovals:\n  - number: \"202-555-0199\"\n    scope: global\n    removal_reason: Consent given\n";
    let project = Project::new(
        &Config::new().scope("global", &[]).safety(10),
        &[("lists/global.yaml", list)],
    );
    let out = run(project
        .command(&["apply", "--yes", "--concurrency", "1"])
        .env("DNC_API_URL", url.as_str())
        .env("DNC_AUTH_TOKEN", "tok"))
    .fails(1);
    insta::assert_snapshot!("disputed_codes_apply", normalize(&out.stderr));
    let lines = finish_lines(&project);
    assert!(lines.iter().all(|l| l["outcome"] == "failed"), "{lines:?}");
    let codes: Vec<_> = lines.iter().map(|l| l["error_code"].as_i64()).collect();
    assert!(
        codes.contains(&Some(6007)) && codes.contains(&Some(6003)),
        "{codes:?}"
    );
}
