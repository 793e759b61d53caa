//! The row model: one entry or tombstone as written, before its checks. YAML items and CSV
//! rows are both read into it, so the entry checks serve both.

use super::model::ScopeRef;
use std::ops::Range;

/// One entry or tombstone as written, from YAML or a CSV row, with the spans of its fields.
#[derive(Default)]
pub(super) struct Row {
    pub head: Range<usize>,
    pub number: (String, Range<usize>),
    pub phone_code: Option<u16>,
    pub scope: Option<(ScopeRef, Range<usize>)>,
    pub reason: Option<(String, Range<usize>)>,
    pub purpose: Option<(String, Range<usize>)>,
    pub requested_at: Option<(String, Range<usize>)>,
    pub ticket: Option<(String, Range<usize>)>,
    pub source: Option<(String, Range<usize>)>,
    /// Set for tombstones.
    pub removal_reason: Option<(String, Range<usize>)>,
    /// A tombstone's approval.
    pub approval: Option<super::Approval>,
}
