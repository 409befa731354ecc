//! Detects a generated type name that the user already defined in the struct's scope.
//!
//! `#[derive(SyncRegistry)]` on `ServerConfig` generates `ServerConfigKey`, `ServerConfigValue`
//! and `ServerConfigRegistry` next to the struct. A type, trait or `use` of one of those names in
//! the same scope makes rustc report E0428 under the derive, followed by a cascade of E0599 from
//! the generated impls (which then attach to the user's type), and none of it names the fix. No
//! check in the generated code can catch this: under the collision every generated item that
//! names the type names the user's type instead. So the derive looks for itself, before emitting
//! anything: it reads the source file that the struct's identifier comes from
//! (`proc_macro::Span::local_file`, stable since Rust 1.88), finds the struct in it, and looks at
//! the items of the struct's own scope. On a collision it reports one error that names the fix,
//! and leaves the colliding names out of what it emits (see `fallback`), so that this error is
//! the only one.
//!
//! The check never fails because of itself: when the file cannot be read or parsed, or the
//! struct is not an item of it at the identifier's place (input written by a macro, `include!`d
//! elsewhere, a doctest whose text is not a file), it finds nothing. It sees only what is written
//! in the file: items that macros generate are not seen, and items under `#[cfg]` are ignored,
//! since whether they exist cannot be known here.
//!
//! The file is parsed with `syn`, whose tokens carry no line numbers inside a proc macro (a
//! string is parsed with every span at the call site). So the struct is found by its place
//! instead: before parsing, the identifier at the span's line and column is replaced with a
//! marker that no other identifier has, and every other occurrence of a generated name is tagged
//! with its line, which the error then quotes. The search over the parsed file is plain data and
//! is unit-tested below.

use std::path::PathBuf;

use proc_macro2::TokenTree;
use syn::ext::IdentExt;
use syn::{
    Attribute, Block, DeriveInput, Expr, File, Ident, ImplItem, Item, Stmt, TraitItem, UseTree,
};

use crate::ctxt::Ctxt;
use crate::naming::TypeNames;

/// What replaces the struct's identifier in the text that is parsed.
const STRUCT_MARKER: &str = "__syncmap_derive_this_struct";
/// Appended, with the line number, to every other occurrence of a generated name.
const LINE_TAG: &str = "__syncmap_derive_line_";

/// A generated name that is already defined where the struct is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Collision {
    pub(crate) name: String,
    /// Where the user's definition is: the line of its name in the file, or `None` when the
    /// struct itself has the name.
    pub(crate) line: Option<usize>,
}

/// Reports a collision of the generated names with the user's items as one fatal error under the
/// struct's identifier, and returns the generated names that must not be emitted.
pub(crate) fn check(cx: &Ctxt, input: &DeriveInput, names: &TypeNames) -> Vec<Ident> {
    let generated = [&names.key, &names.value, &names.registry];
    let wanted: Vec<String> = generated.iter().map(|name| name.to_string()).collect();
    let ident = &input.ident;
    let mut collisions: Vec<Collision> = Vec::new();
    // With `#[registry(name = Base)]`, the struct itself may be `BaseKey`: no file needed.
    let own = ident.unraw().to_string();
    if wanted.contains(&own) {
        collisions.push(Collision {
            name: own.clone(),
            line: None,
        });
    }
    if let Some((path, line, column)) = location(ident)
        && let Ok(text) = std::fs::read_to_string(path)
    {
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        // Most files name none of them: spare the parse.
        if wanted.iter().any(|name| text.contains(name.as_str())) {
            let found = collisions_in_source(text, &ident.to_string(), line, column, &wanted);
            collisions.extend(found);
        }
    }
    if collisions.is_empty() {
        return Vec::new();
    }
    cx.fatal_spanned_by(ident, message(&own, &collisions));
    generated
        .into_iter()
        .filter(|name| collisions.iter().any(|c| **name == c.name))
        .cloned()
        .collect()
}

/// The file, line and column (both 1-based, the column in characters) of the identifier, when
/// running inside a real macro invocation and the identifier comes from a file on disk.
fn location(ident: &Ident) -> Option<(PathBuf, usize, usize)> {
    // Outside a proc macro (unit tests), `unwrap` below would panic.
    if !proc_macro::is_available() {
        return None;
    }
    let span = ident.span().unwrap();
    Some((span.local_file()?, span.line(), span.column()))
}

/// The error: what is defined twice, why, and the fix.
fn message(struct_name: &str, collisions: &[Collision]) -> String {
    let listed: Vec<String> = collisions
        .iter()
        .map(|c| match c.line {
            Some(line) => format!("`{}` (line {line})", c.name),
            None => format!("`{}` (this struct's own name)", c.name),
        })
        .collect();
    let (what, generates) = match listed.split_last() {
        Some((last, init)) if !init.is_empty() => (
            format!("{} and {last} are", init.join(", ")),
            "types of those names",
        ),
        _ => (format!("{} is", listed.concat()), "a type of that name"),
    };
    format!(
        "{what} already defined in this scope, and `#[derive(SyncRegistry)]` generates \
         {generates} for `{struct_name}`; choose other names with \
         `#[registry(name = OtherName)]`, which generates `OtherNameKey`, `OtherNameValue` and \
         `OtherNameRegistry`"
    )
}

/// The collisions of `names` with the items of the struct's scope, in the source `text`, the
/// struct's identifier (as written, `r#` included) being at `line` and `column` (1-based, the
/// column in characters). Empty if the struct cannot be found there or the text does not parse.
pub(crate) fn collisions_in_source(
    text: &str,
    ident: &str,
    line: usize,
    column: usize,
    names: &[String],
) -> Vec<Collision> {
    let Some(marked) = mark(text, ident, line, column, names) else {
        return Vec::new();
    };
    let Ok(file) = syn::parse_file(&marked) else {
        return Vec::new();
    };
    let Some(scope) = find_scope(&file, STRUCT_MARKER) else {
        return Vec::new();
    };
    let mut found: Vec<Collision> = Vec::new();
    for defined in scope.definitions() {
        if let Some(collision) = decode(defined, names)
            && !found.contains(&collision)
        {
            found.push(collision);
        }
    }
    found
}

/// The text with the struct's identifier replaced by [`STRUCT_MARKER`] and every other
/// occurrence of a generated name tagged with its line: `ServerConfigKey__syncmap_derive_line_4`.
/// `None` if the identifier is not at that place, or if the text already has the marker or tag.
fn mark(text: &str, ident: &str, line: usize, column: usize, names: &[String]) -> Option<String> {
    if text.contains(STRUCT_MARKER) || text.contains(LINE_TAG) {
        return None;
    }
    let target = find_on_line(text, ident, line, column)?;
    // (start, end, replacement), in the order of the text.
    let mut edits: Vec<(usize, usize, String)> =
        vec![(target, target + ident.len(), STRUCT_MARKER.to_owned())];
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(at, _)| at + 1))
        .collect();
    for name in names {
        for start in word_positions(text, name) {
            let end = start + name.len();
            // `r#Name` where `Name` is the struct's identifier is the struct's own edit.
            if start < target + ident.len() && target < end {
                continue;
            }
            let line = line_starts.partition_point(|&line_start| line_start <= start);
            edits.push((start, end, format!("{name}{LINE_TAG}{line}")));
        }
    }
    edits.sort_by_key(|edit| edit.0);
    let mut out = String::with_capacity(text.len() + 32 * edits.len());
    let mut at = 0;
    for (start, end, replacement) in edits {
        // Two names of which one contains the other cannot both be whole words at one place,
        // but stay safe: overlapping edits would garble the text.
        if start < at {
            return None;
        }
        out.push_str(&text[at..start]);
        out.push_str(&replacement);
        at = end;
    }
    out.push_str(&text[at..]);
    Some(out)
}

/// The byte offset of `ident` at the 1-based `line` and `column`. rustc counts the column in
/// characters; a column in bytes is accepted too. Nothing else is: a file that is not the one
/// the span was read from (rustdoc names a doctest after the file of its doc comment) must not
/// be matched by chance.
fn find_on_line(text: &str, ident: &str, line: usize, column: usize) -> Option<usize> {
    let mut start = 0;
    for _ in 1..line {
        start += text[start..].find('\n')? + 1;
    }
    let end = text[start..].find('\n').map_or(text.len(), |n| start + n);
    word_positions(&text[start..end], ident).find_map(|offset| {
        let chars = text[start..start + offset].chars().count();
        (chars + 1 == column || offset + 1 == column).then_some(start + offset)
    })
}

/// Where `word` occurs in `text` as a whole identifier (no identifier character on either side).
fn word_positions<'t>(text: &'t str, word: &'t str) -> impl Iterator<Item = usize> + 't {
    let ident_char = |c: char| c == '_' || c.is_alphanumeric();
    text.match_indices(word)
        .map(|(start, _)| start)
        .filter(move |&start| {
            let before = text[..start].chars().next_back();
            let after = text[start + word.len()..].chars().next();
            !before.is_some_and(ident_char) && !after.is_some_and(ident_char)
        })
}

/// The generated name and line that a tagged identifier stands for.
fn decode(ident: &Ident, names: &[String]) -> Option<Collision> {
    let ident = ident.unraw().to_string();
    let (name, line) = ident.rsplit_once(LINE_TAG)?;
    if !names.iter().any(|wanted| wanted == name) {
        return None;
    }
    Some(Collision {
        name: name.to_owned(),
        line: Some(line.parse().ok()?),
    })
}

/// The items of one scope: a module's (or the file's), or a block's statements.
#[derive(Clone, Copy)]
pub(crate) enum Scope<'a> {
    Items(&'a [Item]),
    Stmts(&'a [Stmt]),
}

impl<'a> Scope<'a> {
    fn items(self) -> Box<dyn Iterator<Item = &'a Item> + 'a> {
        match self {
            Scope::Items(items) => Box::new(items.iter()),
            Scope::Stmts(stmts) => Box::new(stmts.iter().filter_map(|stmt| match stmt {
                Stmt::Item(item) => Some(item),
                _ => None,
            })),
        }
    }

    /// The names this scope's items define in the type namespace, except under `#[cfg]`.
    /// Items of nested modules and blocks are not this scope's; a glob import defines no name.
    pub(crate) fn definitions(self) -> Vec<&'a Ident> {
        let mut out = Vec::new();
        for item in self.items() {
            let (attrs, ident) = match item {
                Item::Struct(item) => (&item.attrs, &item.ident),
                Item::Enum(item) => (&item.attrs, &item.ident),
                Item::Union(item) => (&item.attrs, &item.ident),
                Item::Type(item) => (&item.attrs, &item.ident),
                Item::Trait(item) => (&item.attrs, &item.ident),
                Item::TraitAlias(item) => (&item.attrs, &item.ident),
                Item::Mod(item) => (&item.attrs, &item.ident),
                Item::ExternCrate(item) => (
                    &item.attrs,
                    item.rename
                        .as_ref()
                        .map_or(&item.ident, |(_, rename)| rename),
                ),
                Item::Use(item) => {
                    if !conditional(&item.attrs) {
                        use_names(&item.tree, None, &mut out);
                    }
                    continue;
                }
                _ => continue,
            };
            if !conditional(attrs) {
                out.push(ident);
            }
        }
        out
    }
}

/// Whether the item may be configured away: `#[cfg(..)]`, or `#[cfg_attr(.., cfg(..))]`.
fn conditional(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            || (attr.path().is_ident("cfg_attr")
                && attr.meta.require_list().is_ok_and(|list| {
                    list.tokens
                        .clone()
                        .into_iter()
                        .any(|tt| matches!(tt, TokenTree::Ident(ident) if ident == "cfg"))
                }))
    })
}

/// The names a `use` tree brings into scope: `a::B`, `a::C as B`, `a::B::{self}`; not `*`, not
/// `as _`.
fn use_names<'a>(tree: &'a UseTree, parent: Option<&'a Ident>, out: &mut Vec<&'a Ident>) {
    match tree {
        UseTree::Path(path) => use_names(&path.tree, Some(&path.ident), out),
        UseTree::Name(name) if name.ident == "self" => out.extend(parent),
        UseTree::Name(name) => out.push(&name.ident),
        UseTree::Rename(rename) if rename.rename == "_" => {}
        UseTree::Rename(rename) => out.push(&rename.rename),
        UseTree::Glob(_) => {}
        UseTree::Group(group) => {
            for tree in &group.items {
                use_names(tree, parent, out);
            }
        }
    }
}

/// The scope whose items include `struct <ident>`: the file, an inline module, or a block
/// (function bodies, `const` initializers, and the blocks nested in their expressions).
pub(crate) fn find_scope<'a>(file: &'a File, ident: &str) -> Option<Scope<'a>> {
    in_items(&file.items, ident)
}

fn declares(item: &Item, ident: &str) -> bool {
    matches!(item, Item::Struct(item) if item.ident == ident)
}

fn in_items<'a>(items: &'a [Item], ident: &str) -> Option<Scope<'a>> {
    if items.iter().any(|item| declares(item, ident)) {
        return Some(Scope::Items(items));
    }
    items.iter().find_map(|item| in_item(item, ident))
}

fn in_item<'a>(item: &'a Item, ident: &str) -> Option<Scope<'a>> {
    match item {
        Item::Mod(item) => in_items(&item.content.as_ref()?.1, ident),
        Item::Fn(item) => in_block(&item.block, ident),
        Item::Const(item) => in_expr(&item.expr, ident),
        Item::Static(item) => in_expr(&item.expr, ident),
        Item::Impl(item) => item.items.iter().find_map(|item| match item {
            ImplItem::Fn(item) => in_block(&item.block, ident),
            ImplItem::Const(item) => in_expr(&item.expr, ident),
            _ => None,
        }),
        Item::Trait(item) => item.items.iter().find_map(|item| match item {
            TraitItem::Fn(item) => in_block(item.default.as_ref()?, ident),
            TraitItem::Const(item) => in_expr(&item.default.as_ref()?.1, ident),
            _ => None,
        }),
        _ => None,
    }
}

fn in_block<'a>(block: &'a Block, ident: &str) -> Option<Scope<'a>> {
    let here = block
        .stmts
        .iter()
        .any(|stmt| matches!(stmt, Stmt::Item(item) if declares(item, ident)));
    if here {
        return Some(Scope::Stmts(&block.stmts));
    }
    block.stmts.iter().find_map(|stmt| match stmt {
        Stmt::Item(item) => in_item(item, ident),
        Stmt::Local(local) => {
            let init = local.init.as_ref()?;
            in_expr(&init.expr, ident)
                .or_else(|| in_expr(init.diverge.as_ref().map(|(_, expr)| &**expr)?, ident))
        }
        Stmt::Expr(expr, _) => in_expr(expr, ident),
        Stmt::Macro(_) => None,
    })
}

/// The blocks of an expression, however deep (closures, arguments, `if`, `match`, loops).
fn in_expr<'a>(expr: &'a Expr, ident: &str) -> Option<Scope<'a>> {
    match expr {
        Expr::Block(e) => in_block(&e.block, ident),
        Expr::Unsafe(e) => in_block(&e.block, ident),
        Expr::Async(e) => in_block(&e.block, ident),
        Expr::Const(e) => in_block(&e.block, ident),
        Expr::TryBlock(e) => in_block(&e.block, ident),
        Expr::Loop(e) => in_block(&e.body, ident),
        Expr::While(e) => in_expr(&e.cond, ident).or_else(|| in_block(&e.body, ident)),
        Expr::ForLoop(e) => in_expr(&e.expr, ident).or_else(|| in_block(&e.body, ident)),
        Expr::If(e) => in_expr(&e.cond, ident)
            .or_else(|| in_block(&e.then_branch, ident))
            .or_else(|| in_expr(&e.else_branch.as_ref()?.1, ident)),
        Expr::Match(e) => {
            in_expr(&e.expr, ident).or_else(|| in_exprs(e.arms.iter().map(|arm| &*arm.body), ident))
        }
        Expr::Closure(e) => in_expr(&e.body, ident),
        Expr::Call(e) => in_expr(&e.func, ident).or_else(|| in_exprs(&e.args, ident)),
        Expr::MethodCall(e) => in_expr(&e.receiver, ident).or_else(|| in_exprs(&e.args, ident)),
        Expr::Array(e) => in_exprs(&e.elems, ident),
        Expr::Tuple(e) => in_exprs(&e.elems, ident),
        Expr::Struct(e) => in_exprs(e.fields.iter().map(|field| &field.expr), ident),
        Expr::Assign(e) => in_expr(&e.left, ident).or_else(|| in_expr(&e.right, ident)),
        Expr::Binary(e) => in_expr(&e.left, ident).or_else(|| in_expr(&e.right, ident)),
        Expr::Let(e) => in_expr(&e.expr, ident),
        Expr::Paren(e) => in_expr(&e.expr, ident),
        Expr::Group(e) => in_expr(&e.expr, ident),
        Expr::Reference(e) => in_expr(&e.expr, ident),
        Expr::Unary(e) => in_expr(&e.expr, ident),
        Expr::Try(e) => in_expr(&e.expr, ident),
        Expr::Await(e) => in_expr(&e.base, ident),
        Expr::Field(e) => in_expr(&e.base, ident),
        Expr::Cast(e) => in_expr(&e.expr, ident),
        Expr::Return(e) => in_expr(e.expr.as_ref()?, ident),
        Expr::Break(e) => in_expr(e.expr.as_ref()?, ident),
        _ => None,
    }
}

fn in_exprs<'a>(exprs: impl IntoIterator<Item = &'a Expr>, ident: &str) -> Option<Scope<'a>> {
    exprs.into_iter().find_map(|expr| in_expr(expr, ident))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(base: &str) -> Vec<String> {
        let names = TypeNames::new(&Ident::new(base, proc_macro2::Span::call_site()));
        [names.key, names.value, names.registry]
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The collisions for `struct <ident>` on the 1-based `line` of `text`, with the names that
    /// `base` generates.
    fn check_as(text: &str, ident: &str, line: usize, base: &str) -> Vec<(String, usize)> {
        let on_line = text.lines().nth(line - 1).expect("no such line");
        let byte = on_line
            .find(&format!("struct {ident}"))
            .expect("the struct is not on that line")
            + "struct ".len();
        let column = on_line[..byte].chars().count() + 1;
        collisions_in_source(text, ident, line, column, &names(base))
            .into_iter()
            .map(|c| (c.name, c.line.expect("a line in the file")))
            .collect()
    }

    fn check(text: &str, line: usize) -> Vec<(String, usize)> {
        check_as(text, "ServerConfig", line, "ServerConfig")
    }

    fn key(line: usize) -> Vec<(String, usize)> {
        vec![("ServerConfigKey".to_owned(), line)]
    }

    #[test]
    fn module_level() {
        let text = "\
use syncmap::SyncRegistry;
pub struct ServerConfigKey;
#[derive(SyncRegistry)]
struct ServerConfig { port: u16 }
fn main() {}
";
        assert_eq!(check(text, 4), key(2));
    }

    #[test]
    fn every_kind_of_type_namespace_item() {
        let text = "\
enum ServerConfigKey {}
union ServerConfigValue { a: u8 }
type ServerConfigRegistry = ();
struct ServerConfig { port: u16 }
";
        assert_eq!(
            check(text, 4),
            vec![
                ("ServerConfigKey".to_owned(), 1),
                ("ServerConfigValue".to_owned(), 2),
                ("ServerConfigRegistry".to_owned(), 3),
            ]
        );
        assert_eq!(
            check("trait ServerConfigKey {}\nstruct ServerConfig;", 2),
            key(1)
        );
        assert_eq!(
            check("mod ServerConfigKey {}\nstruct ServerConfig;", 2),
            key(1)
        );
        assert_eq!(
            check(
                "extern crate std as ServerConfigKey;\nstruct ServerConfig;",
                2
            ),
            key(1)
        );
    }

    #[test]
    fn value_namespace_items_do_not_collide() {
        let text = "\
fn ServerConfigKey() {}
const ServerConfigValue: u8 = 0;
static ServerConfigRegistry: u8 = 0;
struct ServerConfig { port: u16 }
";
        assert_eq!(check(text, 4), vec![]);
    }

    #[test]
    fn inside_mod() {
        let text = "\
mod config {
    pub struct ServerConfigKey;

    #[derive(SyncRegistry)]
    pub struct ServerConfig { port: u16 }
}
";
        assert_eq!(check(text, 5), key(2));
    }

    #[test]
    fn inside_fn_body() {
        let text = "\
fn main() {
    let x = 1;
    struct ServerConfigKey;
    #[derive(SyncRegistry)]
    struct ServerConfig { port: u16 }
}
";
        assert_eq!(check(text, 5), key(3));
    }

    #[test]
    fn inside_nested_blocks() {
        let text = "\
const _: () = {
    struct ServerConfigKey;
    struct ServerConfig { port: u16 }
};
impl Foo {
    fn f() {
        std::thread::spawn(|| {
            if true {
                struct ServerConfigRegistry;
                struct ServerConfig { port: u16 }
            }
        });
    }
}
";
        assert_eq!(check(text, 3), key(2));
        assert_eq!(
            check(text, 10),
            vec![("ServerConfigRegistry".to_owned(), 9)]
        );
    }

    #[test]
    fn use_of_the_name() {
        let text = "\
use other::ServerConfigKey;
struct ServerConfig { port: u16 }
";
        assert_eq!(check(text, 2), key(1));
        let grouped = "use other::{a::ServerConfigKey, b};\nstruct ServerConfig;";
        assert_eq!(check(grouped, 2), key(1));
        let module = "use other::ServerConfigKey::{self};\nstruct ServerConfig;";
        assert_eq!(check(module, 2), key(1));
    }

    #[test]
    fn use_renamed_to_the_name() {
        let text = "\
use other::Thing as ServerConfigRegistry;
struct ServerConfig { port: u16 }
";
        assert_eq!(check(text, 2), vec![("ServerConfigRegistry".to_owned(), 1)]);
    }

    #[test]
    fn use_renamed_away_or_to_underscore() {
        let text = "\
use other::ServerConfigKey as Other;
use other::ServerConfigValue as _;
struct ServerConfig { port: u16 }
";
        assert_eq!(check(text, 3), vec![]);
    }

    #[test]
    fn same_name_in_another_module() {
        let text = "\
mod elsewhere {
    pub struct ServerConfigKey;
}
mod config {
    use super::elsewhere;
    struct ServerConfig { port: u16 }
    fn f(_: elsewhere::ServerConfigKey) {}
}
";
        assert_eq!(check(text, 6), vec![]);
    }

    #[test]
    fn outer_scope_of_a_block_does_not_collide() {
        let text = "\
struct ServerConfigKey;
fn main() {
    struct ServerConfig { port: u16 }
}
";
        assert_eq!(check(text, 3), vec![]);
    }

    #[test]
    fn glob_import() {
        let text = "\
use other::*;
use other::{inner::*};
struct ServerConfig { port: u16 }
";
        assert_eq!(check(text, 3), vec![]);
    }

    #[test]
    fn cfg_items_are_ignored() {
        let text = "\
#[cfg(any())]
struct ServerConfigKey;
#[cfg_attr(test, cfg(any()))]
use other::ServerConfigValue;
#[cfg_attr(test, derive(Debug))]
struct ServerConfigRegistry;
struct ServerConfig { port: u16 }
";
        assert_eq!(check(text, 7), vec![("ServerConfigRegistry".to_owned(), 6)]);
    }

    #[test]
    fn renamed_generation() {
        let text = "\
pub struct ServerConfigKey;
pub struct SettingsRegistry;
#[derive(SyncRegistry)]
#[registry(name = Settings)]
struct ServerConfig { port: u16 }
";
        assert_eq!(
            check_as(text, "ServerConfig", 5, "Settings"),
            vec![("SettingsRegistry".to_owned(), 2)]
        );
        let avoided = "pub struct ServerConfigKey;\nstruct ServerConfig { port: u16 }";
        assert_eq!(check_as(avoided, "ServerConfig", 2, "Settings"), vec![]);
    }

    #[test]
    fn the_struct_is_found_by_its_line() {
        // Two structs of one name; only the second's scope has the colliding key.
        let text = "\
mod a {
    struct ServerConfig { port: u16 }
}
mod b {
    struct ServerConfigKey;
    struct ServerConfig { port: u16 }
}
";
        assert_eq!(check(text, 2), vec![]);
        assert_eq!(check(text, 6), key(5));
    }

    #[test]
    fn the_struct_itself_is_not_a_collision() {
        // `#[registry(name = Server)] struct ServerKey`: reported by `check` without the file.
        let text = "struct ServerKey { port: u16 }";
        assert_eq!(check_as(text, "ServerKey", 1, "Server"), vec![]);
    }

    #[test]
    fn raw_identifier() {
        let text = "struct ServerConfigKey;\nstruct r#ServerConfig { port: u16 }";
        let column = "struct ".len() + 1;
        let found = collisions_in_source(text, "r#ServerConfig", 2, column, &names("ServerConfig"));
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn column_in_characters_or_bytes() {
        let text = "struct ServerConfigKey;\n/* é */ struct ServerConfig { port: u16 }";
        let names = names("ServerConfig");
        let chars = "/* é */ struct ".chars().count() + 1;
        let bytes = "/* é */ struct ".len() + 1;
        assert_eq!(
            collisions_in_source(text, "ServerConfig", 2, chars, &names).len(),
            1
        );
        assert_eq!(
            collisions_in_source(text, "ServerConfig", 2, bytes, &names).len(),
            1
        );
        assert!(collisions_in_source(text, "ServerConfig", 2, 1, &names).is_empty());
    }

    #[test]
    fn nothing_when_the_struct_is_not_there() {
        // Not at that line, inside a macro's input, or a file that does not parse.
        let text = "struct ServerConfigKey;\nstruct ServerConfig { port: u16 }";
        assert!(
            collisions_in_source(text, "ServerConfig", 1, 8, &names("ServerConfig")).is_empty()
        );
        let in_macro = "struct ServerConfigKey;\nm! { struct ServerConfig { port: u16 } }";
        assert_eq!(check(in_macro, 2), vec![]);
        let broken = "struct ServerConfigKey;\nstruct ServerConfig { port: u16 ";
        assert_eq!(check(broken, 2), vec![]);
    }

    #[test]
    fn names_in_strings_and_comments_are_harmless() {
        let text = "\
// ServerConfigKey is described below.
const DOC: &str = \"ServerConfigKey\";
struct ServerConfig { port: u16 }
";
        assert_eq!(check(text, 3), vec![]);
    }

    #[test]
    fn the_message_names_the_fix() {
        let one = message(
            "ServerConfig",
            &[Collision {
                name: "ServerConfigKey".to_owned(),
                line: Some(4),
            }],
        );
        assert_eq!(
            one,
            "`ServerConfigKey` (line 4) is already defined in this scope, and \
             `#[derive(SyncRegistry)]` generates a type of that name for `ServerConfig`; choose \
             other names with `#[registry(name = OtherName)]`, which generates `OtherNameKey`, \
             `OtherNameValue` and `OtherNameRegistry`"
        );
        let two = message(
            "ServerKey",
            &[
                Collision {
                    name: "ServerKey".to_owned(),
                    line: None,
                },
                Collision {
                    name: "ServerValue".to_owned(),
                    line: Some(2),
                },
            ],
        );
        assert!(two.starts_with(
            "`ServerKey` (this struct's own name) and `ServerValue` (line 2) are already defined in this \
             scope, and `#[derive(SyncRegistry)]` generates types of those names for `ServerKey`"
        ));
    }
}
