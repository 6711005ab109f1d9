//! `include/captivate.h` is generated from this crate by cbindgen, and
//! `include/captivate_test.h` (the local hub for an application's tests) from its
//! `src/test_hub.rs` alone: these tests render both afresh and fail when a committed header
//! differs, whatever the environment; only `make bless` (or `make header`) rewrites them, by
//! running the ignored `bless` test with `CAPTIVATE_BLESS=1`. The exports of the operations (`ffi/src/operations/generated.rs`),
//! generated from `ffi/codegen/operations.rs`, are checked and written the same way, first.

use std::path::PathBuf;

#[path = "../codegen/operations.rs"]
mod operations;

fn render() -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let v = env!("CARGO_PKG_VERSION");
    let major: u32 = env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap();
    let minor: u32 = env!("CARGO_PKG_VERSION_MINOR").parse().unwrap();
    let patch: u32 = env!("CARGO_PKG_VERSION_PATCH").parse().unwrap();
    config.after_includes = Some(format!(
        "\n/** The library's version, as captivate_version() returns it. */\n#define CAPTIVATE_VERSION \"{v}\"\n\
         #define CAPTIVATE_VERSION_MAJOR {major}\n#define CAPTIVATE_VERSION_MINOR {minor}\n#define CAPTIVATE_VERSION_PATCH {patch}\n\
         /** MAJOR * 10000 + MINOR * 100 + PATCH, for #if comparisons. */\n#define CAPTIVATE_VERSION_NUMBER {}\n",
        major * 10000 + minor * 100 + patch
    ));
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        .with_crate(&dir)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut out);
    String::from_utf8(out).unwrap()
}

/// The test header: `src/test_hub.rs` alone, with `cbindgen-test.toml`.
fn render_test() -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen-test.toml")).expect("cbindgen-test.toml");
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/test_hub.rs"))
        .generate()
        .expect("cbindgen generates the test header")
        .write(&mut out);
    String::from_utf8(out).unwrap()
}

/// The first lines where two texts differ, for a failure's message.
fn first_differences(committed: &str, fresh: &str) -> String {
    let diff: Vec<String> = committed
        .lines()
        .zip(fresh.lines())
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .take(5)
        .map(|(i, (a, b))| format!("line {}:\n  committed: {a}\n  generated: {b}", i + 1))
        .collect();
    format!("{}\n(committed {} lines, generated {})", diff.join("\n"), committed.lines().count(), fresh.lines().count())
}

#[test]
fn the_generated_operations_are_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(operations::GENERATED);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let fresh = operations::render();
    assert!(
        committed == fresh,
        "{} differs from what ffi/codegen/operations.rs gives (edited by hand, or the table changed); run `make bless` and commit it.\n{}",
        operations::GENERATED,
        first_differences(&committed, &fresh)
    );
}

#[test]
fn every_operation_is_generated_once_with_its_async_form() {
    let generated = operations::render();
    for op in operations::OPS {
        for name in [op.name.to_owned(), format!("{}_async", op.name)] {
            let n = generated.matches(&format!(" fn {name}(")).count();
            assert_eq!(n, 1, "{name} is exported {n} times");
        }
    }
    let mut names: Vec<&str> = operations::OPS.iter().map(|op| op.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), operations::OPS.len(), "an operation is in the table twice");
}

#[test]
fn the_committed_header_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../include/captivate.h");
    let fresh = render();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "include/captivate.h is stale; run `make bless` and commit it.\n{}",
        first_differences(&committed, &fresh)
    );
}

#[test]
fn the_committed_test_header_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../include/captivate_test.h");
    let fresh = render_test();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "include/captivate_test.h is stale; run `make bless` and commit it.\n{}",
        first_differences(&committed, &fresh)
    );
}

/// Each test-hub item is in the test header only, and every function there is one of them.
#[test]
fn the_test_hub_is_in_its_own_header_only() {
    let (main, test) = (render(), render_test());
    assert!(!main.contains("captivate_test_"), "captivate.h declares test-hub items");
    let functions: Vec<&str> =
        test.lines().filter(|l| l.contains('(') && !l.starts_with(' ') && !l.starts_with('*')).collect();
    assert!(functions.len() > 20, "{functions:?}");
    for f in functions {
        assert!(f.contains(" captivate_test_hub_") || f.contains(" *captivate_test_hub_"), "{f}");
    }
    assert!(test.contains("typedef struct captivate_test_hub captivate_test_hub;"));
    assert!(test.contains("#include \"captivate.h\""));
}

/// Writes the operations' exports, then the headers, afresh: `make bless` and `make header` run
/// it, with `CAPTIVATE_BLESS=1`. It is ignored otherwise, and refuses to write without that
/// variable.
#[test]
#[ignore = "writes include/captivate.h and captivate_test.h; run by `make bless`"]
fn bless() {
    let asked = std::env::var("CAPTIVATE_BLESS").is_ok_and(|v| v == "1");
    assert!(asked, "run `make bless` to write include/captivate.h afresh");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::fs::write(dir.join(operations::GENERATED), operations::render()).unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../include/captivate.h");
    std::fs::write(path, render()).unwrap();
    std::fs::write(dir.join("../include/captivate_test.h"), render_test()).unwrap();
}

#[test]
fn the_version_macros_match_cargo() {
    let h = render();
    let v = env!("CARGO_PKG_VERSION");
    assert!(h.contains(&format!("#define CAPTIVATE_VERSION \"{v}\"")));
    let n: Vec<u32> = v.split('.').map(|p| p.parse().unwrap()).collect();
    assert!(h.contains(&format!("#define CAPTIVATE_VERSION_NUMBER {}", n[0] * 10000 + n[1] * 100 + n[2])));
}
