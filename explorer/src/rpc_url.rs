//! The node's RPC URL as `--rpc` gives it: checked once at start-up so a typo fails with a clear
//! message instead of a page that never connects.
//!
//! Rule: `http://HOST[:PORT][/PATH]` or `https://…`, no user info, query or fragment. The page
//! calls methods over HTTP at this URL and subscribes over WebSocket at the same address with
//! the `ws` (or `wss`) scheme, as the node serves both on one port.

use std::fmt;

use thiserror::Error;

/// A checked RPC URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcUrl {
    secure: bool,
    /// `host` or `host:port`, as given (IPv6 hosts keep their brackets).
    authority: String,
    host: String,
    port: u16,
    /// Empty, or starting with `/`.
    path: String,
}

/// Why a `--rpc` value is not a usable URL.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RpcUrlError {
    #[error("'{0}' has no scheme: write it as http://HOST:PORT, e.g. http://127.0.0.1:26651")]
    NoScheme(String),
    #[error("'{0}' uses the scheme '{1}': the node's RPC URL starts with http:// or https://")]
    Scheme(String, String),
    #[error("'{0}' has no host: write it as http://HOST:PORT, e.g. http://127.0.0.1:26651")]
    NoHost(String),
    #[error("'{0}' has the port '{1}': a port is a number from 1 to 65535")]
    Port(String, String),
    #[error("'{0}' has a character that does not belong in a host: '{1}'")]
    HostChar(String, char),
    #[error("'{0}' has a query, fragment or user name: give only http://HOST:PORT[/PATH]")]
    Extra(String),
}

impl RpcUrl {
    /// Parses and checks `text`.
    pub fn parse(text: &str) -> Result<RpcUrl, RpcUrlError> {
        let text = text.trim();
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| RpcUrlError::NoScheme(text.into()))?;
        let secure = match scheme.to_ascii_lowercase().as_str() {
            "http" => false,
            "https" => true,
            other => return Err(RpcUrlError::Scheme(text.into(), other.into())),
        };
        if rest.contains(['?', '#', '@']) {
            return Err(RpcUrlError::Extra(text.into()));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        let (host, port) = split_host_port(authority);
        if host.is_empty() || host == "[]" {
            return Err(RpcUrlError::NoHost(text.into()));
        }
        if let Some(c) = host
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "-._[]:".contains(*c)))
        {
            return Err(RpcUrlError::HostChar(text.into(), c));
        }
        let port = match port {
            None => {
                if secure {
                    443
                } else {
                    80
                }
            }
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 => n,
                _ => return Err(RpcUrlError::Port(text.into(), p.into())),
            },
        };
        Ok(RpcUrl {
            secure,
            authority: authority.to_ascii_lowercase(),
            host: host.to_ascii_lowercase(),
            port,
            path: path.into(),
        })
    }

    /// The URL for JSON-RPC calls over HTTP.
    pub fn http(&self) -> String {
        let scheme = if self.secure { "https" } else { "http" };
        format!("{scheme}://{}{}", self.authority, self.path)
    }

    /// The URL for subscriptions over WebSocket: the same address, `ws` or `wss`.
    pub fn ws(&self) -> String {
        let scheme = if self.secure { "wss" } else { "ws" };
        format!("{scheme}://{}{}", self.authority, self.path)
    }

    /// `host:port`, for a TCP reachability check.
    pub fn socket_target(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// True when the host names this machine (`localhost`, 127.0.0.0/8, `[::1]`).
    pub fn is_loopback(&self) -> bool {
        let bare = self.host.trim_start_matches('[').trim_end_matches(']');
        bare == "localhost"
            || bare
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// The origins the page may connect to (for the Content-Security-Policy).
    pub fn origins(&self) -> [String; 2] {
        let (http, ws) = if self.secure {
            ("https", "wss")
        } else {
            ("http", "ws")
        };
        [
            format!("{http}://{}", self.authority),
            format!("{ws}://{}", self.authority),
        ]
    }
}

impl fmt::Display for RpcUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.http())
    }
}

/// Splits `host:port`, `[v6]:port`, `host` or `[v6]`.
fn split_host_port(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        return match authority.find(']') {
            Some(end) => {
                let port = authority[end + 1..].strip_prefix(':');
                (&authority[..=end], port)
            }
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http_url_gives_the_same_address_over_websocket() {
        let url = RpcUrl::parse("http://127.0.0.1:26651").unwrap();
        assert_eq!(url.http(), "http://127.0.0.1:26651");
        assert_eq!(url.ws(), "ws://127.0.0.1:26651");
        assert_eq!(url.socket_target(), "127.0.0.1:26651");
        let secure = RpcUrl::parse("HTTPS://Node.Example/rpc/").unwrap();
        assert_eq!(secure.http(), "https://node.example/rpc");
        assert_eq!(secure.ws(), "wss://node.example/rpc");
        assert_eq!(secure.socket_target(), "node.example:443");
        let v6 = RpcUrl::parse("http://[::1]:8545").unwrap();
        assert_eq!(
            (v6.ws().as_str(), v6.socket_target()),
            ("ws://[::1]:8545", "[::1]:8545".into())
        );
    }

    /// The variant's name, to compare errors without their text.
    fn kind(e: &RpcUrlError) -> &'static str {
        match e {
            RpcUrlError::NoScheme(_) => "no scheme",
            RpcUrlError::Scheme(..) => "scheme",
            RpcUrlError::NoHost(_) => "no host",
            RpcUrlError::Port(..) => "port",
            RpcUrlError::HostChar(..) => "host char",
            RpcUrlError::Extra(_) => "extra",
        }
    }

    #[test]
    fn bad_urls_are_refused_with_the_reason() {
        for (text, want) in [
            ("127.0.0.1:26651", "no scheme"),
            ("ws://127.0.0.1:26651", "scheme"),
            ("http://:26651", "no host"),
            ("http://localhost:0", "port"),
            ("http://localhost:99999", "port"),
            ("http://localhost:", "port"),
            ("http://local host:1", "host char"),
            ("http://u@host:1", "extra"),
            ("http://host:1/?x", "extra"),
        ] {
            let err = RpcUrl::parse(text).unwrap_err();
            assert_eq!(kind(&err), want, "{text}: {err}");
            assert!(err.to_string().contains(text), "{err}");
        }
    }

    #[test]
    fn loopback_hosts_are_recognized() {
        for (text, want) in [
            ("http://127.0.0.1:1", true),
            ("http://localhost:1", true),
            ("http://[::1]:1", true),
            ("http://10.0.0.1:1", false),
            ("http://node.example", false),
        ] {
            assert_eq!(RpcUrl::parse(text).unwrap().is_loopback(), want, "{text}");
        }
    }

    #[test]
    fn the_page_may_connect_to_the_node_origin_only() {
        let url = RpcUrl::parse("http://10.0.0.2:9000/v1").unwrap();
        assert_eq!(
            url.origins(),
            [
                "http://10.0.0.2:9000".to_string(),
                "ws://10.0.0.2:9000".into()
            ]
        );
    }
}
