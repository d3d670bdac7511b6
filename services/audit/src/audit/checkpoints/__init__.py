"""Checkpoints: signed tree heads (C2SP tlog-checkpoint in a signed note), published and served."""
