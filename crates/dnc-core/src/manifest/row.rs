//! The row model: one entry or tombstone as written, before its checks. YAML items and CSV
//! rows are both read into it, so the entry checks serve both.

use super::model::ScopeRef;
use std::borrow::Cow;
use std::ops::Range;

/// A value as written, borrowed from the YAML or CSV record where it can be (a million rows
/// are read without copying their numbers, reasons and dates), with its span.
pub(super) type Text<'t> = (Cow<'t, str>, Range<usize>);

/// One entry or tombstone as written, from YAML or a CSV row, with the spans of its fields.
#[derive(Default)]
pub(super) struct Row<'t> {
    pub head: Range<usize>,
    pub number: Text<'t>,
    pub phone_code: Option<u16>,
    pub scope: Option<(ScopeRef, Range<usize>)>,
    pub reason: Option<Text<'t>>,
    pub purpose: Option<Text<'t>>,
    pub requested_at: Option<Text<'t>>,
    pub ticket: Option<(String, Range<usize>)>,
    pub source: Option<(String, Range<usize>)>,
    /// Set for tombstones.
    pub removal_reason: Option<(String, Range<usize>)>,
    /// A tombstone's approval.
    pub approval: Option<super::Approval>,
}
