"""Root hashes and RFC 9162 inclusion / consistency proofs assembled from stored full nodes."""

from __future__ import annotations

from collections.abc import Iterable

from audit.log.merkle import (
    EMPTY_ROOT,
    NodeId,
    NodeStore,
    fetch_nodes,
    frontier_ids,
    hash_subtree,
    largest_power_of_two_below,
    subtree_ids,
)

Range = tuple[int, int]


def _ids_for(ranges: Iterable[Range]) -> list[NodeId]:
    # Proof ranges are disjoint subtrees, so their full nodes never repeat.
    return [node_id for lo, hi in ranges for node_id in subtree_ids(lo, hi)]


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """Leaf ranges whose MTH form PATH(index, D[size]) (RFC 9162 §2.1.3.1), in proof order."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} outside tree of size {size}")
    ranges: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = largest_power_of_two_below(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    # Walked top-down; the proof lists the deepest sibling first.
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """Leaf ranges whose MTH form PROOF(old_size, D[new_size]) (RFC 9162 §2.1.4.1), in proof order."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to {new_size}")
    if old_size in (0, new_size):
        return []
    ranges: list[Range] = []
    m, lo, hi, complete = old_size, 0, new_size, True
    while m != hi - lo:
        k = largest_power_of_two_below(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            m -= k
            lo += k
            complete = False
    # SUBPROOF(m, D[m], false) contributes MTH(D[m]); when b is still true the verifier has it already.
    if not complete:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def root_hash_ids(size: int) -> list[NodeId]:
    """Node ids root_hash(size) reads."""
    return frontier_ids(size)


def inclusion_proof_ids(index: int, size: int) -> list[NodeId]:
    """Node ids inclusion_proof(index, size) reads: at most about 2·log2(size)."""
    return _ids_for(inclusion_ranges(index, size))


def inclusion_proofs_ids(indices: Iterable[int], size: int) -> list[NodeId]:
    """Node ids for a page of inclusion proofs against one tree size, deduplicated."""
    return sorted({node_id for i in indices for node_id in inclusion_proof_ids(i, size)})


def consistency_proof_ids(old_size: int, new_size: int) -> list[NodeId]:
    """Node ids consistency_proof(old_size, new_size) reads: at most about 2·log2(new_size)."""
    return _ids_for(consistency_ranges(old_size, new_size))


def root_hash(size: int, store: NodeStore) -> bytes:
    """MTH(D[size]) from at most log2(size)+1 stored nodes, one fetch."""
    if size == 0:
        return EMPTY_ROOT
    return hash_subtree(0, size, fetch_nodes(store, root_hash_ids(size)))


def inclusion_proof(index: int, size: int, store: NodeStore) -> list[bytes]:
    """PATH(index, D[size]): the audit path of leaf `index` in the tree of `size` leaves."""
    ranges = inclusion_ranges(index, size)
    nodes = fetch_nodes(store, _ids_for(ranges))
    return [hash_subtree(lo, hi, nodes) for lo, hi in ranges]


def inclusion_proofs(indices: Iterable[int], size: int, store: NodeStore) -> dict[int, list[bytes]]:
    """Audit paths for many leaves against one tree size with a single fetch (for paged exports)."""
    wanted = sorted(set(indices))
    per_leaf = {i: inclusion_ranges(i, size) for i in wanted}
    nodes = fetch_nodes(store, {n for ranges in per_leaf.values() for n in _ids_for(ranges)})
    return {i: [hash_subtree(lo, hi, nodes) for lo, hi in ranges] for i, ranges in per_leaf.items()}


def consistency_proof(old_size: int, new_size: int, store: NodeStore) -> list[bytes]:
    """PROOF(old_size, D[new_size]); empty when old_size is 0 or equals new_size."""
    ranges = consistency_ranges(old_size, new_size)
    nodes = fetch_nodes(store, _ids_for(ranges))
    return [hash_subtree(lo, hi, nodes) for lo, hi in ranges]
