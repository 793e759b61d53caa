//! `dnc sandbox`: the Convoso DNC API emulated on loopback over SQLite.

// The one thing the sandbox shares with the core: how numbers and entries are read.
use dnc_entry::{entry, phone};

mod faults;
mod profile;
mod routes;
mod serve;
mod store;

pub use faults::{Faults, Variant};
pub use profile::Profile;
pub use serve::Limits;

use routes::App;
use secrecy::SecretString;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Campaign 0's name, as the API reports it.
pub const GLOBAL_NAME: &str = "Global DNC";
/// Campaign -1's name unless the config names it.
pub const PURPOSE_NAME: &str = "Purpose DNC";

pub struct SandboxConfig {
    pub db: PathBuf,
    pub token: SecretString,
    /// Campaigns besides 0 and -1 that exist on the emulated account, with their names.
    pub campaigns: Vec<(i64, String)>,
    /// When set, the only reasons the account accepts.
    pub reasons: Option<Vec<String>>,
    /// When set, the only purposes the account accepts.
    pub purposes: Option<Vec<String>>,
    pub faults: Faults,
    /// The highest search offset accepted (the API's is `state::MAX_OFFSET`).
    pub max_offset: u64,
    /// The shape of search answers.
    pub profile: Profile,
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SandboxError {
    #[error("cannot open the sandbox database {}", path.display())]
    #[diagnostic(
        code(dnc::sandbox::db),
        help("check that --db names a sandbox database in a writable directory")
    )]
    Db {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot listen on {addr}")]
    #[diagnostic(
        code(dnc::sandbox::listen),
        help("pass another --listen address, or stop what already listens there")
    )]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the sandbox server failed")]
    #[diagnostic(code(dnc::sandbox::serve))]
    Serve(#[source] std::io::Error),
}

/// A running sandbox server.
pub struct Sandbox {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Sandbox {
    /// Opens the database, binds `listen` and serves on a spawned task.
    pub async fn start(cfg: SandboxConfig, listen: SocketAddr) -> Result<Sandbox, SandboxError> {
        Self::start_with(cfg, listen, Limits::default()).await
    }

    /// `start` with connection limits other than the defaults.
    pub async fn start_with(
        cfg: SandboxConfig,
        listen: SocketAddr,
        limits: Limits,
    ) -> Result<Sandbox, SandboxError> {
        let db = cfg.db.clone();
        let store = tokio::task::spawn_blocking(move || store::Store::open(&db))
            .await
            .map_err(|join| SandboxError::Serve(std::io::Error::other(join)))?
            .map_err(|source| SandboxError::Db {
                path: cfg.db.clone(),
                source,
            })?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|source| SandboxError::Listen {
                addr: listen,
                source,
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| SandboxError::Listen {
                addr: listen,
                source,
            })?;
        let mut campaigns: HashMap<i64, String> = HashMap::from([(-1, PURPOSE_NAME.to_string())]);
        campaigns.extend(cfg.campaigns);
        campaigns.insert(0, GLOBAL_NAME.to_string());
        let app = Arc::new(App {
            store,
            token: cfg.token,
            campaigns,
            reasons: cfg.reasons.map(|r| r.into_iter().collect()),
            purposes: cfg.purposes.map(|p| p.into_iter().collect()),
            faults: faults::Injector::new(cfg.faults),
            max_offset: cfg.max_offset,
            profile: cfg.profile,
        });
        let (stop, stopped) = oneshot::channel();
        let server = serve::serve(listener, routes::router(app), limits, async {
            let _ = stopped.await;
        });
        let task = tokio::spawn(server);
        Ok(Sandbox { addr, stop, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/v1/`, the base URL a client is configured with.
    pub fn base_url(&self) -> url::Url {
        url::Url::parse(&format!("http://{}/v1/", self.addr)).expect("a socket address is a host")
    }

    /// Stops accepting, finishes requests in flight, and waits for the server to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }

    /// Serves until `signal` resolves, then shuts down; or returns the server's failure.
    pub async fn shutdown_on(
        mut self,
        signal: impl std::future::Future<Output = ()>,
    ) -> Result<(), SandboxError> {
        tokio::select! {
            () = signal => {
                self.shutdown().await;
                Ok(())
            }
            result = &mut self.task => match result {
                Ok(r) => r.map_err(SandboxError::Serve),
                Err(join) => Err(SandboxError::Serve(std::io::Error::other(join))),
            },
        }
    }
}

/// One entry to load straight into a sandbox database.
#[derive(Clone, Debug)]
pub struct SeedEntry {
    pub phone_code: u16,
    pub phone_number: String,
    pub campaign_id: i64,
    pub reason: Option<String>,
    pub purpose: Option<String>,
    /// `YYYY-MM-DD hh:mm:ss`, UTC.
    pub insert_date: String,
}

/// Bulk-loads entries into the database file in one transaction (for tests and benchmarks
/// that need hundreds of thousands of rows; reads still go through HTTP). Entries whose key
/// is already present are skipped; returns how many were added.
pub fn seed(db: &Path, entries: impl IntoIterator<Item = SeedEntry>) -> Result<u64, SandboxError> {
    let rows = entries.into_iter().map(|e| store::NewRow {
        phone_code: e.phone_code,
        phone_number: e.phone_number,
        campaign_id: e.campaign_id,
        reason: e.reason.unwrap_or_default(),
        purpose: e.purpose.unwrap_or_default(),
        insert_date: e.insert_date,
    });
    store::bulk_load(db, rows).map_err(|source| SandboxError::Db {
        path: db.to_path_buf(),
        source,
    })
}
