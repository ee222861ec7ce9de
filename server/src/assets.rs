//! The UI's build (`pkg/rollcall.js`, `rollcall_bg.wasm`, `rollcall.css`) under names that
//! carry a hash of their content, so a browser may keep them for a year
//! (`Cache-Control: immutable`) and a new release is fetched at once: pages link
//! `/pkg/rollcall.<hash>.js`, `…<hash>_bg.wasm`, `…<hash>.css` (Leptos writes the first two
//! from the output name we give it; the shell writes the third). The files are read once at
//! start-up, and gzip-compressed once on first request (the WASM: 1.5 MiB → ~560 KiB); a
//! browser that accepts gzip gets the compressed bytes. The plain names are still served
//! (by the site's file handler, revalidated every time) for pages outside the app.
//!
//! The release binary carries the build it was made with (`cfg(embedded_site)`, server/build.rs)
//! and serves it unless `--site-root` names a folder: `cp target/release/rollcall /opt/` works
//! alone, from any directory. Development keeps `--site-root` to serve a fresher build.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::sync::{Arc, OnceLock};

/// One built file, kept in memory.
struct Asset {
    /// The name it is served under (`rollcall.<hash>.js`).
    name: String,
    media: &'static str,
    bytes: Bytes,
    gzipped: OnceLock<Bytes>,
}

impl Asset {
    fn gzipped(&self) -> Bytes {
        self.gzipped
            .get_or_init(|| {
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                // Writing into a Vec cannot fail.
                let _ = enc.write_all(&self.bytes);
                Bytes::from(enc.finish().unwrap_or_default())
            })
            .clone()
    }
}

/// The UI's built files under their hashed names.
#[derive(Clone)]
pub struct Assets {
    /// `rollcall.<hash>`: Leptos's output name (the JS is `<it>.js`, the WASM `<it>_bg.wasm`).
    pub output_name: Option<String>,
    files: Arc<Vec<Asset>>,
    /// The embedded `favicon.svg`, if the build carries the site.
    favicon: Option<Bytes>,
    /// The site's files, for every other name under `/pkg`.
    site: tower_http::services::ServeDir,
}

/// The site the binary was built with (server/build.rs), if any.
#[cfg(embedded_site)]
fn embedded() -> Option<[Bytes; 4]> {
    macro_rules! file {
        ($name:literal) => {
            Bytes::from_static(include_bytes!(concat!(
                env!("ROLLCALL_SITE_DIR"),
                "/",
                $name
            )))
        };
    }
    Some([
        file!("pkg/rollcall.js"),
        file!("pkg/rollcall_bg.wasm"),
        file!("pkg/rollcall.css"),
        file!("favicon.svg"),
    ])
}

#[cfg(not(embedded_site))]
fn embedded() -> Option<[Bytes; 4]> {
    None
}

/// Whether this binary carries the UI.
pub fn embedded_site() -> bool {
    cfg!(embedded_site)
}

impl Assets {
    /// The embedded build unless `from_disk`, else the build in `site_root/pkg`; without one
    /// (no `make build`), nothing is hashed and pages link the plain names.
    pub fn load(site_root: &std::path::Path, from_disk: bool) -> Assets {
        let site = tower_http::services::ServeDir::new(site_root);
        let (js, wasm, css, favicon) = match embedded().filter(|_| !from_disk) {
            Some([js, wasm, css, favicon]) => (Some(js), Some(wasm), Some(css), Some(favicon)),
            None => {
                let pkg = site_root.join("pkg");
                let read = |name: &str| std::fs::read(pkg.join(name)).ok().map(Bytes::from);
                (
                    read("rollcall.js"),
                    read("rollcall_bg.wasm"),
                    read("rollcall.css"),
                    None,
                )
            }
        };
        let (Some(js), Some(wasm), Some(css)) = (js, wasm, css) else {
            return Assets {
                output_name: None,
                files: Arc::new(Vec::new()),
                favicon,
                site,
            };
        };
        let mut digest = Sha256::new();
        for part in [&js, &wasm, &css] {
            digest.update((part.len() as u64).to_le_bytes());
            digest.update(part);
        }
        let hash: String = digest
            .finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        let stem = format!("rollcall.{hash}");
        let asset = |name: String, media, bytes| Asset {
            name,
            media,
            bytes,
            gzipped: OnceLock::new(),
        };
        Assets {
            files: Arc::new(vec![
                asset(format!("{stem}.js"), "text/javascript", js),
                asset(format!("{stem}_bg.wasm"), "application/wasm", wasm),
                asset(format!("{stem}.css"), "text/css", css),
            ]),
            output_name: Some(stem),
            favicon,
            site,
        }
    }

    /// The output name Leptos links the scripts by.
    pub fn leptos_output_name(&self) -> String {
        self.output_name
            .clone()
            .unwrap_or_else(|| "rollcall".into())
    }
}

/// `GET /pkg/{file}` for the hashed names; any other name is left to the site's file handler.
pub async fn serve(
    State(assets): State<Assets>,
    Path(file): Path<String>,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> Response {
    let Some(asset) = assets.files.iter().find(|a| a.name == file) else {
        return plain(assets.site.clone(), req).await;
    };
    let gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let mut res = if gzip {
        let mut r = Body::from(asset.gzipped()).into_response();
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        Body::from(asset.bytes.clone()).into_response()
    };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.media));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    res
}

/// `GET /favicon.svg`: the embedded one, else the site's file.
pub async fn favicon(State(assets): State<Assets>, req: axum::extract::Request) -> Response {
    let Some(bytes) = assets.favicon.clone() else {
        return plain(assets.site.clone(), req).await;
    };
    let mut res = Body::from(bytes).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

/// Everything else under `/pkg` as the site's files (plain names, revalidated each time).
async fn plain(site: tower_http::services::ServeDir, req: axum::extract::Request) -> Response {
    use tower::ServiceExt;
    let Ok(res) = site.oneshot(req).await;
    let mut res = res.into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}
