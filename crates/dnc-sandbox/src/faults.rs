//! Fault injection: server errors, throttling and latency, drawn from a seeded generator so a
//! test sees the same sequence of faults on every run; answer variants seen in the wild; and
//! the count of API requests served (`GET /_sandbox/stats`, outside the API's paths).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How the sandbox shapes its answers: the contract's, or a variant other deployments, proxies
/// and broken networks produce (plain comments below: doc comments would make clap print the
/// sandbox's help in its long form).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Variant {
    // As convoso-dnc-api.md documents.
    #[default]
    Standard,
    // Search pages at the top level (`offset`, `limit`, `total`, `entries`), no `data`.
    NoDataWrapper,
    // No `success` field in any answer.
    NoSuccess,
    // Error text in `message` instead of `text`.
    MessageText,
    // Error text in `error` instead of `text`.
    ErrorText,
    // Every request answered by a proxy's HTML 502 page.
    #[value(name = "html-502")]
    Html502,
    // Every answer cut off halfway.
    TruncatedJson,
    // Every request refused with 403 Forbidden.
    Forbidden,
    // Success answers without their fields: insert and update `{"success": true}` with no
    // `id` (one public SDK's type), delete `{}`.
    SparseAnswers,
    // Inserts answered `{"success": true}` (no `id`) but never stored.
    GhostInsert,
    // Every request refused with HTTP 200 and
    // `{"success":false,"code":5001,"text":"Auth token is invalid"}` (a public PHP client's fixture).
    #[value(name = "auth-5001")]
    Auth5001,
    // Every request refused with HTTP 200 and `{"code":403,"text":"Forbidden"}` (an SDK's type).
    #[value(name = "auth-403-body")]
    Auth403Body,
    // Every request refused with HTTP 200 and
    // `{"success":false,"error":"Invalid authentication token"}` (a client's docs).
    AuthErrorText,
    // Errors as `error_code` and `error` instead of `code` and `text`.
    ErrorCode,
    // Business errors numbered by the public SDK's tables instead of the contract's.
    SdkCodes,
}

/// A proxy's error page, as nginx serves it.
pub const HTML_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// The public SDK's error codes and texts where its tables differ from the contract's:
/// (endpoint path, contract code) → (SDK code, SDK text).
const SDK_CODES: &[(&str, i64, i64, &str)] = &[
    ("/v1/dnc/insert", 6006, 6007, "Invalid Phone Number"),
    ("/v1/dnc/insert", 6057, 6058, "Invalid Reason"),
    ("/v1/dnc/insert", 6058, 6057, "Invalid Purpose"),
    ("/v1/dnc/update", 6004, 6008, "Invalid Phone Number"),
    ("/v1/dnc/update", 6008, 6059, "Duplicate Entry"),
    ("/v1/dnc/update", 6057, 6058, "Invalid Reason"),
    ("/v1/dnc/update", 6058, 6057, "Invalid Purpose"),
    ("/v1/dnc/search", 6057, 6058, "Invalid Reason"),
    ("/v1/dnc/search", 6058, 6057, "Invalid Purpose"),
    ("/v1/dnc/delete", 6000, 6002, "Missing Phone Number"),
    ("/v1/dnc/delete", 6001, 6003, "Phone Number Not Found"),
    ("/v1/dnc/delete", 6002, 6001, "Missing Campaign ID"),
    ("/v1/dnc/delete", 6003, 6000, "Missing Phone Code"),
    ("/v1/dnc/delete", 6005, 6004, "Invalid Lead status"),
];

impl Variant {
    /// The body every request gets when this variant refuses the token with HTTP 200.
    pub fn auth_refusal(self) -> Option<Value> {
        match self {
            Variant::Auth5001 => Some(serde_json::json!(
                {"success": false, "code": 5001, "text": "Auth token is invalid"}
            )),
            Variant::Auth403Body => Some(serde_json::json!({"code": 403, "text": "Forbidden"})),
            Variant::AuthErrorText => Some(serde_json::json!(
                {"success": false, "error": "Invalid authentication token"}
            )),
            _ => None,
        }
    }

    /// Rewrites the JSON answer to a request for `path` into this variant's shape.
    pub fn reshape(self, path: &str, mut body: Value) -> Value {
        let Some(obj) = body.as_object_mut() else {
            return body;
        };
        let succeeded = obj.get("success") == Some(&Value::Bool(true));
        match self {
            Variant::SparseAnswers if succeeded => {
                if path == "/v1/dnc/delete" {
                    obj.clear();
                } else {
                    obj.remove("id");
                }
            }
            Variant::ErrorCode => {
                for (from, to) in [("code", "error_code"), ("text", "error")] {
                    if let Some(v) = obj.remove(from) {
                        obj.insert(to.to_string(), v);
                    }
                }
            }
            Variant::SdkCodes => {
                let code = obj.get("code").and_then(Value::as_i64);
                let sdk = SDK_CODES
                    .iter()
                    .find(|(p, contract, ..)| *p == path && Some(*contract) == code);
                if let Some((.., sdk_code, sdk_text)) = sdk {
                    obj.insert("code".to_string(), (*sdk_code).into());
                    obj.insert("text".to_string(), (*sdk_text).into());
                }
            }
            Variant::NoDataWrapper => {
                if let Some(Value::Object(data)) = obj.remove("data") {
                    obj.extend(data);
                }
            }
            Variant::NoSuccess => {
                obj.remove("success");
            }
            Variant::MessageText | Variant::ErrorText => {
                if let Some(text) = obj.remove("text") {
                    let name = if self == Variant::MessageText {
                        "message"
                    } else {
                        "error"
                    };
                    obj.insert(name.to_string(), text);
                }
            }
            _ => {}
        }
        body
    }
}

/// What the sandbox does wrong on purpose. The default does nothing wrong.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Share of requests (0.0..=1.0) answered with a 5xx.
    pub error_rate: f64,
    /// Share of requests answered with 429 and `Retry-After`.
    pub throttle_rate: f64,
    /// The `Retry-After` seconds sent with a 429.
    pub retry_after_secs: u64,
    /// Added to every request before it is handled.
    pub latency: Duration,
    pub seed: u64,
    pub variant: Variant,
}

/// One request's fate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    ServerError(u16),
    Throttle { retry_after_secs: u64 },
}

pub struct Injector {
    faults: Faults,
    rng: Mutex<StdRng>,
    requests: AtomicU64,
}

impl Injector {
    pub fn new(faults: Faults) -> Injector {
        let rng = Mutex::new(StdRng::seed_from_u64(faults.seed));
        Injector {
            faults,
            rng,
            requests: AtomicU64::new(0),
        }
    }

    pub fn variant(&self) -> Variant {
        self.faults.variant
    }

    /// Counts one API request.
    pub fn count(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// API requests received so far, answered or not.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn latency(&self) -> Duration {
        self.faults.latency
    }

    /// Draws the next request's fault, if any.
    pub fn draw(&self) -> Option<Fault> {
        let f = &self.faults;
        if f.error_rate <= 0.0 && f.throttle_rate <= 0.0 {
            return None;
        }
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        let roll: f64 = rng.random();
        if roll < f.error_rate {
            const STATUSES: [u16; 3] = [500, 502, 503];
            Some(Fault::ServerError(
                STATUSES[rng.random_range(0..STATUSES.len())],
            ))
        } else if roll < f.error_rate + f.throttle_rate {
            Some(Fault::Throttle {
                retry_after_secs: f.retry_after_secs,
            })
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sequence(seed: u64) -> Vec<Option<Fault>> {
        let inj = Injector::new(Faults {
            error_rate: 0.3,
            throttle_rate: 0.2,
            retry_after_secs: 2,
            seed,
            ..Faults::default()
        });
        (0..200).map(|_| inj.draw()).collect()
    }

    #[test]
    fn same_seed_same_faults() {
        let a = sequence(7);
        assert_eq!(a, sequence(7));
        assert_ne!(a, sequence(8));
        let errors = a
            .iter()
            .filter(|f| matches!(f, Some(Fault::ServerError(_))))
            .count();
        let throttles = a
            .iter()
            .filter(|f| matches!(f, Some(Fault::Throttle { .. })))
            .count();
        // 200 draws at 30 % and 20 %: far from zero and far from all.
        assert!((30..90).contains(&errors), "{errors}");
        assert!((15..70).contains(&throttles), "{throttles}");
    }

    #[test]
    fn variants_reshape_answers() {
        let page = serde_json::json!({"data": {"offset": 0, "total": 0, "entries": []}});
        assert_eq!(
            Variant::NoDataWrapper.reshape("/v1/dnc/search", page),
            serde_json::json!({"offset": 0, "total": 0, "entries": []})
        );
        let failure = serde_json::json!({"success": false, "code": 6026, "text": "Invalid"});
        assert_eq!(
            Variant::ErrorText.reshape("/v1/dnc/insert", failure.clone()),
            serde_json::json!({"success": false, "code": 6026, "error": "Invalid"})
        );
        assert_eq!(
            Variant::ErrorCode.reshape("/v1/dnc/insert", failure.clone()),
            serde_json::json!({"success": false, "error_code": 6026, "error": "Invalid"})
        );
        assert_eq!(
            Variant::NoSuccess.reshape("/v1/dnc/insert", failure),
            serde_json::json!({"code": 6026, "text": "Invalid"})
        );
        let created = serde_json::json!({"success": true, "id": 7});
        assert_eq!(
            Variant::SparseAnswers.reshape("/v1/dnc/insert", created),
            serde_json::json!({"success": true})
        );
        assert_eq!(
            Variant::SparseAnswers.reshape("/v1/dnc/delete", serde_json::json!({"success": true})),
            serde_json::json!({})
        );
        let gone =
            serde_json::json!({"success": false, "code": 6001, "text": "Phone not found in DNC"});
        assert_eq!(
            Variant::SdkCodes.reshape("/v1/dnc/delete", gone.clone()),
            serde_json::json!({"success": false, "code": 6003, "text": "Phone Number Not Found"})
        );
        // The same code on another endpoint keeps the contract's meaning.
        assert_eq!(
            Variant::SdkCodes.reshape("/v1/dnc/insert", gone.clone()),
            gone
        );
    }

    #[test]
    fn no_rates_no_faults() {
        let inj = Injector::new(Faults::default());
        assert!((0..100).all(|_| inj.draw().is_none()));
    }
}
