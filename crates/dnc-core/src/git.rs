//! The one way dnc runs git. Every call goes through `Git::command`, in one hermetic
//! environment: no system config (`GIT_CONFIG_NOSYSTEM`), none of the caller's variables that
//! would point git at another repository, index or config, no prompt, the C locale (dnc reads
//! some of git's messages), and the `ext::` transport off whatever a config says. The user's
//! global config stays: it holds the credentials and identity a local push needs. Callers
//! pass every user value after `--end-of-options` (or `--` for paths), and the branch and
//! remote names a user gives are checked here before anything is sent.

use base64::Engine as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run git: {0}")]
    Spawn(std::io::Error),
    #[error("`git {args}` failed: {stderr}")]
    Failed { args: String, stderr: String },
}

/// Variables that would make git read another repository, index, object store or config
/// than the one dnc names, or allow transports that run commands.
const REDIRECTING: [&str; 10] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_ALLOW_PROTOCOL",
];

/// git run in one directory (a repository, or a folder that may be in one).
pub struct Git {
    dir: PathBuf,
}

impl Git {
    pub fn at(dir: &Path) -> Git {
        Git {
            dir: dir.to_path_buf(),
        }
    }

    /// `git ARGS` in the directory, hermetic; stdin empty, output captured.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("git");
        for name in REDIRECTING {
            cmd.env_remove(name);
        }
        cmd.env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C")
            .arg("-C")
            .arg(&self.dir)
            .args(["-c", "core.quotepath=off", "-c", "log.showSignature=false"])
            .args(["-c", "protocol.ext.allow=never"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        github_auth(&mut cmd);
        cmd
    }

    /// Runs `cmd` (from `command`), feeding `stdin`; its output whatever its status.
    pub fn output(mut cmd: Command, stdin: Option<&[u8]>) -> Result<Output, GitError> {
        if stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().map_err(GitError::Spawn)?;
        if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(bytes).map_err(GitError::Spawn)?;
        }
        child.wait_with_output().map_err(GitError::Spawn)
    }

    /// The stdout of `git ARGS`, which must succeed.
    pub fn text(&self, args: &[&str]) -> Result<String, GitError> {
        checked(args, Git::output(self.command(args), None)?)
    }

    /// The trimmed stdout of a successful `git ARGS`; `None` when it fails or says nothing.
    pub fn value(&self, args: &[&str]) -> Option<String> {
        let text = self.text(args).ok()?.trim().to_string();
        (!text.is_empty()).then_some(text)
    }
}

/// The stdout of a finished git, or its failure naming the command and git's message.
pub fn checked(args: &[&str], out: Output) -> Result<String, GitError> {
    if !out.status.success() {
        return Err(GitError::Failed {
            args: args.iter().take(4).copied().collect::<Vec<_>>().join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The token git sends to a GitHub server, and that server (`https://github.com`, or a GitHub
/// Enterprise host).
pub struct Auth {
    pub token: String,
    pub server: String,
}

static AUTH: std::sync::OnceLock<Auth> = std::sync::OnceLock::new();

/// Makes every later git call send `auth` to its server; only the first call takes effect.
/// The binary calls it with `DNC_GIT_TOKEN` (the library reads no environment).
pub fn authenticate(auth: Auth) {
    let _ = AUTH.set(auth);
}

/// In GitHub Actions the checkout keeps no credentials (`persist-credentials: false`); the
/// job's token goes to git through the environment (never a command line or a file), as the
/// header actions/checkout itself would set.
fn github_auth(cmd: &mut Command) {
    let Some(Auth { token, server }) = AUTH.get() else {
        return;
    };
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"));
    cmd.env("GIT_CONFIG_COUNT", "1")
        .env(
            "GIT_CONFIG_KEY_0",
            format!("http.{}/.extraheader", server.trim_end_matches('/')),
        )
        .env(
            "GIT_CONFIG_VALUE_0",
            format!("AUTHORIZATION: basic {basic}"),
        );
}

/// A branch or remote named on the command line that dnc refuses before sending anything.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum NameError {
    #[error("{flag} {name:?} is not a branch name dnc can push the ledger to; nothing was sent")]
    #[diagnostic(
        code(dnc::git::branch_name),
        help(
            "name a plain branch such as dnc-ledger: not HEAD or @, not starting with `-` or \
             refs/, and one `git check-ref-format --branch` accepts (no `..`, spaces or ~^:?*[\\)"
        )
    )]
    Branch { flag: &'static str, name: String },
    #[error("{flag} {name} is the branch the manifests are on; nothing was sent")]
    #[diagnostic(
        code(dnc::git::manifests_branch),
        help(
            "the ledger needs a branch of its own that only dnc appends to, e.g. {flag} \
             dnc-ledger (see docs/auditors.md)"
        )
    )]
    ManifestsBranch { flag: &'static str, name: String },
    #[error("{flag} {name:?} is not a remote dnc can push the ledger to; nothing was sent")]
    #[diagnostic(
        code(dnc::git::remote_name),
        help(
            "name one of the repository's remotes (`git remote`, e.g. origin) or a URL: not \
             starting with `-`, no control characters, no ext:: or fd:: transport"
        )
    )]
    Remote { flag: &'static str, name: String },
    #[error("{flag} needs the config's folder in a git repository, and {} is in none; nothing was sent", dir.display())]
    #[diagnostic(
        code(dnc::git::no_repository),
        help("run dnc from a clone of the manifests' repository, or leave out {flag}")
    )]
    NoRepository { flag: &'static str, dir: PathBuf },
}

/// Where a ledger branch is pushed, as the flags name it (`--ledger-branch`/`--ledger-remote`
/// for apply, `--push-to`/`--remote` for `dnc ledger`).
pub struct PushTarget<'a> {
    pub branch: &'a str,
    pub branch_flag: &'static str,
    pub remote: &'a str,
    pub remote_flag: &'static str,
}

impl PushTarget<'_> {
    /// Refuses a branch git would not take as a plain branch, the manifests' own branch
    /// (the checked-out one, the remote's default, and `also`, e.g. the CI's branches), and
    /// a remote that could reach git as an option.
    pub fn check(&self, dir: &Path, also: &[String]) -> Result<(), NameError> {
        let (branch, remote) = (self.branch, self.remote);
        if remote.is_empty() || remote.starts_with('-') || remote.chars().any(char::is_control) {
            return Err(NameError::Remote {
                flag: self.remote_flag,
                name: remote.to_string(),
            });
        }
        let bad_branch = || NameError::Branch {
            flag: self.branch_flag,
            name: branch.to_string(),
        };
        if branch.starts_with(['-', '@']) || branch == "HEAD" || branch.starts_with("refs/") {
            return Err(bad_branch());
        }
        let git = Git::at(dir);
        // Not after --end-of-options: check-ref-format takes none; `-` was refused above.
        if git
            .value(&["check-ref-format", "--branch", branch])
            .as_deref()
            != Some(branch)
        {
            return Err(bad_branch());
        }
        if git.value(&["rev-parse", "--git-dir"]).is_none() {
            return Err(NameError::NoRepository {
                flag: self.branch_flag,
                dir: dir.to_path_buf(),
            });
        }
        if !self.known_remote(&git) {
            return Err(NameError::Remote {
                flag: self.remote_flag,
                name: remote.to_string(),
            });
        }
        if self
            .manifests_branches(&git, also)
            .iter()
            .any(|b| b == branch)
        {
            return Err(NameError::ManifestsBranch {
                flag: self.branch_flag,
                name: branch.to_string(),
            });
        }
        Ok(())
    }

    /// A plain name must be one of the repository's remotes (a typo is caught before
    /// sending, not after); a URL or path passes, but never a transport that runs a command.
    fn known_remote(&self, git: &Git) -> bool {
        let remote = self.remote;
        if remote.starts_with("ext::") || remote.starts_with("fd::") {
            return false;
        }
        if remote.contains([':', '/', '\\']) {
            return true;
        }
        git.text(&["remote"])
            .is_ok_and(|names| names.lines().any(|n| n == remote))
    }

    fn manifests_branches(&self, git: &Git, also: &[String]) -> Vec<String> {
        let remote_refs = format!("refs/remotes/{}/", self.remote);
        let mut branches = also.to_vec();
        branches.extend(git.value(&["symbolic-ref", "--quiet", "--short", "HEAD"]));
        let remote_default = git.value(&["symbolic-ref", "--quiet", &format!("{remote_refs}HEAD")]);
        branches
            .extend(remote_default.and_then(|r| Some(r.strip_prefix(&remote_refs)?.to_string())));
        branches
    }
}
