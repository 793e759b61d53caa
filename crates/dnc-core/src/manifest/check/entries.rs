//! The semantic checks of one entry or tombstone, from YAML or a CSV row: its scope,
//! texts, date and number. An item that passes becomes a `Candidate`.

use super::{Candidate, Check, Inherited};
use crate::calendar;
use crate::entry::{Key, TextProblem};
use crate::manifest::diagnostics::{At, Severity, SourceFile, excerpt};
use crate::manifest::model::{ApprovalPolicy, Defaults, RequiredField, ScopeRef};
use crate::manifest::row::Row;
use crate::manifest::yaml::Node;
use crate::manifest::{Config, Source};
use crate::phone::{self, Assignment};
use std::ops::Range;
use std::sync::Arc;

impl Check<'_> {
    /// Checks values set once for many items (file defaults, include defaults) where they
    /// are written, so a bad default is reported once, not once per entry.
    pub(super) fn check_inherited(
        &mut self,
        config: &Config,
        file: &SourceFile,
        node: &Node,
        d: &Defaults,
    ) {
        let span = |key: &str| {
            node.get(key)
                .map(|(_, v)| v.span.clone())
                .unwrap_or(node.span.clone())
        };
        if let Some(s) = d.scope {
            self.check_scope(config, file, s, span("scope"));
        }
        if let Some(r) = &d.reason {
            self.check_text(file, "reason", r, span("reason"), config.reasons.as_deref());
        }
        if let Some(p) = &d.purpose {
            self.check_text(
                file,
                "purpose",
                p,
                span("purpose"),
                config.purposes.as_deref(),
            );
        }
    }

    fn check_scope(
        &mut self,
        config: &Config,
        file: &SourceFile,
        scope: ScopeRef,
        span: Range<usize>,
    ) -> bool {
        let id = scope.campaign_id();
        if self.any_scope || config.scopes.iter().any(|s| s.id == id) {
            return true;
        }
        let managed: Vec<String> = config.scopes.iter().map(|s| s.id.to_string()).collect();
        self.error(
            At(file)
                .diag(
                    Severity::Error,
                    "dnc::entry::unknown_scope",
                    format!("{id} is not a scope this config manages"),
                    span,
                    "unknown scope",
                )
                .with_help(format!(
                    "managed scopes: {}; add it to `scopes` in the config",
                    managed.join(", ")
                )),
        );
        false
    }

    fn check_text(
        &mut self,
        file: &SourceFile,
        what: &str,
        value: &str,
        span: Range<usize>,
        allowed: Option<&[String]>,
    ) -> bool {
        if value.trim().is_empty() {
            self.error(
                At(file)
                    .diag(
                        Severity::Error,
                        "dnc::entry::empty",
                        format!("`{what}` is empty"),
                        span,
                        "empty",
                    )
                    .with_help("write the value, or leave the key out"),
            );
            return false;
        }
        // History reads what a file said, without the checks of today's account.
        let sent = what != "removal_reason" && !self.any_scope;
        let mut ok = true;
        if let Some(problem) = crate::entry::api_text_problem(value).filter(|_| sent) {
            self.error(
                At(file)
                    .diag(
                        Severity::Error,
                        "dnc::entry::api_limit",
                        format!("`{what}` cannot be sent to Convoso: {problem}"),
                        span.clone(),
                        "refused by the API",
                    )
                    .with_help(match problem {
                        TextProblem::TooLong(_) => format!(
                            "shorten it to at most {} characters",
                            crate::entry::MAX_API_TEXT
                        ),
                        TextProblem::Control => "write it on one line, without tabs".into(),
                        TextProblem::Keyword => format!("write the {what} itself, or leave it out"),
                    }),
            );
            ok = false;
        }
        // The allow-list sees exactly what would be sent: `DNC` followed by a tab is not `DNC`.
        if let Some(allowed) = allowed
            && !allowed.iter().any(|a| a == value)
        {
            self.error(
                At(file)
                    .diag(
                        Severity::Error,
                        "dnc::entry::not_allowed",
                        format!("`{}` is not an allowed {what}", excerpt(value)),
                        span,
                        format!("not in the config's `{what}s`"),
                    )
                    .with_help(format!("allowed: {}", allowed.join(", "))),
            );
            return false;
        }
        ok
    }

    /// The fields the config's `require` lists that an entry has neither written nor
    /// inherited, each an error at the entry's first line.
    fn check_required(
        &mut self,
        config: &Config,
        file: &SourceFile,
        row: &Row,
        inherited: &Inherited,
    ) -> bool {
        let missing: Vec<&str> = config
            .require
            .iter()
            .filter(|field| match field {
                RequiredField::PhoneCode => row.phone_code.or(inherited.phone_code).is_none(),
                // Reported on their own when missing.
                RequiredField::Scope | RequiredField::Reason => false,
                RequiredField::Purpose => row.purpose.is_none() && inherited.purpose.is_none(),
                RequiredField::Ticket => row.ticket.is_none(),
                RequiredField::RequestedAt => row.requested_at.is_none(),
                RequiredField::Source => row.source.is_none(),
            })
            .map(|field| field.key())
            .collect();
        if missing.is_empty() {
            return true;
        }
        let names = missing
            .iter()
            .map(|m| format!("`{m}`"))
            .collect::<Vec<_>>()
            .join(", ");
        self.error(
            At(file)
                .diag(
                    Severity::Error,
                    "dnc::entry::required",
                    format!("this entry has no {names}, which the config requires"),
                    row.head.clone(),
                    format!("no {names}"),
                )
                .with_help(format!(
                    "write {names} on this entry, or take it out of `require` in the config"
                )),
        );
        false
    }

    /// The semantic pass for one entry or tombstone; accepted items become candidates.
    pub(super) fn accept(
        &mut self,
        config: &Config,
        file: &Arc<SourceFile>,
        row: Row,
        inherited: &Inherited,
    ) {
        let at = At(file);
        let mut ok = true;
        let scope = match (&row.scope, inherited.scope) {
            (Some((s, span)), _) => {
                ok &= self.check_scope(config, file, *s, span.clone());
                Some(*s)
            }
            (None, Some(s)) => Some(s),
            (None, None) => {
                self.error(
                    at.diag(
                        Severity::Error,
                        "dnc::entry::no_scope",
                        "no scope for this entry",
                        row.head.clone(),
                        "no `scope`",
                    )
                    .with_help("set `scope` here or in the file's `defaults`"),
                );
                ok = false;
                None
            }
        };
        let tombstone = row.removal_reason.is_some();
        let mut reason = None;
        if let Some((r, span)) = &row.removal_reason {
            ok &= self.check_text(file, "removal_reason", r, span.clone(), None);
            reason = Some(self.intern(r));
        } else {
            match (&row.reason, &inherited.reason) {
                (Some((r, span)), _) => {
                    ok &=
                        self.check_text(file, "reason", r, span.clone(), config.reasons.as_deref());
                    reason = Some(self.intern(r));
                }
                (None, Some(r)) => reason = Some(r.clone()),
                (None, None) => {
                    self.error(at.diag(Severity::Error, "dnc::entry::no_reason", "no reason for this entry", row.head.clone(), "no `reason`").with_help("every entry needs a reason: set `reason` here or in the file's `defaults`"));
                    ok = false;
                }
            }
        }
        let purpose = match (&row.purpose, &inherited.purpose) {
            (Some((p, span)), _) => {
                ok &= self.check_text(file, "purpose", p, span.clone(), config.purposes.as_deref());
                Some(self.intern(p))
            }
            (None, p) => p.clone(),
        };
        let requested_at = row.requested_at.as_ref().and_then(|(date, span)| {
            let day = calendar::parse_day(date);
            if day.is_none() {
                self.error(
                    at.diag(
                        Severity::Error,
                        "dnc::entry::date",
                        format!("`{}` is not a date", excerpt(date)),
                        span.clone(),
                        "expected YYYY-MM-DD or an RFC 3339 date-time",
                    )
                    .with_help("write the day (2026-03-01) or the moment with its offset (2026-03-01T14:30:00-05:00)"),
                );
            }
            day
        });
        ok &= row.requested_at.is_none() || requested_at.is_some();
        if !tombstone {
            ok &= self.check_required(config, file, &row, inherited);
        }
        if tombstone
            && row.approval.is_none()
            && !self.any_scope
            && config.approvals == ApprovalPolicy::Required
        {
            self.error(
                at.diag(
                    Severity::Error,
                    "dnc::entry::no_approval",
                    "this removal has no approval",
                    row.head.clone(),
                    "no `approval`",
                )
                .with_help(
                    "the config's `removals.approvals: required` asks every tombstone for its approval: \
                     add `approval: {by: LOGIN, ticket: TICKET}`",
                ),
            );
            ok = false;
        }
        let (number, number_span) = &row.number;
        let code = row.phone_code.or(inherited.phone_code);
        let phone = match phone::normalize(code, number) {
            Ok((phone, assignment)) => {
                if assignment == Assignment::Unassigned {
                    let severity = if config.strict {
                        Severity::Error
                    } else {
                        Severity::Warning
                    };
                    self.error(
                        at.diag(
                            severity,
                            "dnc::number::unassigned",
                            format!("`{number}` is in no assigned range of +{}", phone.code),
                            number_span.clone(),
                            "unassigned number",
                        )
                        .with_help(
                            "check the digits; `strict: true` or --strict makes this an error",
                        ),
                    );
                    ok &= !config.strict;
                }
                Some(phone)
            }
            Err(e) => {
                // Point at the offending character itself when the source shows it verbatim.
                let number_span = match &e {
                    phone::PhoneError::BadCharacter { ch, .. } => file.text[number_span.clone()]
                        .find(*ch)
                        .map_or(number_span.clone(), |i| {
                            number_span.start + i..number_span.start + i + ch.len_utf8()
                        }),
                    _ => number_span.clone(),
                };
                let (label, help) = match (&e, code) {
                    (phone::PhoneError::BadCharacter { .. }, _) => (
                        "not allowed in a number",
                        "write the digits as dialed: vanity letters, extensions and look-alike \
                         digits are not part of a DNC number",
                    ),
                    (phone::PhoneError::NotANumber(_), None) => (
                        "invalid number",
                        "write the number with `+` and its country code, or set `phone_code`",
                    ),
                    _ => (
                        "invalid number",
                        "check the digits and the phone code (libphonenumber rules)",
                    ),
                };
                self.error(
                    at.diag(
                        Severity::Error,
                        "dnc::number::invalid",
                        e.to_string(),
                        number_span,
                        label,
                    )
                    .with_help(help),
                );
                None
            }
        };
        let (Some(scope), Some(phone), Some(reason), true) = (scope, phone, reason, ok) else {
            return;
        };
        let loc = file.locate_after(&mut self.cursor, row.head.clone());
        let request = self.request(crate::manifest::Request {
            ticket: row.ticket.map(|(t, _)| t),
            request_source: row.source.map(|(s, _)| s),
        });
        self.out.push(Candidate {
            key: Key {
                scope: scope.campaign_id(),
                phone,
            },
            reason,
            purpose,
            tombstone,
            requested_at,
            approval: row.approval,
            request,
            source: Source {
                file: loc.file,
                line: loc.line,
                column: loc.column,
            },
            head: row.head,
        });
    }
}
