// A small History-API router: real paths (nginx answers index.html for each), links that
// navigate without reloading, and focus moved to the main heading for keyboard/screen readers.
import type { ComponentChildren, JSX } from "preact";
import { createStore, useStore } from "./store";

export interface Location {
  path: string;
  query: URLSearchParams;
}

const current = () => ({ path: decodeURI(location.pathname), query: new URLSearchParams(location.search) });
const loc = createStore<Location>(current());

window.addEventListener("popstate", () => loc.set(current()));

export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  loc.set(current());
  window.scrollTo(0, 0);
  requestAnimationFrame(() => document.querySelector<HTMLElement>("main h1")?.focus());
}

export function useLocation(): Location {
  return useStore(loc);
}

/** Match "/verify/certificates/:ref" against a path; params are URI-decoded. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/").filter(Boolean);
  const s = path.split("/").filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(":")) params[p[i].slice(1)] = s[i];
    else if (p[i] !== s[i]) return null;
  }
  return params;
}

type LinkProps = JSX.HTMLAttributes<HTMLAnchorElement> & { href: string; children?: ComponentChildren };

export function Link({ href, children, onClick, ...rest }: LinkProps) {
  const handle = (e: JSX.TargetedMouseEvent<HTMLAnchorElement>) => {
    if (typeof onClick === "function") onClick(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    if (!href.startsWith("/") || href.startsWith("/api/")) return;
    e.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={handle} {...rest}>
      {children}
    </a>
  );
}
