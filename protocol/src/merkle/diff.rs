//! What changed between two versions of a tree: the keys whose value one of them holds and the
//! other does not hold in the same node.
//!
//! Versions made from one another share every subtree an update did not touch (a clone is the
//! same root, an update copies one path), so the walk skips each shared subtree at once
//! (`Arc::ptr_eq`) and its cost follows the changed paths, not the tree. It hashes nothing: a
//! change is a leaf that is not the same node, so a key written again with its old value is
//! reported too (callers compare values if that matters).

use std::sync::Arc;

use super::{Node, SparseMerkleTree, first_difference};
use crate::crypto::Hash;

/// One changed key: its value in the newer tree and in the older one (`None`: absent).
pub type Change<'a, V> = (&'a Hash, Option<&'a V>, Option<&'a V>);

impl<V> SparseMerkleTree<V> {
    /// The keys whose leaf differs between `self` and `older`, in key order, with their values
    /// in each.
    pub fn changes_since<'a>(&'a self, older: &'a SparseMerkleTree<V>) -> Vec<Change<'a, V>> {
        let mut out = Vec::new();
        diff(self.root.as_ref(), older.root.as_ref(), &mut out);
        out
    }
}

fn diff<'a, V>(
    new: Option<&'a Arc<Node<V>>>,
    old: Option<&'a Arc<Node<V>>>,
    out: &mut Vec<Change<'a, V>>,
) {
    match (new, old) {
        (None, None) => {}
        (Some(n), Some(o)) if Arc::ptr_eq(n, o) => {}
        (Some(n), Some(o)) => match (&**n, &**o) {
            (
                Node::Branch {
                    bit: nb,
                    key: nk,
                    left: nl,
                    right: nr,
                    ..
                },
                Node::Branch {
                    bit: ob,
                    key: ok,
                    left: ol,
                    right: or,
                    ..
                },
            ) if nb == ob && first_difference(nk, ok).is_none_or(|d| d >= *nb) => {
                // The same split of the same prefix: compare side by side.
                diff(Some(nl), Some(ol), out);
                diff(Some(nr), Some(or), out);
            }
            // The shape changed here (a key came or went): compare the leaves below.
            _ => merge(&leaves(n), &leaves(o), out),
        },
        (Some(n), None) => merge(&leaves(n), &[], out),
        (None, Some(o)) => merge(&[], &leaves(o), out),
    }
}

/// The leaves of a subtree, in key order.
fn leaves<V>(node: &Arc<Node<V>>) -> Vec<&Arc<Node<V>>> {
    let mut out = Vec::new();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match &**n {
            Node::Leaf { .. } => out.push(n),
            Node::Branch { left, right, .. } => {
                stack.push(right);
                stack.push(left);
            }
        }
    }
    out
}

fn leaf<V>(node: &Node<V>) -> (&Hash, &V) {
    match node {
        Node::Leaf { key, value, .. } => (key, value),
        Node::Branch { .. } => unreachable!("`leaves` returns leaves only"),
    }
}

/// Reports the keys of two sorted leaf lists that are not the same leaf in both.
fn merge<'a, V>(new: &[&'a Arc<Node<V>>], old: &[&'a Arc<Node<V>>], out: &mut Vec<Change<'a, V>>) {
    let (mut i, mut j) = (0, 0);
    while i < new.len() || j < old.len() {
        let n = new.get(i).map(|n| leaf(n));
        let o = old.get(j).map(|o| leaf(o));
        match (n, o) {
            (Some((nk, nv)), Some((ok, ov))) if nk == ok => {
                if !Arc::ptr_eq(new[i], old[j]) {
                    out.push((nk, Some(nv), Some(ov)));
                }
                i += 1;
                j += 1;
            }
            (Some((nk, nv)), Some((ok, _))) if nk < ok => {
                out.push((nk, Some(nv), None));
                i += 1;
            }
            (Some((nk, nv)), None) => {
                out.push((nk, Some(nv), None));
                i += 1;
            }
            (_, Some((ok, ov))) => {
                out.push((ok, None, Some(ov)));
                j += 1;
            }
            (None, None) => unreachable!("the loop runs while one list has leaves"),
        }
    }
}
