//! `include/captivate.h` is generated from this crate by cbindgen: this test renders it
//! afresh and fails when the committed header differs, whatever the environment; only
//! `make bless` (or `make header`) rewrites it, by running the ignored `bless` test with
//! `CAPTIVATE_BLESS=1`.

use std::path::PathBuf;

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

#[test]
fn the_committed_header_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../include/captivate.h");
    let fresh = render();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != fresh {
        let diff: Vec<String> = committed
            .lines()
            .zip(fresh.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(5)
            .map(|(i, (a, b))| format!("line {}:\n  committed: {a}\n  generated: {b}", i + 1))
            .collect();
        panic!(
            "include/captivate.h is stale; run `make bless` and commit it.\n{}\n(committed {} lines, generated {})",
            diff.join("\n"),
            committed.lines().count(),
            fresh.lines().count()
        );
    }
}

/// Writes the header afresh: `make bless` and `make header` run it, with `CAPTIVATE_BLESS=1`.
/// It is ignored otherwise, and refuses to write without that variable.
#[test]
#[ignore = "writes include/captivate.h; run by `make bless`"]
fn bless() {
    let asked = std::env::var("CAPTIVATE_BLESS").is_ok_and(|v| v == "1");
    assert!(asked, "run `make bless` to write include/captivate.h afresh");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../include/captivate.h");
    std::fs::write(path, render()).unwrap();
}

#[test]
fn the_version_macros_match_cargo() {
    let h = render();
    let v = env!("CARGO_PKG_VERSION");
    assert!(h.contains(&format!("#define CAPTIVATE_VERSION \"{v}\"")));
    let n: Vec<u32> = v.split('.').map(|p| p.parse().unwrap()).collect();
    assert!(h.contains(&format!("#define CAPTIVATE_VERSION_NUMBER {}", n[0] * 10000 + n[1] * 100 + n[2])));
}
