//! Request and response types, and their form and JSON encodings. Numbers in answers may
//! arrive as JSON numbers or as strings: both are read.

use crate::entry::CampaignId;
use compact_str::CompactString;
use serde::de::{Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::marker::PhantomData;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsertRequest {
    pub phone_code: u16,
    pub phone_number: String,
    pub campaign_id: CampaignId,
    pub reason: Option<String>,
    pub purpose: Option<String>,
}

/// `None` leaves a field unchanged; `Some("")` clears it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateRequest {
    pub id: u64,
    pub reason: Option<String>,
    pub purpose: Option<String>,
}

/// `lead_status: Some(_)` also asks the API to set that status on the number's leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteRequest {
    pub phone_code: u16,
    pub phone_number: String,
    pub campaign_id: CampaignId,
    pub lead_status: Option<String>,
}

/// A reason or purpose filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextFilter {
    Blank,
    NotBlank,
    Exact(String),
}

/// One search page. `limit: 0` sends no limit (the API's default, 100).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub id: Option<u64>,
    pub campaign_id: Option<CampaignId>,
    pub phone_number: Option<String>,
    pub phone_code: Option<u16>,
    /// `YYYY-MM-DD` (the whole day) or `YYYY-MM-DD hh:mm:ss`.
    pub insert_date: Option<String>,
    pub reason: Option<TextFilter>,
    pub purpose: Option<TextFilter>,
    pub offset: u64,
    pub limit: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchPage {
    pub offset: u64,
    pub limit: u64,
    pub total: u64,
    pub entries: Vec<RemoteRecord>,
}

/// One entry as the API lists it. Empty reasons and purposes are `None`. Its texts are
/// inline up to 24 bytes (numbers, dates and most reasons are shorter), so decoding a page
/// allocates per page, not per field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RemoteRecord {
    pub id: u64,
    pub phone_code: u16,
    pub phone_number: CompactString,
    pub campaign_id: CampaignId,
    pub insert_date: CompactString,
    pub campaign_name: Option<CompactString>,
    pub reason: Option<CompactString>,
    pub purpose: Option<CompactString>,
    /// Whether the answer carried the fields at all: the contract's search entries have no
    /// `reason` or `purpose`, so their absence says nothing about the values.
    pub echoes: Echoes,
}

/// Which write-only attributes a search entry showed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Echoes {
    pub reason: bool,
    pub purpose: bool,
}

/// Form fields of a request, `auth_token` excluded (the client adds it).
pub(super) type Form = Vec<(&'static str, String)>;

/// How the API spells "clear this field" on update.
const BLANK: &str = "-BLANK-";
const NOT_BLANK: &str = "-NOTBLANK-";

impl InsertRequest {
    pub(super) fn form(&self) -> Form {
        let mut f = vec![
            ("phone_number", self.phone_number.clone()),
            ("phone_code", self.phone_code.to_string()),
            ("campaign_id", self.campaign_id.0.to_string()),
        ];
        push_opt(&mut f, "reason", &self.reason);
        push_opt(&mut f, "purpose", &self.purpose);
        f
    }
}

impl UpdateRequest {
    pub(super) fn form(&self) -> Form {
        let mut f = vec![("id", self.id.to_string())];
        for (name, value) in [("reason", &self.reason), ("purpose", &self.purpose)] {
            if let Some(v) = value {
                let v = if v.is_empty() { BLANK } else { v.as_str() };
                f.push((name, v.to_string()));
            }
        }
        f
    }
}

impl DeleteRequest {
    pub(super) fn form(&self) -> Form {
        let mut f = vec![
            ("phone_number", self.phone_number.clone()),
            ("phone_code", self.phone_code.to_string()),
            ("campaign_id", self.campaign_id.0.to_string()),
        ];
        if let Some(status) = &self.lead_status {
            f.push(("update_lead_status", "true".to_string()));
            f.push(("lead_status", status.clone()));
        }
        f
    }
}

impl SearchQuery {
    pub(super) fn form(&self) -> Form {
        let mut f = Form::new();
        let mut num = |name, v: Option<String>| {
            if let Some(v) = v {
                f.push((name, v));
            }
        };
        num("id", self.id.map(|v| v.to_string()));
        num("campaign_id", self.campaign_id.map(|c| c.0.to_string()));
        num("phone_number", self.phone_number.clone());
        num("phone_code", self.phone_code.map(|c| c.to_string()));
        num("insert_date", self.insert_date.clone());
        for (name, filter) in [("reason", &self.reason), ("purpose", &self.purpose)] {
            num(
                name,
                filter.as_ref().map(|t| match t {
                    TextFilter::Blank => BLANK.to_string(),
                    TextFilter::NotBlank => NOT_BLANK.to_string(),
                    TextFilter::Exact(v) => v.clone(),
                }),
            );
        }
        num("offset", Some(self.offset.to_string()));
        num("limit", (self.limit > 0).then(|| self.limit.to_string()));
        f
    }
}

fn push_opt(f: &mut Form, name: &'static str, v: &Option<String>) {
    if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
        f.push((name, v.clone()));
    }
}

/// Every answer's fields, all optional: which must be present depends on the endpoint.
/// Read straight from the answer's bytes: a search page holds a thousand entries.
#[derive(Debug, Deserialize)]
pub(super) struct Envelope {
    #[serde(default, deserialize_with = "opt_flag")]
    pub success: Option<bool>,
    #[serde(default, deserialize_with = "opt_int")]
    code: Option<i64>,
    /// The code some deployments send instead of `code`.
    #[serde(default, deserialize_with = "opt_int")]
    error_code: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub text: Option<String>,
    #[serde(default, deserialize_with = "opt_int")]
    pub id: Option<u64>,
    #[serde(default)]
    pub data: Option<PageWire>,
    /// Error text some deployments send instead of `text`.
    #[serde(default)]
    message: Option<serde_json::Value>,
    #[serde(default)]
    error: Option<serde_json::Value>,
    /// A search answer without the `data` wrapper, as a public client expects it: its
    /// fields at the top level, a page only when they all read as one.
    #[serde(default)]
    offset: Option<serde_json::Value>,
    #[serde(default)]
    limit: Option<serde_json::Value>,
    #[serde(default)]
    total: Option<serde_json::Value>,
    #[serde(default)]
    entries: Option<serde_json::Value>,
}

impl Envelope {
    /// The search page, wrapped in `data` or at the top level.
    pub fn page(self) -> Option<PageWire> {
        if self.data.is_some() {
            return self.data;
        }
        let top: serde_json::Map<String, serde_json::Value> = [
            ("offset", self.offset),
            ("limit", self.limit),
            ("total", self.total),
            ("entries", self.entries),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_string(), value?)))
        .collect();
        PageWire::deserialize(serde_json::Value::Object(top)).ok()
    }

    /// The error code, from `code` or `error_code`.
    pub fn code(&self) -> Option<i64> {
        self.code.or(self.error_code)
    }

    /// The error text from `text`, `message` or `error`, whichever is a string.
    pub fn error_text(&self) -> Option<String> {
        self.text.clone().or_else(|| {
            [&self.message, &self.error]
                .into_iter()
                .find_map(|v| v.as_ref()?.as_str().map(str::to_string))
        })
    }
}

/// How a search answer is shaped: what `dnc probe` reports about an account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Shape {
    /// The page's fields inside `data` (the contract), or at the top level.
    pub data_wrapper: bool,
    /// The answer's `success`, when it has one (the contract's search answer has none).
    pub search_success: Option<bool>,
    /// Whether entries carry `reason` and `purpose`; `None` when the page has no entry.
    pub reason_echoed: Option<bool>,
    pub purpose_echoed: Option<bool>,
    /// `string` (the contract) or `number`; `None` when the page has no entry.
    pub id_type: Option<&'static str>,
    pub total_type: Option<&'static str>,
    /// `YYYY-MM-DD`, `YYYY-MM-DD hh:mm:ss` or `other`; `None` when the page has no entry.
    pub insert_date_format: Option<&'static str>,
}

impl Shape {
    /// Reads the shape from a search answer's bytes (already decoded once as a page).
    pub fn of(bytes: &[u8]) -> Shape {
        use serde_json::Value;
        let top: Value = serde_json::from_slice(bytes).unwrap_or_default();
        let data = top.get("data").filter(|d| d.is_object());
        let page = data.unwrap_or(&top);
        let entry = page
            .get("entries")
            .and_then(Value::as_array)
            .and_then(|e| e.first());
        let has = |name: &str| entry.map(|e| e.get(name).is_some());
        Shape {
            data_wrapper: data.is_some(),
            search_success: top.get("success").and_then(Value::as_bool),
            reason_echoed: has("reason"),
            purpose_echoed: has("purpose"),
            id_type: entry.and_then(|e| e.get("id")).map(json_type),
            total_type: page.get("total").map(json_type),
            insert_date_format: entry
                .and_then(|e| e.get("insert_date")?.as_str())
                .map(date_format),
        }
    }
}

fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::String(_) => "string",
        serde_json::Value::Number(_) => "number",
        _ => "other",
    }
}

fn date_format(date: &str) -> &'static str {
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let day = b.len() >= 10 && digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-';
    match b.len() {
        10 if day && digits(8..10) => "YYYY-MM-DD",
        19 if day && b[10] == b' ' && b[13] == b':' && b[16] == b':' => "YYYY-MM-DD hh:mm:ss",
        _ => "other",
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct PageWire {
    #[serde(deserialize_with = "int")]
    offset: u64,
    #[serde(deserialize_with = "int")]
    limit: u64,
    #[serde(deserialize_with = "int")]
    total: u64,
    #[serde(default)]
    entries: Option<Vec<EntryWire>>,
}

#[derive(Debug, Deserialize)]
struct EntryWire {
    #[serde(deserialize_with = "int")]
    id: u64,
    #[serde(deserialize_with = "int")]
    phone_code: u16,
    #[serde(deserialize_with = "text")]
    phone_number: CompactString,
    #[serde(deserialize_with = "int")]
    campaign_id: i64,
    #[serde(default, deserialize_with = "opt_text")]
    insert_date: Option<CompactString>,
    #[serde(default, deserialize_with = "opt_text")]
    campaign_name: Option<CompactString>,
    #[serde(default, deserialize_with = "opt_text")]
    reason: Option<CompactString>,
    #[serde(default, deserialize_with = "opt_text")]
    purpose: Option<CompactString>,
}

impl From<PageWire> for SearchPage {
    fn from(p: PageWire) -> SearchPage {
        let non_empty = |s: Option<CompactString>| s.filter(|s| !s.is_empty());
        SearchPage {
            offset: p.offset,
            limit: p.limit,
            total: p.total,
            entries: p
                .entries
                .unwrap_or_default()
                .into_iter()
                .map(|e| RemoteRecord {
                    echoes: Echoes {
                        reason: e.reason.is_some(),
                        purpose: e.purpose.is_some(),
                    },
                    id: e.id,
                    phone_code: e.phone_code,
                    phone_number: e.phone_number,
                    campaign_id: CampaignId(e.campaign_id),
                    insert_date: e.insert_date.unwrap_or_default(),
                    campaign_name: non_empty(e.campaign_name),
                    reason: non_empty(e.reason),
                    purpose: non_empty(e.purpose),
                })
                .collect(),
        }
    }
}

/// An integer sent as a JSON number or as a string.
struct Int<T>(T);
/// A string, or a scalar the API sent where a string belongs.
struct Text(CompactString);
/// `success`: a boolean, `0`/`1`, or `"true"`/`"false"`.
struct Flag(bool);

/// Read through `deserialize_any` with a visitor, not an untagged enum: an untagged enum
/// buffers every value, and a 1000-entry page holds 9000 of them.
struct IntVisitor<T>(PhantomData<T>);

impl<T: TryFrom<i128>> IntVisitor<T> {
    fn fit<E: serde::de::Error>(wide: i128) -> Result<T, E> {
        T::try_from(wide).map_err(|_| E::custom(format!("{wide} is out of range")))
    }
}

impl<T: TryFrom<i128>> Visitor<'_> for IntVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer, or a string holding one")
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<T, E> {
        Self::fit(v.into())
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<T, E> {
        Self::fit(v.into())
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        let wide = v.trim().parse().map_err(|_| {
            let start: String = v.chars().take(40).collect();
            E::custom(format!("`{start}` is not an integer"))
        })?;
        Self::fit(wide)
    }
}

impl<'de, T: TryFrom<i128>> Deserialize<'de> for Int<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IntVisitor(PhantomData)).map(Int)
    }
}

struct TextVisitor;

impl Visitor<'_> for TextVisitor {
    type Value = CompactString;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<CompactString, E> {
        Ok(v.into())
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<CompactString, E> {
        Ok(v.into())
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<CompactString, E> {
        Ok(v.to_string().into())
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<CompactString, E> {
        Ok(v.to_string().into())
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<CompactString, E> {
        Ok(v.to_string().into())
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<CompactString, E> {
        Ok(v.to_string().into())
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor).map(Text)
    }
}

struct FlagVisitor;

impl Visitor<'_> for FlagVisitor {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<bool, E> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(E::custom("`success` is not a boolean")),
        }
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<bool, E> {
        match v.trim() {
            t if t.eq_ignore_ascii_case("true") => Ok(true),
            f if f.eq_ignore_ascii_case("false") => Ok(false),
            _ => Err(E::custom("`success` is not a boolean")),
        }
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FlagVisitor).map(Flag)
    }
}

fn int<'de, D: Deserializer<'de>, T: TryFrom<i128>>(d: D) -> Result<T, D::Error> {
    Int::deserialize(d).map(|i| i.0)
}

fn opt_int<'de, D: Deserializer<'de>, T: TryFrom<i128>>(d: D) -> Result<Option<T>, D::Error> {
    Ok(Option::<Int<T>>::deserialize(d)?.map(|i| i.0))
}

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<CompactString, D::Error> {
    Text::deserialize(d).map(|t| t.0)
}

fn opt_text<'de, D: Deserializer<'de>, T: From<CompactString>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Ok(Option::<Text>::deserialize(d)?.map(|t| t.0.into()))
}

fn opt_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(Option::<Flag>::deserialize(d)?.map(|f| f.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_numbers_or_strings() {
        let body = r#"{"data":{"offset":"0","limit":100,"total":"2","entries":[
            {"id":"5083","phone_number":"5551234567","campaign_id":"0","insert_date":"2026-03-03",
             "phone_code":"1","campaign_uid":"0","campaign_name":"Global DNC"},
            {"id":5084,"phone_number":5551234568,"campaign_id":111,"insert_date":"2026-03-03",
             "phone_code":1,"campaign_name":"","reason":"DNC","purpose":""}]}}"#;
        let env: Envelope = serde_json::from_str(body).unwrap();
        let page = SearchPage::from(env.page().unwrap());
        assert_eq!((page.offset, page.limit, page.total), (0, 100, 2));
        assert_eq!(page.entries[0].id, 5083);
        assert_eq!(page.entries[0].campaign_name.as_deref(), Some("Global DNC"));
        assert_eq!(page.entries[0].reason, None);
        assert_eq!(page.entries[1].phone_number, "5551234568");
        assert_eq!(page.entries[1].campaign_id, CampaignId(111));
        assert_eq!(page.entries[1].campaign_name, None);
        assert_eq!(page.entries[1].reason.as_deref(), Some("DNC"));
        assert_eq!(page.entries[1].purpose, None);
    }

    #[test]
    fn entry_texts_decode_whatever_their_length_or_type() {
        let long = "Consent revoked by the customer on a recorded call";
        let body = format!(
            r#"{{"data":{{"offset":0,"limit":100,"total":3,"entries":[
            {{"id":1,"phone_number":5551234567,"campaign_id":0,"phone_code":1,
             "insert_date":"2026-03-03 10:30:00","reason":"{long}","purpose":"caf\u00e9 \"x\""}},
            {{"id":2,"phone_number":"555 123 4568","campaign_id":0,"phone_code":1,
             "insert_date":20260303,"campaign_name":true,"reason":1.5,"purpose":null}},
            {{"id":3,"phone_number":"5551234569","campaign_id":0,"phone_code":1}}]}}}}"#
        );
        let env: Envelope = serde_json::from_str(&body).unwrap();
        let page = SearchPage::from(env.page().unwrap());
        let [a, b, c] = &page.entries[..] else {
            panic!("three entries: {page:?}")
        };
        assert_eq!(a.phone_number, "5551234567");
        assert_eq!(a.insert_date, "2026-03-03 10:30:00");
        assert_eq!(a.reason.as_deref(), Some(long));
        assert_eq!(a.purpose.as_deref(), Some("café \"x\""));
        assert_eq!(b.phone_number, "555 123 4568");
        assert_eq!(b.insert_date, "20260303");
        assert_eq!(b.campaign_name.as_deref(), Some("true"));
        assert_eq!(b.reason.as_deref(), Some("1.5"));
        // `null` reads as an absent field: it shows no value.
        assert_eq!((b.purpose.as_deref(), b.echoes.purpose), (None, false));
        assert_eq!(c.insert_date, "");
        assert_eq!((c.reason.as_deref(), c.echoes.reason), (None, false));
        for entry in [
            r#"{"id":1,"campaign_id":0,"phone_code":1}"#,
            r#"{"id":1,"phone_number":[1],"campaign_id":0,"phone_code":1}"#,
            r#"{"id":1,"phone_number":"1","campaign_id":0,"phone_code":1,"reason":{}}"#,
        ] {
            let body =
                format!(r#"{{"data":{{"offset":0,"limit":100,"total":1,"entries":[{entry}]}}}}"#);
            assert!(serde_json::from_str::<Envelope>(&body).is_err(), "{entry}");
        }
    }

    #[test]
    fn answer_variants_decode() {
        let bare = r#"{"offset":0,"limit":100,"total":1,"entries":[
            {"id":1,"phone_number":"2025550101","campaign_id":0,"phone_code":1}]}"#;
        let env: Envelope = serde_json::from_str(bare).unwrap();
        assert_eq!(env.success, None);
        assert_eq!(SearchPage::from(env.page().unwrap()).entries[0].id, 1);
        for (body, text) in [
            (r#"{"success":false,"code":6026,"text":"a"}"#, "a"),
            (r#"{"success":false,"code":6026,"message":"b"}"#, "b"),
            (r#"{"success":false,"code":6026,"error":"c"}"#, "c"),
        ] {
            let env: Envelope = serde_json::from_str(body).unwrap();
            assert_eq!(env.error_text().as_deref(), Some(text), "{body}");
            assert!(env.page().is_none());
        }
    }

    #[test]
    fn hostile_numbers_are_refused() {
        for body in [
            r#"{"data":{"offset":0,"limit":100,"total":-1,"entries":[]}}"#,
            r#"{"data":{"offset":0,"limit":100,"total":"lots","entries":[]}}"#,
            r#"{"success":true,"id":1.5}"#,
            r#"{"success":"maybe"}"#,
            r#"{"success":2}"#,
            r#"{"success":true,"id":[1]}"#,
        ] {
            assert!(serde_json::from_str::<Envelope>(body).is_err(), "{body}");
        }
        let env: Envelope = serde_json::from_str(r#"{"success":"false","code":"6008"}"#).unwrap();
        assert_eq!((env.success, env.code()), (Some(false), Some(6008)));
        let env: Envelope =
            serde_json::from_str(r#"{"success":false,"error_code":6026,"error":"x"}"#).unwrap();
        assert_eq!(
            (env.code(), env.error_text().as_deref()),
            (Some(6026), Some("x"))
        );
    }

    #[test]
    fn shapes_are_read_from_the_answer() {
        let contract = br#"{"data":{"offset":0,"limit":100,"total":1,"entries":[
            {"id":"5083","phone_number":"5551234567","campaign_id":"0","insert_date":"2026-03-03",
             "phone_code":"1"}]}}"#;
        assert_eq!(
            Shape::of(contract),
            Shape {
                data_wrapper: true,
                search_success: None,
                reason_echoed: Some(false),
                purpose_echoed: Some(false),
                id_type: Some("string"),
                total_type: Some("number"),
                insert_date_format: Some("YYYY-MM-DD"),
            }
        );
        let sdk = br#"{"success":true,"offset":0,"limit":100,"total":"0","entries":[]}"#;
        let shape = Shape::of(sdk);
        assert!(!shape.data_wrapper);
        assert_eq!(shape.search_success, Some(true));
        assert_eq!((shape.reason_echoed, shape.id_type), (None, None));
        assert_eq!(shape.total_type, Some("string"));
        assert_eq!(date_format("2026-03-03 10:30:00"), "YYYY-MM-DD hh:mm:ss");
        assert_eq!(date_format("03/03/2026"), "other");
    }

    #[test]
    fn update_clears_with_blank() {
        let f = UpdateRequest {
            id: 7,
            reason: Some(String::new()),
            purpose: None,
        }
        .form();
        assert_eq!(
            f,
            vec![("id", "7".to_string()), ("reason", "-BLANK-".to_string())]
        );
    }
}
