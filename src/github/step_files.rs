//! The runner's step files: the job summary (kept under GitHub's 1 MiB per step) and the
//! step outputs.

use super::{GithubError, STEP_SUMMARY_MAX_BYTES};
use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::path::Path;

/// What [`append_step_summary`] wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SummaryWrite {
    Whole,
    /// Cut at a line boundary to stay under the 1 MiB limit, with a notice saying so.
    Truncated {
        omitted_bytes: usize,
    },
}

/// Append `markdown` to the step summary file, keeping the file under GitHub's 1 MiB
/// per-step limit (what is already there counts).
pub fn append_step_summary(path: &Path, markdown: &str) -> Result<SummaryWrite, GithubError> {
    let write_error = |source| GithubError::Write {
        path: path.to_owned(),
        source,
    };
    let existing = match fs::metadata(path) {
        Ok(metadata) => metadata.len(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => 0,
        Err(error) => return Err(write_error(error)),
    };
    let budget = usize::try_from(STEP_SUMMARY_MAX_BYTES.saturating_sub(existing)).unwrap_or(0);
    let (text, outcome) =
        fit_summary(markdown, budget).ok_or_else(|| GithubError::SummaryFull {
            path: path.to_owned(),
        })?;
    append(path, text.as_bytes()).map_err(write_error)?;
    Ok(outcome)
}

/// `markdown` with a final newline if it fits `budget` bytes, else its longest prefix of
/// whole lines followed by a truncation notice (closing an open code fence first).
fn fit_summary(markdown: &str, budget: usize) -> Option<(String, SummaryWrite)> {
    let mut whole = markdown.to_owned();
    if !whole.ends_with('\n') {
        whole.push('\n');
    }
    if whole.len() <= budget {
        return Some((whole, SummaryWrite::Whole));
    }
    let notice = format!(
        "\n> [!WARNING]\n> The plan was cut here: it is {} bytes and GitHub keeps at most \
         {STEP_SUMMARY_MAX_BYTES} bytes of a step summary. The job log and the saved plan \
         file have all of it.\n",
        markdown.len()
    );
    const FENCE: &str = "```\n";
    let room = budget.checked_sub(notice.len() + FENCE.len())?;
    let kept = &whole[..whole[..room].rfind('\n').map_or(0, |end| end + 1)];
    let open_fence = kept
        .lines()
        .filter(|line| line.trim_start().starts_with("```"))
        .count()
        % 2
        == 1;
    let mut text = kept.to_owned();
    if open_fence {
        text.push_str(FENCE);
    }
    text.push_str(&notice);
    let omitted_bytes = markdown.len().saturating_sub(kept.len());
    Some((text, SummaryWrite::Truncated { omitted_bytes }))
}

/// Append step outputs in the `GITHUB_OUTPUT` format, in one write: `name=value`, or the
/// heredoc form with a random delimiter when the value spans lines.
pub fn write_outputs(path: &Path, outputs: &[(&str, &str)]) -> Result<(), GithubError> {
    let mut text = String::new();
    for &(name, value) in outputs {
        let valid_name = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
        if !valid_name {
            return Err(GithubError::InvalidOutputName { name: name.into() });
        }
        text.push_str(&crate::escape::github_output(name, value, || {
            format!("ghadelimiter_{:032x}", rand::random::<u128>())
        }));
    }
    append(path, text.as_bytes()).map_err(|source| GithubError::Write {
        path: path.to_owned(),
        source,
    })
}

fn append(path: &Path, bytes: &[u8]) -> io::Result<()> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(bytes)
}
