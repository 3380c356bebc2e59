//! TCP ports for a network's nodes: each node listens on three (p2p, rpc, metrics), all distinct.
//!
//! With a base port P, node i gets P+3i, P+3i+1 and P+3i+2, and every one is checked free by
//! binding it. Without one, the operating system picks: every port is bound on `HOST:0` and the
//! listeners stay open until all are chosen, so no two are the same. Either way the ports are
//! released before the nodes start, so another program could take one in between; the node then
//! fails to start with "address in use" and a second `init` picks again.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener};

use serde::Serialize;

/// The ports one node listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NodePorts {
    pub p2p: u16,
    pub rpc: u16,
    pub metrics: u16,
}

/// Ports per node: p2p, rpc, metrics.
pub const PORTS_PER_NODE: usize = 3;

/// Why ports could not be chosen.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    #[error(
        "--base-port {base} with {nodes} node(s) needs ports {base} to {last}, but ports run from 1 to 65535; choose a base port from 1024 to {max_base}"
    )]
    OutOfRange {
        base: u16,
        nodes: usize,
        last: usize,
        max_base: usize,
    },
    #[error(
        "port {} on {} is already in use (needed for node{node} {role}); stop the program using it, choose another --base-port, or leave --base-port out to pick free ports",
        .addr.port(), .addr.ip()
    )]
    InUse {
        addr: SocketAddr,
        node: usize,
        role: &'static str,
    },
    #[error(
        "cannot listen on {host}: it is not an address of this machine; use --host 127.0.0.1 or one of this machine's addresses"
    )]
    NotLocal { host: IpAddr },
    #[error("cannot bind {addr}: {source}")]
    Bind { addr: SocketAddr, source: io::Error },
}

/// The ports P+3i, P+3i+1, P+3i+2 for `nodes` nodes, each checked free on `host`.
pub fn ports_from_base(host: IpAddr, base: u16, nodes: usize) -> Result<Vec<NodePorts>, PortError> {
    let last = (usize::from(base) + nodes * PORTS_PER_NODE).saturating_sub(1);
    if base == 0 || last > usize::from(u16::MAX) {
        return Err(PortError::OutOfRange {
            base,
            nodes,
            last,
            max_base: (usize::from(u16::MAX) + 1).saturating_sub(nodes * PORTS_PER_NODE),
        });
    }
    let plan: Vec<NodePorts> = (0..nodes)
        .map(|i| {
            let p = base + (i * PORTS_PER_NODE) as u16;
            NodePorts {
                p2p: p,
                rpc: p + 1,
                metrics: p + 2,
            }
        })
        .collect();
    // Hold every listener until the last is bound, so the check sees the whole plan at once.
    let mut held = Vec::with_capacity(nodes * PORTS_PER_NODE);
    for (node, ports) in plan.iter().enumerate() {
        for (role, port) in roles(ports) {
            held.push(bind(SocketAddr::new(host, port), node, role)?);
        }
    }
    Ok(plan)
}

/// `nodes` × 3 distinct free ports on `host`, chosen by the operating system.
pub fn pick_free_ports(host: IpAddr, nodes: usize) -> Result<Vec<NodePorts>, PortError> {
    let mut held = Vec::with_capacity(nodes * PORTS_PER_NODE);
    let mut plan = Vec::with_capacity(nodes);
    for node in 0..nodes {
        let mut next = |role| -> Result<u16, PortError> {
            let listener = bind(SocketAddr::new(host, 0), node, role)?;
            let port = listener
                .local_addr()
                .map_err(|source| PortError::Bind {
                    addr: SocketAddr::new(host, 0),
                    source,
                })?
                .port();
            held.push(listener);
            Ok(port)
        };
        plan.push(NodePorts {
            p2p: next("p2p")?,
            rpc: next("rpc")?,
            metrics: next("metrics")?,
        });
    }
    Ok(plan)
}

fn roles(ports: &NodePorts) -> [(&'static str, u16); PORTS_PER_NODE] {
    [
        ("p2p", ports.p2p),
        ("rpc", ports.rpc),
        ("metrics", ports.metrics),
    ]
}

fn bind(addr: SocketAddr, node: usize, role: &'static str) -> Result<TcpListener, PortError> {
    TcpListener::bind(addr).map_err(|source| match source.kind() {
        io::ErrorKind::AddrInUse => PortError::InUse { addr, node, role },
        io::ErrorKind::AddrNotAvailable => PortError::NotLocal { host: addr.ip() },
        _ => PortError::Bind { addr, source },
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::net::Ipv4Addr;

    use super::*;

    const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    fn all(plan: &[NodePorts]) -> Vec<u16> {
        plan.iter()
            .flat_map(|p| roles(p).map(|(_, port)| port))
            .collect()
    }

    #[test]
    fn free_ports_are_all_distinct() {
        let plan = pick_free_ports(LOCALHOST, 7).unwrap();
        let ports = all(&plan);
        assert_eq!(ports.len(), 21);
        assert_eq!(ports.iter().collect::<BTreeSet<_>>().len(), 21);
        assert!(!ports.contains(&0));
    }

    #[test]
    fn a_base_port_plan_steps_by_three_per_node() {
        // A free port from the OS, then its plan; a neighbour taken meanwhile is a rare flake.
        let base = pick_free_ports(LOCALHOST, 1).unwrap()[0].p2p.min(60_000);
        match ports_from_base(LOCALHOST, base, 2) {
            Ok(plan) => assert_eq!(all(&plan), (base..base + 6).collect::<Vec<_>>()),
            Err(PortError::InUse { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_port_in_use_is_named_with_its_node_and_role() {
        let taken = TcpListener::bind((LOCALHOST, 0)).unwrap();
        let port = taken.local_addr().unwrap().port();
        let err = ports_from_base(LOCALHOST, port - 1, 1).unwrap_err();
        let PortError::InUse { addr, node, role } = &err else {
            panic!("{err}")
        };
        // port - 1 may itself be taken by someone else; then that one is reported.
        assert!(addr.port() == port || addr.port() == port - 1, "{err}");
        assert_eq!(*node, 0);
        assert!(addr.port() != port || *role == "rpc");
        assert!(err.to_string().contains("already in use"), "{err}");
    }

    #[test]
    fn a_plan_past_the_last_port_is_refused() {
        let err = ports_from_base(LOCALHOST, 65_530, 4).unwrap_err();
        assert!(matches!(err, PortError::OutOfRange { .. }), "{err}");
        assert!(err.to_string().contains("65524"), "{err}");
        assert!(matches!(
            ports_from_base(LOCALHOST, 0, 1).unwrap_err(),
            PortError::OutOfRange { .. }
        ));
    }
}
