// The shell: header with the signed-in user (whoami), the role-shaped menu, and the routes.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { auth, login, logout, type AuthState } from "./auth";
import { ROLE_LABELS, label, regionName } from "./labels";
import { menuFor } from "./menu";
import { Link, match, useLocation } from "./router";
import { useStore } from "./store";
import { Loading, Page } from "./components";
import { HomePage } from "./pages/Home";
import { MapPage } from "./pages/MapPage";
import { VerifyPage } from "./pages/Verify";
import { AnnouncementsPage } from "./pages/Announcements";
import { ListingRoomPage } from "./pages/ListingRoom";
import { MyApplicationsPage } from "./pages/MyApplications";
import { NewApplicationPage } from "./pages/NewApplication";
import { ApplicationDetailPage } from "./pages/ApplicationDetail";
import { MyPropertyPage } from "./pages/MyProperty";
import { WorkbenchPage } from "./pages/Workbench";
import { TradingHallPage } from "./pages/TradingHall";
import { TradingAdminPage, TradingAdminListingPage } from "./pages/TradingAdmin";
import { SupervisionPage } from "./pages/Supervision";
import { AuditPage } from "./pages/Audit";
import { BookPage } from "./pages/Book";

interface Route {
  pattern: string;
  /** true: login-required (redirect to Keycloak when anonymous); false: public (check-sso). */
  login: boolean;
  render: (params: Record<string, string>) => ComponentChildren;
}

const ROUTES: Route[] = [
  { pattern: "/", login: false, render: () => <HomePage /> },
  { pattern: "/map", login: false, render: () => <MapPage /> },
  { pattern: "/verify", login: false, render: () => <VerifyPage /> },
  { pattern: "/verify/certificates/:ref", login: false, render: (p) => <VerifyPage certificateRef={p.ref} /> },
  { pattern: "/announcements", login: false, render: () => <AnnouncementsPage /> },
  { pattern: "/listings/:id", login: false, render: (p) => <ListingRoomPage id={p.id} /> },
  { pattern: "/applications", login: true, render: () => <MyApplicationsPage /> },
  { pattern: "/applications/new", login: true, render: () => <NewApplicationPage /> },
  { pattern: "/applications/:id", login: true, render: (p) => <ApplicationDetailPage id={p.id} /> },
  { pattern: "/property", login: true, render: () => <MyPropertyPage /> },
  { pattern: "/book", login: true, render: () => <BookPage /> },
  { pattern: "/workbench", login: true, render: () => <WorkbenchPage /> },
  { pattern: "/trading", login: true, render: () => <TradingHallPage /> },
  { pattern: "/trading-admin", login: true, render: () => <TradingAdminPage /> },
  { pattern: "/trading-admin/listings/:id", login: true, render: (p) => <TradingAdminListingPage id={p.id} /> },
  { pattern: "/supervision", login: true, render: () => <SupervisionPage /> },
  { pattern: "/audit", login: true, render: () => <AuditPage /> },
];

function resolve(path: string): { route: Route; params: Record<string, string> } | null {
  for (const route of ROUTES) {
    const params = match(route.pattern, path);
    if (params) return { route, params };
  }
  return null;
}

export function App() {
  const state = useStore(auth);
  const { path } = useLocation();
  const found = resolve(path);
  return (
    <>
      <a class="skip-link" href="#main">跳到主要内容</a>
      <Header state={state} path={path} />
      <main id="main" tabIndex={-1}>
        {found ? <Guard state={state} route={found.route} params={found.params} /> : <NotFound />}
      </main>
      <footer class="site-footer">
        <p>山西省自然资源厅 · 不动产与自然资源统一确权登记（一个簿、一张图、一张网）· 土地使用权和矿业权网上交易 · 全过程留痕</p>
      </footer>
    </>
  );
}

function Guard({ state, route, params }: { state: AuthState; route: Route; params: Record<string, string> }) {
  const needsLogin = route.login && state.status === "anonymous";
  useEffect(() => {
    if (needsLogin && state.status === "anonymous" && !state.error) login();
  }, [needsLogin]);
  if (!route.login) return <>{route.render(params)}</>;
  if (state.status === "loading") return <Loading text="正在确认登录状态…" />;
  if (state.status === "anonymous") {
    return (
      <Page title="需要登录">
        <p>{state.error ?? "此页面需要登录后使用，正在跳转到统一身份认证登录页…"}</p>
        <button type="button" onClick={() => login()}>登录</button>
      </Page>
    );
  }
  return <>{route.render(params)}</>;
}

function Header({ state, path }: { state: AuthState; path: string }) {
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [path]);
  const roles = state.status === "authenticated" ? state.me.roles : [];
  const items = menuFor(roles);
  return (
    <header class="site-header">
      <div class="bar">
        <Link href="/" class="brand">
          <img src="/favicon.svg" alt="" width={28} height={28} />
          <span>
            <span class="brand-name">山西省自然资源统一确权登记与交易平台</span>
            <span class="brand-sub">一个簿 · 一张图 · 一张网</span>
          </span>
        </Link>
        <button type="button" class="menu-toggle secondary" aria-expanded={open} aria-controls="site-nav"
          onClick={() => setOpen(!open)}>
          菜单
        </button>
        <div class="account" data-testid="account">
          {state.status === "loading" ? <span class="muted">正在确认登录状态…</span> : null}
          {state.status === "anonymous" ? (
            <>
              {state.error ? <span class="muted" role="status">{state.error}</span> : null}
              <button type="button" onClick={() => login()} data-testid="login">登录</button>
            </>
          ) : null}
          {state.status === "authenticated" ? (
            <>
              <div class="whoami" data-testid="whoami" aria-label="当前用户">
                <span class="whoami-name" data-testid="whoami-name">{state.me.name ?? state.me.username}</span>
                <span class="whoami-user">（{state.me.username}）</span>
                <span class="whoami-roles" data-testid="whoami-roles">
                  {state.me.roles.map((r) => label(ROLE_LABELS, r)).join("、") || "无平台角色"}
                </span>
                {state.me.region ? (
                  <span class="whoami-region" data-testid="whoami-region">办理机构：{regionName(state.me.region)}</span>
                ) : null}
                {state.me.org_code ? <span class="whoami-region">统一社会信用代码：{state.me.org_code}</span> : null}
              </div>
              <button type="button" class="secondary" onClick={logout} data-testid="logout">退出登录</button>
            </>
          ) : null}
        </div>
      </div>
      <nav id="site-nav" class={open ? "open" : ""} aria-label="主菜单">
        <ul>
          {items.map((item) => {
            const current = item.href === "/" ? path === "/" : path === item.href || path.startsWith(item.href + "/");
            return (
              <li>
                <Link href={item.href} aria-current={current ? "page" : undefined}>{item.label}</Link>
              </li>
            );
          })}
        </ul>
      </nav>
    </header>
  );
}

function NotFound() {
  return (
    <Page title="页面不存在">
      <p>您访问的页面不存在。请从菜单进入，或返回 <Link href="/">首页</Link>。</p>
    </Page>
  );
}
