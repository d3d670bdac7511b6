// Shapes of the transactions API (see services/transactions/.../schemas.py); money is a decimal string.
export interface Listing {
  id: string;
  title: string;
  unit_id: string;
  unit_code: string;
  county_code: string;
  right_type: string;
  right_type_label: string;
  method: string;
  land_use: string | null;
  term_years: number;
  announcement_at: string;
  registration_start: string;
  registration_end: string;
  deposit_deadline: string;
  listing_start: string;
  listing_end: string;
  bidding_start: string | null;
  start_price: string;
  increment: string;
  deposit: string;
  no_reserve: boolean;
  reserve_price: string | null;
  state: string;
  revision: number;
  unit_marked: boolean;
  current_price: string | null;
  last_seq: number;
  opens_at: string | null;
  closes_at: string | null;
  final_price: string | null;
  outcome_reason: string | null;
  published: boolean;
  server_time: string;
}

export interface ListingAdmin extends Listing {
  secret_reserve_price: string | null;
  suspended_from: string | null;
  next_action_at: string | null;
}

export interface Registration {
  id: string;
  listing_id: string;
  status: string;
  bidder_number: string | null;
  deposit_status: string;
  deposit_amount: string | null;
  deposit_paid_at: string | null;
  wants_continue: boolean;
  created_at: string;
}

export interface RegistrationAdmin extends Registration {
  bidder_subject: string;
  bidder_username: string | null;
  bidder_name: string;
  org_code: string | null;
  client_ip: string;
  bank_reference: string | null;
  qualified_by: string | null;
  qualified_at: string | null;
  reject_reason: string | null;
}

export interface PublicBid {
  seq: number;
  bidder_number: string | null;
  amount: string | null;
  placed_at: string;
  phase: string;
}

export interface Result {
  listing_id: string;
  unit_code: string;
  right_type: string;
  method: string;
  price: string;
  bidder_number: string;
  winner_name: string;
  winner_org_code: string | null;
  deal_confirmation_no: string;
  contract_no: string;
  published_at: string;
}

/** a + b for decimal strings in yuan, exact (in fen, with BigInt). */
export function addMoney(a: string, b: string): string {
  const fen = (s: string) => {
    const [i, f = ""] = s.split(".");
    return BigInt(i) * 100n + BigInt((f + "00").slice(0, 2)) * (s.startsWith("-") ? -1n : 1n);
  };
  const total = fen(a) + fen(b);
  const neg = total < 0n;
  const abs = neg ? -total : total;
  return `${neg ? "-" : ""}${abs / 100n}.${String(abs % 100n).padStart(2, "0")}`;
}

export function minimumNext(l: Pick<Listing, "current_price" | "start_price" | "increment">): string {
  return l.current_price === null ? l.start_price : addMoney(l.current_price, l.increment);
}

export const OPEN_STATES = ["announced", "registration", "bidding", "timed_bidding", "suspended"];
