//! What each request path answers: the page's files, `/config.json`, and 404/405 otherwise.
//! Pure (no IO), so every answer is unit-tested without a socket.
//!
//! `/config.json` is how the page learns the node's URLs:
//! `{"rpc": "http://…", "ws": "ws://…", "version": "…"}`. Every answer carries a
//! Content-Security-Policy that lets the page load only its own files and connect only to
//! itself and the node, so a memo or any other chain data can never pull in a script.

use std::borrow::Cow;

use serde_json::json;

use crate::assets;
use crate::rpc_url::RpcUrl;

/// The explorer's fixed answers, made once at start-up.
#[derive(Debug, Clone)]
pub struct Site {
    config_json: String,
    csp: String,
}

/// One HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Cow<'static, [u8]>,
    /// Headers beyond the ones every answer has.
    pub headers: Vec<(&'static str, String)>,
}

impl Site {
    pub fn new(rpc: &RpcUrl) -> Site {
        let config = json!({
            "rpc": rpc.http(),
            "ws": rpc.ws(),
            "version": env!("CARGO_PKG_VERSION"),
        });
        let [http_origin, ws_origin] = rpc.origins();
        let csp = format!(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self' {http_origin} {ws_origin}; base-uri 'none'; form-action 'none'; \
             frame-ancestors 'none'"
        );
        Site {
            config_json: config.to_string(),
            csp,
        }
    }

    /// The answer to `method target` (the target may carry a query string, which is ignored).
    pub fn route(&self, method: &str, target: &str) -> Response {
        if method != "GET" && method != "HEAD" {
            let mut r = text(405, format!("{method} is not served here: use GET\n"));
            r.headers.push(("allow", "GET, HEAD".into()));
            return r;
        }
        let path = target.split(['?', '#']).next().unwrap_or("/");
        let path = if path == "/" { "/index.html" } else { path };
        if path == "/config.json" {
            return Response {
                status: 200,
                content_type: "application/json",
                body: Cow::Owned(self.config_json.clone().into_bytes()),
                headers: Vec::new(),
            };
        }
        match assets::find(path) {
            Some(asset) => Response {
                status: 200,
                content_type: assets::content_type(asset.path),
                body: Cow::Borrowed(asset.bytes),
                headers: Vec::new(),
            },
            None => text(
                404,
                format!("not found: {path}; the explorer's page is at / (pages are #/block/…)\n"),
            ),
        }
    }

    /// The whole answer as bytes: status line, headers, and the body unless `head_only`.
    pub fn encode(&self, response: &Response, head_only: bool) -> Vec<u8> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\ncontent-type: {}\r\ncontent-length: {}\r\n\
             cache-control: no-cache\r\nx-content-type-options: nosniff\r\n\
             referrer-policy: no-referrer\r\ncontent-security-policy: {}\r\n",
            response.status,
            reason(response.status),
            response.content_type,
            response.body.len(),
            self.csp,
        );
        for (name, value) in &response.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("connection: close\r\n\r\n");
        let mut bytes = head.into_bytes();
        if !head_only {
            bytes.extend_from_slice(&response.body);
        }
        bytes
    }
}

/// A plain-text answer (errors).
pub fn text(status: u16, body: String) -> Response {
    Response {
        status,
        content_type: "text/plain; charset=utf-8",
        body: Cow::Owned(body.into_bytes()),
        headers: Vec::new(),
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        _ => "Internal Server Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        Site::new(&RpcUrl::parse("http://127.0.0.1:26651").unwrap())
    }

    #[test]
    fn the_root_is_the_page_and_files_have_their_content_types() {
        let s = site();
        let root = s.route("GET", "/");
        assert_eq!(
            (root.status, root.content_type),
            (200, "text/html; charset=utf-8")
        );
        assert!(String::from_utf8_lossy(&root.body).contains("<!doctype html>"));
        for (path, ty) in [
            ("/index.html", "text/html; charset=utf-8"),
            ("/style.css", "text/css; charset=utf-8"),
            ("/js/app.js", "text/javascript; charset=utf-8"),
            ("/js/views/dashboard.js", "text/javascript; charset=utf-8"),
            ("/favicon.svg", "image/svg+xml"),
        ] {
            let r = s.route("GET", path);
            assert_eq!((r.status, r.content_type), (200, ty), "{path}");
        }
    }

    #[test]
    fn config_json_tells_the_page_the_node_urls() {
        let r = site().route("GET", "/config.json?t=1");
        assert_eq!((r.status, r.content_type), (200, "application/json"));
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["rpc"], "http://127.0.0.1:26651");
        assert_eq!(v["ws"], "ws://127.0.0.1:26651");
    }

    #[test]
    fn unknown_paths_are_404_and_other_methods_405() {
        let s = site();
        for path in [
            "/nope",
            "/js/",
            "/../Cargo.toml",
            "/web/index.html",
            "/js/app.js/",
        ] {
            let r = s.route("GET", path);
            assert_eq!(r.status, 404, "{path}");
            assert!(String::from_utf8_lossy(&r.body).contains("not found"));
        }
        let post = s.route("POST", "/");
        assert_eq!(post.status, 405);
        assert_eq!(post.headers, vec![("allow", "GET, HEAD".to_string())]);
    }

    #[test]
    fn every_answer_has_a_length_and_a_policy_that_allows_only_the_node() {
        let s = site();
        let bytes = s.encode(&s.route("GET", "/config.json"), false);
        let text = String::from_utf8(bytes).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(head.contains(&format!("content-length: {}\r\n", body.len())));
        assert!(head.contains("connect-src 'self' http://127.0.0.1:26651 ws://127.0.0.1:26651;"));
        let head_only = s.encode(&s.route("HEAD", "/"), true);
        assert!(String::from_utf8(head_only).unwrap().ends_with("\r\n\r\n"));
    }
}
