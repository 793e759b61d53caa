//! Request and response types, and their form and JSON encodings. Numbers in answers may
//! arrive as JSON numbers or as strings: both are read.

use crate::entry::CampaignId;
use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serialize};

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

/// One entry as the API lists it. Empty reasons and purposes are `None`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RemoteRecord {
    pub id: u64,
    pub phone_code: u16,
    pub phone_number: String,
    pub campaign_id: CampaignId,
    pub insert_date: String,
    pub campaign_name: Option<String>,
    pub reason: Option<String>,
    pub purpose: Option<String>,
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
#[derive(Debug, Deserialize)]
pub(super) struct Envelope {
    #[serde(default, deserialize_with = "opt_flag")]
    pub success: Option<bool>,
    #[serde(default, deserialize_with = "opt_int")]
    pub code: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub text: Option<String>,
    #[serde(default, deserialize_with = "opt_int")]
    pub id: Option<u64>,
    #[serde(default)]
    pub data: Option<PageWire>,
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
    phone_number: String,
    #[serde(deserialize_with = "int")]
    campaign_id: i64,
    #[serde(default, deserialize_with = "opt_text")]
    insert_date: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    campaign_name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    reason: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    purpose: Option<String>,
}

impl From<PageWire> for SearchPage {
    fn from(p: PageWire) -> SearchPage {
        let non_empty = |s: Option<String>| s.filter(|s| !s.is_empty());
        SearchPage {
            offset: p.offset,
            limit: p.limit,
            total: p.total,
            entries: p
                .entries
                .unwrap_or_default()
                .into_iter()
                .map(|e| RemoteRecord {
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

/// A scalar as the API may send it.
enum Scalar {
    Int(i64),
    Uint(u64),
    Bool(bool),
    Float(f64),
    Str(String),
}

/// By hand rather than `#[serde(untagged)]`, which buffers each value and builds an error
/// for every variant it tries: most of the cost of reading a large search page.
impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl serde::de::Visitor<'_> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a number, a string or a boolean")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Uint(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
}

impl Scalar {
    fn into_text(self) -> String {
        match self {
            Scalar::Int(n) => n.to_string(),
            Scalar::Uint(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Float(x) => x.to_string(),
            Scalar::Str(s) => s,
        }
    }

    fn into_int<T: TryFrom<i128>, E: serde::de::Error>(self) -> Result<T, E> {
        let wide: i128 = match self {
            Scalar::Int(n) => n.into(),
            Scalar::Uint(n) => n.into(),
            Scalar::Str(s) => s
                .trim()
                .parse()
                .map_err(|_| E::custom(format!("`{}` is not an integer", snippet_of(&s))))?,
            Scalar::Bool(_) | Scalar::Float(_) => return Err(E::custom("expected an integer")),
        };
        T::try_from(wide).map_err(|_| E::custom(format!("{wide} is out of range")))
    }
}

fn snippet_of(s: &str) -> String {
    s.chars().take(40).collect()
}

fn int<'de, D: Deserializer<'de>, T: TryFrom<i128>>(d: D) -> Result<T, D::Error> {
    Scalar::deserialize(d)?.into_int()
}

fn opt_int<'de, D: Deserializer<'de>, T: TryFrom<i128>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<Scalar>::deserialize(d)?
        .map(Scalar::into_int)
        .transpose()
}

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Scalar::deserialize(d)?.into_text())
}

fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Scalar>::deserialize(d)?.map(Scalar::into_text))
}

fn opt_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Option::<Scalar>::deserialize(d)? {
        None => Ok(None),
        Some(Scalar::Bool(b)) => Ok(Some(b)),
        Some(Scalar::Int(n)) => Ok(Some(n != 0)),
        Some(Scalar::Uint(n)) => Ok(Some(n != 0)),
        Some(Scalar::Str(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Scalar::Str(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(D::Error::custom("`success` is not a boolean")),
    }
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
        let page = SearchPage::from(env.data.unwrap());
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
    fn hostile_numbers_are_refused() {
        for body in [
            r#"{"data":{"offset":0,"limit":100,"total":-1,"entries":[]}}"#,
            r#"{"data":{"offset":0,"limit":100,"total":"lots","entries":[]}}"#,
            r#"{"success":true,"id":1.5}"#,
            r#"{"success":"maybe"}"#,
        ] {
            assert!(serde_json::from_str::<Envelope>(body).is_err(), "{body}");
        }
        let env: Envelope = serde_json::from_str(r#"{"success":"false","code":"6008"}"#).unwrap();
        assert_eq!((env.success, env.code), (Some(false), Some(6008)));
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
