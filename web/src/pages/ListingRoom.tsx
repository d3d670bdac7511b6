// 竞价室: a listing's terms, the public bid board and the live feed (SSE through nginx, resumed
// by the browser with Last-Event-ID), plus the bidder's own steps: 报名, 保证金, 报价, 限时竞价.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, apiUrl, download, newIdempotencyKey } from "../api";
import { auth, hasRole, login } from "../auth";
import { Badge, Facts, Field, Loading, Page, ProblemBox, useAction, useAsync } from "../components";
import { DEPOSIT_STATUS, fmtMoney, fmtTime, label, LAND_USES, LISTING_STATES, METHODS, regionName, REGISTRATION_STATUS } from "../labels";
import { useStore } from "../store";
import { stateTone } from "./Announcements";
import { addMoney, minimumNext, type Listing, type PublicBid, type Registration, type Result } from "./tradingTypes";

interface Live {
  state: string;
  current_price: string | null;
  closes_at: string | null;
  offsetMs: number; // server clock − local clock
  connected: boolean;
  bids: PublicBid[];
  lastEvent: string | null;
}

export function ListingRoomPage({ id }: { id: string }) {
  const listing = useAsync(() => api<Listing>("transactions", `/api/v1/listings/${encodeURIComponent(id)}`, { auth: false }), [id]);
  return (
    <Page title={listing.data?.title ?? "交易项目"}>
      {listing.error ? <ProblemBox problem={listing.error} onRetry={listing.reload} /> : null}
      {listing.data ? <Room listing={listing.data} reload={listing.reload} /> : listing.error ? null : <Loading />}
    </Page>
  );
}

function useLive(listing: Listing): Live {
  const [live, setLive] = useState<Live>({
    state: listing.state, current_price: listing.current_price, closes_at: listing.closes_at,
    offsetMs: new Date(listing.server_time).getTime() - Date.now(), connected: false, bids: [], lastEvent: null,
  });
  useEffect(() => {
    let stop = false;
    api<PublicBid[]>("transactions", `/api/v1/listings/${listing.id}/bids`, { auth: false }).then(
      (bids) => !stop && setLive((l) => ({ ...l, bids: mergeBids(l.bids, bids) })),
      () => undefined,
    );
    const es = new EventSource(apiUrl("transactions", `/api/v1/listings/${listing.id}/feed`));
    es.onopen = () => setLive((l) => ({ ...l, connected: true }));
    es.onerror = () => setLive((l) => ({ ...l, connected: false }));
    es.addEventListener("snapshot", (e) => {
      const d = JSON.parse((e as MessageEvent).data);
      setLive((l) => ({
        ...l, state: d.state, current_price: d.current_price, closes_at: d.closes_at,
        offsetMs: d.server_time ? new Date(d.server_time).getTime() - Date.now() : l.offsetMs, connected: true,
      }));
    });
    es.addEventListener("bid", (e) => {
      const d = JSON.parse((e as MessageEvent).data);
      setLive((l) => ({
        ...l,
        current_price: d.amount ?? l.current_price,
        closes_at: d.closes_at ?? l.closes_at,
        bids: mergeBids(l.bids, [{ seq: d.seq, bidder_number: d.bidder_number ?? null, amount: d.amount ?? null, placed_at: d.placed_at, phase: d.phase ?? "" }]),
        lastEvent: `收到报价 #${d.seq}`,
      }));
    });
    es.addEventListener("status", (e) => {
      const d = JSON.parse((e as MessageEvent).data);
      setLive((l) => ({ ...l, state: d.state, closes_at: d.closes_at ?? l.closes_at, lastEvent: `状态：${label(LISTING_STATES, d.state)}` }));
    });
    for (const kind of ["contract", "result", "unit_marked", "unit_cleared"]) {
      es.addEventListener(kind, () => setLive((l) => ({ ...l, lastEvent: kind === "result" ? "成交结果已公示" : l.lastEvent })));
    }
    return () => {
      stop = true;
      es.close();
    };
  }, [listing.id]);
  return live;
}

function mergeBids(have: PublicBid[], more: PublicBid[]): PublicBid[] {
  const bySeq = new Map(have.map((b) => [b.seq, b]));
  for (const b of more) bySeq.set(b.seq, b);
  return [...bySeq.values()].sort((a, b) => b.seq - a.seq);
}

function Countdown({ closesAt, offsetMs }: { closesAt: string | null; offsetMs: number }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, []);
  if (!closesAt) return <span class="countdown">—</span>;
  const left = Math.max(0, new Date(closesAt).getTime() - (now + offsetMs));
  const s = Math.floor(left / 1000);
  const text = s >= 86400
    ? `${Math.floor(s / 86400)} 天 ${Math.floor((s % 86400) / 3600)} 小时`
    : `${String(Math.floor(s / 3600)).padStart(2, "0")}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  return <span class="countdown" data-testid="countdown" aria-live="off">{text}</span>;
}

function Room({ listing, reload }: { listing: Listing; reload: () => void }) {
  const state = useStore(auth);
  const live = useLive(listing);
  const isBidder = hasRole(state, "bidder");
  const view = { ...listing, state: live.state, current_price: live.current_price };
  return (
    <>
      <div class="two-col">
        <div class="card">
          <p><Badge tone={stateTone(live.state)}>{label(LISTING_STATES, live.state)}</Badge> {label(METHODS, listing.method)} · {listing.right_type_label}</p>
          <p class="hint">{listing.method === "tender" ? "招标：密封报价，截止时开标" : "当前价"}</p>
          <p class="price" data-testid="current-price">{listing.method === "tender" ? "密封" : fmtMoney(live.current_price ?? listing.start_price)}</p>
          <p>距截止：<Countdown closesAt={live.closes_at} offsetMs={live.offsetMs} /></p>
          <p class="feed-status" role="status">
            {live.connected ? "实时行情已连接" : "实时行情连接中…"}{live.lastEvent ? ` · ${live.lastEvent}` : ""}
          </p>
        </div>
        <div class="card">
          <Facts items={[
            ["不动产单元", <code>{listing.unit_code}</code>],
            ["所在县区", regionName(listing.county_code)],
            ["用途", label(LAND_USES, listing.land_use)],
            ["出让年限", `${listing.term_years} 年`],
            ["起始价", fmtMoney(listing.start_price)],
            ["加价幅度", fmtMoney(listing.increment)],
            ["保证金", fmtMoney(listing.deposit)],
            ["底价", listing.no_reserve ? "无底价" : listing.reserve_price ? fmtMoney(listing.reserve_price) : "保密（截止后公布）"],
            ["报名时间", `${fmtTime(listing.registration_start)} 至 ${fmtTime(listing.registration_end)}`],
            ["保证金截止", fmtTime(listing.deposit_deadline)],
            ["挂牌期", `${fmtTime(listing.listing_start)} 至 ${fmtTime(listing.listing_end)}`],
            ["公告时间", fmtTime(listing.announcement_at)],
          ]} />
        </div>
      </div>

      {isBidder ? <BidderPanel listing={view} /> : state.status === "anonymous" ? (
        <p class="notice">竞买人请 <button type="button" class="secondary" onClick={() => login()}>登录</button> 后报名、缴纳保证金和报价。</p>
      ) : null}

      {listing.published || live.lastEvent === "成交结果已公示" ? <ResultCard id={listing.id} onLoaded={reload} /> : null}

      <div class="card">
        <h2>报价记录</h2>
        {live.bids.length === 0 ? <p class="empty">暂无报价。</p> : (
          <div class="table-wrap">
            <table data-testid="bid-board">
              <thead><tr><th class="num">序号</th><th>竞买号</th><th class="num">报价</th><th>时间（服务器）</th></tr></thead>
              <tbody>
                {live.bids.map((b) => (
                  <tr><td class="num">{b.seq}</td><td>{b.bidder_number ?? "—"}</td><td class="num">{b.amount ? fmtMoney(b.amount) : "密封"}</td><td>{fmtTime(b.placed_at)}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </>
  );
}

function ResultCard({ id }: { id: string; onLoaded: () => void }) {
  const result = useAsync(() => api<Result>("transactions", `/api/v1/listings/${id}/result`, { auth: false }), [id]);
  if (result.error || !result.data) return result.error ? <ProblemBox problem={result.error} /> : null;
  const r = result.data;
  return (
    <div class="ok-box">
      <h2>成交结果公示</h2>
      <Facts items={[
        ["成交价", fmtMoney(r.price)], ["竞得人", `${r.winner_name}（竞买号 ${r.bidder_number}）`],
        ["统一社会信用代码", r.winner_org_code ?? "—"], ["成交确认书编号", r.deal_confirmation_no],
        ["合同编号", r.contract_no], ["公示时间", fmtTime(r.published_at)],
      ]} />
    </div>
  );
}

function BidderPanel({ listing }: { listing: Listing }) {
  const [tick, setTick] = useState(0);
  const mine = useAsync(async () => {
    try {
      return await api<Registration>("transactions", `/api/v1/listings/${listing.id}/registrations/me`);
    } catch (err) {
      if (err instanceof ApiError && err.problem.status === 404) return null;
      throw err;
    }
  }, [listing.id, tick]);
  const refresh = () => setTick((t) => t + 1);
  const register = useAction(async () => {
    await api("transactions", `/api/v1/listings/${listing.id}/registrations`, { method: "POST" });
    refresh();
  });
  const pay = useAction(async (registrationId: string) => {
    await api("transactions", "/api/v1/simbank/payments", { method: "POST", body: { registration_id: registrationId } });
    refresh();
  });
  const wantContinue = useAction(async () => {
    await api("transactions", `/api/v1/listings/${listing.id}/continue`, { method: "POST" });
    refresh();
  });
  const confirmation = useAction(() => download("transactions", `/api/v1/listings/${listing.id}/deal-confirmation.pdf`, "成交确认书.pdf"));
  const reg = mine.data;
  return (
    <div class="card" data-testid="bidder-panel">
      <h2>我的竞买</h2>
      {mine.error ? <ProblemBox problem={mine.error} onRetry={mine.reload} /> : null}
      {mine.data === undefined && !mine.error ? <Loading /> : null}
      {reg === null ? (
        <>
          <p>尚未报名。</p>
          {register.problem ? <ProblemBox problem={register.problem} /> : null}
          <button type="button" disabled={register.busy} onClick={() => void register.run()}>报名</button>
        </>
      ) : null}
      {reg ? (
        <>
          <Facts items={[
            ["报名状态", label(REGISTRATION_STATUS, reg.status)],
            ["竞买号", reg.bidder_number ?? "资格审核通过后分配"],
            ["保证金", `${label(DEPOSIT_STATUS, reg.deposit_status)}${reg.deposit_amount ? `（${fmtMoney(reg.deposit_amount)}）` : ""}`],
            ["到账时间", fmtTime(reg.deposit_paid_at)],
            ["申请限时竞价", reg.wants_continue ? "是" : "否"],
          ]} />
          {reg.deposit_status === "pending" ? (
            <>
              <p class="hint">演示环境：通过模拟银行缴纳保证金（签名回调走真实的到账通知流程）。</p>
              {pay.problem ? <ProblemBox problem={pay.problem} /> : null}
              <button type="button" disabled={pay.busy} onClick={() => void pay.run(reg.id)}>缴纳保证金（模拟银行）</button>
            </>
          ) : null}
          {reg.bidder_number ? <BidForm listing={listing} /> : null}
          {reg.bidder_number && listing.method !== "tender" ? <RaiseForm listing={listing} /> : null}
          {listing.method === "listing" && reg.bidder_number && listing.state === "bidding" ? (
            <>
              {wantContinue.problem ? <ProblemBox problem={wantContinue.problem} /> : null}
              <button type="button" class="secondary" disabled={wantContinue.busy || reg.wants_continue} onClick={() => void wantContinue.run()}>
                申请参加限时竞价
              </button>
            </>
          ) : null}
          {listing.state === "concluded" ? (
            <>
              {confirmation.problem ? <ProblemBox problem={confirmation.problem} /> : null}
              <button type="button" class="secondary" onClick={() => void confirmation.run()}>下载成交确认书（竞得人）</button>
            </>
          ) : null}
        </>
      ) : null}
    </div>
  );
}

interface PlacedBid { seq: number; amount: string | null }

/** What both bid forms share: an amount that follows `suggested` (kept current by the feed) until the
 * bidder edits it, and one idempotency key per bid — a retry of the same bid reuses it. */
function useBid(listing: Listing, suggested: string, body: (amount: string) => object, done: (res: PlacedBid) => string) {
  const [amount, setAmount] = useState(suggested);
  const [accepted, setAccepted] = useState<string | null>(null);
  const key = useRef(newIdempotencyKey());
  const touched = useRef(false);
  useEffect(() => {
    if (!touched.current) setAmount(suggested);
  }, [suggested]);
  const action = useAction(async () => {
    const res = await api<PlacedBid>("transactions", `/api/v1/listings/${listing.id}/bids`, {
      method: "POST", body: body(amount), headers: { "Idempotency-Key": key.current },
    });
    setAccepted(done(res));
    key.current = newIdempotencyKey(); // next bid, next key
    touched.current = false;
  });
  const edit = (v: string) => { touched.current = true; setAmount(v); };
  const submit = (e: Event) => { e.preventDefault(); setAccepted(null); void action.run(); };
  return { amount, edit, accepted, action, submit };
}

function BidForm({ listing }: { listing: Listing }) {
  const min = minimumNext(listing);
  const bid = useBid(listing, min, (amount) => ({ amount }),
    (res) => `报价已被接受（序号 ${res.seq}${res.amount ? `，${fmtMoney(res.amount)}` : "，密封"}）`);
  return (
    <form onSubmit={bid.submit}>
      <h3>报价</h3>
      <Field label="报价金额（元）" name="amount" value={bid.amount} required inputMode="decimal" pattern="\d+(\.\d{1,2})?"
        onValue={bid.edit}
        hint={listing.method === "tender" ? "招标为密封报价，开标前任何人不可见。" : `最低可报 ${fmtMoney(min)}（当前价 + 加价幅度）；报价不可撤回。`} />
      {bid.action.problem ? <ProblemBox problem={bid.action.problem} /> : null}
      {bid.accepted ? <p class="ok-box" role="status">{bid.accepted}</p> : null}
      <button type="submit" disabled={bid.action.busy}>{bid.action.busy ? "正在提交…" : "确认报价"}</button>
    </form>
  );
}

/** 加价: the server prices the bid at the moment it is admitted, never above the bidder's limit. */
function RaiseForm({ listing }: { listing: Listing }) {
  const [steps, setSteps] = useState("1");
  const n = /^\d+$/.test(steps) ? Math.min(Math.max(Number(steps), 1), 100) : 1;
  let priced = minimumNext(listing);
  for (let i = 1; i < n; i++) priced = addMoney(priced, listing.increment);
  const raise = useBid(listing, priced, (limit) => ({ raise_steps: n, max_amount: limit }),
    (res) => `加价成功（序号 ${res.seq}，成交报价 ${res.amount ? fmtMoney(res.amount) : "—"}）`);
  return (
    <form data-testid="raise-form" onSubmit={raise.submit}>
      <h3>加价</h3>
      <Field label="加价幅度数" name="raise_steps" value={steps} required inputMode="numeric" pattern="[1-9]\d?|100"
        onValue={setSteps} hint={`按提交时的最新价格计算：当前价 + ${n} × 加价幅度（${fmtMoney(listing.increment)}）。`} />
      <Field label="最高可接受报价（元）" name="max_amount" value={raise.amount} required inputMode="decimal" pattern="\d+(\.\d{1,2})?"
        onValue={raise.edit}
        hint={`按当前价计算为 ${fmtMoney(priced)}；若他人先出价，报价随之上升，但不会超过此上限。`} />
      {raise.action.problem ? <ProblemBox problem={raise.action.problem} /> : null}
      {raise.accepted ? <p class="ok-box" role="status">{raise.accepted}</p> : null}
      <button type="submit" class="secondary" disabled={raise.action.busy}>{raise.action.busy ? "正在提交…" : "确认加价"}</button>
    </form>
  );
}
