//! Which DNC API a command talks to: a Convoso account, or the embedded sandbox.

use crate::api::{Client, ClientConfig};
use crate::cli::TargetArgs;
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
    match (&args.api_url, token) {
        (Some(url), Some(token)) if !args.sandbox => {
            let client = client(url.clone(), token, args)?;
            Ok(Connected { client, description: format!("Convoso API at {url}"), sandbox: None })
        }
        (Some(_), None) if !args.sandbox => Err(miette!(
            help = "export DNC_AUTH_TOKEN, or pass --auth-token-file FILE",
            "--api-url is set but no auth token was given"
        )),
        (None, Some(_)) if !args.sandbox => Err(miette!(
            help = "set DNC_API_URL (e.g. https://api.convoso.com/v1/) or pass --api-url",
            "an auth token is set but no API URL: refusing to guess which account to change"
        )),
        _ if !args.sandbox && is_ci() => Err(miette!(
            help = "configure DNC_API_URL and DNC_AUTH_TOKEN, or pass --sandbox to use the embedded sandbox on purpose",
            "CI=true and no DNC API target is configured"
        )),
        _ => embedded(args, config).await,
    }
}

async fn embedded(args: &TargetArgs, config: &Config) -> Result<Connected> {
    let db = config.root.join(".dnc").join("sandbox.db");
    if let Some(dir) = db.parent() {
        std::fs::create_dir_all(dir).into_diagnostic().wrap_err_with(|| format!("creating {}", dir.display()))?;
    }
    let token = SecretString::from(random_token());
    let cfg = SandboxConfig {
        db: db.clone(),
        token: token.clone(),
        campaigns: config
            .scopes
            .iter()
            .filter(|s| s.id.0 > 0)
            .map(|s| (s.id.0, s.name.clone().unwrap_or_else(|| format!("Campaign {}", s.id.0))))
            .collect(),
        reasons: config.reasons.clone(),
        purposes: config.purposes.clone(),
        faults: Faults::default(),
    };
    let sandbox = Sandbox::start(cfg, "127.0.0.1:0".parse().expect("a valid address"))
        .await
        .map_err(|e| miette!("starting the embedded sandbox: {e}"))?;
    let client = client(sandbox.base_url(), token, args)?;
    Ok(Connected {
        client,
        description: format!("embedded sandbox (no DNC_API_URL configured), state in {}", display(&db)),
        sandbox: Some(sandbox),
    })
}

fn client(base_url: url::Url, token: SecretString, args: &TargetArgs) -> Result<Client> {
    Client::new(ClientConfig {
        base_url,
        token,
        timeout: Duration::from_secs(30),
        max_retries: 5,
        max_rps: args.max_rps,
    })
    .map_err(|e| miette!("{e}"))
}

fn read_token(args: &TargetArgs) -> Result<Option<SecretString>> {
    let raw = match &args.auth_token_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .into_diagnostic()
                .wrap_err_with(|| format!("reading the auth token file {}", path.display()))?,
        ),
        None => std::env::var("DNC_AUTH_TOKEN").ok(),
    };
    match raw.map(|t| t.trim().to_string()) {
        Some(t) if t.is_empty() => Err(miette!("the auth token is empty")),
        Some(t) => Ok(Some(SecretString::from(t))),
        None => Ok(None),
    }
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
    path.strip_prefix(&cwd).unwrap_or(path).display().to_string()
}
