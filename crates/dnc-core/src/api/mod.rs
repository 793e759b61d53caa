//! The Convoso DNC API client: typed calls, per-endpoint error codes, retries.

mod client;
mod error;
mod wire;

pub use client::{Client, ClientConfig, Reply};
pub use error::{ApiError, Endpoint, ErrorKind, contract_text};
pub use wire::{
    DeleteRequest, Echoes, InsertRequest, RemoteRecord, SearchPage, SearchQuery, Shape, TextFilter,
    UpdateRequest,
};
