// Shapes of the registry API used by the pages (see services/registry/.../schemas.py).
export interface Party {
  role: string;
  name: string;
  id_type?: string;
  id_number?: string;
  share?: string | null;
  org_code?: string | null;
}

export interface Application {
  id: string;
  number: string;
  type: string;
  type_label: string;
  unit_id: string;
  status: string;
  channel: string;
  applicant_subject: string;
  applicant_name: string | null;
  parties: Party[];
  details: Record<string, unknown>;
  receiving_office: string;
  competent_office: string;
  missing_items: { kind?: string; label?: string; [k: string]: unknown }[];
  refusal_reasons: string[];
  listing_id: string | null;
  submitted_at: string;
  accepted_at: string | null;
  accepted_by: string | null;
  notice_start: string | null;
  notice_end: string | null;
  reviewed_at: string | null;
  reviewed_by: string | null;
  recorded_at: string | null;
  book_entry_id: string | null;
  certificate_id: string | null;
  time_limit_days: number | null;
  deadline: string | null;
  deadline_provisional: boolean;
  documents: { id: string; kind: string; filename: string; media_type: string; size_bytes: number; sha256: string; uploaded_at: string }[];
  history: { action?: string; from_status?: string | null; to_status?: string; actor?: string; office?: string | null; at?: string; note?: unknown; [k: string]: unknown }[];
}

export interface UnitSummary {
  id: string;
  code: string;
  kind: string;
  layer: string;
  county_code: string;
  status: string;
  area_m2: string;
  name: string | null;
}
