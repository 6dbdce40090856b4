//! The README's code is the examples' code: every ```rust block the README marks with
//! `<!-- example: PATH -->` must equal, line for line, the part of that example between its
//! `// README:start` and `// README:end` markers. The examples are built (and run by CI's
//! `cargo test`), so the README never shows code that does not compile.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
}

/// The marked region of an example, without its common indentation.
fn region(example: &str) -> Vec<String> {
    let lines: Vec<&str> = example.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == "// README:start")
        .expect("README:start marker");
    let end = lines
        .iter()
        .position(|l| l.trim() == "// README:end")
        .expect("README:end marker");
    let body = &lines[start + 1..end];
    let indent = body
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    body.iter()
        .map(|l| l.get(indent..).unwrap_or("").trim_end().to_owned())
        .collect()
}

#[test]
fn readme_code_blocks_are_the_examples() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines: Vec<&str> = readme.lines().collect();
    let mut checked = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(path) = line
            .trim()
            .strip_prefix("<!-- example: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        assert_eq!(
            lines[i + 1].trim(),
            "```rust",
            "a ```rust block follows {path}"
        );
        let block: Vec<String> = lines[i + 2..]
            .iter()
            .take_while(|l| l.trim() != "```")
            .map(|l| l.trim_end().to_owned())
            .collect();
        let example = std::fs::read_to_string(root().join(path)).unwrap();
        assert_eq!(block, region(&example), "README block from {path} differs");
        checked += 1;
    }
    assert!(
        checked >= 4,
        "only {checked} README blocks are tied to examples"
    );
    // Every other rust block would be unchecked: there is none.
    let rust_blocks = lines.iter().filter(|l| l.trim() == "```rust").count();
    assert_eq!(
        rust_blocks, checked,
        "a ```rust block in the README is not tied to an example"
    );
}
