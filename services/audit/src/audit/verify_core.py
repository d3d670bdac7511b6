"""Pure checks behind the offline verifier: checkpoint signatures, inclusion, consistency."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence

from audit.log.checkpoint import Checkpoint, CheckpointFormatError, open_checkpoint
from audit.log.merkle import HASH_SIZE, leaf_hash
from audit.log.note import KeyFormatError, NoteError, Verifier
from audit.log.verify import verify_consistency, verify_inclusion


class VerificationError(Exception):
    """A check failed; the message says which one, for the CLI to print."""


def decode_hash(value: str | bytes) -> bytes:
    """A 32-byte hash from raw bytes, standard base64 (44 chars) or hex (64 chars)."""
    if isinstance(value, bytes):
        raw = value
    else:
        try:
            # Lengths differ (44 vs 64), so the two text encodings cannot be confused.
            raw = bytes.fromhex(value) if len(value) == 2 * HASH_SIZE else base64.b64decode(value, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise VerificationError(f"not a hash: {value!r}") from exc
    if len(raw) != HASH_SIZE:
        raise VerificationError(f"hash must be {HASH_SIZE} bytes, got {len(raw)}")
    return raw


def decode_proof(items: Iterable[str | bytes]) -> list[bytes]:
    """A proof (list of hashes) as sent over JSON."""
    return [decode_hash(item) for item in items]


def verify_checkpoint(
    note: str | bytes, vkeys: str | Verifier | Sequence[str | Verifier], *, origin: str | None = None
) -> Checkpoint:
    """Open a signed checkpoint note with the log's verifier key(s); raise unless a known key signed it."""
    keys = [vkeys] if isinstance(vkeys, str | Verifier) else list(vkeys)
    try:
        checkpoint, _ = open_checkpoint(note, keys, origin=origin)
    except (NoteError, KeyFormatError, CheckpointFormatError) as exc:
        raise VerificationError(f"checkpoint rejected: {exc}") from exc
    return checkpoint


def check_inclusion(
    checkpoint: Checkpoint,
    index: int,
    proof: Sequence[bytes],
    *,
    leaf_data: bytes | None = None,
    leaf_hash_value: bytes | None = None,
) -> None:
    """Raise unless proof shows the entry (its leaf data or leaf hash) is leaf index under checkpoint."""
    if (leaf_data is None) == (leaf_hash_value is None):
        raise ValueError("give exactly one of leaf_data and leaf_hash_value")
    digest = leaf_hash(leaf_data) if leaf_data is not None else leaf_hash_value
    if not 0 <= index < checkpoint.size:
        raise VerificationError(f"entry {index} is not in a checkpoint of size {checkpoint.size}")
    if not verify_inclusion(digest, index, checkpoint.size, proof, checkpoint.root_hash):
        raise VerificationError(f"inclusion proof for entry {index} does not match checkpoint {checkpoint.size}")


def check_consistency(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """Raise unless the new checkpoint extends the old one (append-only, no rewritten history)."""
    if old.origin != new.origin:
        raise VerificationError(f"checkpoints are from different logs: {old.origin!r} vs {new.origin!r}")
    if new.size < old.size:
        raise VerificationError(f"new checkpoint ({new.size}) is smaller than the saved one ({old.size})")
    if not verify_consistency(old.size, new.size, proof, old.root_hash, new.root_hash):
        if old.size == new.size:
            raise VerificationError(f"two different roots for tree size {old.size}: the log has forked")
        raise VerificationError(f"consistency proof {old.size} -> {new.size} does not verify")
