// Runtime settings served by nginx as /config.json (rendered by deploy/local/web.sh), so one
// build serves any port layout. The defaults are the local stack's.
export type Service = "registry" | "transactions" | "audit";

export interface AppConfig {
  /** tokenEndpoint: where the browser exchanges codes and refreshes (default: same origin /oidc/token). */
  keycloak: { url: string; realm: string; clientId: string; tokenEndpoint?: string };
  publicBaseUrl: string;
  api: Record<Service, string>;
}

const DEFAULTS: AppConfig = {
  keycloak: { url: "http://127.0.0.1:18080", realm: "natres", clientId: "natres-web" },
  publicBaseUrl: location.origin,
  api: { registry: "/api/registry", transactions: "/api/transactions", audit: "/api/audit" },
};

let current: AppConfig = DEFAULTS;

export async function loadConfig(): Promise<AppConfig> {
  try {
    const resp = await fetch("/config.json", { cache: "no-store" });
    if (resp.ok && (resp.headers.get("content-type") ?? "").includes("json")) {
      const body = (await resp.json()) as Partial<AppConfig>;
      current = {
        keycloak: { ...DEFAULTS.keycloak, ...(body.keycloak ?? {}) },
        publicBaseUrl: body.publicBaseUrl ?? DEFAULTS.publicBaseUrl,
        api: { ...DEFAULTS.api, ...(body.api ?? {}) },
      };
    }
  } catch {
    // keep the defaults (e.g. `npm run dev` without a config file)
  }
  return current;
}

export function config(): AppConfig {
  return current;
}
