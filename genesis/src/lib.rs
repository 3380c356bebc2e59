//! Creates an N-validator network: keys, genesis.json and each node's config.toml; validates genesis files.
