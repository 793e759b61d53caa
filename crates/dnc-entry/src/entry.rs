//! The identity of a DNC entry, shared by manifests, the API client and the plan.

use crate::phone::Phone;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The API's `campaign_id`: `0` global, `-1` purpose-type, a positive id for one campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CampaignId(pub i64);

impl CampaignId {
    pub const GLOBAL: CampaignId = CampaignId(0);
    pub const PURPOSE_TYPE: CampaignId = CampaignId(-1);

    pub fn is_global(self) -> bool {
        self == Self::GLOBAL
    }
}

impl fmt::Display for CampaignId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::GLOBAL => f.write_str("global"),
            Self::PURPOSE_TYPE => f.write_str("purpose-type"),
            CampaignId(id) => write!(f, "campaign {id}"),
        }
    }
}

/// An entry's identity: `(phone_code, phone_number, campaign_id)` after normalization.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    #[serde(rename = "campaign_id")]
    pub scope: CampaignId,
    #[serde(flatten)]
    pub phone: Phone,
}

impl Key {
    /// The key of an entry as the API and the ledger write it: three fields.
    pub fn new(scope: CampaignId, code: u16, national: &str) -> Key {
        Key {
            scope,
            phone: Phone {
                code,
                national: national.into(),
            },
        }
    }
}

/// Longest reason or purpose the API stores, in characters.
pub const MAX_API_TEXT: usize = 255;

/// Why the API would refuse or misread a reason or purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextProblem {
    /// Longer than `MAX_API_TEXT` characters (the count).
    TooLong(usize),
    /// Holds control characters (tabs, line breaks).
    Control,
    /// `-BLANK-` or `-NOTBLANK-`, the API's search keywords.
    Keyword,
}

impl fmt::Display for TextProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextProblem::TooLong(n) => {
                write!(f, "{n} characters, the API takes at most {MAX_API_TEXT}")
            }
            TextProblem::Control => {
                f.write_str("the API refuses control characters (tabs, line breaks)")
            }
            TextProblem::Keyword => f.write_str("-BLANK- and -NOTBLANK- are keywords of the API"),
        }
    }
}

/// What the API would refuse or misread in `value` as a reason or purpose; shared by
/// `validate` and the sandbox so both enforce the same limits.
pub fn api_text_problem(value: &str) -> Option<TextProblem> {
    let chars = value.chars().count();
    if chars > MAX_API_TEXT {
        return Some(TextProblem::TooLong(chars));
    }
    if value.chars().any(char::is_control) {
        return Some(TextProblem::Control);
    }
    if value.eq_ignore_ascii_case("-BLANK-") || value.eq_ignore_ascii_case("-NOTBLANK-") {
        return Some(TextProblem::Keyword);
    }
    None
}
