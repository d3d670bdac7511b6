"""Registration units: codes (GB/T 37346 and natural-resource units)."""
