//! Phone number normalization: every notation a person writes becomes one
//! `(phone_code, national digits)` pair before anything compares numbers.

mod fast;

use compact_str::CompactString;
use phonenumber::metadata::{DATABASE, Descriptor, Metadata};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// A normalized number: the country calling code and the national significant number.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Phone {
    #[serde(rename = "phone_code")]
    pub code: u16,
    /// Inline (no heap allocation) up to 24 digits: a plan holds millions of keys.
    #[serde(rename = "phone_number")]
    pub national: CompactString,
}

impl Phone {
    /// International notation for people, e.g. `+1 202-555-0143`.
    pub fn display(&self) -> String {
        self.nanp_display().unwrap_or_else(|| self.crate_display())
    }

    /// `+1 NPA-NXX-XXXX`, libphonenumber's international format for every ten-digit NANP
    /// number that starts 2–9, written directly: plans list up to a million of them, and the
    /// crate takes microseconds a number.
    fn nanp_display(&self) -> Option<String> {
        let n = self.national.as_str();
        let digits = n.len() == 10 && n.bytes().all(|b| b.is_ascii_digit());
        (self.code == 1 && digits && !n.starts_with(['0', '1']))
            .then(|| format!("+1 {}-{}-{}", &n[..3], &n[3..6], &n[6..]))
    }

    fn crate_display(&self) -> String {
        // A number the rules rejected (kept with its odd characters escaped) is shown as
        // kept: the crate would read letters as keypad digits.
        if !self.national.bytes().all(|b| b.is_ascii_digit()) {
            return format!("+{} {}", self.code, self.national);
        }
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
    /// Letters (vanity numbers, extensions), non-ASCII digits and invisible characters are
    /// refused: libphonenumber would silently convert or drop them, and a DNC entry must be
    /// exactly the number a person sees.
    #[error("`{raw}` contains {ch:?} (U+{code:04X}); a number may hold only digits 0-9, spaces, ( ) - . / and a leading +", code = *.ch as u32)]
    BadCharacter { raw: String, ch: char },
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
    let raw = raw.trim();
    // Most numbers are plain ASCII digits and punctuation: one pass over the bytes clears
    // them; anything else is searched for the character to name.
    let body = raw.strip_prefix('+').unwrap_or(raw);
    let plain = body
        .bytes()
        .all(|b| matches!(b, b'0'..=b'9' | b' ' | b'(' | b')' | b'-' | b'.' | b'/'));
    if !plain
        && let Some(ch) = raw
            .char_indices()
            .find(|&(i, c)| !(c.is_ascii_digit() || " ()-./".contains(c) || (c == '+' && i == 0)))
            .map(|(_, c)| c)
    {
        return Err(PhoneError::BadCharacter {
            raw: raw.to_string(),
            ch,
        });
    }
    if let Some(done) = fast::normalize(code, raw) {
        return Ok(done);
    }
    slow(code, raw)
}

/// Readies the metadata numbers of calling code `code` need, which takes a noticeable fraction
/// of a second: call it on another thread before the first number arrives.
pub fn prepare(code: u16) {
    fast::prepare(code);
}

/// The `phonenumber` crate's parse and validity check.
fn slow(code: Option<u16>, raw: &str) -> Result<(Phone, Assignment), PhoneError> {
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
    let national = CompactString::from(parsed.national().to_string());
    // By code, not by the number's region: an unassigned number has no region.
    let meta = main_metadata(written).ok_or(PhoneError::UnknownCode(written))?;
    if !possible_length(meta, national.len()) {
        return Err(PhoneError::WrongLength {
            raw: raw.to_string(),
            code: written,
            len: national.len(),
        });
    }
    let assignment = if parsed.is_valid() {
        Assignment::Assigned
    } else {
        Assignment::Unassigned
    };
    Ok((
        Phone {
            code: written,
            national,
        },
        assignment,
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

/// Every kind of number a plan describes (fixed line, mobile, toll free, …); a number is
/// valid when the general pattern and one of these match.
fn kinds(meta: &Metadata) -> impl Iterator<Item = &Descriptor> {
    let d = meta.descriptors();
    [
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
    ]
    .into_iter()
    .flatten()
}

/// Whether any kind of number in this plan has `len` digits. The metadata leaves the general
/// descriptor's lengths empty, so the kinds are asked one by one.
fn possible_length(meta: &Metadata, len: usize) -> bool {
    let mut lengths = kinds(meta).flat_map(|k| k.possible_length()).peekable();
    lengths.peek().is_none() || lengths.any(|&l| usize::from(l) == len)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct NANP format is the crate's, for assigned, unassigned and toll-free numbers.
    #[test]
    fn nanp_display_matches_the_crate() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for i in 0..20_000u64 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let national = format!("{}{:09}", 2 + i % 8, (state >> 20) % 1_000_000_000);
            let phone = Phone {
                code: 1,
                national: national.into(),
            };
            assert_eq!(
                phone.nanp_display(),
                Some(phone.crate_display()),
                "{phone:?}"
            );
        }
        for national in ["0125550143", "1125550143", "212555014", "21255501430"] {
            let phone = Phone {
                code: 1,
                national: national.into(),
            };
            assert_eq!(phone.nanp_display(), None, "{national}");
        }
    }

    /// Both paths agree on every number the fast path takes, across codes and notations.
    #[test]
    fn fast_path_matches_the_crate() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut taken = 0;
        for _ in 0..20_000 {
            let code =
                [1u16, 1, 1, 44, 49, 33, 61, 91, 52, 55, 86, 34, 39, 7, 81][next() as usize % 15];
            let len = 6 + next() as usize % 8;
            let digits: String = (0..len)
                .map(|_| char::from(b'0' + (next() % 10) as u8))
                .collect();
            let raw = match next() % 4 {
                0 => digits.clone(),
                1 => format!("+{code} {digits}"),
                2 => format!("({}) {}-{}", &digits[..3], &digits[3..6], &digits[6..]),
                _ => digits.chars().flat_map(|c| [c, '.']).collect::<String>(),
            };
            let given = if raw.starts_with('+') && next() % 2 == 0 {
                None
            } else {
                Some(code)
            };
            if let Some(fast) = fast::normalize(given, raw.trim_end_matches('.')) {
                taken += 1;
                assert_eq!(
                    Ok(fast),
                    slow(given, raw.trim_end_matches('.')),
                    "{raw} {given:?}"
                );
            }
        }
        assert!(taken > 2_000, "fast path taken {taken} times");
        let mut assigned = 0;
        for area in [
            202, 212, 242, 284, 340, 416, 604, 671, 787, 800, 876, 900, 917,
        ] {
            for exchange in (200..1000).step_by(7) {
                let raw = format!("({area}) {exchange}-01{:02}", exchange % 100);
                let fast = fast::normalize(Some(1), &raw).expect("plain NANP numbers are fast");
                assigned += usize::from(fast.1 == Assignment::Assigned);
                assert_eq!(Ok(fast), slow(Some(1), &raw), "{raw}");
            }
        }
        assert!(assigned > 500, "{assigned}");
    }

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
        for odd in [
            "1-800-FLOWERS",
            "202\u{200b}5550143",
            "２０２５５５０１４３",
            "+1 202 555 0143 ext. 12",
            "1+2025550143",
        ] {
            assert!(
                matches!(
                    normalize(Some(1), odd),
                    Err(PhoneError::BadCharacter { .. })
                ),
                "{odd}"
            );
        }
        assert!(matches!(
            normalize(Some(1), "()"),
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
