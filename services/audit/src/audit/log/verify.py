"""Pure proof verification: RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), from the shared package."""

from natres_platform.merkle import root_from_inclusion_proof, verify_consistency, verify_inclusion

__all__ = ["root_from_inclusion_proof", "verify_consistency", "verify_inclusion"]
