//! Tests of the accounts trie: the root against its definition, proofs, persistence, and the
//! changes between two versions.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;

#[derive(Debug, Clone, PartialEq)]
struct V(u64);
impl TrieValue for V {
    fn value_hash(&self) -> Hash {
        Hash::of(&[&self.0.to_be_bytes()])
    }
}

fn k(i: u64) -> Hash {
    Hash::of(&[&i.to_be_bytes()])
}

/// The root straight from the definition, over a sorted set of entries at `depth`.
fn reference_root(entries: &[(Hash, Hash)], depth: usize) -> Hash {
    match entries {
        [] => Hash::ZERO,
        [(key, v)] => leaf_hash(key, v),
        _ => {
            let split = entries.partition_point(|(key, _)| !key_bit(key, depth));
            branch_hash(
                &reference_root(&entries[..split], depth + 1),
                &reference_root(&entries[split..], depth + 1),
            )
        }
    }
}

#[test]
fn the_root_matches_the_uncompressed_definition() {
    let mut t = SparseMerkleTree::new();
    let mut entries = Vec::new();
    for i in 0..200u64 {
        t.insert(k(i), V(i));
        entries.push((k(i), V(i).value_hash()));
        entries.sort();
        assert_eq!(t.root(), reference_root(&entries, 0), "after {i}");
    }
    assert_eq!(t.len(), 200);
}

#[test]
fn keys_sharing_a_long_prefix_fold_the_skipped_levels() {
    let a = Hash([0; 32]);
    let mut b = Hash([0; 32]);
    b.0[31] = 1; // differs only at bit 255
    let mut c = Hash([0; 32]);
    c.0[0] = 0x80;
    let mut t = SparseMerkleTree::new();
    for (key, v) in [(a, 1), (b, 2), (c, 3)] {
        t.insert(key, V(v));
    }
    let mut entries = vec![
        (a, V(1).value_hash()),
        (b, V(2).value_hash()),
        (c, V(3).value_hash()),
    ];
    entries.sort();
    assert_eq!(t.root(), reference_root(&entries, 0));
    let p = t.proof(&b);
    assert_eq!(p.siblings.len(), 256);
    assert!(p.verify(&t.root(), &b, Some(&V(2).value_hash())));
}

#[test]
fn insertion_order_does_not_change_the_root() {
    let mut a = SparseMerkleTree::new();
    let mut b = SparseMerkleTree::new();
    for i in 0..50u64 {
        a.insert(k(i), V(i));
        b.insert(k(49 - i), V(49 - i));
    }
    assert_eq!(a.root(), b.root());
}

#[test]
fn removing_every_key_gives_back_the_empty_root() {
    let mut t = SparseMerkleTree::new();
    for i in 0..30u64 {
        t.insert(k(i), V(i));
    }
    let mut fewer = SparseMerkleTree::new();
    for i in 10..30u64 {
        fewer.insert(k(i), V(i));
    }
    for i in 0..10u64 {
        t.remove(&k(i));
    }
    t.remove(&k(999)); // absent: nothing changes
    assert_eq!(t.root(), fewer.root());
    for i in 10..30u64 {
        t.remove(&k(i));
    }
    assert!(t.is_empty());
    assert_eq!(t.root(), Hash::ZERO);
}

#[test]
fn a_clone_is_unchanged_by_later_updates() {
    let mut t = SparseMerkleTree::new();
    for i in 0..20u64 {
        t.insert(k(i), V(i));
    }
    let snapshot = t.clone();
    let before = snapshot.root();
    t.insert(k(3), V(333));
    t.remove(&k(4));
    assert_eq!(snapshot.root(), before);
    assert_eq!(snapshot.get(&k(3)), Some(&V(3)));
    assert_eq!(t.get(&k(3)), Some(&V(333)));
    assert_eq!(t.get(&k(4)), None);
}

#[test]
fn proofs_show_inclusion_and_exclusion() {
    let mut t = SparseMerkleTree::new();
    for i in 0..64u64 {
        t.insert(k(i), V(i));
    }
    let root = t.root();
    for i in 0..64u64 {
        let p = t.proof(&k(i));
        assert!(p.verify(&root, &k(i), Some(&V(i).value_hash())));
        assert!(!p.verify(&root, &k(i), Some(&V(i + 1).value_hash())));
        assert!(!p.verify(&root, &k(i), None));
    }
    for i in 64..200u64 {
        let p = t.proof(&k(i));
        assert!(p.verify(&root, &k(i), None), "absent key {i}");
        assert!(!p.verify(&root, &k(i), Some(&V(i).value_hash())));
    }
}

#[test]
fn a_tampered_proof_fails() {
    let mut t = SparseMerkleTree::new();
    for i in 0..16u64 {
        t.insert(k(i), V(i));
    }
    let root = t.root();
    let good = t.proof(&k(5));
    let vh = V(5).value_hash();
    for i in 0..good.siblings.len() {
        let mut p = good.clone();
        p.siblings[i].0[0] ^= 1;
        assert!(!p.verify(&root, &k(5), Some(&vh)));
    }
    let mut p = good.clone();
    p.siblings.push(Hash::ZERO);
    assert!(!p.verify(&root, &k(5), Some(&vh)));
    let mut p = good.clone();
    p.siblings.pop();
    assert!(!p.verify(&root, &k(5), Some(&vh)));
    // Another key's inclusion proof does not show this key absent.
    let other = t.proof(&k(6));
    assert!(!other.verify(&root, &k(5), None));
}

#[test]
fn the_empty_tree_proves_every_key_absent() {
    let t: SparseMerkleTree<V> = SparseMerkleTree::new();
    let p = t.proof(&k(1));
    assert!(p.siblings.is_empty());
    assert!(p.verify(&Hash::ZERO, &k(1), None));
}

#[test]
fn iteration_is_in_key_order() {
    let mut t = SparseMerkleTree::new();
    for i in 0..40u64 {
        t.insert(k(i), V(i));
    }
    let keys: Vec<Hash> = t.iter().map(|(key, _)| *key).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(keys.len(), 40);
}

#[test]
fn updates_in_place_between_roots_leave_no_stale_hash() {
    let mut t = SparseMerkleTree::new();
    for i in 0..100u64 {
        t.insert(k(i), V(i));
    }
    let snapshot = t.clone();
    let snapshot_root = snapshot.root();
    for round in 1..4u64 {
        for i in (0..100u64).step_by(round as usize + 1) {
            t.insert(k(i), V(i * 10 + round));
        }
        let mut fresh = SparseMerkleTree::new();
        for (key, v) in t.iter() {
            fresh.insert(*key, v.clone());
        }
        assert_eq!(t.root(), fresh.root(), "round {round}");
    }
    assert_eq!(snapshot.root(), snapshot_root);
    assert_eq!(snapshot.get(&k(0)), Some(&V(0)));
}

/// The keys whose value differs between two key/value maps.
fn differing(new: &BTreeMap<Hash, u64>, old: &BTreeMap<Hash, u64>) -> Vec<Hash> {
    let keys: BTreeSet<&Hash> = new.keys().chain(old.keys()).collect();
    keys.into_iter()
        .filter(|key| new.get(key) != old.get(key))
        .copied()
        .collect()
}

proptest! {
    /// `changes_since` names every key whose value changed, with both values, in key order,
    /// and nothing that was not written; whatever the writes did to the tree's shape.
    #[test]
    fn changes_since_names_what_changed(
        base in proptest::collection::vec(0u64..300, 0..120),
        writes in proptest::collection::vec((0u64..300, proptest::option::of(0u64..4)), 0..80),
    ) {
        let mut old = SparseMerkleTree::new();
        let mut old_map = BTreeMap::new();
        for i in base {
            old.insert(k(i), V(i));
            old_map.insert(k(i), i);
        }
        let mut new = old.clone();
        let mut new_map = old_map.clone();
        let mut written = BTreeSet::new();
        for (i, value) in writes {
            written.insert(k(i));
            match value {
                Some(v) => {
                    new.insert(k(i), V(v));
                    new_map.insert(k(i), v);
                }
                None => {
                    new.remove(&k(i));
                    new_map.remove(&k(i));
                }
            }
        }
        let changes = new.changes_since(&old);
        let keys: Vec<Hash> = changes.iter().map(|(key, _, _)| **key).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        prop_assert_eq!(&keys, &sorted, "in key order, each once");
        for key in differing(&new_map, &old_map) {
            prop_assert!(keys.contains(&key), "a changed key is missing");
        }
        for (key, now, before) in changes {
            prop_assert!(written.contains(key), "an unwritten key is reported");
            prop_assert_eq!(now.map(|v| v.0), new_map.get(key).copied());
            prop_assert_eq!(before.map(|v| v.0), old_map.get(key).copied());
        }
        prop_assert!(old.changes_since(&old).is_empty());
        prop_assert!(old.clone().changes_since(&old).is_empty());
    }
}
