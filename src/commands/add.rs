//! `dnc add NUMBER… --reason R`: entries appended to a manifest in `dnc fmt`'s layout, its
//! comments kept; numbers already listed are reported where they are, and the whole result
//! is checked before the file is replaced.

use super::edit::{self, Action, Outcome};
use super::{CommandError, Output};
use crate::cli::AddArgs;
use crate::edit::{Field, scalar};
use crate::entry::Key;
use crate::exit::Exit;
use crate::phone;
use miette::Result;

pub fn run(args: AddArgs, out: Output) -> Result<Exit> {
    let (config, desired) = edit::open(&args.edit, out)?;
    let target = edit::target(&config, args.edit.to.as_deref(), args.edit.scope)?;
    let scope = args
        .edit
        .scope
        .or(target.scope)
        .ok_or_else(|| CommandError::NoScope {
            number: args.numbers[0].clone(),
            file: target.name.clone(),
        })?;
    let requested_at = edit::requested_at(&args.edit)?;
    let code = edit::phone_code(&args.edit, &target, &config);
    let mut keys: Vec<Key> = Vec::new();
    for number in &args.numbers {
        let (phone, _) = phone::normalize(code, number).map_err(CommandError::Number)?;
        let key = Key { scope, phone };
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let mut text = target.text.clone();
    // Each number with where it is already listed, in the order given.
    let mut numbers = Vec::new();
    for key in keys {
        match edit::placed(&desired, &key) {
            Some((false, at)) => numbers.push((key, Some(at))),
            Some((true, at)) => {
                return Err(CommandError::AddRemoved {
                    number: key.phone.display(),
                    scope: key.scope,
                    at: at.to_string(),
                }
                .into());
            }
            None => {
                let fields = fields(&key, target.scope, &NewEntry::of(&args, &requested_at));
                text = edit::edited(
                    &target.name,
                    crate::edit::append(&text, "entries", &fields, &[]),
                )?;
                numbers.push((key, None));
            }
        }
    }
    let now = if numbers.iter().any(|(_, listed)| listed.is_none()) {
        edit::write(&args.edit, &target, &text, out)?
    } else {
        desired
    };
    let outcomes: Vec<Outcome> = numbers
        .into_iter()
        .map(|(key, listed)| match listed {
            Some(at) => Outcome::new(Action::AlreadyListed, &key, &at),
            None => Outcome::new(Action::Added, &key, &edit::now_at(&now, &key, &target)),
        })
        .collect();
    edit::report(&outcomes, args.edit.format)?;
    Ok(Exit::Success)
}

/// What a new entry says besides its number and scope.
pub(super) struct NewEntry<'a> {
    pub reason: &'a str,
    pub purpose: Option<&'a str>,
    pub ticket: Option<&'a str>,
    pub requested_at: &'a str,
    pub source: Option<&'a str>,
}

impl<'a> NewEntry<'a> {
    /// The flags' values.
    pub fn of(args: &'a AddArgs, requested_at: &'a str) -> NewEntry<'a> {
        NewEntry {
            reason: &args.reason,
            purpose: args.purpose.as_deref(),
            ticket: args.edit.ticket.as_deref(),
            requested_at,
            source: args.edit.source.as_deref(),
        }
    }
}

/// The new entry's fields in `dnc fmt`'s order; the scope only where the file's differs.
pub(super) fn fields(
    key: &Key,
    file_scope: Option<crate::entry::CampaignId>,
    new: &NewEntry,
) -> Vec<Field> {
    let mut fields: Vec<Field> = vec![("number", crate::fmt::yaml_str(&key.phone.display()))];
    if file_scope != Some(key.scope) {
        fields.push(("scope", crate::import::scope_text(key.scope)));
    }
    fields.push(("reason", scalar(new.reason)));
    if let Some(purpose) = new.purpose {
        fields.push(("purpose", scalar(purpose)));
    }
    fields.extend(edit::provenance(new.ticket, new.requested_at, new.source));
    fields
}
