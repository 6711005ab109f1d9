//! The README's C test program ("Testing your app", in its C section) is `examples/c/app_test.c`
//! word for word: `make test-c` builds and runs that file, and `tests/c/check-dist.sh` builds
//! it against the unpacked archive, so the program readers copy is the one that is tested.

use std::path::PathBuf;

const MARK: &str = "**Testing your app.**";

/// The first `c` block after the paragraph that starts with [`MARK`].
fn readme_block(readme: &str) -> Option<&str> {
    let after = &readme[readme.find(MARK)?..];
    let start = after.find("\n```c\n")? + "\n```c\n".len();
    let len = after[start..].find("\n```\n")? + 1;
    Some(&after[start..start + len])
}

#[test]
fn the_readme_test_program_is_the_example_file() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let example = std::fs::read_to_string(root.join("examples/c/app_test.c")).unwrap();
    let block = readme_block(&readme).expect("README.md has a `c` block after **Testing your app.**");
    assert!(
        block == example,
        "the README's block after {MARK} differs from examples/c/app_test.c; copy the file into the block"
    );
    assert!(example.contains("#include <captivate_test.h>"));
}

#[test]
fn a_block_is_read_up_to_its_fence() {
    let text = "x\n**Testing your app.** y\n\n```c\nint a;\n```\n\n```c\nint b;\n```\n";
    assert_eq!(readme_block(text), Some("int a;\n"));
    assert_eq!(readme_block("no mark"), None);
}
