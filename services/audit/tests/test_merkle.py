"""Stored-node Merkle tree and proofs against a naive RFC 6962 §2.1 reference."""

import hashlib
import math
import random

import pytest

from audit.log import (
    EMPTY_ROOT,
    InMemoryNodeStore,
    MissingNodeError,
    append_leaves,
    consistency_proof,
    consistency_proof_ids,
    frontier_ids,
    inclusion_proof,
    inclusion_proof_ids,
    inclusion_proofs,
    leaf_hash,
    new_full_nodes,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from audit.log.merkle import subtree_ids


class Naive:
    """MTH, PATH and PROOF exactly as RFC 6962 §2.1 defines them, over leaf data."""

    def __init__(self, leaves):
        self.leaves = leaves
        self.memo = {}  # MTH(D[lo:hi]) does not depend on later leaves, so one memo serves every size

    def mth(self, lo, hi):
        key = (lo, hi)
        if key not in self.memo:
            n = hi - lo
            if n == 0:
                self.memo[key] = hashlib.sha256(b"").digest()
            elif n == 1:
                self.memo[key] = hashlib.sha256(b"\x00" + self.leaves[lo]).digest()
            else:
                k = 1 << ((n - 1).bit_length() - 1)
                self.memo[key] = hashlib.sha256(b"\x01" + self.mth(lo, lo + k) + self.mth(lo + k, hi)).digest()
        return self.memo[key]

    def path(self, m, lo, hi):
        n = hi - lo
        if n == 1:
            return []
        k = 1 << ((n - 1).bit_length() - 1)
        if m < k:
            return self.path(m, lo, lo + k) + [self.mth(lo + k, hi)]
        return self.path(m - k, lo + k, hi) + [self.mth(lo, lo + k)]

    def proof(self, m, n):
        return self.subproof(m, 0, n, True)

    def subproof(self, m, lo, hi, b):
        n = hi - lo
        if m == n:
            return [] if b else [self.mth(lo, hi)]
        k = 1 << ((n - 1).bit_length() - 1)
        if m <= k:
            return self.subproof(m, lo, lo + k, b) + [self.mth(lo + k, hi)]
        return self.subproof(m - k, lo + k, hi, False) + [self.mth(lo, lo + k)]


def flip(h, bit=0):
    return bytes([h[0] ^ (1 << bit)]) + h[1:]


def build(leaves, rng=None):
    """Append leaves in random batches (or one by one), checking each new root."""
    store, naive, size = InMemoryNodeStore(), Naive(leaves), 0
    while size < len(leaves):
        step = rng.randint(1, 300) if rng else 1
        batch = leaves[size : size + step]
        root = append_leaves(store, size, [leaf_hash(d) for d in batch])
        size += len(batch)
        assert root == naive.mth(0, size)
    return store, naive


SMALL = [f"entry {i}".encode() for i in range(70)]


@pytest.fixture(scope="module")
def small():
    return build(SMALL)


def test_empty_tree_root_is_sha256_of_nothing():
    assert root_hash(0, InMemoryNodeStore()) == EMPTY_ROOT == hashlib.sha256(b"").digest()


def test_store_holds_exactly_the_complete_subtrees(small):
    store, _ = small
    n = len(SMALL)
    expected = {(lvl, i) for lvl in range(n.bit_length()) for i in range(n >> lvl)}
    assert set(store.nodes) == expected


def test_roots_match_reference_for_every_size(small):
    store, naive = small
    for n in range(len(SMALL) + 1):
        assert root_hash(n, store) == naive.mth(0, n)


def test_inclusion_proofs_match_reference_and_verify_for_every_index_and_size(small):
    store, naive = small
    for n in range(1, len(SMALL) + 1):
        root = naive.mth(0, n)
        for i in range(n):
            proof = inclusion_proof(i, n, store)
            assert proof == naive.path(i, 0, n)
            assert verify_inclusion(leaf_hash(SMALL[i]), i, n, proof, root)


def test_consistency_proofs_match_reference_and_verify_for_every_pair(small):
    store, naive = small
    for n in range(1, len(SMALL) + 1):
        for m in range(1, n + 1):
            proof = consistency_proof(m, n, store)
            assert proof == naive.proof(m, n)
            assert verify_consistency(m, n, proof, naive.mth(0, m), naive.mth(0, n))


def test_tampered_inclusion_proofs_fail(small):
    store, naive = small
    for n in (1, 2, 3, 7, 8, 9, 33, 64, 70):
        root = naive.mth(0, n)
        for i in range(n):
            leaf, proof = leaf_hash(SMALL[i]), inclusion_proof(i, n, store)
            assert not verify_inclusion(flip(leaf), i, n, proof, root)
            assert not verify_inclusion(leaf, i, n, proof, flip(root, 5))
            for j in range(len(proof)):
                bad = list(proof)
                bad[j] = flip(bad[j], 3)
                assert not verify_inclusion(leaf, i, n, bad, root)
            assert not verify_inclusion(leaf, i, n, proof + [root], root)
            assert not verify_inclusion(leaf, i, n, [root] + proof, root)
            if proof:
                assert not verify_inclusion(leaf, i, n, proof[:-1], root)
            for wrong in {i - 1, i + 1, i ^ 2, n, -1} - {i}:
                assert not verify_inclusion(leaf, wrong, n, proof, root)
            # Not n + 1: a left-edge path can have the same shape in both trees, which is why
            # a checkpoint signs size and root together and verify_core checks them as a pair.
            for wrong_size in {n * 2, n // 2} - {n}:
                assert not verify_inclusion(leaf, i, wrong_size, proof, root)


def test_tampered_consistency_proofs_fail(small):
    store, naive = small
    for n in range(2, len(SMALL) + 1, 3):
        for m in range(1, n):
            r1, r2, proof = naive.mth(0, m), naive.mth(0, n), consistency_proof(m, n, store)
            assert not verify_consistency(m, n, [], r1, r2)
            assert not verify_consistency(m, n, proof, flip(r1), r2)
            assert not verify_consistency(m, n, proof, r1, flip(r2))
            assert not verify_consistency(m, n, proof, r2, r1)
            assert not verify_consistency(m, n, proof[:-1], r1, r2)
            assert not verify_consistency(m, n, proof + [r1], r1, r2)
            assert not verify_consistency(m, n, [proof[0]] + proof, r1, r2)
            for j in range(len(proof)):
                bad = list(proof)
                bad[j] = flip(bad[j], 4)
                assert not verify_consistency(m, n, bad, r1, r2)
            for m2, n2 in {(m - 1, n), (m + 1, n), (m ^ 2, n), (m, n * 2), (m, n // 2)} - {(m, n)}:
                if m2 > 0:
                    assert not verify_consistency(m2, n2, proof, r1, r2)


def test_consistency_edge_cases():
    h = leaf_hash(b"x")
    assert verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    assert verify_consistency(0, 5, [], EMPTY_ROOT, h)
    assert not verify_consistency(0, 5, [], h, h)  # a size-0 tree has exactly one root
    assert not verify_consistency(0, 5, [h], EMPTY_ROOT, h)
    assert verify_consistency(3, 3, [], h, h)
    assert not verify_consistency(3, 3, [], h, flip(h))  # same size, two roots = fork
    assert not verify_consistency(3, 3, [h], h, h)
    assert not verify_consistency(4, 3, [h], h, h)
    assert not verify_consistency(1, 2, [b"short"], h, h)


def test_random_batches_up_to_5000_leaves():
    rng = random.Random(6962)
    leaves = [rng.randbytes(rng.randint(0, 40)) for _ in range(5000)]
    store, naive = build(leaves, rng)
    for _ in range(300):
        n = rng.randint(1, len(leaves))
        i = rng.randrange(n)
        proof = inclusion_proof(i, n, store)
        assert proof == naive.path(i, 0, n)
        assert verify_inclusion(leaf_hash(leaves[i]), i, n, proof, naive.mth(0, n))
        m = rng.randint(1, n)
        proof = consistency_proof(m, n, store)
        assert proof == naive.proof(m, n)
        assert verify_consistency(m, n, proof, naive.mth(0, m), naive.mth(0, n))


def test_each_proof_is_one_fetch_of_at_most_two_log_n_nodes():
    store = InMemoryNodeStore()
    append_leaves(store, 0, [leaf_hash(i.to_bytes(4, "big")) for i in range(3000)])
    rng = random.Random(9162)
    for _ in range(200):
        n = rng.randint(2, 3000)
        bound = 2 * math.ceil(math.log2(n)) + 1
        i, m = rng.randrange(n), rng.randint(1, n)
        for fn, ids in (
            (lambda: inclusion_proof(i, n, store), inclusion_proof_ids(i, n)),
            (lambda: consistency_proof(m, n, store), consistency_proof_ids(m, n)),
            (lambda: root_hash(n, store), frontier_ids(n)),
        ):
            assert len(ids) <= bound
            before = store.fetches
            fn()
            assert store.fetches - before == (1 if ids else 0)


def test_a_page_of_inclusion_proofs_costs_one_fetch():
    store = InMemoryNodeStore()
    append_leaves(store, 0, [leaf_hash(bytes([i])) for i in range(200)])
    before = store.fetches
    page = inclusion_proofs(range(50, 90), 173, store)
    assert store.fetches - before == 1
    assert page == {i: inclusion_proof(i, 173, store) for i in range(50, 90)}


def test_proofs_for_an_old_size_come_from_the_grown_store(small):
    # Full nodes never change, so a checkpoint signed long ago is still provable.
    store, naive = small
    assert inclusion_proof(3, 10, store) == naive.path(3, 0, 10)
    assert consistency_proof(5, 10, store) == naive.proof(5, 10)


def test_new_full_nodes_reads_only_the_frontier():
    leaves = [leaf_hash(bytes([i])) for i in range(45)]
    store = InMemoryNodeStore()
    append_leaves(store, 0, leaves[:29])
    frontier = store.get_many(frontier_ids(29))
    assert sorted(frontier) == [(0, 28), (2, 6), (3, 2), (4, 0)]
    new = new_full_nodes(29, leaves[29:], lambda node_id: frontier[node_id])
    full = InMemoryNodeStore()
    append_leaves(full, 0, leaves)
    assert {(lvl, i): h for lvl, i, h in new} == {k: v for k, v in full.nodes.items() if k not in store.nodes}


def test_missing_nodes_are_reported_not_guessed():
    store = InMemoryNodeStore()
    append_leaves(store, 0, [leaf_hash(b"a"), leaf_hash(b"b")])
    with pytest.raises(MissingNodeError):
        inclusion_proof(0, 4, store)


def test_out_of_range_requests_are_refused(small):
    store, _ = small
    with pytest.raises(ValueError):
        inclusion_proof(5, 5, store)
    with pytest.raises(ValueError):
        consistency_proof(6, 5, store)
    with pytest.raises(ValueError):
        new_full_nodes(0, [b"short"], {})


def test_rewriting_a_stored_node_is_refused():
    store = InMemoryNodeStore()
    append_leaves(store, 0, [leaf_hash(b"a")])
    with pytest.raises(ValueError):
        store.put_many([(0, 0, leaf_hash(b"b"))])


def test_subtree_decomposition_refuses_ranges_that_are_not_tree_nodes():
    assert subtree_ids(8, 13) == [(2, 2), (0, 12)]
    for lo, hi in [(1, 3), (2, 6), (0, 0), (4, 3)]:
        with pytest.raises(ValueError):
            subtree_ids(lo, hi)
