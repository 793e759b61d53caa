//! The error catalogue: every diagnostic code in src/ with the message and help it is
//! printed with, read from the source with syn so a reworded message or a dropped help shows
//! in review. Two places hold them: `#[error]`/`#[diagnostic(code, help)]` beside a typed
//! error's variant, and the manifest checks' calls that take a `"dnc::…"` code followed by
//! the message (help from a `.with_help(…)` on that call or a `.help = …` just after it).

use quote::ToTokens;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};
use syn::{Attribute, Expr, Lit, Token};

/// Each code's (message, help) pairs, one per distinct wording.
pub type Catalogue = BTreeMap<String, BTreeSet<(String, String)>>;

/// The `src` folder of every crate in the workspace: the binary's, and each under crates/.
pub fn sources() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = vec![root.join("src")];
    if let Ok(crates) = std::fs::read_dir(root.join("crates")) {
        let mut crates: Vec<_> = crates.map(|c| c.unwrap().path().join("src")).collect();
        crates.sort();
        found.extend(crates);
    }
    found
}

/// The catalogue of every crate's sources.
pub fn read_workspace() -> Catalogue {
    let mut all = Catalogue::new();
    for src in sources() {
        for (code, wordings) in read(&src) {
            all.entry(code).or_default().extend(wordings);
        }
    }
    all
}

/// Reads every `.rs` file under `src`, leaving out `#[cfg(test)]` modules.
pub fn read(src: &Path) -> Catalogue {
    let mut catalogue = Catalogue::new();
    let code = regex::Regex::new(r#""(dnc(?:::[a-z0-9_]+){2,})""#).unwrap();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let file =
                    syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let mut sites = Sites::default();
                sites.visit_file(&file);
                for (code, message, help) in sites.found {
                    catalogue.entry(code).or_default().insert((message, help));
                }
                // A code chosen apart from its message (a match on an error kind, a const)
                // is still listed, so no code can drop out unnoticed.
                let mut test_free = file.clone();
                test_free.items.retain(|i| !is_test_module(i));
                let text = test_free.to_token_stream().to_string();
                for c in code.captures_iter(&text) {
                    catalogue.entry(c[1].to_string()).or_default();
                }
            }
        }
    }
    catalogue
}

/// One block per code: the code, then each message and help it is printed with.
pub fn render(catalogue: &Catalogue) -> String {
    let mut out = String::new();
    for (code, wordings) in catalogue {
        out.push_str(code);
        out.push('\n');
        if wordings.is_empty() {
            out.push_str("  (message and help chosen where the code is used)\n");
        }
        for (message, help) in wordings {
            out.push_str(&format!("  message: {message}\n  help:    {help}\n"));
        }
        out.push('\n');
    }
    out
}

pub const NO_HELP: &str = "-";

#[derive(Default)]
struct Sites {
    found: Vec<(String, String, String)>,
    /// Calls already recorded with their `.with_help(…)`.
    done: HashSet<*const Expr>,
}

fn is_test_module(item: &syn::Item) -> bool {
    matches!(item, syn::Item::Mod(m) if m.attrs.iter().any(|a| {
        a.path().is_ident("cfg") && a.to_token_stream().to_string().contains("test")
    }))
}

/// A `"dnc::a::b"` literal: the code.
fn code_literal(e: &Expr) -> Option<String> {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) if s.value().starts_with("dnc::") && s.value().matches("::").count() >= 2 => {
            Some(s.value())
        }
        _ => None,
    }
}

/// A call's code and the message that follows it.
fn call_site(e: &Expr) -> Option<(String, String)> {
    let args: Vec<&Expr> = match e {
        Expr::Call(c) => c.args.iter().collect(),
        Expr::MethodCall(m) => m.args.iter().collect(),
        _ => return None,
    };
    let at = args.iter().position(|a| code_literal(a).is_some())?;
    let message = args.get(at + 1).map_or(NO_HELP.to_string(), |m| text(m));
    Some((code_literal(args[at])?, message))
}

/// What an expression prints: a literal's value, a `format!` template, else its source.
fn text(e: &Expr) -> String {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) => s.value(),
        Expr::Macro(m) if m.mac.path.is_ident("format") => m
            .mac
            .parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)
            .ok()
            .and_then(|args| args.first().map(text))
            .unwrap_or_else(|| m.to_token_stream().to_string()),
        Expr::MethodCall(m)
            if ["into", "to_string", "to_owned"].contains(&m.method.to_string().as_str()) =>
        {
            text(&m.receiver)
        }
        Expr::Call(c) if c.func.to_token_stream().to_string() == "Some" && c.args.len() == 1 => {
            text(&c.args[0])
        }
        other => format!("<computed: {}>", other.to_token_stream()),
    }
}

impl Sites {
    fn record(&mut self, code: String, message: String, help: String) {
        self.found.push((code, message, help));
    }

    /// `#[error("…")]` and `#[diagnostic(code(…), help("…"))]` on one variant or type.
    fn typed(&mut self, attrs: &[Attribute]) {
        let mut message = None;
        let (mut code, mut help) = (None, NO_HELP.to_string());
        for a in attrs {
            if a.path().is_ident("error") {
                // The template; its arguments (`path.display()`, …) stay in the source.
                let template = a.parse_args_with(|input: syn::parse::ParseStream| {
                    let template: syn::LitStr = input.parse()?;
                    input.parse::<proc_macro2::TokenStream>()?;
                    Ok(template.value())
                });
                message = Some(template.unwrap_or_else(|_| "(the wrapped error's)".to_string()));
            } else if a.path().is_ident("diagnostic") {
                a.parse_nested_meta(|meta| {
                    let content;
                    if meta.input.peek(syn::token::Paren) {
                        syn::parenthesized!(content in meta.input);
                        if meta.path.is_ident("code") {
                            let path: syn::Path = content.parse()?;
                            code = Some(path.to_token_stream().to_string().replace(' ', ""));
                        } else if meta.path.is_ident("help") {
                            help = content.parse::<syn::LitStr>()?.value();
                        }
                        content.parse::<proc_macro2::TokenStream>()?;
                    }
                    Ok(())
                })
                .unwrap();
            }
        }
        if let (Some(code), Some(message)) = (code, message) {
            self.record(code, message, help);
        }
    }
}

impl<'ast> Visit<'ast> for Sites {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_test_module(&syn::Item::Mod(m.clone())) {
            visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_enum(&mut self, e: &'ast syn::ItemEnum) {
        self.typed(&e.attrs);
        for v in &e.variants {
            self.typed(&v.attrs);
        }
        visit::visit_item_enum(self, e);
    }

    fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
        self.typed(&s.attrs);
        visit::visit_item_struct(self, s);
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        if let Expr::MethodCall(m) = e
            && m.method == "with_help"
        {
            let mut inner = &*m.receiver;
            while call_site(inner).is_none() {
                match inner {
                    Expr::MethodCall(r) => inner = &r.receiver,
                    _ => break,
                }
            }
            if let Some((code, message)) = call_site(inner) {
                self.done.insert(inner as *const Expr);
                self.record(code, message, text(&m.args[0]));
            }
        } else if let Some((code, message)) = call_site(e)
            && !self.done.contains(&(e as *const Expr))
        {
            self.record(code, message, NO_HELP.to_string());
        }
        visit::visit_expr(self, e);
    }

    /// `d.help = …` right after the call that made `d` gives that call its help.
    fn visit_block(&mut self, b: &'ast syn::Block) {
        let mut last = None;
        for stmt in &b.stmts {
            let before = self.found.len();
            if let syn::Stmt::Expr(Expr::Assign(a), _) = stmt
                && let Expr::Field(f) = &*a.left
                && f.member.to_token_stream().to_string() == "help"
                && let Some(at) = last
            {
                let site: &mut (String, String, String) = &mut self.found[at];
                site.2 = text(&a.right);
            }
            self.visit_stmt(stmt);
            if self.found.len() > before {
                last = Some(self.found.len() - 1);
            }
        }
    }
}
