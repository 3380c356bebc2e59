//! The page's files, embedded from `web/` at compile time so the binary serves them alone, with
//! no internet and no files beside it.
//!
//! Every file under `web/` must be listed in [`ASSETS`]; a test walks the directory and fails
//! on a file that is missing from the list (or listed but gone).

/// One embedded file: its URL path and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// The path it is served at, e.g. `/js/app.js`.
    pub path: &'static str,
    pub bytes: &'static [u8],
}

macro_rules! embed {
    ($($file:literal),* $(,)?) => {
        &[$(Asset {
            path: concat!("/", $file),
            bytes: include_bytes!(concat!("../web/", $file)),
        }),*]
    };
}

/// Every file of `web/`, by URL path.
pub static ASSETS: &[Asset] = embed![
    "index.html",
    "style.css",
    "favicon.svg",
    "js/app.js",
    "js/backoff.js",
    "js/bech32.js",
    "js/chart.js",
    "js/connection.js",
    "js/dom.js",
    "js/feed.js",
    "js/format.js",
    "js/router.js",
    "js/rpc.js",
    "js/search.js",
    "js/socket.js",
    "js/stats.js",
    "js/views/account.js",
    "js/views/block.js",
    "js/views/dashboard.js",
    "js/views/parts.js",
    "js/views/search.js",
    "js/views/tx.js",
    "js/views/validators.js",
];

/// The embedded file served at `path`, if any.
pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// The `content-type` of a file, by its extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    fn files_under(dir: &Path, prefix: &str, out: &mut BTreeSet<String>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries {
            let entry = entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
            let name = format!("{prefix}/{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                files_under(&entry.path(), &name, out);
            } else {
                out.insert(name);
            }
        }
    }

    #[test]
    fn every_file_of_web_is_embedded_and_nothing_else() {
        // The crate's directory as cargo gives it when it runs the test, not as it was when
        // the test was compiled: builds sharing a target directory from another checkout
        // reuse this binary, and the compile-time path is that checkout's.
        let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
        let mut on_disk = BTreeSet::new();
        files_under(&crate_dir.join("web"), "", &mut on_disk);
        let embedded: BTreeSet<String> = ASSETS.iter().map(|a| a.path.to_string()).collect();
        assert_eq!(embedded, on_disk, "update ASSETS in assets.rs");
    }

    #[test]
    fn every_asset_has_a_known_content_type() {
        for asset in ASSETS {
            assert_ne!(
                content_type(asset.path),
                "application/octet-stream",
                "{}",
                asset.path
            );
            assert!(!asset.bytes.is_empty(), "{} is empty", asset.path);
        }
        assert_eq!(content_type("/js/app.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("/index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("/x.bin"), "application/octet-stream");
    }

    #[test]
    fn the_page_loads_nothing_from_another_site() {
        for asset in ASSETS {
            let text = String::from_utf8_lossy(asset.bytes);
            for needle in ["https://", "http://", "//cdn", "@import url("] {
                let found = text.match_indices(needle).any(|(i, _)| {
                    // The SVG namespace is an identifier, not a download.
                    !text[i..].starts_with("http://www.w3.org/2000/svg")
                });
                assert!(!found, "{} refers to {needle}", asset.path);
            }
        }
    }
}
