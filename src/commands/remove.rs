//! `dnc remove NUMBER --reason R`: the number's entry becomes a tombstone in the same
//! manifest (so it keeps the file's defaults), with the reason it may be called again. A
//! number no manifest lists gets a tombstone in the target manifest, without reading the
//! remote lists: `dnc plan` then shows whether the list holds it.

use super::edit::{self, Action, Outcome, Target};
use super::{CommandError, Output};
use crate::cli::RemoveArgs;
use crate::edit::{Field, fields_at, scalar, take_out};
use crate::entry::Key;
use crate::exit::Exit;
use crate::manifest::Source;
use crate::phone;
use miette::Result;

pub fn run(args: RemoveArgs, out: Output) -> Result<Exit> {
    let (config, desired) = edit::open(&args.edit, out)?;
    let requested_at = edit::requested_at(&args.edit)?;
    let code = args.edit.phone_code.or(config.phone_code);
    let (phone, _) = phone::normalize(code, &args.number).map_err(CommandError::Number)?;
    let held: Vec<_> = edit::keys_of(&desired, &phone)
        .filter(|(k, _, _)| args.edit.scope.is_none_or(|s| k.scope == s))
        .collect();
    let listed: Vec<_> = held.iter().filter(|(_, t, _)| !t).collect();
    let outcome = match listed.as_slice() {
        [] => match held.first() {
            Some((key, _, at)) => Outcome::new(Action::AlreadyRemoved, key, at),
            None => tombstone_for_unlisted(&args, &config, phone, &requested_at, out)?,
        },
        [(key, _, at)] => entry_to_tombstone(&args, &config, key, at, &requested_at, out)?,
        several => {
            let places: Vec<String> = several
                .iter()
                .map(|(k, _, at)| format!("{} at {at}", k.scope))
                .collect();
            return Err(CommandError::RemoveAmbiguous {
                number: phone.display(),
                places: places.join(", "),
            }
            .into());
        }
    };
    edit::report(&[outcome], args.edit.format)?;
    Ok(Exit::Success)
}

/// Moves the entry at `at` to `removals` of its own file, as written, with the removal's
/// reason and provenance.
fn entry_to_tombstone(
    args: &RemoveArgs,
    config: &crate::manifest::Config,
    key: &Key,
    at: &Source,
    requested_at: &str,
    out: Output,
) -> Result<Outcome> {
    let target = edit::target(config, Some(std::path::Path::new(&*at.file)), None);
    let line = at.line as usize;
    let written = target
        .as_ref()
        .ok()
        .and_then(|t| fields_at(&t.text, "entries", line));
    let (Ok(target), Some(written)) = (target, written) else {
        return Err(CommandError::RemoveInCsv {
            number: key.phone.display(),
            scope: key.scope,
            at: at.to_string(),
            file: at.file.to_string(),
        }
        .into());
    };
    let mut fields: Vec<Field> = Vec::new();
    for name in ["number", "phone_code", "scope"] {
        if let Some((_, value)) = written.iter().find(|(k, _)| k == name) {
            fields.push((name, value.clone()));
        }
    }
    fields.push(("removal_reason", scalar(&args.reason)));
    fields.extend(edit::provenance(
        args.edit.ticket.as_deref(),
        requested_at,
        args.edit.source.as_deref(),
    ));
    let (without, comments) = take_out(&target.text, "entries", line).unwrap_or_default();
    let text = edit::edited(
        &target.name,
        crate::edit::append(&without, "removals", &fields, &comments),
    )?;
    let mut outcome = written_at(args, &target, &text, key, Action::Removed, out)?;
    outcome.was = Some(at.to_string());
    Ok(outcome)
}

/// A tombstone for a number no manifest lists, in `--to` or the scope's manifest.
fn tombstone_for_unlisted(
    args: &RemoveArgs,
    config: &crate::manifest::Config,
    phone: crate::phone::Phone,
    requested_at: &str,
    out: Output,
) -> Result<Outcome> {
    let target = edit::target(config, args.edit.to.as_deref(), args.edit.scope)?;
    let scope = args
        .edit
        .scope
        .or(target.scope)
        .ok_or_else(|| CommandError::NoScope {
            number: args.number.clone(),
            file: target.name.clone(),
        })?;
    let key = Key { scope, phone };
    let mut fields: Vec<Field> = vec![("number", crate::fmt::yaml_str(&key.phone.display()))];
    if target.scope != Some(scope) {
        fields.push(("scope", crate::import::scope_text(scope)));
    }
    fields.push(("removal_reason", scalar(&args.reason)));
    fields.extend(edit::provenance(
        args.edit.ticket.as_deref(),
        requested_at,
        args.edit.source.as_deref(),
    ));
    let text = edit::edited(
        &target.name,
        crate::edit::append(&target.text, "removals", &fields, &[]),
    )?;
    written_at(args, &target, &text, &key, Action::TombstoneWritten, out)
}

/// Writes `text` and says where the tombstone for `key` now is.
fn written_at(
    args: &RemoveArgs,
    target: &Target,
    text: &str,
    key: &Key,
    action: Action,
    out: Output,
) -> Result<Outcome> {
    let now = edit::write(&args.edit, target, text, out)?;
    Ok(Outcome::new(action, key, &edit::now_at(&now, key, target)))
}
