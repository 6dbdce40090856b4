//! The guide's code is the examples' code. Every ```rust block in `README.md` and `docs/*.md`
//! follows a line `<!-- example: tests/examples/NAME.rs -->` and equals that example as a
//! reader copies it: the whole file, without its leading `//!` comment and `#![…]` lines.
//! The examples are built and run by `cargo test`, so every block a reader sees compiles as
//! shown, `use` lines included. Each page that shows a block lists its dependencies in a
//! ```toml block, and every crate a block names is in that list.
//!
//! After changing an example, `UPDATE_DOCS=1 cargo test -p eximbay-tests --test readme`
//! copies it into the pages that show it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
}

/// The README and every page of the guide.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// An example as a reader copies it: without the leading `//!` lines (which say how the file
/// is run and checked) and `#![…]` attributes, and without blank lines around it.
fn as_shown(example: &str) -> Vec<String> {
    let lines: Vec<&str> = example.lines().collect();
    let start = lines
        .iter()
        .position(|l| {
            let l = l.trim();
            !(l.is_empty() || l.starts_with("//!") || l.starts_with("#!["))
        })
        .unwrap_or(lines.len());
    let mut shown: Vec<String> = lines[start..]
        .iter()
        .map(|l| l.trim_end().to_owned())
        .collect();
    while shown.last().is_some_and(|l| l.is_empty()) {
        shown.pop();
    }
    shown
}

/// Where a page's example blocks are: (the example's path, first line, end line exclusive).
fn example_blocks(lines: &[&str], page: &Path) -> Vec<(String, usize, usize)> {
    let mut blocks = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(path) = line
            .trim()
            .strip_prefix("<!-- example: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        assert_eq!(
            lines.get(i + 1).map(|l| l.trim()),
            Some("```rust"),
            "{}: a ```rust block follows the marker of {path}",
            page.display()
        );
        let end = lines[i + 2..]
            .iter()
            .position(|l| l.trim() == "```")
            .map(|n| i + 2 + n)
            .unwrap_or_else(|| panic!("{}: the block of {path} is not closed", page.display()));
        blocks.push((path.to_owned(), i + 2, end));
    }
    blocks
}

/// The crates a block names: the first segment of every path (`serde_json::json!`,
/// `use eximbay_core::{…}`), leaving out the language's own roots.
fn crates_named(code: &[String]) -> BTreeSet<String> {
    let own = ["std", "core", "alloc", "self", "super", "crate", "Self"];
    let mut named = BTreeSet::new();
    for line in code {
        let line = line.split("//").next().unwrap_or("");
        let mut i = 0;
        while let Some(at) = line[i..].find("::") {
            let end = i + at;
            let start = line[..end]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(0, |p| p + 1);
            let preceded_by_path = start >= 2 && &line[start - 2..start] == "::";
            let segment = &line[start..end];
            let is_crate = segment
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase());
            if !preceded_by_path && is_crate && !own.contains(&segment) {
                named.insert(segment.to_owned());
            }
            i = end + 2;
        }
    }
    named
}

/// The dependencies a page lists in its ```toml blocks, with `-` read as `_`.
fn dependencies_listed(lines: &[&str]) -> BTreeSet<String> {
    let mut listed = BTreeSet::new();
    let mut in_toml = false;
    for line in lines {
        match line.trim() {
            "```toml" => in_toml = true,
            "```" => in_toml = false,
            l if in_toml => {
                if let Some((name, _)) = l.split_once('=')
                    && !name.trim().starts_with('[')
                    && !name.trim().starts_with('#')
                {
                    listed.insert(name.trim().replace('-', "_"));
                }
            }
            _ => {}
        }
    }
    listed
}

#[test]
fn every_code_block_is_an_example_that_compiles_as_shown() {
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    let mut checked = 0;
    let mut differ = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let blocks = example_blocks(&lines, &page);
        let rust_blocks = lines.iter().filter(|l| l.trim() == "```rust").count();
        assert_eq!(
            rust_blocks,
            blocks.len(),
            "{}: a ```rust block is not tied to an example (`<!-- example: PATH -->`)",
            page.display()
        );
        let listed = dependencies_listed(&lines);
        let mut rewritten: Vec<String> = Vec::new();
        let mut copied_to = 0;
        for (path, first, end) in &blocks {
            let example = std::fs::read_to_string(root().join(path))
                .unwrap_or_else(|e| panic!("{}: {path}: {e}", page.display()));
            let shown = as_shown(&example);
            let block: Vec<String> = lines[*first..*end]
                .iter()
                .map(|l| l.trim_end().to_owned())
                .collect();
            if block != shown {
                differ.push(format!("{} shows {path} as it was", page.display()));
            }
            let unlisted: Vec<String> = crates_named(&shown)
                .into_iter()
                .filter(|name| !listed.contains(name))
                .collect();
            assert!(
                unlisted.is_empty(),
                "{}: {path} uses {unlisted:?}, which the page's ```toml dependencies do not list",
                page.display()
            );
            rewritten.extend(lines[copied_to..*first].iter().map(|l| (*l).to_owned()));
            rewritten.extend(shown);
            copied_to = *end;
            checked += 1;
        }
        if update && !blocks.is_empty() {
            rewritten.extend(lines[copied_to..].iter().map(|l| (*l).to_owned()));
            std::fs::write(&page, rewritten.join("\n") + "\n").unwrap();
        }
    }
    assert!(
        update || differ.is_empty(),
        "{}\nrun `UPDATE_DOCS=1 cargo test -p eximbay-tests --test readme` to copy the examples in",
        differ.join("\n")
    );
    assert!(checked >= 8, "only {checked} blocks are tied to examples");
}

#[test]
fn the_readme_stays_short() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= 200,
        "README.md has {lines} lines; longer text belongs on a page of the guide in docs/"
    );
}

#[test]
fn the_crate_names_of_a_block_are_found() {
    let code: Vec<String> = [
        "use eximbay_core::{Amount, ApiKey};",
        "let v = serde_json::json!({\"a\": std::env::var(\"X\")?});",
        "let c = eximbay_ureq::Client::new(cfg)?; // http::Request in a comment",
        "let x = Vec::<u8>::new();",
    ]
    .iter()
    .map(|l| (*l).to_owned())
    .collect();
    let named: Vec<String> = crates_named(&code).into_iter().collect();
    assert_eq!(named, ["eximbay_core", "eximbay_ureq", "serde_json"]);
}

#[test]
fn every_link_into_the_guide_leads_to_a_file() {
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let dir = page.parent().unwrap();
        for (i, _) in text.match_indices("](") {
            let rest = &text[i + 2..];
            let Some(target) = rest.split(')').next() else {
                continue;
            };
            let target = target.split('#').next().unwrap_or("");
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            assert!(
                dir.join(target).exists(),
                "{}: the link to {target} leads nowhere",
                page.display()
            );
        }
    }
}
