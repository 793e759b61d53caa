//! A fast path for the common case, with exactly libphonenumber's rules.
//!
//! The `phonenumber` crate keeps its metadata regexes in one LRU cache of 100 behind a mutex,
//! so judging a number recompiles regexes over and over; at a million numbers that dominates.
//! Here the same metadata patterns are compiled once per calling code, and the crate's
//! region-selection and number-type logic (`validator::source_for`, `number_type`) is followed
//! step by step. The fast path only takes numbers whose parse is trivial: plain digits (with
//! formatting characters), no national prefix, no international prefix, no leading zero, no
//! leading country code; everything else goes through the crate. A unit test checks that both
//! paths agree on every number the fast path takes.

use super::{Assignment, Phone};
use phonenumber::metadata::{DATABASE, Descriptor, Metadata};
use regex::{Regex, RegexBuilder};
use std::sync::OnceLock;

struct Desc {
    pattern: Regex,
    lengths: Vec<u16>,
}

impl Desc {
    fn new(d: &Descriptor) -> Option<Desc> {
        // `Descriptor::is_match`: a match starting at 0, not anchored at the end.
        let pattern = RegexBuilder::new(&format!("^(?:{})", d.national_number().as_str()))
            .ignore_whitespace(true)
            .build()
            .ok()?;
        Some(Desc {
            pattern,
            lengths: d.possible_length().to_vec(),
        })
    }

    fn is_match(&self, value: &str) -> bool {
        (self.lengths.is_empty() || self.lengths.contains(&(value.len() as u16)))
            && self.pattern.is_match(value)
    }
}

struct Region {
    leading_digits: Option<Regex>,
    general: Desc,
    kinds: Vec<Desc>,
}

impl Region {
    fn new(meta: &Metadata) -> Option<Region> {
        let d = meta.descriptors();
        Some(Region {
            leading_digits: match meta.leading_digits() {
                Some(l) => Some(
                    RegexBuilder::new(&format!("^(?:{})", l.as_str()))
                        .ignore_whitespace(true)
                        .build()
                        .ok()?,
                ),
                None => None,
            },
            general: Desc::new(d.general())?,
            kinds: super::kinds(meta).map(Desc::new).collect::<Option<_>>()?,
        })
    }

    /// `number_type(meta, value) != Type::Unknown`.
    fn has_type(&self, value: &str) -> bool {
        self.general.is_match(value) && self.kinds.iter().any(|k| k.is_match(value))
    }
}

/// A region's patterns, compiled when a number first needs them: most lists are numbers of
/// one country, and compiling every region sharing +1 costs more than judging 100,000 numbers.
struct LazyRegion {
    meta: &'static Metadata,
    compiled: OnceLock<Option<Region>>,
}

impl LazyRegion {
    fn get(&self) -> Option<&Region> {
        self.compiled
            .get_or_init(|| Region::new(self.meta))
            .as_ref()
    }
}

/// Everything needed to judge numbers of one calling code.
struct Code {
    /// Regions in database order, as `source_for` walks them.
    regions: Vec<LazyRegion>,
    /// First digit(s) whose presence means the crate's parse might transform the number.
    risky_prefixes: Vec<String>,
    lengths: Vec<u16>,
}

impl Code {
    fn new(code: u16) -> Option<Code> {
        let metas = DATABASE.by_code(&code)?;
        let main = metas
            .iter()
            .copied()
            .find(|m| m.is_main_country_for_code())
            .or(metas.first().copied())?;
        if main.national_prefix_for_parsing().is_some()
            || main.national_prefix_transform_rule().is_some()
        {
            return None;
        }
        let mut risky = vec!["0".to_string(), code.to_string()];
        risky.extend(main.national_prefix().map(str::to_string));
        let mut lengths: Vec<u16> = super::kinds(main)
            .flat_map(|k| k.possible_length().iter().copied())
            .collect();
        lengths.sort_unstable();
        lengths.dedup();
        let regions = DATABASE
            .region(&code)?
            .iter()
            .map(|id| {
                DATABASE.by_id(*id).map(|meta| LazyRegion {
                    meta,
                    compiled: OnceLock::new(),
                })
            })
            .collect::<Option<_>>()?;
        Some(Code {
            regions,
            risky_prefixes: risky,
            lengths,
        })
    }

    /// `validator::is_valid_with` for a national number of this code; `None` when a region's
    /// patterns do not compile here (the crate decides then).
    fn is_valid(&self, national: &str) -> Option<bool> {
        if let [only] = &self.regions[..] {
            return Some(only.get()?.has_type(national));
        }
        for region in &self.regions {
            let region = region.get()?;
            match &region.leading_digits {
                Some(l) if l.is_match(national) => return Some(region.has_type(national)),
                Some(_) => {}
                None if region.has_type(national) => return Some(true),
                None => {}
            }
        }
        Some(false)
    }
}

/// Calling codes are 1 to 999. One slot per code, filled on first use: no lock and no shared
/// counter on the path every number takes, so threads do not contend.
static CODES: [OnceLock<Option<Code>>; 1000] = [const { OnceLock::new() }; 1000];

fn code(c: u16) -> Option<&'static Code> {
    CODES
        .get(usize::from(c))?
        .get_or_init(|| Code::new(c))
        .as_ref()
}

/// Loads the metadata for `c` and compiles its main region's patterns ahead of the first
/// number, so a caller can do it while other work runs.
pub(super) fn prepare(c: u16) {
    if let Some(first) = code(c).and_then(|code| code.regions.first()) {
        first.get();
    }
}

/// The normalized number when the crate's parse would be trivial, else `None` (use the crate).
/// `raw` has already passed the character check.
pub(super) fn normalize(given: Option<u16>, raw: &str) -> Option<(Phone, Assignment)> {
    let (code_num, rest) = match raw.strip_prefix('+') {
        // Only "+1 …" is unambiguous without the crate's country-code extraction.
        Some(after) => {
            let digits = after.trim_start();
            let rest = digits.strip_prefix('1')?;
            if !rest.starts_with([' ', '(', '-', '.', '/']) || given.is_some_and(|g| g != 1) {
                return None;
            }
            (1, rest)
        }
        None => (given?, raw),
    };
    // The digits gathered on the stack, then copied once into the inline string; no plan
    // has numbers of more than 24 digits, so a longer one is the crate's to reject.
    let mut digits = [0u8; 24];
    let mut len = 0;
    for b in rest.bytes().filter(u8::is_ascii_digit) {
        *digits.get_mut(len)? = b;
        len += 1;
    }
    let national = std::str::from_utf8(&digits[..len]).ok()?;
    let plan = code(code_num)?;
    if national.is_empty()
        || !plan.lengths.contains(&(national.len() as u16))
        || plan
            .risky_prefixes
            .iter()
            .any(|p| national.starts_with(p.as_str()))
    {
        return None;
    }
    let assignment = if plan.is_valid(national)? {
        Assignment::Assigned
    } else {
        Assignment::Unassigned
    };
    Some((
        Phone {
            code: code_num,
            national: national.into(),
        },
        assignment,
    ))
}
