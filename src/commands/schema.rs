//! `dnc schema`: print the JSON Schema of the config or manifest files.

use crate::cli::{SchemaArgs, SchemaKind};
use crate::manifest::schema;

pub fn run(args: SchemaArgs) -> miette::Result<u8> {
    let value = match args.kind {
        SchemaKind::Config => schema::config(),
        SchemaKind::Manifest => schema::manifest(),
    };
    print!("{}", schema::pretty(&value));
    Ok(0)
}
