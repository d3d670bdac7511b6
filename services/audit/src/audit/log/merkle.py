"""RFC 6962 / RFC 9162 Merkle hashing and the full-node storage layout."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

# The hashing itself is shared so other services can verify proofs of their own events.
from natres_platform.merkle import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash  # noqa: F401

NodeId = tuple[int, int]
"""(level, index): node (l, i) covers leaves [i * 2**l, (i + 1) * 2**l); level 0 = leaf hashes."""


class MissingNodeError(LookupError):
    """The node store lacks hashes a computation needs (storage is behind or corrupt)."""

    def __init__(self, missing: Iterable[NodeId]):
        self.missing = sorted(missing)
        super().__init__(f"node store is missing {len(self.missing)} node(s), e.g. {self.missing[:3]}")


class NodeStore(Protocol):
    """Read side of the full-node store; one call = one batched fetch (one SQL query)."""

    def get_many(self, ids: Iterable[NodeId]) -> dict[NodeId, bytes]:
        """Return the hashes of those ids that exist; absent ids are simply left out."""
        ...


class InMemoryNodeStore:
    """Dict-backed NodeStore, for tests and for assembling proofs from pre-fetched rows."""

    def __init__(self, nodes: Mapping[NodeId, bytes] | None = None):
        self.nodes: dict[NodeId, bytes] = dict(nodes or {})
        self.fetches = 0  # lets tests assert "one batched fetch per proof"

    def get_many(self, ids: Iterable[NodeId]) -> dict[NodeId, bytes]:
        """Return the stored hashes among ids."""
        self.fetches += 1
        return {i: self.nodes[i] for i in ids if i in self.nodes}

    def put_many(self, nodes: Iterable[tuple[int, int, bytes]]) -> None:
        """Insert new nodes; full nodes never change, so a differing rewrite is a bug."""
        for level, index, digest in nodes:
            old = self.nodes.setdefault((level, index), digest)
            if old != digest:
                raise ValueError(f"node {(level, index)} already stored with a different hash")

    def __len__(self) -> int:
        return len(self.nodes)


def largest_power_of_two_below(n: int) -> int:
    """The RFC 6962 split point k: the largest power of two strictly less than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_ids(lo: int, hi: int) -> list[NodeId]:
    """Full nodes composing leaves [lo, hi), largest (leftmost) first.

    Only valid for ranges that are nodes of an RFC 6962 tree: there lo is a multiple of
    the largest power of two <= hi - lo, so the binary digits of hi - lo, taken from the
    top, give aligned full subtrees.
    """
    if not 0 <= lo < hi:
        raise ValueError(f"empty or negative range [{lo}, {hi})")
    width = hi - lo
    if lo % (1 << (width.bit_length() - 1)):
        raise ValueError(f"range [{lo}, {hi}) is not a subtree of an RFC 6962 tree")
    ids: list[NodeId] = []
    pos = lo
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            ids.append((level, pos >> level))
            pos += 1 << level
    return ids


def hash_subtree(lo: int, hi: int, nodes: Mapping[NodeId, bytes]) -> bytes:
    """MTH(D[lo:hi]) from its full nodes: the RFC split puts the largest part left, so fold from the right."""
    ids = subtree_ids(lo, hi)
    acc = nodes[ids[-1]]
    for node_id in reversed(ids[:-1]):
        acc = node_hash(nodes[node_id], acc)
    return acc


def frontier_ids(size: int) -> list[NodeId]:
    """The right frontier of a tree of `size` leaves: the <= log2(size)+1 full nodes covering it."""
    return subtree_ids(0, size) if size else []


def new_full_nodes(
    size_before: int,
    leaf_hashes: list[bytes],
    get_node: Callable[[NodeId], bytes] | Mapping[NodeId, bytes],
) -> list[tuple[int, int, bytes]]:
    """Nodes completed by appending leaf_hashes to a tree of size_before leaves.

    get_node must supply the frontier_ids(size_before) hashes (a mapping or a callable);
    nothing else is read, so an append costs O(batch + log n) hashing and one fetch.
    Returns (level, index, hash) triples, leaves (level 0) included.
    """
    get = get_node.__getitem__ if isinstance(get_node, Mapping) else get_node
    # Frontier levels strictly decrease left to right, so it works as a binary counter's carry stack.
    stack = [(level, index, get((level, index))) for level, index in frontier_ids(size_before)]
    out: list[tuple[int, int, bytes]] = []
    for offset, digest in enumerate(leaf_hashes):
        if len(digest) != HASH_SIZE:
            raise ValueError(f"leaf hash {offset} is {len(digest)} bytes, want {HASH_SIZE}")
        node = (0, size_before + offset, digest)
        out.append(node)
        while stack and stack[-1][0] == node[0]:
            left = stack.pop()
            node = (node[0] + 1, left[1] >> 1, node_hash(left[2], node[2]))
            out.append(node)
        stack.append(node)
    return out


def fetch_nodes(store: NodeStore, ids: Iterable[NodeId]) -> dict[NodeId, bytes]:
    """One batched get_many for ids, failing loudly if any is missing."""
    wanted = set(ids)
    if not wanted:
        return {}
    got = store.get_many(sorted(wanted))
    missing = wanted - got.keys()
    if missing:
        raise MissingNodeError(missing)
    return got


def append_leaves(store: InMemoryNodeStore, size_before: int, leaf_hashes: list[bytes]) -> bytes:
    """Append a batch to an in-memory store and return the new root (the DB layer mirrors this)."""
    frontier = fetch_nodes(store, frontier_ids(size_before))
    new = new_full_nodes(size_before, leaf_hashes, frontier)
    store.put_many(new)
    size = size_before + len(leaf_hashes)
    if size == 0:
        return EMPTY_ROOT
    nodes = {**frontier, **{(lvl, idx): h for lvl, idx, h in new}}
    return hash_subtree(0, size, nodes)
