// Login through Keycloak (realm natres, public client natres-web): authorization code + PKCE
// S256. Public routes use check-sso (a silent iframe, no redirect); protected routes call
// requireLogin(), which redirects to the Keycloak login form and back. Tokens stay in memory.
import Keycloak from "keycloak-js";
import { config } from "./config";
import { createStore } from "./store";

export interface Me {
  subject: string;
  username: string | null;
  name: string | null;
  roles: string[];
  region: string | null;
  org_code: string | null;
  /** "api": verified by the registry's /whoami; "token": read from the token (API unreachable). */
  source: "api" | "token";
}

export type AuthState =
  | { status: "loading" }
  | { status: "anonymous"; error?: string }
  | { status: "authenticated"; me: Me };

export const auth = createStore<AuthState>({ status: "loading" });

let kc: Keycloak | null = null;
const PLATFORM_ROLES = new Set([
  "citizen", "enterprise", "registrar", "reviewer", "trading_admin", "bidder", "supervisor", "auditor", "admin",
]);

export async function initAuth(fetchWhoami: () => Promise<Omit<Me, "source">>): Promise<void> {
  const cfg = config().keycloak;
  const realm = `${cfg.url.replace(/\/$/, "")}/realms/${cfg.realm}/protocol/openid-connect`;
  // The OIDC endpoints spelled out: the token endpoint is nginx's same-origin /oidc/token (no
  // CORS needed); the browser goes to Keycloak itself for login, logout and check-sso.
  kc = new Keycloak({
    clientId: cfg.clientId,
    oidcProvider: {
      authorization_endpoint: `${realm}/auth`,
      token_endpoint: cfg.tokenEndpoint ?? `${location.origin}/oidc/token`,
      end_session_endpoint: `${realm}/logout`,
      userinfo_endpoint: `${realm}/userinfo`,
    },
  });
  kc.onTokenExpired = () => {
    kc?.updateToken(30).catch(() => auth.set({ status: "anonymous", error: "登录已过期，请重新登录" }));
  };
  let authenticated = false;
  try {
    authenticated = await kc.init({
      onLoad: "check-sso",
      pkceMethod: "S256",
      silentCheckSsoRedirectUri: `${location.origin}/silent-check-sso.html`,
      checkLoginIframe: false,
      messageReceiveTimeout: 8000,
      locale: "zh-CN",
    });
  } catch (err) {
    auth.set({ status: "anonymous", error: "统一身份认证服务暂不可用，公开页面仍可使用" });
    console.warn("keycloak init failed", err);
    return;
  }
  if (!authenticated) {
    auth.set({ status: "anonymous" });
    return;
  }
  try {
    const who = await fetchWhoami();
    auth.set({
      status: "authenticated",
      me: { ...who, name: displayName() ?? who.name, roles: who.roles.filter((r) => PLATFORM_ROLES.has(r)).sort(), source: "api" },
    });
  } catch {
    auth.set({ status: "authenticated", me: meFromToken() });
  }
}

/** Chinese order, family name first (张伟): the token's `name` claim is "given family". */
function displayName(): string | null {
  const t = (kc?.tokenParsed ?? {}) as Record<string, unknown>;
  const family = typeof t.family_name === "string" ? t.family_name : "";
  const given = typeof t.given_name === "string" ? t.given_name : "";
  if (family && given && /[\u3400-\u9fff]/.test(family + given)) return family + given;
  return null;
}

function meFromToken(): Me {
  const t = (kc?.tokenParsed ?? {}) as Record<string, unknown>;
  const roles = ((t.realm_access as { roles?: string[] } | undefined)?.roles ?? []).filter((r) => PLATFORM_ROLES.has(r));
  return {
    subject: String(t.sub ?? ""),
    username: (t.preferred_username as string) ?? null,
    name: displayName() ?? (t.name as string) ?? null,
    roles: roles.sort(),
    region: (t.region as string) ?? null,
    org_code: (t.org_code as string) ?? null,
    source: "token",
  };
}

/** A fresh access token (refreshed when under 30 s left), or null when not logged in. */
export async function accessToken(): Promise<string | null> {
  if (!kc?.authenticated) return null;
  try {
    await kc.updateToken(30);
  } catch {
    auth.set({ status: "anonymous", error: "登录已过期，请重新登录" });
    return null;
  }
  return kc.token ?? null;
}

export function login(redirectPath?: string): void {
  const target = redirectPath ? new URL(redirectPath, location.origin).href : location.href;
  void kc?.login({ redirectUri: target, locale: "zh-CN" });
}

export function logout(): void {
  auth.set({ status: "loading" });
  void kc?.logout({ redirectUri: `${location.origin}/` });
}

export function hasRole(state: AuthState, ...roles: string[]): boolean {
  return state.status === "authenticated" && roles.some((r) => state.me.roles.includes(r));
}
