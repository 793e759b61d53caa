//! The module graph of a crate, read from its source with syn: a file uses another when it
//! names a path into it (`use crate::plan::Plan`, `super::diff::diff(…)`, an alias of either).
//! A path resolves to the deepest module it names, so a name re-exported by a `mod.rs` ties
//! the user to that `mod.rs`. `#[cfg(test)]` modules are left out (a test may reach anywhere),
//! and so are paths inside macro calls, which syn does not parse.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::{self, Visit};

/// Each module file (by module path, `""` for the crate root) and the files it uses, with
/// the names it takes from each.
pub type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// The graph of the crate whose root file is `root` (a `lib.rs` or `main.rs`).
pub fn read(root: &Path) -> Graph {
    let mut files = BTreeMap::new();
    collect(root, &[], true, &mut files);
    let modules: BTreeMap<Vec<String>, String> = files
        .iter()
        .flat_map(|(name, (_, inline))| {
            let inline: &Vec<Vec<String>> = inline;
            inline.iter().map(move |m| (m.clone(), name.clone()))
        })
        .collect();
    let mut graph = Graph::new();
    for (name, (file, _)) in &files {
        let mut uses = Uses {
            module: split(name),
            aliases: BTreeMap::new(),
            found: Vec::new(),
        };
        uses.visit_file(file);
        let entry = graph.entry(name.clone()).or_default();
        for path in uses.found {
            let Some((owner, taken)) = resolve(&modules, &path) else {
                continue;
            };
            if owner != *name {
                let names = entry.entry(owner).or_default();
                names.extend(taken);
            }
        }
    }
    graph
}

/// The module tree's loops: at every level, the modules under one parent (each standing for
/// everything below it) that use each other in a loop. A module and its own descendants are
/// one unit (a `mod.rs` hands its children's names on and holds what they share), so an edge
/// between them is no loop.
pub fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    let mut levels: BTreeMap<Vec<String>, Graph> = BTreeMap::new();
    for (from, targets) in graph {
        let from = split(from);
        for (to, names) in targets {
            let to = split(to);
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if common == from.len() || common == to.len() {
                continue;
            }
            let level = levels.entry(from[..common].to_vec()).or_default();
            level.entry(to[..=common].join("::")).or_default();
            level
                .entry(from[..=common].join("::"))
                .or_default()
                .entry(to[..=common].join("::"))
                .or_default()
                .extend(names.iter().cloned());
        }
    }
    levels.values().flat_map(loops).collect()
}

/// The groups of nodes that use each other in a loop (strongly connected, more than one).
fn loops(graph: &Graph) -> Vec<Vec<String>> {
    let nodes: Vec<&String> = graph.keys().collect();
    let index: BTreeMap<&String, usize> = nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let edges: Vec<Vec<usize>> = nodes
        .iter()
        .map(|n| {
            graph[*n]
                .keys()
                .filter_map(|t| index.get(t).copied())
                .collect()
        })
        .collect();
    let mut tarjan = Tarjan {
        edges: &edges,
        index: vec![None; nodes.len()],
        low: vec![0; nodes.len()],
        on_stack: vec![false; nodes.len()],
        stack: Vec::new(),
        next: 0,
        groups: Vec::new(),
    };
    for v in 0..nodes.len() {
        if tarjan.index[v].is_none() {
            tarjan.connect(v);
        }
    }
    let mut groups: Vec<Vec<String>> = tarjan
        .groups
        .into_iter()
        .filter(|g| g.len() > 1)
        .map(|g| {
            let mut g: Vec<String> = g.into_iter().map(|v| nodes[v].clone()).collect();
            g.sort();
            g
        })
        .collect();
    groups.sort();
    groups
}

/// Each loop with the file-to-file uses that make it, one a line.
pub fn explain(graph: &Graph, loops: &[Vec<String>]) -> String {
    let inside =
        |file: &str, module: &str| file == module || file.starts_with(&format!("{module}::"));
    let mut out = String::new();
    for group in loops {
        out.push_str(&format!("loop: {}\n", group.join(", ")));
        for (from, targets) in graph {
            let Some(a) = group.iter().find(|m| inside(from, m)) else {
                continue;
            };
            for (to, names) in targets {
                if group.iter().any(|b| b != a && inside(to, b)) {
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    out.push_str(&format!("  {from} -> {to}: {}\n", names.join(", ")));
                }
            }
        }
    }
    out
}

/// Tarjan's strongly connected components.
struct Tarjan<'a> {
    edges: &'a [Vec<usize>],
    index: Vec<Option<usize>>,
    low: Vec<usize>,
    on_stack: Vec<bool>,
    stack: Vec<usize>,
    next: usize,
    groups: Vec<Vec<usize>>,
}

impl Tarjan<'_> {
    fn connect(&mut self, v: usize) {
        self.index[v] = Some(self.next);
        self.low[v] = self.next;
        self.next += 1;
        self.stack.push(v);
        self.on_stack[v] = true;
        for &w in &self.edges[v] {
            match self.index[w] {
                None => {
                    self.connect(w);
                    self.low[v] = self.low[v].min(self.low[w]);
                }
                Some(i) if self.on_stack[w] => self.low[v] = self.low[v].min(i),
                Some(_) => {}
            }
        }
        if Some(self.low[v]) == self.index[v] {
            let mut group = Vec::new();
            while let Some(w) = self.stack.pop() {
                self.on_stack[w] = false;
                group.push(w);
                if w == v {
                    break;
                }
            }
            self.groups.push(group);
        }
    }
}

fn split(name: &str) -> Vec<String> {
    name.split("::")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Reads `path` as module `module` and every non-test module it declares, keyed by module
/// path; each file comes with the module paths it holds (itself and its inline modules).
fn collect(
    path: &Path,
    module: &[String],
    owns_dir: bool,
    files: &mut BTreeMap<String, (syn::File, Vec<Vec<String>>)>,
) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // A `mod.rs`, `lib.rs` or `main.rs` declares its children beside it; `foo.rs` in `foo/`.
    let dir = if owns_dir {
        path.parent().unwrap().to_path_buf()
    } else {
        path.with_extension("")
    };
    let mut held = vec![module.to_vec()];
    declared(&file.items, module, &dir, &mut held, files);
    files.insert(module.join("::"), (file, held));
}

fn declared(
    items: &[syn::Item],
    module: &[String],
    dir: &Path,
    held: &mut Vec<Vec<String>>,
    files: &mut BTreeMap<String, (syn::File, Vec<Vec<String>>)>,
) {
    for item in items {
        let syn::Item::Mod(m) = item else { continue };
        if is_test(&m.attrs) {
            continue;
        }
        let mut child = module.to_vec();
        child.push(m.ident.to_string());
        match &m.content {
            Some((_, inner)) => {
                held.push(child.clone());
                declared(inner, &child, &dir.join(m.ident.to_string()), held, files);
            }
            None => {
                let flat = dir.join(format!("{}.rs", m.ident));
                let (file, owns): (PathBuf, bool) = if flat.exists() {
                    (flat, false)
                } else {
                    (dir.join(m.ident.to_string()).join("mod.rs"), true)
                };
                collect(&file, &child, owns, files);
            }
        }
    }
}

fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

/// The file that holds the deepest module `path` names, and the name taken from it.
fn resolve(
    modules: &BTreeMap<Vec<String>, String>,
    path: &[String],
) -> Option<(String, Option<String>)> {
    (0..=path.len()).rev().find_map(|n| {
        modules
            .get(&path[..n])
            .map(|file| (file.clone(), path.get(n).cloned()))
    })
}

/// The crate-internal paths one file names, made absolute.
struct Uses {
    module: Vec<String>,
    /// Names brought in by `use`, with the absolute path each stands for.
    aliases: BTreeMap<String, Vec<String>>,
    found: Vec<Vec<String>>,
}

impl Uses {
    /// `segments` made absolute from `base`, or `None` for a path outside the crate.
    fn absolute(&self, segments: &[String], base: &[String]) -> Option<Vec<String>> {
        let (first, rest) = segments.split_first()?;
        let mut out = match first.as_str() {
            "crate" => Vec::new(),
            "self" => base.to_vec(),
            "super" => {
                let mut at = base.to_vec();
                at.pop()?;
                let mut rest = rest;
                while rest.first().is_some_and(|s| s == "super") {
                    at.pop()?;
                    rest = &rest[1..];
                }
                at.extend(rest.iter().cloned());
                return Some(at);
            }
            _ => {
                let mut at = self.aliases.get(first)?.clone();
                at.extend(rest.iter().cloned());
                return Some(at);
            }
        };
        out.extend(rest.iter().cloned());
        Some(out)
    }

    fn use_tree(&mut self, tree: &syn::UseTree, prefix: &mut Vec<String>) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(&p.tree, prefix);
                prefix.pop();
            }
            syn::UseTree::Name(n) => self.bring(prefix, &n.ident.to_string(), None),
            syn::UseTree::Rename(r) => {
                self.bring(prefix, &r.ident.to_string(), Some(r.rename.to_string()))
            }
            syn::UseTree::Glob(_) => {
                if let Some(abs) = self.absolute(prefix, &self.module.clone()) {
                    self.found.push(abs);
                }
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(t, prefix);
                }
            }
        }
    }

    fn bring(&mut self, prefix: &[String], name: &str, rename: Option<String>) {
        let mut full = prefix.to_vec();
        if name != "self" {
            full.push(name.to_string());
        }
        let module = self.module.clone();
        // `use foo::bar` where `foo` is a child module declared here is crate-internal too.
        let abs = self.absolute(&full, &module).or_else(|| {
            let mut child = module.clone();
            child.extend(full.iter().cloned());
            Some(child)
        });
        let Some(abs) = abs else { return };
        let alias = rename.unwrap_or_else(|| full.last().cloned().unwrap_or_default());
        self.found.push(abs.clone());
        self.aliases.insert(alias, abs);
    }
}

impl<'ast> Visit<'ast> for Uses {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&u.tree, &mut Vec::new());
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if is_test(&m.attrs) || m.content.is_none() {
            return;
        }
        self.module.push(m.ident.to_string());
        let aliases = self.aliases.clone();
        visit::visit_item_mod(self, m);
        self.aliases = aliases;
        self.module.pop();
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        let module = self.module.clone();
        if let Some(abs) = self.absolute(&segments, &module) {
            self.found.push(abs);
        } else if segments.len() > 1 {
            // `diff::diff(…)` where `diff` is a child module declared in this file.
            let mut child = module;
            child.extend(segments);
            self.found.push(child);
        }
        visit::visit_path(self, p);
    }
}
