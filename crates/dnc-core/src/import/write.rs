//! Writing every file or none: temporary files renamed into place, CSV includes first.

use super::*;

/// Writes every file or none: each goes to a temporary file beside its target first, then
/// CSV files are renamed into place before the manifests that include them. Without `force`
/// an existing file is never replaced (checked again at the rename); if a rename fails, the
/// files this call created are removed.
pub fn write(root: &Path, files: &[OutFile], force: bool) -> std::io::Result<()> {
    use std::io::Write;
    let mut staged = Vec::new();
    let mut ordered: Vec<&OutFile> = files.iter().collect();
    ordered.sort_by_key(|f| f.path.extension().is_none_or(|e| e != "csv"));
    for f in ordered {
        let path = root.join(&f.path);
        let dir = path.parent().unwrap_or(root);
        std::fs::create_dir_all(dir)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".dnc-import-")
            .tempfile_in(dir)?;
        tmp.write_all(f.text.as_bytes())?;
        tmp.as_file().sync_all()?;
        staged.push((tmp, path));
    }
    let mut created: Vec<PathBuf> = Vec::new();
    for (tmp, path) in staged {
        let existed = path.exists();
        let result = if force {
            tmp.persist(&path).map(drop)
        } else {
            tmp.persist_noclobber(&path).map(drop)
        };
        if let Err(e) = result {
            for p in &created {
                let _ = std::fs::remove_file(p);
            }
            return Err(e.error);
        }
        if !existed {
            created.push(path);
        }
    }
    Ok(())
}
