//! One manifest file's successive versions, parsed incrementally: what each version asks for
//! each key (an entry's reason and request day, a tombstone's removal reason).
//!
//! Manifests grow by appending items to their last list, so most of a new version is the
//! previous version's text. When a version starts with the same bytes as the previous one up
//! to the start of one of its last list's items, only the file's head (everything before that
//! list's first item) and the text from that item on are parsed again, as one smaller
//! document, through the manifest loader: the items before it were closed by that item's
//! `- ` at the list's column, so no later text can change what they parse to. Anything else
//! (a YAML problem, another list last, a changed set of top-level keys, CSV includes, an edit
//! before the first kept item) is parsed whole, exactly as before.

use crate::entry::Key;
use crate::manifest::{self, yaml};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// What one manifest file asks for one key.
#[derive(Clone, Debug, PartialEq)]
pub enum Asked {
    Entry {
        reason: Arc<str>,
        requested_at: Option<chrono::NaiveDate>,
    },
    Tombstone {
        removal_reason: Arc<str>,
    },
}

/// Keys a new version may have changed, with what they asked before.
type Touched = Vec<(Key, Option<Asked>)>;

/// One parsed version of one file.
pub struct Version {
    text: Arc<str>,
    /// The CSV files it included, in order (such files are always parsed whole).
    pub csvs: Vec<String>,
    /// Keys asked outside the last list (or everywhere, without a layout), first wins.
    head: HashMap<Key, Asked>,
    layout: Option<Layout>,
}

/// The last top-level list, item by item.
struct Layout {
    /// The top-level keys, in order.
    keys: Vec<String>,
    /// Whether the last list holds tombstones (`removals`) rather than entries.
    removals: bool,
    /// Each item's line start and the end of its `- ` marker.
    items: Vec<(usize, usize)>,
    asked: Vec<Vec<(Key, Asked)>>,
    /// The first item asking for each key.
    first: HashMap<Key, usize>,
}

/// How a version is read: the file's name, its country code, its CSV includes (a path
/// relative to the manifests' root), and which items are worth checking (by their text).
pub struct Parse<'a> {
    pub path: &'a str,
    pub phone_code: Option<u16>,
    pub read: &'a dyn Fn(&Path) -> std::io::Result<Vec<u8>>,
    pub keep: &'a (dyn Fn(&str) -> bool + Sync),
}

impl Version {
    /// `text` as a new version of the file `before` held (if any).
    pub fn parse(before: Option<Version>, text: &str, how: &Parse) -> Version {
        match before.map(|b| b.after(text, how)) {
            Some(Ok((next, _))) => next,
            _ => whole(text, how),
        }
    }

    /// `text` as the version after `self`, and the keys whose asked value differs between
    /// the two (appeared, changed or gone).
    pub fn next(self, text: &str, how: &Parse) -> (Version, Vec<Key>) {
        let before = match self.after(text, how) {
            Ok((next, touched)) => {
                let changed = touched
                    .into_iter()
                    .filter(|(k, old)| next.asked(k) != old.as_ref())
                    .map(|(k, _)| k)
                    .collect();
                return (next, changed);
            }
            Err(before) => *before,
        };
        let next = whole(text, how);
        let mut changed: Vec<Key> = Vec::new();
        for (k, a) in next.all() {
            if before.asked(k) != Some(a) {
                changed.push(k.clone());
            }
        }
        for (k, _) in before.all() {
            if next.asked(k).is_none() {
                changed.push(k.clone());
            }
        }
        (next, changed)
    }

    /// What this version asks for `key`: entries first, then tombstones, as the loader merges.
    pub fn asked(&self, key: &Key) -> Option<&Asked> {
        let head = self.head.get(key);
        let listed = self.layout.as_ref().and_then(|l| {
            let item = &l.asked[*l.first.get(key)?];
            item.iter().find(|(k, _)| k == key).map(|(_, a)| a)
        });
        match (head, listed) {
            (Some(h @ Asked::Entry { .. }), _) | (Some(h), None) => Some(h),
            (_, Some(l)) => Some(l),
            (None, None) => None,
        }
    }

    /// Every key this version asks for, with what it asks (first occurrence).
    pub fn all(&self) -> impl Iterator<Item = (&Key, &Asked)> {
        let listed = self.layout.iter().flat_map(|l| {
            l.asked
                .iter()
                .enumerate()
                .flat_map(move |(i, item)| item.iter().filter(move |(k, _)| l.first[k] == i))
        });
        self.head
            .iter()
            .chain(listed.map(|(k, a)| (k, a)))
            .filter(|(k, a)| self.asked(k) == Some(a))
    }

    /// The incremental parse, when this version's layout allows it, with the keys it may have changed and what they asked before; `Err(self)` when the
    /// version must be parsed whole.
    fn after(mut self, text: &str, how: &Parse) -> Result<(Version, Touched), Box<Version>> {
        let Some((kept, tail, tail_layout)) = self.tail(text, how) else {
            return Err(Box::new(self));
        };
        let mut touched: Touched = Vec::new();
        {
            let layout = self.layout.as_ref().expect("a tail needs a layout");
            let keys = layout.asked[kept..].iter().flatten().map(|(k, _)| k);
            let keys = keys
                .chain(self.head.keys())
                .chain(tail.head.keys())
                .chain(tail_layout.asked.iter().flatten().map(|(k, _)| k));
            let mut seen = std::collections::HashSet::new();
            for k in keys {
                if seen.insert(k) {
                    touched.push((k.clone(), self.asked(k).cloned()));
                }
            }
        }
        let layout = self.layout.as_mut().expect("a tail needs a layout");
        let from = layout.items[kept].0;
        let head_end = layout.items[0].0;
        for item in &layout.asked[kept..] {
            for (key, _) in item {
                if layout.first.get(key).is_some_and(|&i| i >= kept) {
                    layout.first.remove(key);
                }
            }
        }
        layout.items.truncate(kept);
        layout.asked.truncate(kept);
        let shift = from - head_end;
        let moved = tail_layout
            .items
            .iter()
            .map(|&(s, m)| (s + shift, m + shift));
        layout.items.extend(moved);
        for item in tail_layout.asked {
            for (key, _) in &item {
                layout
                    .first
                    .entry(key.clone())
                    .or_insert(layout.asked.len());
            }
            layout.asked.push(item);
        }
        self.text = Arc::from(text);
        self.head = tail.head;
        Ok((self, touched))
    }

    /// The first reused item's index and the parse of the file's head with the text from
    /// there on, when the new text keeps at least one item of the last list unchanged.
    fn tail(&self, text: &str, how: &Parse) -> Option<(usize, Version, Layout)> {
        let layout = self.layout.as_ref()?;
        if !self.csvs.is_empty() {
            return None;
        }
        let same = common_prefix(self.text.as_bytes(), text.as_bytes());
        // The last item whose line start and `- ` marker are both unchanged.
        let kept = layout
            .items
            .iter()
            .rposition(|&(_, marker)| marker <= same)?;
        if kept == 0 {
            return None;
        }
        let (head_end, from) = (layout.items[0].0, layout.items[kept].0);
        let small = format!("{}{}", &text[..head_end], &text[from..]);
        let mut tail = read_whole(&small, how)?;
        let tail_layout = tail.layout.take()?;
        if tail_layout.keys != layout.keys || tail_layout.removals != layout.removals {
            return None;
        }
        Some((kept, tail, tail_layout))
    }
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// A version parsed whole.
fn whole(text: &str, how: &Parse) -> Version {
    read_whole(text, how).unwrap_or_else(|| {
        let (head, csvs) = flat(text, how);
        Version {
            text: Arc::from(text),
            csvs,
            head,
            layout: None,
        }
    })
}

/// Parses `text` through the loader and splits what it asks into the head and the last
/// list's items; `None` when the text has no such layout (or includes CSV files).
fn read_whole(text: &str, how: &Parse) -> Option<Version> {
    let (keys, list, items) = layout_of(text)?;
    let requested = std::cell::RefCell::new(Vec::new());
    let read = |p: &Path| {
        requested.borrow_mut().push(crate::paths::slashed(p));
        (how.read)(p)
    };
    let desired = manifest::load_file(how.path, text, how.phone_code, &read, how.keep);
    if !requested.into_inner().is_empty() {
        return None;
    }
    let lines = item_lines(text, &items);
    let mut head = HashMap::new();
    let mut asked: Vec<Vec<(Key, Asked)>> = vec![Vec::new(); items.len()];
    let mut place = |key: Key, line: u32, a: Asked| match lines.partition_point(|&l| l <= line) {
        0 => {
            head.entry(key).or_insert(a);
        }
        n => asked[n - 1].push((key, a)),
    };
    for e in desired.entries {
        let a = Asked::Entry {
            reason: e.reason,
            requested_at: e.requested_at,
        };
        place(e.key, e.source.line, a);
    }
    for t in desired.tombstones {
        let a = Asked::Tombstone {
            removal_reason: t.removal_reason,
        };
        place(t.key, t.source.line, a);
    }
    let mut first = HashMap::new();
    for (i, item) in asked.iter().enumerate() {
        for (key, _) in item {
            first.entry(key.clone()).or_insert(i);
        }
    }
    Some(Version {
        text: Arc::from(text),
        csvs: Vec::new(),
        head,
        layout: Some(Layout {
            keys,
            removals: list == "removals",
            items,
            asked,
            first,
        }),
    })
}

/// Everything the loader reads from `text`, first wins, and the CSV files it included.
fn flat(text: &str, how: &Parse) -> (HashMap<Key, Asked>, Vec<String>) {
    let requested = std::cell::RefCell::new(Vec::new());
    let read = |p: &Path| {
        requested.borrow_mut().push(crate::paths::slashed(p));
        (how.read)(p)
    };
    let desired = manifest::load_file(how.path, text, how.phone_code, &read, how.keep);
    let mut head = HashMap::new();
    for e in desired.entries {
        let a = Asked::Entry {
            reason: e.reason,
            requested_at: e.requested_at,
        };
        head.entry(e.key).or_insert(a);
    }
    for t in desired.tombstones {
        let a = Asked::Tombstone {
            removal_reason: t.removal_reason,
        };
        head.entry(t.key).or_insert(a);
    }
    (head, requested.into_inner())
}

/// The top-level keys, the last one's name, and each of its items' line start and marker end.
type Shape = (Vec<String>, String, Vec<(usize, usize)>);

/// The shape of `text` when it is a problem-free mapping whose last key is a block list of
/// entries or removals, each item on a line of its own starting with `- ` at the list's
/// column (and no CSV includes).
fn layout_of(text: &str) -> Option<Shape> {
    let doc = yaml::read(text);
    if !doc.problems.is_empty() {
        return None;
    }
    let yaml::Value::Map(pairs) = doc.root?.value else {
        return None;
    };
    let keys: Vec<String> = pairs
        .iter()
        .map(|(k, _)| k.scalar().map(str::to_string))
        .collect::<Option<_>>()?;
    let (name, list) = pairs.last()?;
    let name = name.scalar()?;
    if keys.iter().any(|k| k == "include") || !["entries", "removals"].contains(&name) {
        return None;
    }
    let yaml::Value::Seq(items) = &list.value else {
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    let mut column = None;
    for item in items {
        let start = item.span.start;
        let line = text[..start].rfind('\n').map_or(0, |n| n + 1);
        let marker = &text[line..start];
        let dash = marker.find('-')?;
        let ok = marker[..dash].bytes().all(|b| b == b' ')
            && marker[dash + 1..].bytes().all(|b| b == b' ')
            && marker.len() > dash + 1
            && *column.get_or_insert(dash) == dash
            && out.last().is_none_or(|&(l, _)| l < line);
        if !ok {
            return None;
        }
        out.push((line, start));
    }
    (!out.is_empty()).then_some((keys, name.to_string(), out))
}

/// The 1-based line of each item's line start.
fn item_lines(text: &str, items: &[(usize, usize)]) -> Vec<u32> {
    let (mut line, mut at) = (1u32, 0);
    items
        .iter()
        .map(|&(start, _)| {
            line += text.as_bytes()[at..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u32;
            at = start;
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn how<'a>(
        read: &'a dyn Fn(&Path) -> std::io::Result<Vec<u8>>,
        keep: &'a (dyn Fn(&str) -> bool + Sync),
    ) -> Parse<'a> {
        Parse {
            path: "lists/a.yaml",
            phone_code: Some(1),
            read,
            keep,
        }
    }

    fn asked(v: &Version) -> BTreeMap<Key, Asked> {
        v.all().map(|(k, a)| (k.clone(), a.clone())).collect()
    }

    /// `after` read as the version after `before` asks exactly what it asks read whole, and
    /// the keys said to have changed are exactly those whose asked value differs.
    fn same_as_whole(before: &str, after: &str) -> bool {
        let read = |_: &Path| Err(std::io::ErrorKind::NotFound.into());
        let keep = |_: &str| true;
        let how = how(&read, &keep);
        let first = Version::parse(None, before, &how);
        let old = asked(&first);
        let (next, mut changed) = first.next(after, &how);
        let whole = whole(after, &how);
        assert_eq!(asked(&next), asked(&whole), "{before:?}\n->\n{after:?}");
        let new = asked(&whole);
        let mut expected: Vec<Key> = old
            .keys()
            .chain(new.keys())
            .filter(|k| old.get(k) != new.get(k))
            .cloned()
            .collect();
        expected.sort();
        expected.dedup();
        changed.sort();
        changed.dedup();
        assert_eq!(changed, expected, "{before:?}\n->\n{after:?}");
        next.layout.is_some() && whole.layout.is_some()
    }

    fn item(n: usize, reason: &str) -> String {
        format!(
            "  - number: \"(202) 555-{n:04}\"\n    reason: {reason}\n    requested_at: 2026-03-02\n"
        )
    }

    const HEAD: &str = "defaults:\n  scope: global\n  reason: Customer Request\nentries:\n";

    fn file(items: &[String]) -> String {
        format!("{HEAD}{}", items.concat())
    }

    #[test]
    fn appended_items_are_parsed_alone_and_read_as_the_whole_file() {
        let items: Vec<String> = (0..5).map(|n| item(n, "DNC")).collect();
        let more: Vec<String> = (0..8).map(|n| item(n, "DNC")).collect();
        assert!(same_as_whole(&file(&items), &file(&more)));
    }

    #[test]
    fn edits_anywhere_read_as_the_whole_file() {
        let items: Vec<String> = (0..6).map(|n| item(n, "DNC")).collect();
        let base = file(&items);
        let mut edited = items.clone();
        edited[3] = item(3, "Litigator");
        let cases = [
            file(&edited),
            file(&items[..4]),
            file(&[&items[..2], &[item(9, "DNC")], &items[2..]].concat()),
            base.replace("reason: Customer Request", "reason: Litigator"),
            format!("{base}    purpose: sales\n"),
            format!("{base}      continued\n"),
            format!("{base}  - number: \"(202) 555-0100\n"),
            format!("{base}defaults:\n  reason: Other\n"),
            format!(
                "{base}removals:\n  - number: \"(202) 555-0001\"\n    removal_reason: Consent\n"
            ),
            format!("{base}  - 2025550107\n"),
            format!("{base}  -   number: \"(202) 555-0108\"\n"),
            format!("{base}- number: \"(202) 555-0108\"\n"),
            format!("{base}  - number: \"(202) 555-0000\"\n    reason: Duplicate\n"),
            base.replacen(
                "  - number",
                "  - number: \"(202) 555-0001\"\n    reason: First\n  - number",
                1,
            ),
            String::new(),
            "entries: []\n".to_string(),
        ];
        for after in cases {
            same_as_whole(&base, &after);
        }
    }

    #[test]
    fn a_removals_list_last_is_read_item_by_item() {
        let tomb = |n: usize| {
            format!("  - number: \"(202) 555-{n:04}\"\n    removal_reason: Consent {n}\n")
        };
        let base = format!(
            "entries:\n{}removals:\n{}{}",
            item(1, "DNC"),
            tomb(2),
            tomb(3)
        );
        let after = format!("{base}{}{}", tomb(4), tomb(1));
        assert!(same_as_whole(&base, &after));
    }

    /// Random line edits (appends most often, as manifests grow) on a growing file.
    #[test]
    fn random_edits_read_as_the_whole_file() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut lines: Vec<String> = file(&(0..4).map(|n| item(n, "DNC")).collect::<Vec<_>>())
            .lines()
            .map(str::to_string)
            .collect();
        for round in 0..300 {
            let before = lines.join("\n") + "\n";
            let at = next(lines.len() + 1);
            match next(6) {
                0..=2 => lines.extend(item(100 + round, "DNC").lines().map(str::to_string)),
                3 if at < lines.len() => {
                    lines.remove(at);
                }
                4 => lines.insert(at, format!("    reason: R{round}")),
                _ => lines.insert(at, item(200 + round, "X").trim_end().to_string()),
            }
            same_as_whole(&before, &(lines.join("\n") + "\n"));
        }
    }
}
