//! Integration tests: one binary, one module per capability, sharing `harness`.

mod schema;
mod validate;
