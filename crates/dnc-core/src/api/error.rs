//! Errors of the API client, and the per-endpoint meaning of the API's error codes.

use std::fmt;

/// The four DNC endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Insert,
    Update,
    Search,
    Delete,
}

impl Endpoint {
    /// The path under the base URL (`…/v1/`).
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Insert => "dnc/insert",
            Endpoint::Update => "dnc/update",
            Endpoint::Search => "dnc/search",
            Endpoint::Delete => "dnc/delete",
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path())
    }
}

/// What a business error code means, which depends on the endpoint that sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    InvalidPhone,
    /// The entry is already there: for an insert, the goal is reached.
    AlreadyExists,
    InvalidCampaign,
    /// No such entry: for a delete, the goal is reached.
    NotFound,
    InvalidReason,
    InvalidPurpose,
    /// The server failed to carry out a valid request.
    OperationFailed,
    InvalidParameter,
    InvalidOffset,
    InvalidPhoneCode,
    InvalidLeadStatus,
    MissingParameter,
    /// A code this endpoint's tables do not list.
    Unknown,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ErrorKind::*;
        f.write_str(match self {
            InvalidPhone => "invalid phone number",
            AlreadyExists => "already exists",
            InvalidCampaign => "invalid campaign",
            NotFound => "not found",
            InvalidReason => "invalid reason",
            InvalidPurpose => "invalid purpose",
            OperationFailed => "operation failed",
            InvalidParameter => "invalid parameter",
            InvalidOffset => "invalid offset",
            InvalidPhoneCode => "invalid phone code",
            InvalidLeadStatus => "invalid lead status",
            MissingParameter => "missing parameter",
            Unknown => "a code this endpoint does not list",
        })
    }
}

/// The contract's description of `code` on `endpoint` (convoso-dnc-api.md's tables), for
/// messages that set it beside what the server itself said.
pub fn contract_text(endpoint: Endpoint, code: i64) -> Option<&'static str> {
    let table: &[(i64, &str)] = match endpoint {
        Endpoint::Insert => &[
            (6006, "Invalid phone number"),
            (6007, "Duplicate entry"),
            (6008, "Phone already in DNC"),
            (6026, "Invalid campaign ID"),
            (6056, "Insert operation failed"),
            (6057, "Invalid reason"),
            (6058, "Invalid purpose"),
        ],
        Endpoint::Update => &[
            (6004, "Invalid phone number format"),
            (6008, "Phone number already in DNC"),
            (6026, "Invalid campaign ID"),
            (6056, "DNC ID not found"),
            (6057, "Invalid reason code"),
            (6058, "Invalid purpose value"),
            (6059, "Update operation failed"),
        ],
        Endpoint::Search => &[
            (6006, "Invalid phone format"),
            (6008, "Invalid parameter"),
            (6026, "Invalid campaign ID"),
            (6057, "Invalid reason filter"),
            (6058, "Invalid purpose filter"),
        ],
        Endpoint::Delete => &[
            (6000, "Invalid phone number"),
            (6001, "Phone not found in DNC"),
            (6002, "Invalid campaign ID"),
            (6003, "Invalid phone code"),
            (6004, "Delete operation failed"),
            (6005, "Invalid lead status"),
        ],
    };
    table
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, text)| *text)
}

/// Codes and texts by which some deployments refuse the token in an HTTP 200 answer (a
/// public client's fixture records 5001; an SDK types 401/403 bodies).
const AUTH_CODES: [i64; 3] = [401, 403, 5001];

/// Whether a failure answer refuses the token: an auth code, or, without any code, a
/// message about authentication.
pub fn is_auth_refusal(code: Option<i64>, text: &str) -> bool {
    match code {
        Some(code) => AUTH_CODES.contains(&code),
        None => {
            let text = text.to_ascii_lowercase();
            [
                "auth",
                "token",
                "forbidden",
                "permission",
                "access denied",
                "api key",
            ]
            .iter()
            .any(|word| text.contains(word))
        }
    }
}

impl ErrorKind {
    /// Reads `code` with the table of `endpoint` (convoso-dnc-api.md, plus what the vendor's
    /// pages and SDKs add, see convoso-api-notes.md).
    pub fn of(endpoint: Endpoint, code: i64) -> ErrorKind {
        use ErrorKind::*;
        match (endpoint, code) {
            (Endpoint::Insert, 6006) => InvalidPhone,
            // "Duplicate entry" and "Phone already in DNC": both mean the entry exists.
            (Endpoint::Insert, 6007 | 6008) => AlreadyExists,
            (Endpoint::Insert, 6026) => InvalidCampaign,
            (Endpoint::Insert, 6056) => OperationFailed,
            (Endpoint::Insert, 6057) => InvalidReason,
            (Endpoint::Insert, 6058) => InvalidPurpose,

            (Endpoint::Update, 6004) => InvalidPhone,
            // The vendor's pages read update's 6008 as "phone number is invalid"; the contract
            // as "already in DNC". Our updates never change the key, so either way it is the
            // phone the server objects to.
            (Endpoint::Update, 6008) => InvalidPhone,
            (Endpoint::Update, 6026) => InvalidCampaign,
            (Endpoint::Update, 6056) => NotFound,
            (Endpoint::Update, 6057) => InvalidReason,
            (Endpoint::Update, 6058) => InvalidPurpose,
            (Endpoint::Update, 6059) => OperationFailed,

            (Endpoint::Search, 6006) => InvalidPhone,
            (Endpoint::Search, 6008) => InvalidParameter,
            (Endpoint::Search, 6026) => InvalidCampaign,
            (Endpoint::Search, 6057) => InvalidReason,
            (Endpoint::Search, 6058) => InvalidPurpose,
            (Endpoint::Search, 7231) => InvalidOffset,

            (Endpoint::Delete, 6000) => InvalidPhone,
            // The contract's "Phone not found" is 6001, the vendor SDK's is 6003: the two
            // tables disagree, and both mean the entry is already gone.
            (Endpoint::Delete, 6001 | 6003) => NotFound,
            (Endpoint::Delete, 6002) => InvalidCampaign,
            (Endpoint::Delete, 6004) => OperationFailed,
            (Endpoint::Delete, 6005) => InvalidLeadStatus,

            _ => Unknown,
        }
    }
}

/// A failed API call. No variant ever holds the auth token.
#[derive(Clone, Debug, thiserror::Error, miette::Diagnostic)]
pub enum ApiError {
    #[error("{endpoint} refused the request: {code} \"{text}\" (dnc reads it as: {kind})")]
    #[diagnostic(
        code(dnc::api::rejected),
        help(
            "the code and text are the API's reason: fix what they name, or check that DNC_API_URL is the Convoso DNC API"
        )
    )]
    Rejected {
        endpoint: Endpoint,
        code: i64,
        kind: ErrorKind,
        text: String,
        attempts: u32,
    },
    #[error("{endpoint}: the API refused the auth token ({answer}); nothing further was sent")]
    #[diagnostic(
        code(dnc::api::unauthorized),
        help(
            "check DNC_AUTH_TOKEN (or the file given with --auth-token-file): it may be mistyped \
             or revoked, or belong to another account than DNC_API_URL's"
        )
    )]
    Unauthorized {
        endpoint: Endpoint,
        /// How it refused: `HTTP 401`, or an HTTP 200 body's code and text.
        answer: String,
        attempts: u32,
    },
    #[error("{endpoint}: HTTP {status} after {attempts} attempt(s): {snippet}")]
    #[diagnostic(
        code(dnc::api::status),
        help("the API is having trouble: run again later, or give it longer with --retry-budget")
    )]
    Status {
        endpoint: Endpoint,
        status: u16,
        snippet: String,
        attempts: u32,
    },
    #[error(
        "{endpoint}: the API answered HTTP {status}, a redirect to {location}; dnc follows no redirect and sent nothing there"
    )]
    #[diagnostic(
        code(dnc::api::redirected),
        help(
            "a redirect would carry the auth token to wherever it points: set DNC_API_URL (or \
             --api-url) to the API's own https URL, after checking where the redirect goes and why"
        )
    )]
    Redirected {
        endpoint: Endpoint,
        status: u16,
        /// The `Location`, its userinfo, query and token redacted.
        location: String,
        attempts: u32,
    },
    #[error("{endpoint}: no answer within the timeout, {attempts} attempt(s)")]
    #[diagnostic(
        code(dnc::api::timeout),
        help(
            "the API or the network is slow: run again later, or give it longer with --retry-budget"
        )
    )]
    Timeout { endpoint: Endpoint, attempts: u32 },
    #[error("{endpoint}: cannot reach the API after {attempts} attempt(s): {message}")]
    #[diagnostic(
        code(dnc::api::transport),
        help("check DNC_API_URL and the network between here and the API")
    )]
    Transport {
        endpoint: Endpoint,
        message: String,
        attempts: u32,
    },
    #[error(
        "{endpoint}: the answer is not JSON (HTTP {status}) after {attempts} attempt(s): {first_line}"
    )]
    #[diagnostic(
        code(dnc::api::garbled),
        help(
            "something between dnc and the API (a proxy or load balancer) answered, or the \
             answer was cut off; check DNC_API_URL, or retry later"
        )
    )]
    Garbled {
        endpoint: Endpoint,
        status: u16,
        /// The body's first line, redacted.
        first_line: String,
        attempts: u32,
    },
    #[error("{endpoint}: unreadable answer ({message}): {snippet}")]
    #[diagnostic(
        code(dnc::api::decode),
        help("check that DNC_API_URL is the Convoso DNC API, not a proxy or another service")
    )]
    Decode {
        endpoint: Endpoint,
        message: String,
        snippet: String,
        attempts: u32,
    },
    #[error("invalid API client configuration: {0}")]
    #[diagnostic(
        code(dnc::api::config),
        help("check DNC_API_URL (or --api-url): it must be the API's http(s) base URL")
    )]
    Config(String),
}

impl ApiError {
    /// The business meaning, for errors the API answered with a code.
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            ApiError::Rejected { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// How many requests were sent before giving up (0 when none could be).
    pub fn attempts(&self) -> u32 {
        match self {
            ApiError::Rejected { attempts, .. }
            | ApiError::Unauthorized { attempts, .. }
            | ApiError::Status { attempts, .. }
            | ApiError::Redirected { attempts, .. }
            | ApiError::Timeout { attempts, .. }
            | ApiError::Transport { attempts, .. }
            | ApiError::Garbled { attempts, .. }
            | ApiError::Decode { attempts, .. } => *attempts,
            ApiError::Config(_) => 0,
        }
    }

    pub(super) fn set_attempts(&mut self, n: u32) {
        match self {
            ApiError::Rejected { attempts, .. }
            | ApiError::Unauthorized { attempts, .. }
            | ApiError::Status { attempts, .. }
            | ApiError::Redirected { attempts, .. }
            | ApiError::Timeout { attempts, .. }
            | ApiError::Transport { attempts, .. }
            | ApiError::Garbled { attempts, .. }
            | ApiError::Decode { attempts, .. } => *attempts = n,
            ApiError::Config(_) => {}
        }
    }

    /// Worth another attempt: throttling, server trouble, timeouts, lost connections.
    pub(super) fn is_transient(&self) -> bool {
        match self {
            ApiError::Status { status, .. } => *status == 429 || *status >= 500,
            // A proxy's error page, or an answer cut off on the way.
            ApiError::Garbled { status, .. } => {
                *status == 429 || *status >= 500 || (200..300).contains(status)
            }
            ApiError::Timeout { .. } | ApiError::Transport { .. } => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_per_endpoint() {
        assert_eq!(
            ErrorKind::of(Endpoint::Insert, 6008),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            ErrorKind::of(Endpoint::Update, 6008),
            ErrorKind::InvalidPhone
        );
        assert_eq!(
            ErrorKind::of(Endpoint::Search, 6008),
            ErrorKind::InvalidParameter
        );
        assert_eq!(ErrorKind::of(Endpoint::Update, 6056), ErrorKind::NotFound);
        assert_eq!(
            ErrorKind::of(Endpoint::Insert, 6056),
            ErrorKind::OperationFailed
        );
        assert_eq!(ErrorKind::of(Endpoint::Delete, 6001), ErrorKind::NotFound);
        assert_eq!(ErrorKind::of(Endpoint::Delete, 6003), ErrorKind::NotFound);
        assert_eq!(ErrorKind::of(Endpoint::Search, 6001), ErrorKind::Unknown);
        assert_eq!(
            contract_text(Endpoint::Insert, 6007),
            Some("Duplicate entry")
        );
        assert_eq!(
            contract_text(Endpoint::Delete, 6001),
            Some("Phone not found in DNC")
        );
        assert_eq!(contract_text(Endpoint::Search, 6001), None);
    }

    #[test]
    fn auth_refusals_in_the_body() {
        assert!(is_auth_refusal(Some(5001), "Auth token is invalid"));
        assert!(is_auth_refusal(Some(403), "Forbidden"));
        assert!(is_auth_refusal(None, "Invalid authentication token"));
        assert!(!is_auth_refusal(Some(6026), "Invalid campaign ID"));
        assert!(!is_auth_refusal(None, "Invalid campaign ID"));
    }
}
