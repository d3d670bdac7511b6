// Calls to the three APIs through this origin (/api/<service>/...), with the bearer token.
// Every failure becomes an ApiError carrying an RFC 9457 problem (the services' own, the
// gateway's, or one made here for a network failure) so pages render errors one way.
import { accessToken } from "./auth";
import { config, type Service } from "./config";

export interface Problem {
  type?: string;
  title: string;
  status?: number;
  detail?: string;
  code: string;
  instance?: string;
  trace_id?: string;
  errors?: { location?: string; message?: string; type?: string }[];
  missing_items?: unknown[];
  [key: string]: unknown;
}

export class ApiError extends Error {
  constructor(public readonly problem: Problem) {
    super(`${problem.title}：${problem.detail ?? ""} (${problem.code})`);
  }
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
  /** false: never send the token (public endpoints). */
  auth?: boolean;
  query?: Record<string, string | number | boolean | undefined | null | string[]>;
}

export function apiUrl(service: Service, path: string, query?: CallOptions["query"]): string {
  const url = new URL(config().api[service] + path, location.origin);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) v.forEach((item) => url.searchParams.append(k, item));
    else url.searchParams.set(k, String(v));
  }
  return url.pathname + url.search;
}

async function send(service: Service, path: string, opts: CallOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json, application/problem+json", ...opts.headers };
  if (opts.auth !== false) {
    const token = await accessToken();
    if (token) headers.Authorization = `Bearer ${token}`;
  }
  let body: BodyInit | undefined;
  if (opts.form) body = opts.form;
  else if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  let resp: Response;
  try {
    resp = await fetch(apiUrl(service, path, opts.query), { method: opts.method ?? "GET", headers, body });
  } catch (err) {
    throw new ApiError({
      title: "无法连接服务",
      detail: `网络请求失败：${String(err)}`,
      code: "network.unreachable",
    });
  }
  if (!resp.ok) throw new ApiError(await problemOf(resp));
  return resp;
}

async function problemOf(resp: Response): Promise<Problem> {
  const type = resp.headers.get("content-type") ?? "";
  if (type.includes("json")) {
    try {
      const body = (await resp.json()) as Partial<Problem>;
      if (body && typeof body === "object" && body.title) {
        return { ...body, title: body.title, code: body.code ?? `http.${resp.status}`, status: body.status ?? resp.status };
      }
    } catch {
      // fall through
    }
  }
  return { title: "请求失败", detail: `服务返回 HTTP ${resp.status}`, code: `http.${resp.status}`, status: resp.status };
}

export async function api<T>(service: Service, path: string, opts: CallOptions = {}): Promise<T> {
  const resp = await send(service, path, opts);
  if (resp.status === 204) return undefined as T;
  return (await resp.json()) as T;
}

/** The response body as text (signed notes, NDJSON). */
export async function apiText(service: Service, path: string, opts: CallOptions = {}): Promise<string> {
  return (await send(service, path, opts)).text();
}

/** Download a protected file (PDF, export) with the token, then hand it to the browser. */
export async function download(service: Service, path: string, filename: string, opts: CallOptions = {}): Promise<void> {
  const resp = await send(service, path, opts);
  const url = URL.createObjectURL(await resp.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
