//! The node's integration tests, in one binary: each localnet test starts `vellum-node`
//! processes on loopback ports chosen at run time, and `store_crash` runs this binary again as
//! the process it kills.
//!
//! One binary rather than one per file because each test binary of the node links RocksDB,
//! libp2p and the node with whole-program optimization, a minute or two apiece
//! (docs/ARCHITECTURE.md, "The build"). The tests take [`common::one_at_a_time`] first, so
//! they still run one after another as the separate binaries did: four validators of one
//! test already keep the two cores of the machine this is built on busy.

mod common;
mod localnet_all_restart;
mod localnet_commit;
mod localnet_kill_restart;
mod localnet_kill_under_load;
mod localnet_no_quorum;
mod localnet_stranger;
mod rpc_refusals;
mod store_crash;
