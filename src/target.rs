//! Which DNC API a command talks to: a Convoso account, or the embedded sandbox.

use crate::api::{Client, ClientConfig};
use crate::cli::TargetArgs;
use crate::http::RetryPolicy;
use crate::manifest::Config;
use crate::sandbox::{Faults, Sandbox, SandboxConfig};
use miette::{Context, IntoDiagnostic, Result, miette};
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// Connects as `args` say. With no account configured, starts the embedded sandbox persisted
/// under the config's `.dnc/`; under CI that fallback must be asked for with `--sandbox`.
pub async fn connect(args: &TargetArgs, config: &Config) -> Result<Connected> {
    let token = read_token(args)?;
    let url = api_url(args)?;
    match (url, token) {
        _ if args.sandbox => embedded(args, config).await,
        (Some(url), Some(token)) => {
            let description = format!("Convoso API at {url}");
            Ok(Connected {
                client: client(url, token, args)?,
                description,
                sandbox: None,
            })
        }
        (Some(_), None) => Err(miette!(
            help = "export DNC_AUTH_TOKEN, or pass --auth-token-file FILE",
            "--api-url is set but no auth token was given"
        )),
        (None, Some(_)) => Err(miette!(
            help = "set DNC_API_URL (e.g. https://api.convoso.com/v1/) or pass --api-url",
            "an auth token is set but no API URL: refusing to guess which account to change"
        )),
        (None, None) if is_ci() => Err(miette!(
            help = "configure DNC_API_URL and DNC_AUTH_TOKEN, or pass --sandbox to use the embedded sandbox on purpose",
            "CI=true and no DNC API target is configured"
        )),
        (None, None) => embedded(args, config).await,
    }
}

/// The API URL, with a trailing `/` so endpoint paths join under it; empty counts as unset.
fn api_url(args: &TargetArgs) -> Result<Option<url::Url>> {
    let Some(raw) = args
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
    let url =
        url::Url::parse(&with_slash).map_err(|e| miette!("--api-url {raw:?} is not a URL: {e}"))?;
    match url.scheme() {
        "https" => Ok(Some(url)),
        "http"
            if url
                .host_str()
                .is_some_and(|h| h == "127.0.0.1" || h == "localhost" || h == "[::1]") =>
        {
            Ok(Some(url))
        }
        _ => Err(miette!(
            "--api-url must be https (plain http only to loopback): the token would travel in clear"
        )),
    }
}

async fn embedded(args: &TargetArgs, config: &Config) -> Result<Connected> {
    let db = config.root.join(".dnc").join("sandbox.db");
    if let Some(dir) = db.parent() {
        std::fs::create_dir_all(dir)
            .into_diagnostic()
            .wrap_err_with(|| format!("creating {}", dir.display()))?;
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
        max_offset: args.api_max_offset,
    };
    let sandbox = Sandbox::start(cfg, "127.0.0.1:0".parse().expect("a valid address"))
        .await
        .map_err(|e| miette!("starting the embedded sandbox: {e}"))?;
    let client = client(sandbox.base_url(), token, args)?;
    Ok(Connected {
        client,
        description: format!(
            "embedded sandbox (no DNC_API_URL configured), state in {}",
            display(&db)
        ),
        sandbox: Some(sandbox),
    })
}

fn client(base_url: url::Url, token: SecretString, args: &TargetArgs) -> Result<Client> {
    let mut retry = RetryPolicy::from_env()
        .map_err(|(name, why)| miette!(help = "unset it or give a valid value", "{name}: {why}"))?;
    if let Some(budget) = args.retry_budget {
        retry.budget = budget;
    }
    Client::new(ClientConfig {
        base_url,
        token,
        timeout: Duration::from_secs(30),
        retry,
        max_rps: args.max_rps,
    })
    .map_err(|e| miette!("{e}"))
}

fn read_token(args: &TargetArgs) -> Result<Option<SecretString>> {
    if let Some(path) = &args.auth_token_file {
        let text = std::fs::read_to_string(path)
            .into_diagnostic()
            .wrap_err_with(|| format!("reading the auth token file {}", path.display()))?;
        let token = text.trim();
        if token.is_empty() {
            return Err(miette!("the auth token file {} is empty", path.display()));
        }
        return Ok(Some(SecretString::from(token)));
    }
    // An empty variable is unset: workflows pass "" for inputs left blank.
    Ok(std::env::var("DNC_AUTH_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .map(|t| SecretString::from(t.trim())))
}

fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn random_token() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::rng().random();
    hex::encode(bytes)
}

fn display(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let rel = path.strip_prefix(&cwd).unwrap_or(path);
    rel.components()
        .filter(|c| *c != std::path::Component::CurDir)
        .collect::<PathBuf>()
        .display()
        .to_string()
}
