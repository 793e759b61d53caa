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
    let code = args
        .edit
        .phone_code
        .or(target.phone_code)
        .or(config.phone_code);
    let mut keys: Vec<Key> = Vec::new();
    for number in &args.numbers {
        let (phone, _) = phone::normalize(code, number).map_err(CommandError::Number)?;
        let key = Key { scope, phone };
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let mut outcomes = Vec::new();
    let mut text = target.text.clone();
    let mut added = Vec::new();
    for key in keys {
        match edit::placed(&desired, &key) {
            Some((false, at)) => outcomes.push(Outcome::new(Action::AlreadyListed, &key, &at)),
            Some((true, at)) => {
                return Err(CommandError::AddRemoved {
                    number: key.phone.display(),
                    scope: key.scope,
                    at: at.to_string(),
                }
                .into());
            }
            None => {
                let fields = fields(&args, &key, target.scope, &requested_at);
                text = edit::edited(
                    &target.name,
                    crate::edit::append(&text, "entries", &fields, &[]),
                )?;
                added.push(key);
            }
        }
    }
    if !added.is_empty() {
        let now = edit::write(&args.edit, &target, &text, out)?;
        for key in &added {
            let at = edit::placed(&now, key).map(|(_, at)| at);
            let at = at.unwrap_or_else(|| crate::manifest::Source {
                file: target.name.as_str().into(),
                line: 0,
                column: 0,
            });
            outcomes.push(Outcome::new(Action::Added, key, &at));
        }
    }
    edit::report(&outcomes, args.edit.format)?;
    Ok(Exit::Success)
}

/// The new entry's fields in `dnc fmt`'s order; the scope only where the file's differs.
fn fields(
    args: &AddArgs,
    key: &Key,
    file_scope: Option<crate::entry::CampaignId>,
    requested_at: &str,
) -> Vec<Field> {
    let mut fields: Vec<Field> = vec![("number", crate::import::yaml_str(&key.phone.display()))];
    if file_scope != Some(key.scope) {
        fields.push(("scope", crate::import::scope_text(key.scope)));
    }
    fields.push(("reason", scalar(&args.reason)));
    if let Some(purpose) = &args.purpose {
        fields.push(("purpose", scalar(purpose)));
    }
    fields.extend(edit::provenance(&args.edit, requested_at));
    fields
}
