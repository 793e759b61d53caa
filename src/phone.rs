//! Phone number normalization: every notation a person writes becomes one
//! `(phone_code, national digits)` pair before anything compares numbers.

use phonenumber::metadata::{DATABASE, Metadata};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// A normalized number: the country calling code and the national significant number.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Phone {
    #[serde(rename = "phone_code")]
    pub code: u16,
    #[serde(rename = "phone_number")]
    pub national: String,
}

impl Phone {
    /// International notation for people, e.g. `+1 202-555-0143`.
    pub fn display(&self) -> String {
        let e164 = format!("+{}{}", self.code, self.national);
        match phonenumber::parse(None, &e164) {
            Ok(n) => n
                .format()
                .mode(phonenumber::Mode::International)
                .to_string(),
            Err(_) => format!("+{} {}", self.code, self.national),
        }
    }

    /// Like `display`, with every digit between the first group and the last four hidden:
    /// `+1 202-***-0143`.
    pub fn masked(&self) -> String {
        let shown = self.display();
        let prefix = format!("+{} ", self.code);
        let Some(rest) = shown.strip_prefix(&prefix) else {
            return shown;
        };
        let digits = rest.chars().filter(char::is_ascii_digit).count();
        let first_group = rest.chars().take_while(char::is_ascii_digit).count();
        let mut seen = 0;
        let masked: String = rest
            .chars()
            .map(|c| {
                if !c.is_ascii_digit() {
                    return c;
                }
                seen += 1;
                if seen <= first_group || seen + 4 > digits {
                    c
                } else {
                    '*'
                }
            })
            .collect();
        format!("{prefix}{masked}")
    }
}

/// How libphonenumber's rules judge a well-formed number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Assignment {
    /// In a range the numbering plan assigns.
    Assigned,
    /// The right length for its country, but in no assigned range (e.g. 555-xxx-xxxx in the US).
    Unassigned,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("`{0}` is not a phone number")]
    NotANumber(String),
    #[error("unknown country calling code {0}")]
    UnknownCode(u16),
    #[error(
        "`{raw}` is written with country code +{written} but the entry says phone code {given}"
    )]
    CodeMismatch {
        raw: String,
        written: u16,
        given: u16,
    },
    #[error("`{raw}` has {len} digits, which no +{code} number has")]
    WrongLength { raw: String, code: u16, len: usize },
}

/// Normalizes `raw` (any common notation) under calling code `code`.
/// A leading `+` carries its own code, which must agree with `code` when both are given.
pub fn normalize(code: Option<u16>, raw: &str) -> Result<(Phone, Assignment), PhoneError> {
    let (phone, parsed) = parse(code, raw)?;
    let assignment = if parsed.is_valid() {
        Assignment::Assigned
    } else {
        Assignment::Unassigned
    };
    Ok((phone, assignment))
}

/// [`normalize`] without judging the assignment, for numbers that are only compared: the
/// assignment check costs several times the parse.
pub fn canonical(code: Option<u16>, raw: &str) -> Result<Phone, PhoneError> {
    parse(code, raw).map(|(phone, _)| phone)
}

fn parse(code: Option<u16>, raw: &str) -> Result<(Phone, phonenumber::PhoneNumber), PhoneError> {
    let raw = raw.trim();
    let not_a_number = || PhoneError::NotANumber(raw.to_string());
    let parsed = if raw.starts_with('+') {
        phonenumber::parse(None, raw).map_err(|_| not_a_number())?
    } else {
        let code = code.ok_or_else(not_a_number)?;
        let region = main_metadata(code)
            .and_then(|m| phonenumber::country::Id::from_str(m.id()).ok())
            .ok_or(PhoneError::UnknownCode(code))?;
        phonenumber::parse(Some(region), raw).map_err(|_| not_a_number())?
    };
    let written = parsed.code().value();
    if let Some(given) = code
        && given != written
    {
        return Err(PhoneError::CodeMismatch {
            raw: raw.to_string(),
            written,
            given,
        });
    }
    let national = parsed.national().to_string();
    // By code, not by the number's region: an unassigned number has no region.
    let meta = main_metadata(written).ok_or(PhoneError::UnknownCode(written))?;
    if !possible_length(meta, national.len()) {
        return Err(PhoneError::WrongLength {
            raw: raw.to_string(),
            code: written,
            len: national.len(),
        });
    }
    Ok((
        Phone {
            code: written,
            national,
        },
        parsed,
    ))
}

/// Whether `code` is a country calling code libphonenumber knows.
pub fn known_code(code: u16) -> bool {
    main_metadata(code).is_some()
}

fn main_metadata(code: u16) -> Option<&'static Metadata> {
    let metas = DATABASE.by_code(&code)?;
    metas
        .iter()
        .copied()
        .find(|m| m.is_main_country_for_code())
        .or(metas.first().copied())
}

/// Whether any kind of number in this plan (fixed line, mobile, toll free, …) has `len` digits.
/// The metadata leaves the general descriptor's lengths empty, so the kinds are asked one by one.
fn possible_length(meta: &Metadata, len: usize) -> bool {
    let d = meta.descriptors();
    let kinds = [
        d.fixed_line(),
        d.mobile(),
        d.toll_free(),
        d.premium_rate(),
        d.shared_cost(),
        d.personal_number(),
        d.voip(),
        d.pager(),
        d.uan(),
        d.voicemail(),
    ];
    let mut lengths = kinds
        .into_iter()
        .flatten()
        .flat_map(|k| k.possible_length())
        .peekable();
    lengths.peek().is_none() || lengths.any(|&l| usize::from(l) == len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notations_agree() {
        let want = Phone {
            code: 1,
            national: "2025550143".into(),
        };
        for raw in [
            "(202) 555-0143",
            "+1 202-555-0143",
            "2025550143",
            "+12025550143",
            "202.555.0143",
        ] {
            let (phone, a) = normalize(Some(1), raw).unwrap();
            assert_eq!(phone, want, "{raw}");
            assert_eq!(a, Assignment::Assigned, "{raw}");
        }
        assert_eq!(normalize(None, "+1 (202) 555-0143").unwrap().0, want);
    }

    #[test]
    fn canonical_is_normalize_without_the_assignment() {
        for (code, raw) in [
            (Some(1), "555-123-4567"),
            (Some(1), "+1 202-555-0143"),
            (Some(44), "020 7946 0018"),
            (Some(1), "12345"),
            (Some(44), "+1 202 555 0143"),
            (None, "2025550143"),
        ] {
            assert_eq!(
                canonical(code, raw),
                normalize(code, raw).map(|(p, _)| p),
                "{raw}"
            );
        }
    }

    #[test]
    fn display_and_mask() {
        let (phone, _) = normalize(Some(1), "2025550143").unwrap();
        assert_eq!(phone.display(), "+1 202-555-0143");
        assert_eq!(phone.masked(), "+1 202-***-0143");
        let (uk, _) = normalize(Some(44), "020 7946 0018").unwrap();
        assert_eq!(uk.display(), "+44 20 7946 0018");
        assert_eq!(uk.masked(), "+44 20 **** 0018");
    }

    #[test]
    fn uk_trunk_prefix_is_dropped() {
        let (phone, _) = normalize(Some(44), "020 7946 0018").unwrap();
        assert_eq!(
            phone,
            Phone {
                code: 44,
                national: "2079460018".into()
            }
        );
    }

    #[test]
    fn fictional_555_is_unassigned_not_invalid() {
        let (_, a) = normalize(Some(1), "555-123-4567").unwrap();
        assert_eq!(a, Assignment::Unassigned);
    }

    #[test]
    fn rejects() {
        assert!(matches!(
            normalize(Some(1), "12345"),
            Err(PhoneError::WrongLength { .. } | PhoneError::NotANumber(_))
        ));
        assert!(matches!(
            normalize(Some(1), "hello"),
            Err(PhoneError::NotANumber(_))
        ));
        assert!(matches!(
            normalize(Some(44), "+1 202 555 0143"),
            Err(PhoneError::CodeMismatch { .. })
        ));
        assert!(matches!(
            normalize(Some(999), "2025550143"),
            Err(PhoneError::UnknownCode(999))
        ));
        assert!(matches!(
            normalize(None, "2025550143"),
            Err(PhoneError::NotANumber(_))
        ));
    }
}
