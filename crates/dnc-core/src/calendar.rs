//! Business days: the deadline to honor a do-not-call request (47 CFR 64.1200, 10 business
//! days since 2025-04-11) counts weekdays that are not holidays. US federal holidays are
//! computed from their rules (5 U.S.C. 6103) for any year, with the observed-day shift: a
//! holiday on a Saturday is observed the Friday before, on a Sunday the Monday after.
//!
//! Not a crate: `bdays`' `USSettlement` is a settlement calendar and `business-days` adds
//! market days (Good Friday, Christmas Eve) and uses jiff; the federal rules are eleven lines.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

/// Which days count as business days.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Calendar {
    /// Observe US federal holidays.
    pub us_federal: bool,
    /// Further days off (a company's own closures).
    pub extra: BTreeSet<NaiveDate>,
}

impl Calendar {
    pub fn us_federal() -> Calendar {
        Calendar {
            us_federal: true,
            extra: BTreeSet::new(),
        }
    }

    pub fn is_business_day(&self, day: NaiveDate) -> bool {
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        let holiday = self.us_federal && is_us_federal_holiday(day);
        !(weekend || holiday || self.extra.contains(&day))
    }

    /// The `n`th business day after `day` (the day itself does not count).
    pub fn add_business_days(&self, day: NaiveDate, n: u32) -> NaiveDate {
        let mut d = day;
        let mut left = n;
        while left > 0 {
            d = next(d);
            if self.is_business_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Business days after `from` up to and including `to`; negative when `to` is earlier.
    pub fn business_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let (lo, hi, sign) = if to >= from {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let mut d = lo;
        let mut n = 0;
        while d < hi {
            d = next(d);
            if self.is_business_day(d) {
                n += 1;
            }
        }
        sign * n
    }
}

fn next(d: NaiveDate) -> NaiveDate {
    d.checked_add_days(Days::new(1)).unwrap_or(d)
}

/// The US federal holidays observed in `year`, with their names, in date order. A New Year's
/// Day on a Saturday is observed on December 31 of the year before.
pub fn us_federal_holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let mut days: Vec<(NaiveDate, &'static str)> = [year, year + 1]
        .into_iter()
        .flat_map(holidays_of)
        .map(|(d, name)| (observed(d), name))
        .filter(|(d, _)| d.year() == year)
        .collect();
    days.sort();
    days
}

fn is_us_federal_holiday(day: NaiveDate) -> bool {
    // Reports count business days for every operation: each year's days are computed once.
    thread_local! {
        static YEARS: RefCell<HashMap<i32, Vec<NaiveDate>>> = RefCell::new(HashMap::new());
    }
    YEARS.with(|years| {
        years
            .borrow_mut()
            .entry(day.year())
            .or_insert_with(|| {
                us_federal_holidays(day.year())
                    .into_iter()
                    .map(|(d, _)| d)
                    .collect()
            })
            .contains(&day)
    })
}

/// The holidays of `year` on their nominal dates.
fn holidays_of(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let fixed = |m, d| NaiveDate::from_ymd_opt(year, m, d);
    let nth = |m, wd, n| NaiveDate::from_weekday_of_month_opt(year, m, wd, n);
    let last_monday_of_may = (1..=5)
        .rev()
        .find_map(|n| NaiveDate::from_weekday_of_month_opt(year, 5, Weekday::Mon, n));
    let mut out = vec![
        (fixed(1, 1), "New Year's Day"),
        (
            nth(1, Weekday::Mon, 3),
            "Birthday of Martin Luther King, Jr.",
        ),
        (nth(2, Weekday::Mon, 3), "Washington's Birthday"),
        (last_monday_of_may, "Memorial Day"),
        (fixed(7, 4), "Independence Day"),
        (nth(9, Weekday::Mon, 1), "Labor Day"),
        (nth(10, Weekday::Mon, 2), "Columbus Day"),
        (fixed(11, 11), "Veterans Day"),
        (nth(11, Weekday::Thu, 4), "Thanksgiving Day"),
        (fixed(12, 25), "Christmas Day"),
    ];
    // Juneteenth National Independence Day became a federal holiday in 2021.
    if year >= 2021 {
        out.push((fixed(6, 19), "Juneteenth National Independence Day"));
    }
    out.into_iter()
        .filter_map(|(d, name)| d.map(|d| (d, name)))
        .collect()
}

fn observed(d: NaiveDate) -> NaiveDate {
    match d.weekday() {
        Weekday::Sat => d.pred_opt().unwrap_or(d),
        Weekday::Sun => next(d),
        _ => d,
    }
}

/// A `requested_at` value: a date (`2026-03-01`) or an RFC 3339 date-time, whose own local
/// date is the day of the request.
pub fn parse_day(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    // `YYYY-MM-DD` read directly: chrono's parser reads its format string again per call.
    if let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *text.as_bytes()
        && [y0, y1, y2, y3, m0, m1, d0, d1]
            .iter()
            .all(u8::is_ascii_digit)
    {
        let n = |digits: &[u8]| digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
        let year = n(&[y0, y1, y2, y3]) as i32;
        if let Some(day) = NaiveDate::from_ymd_opt(year, n(&[m0, m1]), n(&[d0, d1])) {
            return Some(day);
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            chrono::DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| t.date_naive())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn dates(year: i32) -> Vec<String> {
        us_federal_holidays(year)
            .into_iter()
            .map(|(d, _)| d.to_string())
            .collect()
    }

    #[test]
    fn federal_holidays_2026_match_opm() {
        // OPM's published 2026 list: Independence Day (Saturday) observed Friday July 3.
        assert_eq!(
            dates(2026),
            [
                "2026-01-01",
                "2026-01-19",
                "2026-02-16",
                "2026-05-25",
                "2026-06-19",
                "2026-07-03",
                "2026-09-07",
                "2026-10-12",
                "2026-11-11",
                "2026-11-26",
                "2026-12-25"
            ]
        );
    }

    #[test]
    fn federal_holidays_2027_shift_to_both_sides() {
        // Juneteenth and Christmas on Saturdays (Friday before), Independence Day on a
        // Sunday (Monday after); New Year's Day 2028 is a Saturday, observed 2027-12-31.
        assert_eq!(
            dates(2027),
            [
                "2027-01-01",
                "2027-01-18",
                "2027-02-15",
                "2027-05-31",
                "2027-06-18",
                "2027-07-05",
                "2027-09-06",
                "2027-10-11",
                "2027-11-11",
                "2027-11-25",
                "2027-12-24",
                "2027-12-31"
            ]
        );
        assert!(!dates(2028).contains(&"2028-01-01".to_string()));
    }

    #[test]
    fn federal_holidays_2030_and_before_juneteenth() {
        assert_eq!(
            dates(2030),
            [
                "2030-01-01",
                "2030-01-21",
                "2030-02-18",
                "2030-05-27",
                "2030-06-19",
                "2030-07-04",
                "2030-09-02",
                "2030-10-14",
                "2030-11-11",
                "2030-11-28",
                "2030-12-25"
            ]
        );
        assert_eq!(dates(2020).len(), 10);
        // Veterans Day 2029 is a Sunday: observed Monday November 12.
        assert!(dates(2029).contains(&"2029-11-12".to_string()));
    }

    #[test]
    fn ten_business_days_skip_weekends_and_holidays() {
        let cal = Calendar::us_federal();
        // Monday 2026-11-16: Thanksgiving (Thursday 26th) pushes the tenth business day out.
        assert_eq!(cal.add_business_days(d("2026-11-16"), 10), d("2026-12-01"));
        // Requested on a Saturday: counting starts Monday.
        assert_eq!(cal.add_business_days(d("2026-03-07"), 10), d("2026-03-20"));
        // Christmas and the New Year's Eve observance of 2028's New Year's Day.
        assert_eq!(cal.add_business_days(d("2027-12-20"), 10), d("2028-01-05"));
        let plain = Calendar::default();
        assert_eq!(
            plain.add_business_days(d("2026-11-16"), 10),
            d("2026-11-30")
        );
        assert_eq!(
            cal.business_days_between(d("2026-11-16"), d("2026-12-01")),
            10
        );
        assert_eq!(
            cal.business_days_between(d("2026-12-01"), d("2026-11-16")),
            -10
        );
        let mut extra = Calendar::us_federal();
        extra.extra.insert(d("2026-11-27"));
        assert_eq!(
            extra.add_business_days(d("2026-11-16"), 10),
            d("2026-12-02")
        );
    }

    #[test]
    fn requested_at_is_a_date_or_a_datetime() {
        assert_eq!(parse_day("2026-03-01"), Some(d("2026-03-01")));
        // The request's own local date, not UTC's.
        assert_eq!(
            parse_day("2026-03-01T23:30:00-05:00"),
            Some(d("2026-03-01"))
        );
        assert_eq!(parse_day("2026-03-01T10:00:00Z"), Some(d("2026-03-01")));
        for bad in ["2026-02-30", "03/01/2026", "2026-03-01 10:00", "yesterday"] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }

    /// The direct `YYYY-MM-DD` reading gives chrono's answer for every day, month and year
    /// written, valid or not.
    #[test]
    fn days_read_directly_as_chrono_reads_them() {
        for year in ["0000", "1900", "2024", "2026", "9999"] {
            for month in 0..=13 {
                for day in 0..=32 {
                    let text = format!("{year}-{month:02}-{day:02}");
                    let chrono = NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok();
                    assert_eq!(parse_day(&text), chrono, "{text}");
                }
            }
        }
    }
}
