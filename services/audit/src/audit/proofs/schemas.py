"""API models of inclusion and consistency proofs (hashes in standard base64)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class InclusionProofRead(BaseModel):
    """RFC 9162 §2.1.3 audit path of one entry in a tree of `tree_size` entries."""

    index: int
    tree_size: int
    leaf_hash: str = Field(description="SHA-256(0x00 ‖ RFC 8785 bytes of the event)")
    proof: list[str]
    event_id: str | None = None
    checkpoint: str | None = Field(None, description="The signed note of tree_size, when one was published")


class ConsistencyProofRead(BaseModel):
    """RFC 9162 §2.1.4 proof that the tree of new_size extends the tree of old_size."""

    old_size: int
    new_size: int
    proof: list[str]
