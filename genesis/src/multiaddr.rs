//! The multiaddrs a node config holds: a TCP endpoint, `/ip4|ip6|dns|dns4|dns6/HOST/tcp/PORT`,
//! optionally followed by `/p2p/PEER_ID`.
//!
//! This is the subset Vellum's TCP transport dials and listens on; the node hands the text to
//! libp2p's own parser, which accepts it too. Checking it here lets `NodeConfig::validate` name
//! a typo before the node starts.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use libp2p_identity::PeerId;

/// Where a TCP endpoint is: an IP address or a DNS name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultiaddrHost {
    Ip(IpAddr),
    /// `protocol` is `dns`, `dns4` or `dns6`.
    Dns {
        protocol: String,
        name: String,
    },
}

/// A parsed `/ip4/HOST/tcp/PORT[/p2p/PEER_ID]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpMultiaddr {
    pub host: MultiaddrHost,
    pub port: u16,
    pub peer_id: Option<PeerId>,
}

impl TcpMultiaddr {
    pub fn new(ip: IpAddr, port: u16, peer_id: Option<PeerId>) -> TcpMultiaddr {
        TcpMultiaddr {
            host: MultiaddrHost::Ip(ip),
            port,
            peer_id,
        }
    }
}

impl fmt::Display for TcpMultiaddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            MultiaddrHost::Ip(IpAddr::V4(ip)) => write!(f, "/ip4/{ip}")?,
            MultiaddrHost::Ip(IpAddr::V6(ip)) => write!(f, "/ip6/{ip}")?,
            MultiaddrHost::Dns { protocol, name } => write!(f, "/{protocol}/{name}")?,
        }
        write!(f, "/tcp/{}", self.port)?;
        if let Some(peer) = &self.peer_id {
            write!(f, "/p2p/{peer}")?;
        }
        Ok(())
    }
}

impl FromStr for TcpMultiaddr {
    /// What is wrong, in words.
    type Err = String;

    fn from_str(text: &str) -> Result<TcpMultiaddr, String> {
        let mut parts = text
            .strip_prefix('/')
            .ok_or("a multiaddr starts with '/'")?
            .split('/');
        let host = match take(&mut parts, "the host protocol (ip4, ip6 or dns4)")? {
            "ip4" => {
                let ip = take(&mut parts, "the IPv4 address")?;
                let ip: Ipv4Addr = ip
                    .parse()
                    .map_err(|_| format!("{ip:?} is not an IPv4 address"))?;
                MultiaddrHost::Ip(ip.into())
            }
            "ip6" => {
                let ip = take(&mut parts, "the IPv6 address")?;
                let ip: Ipv6Addr = ip
                    .parse()
                    .map_err(|_| format!("{ip:?} is not an IPv6 address"))?;
                MultiaddrHost::Ip(ip.into())
            }
            protocol @ ("dns" | "dns4" | "dns6") => MultiaddrHost::Dns {
                protocol: protocol.to_string(),
                name: take(&mut parts, "the DNS name")?.to_string(),
            },
            other => {
                return Err(format!(
                    "expected /ip4, /ip6 or /dns4 first, found /{other}"
                ));
            }
        };
        match take(&mut parts, "/tcp/PORT")? {
            "tcp" => {}
            other => return Err(format!("expected /tcp after the host, found /{other}")),
        }
        let port = take(&mut parts, "the TCP port")?;
        let port: u16 = port
            .parse()
            .map_err(|_| format!("{port:?} is not a port (0-65535)"))?;
        let peer_id = match parts.next() {
            None => None,
            Some("p2p") => {
                let id = take(&mut parts, "the peer id after /p2p")?;
                Some(
                    id.parse::<PeerId>()
                        .map_err(|_| format!("{id:?} is not a libp2p peer id"))?,
                )
            }
            Some(other) => return Err(format!("unexpected /{other} after the port")),
        };
        if let Some(extra) = parts.next() {
            return Err(format!("unexpected /{extra} after the peer id"));
        }
        Ok(TcpMultiaddr {
            host,
            port,
            peer_id,
        })
    }
}

/// The next component, which must be there and not be empty.
fn take<'a>(parts: &mut impl Iterator<Item = &'a str>, what: &str) -> Result<&'a str, String> {
    parts
        .next()
        .filter(|p| !p.is_empty())
        .ok_or(format!("{what} is missing"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> PeerId {
        crate::keys::peer_id_from_seed(&[5; 32])
    }

    #[test]
    fn the_forms_a_node_uses_round_trip() {
        let with_peer = format!("/ip4/127.0.0.1/tcp/26656/p2p/{}", peer());
        for text in [
            "/ip4/127.0.0.1/tcp/26656",
            "/ip6/::1/tcp/1",
            "/dns4/validator-1.example/tcp/26656",
            with_peer.as_str(),
        ] {
            let parsed: TcpMultiaddr = text.parse().unwrap();
            assert_eq!(parsed.to_string(), text);
        }
        let parsed: TcpMultiaddr = with_peer.parse().unwrap();
        assert_eq!(parsed.peer_id, Some(peer()));
    }

    #[test]
    fn malformed_multiaddrs_say_what_is_wrong() {
        for (text, reason) in [
            ("127.0.0.1:26656", "starts with '/'"),
            ("/ip4/127.0.0.1", "/tcp/PORT is missing"),
            ("/ip4/300.0.0.1/tcp/1", "not an IPv4 address"),
            ("/ip4/127.0.0.1/udp/1", "expected /tcp"),
            ("/ip4/127.0.0.1/tcp/70000", "not a port"),
            ("/ip4/127.0.0.1/tcp/1/p2p/xyz", "not a libp2p peer id"),
            ("/ip4/127.0.0.1/tcp/1/quic", "unexpected /quic"),
            ("/unix/socket", "expected /ip4"),
        ] {
            let err = text.parse::<TcpMultiaddr>().unwrap_err();
            assert!(err.contains(reason), "{text}: {err}");
        }
    }
}
