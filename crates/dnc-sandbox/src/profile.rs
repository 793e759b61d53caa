//! Which shape search answers take: the contract's (convoso-dnc-api.md), or one recorded in
//! public client code. Every profile stores reasons and purposes and honours their filters;
//! only what a search entry shows differs.

use super::store::Row;
use serde::Serialize;
use serde_json::Value;

/// The shape of search answers (plain comments below: doc comments would make clap print the
/// sandbox's help in its long form).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    // As convoso-dnc-api.md documents: entries without reason or purpose, every field a string.
    #[default]
    Contract,
    // A public SDK's types: entries also carry reason, purpose and campaign_type, search says
    // `success: true`, ids are integers and the total a string.
    Sdk,
    // The contract's shape with `insert_date` as a bare day (`YYYY-MM-DD`), as the contract's
    // own example and the vendor's pages show it.
    DateOnly,
}

/// One search page as the profile shows it.
#[derive(Serialize)]
pub struct Page {
    #[serde(skip_serializing_if = "Option::is_none")]
    success: Option<bool>,
    data: PageData,
}

#[derive(Serialize)]
struct PageData {
    offset: u64,
    limit: u64,
    total: Value,
    entries: Vec<Entry>,
}

#[derive(Serialize)]
pub struct Entry {
    id: Value,
    phone_number: String,
    campaign_id: Value,
    insert_date: String,
    phone_code: String,
    campaign_uid: String,
    campaign_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purpose: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    campaign_type: Option<&'static str>,
}

impl Profile {
    pub fn page(self, offset: u64, limit: u64, total: u64, entries: Vec<Entry>) -> Page {
        let sdk = self == Profile::Sdk;
        Page {
            success: sdk.then_some(true),
            data: PageData {
                offset,
                limit,
                total: if sdk {
                    Value::from(total.to_string())
                } else {
                    Value::from(total)
                },
                entries,
            },
        }
    }

    pub fn entry(self, r: Row, campaign_name: String) -> Entry {
        let sdk = self == Profile::Sdk;
        let int_or_text = |n: i64| {
            if sdk {
                Value::from(n)
            } else {
                Value::from(n.to_string())
            }
        };
        let mut insert_date = r.insert_date;
        if self == Profile::DateOnly {
            insert_date.truncate(10);
        }
        Entry {
            id: int_or_text(r.id),
            phone_number: r.phone_number,
            campaign_id: int_or_text(r.campaign_id),
            insert_date,
            phone_code: r.phone_code.to_string(),
            campaign_uid: r.campaign_id.to_string(),
            campaign_name,
            reason: sdk.then_some(r.reason),
            purpose: sdk.then_some(r.purpose),
            campaign_type: sdk.then_some(match r.campaign_id {
                0 => "GLOBAL",
                -1 => "PURPOSE",
                _ => "CAMPAIGN",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Row {
        Row {
            id: 5083,
            phone_code: 1,
            phone_number: "2025550143".into(),
            campaign_id: 0,
            reason: "DNC".into(),
            purpose: String::new(),
            insert_date: "2026-03-03 10:30:00".into(),
        }
    }

    fn page(profile: Profile) -> Value {
        let entry = profile.entry(row(), "Global DNC".into());
        serde_json::to_value(profile.page(0, 100, 1, vec![entry])).unwrap()
    }

    #[test]
    fn the_contract_shows_only_documented_fields_as_strings() {
        assert_eq!(
            page(Profile::Contract),
            serde_json::json!({"data": {"offset": 0, "limit": 100, "total": 1, "entries": [{
                "id": "5083", "phone_number": "2025550143", "campaign_id": "0",
                "insert_date": "2026-03-03 10:30:00", "phone_code": "1", "campaign_uid": "0",
                "campaign_name": "Global DNC"
            }]}})
        );
        let day = page(Profile::DateOnly);
        assert_eq!(day["data"]["entries"][0]["insert_date"], "2026-03-03");
    }

    #[test]
    fn the_sdk_echoes_reasons_with_integer_ids() {
        let p = page(Profile::Sdk);
        assert_eq!(p["success"], true);
        assert_eq!(p["data"]["total"], "1");
        let e = &p["data"]["entries"][0];
        assert_eq!(e["id"], 5083);
        assert_eq!(e["reason"], "DNC");
        assert_eq!(e["purpose"], "");
        assert_eq!(e["campaign_type"], "GLOBAL");
    }
}
