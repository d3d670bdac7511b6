"""登记簿: append-only versions of each unit's rights state."""
