//! `dnc schema`: print the JSON Schema of the config or manifest files.

use crate::cli::{SchemaArgs, SchemaKind};
use crate::exit::Exit;
use crate::manifest::schema;

pub fn run(args: SchemaArgs) -> miette::Result<Exit> {
    stdout!("{}", text(args.kind))?;
    Ok(Exit::Success)
}

/// The schema as the files in `schema/` hold it.
pub fn text(kind: SchemaKind) -> String {
    let value = match kind {
        SchemaKind::Config => schema::config(),
        SchemaKind::Manifest => schema::manifest(),
    };
    schema::pretty(&value)
}
