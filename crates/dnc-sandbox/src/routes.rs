//! HTTP: one handler for every path. It merges query-string and body params (the three
//! request styles real clients use), checks the token, and answers each endpoint with the
//! error codes of its own table in convoso-dnc-api.md.

use super::faults::{Fault, HTML_502, Injector, Variant};
use super::profile::{self, Profile};
use super::store::{Date, Filter, NewRow, Row, Store, Text, WriteError};
use crate::phone::{self, PhoneError};
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Largest request body read; anything larger gets a JSON 413.
const BODY_LIMIT: usize = 64 * 1024;
const MAX_LIMIT: u64 = 1000;
const DEFAULT_LIMIT: u64 = 100;

pub struct App {
    pub store: Store,
    pub token: SecretString,
    pub campaigns: HashMap<i64, String>,
    pub reasons: Option<HashSet<String>>,
    pub purposes: Option<HashSet<String>>,
    pub faults: Injector,
    pub max_offset: u64,
    pub profile: Profile,
}

pub fn router(app: Arc<App>) -> Router {
    Router::new().fallback(handle).with_state(app)
}

#[derive(Clone, Copy)]
enum Endpoint {
    Insert,
    Update,
    Search,
    Delete,
}

/// A business error: HTTP 200 with `success: false`.
#[derive(Debug, Serialize)]
struct Failure {
    success: bool,
    code: i64,
    text: String,
}

fn fail(code: i64, text: impl Into<String>) -> Failure {
    Failure {
        success: false,
        code,
        text: text.into(),
    }
}

/// A protocol error: a chosen HTTP status with the same JSON shape.
fn http_error(status: StatusCode, text: &str) -> Response {
    let body = Failure {
        success: false,
        code: i64::from(status.as_u16()),
        text: text.to_string(),
    };
    (status, Json(body)).into_response()
}

async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    if req.uri().path() == "/_sandbox/stats" {
        return Json(serde_json::json!({ "requests": app.faults.requests() })).into_response();
    }
    app.faults.count();
    let variant = app.faults.variant();
    match variant {
        Variant::Html502 => {
            let mut resp = (StatusCode::BAD_GATEWAY, HTML_502).into_response();
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            return resp;
        }
        Variant::Forbidden => return http_error(StatusCode::FORBIDDEN, "Forbidden"),
        _ => {}
    }
    if let Some(refusal) = variant.auth_refusal() {
        return Json(refusal).into_response();
    }
    let path = req.uri().path().to_string();
    let resp = answer(&app, req).await;
    if variant == Variant::Standard {
        return resp;
    }
    reshape(variant, &path, resp).await
}

/// The answer in `variant`'s shape: rewritten JSON, or cut off halfway.
async fn reshape(variant: Variant, path: &str, resp: Response) -> Response {
    let (parts, body) = resp.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return http_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal error");
    };
    let bytes = match (variant, serde_json::from_slice::<serde_json::Value>(&bytes)) {
        (Variant::TruncatedJson, _) => bytes.slice(..bytes.len() / 2),
        (_, Ok(value)) => variant.reshape(path, value).to_string().into(),
        (_, Err(_)) => bytes,
    };
    let mut resp = Response::from_parts(parts, Body::from(bytes));
    resp.headers_mut().remove(header::CONTENT_LENGTH);
    resp
}

/// The answer as the API's contract gives it, faults included.
async fn answer(app: &Arc<App>, req: Request) -> Response {
    let app = app.clone();
    let latency = app.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let endpoint = match req.uri().path() {
        "/v1/dnc/insert" => Endpoint::Insert,
        "/v1/dnc/update" => Endpoint::Update,
        "/v1/dnc/search" => Endpoint::Search,
        "/v1/dnc/delete" => Endpoint::Delete,
        _ => return http_error(StatusCode::NOT_FOUND, "Not found"),
    };
    if req.method() != Method::GET && req.method() != Method::POST {
        let mut resp = http_error(StatusCode::METHOD_NOT_ALLOWED, "Use GET or POST");
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
        return resp;
    }
    match app.faults.draw() {
        Some(Fault::ServerError(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            return http_error(status, "Injected server error");
        }
        Some(Fault::Throttle { retry_after_secs }) => {
            let mut resp = http_error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            return resp;
        }
        None => {}
    }
    let params = match read_params(req).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    if !token_matches(params.get("auth_token"), &app.token) {
        return http_error(StatusCode::UNAUTHORIZED, "Invalid or missing auth token");
    }
    let work = tokio::task::spawn_blocking(move || {
        let p = Params(params);
        match endpoint {
            Endpoint::Insert => insert(&app, &p),
            Endpoint::Update => update(&app, &p),
            Endpoint::Search => search(&app, &p),
            Endpoint::Delete => delete(&app, &p),
        }
    });
    match work.await {
        Ok(Ok(resp)) => resp,
        Ok(Err(failure)) => Json(failure).into_response(),
        Err(_) => http_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal error"),
    }
}

/// Compares without stopping at the first differing byte.
fn token_matches(given: Option<&String>, token: &SecretString) -> bool {
    let Some(given) = given else { return false };
    let (a, b) = (given.as_bytes(), token.expose_secret().as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Query string first, then the body: a body value overrides the same name in the query.
async fn read_params(req: Request) -> Result<HashMap<String, String>, Response> {
    let (parts, body) = req.into_parts();
    let mut params = HashMap::new();
    if let Some(q) = parts.uri.query() {
        parse_form(q.as_bytes(), &mut params).map_err(bad_request)?;
    }
    let bytes = to_bytes(Body::new(body), BODY_LIMIT).await.map_err(|_| {
        http_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request body larger than 64 KiB",
        )
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(params);
    }
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json {
        parse_json(&bytes, &mut params).map_err(bad_request)?;
    } else {
        parse_form(&bytes, &mut params).map_err(bad_request)?;
    }
    Ok(params)
}

fn bad_request(why: &'static str) -> Response {
    http_error(StatusCode::BAD_REQUEST, why)
}

fn parse_form(raw: &[u8], into: &mut HashMap<String, String>) -> Result<(), &'static str> {
    for pair in raw.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (k, v) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        into.insert(decode(k)?, decode(v)?);
    }
    Ok(())
}

fn decode(raw: &[u8]) -> Result<String, &'static str> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
    String::from_utf8(bytes).map_err(|_| "Parameters are not valid UTF-8")
}

/// A flat JSON object of strings, numbers and booleans, as some clients send.
fn parse_json(raw: &[u8], into: &mut HashMap<String, String>) -> Result<(), &'static str> {
    const WHY: &str = "Body is not a flat JSON object";
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(raw).map_err(|_| WHY)?;
    for (k, v) in map {
        let v = match v {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Null => continue,
            _ => return Err(WHY),
        };
        into.insert(k, v);
    }
    Ok(())
}

/// Request params; an empty value counts as absent.
struct Params(HashMap<String, String>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// The raw value, empty included: for fields where an empty value means "clear".
    fn raw(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

fn ok<T: Serialize>(body: T) -> Result<Response, Failure> {
    Ok(Json(body).into_response())
}

#[derive(Serialize)]
struct Created {
    success: bool,
    id: i64,
}

#[derive(Serialize)]
struct Done {
    success: bool,
}

/// Why a phone number was refused: its code, or the number under that code.
enum BadPhone {
    Code,
    Number,
}

fn parse_phone(code: Option<&str>, number: Option<&str>) -> Result<(u16, String), BadPhone> {
    let code: u16 = code
        .and_then(|c| c.trim_start_matches('+').parse().ok())
        .ok_or(BadPhone::Code)?;
    let number = number.ok_or(BadPhone::Number)?;
    match phone::normalize(Some(code), number).map(|(p, _)| p) {
        Ok(p) => Ok((p.code, p.national.into_string())),
        Err(PhoneError::UnknownCode(_)) => Err(BadPhone::Code),
        Err(_) => Err(BadPhone::Number),
    }
}

impl App {
    fn campaign(&self, raw: Option<&str>) -> Option<i64> {
        raw.and_then(|c| c.parse().ok())
            .filter(|c| self.campaigns.contains_key(c))
    }

    fn reason(&self, raw: Option<&str>) -> Option<String> {
        attribute(raw, self.reasons.as_ref())
    }

    fn purpose(&self, raw: Option<&str>) -> Option<String> {
        attribute(raw, self.purposes.as_ref())
    }
}

/// A reason or purpose to store: absent, empty and `-BLANK-` all mean blank.
fn attribute(raw: Option<&str>, allowed: Option<&HashSet<String>>) -> Option<String> {
    let v = raw.unwrap_or("");
    if v.is_empty() || v.eq_ignore_ascii_case("-BLANK-") {
        return Some(String::new());
    }
    let plausible = crate::entry::api_text_problem(v).is_none();
    (plausible && allowed.is_none_or(|set| set.contains(v))).then(|| v.to_string())
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

fn insert(app: &App, p: &Params) -> Result<Response, Failure> {
    let (phone_code, phone_number) = parse_phone(p.get("phone_code"), p.get("phone_number"))
        .map_err(|_| fail(6006, "Invalid phone number"))?;
    let campaign_id = app
        .campaign(p.get("campaign_id"))
        .ok_or_else(|| fail(6026, "Invalid campaign ID"))?;
    let reason = app
        .reason(p.raw("reason"))
        .ok_or_else(|| fail(6057, "Invalid reason"))?;
    let purpose = app
        .purpose(p.raw("purpose"))
        .ok_or_else(|| fail(6058, "Invalid purpose"))?;
    let row = NewRow {
        phone_code,
        phone_number,
        campaign_id,
        reason,
        purpose,
        insert_date: now(),
    };
    if app.faults.variant() == Variant::GhostInsert {
        return ok(Done { success: true });
    }
    match app.store.insert(&row) {
        Ok(id) => ok(Created { success: true, id }),
        Err(WriteError::Duplicate) => Err(fail(6008, "Phone already in DNC")),
        Err(e) => Err(db_failure(e, 6056, "Insert operation failed")),
    }
}

fn update(app: &App, p: &Params) -> Result<Response, Failure> {
    let id: i64 = p
        .get("id")
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| fail(6056, "DNC ID not found"))?;
    let campaign_id = match p.get("campaign_id") {
        Some(raw) => Some(
            app.campaign(Some(raw))
                .ok_or_else(|| fail(6026, "Invalid campaign ID"))?,
        ),
        None => None,
    };
    // Absent leaves a field as it is; empty or -BLANK- clears it.
    let reason = match p.raw("reason") {
        Some(raw) => Some(
            app.reason(Some(raw))
                .ok_or_else(|| fail(6057, "Invalid reason code"))?,
        ),
        None => None,
    };
    let purpose = match p.raw("purpose") {
        Some(raw) => Some(
            app.purpose(Some(raw))
                .ok_or_else(|| fail(6058, "Invalid purpose value"))?,
        ),
        None => None,
    };
    let (new_code, new_number) = (p.get("phone_code"), p.get("phone_number"));
    let result = app.store.update(id, |cur: Row| {
        let (phone_code, phone_number) = if new_code.is_some() || new_number.is_some() {
            let code = new_code.map_or_else(|| cur.phone_code.to_string(), str::to_string);
            parse_phone(Some(&code), Some(new_number.unwrap_or(&cur.phone_number)))
                .map_err(|_| fail(6004, "Invalid phone number format"))?
        } else {
            (cur.phone_code, cur.phone_number)
        };
        Ok(NewRow {
            phone_code,
            phone_number,
            campaign_id: campaign_id.unwrap_or(cur.campaign_id),
            reason: reason.unwrap_or(cur.reason),
            purpose: purpose.unwrap_or(cur.purpose),
            insert_date: cur.insert_date,
        })
    });
    match result {
        Ok(()) => ok(Created { success: true, id }),
        Err(WriteError::NotFound) => Err(fail(6056, "DNC ID not found")),
        Err(WriteError::Duplicate) => Err(fail(6008, "Phone number already in DNC")),
        Err(WriteError::Refused(f)) => Err(f),
        Err(e @ WriteError::Db(_)) => Err(db_failure(e, 6059, "Update operation failed")),
    }
}

fn delete(app: &App, p: &Params) -> Result<Response, Failure> {
    let (phone_code, phone_number) = parse_phone(p.get("phone_code"), p.get("phone_number"))
        .map_err(|bad| match bad {
            BadPhone::Code => fail(6003, "Invalid phone code"),
            BadPhone::Number => fail(6000, "Invalid phone number"),
        })?;
    let campaign_id = app
        .campaign(p.get("campaign_id"))
        .ok_or_else(|| fail(6002, "Invalid campaign ID"))?;
    let update_status = match p.get("update_lead_status") {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => true,
        Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => false,
        Some(_) => return Err(fail(6005, "Invalid lead status")),
    };
    if update_status && !p.get("lead_status").is_none_or(valid_lead_status) {
        return Err(fail(6005, "Invalid lead status"));
    }
    match app.store.delete(phone_code, &phone_number, campaign_id) {
        Ok(()) => ok(Done { success: true }),
        Err(WriteError::NotFound) => Err(fail(6001, "Phone not found in DNC")),
        Err(e) => Err(db_failure(e, 6004, "Delete operation failed")),
    }
}

/// The database failed under a write: the operator sees why, the client sees the endpoint's code.
fn db_failure<E>(e: WriteError<E>, code: i64, text: &str) -> Failure {
    if let WriteError::Db(err) = e {
        eprintln!("dnc sandbox: {text}: {err}");
    }
    fail(code, text)
}

/// Lead statuses are short codes such as `NEW`, `A` or `CALLBK`.
fn valid_lead_status(s: &str) -> bool {
    (1..=16).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn search(app: &App, p: &Params) -> Result<Response, Failure> {
    let invalid = || fail(6008, "Invalid parameter");
    let number = |name: &str| p.get(name).map(str::parse::<u64>);
    let offset = match number("offset") {
        None => 0,
        Some(Ok(o)) if o <= app.max_offset => o,
        Some(_) => return Err(fail(7231, "Invalid offset value")),
    };
    let limit = match number("limit") {
        None => DEFAULT_LIMIT,
        Some(Ok(l)) if (1..=MAX_LIMIT).contains(&l) => l,
        Some(_) => return Err(invalid()),
    };
    let id = match p.get("id") {
        Some(raw) => Some(raw.parse::<i64>().map_err(|_| invalid())?),
        None => None,
    };
    let campaign_id = match p.get("campaign_id") {
        Some(raw) => Some(
            app.campaign(Some(raw))
                .ok_or_else(|| fail(6026, "Invalid campaign ID"))?,
        ),
        None => None,
    };
    let mut phone_code = match p.get("phone_code") {
        Some(raw) => Some(
            raw.trim_start_matches('+')
                .parse::<u16>()
                .map_err(|_| invalid())?,
        ),
        None => None,
    };
    let bad_phone = || fail(6006, "Invalid phone format");
    let phone_number = match p.get("phone_number") {
        None if phone_code.is_some_and(|c| !phone::known_code(c)) => return Err(bad_phone()),
        None => None,
        Some(raw) if phone_code.is_some() || raw.starts_with('+') => {
            let phone = phone::normalize(phone_code, raw)
                .map(|(p, _)| p)
                .map_err(|_| bad_phone())?;
            phone_code = Some(phone.code);
            Some(phone.national.into_string())
        }
        Some(raw) => Some(bare_digits(raw).ok_or_else(bad_phone)?),
    };
    let insert_date = match p.get("insert_date") {
        Some(raw) => Some(parse_date(raw).ok_or_else(invalid)?),
        None => None,
    };
    let reason = text_filter(p.get("reason"), app.reasons.as_ref())
        .ok_or_else(|| fail(6057, "Invalid reason filter"))?;
    let purpose = text_filter(p.get("purpose"), app.purposes.as_ref())
        .ok_or_else(|| fail(6058, "Invalid purpose filter"))?;
    let filter = Filter {
        id,
        campaign_id,
        phone_code,
        phone_number,
        insert_date,
        reason,
        purpose,
    };
    let (total, rows) = app.store.search(&filter, offset, limit).map_err(|e| {
        eprintln!("dnc sandbox: search failed: {e}");
        invalid()
    })?;
    let entries = rows.into_iter().map(|r| entry_out(app, r)).collect();
    ok(app.profile.page(offset, limit, total, entries))
}

fn entry_out(app: &App, r: Row) -> profile::Entry {
    let campaign_name = app
        .campaigns
        .get(&r.campaign_id)
        .cloned()
        .unwrap_or_default();
    app.profile.entry(r, campaign_name)
}

/// A number written without a country code: its digits, formatting removed.
fn bare_digits(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let formatting_only = raw
        .chars()
        .all(|c| c.is_ascii_digit() || " ()-.".contains(c));
    (formatting_only && (4..=17).contains(&digits.len())).then_some(digits)
}

/// `YYYY-MM-DD` filters a whole day; `YYYY-MM-DD hh:mm:ss` one second.
fn parse_date(raw: &str) -> Option<Date> {
    use chrono::{NaiveDate, NaiveDateTime};
    if let Ok(d) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Some(Date::Day(d.format("%Y-%m-%d").to_string()));
    }
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .map(|t| Date::Second(t.format("%Y-%m-%d %H:%M:%S").to_string()))
}

/// `-BLANK-`, `-NOTBLANK-` or an exact value; `None` means the filter is refused.
fn text_filter(raw: Option<&str>, allowed: Option<&HashSet<String>>) -> Option<Option<Text>> {
    let Some(v) = raw else { return Some(None) };
    if v.eq_ignore_ascii_case("-BLANK-") {
        return Some(Some(Text::Blank));
    }
    if v.eq_ignore_ascii_case("-NOTBLANK-") {
        return Some(Some(Text::NotBlank));
    }
    // A misspelt keyword would silently match nothing: refuse it instead.
    if v.len() > 1 && v.starts_with('-') && v.ends_with('-') {
        return None;
    }
    attribute(Some(v), allowed).map(|v| Some(Text::Exact(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        let mut m = HashMap::new();
        parse_form(b"a=1&b=x+y%20z&c&&d=%E2%9C%93", &mut m).unwrap();
        assert_eq!(m["a"], "1");
        assert_eq!(m["b"], "x y z");
        assert_eq!(m["c"], "");
        assert_eq!(m["d"], "\u{2713}");
        assert!(parse_form(b"a=%FF%FE", &mut m).is_err());
        assert!(parse_form(b"\xff=1", &mut m).is_err());
    }

    #[test]
    fn filters() {
        assert!(matches!(
            text_filter(Some("-blank-"), None),
            Some(Some(Text::Blank))
        ));
        assert!(text_filter(Some("-BLANKK-"), None).is_none());
        let allowed: HashSet<String> = ["DNC".to_string()].into();
        assert!(text_filter(Some("Other"), Some(&allowed)).is_none());
        assert!(matches!(parse_date("2026-03-03"), Some(Date::Day(d)) if d == "2026-03-03"));
        assert!(matches!(
            parse_date("2026-03-03 10:30:00"),
            Some(Date::Second(_))
        ));
        assert!(parse_date("2026-13-03").is_none());
        assert_eq!(bare_digits("(202) 555-0143").as_deref(), Some("2025550143"));
        assert_eq!(bare_digits("202x5550143"), None);
    }
}
