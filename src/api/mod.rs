//! The Convoso DNC API client: typed calls, per-endpoint error codes, retries.
