//! Stamps the binary with the commit it was built from (`rollcall --version`), so an operator
//! can tell which code a running server is. `ROLLCALL_COMMIT` set at build time wins (a build
//! from a tarball); without git, "unknown".
//!
//! And embeds the built UI (`target/site`, from `scripts/build-site.sh`; another folder with
//! `ROLLCALL_EMBED_SITE`) when it is there, so the release binary serves it from any directory
//! (`cfg(embedded_site)`, see `assets.rs`). Without a built site (`cargo check`, a first build)
//! nothing is embedded and the server reads `--site-root` from disk as before; the site script
//! touches this file when it builds a new WASM, so the next server build embeds it.

use std::path::PathBuf;
use std::process::Command;

/// The files of a built site that the server serves.
const SITE_FILES: [&str; 4] = [
    "pkg/rollcall.js",
    "pkg/rollcall_bg.wasm",
    "pkg/rollcall.css",
    "favicon.svg",
];

fn embed_site() {
    println!("cargo:rustc-check-cfg=cfg(embedded_site)");
    println!("cargo:rerun-if-env-changed=ROLLCALL_EMBED_SITE");
    let site = std::env::var_os("ROLLCALL_EMBED_SITE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"))
                .join("../target/site")
        });
    if !SITE_FILES.iter().all(|f| site.join(f).is_file()) {
        return;
    }
    let Ok(site) = site.canonicalize() else {
        return;
    };
    for f in SITE_FILES {
        println!("cargo:rerun-if-changed={}", site.join(f).display());
    }
    println!("cargo:rustc-cfg=embedded_site");
    println!("cargo:rustc-env=ROLLCALL_SITE_DIR={}", site.display());
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

fn main() {
    println!("cargo:rerun-if-env-changed=ROLLCALL_COMMIT");
    let commit = std::env::var("ROLLCALL_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_string());
    // A new commit moves HEAD or the branch it names: build again to stamp it.
    if let Some(dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
        println!("cargo:rerun-if-changed={dir}/packed-refs");
        if let Some(head) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={dir}/{head}");
        }
    }
    println!("cargo:rustc-env=ROLLCALL_COMMIT={commit}");
    embed_site();
}
