"""`natres-transactions bank-pay REGISTRATION_ID [--amount A] [--url U]`: the simulated bank, over HTTP."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal

import httpx

from transactions.bidders.simbank import signed_notice
from transactions.settings import TransactionsSettings


def main(argv: list[str]) -> None:
    """Sign a deposit notice with the bank secret and POST it to the callback like a bank would."""
    parser = argparse.ArgumentParser(prog="natres-transactions bank-pay")
    parser.add_argument("listing_id")
    parser.add_argument("registration_id")
    parser.add_argument("--amount", required=True, type=Decimal, help="yuan, e.g. 200000.00")
    parser.add_argument("--url", default=None, help="service base URL (default: the local service)")
    args = parser.parse_args(argv)
    settings = TransactionsSettings()
    base = args.url or f"http://{settings.http_host}:{settings.http_port}"
    body, headers = signed_notice(secret=settings.bank_secret.encode(), listing_id=args.listing_id,
                                  registration_id=args.registration_id, amount=args.amount)
    resp = httpx.post(f"{base}/api/v1/bank/deposit-notices", content=body,
                      headers={**headers, "Content-Type": "application/json"}, timeout=20)
    print(resp.status_code, resp.text)
    sys.exit(0 if resp.status_code == 200 else 1)
