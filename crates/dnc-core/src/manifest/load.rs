//! Loading: read the config and every manifest and CSV file, check each file on its own (on
//! as many threads as there are cores), then merge what they hold in reading order, finding
//! the same key written twice across files.

use super::check::{Candidate, Check, Checked, Include, ManifestFiles, ReadFile};
use super::diagnostics::Diagnostics;
use super::duplicates;
use super::files::Disk;
use super::yaml;
use super::{Config, Deadlines, Desired, DesiredEntry, Safety, Tombstone};
use std::collections::{BTreeMap, VecDeque};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

/// What `load` found: the config (when it is valid), the desired set (every item that passed
/// its checks) and all diagnostics.
#[derive(Debug)]
pub struct Loaded {
    pub config: Option<Config>,
    pub desired: Desired,
    pub diagnostics: Diagnostics,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.errors() > 0
    }
}

/// Loads the config at `config_path` (or `config_path/dnc.yaml`) and the manifests it names.
/// `strict_override` makes unassigned numbers errors whatever the config says.
pub fn load(config_path: &Path, strict_override: bool) -> Loaded {
    load_with(config_path, strict_override, None)
}

/// `load`, with the file at `overlay`'s path (the config's root joined with a manifest's
/// name, which need not exist yet) read as `overlay`'s text: an edit checked with every
/// other file before it is written.
pub fn load_with(
    config_path: &Path,
    strict_override: bool,
    overlay: Option<(&Path, &str)>,
) -> Loaded {
    let path = config_file(config_path);
    let root = root_of(&path);
    let disk = Disk::new(&root, overlay);
    let mut check = Check::new(&root, false, None);
    let config = check.config(&path, strict_override, &disk);
    let mut merge = Merge::default();
    merge.add(check.take());
    if let Some((config, files, cap)) = &config {
        let check = check.fresh();
        let read = |p: &Path| disk.read(p, *cap);
        std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::channel();
            s.spawn(|| check_manifests(&check, config, files, &read, tx));
            merge.in_order(rx);
        });
    }
    merge.finish();
    // Growing by doubling leaves up to half the vector unused, and it is kept all plan long.
    merge.desired.entries.shrink_to_fit();
    Loaded {
        config: config.map(|(c, _, _)| c),
        desired: merge.desired,
        diagnostics: merge.diags,
    }
}

/// One checked file and its place in reading order: `(manifest, 0)` for a manifest, which
/// says how many included CSV files follow as `(manifest, 1..)`.
struct Unit {
    place: (usize, usize),
    includes: usize,
    checked: Checked,
}

/// Checks each manifest, then the CSV files it includes, on rayon's threads; a thread holds
/// one parsed file at a time. Results go out as they are ready, in any order.
fn check_manifests(
    check: &Check,
    config: &Config,
    files: &ManifestFiles,
    read: &(dyn Fn(&Path) -> std::io::Result<Vec<u8>> + Sync),
    tx: Sender<Unit>,
) {
    if let Some(code) = config.phone_code {
        rayon::spawn(move || crate::phone::prepare(code));
    }
    let queue = Queue::default();
    rayon::scope(|s| {
        for _ in 0..rayon::current_num_threads() {
            let (queue, tx) = (&queue, tx.clone());
            s.spawn(move |_| queue.work(check, config, files, read, &tx));
        }
    });
}

/// The files still to check, taken in reading order (a manifest's includes before the next
/// manifest), so the merge can take each result as it comes instead of holding later files'
/// entries until earlier ones are done.
#[derive(Default)]
struct Queue {
    /// The next manifest to check.
    next: AtomicUsize,
    /// Manifests being checked, whose includes may still come.
    checking: AtomicUsize,
    includes: Mutex<VecDeque<((usize, usize), Include)>>,
}

impl Queue {
    fn work(
        &self,
        check: &Check,
        config: &Config,
        files: &ManifestFiles,
        read: &(dyn Fn(&Path) -> std::io::Result<Vec<u8>> + Sync),
        tx: &Sender<Unit>,
    ) {
        // A send fails only when the receiving thread has panicked; there is nothing to do then.
        loop {
            let include = self
                .includes
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop_front();
            if let Some((place, include)) = include {
                let checked = check.include(config, include, read);
                let _ = tx.send(Unit {
                    place,
                    includes: 0,
                    checked,
                });
                continue;
            }
            self.checking.fetch_add(1, Ordering::SeqCst);
            let i = self.next.fetch_add(1, Ordering::SeqCst);
            if let Some((name, file)) = files.get(i) {
                let mut one = check.fresh();
                one.manifest(config, name, file, yaml::read(&file.text));
                let includes = one.take_includes();
                let unit = Unit {
                    place: (i, 0),
                    includes: includes.len(),
                    checked: one.take(),
                };
                let places = (1..).map(|j| (i, j));
                self.includes
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(places.zip(includes));
                self.checking.fetch_sub(1, Ordering::SeqCst);
                let _ = tx.send(unit);
                continue;
            }
            // Nothing left but what manifests still being checked may include.
            if self.checking.fetch_sub(1, Ordering::SeqCst) == 1 {
                let queued = self.includes.lock().unwrap_or_else(|e| e.into_inner());
                if queued.is_empty() {
                    return;
                }
            }
            // Rare and short (a manifest's own check); sleeping spends no CPU on the wait.
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
}

/// Loads only the root config, without reading the manifests its globs name.
pub fn load_config(config_path: &Path) -> (Option<Config>, Diagnostics) {
    let path = config_file(config_path);
    let root = root_of(&path);
    let mut check = Check::new(&root, false, None);
    let config = check.config_only(&path);
    let mut merge = Merge::default();
    merge.add(check.take());
    merge.finish();
    (config, merge.diags)
}

/// The entries and tombstones one manifest file holds, with its CSV includes read through
/// `read` (a path relative to the manifest's root): for versions of a file that are not on
/// disk, such as old commits. Scopes and allowed values are not checked, and items with
/// problems are skipped: this reads what a file said, not whether it was valid. Entries and
/// tombstones whose YAML text `keep` rejects are skipped unchecked (when only some numbers
/// matter, most of a large file costs only its parse).
pub fn load_file(
    name: &str,
    text: &str,
    phone_code: Option<u16>,
    read: ReadFile,
    keep: &(dyn Fn(&str) -> bool + Sync),
) -> Desired {
    let config = Config {
        root: PathBuf::new(),
        manifests: Vec::new(),
        phone_code,
        scopes: Vec::new(),
        safety: Safety {
            max_removals: 0,
            max_removal_percent: 0.0,
        },
        reasons: None,
        purposes: None,
        strict: false,
        deadlines: Deadlines::default(),
        require: Vec::new(),
        approvals: Default::default(),
        ledger_root: None,
        organization: None,
        account: None,
    };
    let mut check = Check::new(Path::new(""), true, Some(keep));
    let file = check.source(name, Arc::from(text));
    check.manifest(&config, name, &file, yaml::read(&file.text));
    let includes = check.take_includes();
    let mut merge = Merge::default();
    merge.add(check.take());
    for include in includes {
        merge.add(check.include(&config, include, read));
    }
    merge.finish();
    merge.desired
}

/// The config file `config_path` names: itself, or `dnc.yaml` in it when it is a directory.
pub fn config_file(config_path: &Path) -> PathBuf {
    if config_path.is_dir() {
        config_path.join("dnc.yaml")
    } else {
        config_path.to_path_buf()
    }
}

/// The directory holding the config at `config_path` (a file, or a directory holding
/// `dnc.yaml`): the root manifests are relative to and `.dnc/` lives in.
pub fn config_root(config_path: &Path) -> PathBuf {
    root_of(&config_file(config_path))
}

fn root_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The desired set, built from checked files in reading order; duplicates are found once
/// every file is in (`finish`).
#[derive(Default)]
struct Merge {
    diags: Diagnostics,
    desired: Desired,
    /// Per item in reading order: its key's hash with the low bit set for a tombstone.
    order: Vec<u64>,
    /// The span to label, per entry and per tombstone (by index), when a key comes again.
    heads: [Vec<Range<usize>>; 2],
}

impl Merge {
    /// Merges checked files in reading order while later files are still being checked.
    fn in_order(&mut self, rx: Receiver<Unit>) {
        let mut waiting = BTreeMap::new();
        let (mut next, mut includes) = ((0, 0), 0);
        for unit in rx {
            waiting.insert(unit.place, unit);
            while let Some(unit) = waiting.remove(&next) {
                if next.1 == 0 {
                    includes = unit.includes;
                }
                self.add(unit.checked);
                next = if next.1 < includes {
                    (next.0, next.1 + 1)
                } else {
                    (next.0 + 1, 0)
                };
            }
        }
    }

    fn add(&mut self, checked: Checked) {
        for file in checked.sources {
            self.diags.add_file(file);
        }
        for d in checked.diags {
            self.diags.push(d);
        }
        self.order.reserve(checked.items.len());
        for (candidate, hash) in checked.items.into_iter().zip(checked.hashes) {
            self.candidate(candidate, hash);
        }
    }

    fn candidate(&mut self, c: Candidate, hash: u64) {
        let Merge {
            desired,
            order,
            heads,
            ..
        } = self;
        let kind = usize::from(c.tombstone);
        heads[kind].push(c.head);
        order.push(hash & !1 | kind as u64);
        if c.tombstone {
            desired.tombstones.push(Tombstone {
                key: c.key,
                removal_reason: c.reason,
                source: c.source,
                requested_at: c.requested_at,
                approval: c.approval,
                request: c.request.map(Arc::unwrap_or_clone).unwrap_or_default(),
            });
        } else {
            desired.entries.push(DesiredEntry {
                key: c.key,
                reason: c.reason,
                purpose: c.purpose,
                source: c.source,
                requested_at: c.requested_at,
                request: c.request,
            });
        }
    }

    /// Reports every key written again (against its first place in reading order) and
    /// takes the later ones out of the desired set.
    fn finish(&mut self) {
        let found = duplicates::find(&self.order, &self.desired, &self.heads);
        for d in found.diags {
            self.diags.push(d);
        }
        duplicates::remove(&mut self.desired, &found.later);
        self.diags.sort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Request;

    const MANIFEST: &str = "defaults:
  scope: global
  reason: DNC
include:
  - csv: a.csv
entries:
  - number: \"2025550101\"
    ticket: T-1
    source: web form
  - number: \"2025550102\"
    source: web form
  - number: \"2025550103\"
    source: web form
  - number: \"2025550104\"
";
    const CSV: &str = "number,source\n2025550105,state registry\n2025550106,state registry\n";

    fn request(ticket: Option<&str>, source: &str) -> Request {
        Request {
            ticket: ticket.map(str::to_string),
            request_source: Some(source.to_string()),
        }
    }

    /// Equal requests are held once per file, different ones stay apart, and an entry that
    /// names none holds none: every entry still says exactly what it wrote.
    #[test]
    fn requests_are_shared_by_the_entries_that_name_the_same() {
        let read = |p: &Path| {
            assert!(p.ends_with("a.csv"), "{}", p.display());
            Ok(CSV.as_bytes().to_vec())
        };
        let desired = load_file("m.yaml", MANIFEST, Some(1), &read, &|_| true);
        let e = &desired.entries;
        let numbers: Vec<&str> = e.iter().map(|e| &*e.key.phone.national).collect();
        assert_eq!(
            numbers,
            [
                "2025550101",
                "2025550102",
                "2025550103",
                "2025550104",
                "2025550105",
                "2025550106"
            ]
        );
        assert_eq!(e[0].request(), request(Some("T-1"), "web form"));
        assert_eq!(e[1].request(), request(None, "web form"));
        assert_eq!(e[2].request(), request(None, "web form"));
        assert!(e[3].request.is_none());
        assert_eq!(e[3].request(), Request::default());
        assert_eq!(e[4].request(), request(None, "state registry"));
        let shared = |a: &DesiredEntry, b: &DesiredEntry| match (&a.request, &b.request) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        assert!(shared(&e[1], &e[2]));
        assert!(shared(&e[4], &e[5]));
        assert!(!shared(&e[0], &e[1]));
    }

    /// A million desired entries are held through a whole plan: 112 bytes each, not the 152
    /// they took with the request's texts inline.
    #[test]
    fn a_desired_entry_stays_small() {
        assert_eq!(std::mem::size_of::<DesiredEntry>(), 112);
    }
}
