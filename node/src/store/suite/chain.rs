//! A small real chain for store tests: a genesis with four validators, users, an issuer and an
//! admin, and blocks built, applied and certified by the protocol crate itself.

use std::collections::BTreeMap;

use vellum_protocol::genesis::{ConsensusParams, GenesisAccount, GenesisValidator};
use vellum_protocol::{
    Address, Amount, BlockContext, CommitCertificate, Genesis, Keypair, LedgerState, Operation,
    Receipt, SignedTransaction, Transaction, VerifyAll, Vote, VoteKind, apply_block, build_block,
};
use vellum_protocol::{Block, PublicKey, ValidatorSet};

use crate::store::{BlockCommit, ChainIdentity};

/// Opening balance of every user.
pub const USER_BALANCE: u128 = 1_000_000;

fn key(tag: u8, i: u16) -> Keypair {
    let mut seed = [tag; 32];
    seed[..2].copy_from_slice(&i.to_be_bytes());
    Keypair::from_seed(&seed)
}

pub fn address(k: &Keypair) -> Address {
    Address::from_public_key(&k.public())
}

/// A committed block with everything a store is given.
#[derive(Debug, Clone)]
pub struct Committed {
    pub block: Block,
    pub receipts: Vec<Receipt>,
    pub certificate: CommitCertificate,
    pub state: LedgerState,
}

impl Committed {
    pub fn commit(&self) -> BlockCommit<'_> {
        BlockCommit::new(&self.block, &self.receipts, &self.certificate, &self.state)
    }
}

/// A chain that grows one block at a time.
#[derive(Debug)]
pub struct TestChain {
    pub genesis: Genesis,
    pub identity: ChainIdentity,
    pub validators: Vec<Keypair>,
    pub users: Vec<Keypair>,
    pub issuer: Keypair,
    pub admin: Keypair,
    pub state: LedgerState,
    pub last_commit: Option<CommitCertificate>,
}

impl TestChain {
    /// A chain called `chain_id` with `users` funded users, at genesis.
    pub fn new(chain_id: &str, users: u16) -> TestChain {
        let validators: Vec<Keypair> = (0..4).map(|i| key(1, i)).collect();
        let users: Vec<Keypair> = (0..users).map(|i| key(2, i)).collect();
        let (issuer, admin) = (key(3, 0), key(4, 0));
        let genesis = Genesis {
            chain_id: chain_id.into(),
            genesis_time_ms: 1_000,
            decimals: 2,
            validators: validators
                .iter()
                .enumerate()
                .map(|(i, k)| GenesisValidator {
                    name: format!("v{i}"),
                    key: k.public(),
                    power: 1,
                    node_id: None,
                    p2p_address: None,
                })
                .collect(),
            issuers: vec![address(&issuer)],
            admins: vec![address(&admin)],
            accounts: users
                .iter()
                .map(|k| GenesisAccount {
                    address: address(k),
                    balance: Amount(USER_BALANCE),
                })
                .collect(),
            consensus: ConsensusParams::default(),
        };
        let state = LedgerState::from_genesis(&genesis).expect("the test genesis is valid");
        let identity = ChainIdentity {
            chain_id: chain_id.into(),
            genesis_hash: genesis.hash().expect("the test genesis is valid"),
        };
        TestChain {
            genesis,
            identity,
            validators,
            users,
            issuer,
            admin,
            state,
            last_commit: None,
        }
    }

    /// Continues a chain from a state reloaded from a store, and the certificate of its tip.
    pub fn resume(&mut self, state: LedgerState, last_commit: Option<CommitCertificate>) {
        self.state = state;
        self.last_commit = last_commit;
    }

    /// A transaction from `k` with the given nonce offset past its account's current nonce.
    pub fn tx(&self, k: &Keypair, ahead: u64, op: Operation) -> SignedTransaction {
        Transaction {
            chain_id: self.genesis.chain_id.clone(),
            sender: k.public(),
            nonce: self.state.account(&address(k)).nonce + ahead,
            expiry_ms: u64::MAX - 1,
            op,
        }
        .sign(k)
    }

    /// `n` transfers of 1 from user `i % users` to the next user, in nonce order.
    pub fn transfers(&self, n: usize) -> Vec<SignedTransaction> {
        let u = self.users.len();
        (0..n)
            .map(|i| {
                let to = address(&self.users[(i + 1) % u]);
                let op = Operation::Transfer {
                    to,
                    amount: Amount(1),
                    memo: String::new(),
                };
                self.tx(&self.users[i % u], (i / u) as u64, op)
            })
            .collect()
    }

    fn signer(&self, key: &PublicKey) -> &Keypair {
        let found = self.validators.iter().find(|k| k.public() == *key);
        found.expect("every validator of the test chain is known")
    }

    /// The certificate of `block` signed at round 0 by every validator of `voters` (each one a
    /// validator of this chain).
    pub fn certify(&self, block: &Block, voters: &ValidatorSet) -> CommitCertificate {
        let votes: Vec<_> = voters
            .validators()
            .iter()
            .map(|v| {
                let vote = Vote {
                    kind: VoteKind::Precommit,
                    height: block.height(),
                    round: 0,
                    block: Some(block.hash()),
                    validator: v.key,
                };
                vote.sign(&self.genesis.chain_id, self.signer(&v.key))
            })
            .collect();
        CommitCertificate::from_precommits(block.height(), 0, block.hash(), &votes)
    }

    /// Builds the next block of `txs`, checks it with `apply_block`, certifies it with every
    /// validator, and makes it the tip.
    pub fn next_block(&mut self, txs: Vec<SignedTransaction>) -> Committed {
        let ctx = BlockContext {
            time_ms: self.state.last_time_ms() + 1_000,
            proposer: self.state.validators().validators()[0].key,
            last_commit: self.last_commit.clone(),
        };
        let n = txs.len();
        let (block, _, receipts) = build_block(&self.state, txs, ctx, n.max(1), &VerifyAll);
        assert_eq!(
            block.txs.len(),
            n,
            "the builder left a test transaction out"
        );
        let (state, applied) = apply_block(&self.state, &block, &VerifyAll).expect("valid block");
        assert_eq!(applied, receipts);
        let certificate = self.certify(
            &block,
            state.last_validators().expect("a block was applied"),
        );
        self.state = state.clone();
        self.last_commit = Some(certificate.clone());
        Committed {
            block,
            receipts,
            certificate,
            state,
        }
    }

    /// A block with a bit of everything: transfers, a mint, a freeze, a transfer to a new
    /// account, and a transfer that is rejected (insufficient funds).
    pub fn mixed_block(&mut self) -> Committed {
        let mut sent: BTreeMap<Address, u64> = BTreeMap::new();
        let mut tx = |k: &Keypair, op: Operation| {
            let ahead = sent.entry(address(k)).or_default();
            *ahead += 1;
            self.tx(k, *ahead - 1, op)
        };
        let (u0, u1, u2) = (&self.users[0], &self.users[1], &self.users[2]);
        let newcomer = Address([0xab; 20]);
        let txs = vec![
            tx(u0, transfer(address(u1), 7)),
            tx(u1, transfer(address(u2), 8)),
            tx(u0, transfer(address(u2), 9)),
            tx(u2, transfer(newcomer, 5)),
            tx(u1, transfer(address(u0), USER_BALANCE * 10)),
            tx(
                &self.issuer,
                Operation::Mint {
                    to: address(u0),
                    amount: Amount(500),
                },
            ),
            tx(&self.admin, Operation::Freeze { account: newcomer }),
        ];
        self.next_block(txs)
    }
}

pub fn transfer(to: Address, amount: u128) -> Operation {
    Operation::Transfer {
        to,
        amount: Amount(amount),
        memo: String::new(),
    }
}
