//! The accounts trie: a persistent, compressed sparse Merkle tree over 256-bit keys.
//!
//! Rule (specified in `docs/LEDGER.md`): conceptually a binary tree of depth 256 in which the
//! path to a key follows its bits, most significant bit of byte 0 first, 0 = left. A subtree
//! holding no key hashes to [`Hash::ZERO`]; a subtree holding exactly one key is that key's leaf,
//! `SHA-256(0x00 || key || value_hash)`; any other subtree hashes to
//! `SHA-256(0x01 || left || right)`. The root is therefore a function of the key/value set only.
//!
//! Storage is path-compressed: a branch node exists only where two keys diverge, and records the
//! bit at which they do. The levels it skips all have one empty side, so their hashes are folded
//! with `ZERO` when a hash is asked for. Nodes are immutable and shared through `Arc`: cloning a
//! tree is O(1), an update copies one path, and each node's hash is computed at most once
//! (`OnceLock`) and only when a root or proof is asked for, so many updates between two roots
//! hash each touched node once.

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::crypto::Hash;

/// Number of levels of the conceptual tree: one per key bit.
pub const KEY_BITS: usize = 256;

/// A value stored in the tree: only its hash enters the commitment.
pub trait TrieValue {
    fn value_hash(&self) -> Hash;
}

/// Bit `i` of `key`, most significant bit of byte 0 first.
pub fn key_bit(key: &Hash, i: usize) -> bool {
    (key.0[i / 8] >> (7 - i % 8)) & 1 == 1
}

/// The first bit at which two keys differ, or `None` when they are equal.
fn first_difference(a: &Hash, b: &Hash) -> Option<usize> {
    // Eight bytes at a time: an insert asks this at every level of its path.
    let words = |h: &Hash| -> [u64; 4] {
        std::array::from_fn(|i| u64::from_be_bytes(h.0[i * 8..i * 8 + 8].try_into().unwrap()))
    };
    let (a, b) = (words(a), words(b));
    (0..4)
        .find(|&i| a[i] != b[i])
        .map(|i| i * 64 + (a[i] ^ b[i]).leading_zeros() as usize)
}

/// `SHA-256(0x00 || key || value_hash)`.
pub fn leaf_hash(key: &Hash, value_hash: &Hash) -> Hash {
    Hash::of(&[&[0u8], &key.0, &value_hash.0])
}

/// `SHA-256(0x01 || left || right)`.
pub fn branch_hash(left: &Hash, right: &Hash) -> Hash {
    Hash::of(&[&[1u8], &left.0, &right.0])
}

/// Hash of the parent at level `level` of a subtree whose hash is `h`, on `key`'s side, with an
/// empty sibling.
fn lift(h: Hash, key: &Hash, level: usize) -> Hash {
    if key_bit(key, level) {
        branch_hash(&Hash::ZERO, &h)
    } else {
        branch_hash(&h, &Hash::ZERO)
    }
}

#[derive(Clone)]
enum Node<V> {
    Leaf {
        key: Hash,
        value: V,
        hash: OnceLock<Hash>,
    },
    /// Two non-empty subtrees whose keys share bits `0..bit` and differ at `bit`.
    Branch {
        bit: usize,
        /// Any key below: it fixes the shared prefix.
        key: Hash,
        len: usize,
        left: Arc<Node<V>>,
        right: Arc<Node<V>>,
        hash: OnceLock<Hash>,
    },
}

impl<V> Node<V> {
    fn leaf(key: Hash, value: V) -> Arc<Self> {
        Arc::new(Node::Leaf {
            key,
            value,
            hash: OnceLock::new(),
        })
    }

    fn branch(bit: usize, left: Arc<Self>, right: Arc<Self>) -> Arc<Self> {
        Arc::new(Node::Branch {
            bit,
            key: *left.key(),
            len: left.len() + right.len(),
            left,
            right,
            hash: OnceLock::new(),
        })
    }

    /// A branch over two subtrees whose keys first differ at `bit`, in bit order.
    fn join(bit: usize, a: Arc<Self>, b: Arc<Self>) -> Arc<Self> {
        if key_bit(a.key(), bit) {
            Node::branch(bit, b, a)
        } else {
            Node::branch(bit, a, b)
        }
    }

    fn key(&self) -> &Hash {
        match self {
            Node::Leaf { key, .. } | Node::Branch { key, .. } => key,
        }
    }

    fn len(&self) -> usize {
        match self {
            Node::Leaf { .. } => 1,
            Node::Branch { len, .. } => *len,
        }
    }
}

impl<V: TrieValue> Node<V> {
    /// The hash of this subtree when its top sits at conceptual depth `depth`.
    fn hash_at(&self, depth: usize) -> Hash {
        match self {
            Node::Leaf { key, value, hash } => {
                *hash.get_or_init(|| leaf_hash(key, &value.value_hash()))
            }
            Node::Branch {
                bit,
                key,
                left,
                right,
                hash,
                ..
            } => {
                let own = *hash
                    .get_or_init(|| branch_hash(&left.hash_at(bit + 1), &right.hash_at(bit + 1)));
                (depth..*bit)
                    .rev()
                    .fold(own, |h, level| lift(h, key, level))
            }
        }
    }
}

/// Sets `key` in the subtree at `node`. A node that only this tree holds (made since the last
/// clone) is changed in place; a shared one is copied first (`Arc::make_mut`), so other trees
/// never see the change. Updating many keys between two clones thus allocates each new node
/// once, not once per update. True when `key` was not in the subtree (it grew by one).
fn insert<V: Clone>(node: &mut Arc<Node<V>>, key: Hash, value: V) -> bool {
    let diverges_at = match &**node {
        Node::Leaf { key: k, .. } => first_difference(k, &key),
        // A key outside the shared prefix gets a new branch above this one.
        Node::Branch { bit, key: k, .. } => first_difference(k, &key).filter(|d| d < bit),
    };
    if let Some(d) = diverges_at {
        let old = node.clone();
        *node = Node::join(d, old, Node::leaf(key, value));
        return true;
    }
    if let Node::Leaf { .. } = **node {
        // A leaf made since the last clone (this key written before in the same block) is
        // rewritten in place: no allocation.
        match Arc::get_mut(node) {
            Some(Node::Leaf {
                value: v, hash: h, ..
            }) => {
                *v = value;
                h.take();
            }
            _ => *node = Node::leaf(key, value),
        }
        return false;
    }
    let Node::Branch {
        bit,
        left,
        right,
        len,
        hash,
        ..
    } = Arc::make_mut(node)
    else {
        unreachable!("a leaf returned above");
    };
    hash.take();
    let added = if key_bit(&key, *bit) {
        insert(right, key, value)
    } else {
        insert(left, key, value)
    };
    // Counted without reading the other side, which this update need not bring into cache.
    *len += usize::from(added);
    added
}

/// `None` when `key` is absent (nothing changes), else the subtree without it.
fn remove<V>(node: &Arc<Node<V>>, key: &Hash) -> Option<Option<Arc<Node<V>>>> {
    match &**node {
        Node::Leaf { key: k, .. } => (k == key).then_some(None),
        Node::Branch {
            bit,
            key: k,
            left,
            right,
            ..
        } => {
            if first_difference(k, key).is_some_and(|d| d < *bit) {
                return None;
            }
            let go_right = key_bit(key, *bit);
            let (child, other) = if go_right {
                (right, left)
            } else {
                (left, right)
            };
            Some(match remove(child, key)? {
                // A single remaining subtree moves up to this position.
                None => Some(other.clone()),
                Some(c) if go_right => Some(Node::branch(*bit, left.clone(), c)),
                Some(c) => Some(Node::branch(*bit, c, right.clone())),
            })
        }
    }
}

/// A persistent compressed sparse Merkle tree from 256-bit keys to values.
pub struct SparseMerkleTree<V> {
    root: Option<Arc<Node<V>>>,
}

impl<V> Clone for SparseMerkleTree<V> {
    fn clone(&self) -> Self {
        Self {
            root: self.root.clone(),
        }
    }
}

impl<V> Default for SparseMerkleTree<V> {
    fn default() -> Self {
        Self { root: None }
    }
}

impl<V> fmt::Debug for SparseMerkleTree<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SparseMerkleTree({} keys)", self.len())
    }
}

impl<V> SparseMerkleTree<V> {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn len(&self) -> usize {
        self.root.as_ref().map_or(0, |n| n.len())
    }
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }
    pub fn get(&self, key: &Hash) -> Option<&V> {
        let mut node = self.root.as_deref()?;
        loop {
            match node {
                Node::Leaf { key: k, value, .. } => return (k == key).then_some(value),
                Node::Branch {
                    bit, left, right, ..
                } => node = if key_bit(key, *bit) { right } else { left },
            }
        }
    }
    /// Sets `key` to `value`, copying only the path to it.
    pub fn insert(&mut self, key: Hash, value: V)
    where
        V: Clone,
    {
        match &mut self.root {
            Some(root) => {
                insert(root, key, value);
            }
            None => self.root = Some(Node::leaf(key, value)),
        }
    }
    pub fn remove(&mut self, key: &Hash) {
        if let Some(root) = &self.root
            && let Some(new_root) = remove(root, key)
        {
            self.root = new_root;
        }
    }
    /// Entries in key order.
    pub fn iter(&self) -> Iter<'_, V> {
        Iter {
            stack: self.root.as_deref().into_iter().collect(),
        }
    }
}

impl<V: TrieValue> SparseMerkleTree<V> {
    pub fn root(&self) -> Hash {
        self.root.as_ref().map_or(Hash::ZERO, |n| n.hash_at(0))
    }

    /// The proof that `key` holds its current value, or is absent.
    pub fn proof(&self, key: &Hash) -> SparseProof {
        let mut siblings = Vec::new();
        let mut node = self.root.as_deref();
        loop {
            let leaf = match node {
                None => None,
                Some(Node::Leaf { key, value, .. }) => Some(ProofLeaf {
                    key: *key,
                    value_hash: value.value_hash(),
                }),
                Some(
                    n @ Node::Branch {
                        bit,
                        key: prefix,
                        left,
                        right,
                        ..
                    },
                ) => {
                    let depth = siblings.len();
                    if let Some(d) = first_difference(prefix, key).filter(|d| d < bit) {
                        // `key` leaves the shared prefix at level `d`: its slot is empty.
                        debug_assert!(d >= depth);
                        siblings.resize(d, Hash::ZERO);
                        siblings.push(n.hash_at(d + 1));
                        return SparseProof {
                            siblings,
                            leaf: None,
                        };
                    }
                    siblings.resize(*bit, Hash::ZERO);
                    let (next, sibling) = if key_bit(key, *bit) {
                        (right, left)
                    } else {
                        (left, right)
                    };
                    siblings.push(sibling.hash_at(bit + 1));
                    node = Some(next);
                    continue;
                }
            };
            return SparseProof { siblings, leaf };
        }
    }
}

/// Iterator over a tree's entries in key order.
pub struct Iter<'a, V> {
    stack: Vec<&'a Node<V>>,
}

impl<V> fmt::Debug for Iter<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Iter")
    }
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a Hash, &'a V);
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.stack.pop()? {
                Node::Leaf { key, value, .. } => return Some((key, value)),
                Node::Branch { left, right, .. } => {
                    self.stack.push(right);
                    self.stack.push(left);
                }
            }
        }
    }
}

/// The leaf a proof ends at: the key's own, or another key's that occupies its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofLeaf {
    pub key: Hash,
    pub value_hash: Hash,
}

/// The path from the root to the slot where a key would be.
///
/// `siblings[i]` is the hash of the sibling subtree at level `i` (the child of the node at
/// depth `i` that is not on the key's path); the slot is at depth `siblings.len()`. The slot
/// holds `leaf`, or nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SparseProof {
    pub siblings: Vec<Hash>,
    pub leaf: Option<ProofLeaf>,
}

impl SparseProof {
    /// The root this proof implies for `key` holding `value_hash` (`None`: absent), or `None`
    /// when the proof cannot show that.
    pub fn implied_root(&self, key: &Hash, value_hash: Option<&Hash>) -> Option<Hash> {
        let depth = self.siblings.len();
        if depth > KEY_BITS {
            return None;
        }
        let slot = match (&self.leaf, value_hash) {
            (Some(l), Some(v)) if l.key == *key && l.value_hash == *v => leaf_hash(key, v),
            // Absent: another key holds the slot, so it shares the slot's path with `key`.
            (Some(l), None) if l.key != *key && shares_prefix(&l.key, key, depth) => {
                leaf_hash(&l.key, &l.value_hash)
            }
            (None, None) => Hash::ZERO,
            _ => return None,
        };
        Some(
            self.siblings
                .iter()
                .enumerate()
                .rev()
                .fold(slot, |h, (level, sibling)| {
                    if key_bit(key, level) {
                        branch_hash(sibling, &h)
                    } else {
                        branch_hash(&h, sibling)
                    }
                }),
        )
    }

    /// True when the proof shows that, under `root`, `key` holds `value_hash` (`None`: absent).
    pub fn verify(&self, root: &Hash, key: &Hash, value_hash: Option<&Hash>) -> bool {
        self.implied_root(key, value_hash).as_ref() == Some(root)
    }
}

fn shares_prefix(a: &Hash, b: &Hash, bits: usize) -> bool {
    first_difference(a, b).is_none_or(|d| d >= bits)
}

mod diff;

pub use self::diff::Change;

#[cfg(test)]
mod tests;
