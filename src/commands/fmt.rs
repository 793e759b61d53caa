//! `dnc fmt`: rewrite the manifests the config names in the canonical layout (`crate::fmt`);
//! `--check` changes nothing and fails when one is not formatted, `--diff` shows the changes.

use super::CommandError;
use super::Output;
use crate::cli::FmtArgs;
use crate::exit::Exit;
use crate::fmt::{self, modeline};
use crate::manifest;
use anstyle::{AnsiColor, Style};
use miette::Result;
use std::path::{Path, PathBuf};

pub fn run(args: FmtArgs, out: Output) -> Result<Exit> {
    super::config_exists(&args.path)?;
    let (config, diagnostics) = manifest::load_config(&args.path);
    let Some(config) = config else {
        stderr!("{}", manifest::render_human(&diagnostics, out.color_err))?;
        return Err(super::CommandError::InvalidConfig.into());
    };
    let mut unformatted = Vec::new();
    let mut refused = 0;
    for file in manifest_files(&config.root, &config.manifests, &mut refused)? {
        let name = file.strip_prefix(&config.root).unwrap_or(&file);
        // Never opened: a FIFO would block, and validate names what is wrong with it.
        if !file.is_file() {
            stderrln!("error: {}: not a regular file", name.display())?;
            refused += 1;
            continue;
        }
        let bytes = std::fs::read(&file).map_err(CommandError::read(&file))?;
        let line = modeline::find(&config.root, name, modeline::MANIFEST_SCHEMA);
        let text = String::from_utf8_lossy(&bytes);
        let formatted = match std::str::from_utf8(&bytes)
            .map_err(|e| fmt::Refusal {
                line: 1 + bytes[..e.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count(),
                message: "not UTF-8; save it as UTF-8 first".into(),
            })
            .and_then(|text| fmt::format(text, line.as_deref()))
        {
            Ok(formatted) => formatted,
            Err(refusal) => {
                stderrln!(
                    "error: {}:{}: not formatted: {}",
                    name.display(),
                    refusal.line,
                    refusal.message
                )?;
                refused += 1;
                continue;
            }
        };
        if formatted == *text {
            continue;
        }
        if args.check || args.diff {
            stdout!("{}", diff(name, &text, &formatted, out.color))?;
        }
        if !args.check {
            std::fs::write(&file, &formatted).map_err(CommandError::write(&file))?;
            stderrln!("formatted {}", name.display())?;
        }
        unformatted.push(name.display().to_string());
    }
    if refused > 0 {
        return Err(super::CommandError::FmtRefused { refused }.into());
    }
    if args.check && !unformatted.is_empty() {
        stderrln!(
            "{} manifest(s) not formatted: {}; run `dnc fmt` to format them",
            unformatted.len(),
            unformatted.join(", ")
        )?;
        return Ok(Exit::Error);
    }
    Ok(Exit::Success)
}

/// The files the `manifests` globs match, each once, in order; a directory that cannot be
/// listed is reported and counted as refused (its manifests would go unformatted unseen).
pub(super) fn manifest_files(
    root: &Path,
    patterns: &[String],
    refused: &mut usize,
) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = Vec::new();
    for pattern in patterns {
        let Ok(globbed) = manifest::glob(root, pattern) else {
            continue;
        };
        for e in &globbed.errors {
            stderrln!(
                "error: `{pattern}`: cannot list {}: {}",
                crate::paths::relative(root, e.path()),
                e.error()
            )?;
            *refused += 1;
        }
        for path in globbed.paths {
            if !files.contains(&path) {
                files.push(path);
            }
        }
    }
    Ok(files)
}

/// A unified diff of one file, colored for a terminal or CI log.
fn diff(name: &Path, old: &str, new: &str, color: bool) -> String {
    let name = name.display().to_string();
    // Patience keeps reordered items readable; the timeout bounds Myers' quadratic worst
    // case on a large file where every line changed (the diff stays correct, if less minimal).
    let text = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Patience)
        .timeout(std::time::Duration::from_secs(2))
        .diff_lines(old, new)
        .unified_diff()
        .context_radius(2)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string();
    if !color {
        return text;
    }
    let paint =
        |style: Style, line: &str| format!("{}{line}{}", style.render(), style.render_reset());
    text.lines()
        .map(|line| {
            let painted = match line.as_bytes().first() {
                Some(b'+') => paint(AnsiColor::Green.on_default(), line),
                Some(b'-') => paint(AnsiColor::Red.on_default(), line),
                Some(b'@') => paint(AnsiColor::Cyan.on_default(), line),
                _ => line.to_string(),
            };
            painted + "\n"
        })
        .collect()
}
