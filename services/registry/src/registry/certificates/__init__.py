"""Certificates: numbers, signed payloads and the PDF (一证一码)."""
