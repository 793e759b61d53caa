//! Which DNC API a command talks to: a Convoso account, or the embedded sandbox.

use crate::api::{ApiError, Client, ClientConfig};
use crate::http::{RetryPolicy, redact_url};
use crate::manifest::Config;
use crate::sandbox::{Faults, Sandbox, SandboxConfig, SandboxError};
use secrecy::SecretString;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

/// Why no API could be reached: each a setting the user can fix.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum TargetError {
    #[error("--api-url is set but no auth token was given")]
    #[diagnostic(
        code(dnc::target::no_token),
        help("export DNC_AUTH_TOKEN, or pass --auth-token-file FILE")
    )]
    NoToken,
    #[error("an auth token is set but no API URL: refusing to guess which account to change")]
    #[diagnostic(
        code(dnc::target::no_url),
        help("set DNC_API_URL (e.g. https://api.convoso.com/v1/) or pass --api-url")
    )]
    NoUrl,
    #[error("CI=true and no DNC API target is configured")]
    #[diagnostic(
        code(dnc::target::none_in_ci),
        help(
            "configure DNC_API_URL and DNC_AUTH_TOKEN, or pass --sandbox to use the embedded sandbox on purpose"
        )
    )]
    NoneInCi,
    /// `raw` is shown with its userinfo and query redacted.
    #[error("--api-url {raw:?} is not a URL: {source}")]
    #[diagnostic(
        code(dnc::target::bad_url),
        help("give the API's base URL, e.g. https://api.convoso.com/v1/")
    )]
    BadUrl {
        raw: String,
        source: url::ParseError,
    },
    #[error(
        "--api-url must be https (plain http only to loopback): the token would travel in clear"
    )]
    #[diagnostic(code(dnc::target::insecure_url), help("use the API's https:// URL"))]
    InsecureUrl,
    #[error("{name}: {reason}")]
    #[diagnostic(code(dnc::target::bad_env), help("unset it or give a valid value"))]
    BadEnv { name: &'static str, reason: String },
    #[error("reading the auth token file {}", path.display())]
    #[diagnostic(
        code(dnc::target::token_file),
        help("check the path given to --auth-token-file")
    )]
    TokenFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the auth token file {} is empty", path.display())]
    #[diagnostic(
        code(dnc::target::empty_token_file),
        help("write the token into the file, or export DNC_AUTH_TOKEN instead")
    )]
    EmptyTokenFile { path: PathBuf },
    #[error("creating {}", path.display())]
    #[diagnostic(
        code(dnc::target::sandbox_dir),
        help("make the config's directory writable, or configure DNC_API_URL and DNC_AUTH_TOKEN")
    )]
    SandboxDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Sandbox(#[from] SandboxError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Client(#[from] ApiError),
}

/// Which API to talk to, as plain values: the binary fills them from the command line and
/// the environment.
#[derive(Clone, Debug)]
pub struct Target {
    /// The API's base URL as given; empty counts as unset.
    pub api_url: Option<String>,
    /// A file holding the token; it wins over `token`.
    pub token_file: Option<PathBuf>,
    pub token: Option<SecretString>,
    /// Use the embedded sandbox even where an account is configured, or under CI.
    pub sandbox: bool,
    /// Running under CI, where falling back to the embedded sandbox must be asked for.
    pub in_ci: bool,
    pub retry: RetryPolicy,
    pub max_rps: Option<NonZeroU32>,
    /// The highest search offset the API accepts (the embedded sandbox is started with it).
    pub api_max_offset: u64,
}

/// A connected client, and the embedded sandbox serving it when there is one.
pub struct Connected {
    pub client: Client,
    /// One line for people: where the plan reads and writes (never the token).
    pub description: String,
    sandbox: Option<Sandbox>,
}

impl Connected {
    pub async fn close(self) {
        if let Some(sandbox) = self.sandbox {
            sandbox.shutdown().await;
        }
    }
}

/// Connects to `target`. With no account configured, starts the embedded sandbox persisted
/// under the config's `.dnc/`; under CI that fallback must be asked for with `--sandbox`.
pub async fn connect(target: &Target, config: &Config) -> Result<Connected, TargetError> {
    let token = read_token(target)?;
    let url = api_url(target)?;
    match (url, token) {
        _ if target.sandbox => embedded(target, config).await,
        (Some(url), Some(token)) => {
            let description = format!("Convoso API at {}", redact_url(url.as_str()));
            Ok(Connected {
                client: client(url, token, target)?,
                description,
                sandbox: None,
            })
        }
        (Some(_), None) => Err(TargetError::NoToken),
        (None, Some(_)) => Err(TargetError::NoUrl),
        (None, None) if target.in_ci => Err(TargetError::NoneInCi),
        (None, None) => embedded(target, config).await,
    }
}

/// Which API `target` names, as saved plans record it: the API URL without userinfo or query,
/// or `embedded sandbox`. Known before anything connects, so `apply` refuses a plan saved
/// against another target before it sends a request.
pub fn identity(target: &Target) -> String {
    match api_url(target) {
        Ok(Some(url)) if !target.sandbox => redact_url(url.as_str()),
        Ok(_) => "embedded sandbox".to_string(),
        // Connecting will refuse it; until then it is named as given.
        Err(_) => redact_url(target.api_url.as_deref().unwrap_or_default().trim()),
    }
}

/// The API URL, with a trailing `/` so endpoint paths join under it; empty counts as unset.
fn api_url(target: &Target) -> Result<Option<url::Url>, TargetError> {
    let Some(raw) = target
        .api_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    else {
        return Ok(None);
    };
    let with_slash = if raw.ends_with('/') {
        raw.to_string()
    } else {
        format!("{raw}/")
    };
    let url = url::Url::parse(&with_slash).map_err(|source| TargetError::BadUrl {
        raw: redact_url(raw),
        source,
    })?;
    match url.scheme() {
        "https" => Ok(Some(url)),
        "http"
            if url
                .host_str()
                .is_some_and(|h| h == "127.0.0.1" || h == "localhost" || h == "[::1]") =>
        {
            Ok(Some(url))
        }
        _ => Err(TargetError::InsecureUrl),
    }
}

async fn embedded(target: &Target, config: &Config) -> Result<Connected, TargetError> {
    let db = config.root.join(".dnc").join("sandbox.db");
    if let Some(dir) = db.parent() {
        std::fs::create_dir_all(dir).map_err(|source| TargetError::SandboxDir {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let token = SecretString::from(random_token());
    let cfg = SandboxConfig {
        db: db.clone(),
        token: token.clone(),
        campaigns: config
            .scopes
            .iter()
            .filter(|s| s.id.0 > 0)
            .map(|s| {
                (
                    s.id.0,
                    s.name
                        .clone()
                        .unwrap_or_else(|| format!("Campaign {}", s.id.0)),
                )
            })
            .collect(),
        reasons: config.reasons.clone(),
        purposes: config.purposes.clone(),
        faults: Faults::default(),
        max_offset: target.api_max_offset,
        profile: crate::sandbox::Profile::default(),
    };
    let sandbox = Sandbox::start(cfg, "127.0.0.1:0".parse().expect("a valid address")).await?;
    let client = client(sandbox.base_url(), token, target)?;
    Ok(Connected {
        client,
        description: format!(
            "embedded sandbox (no DNC_API_URL configured), state in {}",
            crate::paths::relative(&std::env::current_dir().unwrap_or_default(), &db)
        ),
        sandbox: Some(sandbox),
    })
}

fn client(base_url: url::Url, token: SecretString, target: &Target) -> Result<Client, TargetError> {
    Client::new(ClientConfig {
        base_url,
        token,
        timeout: Duration::from_secs(30),
        retry: target.retry,
        max_rps: target.max_rps,
    })
    .map_err(TargetError::from)
}

fn read_token(target: &Target) -> Result<Option<SecretString>, TargetError> {
    let Some(path) = &target.token_file else {
        return Ok(target.token.clone());
    };
    let text = std::fs::read_to_string(path).map_err(|source| TargetError::TokenFile {
        path: path.clone(),
        source,
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(TargetError::EmptyTokenFile { path: path.clone() });
    }
    Ok(Some(SecretString::from(token)))
}

fn random_token() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::rng().random();
    hex::encode(bytes)
}
