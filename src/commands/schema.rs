//! `dnc schema`: print the JSON Schema of the config or manifest files.

use crate::cli::{SchemaArgs, SchemaKind};
use crate::exit::Exit;
use crate::manifest::schema;

pub fn run(args: SchemaArgs) -> miette::Result<Exit> {
    let value = match args.kind {
        SchemaKind::Config => schema::config(),
        SchemaKind::Manifest => schema::manifest(),
    };
    print!("{}", schema::pretty(&value));
    Ok(Exit::Success)
}
