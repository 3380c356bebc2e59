//! A small HTTP/1.1 server over tokio: one request per connection (`connection: close`), GET
//! and HEAD only, answers from [`Site::route`].
//!
//! It reads the request head (at most [`MAX_HEAD`] bytes, within [`READ_TIMEOUT`]) and ignores
//! any body. That is all a browser loading a static page needs, and it keeps the explorer free
//! of an HTTP framework.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::routes::{Site, text};

/// The longest request head accepted.
pub const MAX_HEAD: usize = 16 * 1024;
/// How long a client may take to send its request head.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves connections on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, site: Arc<Site>) {
    loop {
        match listener.accept().await {
            Ok((conn, peer)) => {
                let site = site.clone();
                tokio::spawn(async move {
                    if let Err(e) = answer(conn, &site).await {
                        tracing::debug!(%peer, error = %e, "connection ended early");
                    }
                });
            }
            Err(e) => {
                // Out of file descriptors, typically: wait instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Reads one request from `conn` and writes its answer.
async fn answer(mut conn: TcpStream, site: &Site) -> std::io::Result<()> {
    let head = tokio::time::timeout(READ_TIMEOUT, read_head(&mut conn)).await;
    let (response, head_only) = match head {
        Err(_) => (
            text(408, "the request head did not arrive in time\n".into()),
            false,
        ),
        Ok(Err(e)) => return Err(e),
        Ok(Ok(Head::TooLarge)) => (text(431, "the request head is too large\n".into()), false),
        Ok(Ok(Head::Malformed)) => (text(400, "not an HTTP/1.1 request\n".into()), false),
        Ok(Ok(Head::Request { method, target })) => {
            let response = site.route(&method, &target);
            tracing::debug!(%method, %target, status = response.status, "request");
            (response, method == "HEAD")
        }
    };
    conn.write_all(&site.encode(&response, head_only)).await?;
    conn.shutdown().await?;
    if response.status >= 400 {
        // Unread request bytes would make the close a reset that can destroy the answer
        // before the client reads it: drain them briefly.
        let mut sink = [0u8; 4096];
        let drain = async { while matches!(conn.read(&mut sink).await, Ok(n) if n > 0) {} };
        let _ = tokio::time::timeout(Duration::from_millis(500), drain).await;
    }
    Ok(())
}

/// What the request head held.
#[derive(Debug, PartialEq, Eq)]
enum Head {
    Request { method: String, target: String },
    Malformed,
    TooLarge,
}

async fn read_head(conn: &mut TcpStream) -> std::io::Result<Head> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(parse_request_line(&buf));
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") {
            return Ok(parse_request_line(&buf));
        }
        if buf.len() > MAX_HEAD {
            return Ok(Head::TooLarge);
        }
    }
}

/// Parses `METHOD TARGET HTTP/1.x` from the first line of `head`.
fn parse_request_line(head: &[u8]) -> Head {
    let text = String::from_utf8_lossy(head);
    let line = text.lines().next().unwrap_or("");
    let mut parts = line.split(' ');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(method), Some(target), Some(version), None)
            if version.starts_with("HTTP/1.")
                && target.starts_with('/')
                && !method.is_empty()
                && method.bytes().all(|b| b.is_ascii_uppercase()) =>
        {
            Head::Request {
                method: method.into(),
                target: target.into(),
            }
        }
        _ => Head::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RpcUrl;

    async fn start() -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let site = Site::new(&RpcUrl::parse("http://127.0.0.1:26651").unwrap());
        tokio::spawn(serve(listener, Arc::new(site)));
        addr
    }

    async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> String {
        let mut conn = TcpStream::connect(addr).await.unwrap();
        conn.write_all(request).await.unwrap();
        let mut out = String::new();
        conn.read_to_string(&mut out).await.unwrap();
        out
    }

    #[test]
    fn request_lines_are_parsed_strictly() {
        let ok = parse_request_line(b"GET /js/app.js?x=1 HTTP/1.1\r\nhost: a\r\n\r\n");
        assert_eq!(
            ok,
            Head::Request {
                method: "GET".into(),
                target: "/js/app.js?x=1".into()
            }
        );
        for bad in [
            &b""[..],
            b"GET\r\n\r\n",
            b"GET / SPDY/3\r\n\r\n",
            b"get / HTTP/1.1\r\n\r\n",
        ] {
            assert_eq!(parse_request_line(bad), Head::Malformed, "{bad:?}");
        }
    }

    #[tokio::test]
    async fn the_server_answers_pages_config_and_errors_over_tcp() {
        let addr = start().await;
        for (request, want_status, want_text) in [
            (
                &b"GET / HTTP/1.1\r\nhost: x\r\n\r\n"[..],
                "200 OK",
                "<!doctype html>",
            ),
            (
                b"GET /config.json HTTP/1.1\r\n\r\n",
                "200 OK",
                "ws://127.0.0.1:26651",
            ),
            (b"GET /style.css HTTP/1.0\r\n\r\n", "200 OK", "text/css"),
            (
                b"GET /missing HTTP/1.1\r\n\r\n",
                "404 Not Found",
                "not found: /missing",
            ),
            (
                b"DELETE / HTTP/1.1\r\n\r\n",
                "405 Method Not Allowed",
                "allow: GET, HEAD",
            ),
            (
                b"hello\r\n\r\n",
                "400 Bad Request",
                "not an HTTP/1.1 request",
            ),
        ] {
            let answer = exchange(addr, request).await;
            assert!(
                answer.starts_with(&format!("HTTP/1.1 {want_status}\r\n")),
                "{answer}"
            );
            assert!(answer.contains(want_text), "{answer}");
        }
    }

    #[tokio::test]
    async fn head_answers_without_a_body_and_huge_heads_are_refused() {
        let addr = start().await;
        let head = exchange(addr, b"HEAD / HTTP/1.1\r\n\r\n").await;
        assert!(
            head.starts_with("HTTP/1.1 200 OK") && head.ends_with("\r\n\r\n"),
            "{head}"
        );
        let mut huge = b"GET / HTTP/1.1\r\nx: ".to_vec();
        huge.extend(std::iter::repeat_n(b'a', MAX_HEAD + 10));
        let answer = exchange(addr, &huge).await;
        assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    }
}
