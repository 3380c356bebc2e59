//! A simulated node: the consensus core, a ledger, a "disk" that survives crashes, and the
//! host logic that executes the core's outputs in order, as the real node's driver does.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use vellum_protocol::ledger::{BlockContext, apply_block, build_block};
use vellum_protocol::state::LedgerState;
use vellum_protocol::{Block, CommitCertificate, Hash, Keypair, ValidatorSet};

use super::byzantine::{self, Behaviour};
use super::message::NetMessage;
use super::network::NodeId;
use super::rng::SimRng;
use super::workload::Workload;
use crate::{Core, CoreConfig, Evidence, Input, Output, Recovery, SafetyState, Timeout};

/// Most blocks sent in one sync response.
const SYNC_BATCH: usize = 16;

/// What survives a crash: the committed chain, the ledger state after it, the safety state
/// and, saved with it as the node's store does, its recovery and the body of the block it is
/// locked on.
#[derive(Debug, Clone)]
pub struct Disk {
    pub chain: Vec<(Arc<Block>, CommitCertificate)>,
    pub state: LedgerState,
    pub safety: SafetyState,
    pub recovery: Recovery,
    pub locked_block: Option<Arc<Block>>,
}

/// What a node asks the engine to do.
#[derive(Debug)]
pub enum Effect {
    Send {
        to: NodeId,
        msg: NetMessage,
    },
    Timer {
        at_ms: u64,
        timeout: Timeout,
    },
    /// A block was committed with `certificate`; `validators` voted on its height.
    Committed {
        height: u64,
        block: Hash,
        certificate: CommitCertificate,
        validators: ValidatorSet,
    },
    /// Call [`SimNode::start_next_height`] at `at_ms`: applying a block takes time, and a
    /// lone validator would otherwise commit forever within one instant.
    StartNextHeight {
        at_ms: u64,
    },
    Evidence(Evidence),
    /// Something only a broken node would do; recorded by the checker.
    Invalid(String),
}

/// A block body this node holds for the current height, and the state after it once valid.
#[derive(Debug)]
struct Body {
    block: Arc<Block>,
    after: Option<LedgerState>,
}

/// One simulated node.
#[derive(Debug)]
pub struct SimNode {
    pub id: NodeId,
    pub behaviour: Behaviour,
    pub disk: Disk,
    key: Keypair,
    config: CoreConfig,
    core: Core,
    bodies: HashMap<Hash, Body>,
    peers: Vec<NodeId>,
    workload: Arc<Workload>,
    rng: SimRng,
    last_sync_reply: HashMap<NodeId, (u64, u64)>,
}

impl SimNode {
    pub fn new(
        id: NodeId,
        behaviour: Behaviour,
        key: Keypair,
        config: CoreConfig,
        peers: Vec<NodeId>,
        workload: Arc<Workload>,
        rng: SimRng,
    ) -> SimNode {
        let disk = Disk {
            chain: Vec::new(),
            state: workload.genesis.clone(),
            safety: SafetyState::default(),
            recovery: Recovery::default(),
            locked_block: None,
        };
        let core = Core::new(config.clone(), Some(key.clone()), SafetyState::default());
        SimNode {
            id,
            behaviour,
            disk,
            key,
            config,
            core,
            bodies: HashMap::new(),
            peers,
            workload,
            rng,
            last_sync_reply: HashMap::new(),
        }
    }

    pub fn height(&self) -> u64 {
        self.disk.state.height()
    }

    /// Starts (or, after a crash, restarts) from what is on disk.
    pub fn start(&mut self, now_ms: u64) -> Vec<Effect> {
        if matches!(
            self.behaviour,
            Behaviour::Silent | Behaviour::VotesForEverything | Behaviour::WhispersToOne
        ) {
            return Vec::new();
        }
        self.core = Core::new(
            self.config.clone(),
            Some(self.key.clone()),
            self.disk.safety,
        );
        self.core.recover(self.disk.recovery.clone());
        self.bodies.clear();
        if let Some(block) = self.disk.locked_block.clone() {
            self.bodies
                .insert(block.hash(), Body { block, after: None });
        }
        let input = Input::StartHeight {
            height: self.height() + 1,
            validators: self.disk.state.validators().clone(),
        };
        self.feed(now_ms, input)
    }

    pub fn on_timer(&mut self, now_ms: u64, timeout: Timeout) -> Vec<Effect> {
        self.feed(now_ms, Input::Timeout(timeout))
    }

    pub fn on_message(&mut self, now_ms: u64, from: NodeId, msg: NetMessage) -> Vec<Effect> {
        match self.behaviour {
            Behaviour::Silent => return Vec::new(),
            Behaviour::VotesForEverything => {
                let NetMessage::Proposal(p, _) = msg else {
                    return Vec::new();
                };
                return byzantine::vote_for(&self.key, &p)
                    .into_iter()
                    .flat_map(|m| self.broadcast(m))
                    .collect();
            }
            Behaviour::WhispersToOne => {
                let NetMessage::Proposal(p, _) = msg else {
                    return Vec::new();
                };
                let to = self.peers[p.proposal.round as usize % self.peers.len()];
                return byzantine::vote_for(&self.key, &p)
                    .into_iter()
                    .map(|msg| Effect::Send { to, msg })
                    .collect();
            }
            _ => {}
        }
        let current = self.height() + 1;
        match msg {
            NetMessage::Proposal(p, block) => {
                let h = p.proposal.height;
                if h < current {
                    return self.help_laggard(now_ms, from, h);
                }
                // Bodies for the next height are kept too: its proposal may arrive first.
                if (h == current || h == current + 1) && block.hash() == p.proposal.block {
                    self.bodies
                        .entry(p.proposal.block)
                        .or_insert(Body { block, after: None });
                }
                self.feed(now_ms, Input::Proposal(p))
            }
            NetMessage::Vote(v) => {
                if v.vote.height < current {
                    return self.help_laggard(now_ms, from, v.vote.height);
                }
                self.feed(now_ms, Input::Vote(v))
            }
            NetMessage::SyncRequest { from_height } => self.sync_reply(from, from_height),
            NetMessage::SyncResponse(list) => {
                let mut out = Vec::new();
                for (block, cert) in list {
                    if block.height() != self.height() + 1 || block.hash() != cert.block {
                        continue;
                    }
                    match apply_block(&self.disk.state, &block, &self.workload.verifier) {
                        Ok((after, _)) => {
                            self.bodies.insert(
                                cert.block,
                                Body {
                                    block,
                                    after: Some(after),
                                },
                            );
                            out.extend(self.feed(now_ms, Input::Decided(cert)));
                        }
                        Err(_) => break,
                    }
                }
                out
            }
        }
    }

    /// A peer still works on a height this node has committed: send it the blocks it lacks,
    /// at most once per height and peer every 50 ms.
    fn help_laggard(&mut self, now_ms: u64, peer: NodeId, height: u64) -> Vec<Effect> {
        if let Some((h, at)) = self.last_sync_reply.get(&peer)
            && *h == height
            && now_ms < at + 50
        {
            return Vec::new();
        }
        self.last_sync_reply.insert(peer, (height, now_ms));
        self.sync_reply(peer, height)
    }

    fn sync_reply(&self, to: NodeId, from_height: u64) -> Vec<Effect> {
        let start = from_height.max(1) as usize - 1;
        let list: Vec<_> = self
            .disk
            .chain
            .iter()
            .skip(start)
            .take(SYNC_BATCH)
            .cloned()
            .collect();
        if list.is_empty() {
            return Vec::new();
        }
        vec![Effect::Send {
            to,
            msg: NetMessage::SyncResponse(list),
        }]
    }

    fn broadcast(&self, msg: NetMessage) -> Vec<Effect> {
        self.peers
            .iter()
            .map(|p| Effect::Send {
                to: *p,
                msg: msg.clone(),
            })
            .collect()
    }

    /// Feeds one input to the core and executes its outputs in order; outputs that answer
    /// with a new input (a built or validated block, the next height) are fed in turn.
    fn feed(&mut self, now_ms: u64, input: Input) -> Vec<Effect> {
        let mut effects = Vec::new();
        let mut inputs = VecDeque::from([input]);
        while let Some(input) = inputs.pop_front() {
            for output in self.core.step(now_ms, input) {
                self.execute(now_ms, output, &mut inputs, &mut effects);
            }
        }
        effects
    }

    fn execute(
        &mut self,
        now_ms: u64,
        output: Output,
        inputs: &mut VecDeque<Input>,
        effects: &mut Vec<Effect>,
    ) {
        match output {
            Output::PersistSafety { state, recovery } => {
                self.disk.safety = state;
                self.disk.recovery = recovery;
                self.disk.locked_block = state
                    .locked
                    .and_then(|(_, hash)| self.bodies.get(&hash))
                    .map(|b| b.block.clone());
            }
            Output::BroadcastProposal(p) => {
                let Some(body) = self.bodies.get(&p.proposal.block) else {
                    effects.push(Effect::Invalid(format!(
                        "node {} proposed block {} it does not hold",
                        self.id,
                        p.proposal.block.to_hex()
                    )));
                    return;
                };
                let block = body.block.clone();
                if self.behaviour == Behaviour::DoubleProposer {
                    for (to, msg) in byzantine::double_proposal(&self.key, &p, &block, &self.peers)
                    {
                        effects.push(Effect::Send { to, msg });
                    }
                } else {
                    effects.extend(self.broadcast(NetMessage::Proposal(p, block)));
                }
            }
            Output::BroadcastVote(v) => {
                if self.behaviour == Behaviour::DoubleVoter {
                    for (to, msg) in byzantine::double_vote(&self.key, &v, &self.peers) {
                        effects.push(Effect::Send { to, msg });
                    }
                } else {
                    effects.extend(self.broadcast(NetMessage::Vote(v)));
                }
            }
            Output::ScheduleTimeout { timeout, at_ms } => {
                effects.push(Effect::Timer { at_ms, timeout });
            }
            Output::RequestBlock { height, round } => {
                // Locked (only after a restart without the lock's proof): the locked block
                // again, as the node does.
                let locked = self.core.locked().map(|(_, hash)| hash);
                let hash = match locked.filter(|h| self.validate(*h) == Some(true)) {
                    Some(hash) => hash,
                    None => self.build(now_ms),
                };
                inputs.push_back(Input::BlockToPropose {
                    height,
                    round,
                    block: hash,
                });
            }
            Output::ValidateBlock { height, block, .. } => {
                if let Some(valid) = self.validate(block) {
                    inputs.push_back(Input::BlockValidated {
                        height,
                        block,
                        valid,
                    });
                }
            }
            Output::Commit {
                height,
                block,
                certificate,
                ..
            } => {
                self.commit(now_ms, height, block, certificate, effects);
            }
            Output::Evidence(e) => effects.push(Effect::Evidence(e)),
            Output::Behind { .. } => {
                let from_height = self.height() + 1;
                effects.extend(self.broadcast(NetMessage::SyncRequest { from_height }));
            }
        }
    }

    /// Builds the next block from the workload and holds it; returns its hash.
    fn build(&mut self, now_ms: u64) -> Hash {
        let state = &self.disk.state;
        let ctx = BlockContext {
            time_ms: now_ms.max(state.last_time_ms() + 1),
            proposer: self.key.public(),
            last_commit: self.disk.chain.last().map(|(_, c)| c.clone()),
        };
        let candidates = self.workload.candidates(state, &mut self.rng);
        let (mut block, after, _) =
            build_block(state, candidates, ctx, 64, &self.workload.verifier);
        if self.behaviour == Behaviour::InvalidBlockProposer {
            byzantine::corrupt_block(&mut block);
        }
        let hash = block.hash();
        self.bodies.insert(
            hash,
            Body {
                block: Arc::new(block),
                after: Some(after),
            },
        );
        hash
    }

    /// Runs the ledger rule on a held body; `None` while the body has not arrived.
    fn validate(&mut self, hash: Hash) -> Option<bool> {
        let body = self.bodies.get_mut(&hash)?;
        if body.after.is_some() {
            return Some(true);
        }
        match apply_block(&self.disk.state, &body.block, &self.workload.verifier) {
            Ok((after, _)) => {
                body.after = Some(after);
                Some(true)
            }
            Err(_) => Some(false),
        }
    }

    fn commit(
        &mut self,
        now_ms: u64,
        height: u64,
        hash: Hash,
        cert: CommitCertificate,
        effects: &mut Vec<Effect>,
    ) {
        let validators = self.disk.state.validators().clone();
        let after = match self.bodies.get(&hash) {
            Some(Body {
                after: Some(after), ..
            }) => after.clone(),
            Some(Body { block, after: None }) => {
                match apply_block(&self.disk.state, block, &self.workload.verifier) {
                    Ok((after, _)) => after,
                    Err(e) => {
                        effects.push(Effect::Invalid(format!(
                            "node {} committed an invalid block at height {height}: {e}",
                            self.id
                        )));
                        return;
                    }
                }
            }
            None => {
                effects.push(Effect::Invalid(format!(
                    "node {} committed height {height} without holding the block",
                    self.id
                )));
                return;
            }
        };
        let block = self.bodies.remove(&hash).expect("checked above").block;
        self.disk.chain.push((block, cert.clone()));
        self.disk.state = after;
        self.bodies.retain(|_, b| b.block.height() > height);
        effects.push(Effect::Committed {
            height,
            block: hash,
            certificate: cert,
            validators,
        });
        effects.push(Effect::StartNextHeight { at_ms: now_ms + 1 });
    }

    /// Starts consensus on the height after the last committed one.
    pub fn start_next_height(&mut self, now_ms: u64) -> Vec<Effect> {
        let input = Input::StartHeight {
            height: self.height() + 1,
            validators: self.disk.state.validators().clone(),
        };
        self.feed(now_ms, input)
    }
}
