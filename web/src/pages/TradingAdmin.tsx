// 交易管理 (trading_admin): create listings (the service checks every trading rule at once),
// announce, qualify bidders, suspend / resume / terminate, record the contract, publish the result.
import { useState } from "preact/hooks";
import { api } from "../api";
import { AsyncView, Badge, Facts, Field, Page, ProblemBox, SelectField, TextArea, useAction, useAsync } from "../components";
import { DEPOSIT_STATUS, fmtMoney, fmtTime, label, LAND_USES, LISTING_STATES, METHODS, REGISTRATION_STATUS } from "../labels";
import { navigate } from "../router";
import { ListingTable, stateTone } from "./Announcements";
import type { ListingAdmin, Listing, RegistrationAdmin } from "./tradingTypes";

const RIGHTS: Record<string, string> = {
  state_construction_land_use: "国有建设用地使用权",
  collective_commercial_construction_land_use: "集体经营性建设用地使用权",
  exploration_right: "探矿权",
  mining_right: "采矿权",
};

/** A datetime-local value read as Beijing time (the platform's local time) → RFC 3339. */
export function beijing(value: string): string | undefined {
  if (!value) return undefined;
  return `${value.length === 16 ? `${value}:00` : value}+08:00`;
}

export function TradingAdminPage() {
  const list = useAsync(() => api<Listing[]>("transactions", "/api/v1/listings", { query: { limit: 200 } }), []);
  return (
    <Page title="交易管理" intro="创建出让项目（草稿）时，平台一次性检查全部交易规则：公告期、挂牌期、矿业权合格竞买人数等。">
      <CreateListing />
      <h2>全部项目</h2>
      <AsyncView value={list}>{(rows) => <ListingTable rows={rows} linkTo={(l) => `/trading-admin/listings/${l.id}`} />}</AsyncView>
    </Page>
  );
}

function CreateListing() {
  const [f, setF] = useState<Record<string, string>>({
    right_type: "state_construction_land_use", method: "listing", land_use: "industrial", term_years: "50", no_reserve: "",
  });
  const set = (k: string) => (v: string) => setF({ ...f, [k]: v });
  const create = useAction(async () => {
    const body = {
      title: f.title, unit_id: f.unit_id, right_type: f.right_type, method: f.method,
      land_use: f.right_type.includes("construction") ? f.land_use || undefined : undefined,
      term_years: Number(f.term_years),
      announcement_at: beijing(f.announcement_at), registration_start: beijing(f.registration_start),
      registration_end: beijing(f.registration_end), deposit_deadline: beijing(f.deposit_deadline),
      listing_start: beijing(f.listing_start), listing_end: beijing(f.listing_end),
      bidding_start: beijing(f.bidding_start ?? ""),
      start_price: f.start_price, increment: f.increment, deposit: f.deposit,
      reserve_price: f.no_reserve ? undefined : f.reserve_price || undefined,
      no_reserve: !!f.no_reserve,
    };
    const created = await api<ListingAdmin>("transactions", "/api/v1/listings", { method: "POST", body });
    navigate(`/trading-admin/listings/${created.id}`);
  });
  const dt = (k: string, text: string, required = true) => (
    <Field label={text} name={k} type="datetime-local" value={f[k] ?? ""} onValue={set(k)} required={required} hint="北京时间" />
  );
  return (
    <details class="card">
      <summary><strong>创建出让项目</strong></summary>
      <form onSubmit={(e) => { e.preventDefault(); void create.run(); }}>
        <div class="form-grid">
          <Field label="项目名称" name="title" value={f.title ?? ""} onValue={set("title")} required />
          <Field label="登记单元标识" name="unit_id" value={f.unit_id ?? ""} onValue={set("unit_id")} required hint="在地图上点击单元可查看其标识" />
          <SelectField label="权利类型" name="right_type" value={f.right_type} options={RIGHTS} onValue={set("right_type")} required />
          <SelectField label="交易方式" name="method" value={f.method} options={METHODS} onValue={set("method")} required />
          {f.right_type.includes("construction") ? (
            <SelectField label="土地用途" name="land_use" value={f.land_use} options={LAND_USES} onValue={set("land_use")} />
          ) : null}
          <Field label="出让年限（年）" name="term_years" type="number" min={1} value={f.term_years} onValue={set("term_years")} required />
          {dt("announcement_at", "公告时间")}
          {dt("registration_start", "报名开始")}
          {dt("registration_end", "报名截止")}
          {dt("deposit_deadline", "保证金截止")}
          {dt("listing_start", "挂牌开始")}
          {dt("listing_end", "挂牌截止")}
          {dt("bidding_start", "竞价开始（拍卖/招标）", false)}
          <Field label="起始价（元）" name="start_price" value={f.start_price ?? ""} onValue={set("start_price")} required inputMode="decimal" />
          <Field label="加价幅度（元）" name="increment" value={f.increment ?? ""} onValue={set("increment")} required inputMode="decimal" />
          <Field label="保证金（元）" name="deposit" value={f.deposit ?? ""} onValue={set("deposit")} required inputMode="decimal" />
          <Field label="底价（元，保密）" name="reserve_price" value={f.reserve_price ?? ""} onValue={set("reserve_price")} inputMode="decimal" disabled={!!f.no_reserve} />
          <div class="field">
            <label class="check"><input type="checkbox" checked={!!f.no_reserve} onChange={(e) => set("no_reserve")((e.currentTarget as HTMLInputElement).checked ? "1" : "")} /> 无底价</label>
          </div>
        </div>
        {create.problem ? <ProblemBox problem={create.problem} /> : null}
        <button type="submit" disabled={create.busy}>创建草稿</button>
      </form>
    </details>
  );
}

export function TradingAdminListingPage({ id }: { id: string }) {
  const [tick, setTick] = useState(0);
  const listing = useAsync(() => api<ListingAdmin>("transactions", `/api/v1/listings/${encodeURIComponent(id)}/admin`), [id, tick]);
  const regs = useAsync(() => api<RegistrationAdmin[]>("transactions", `/api/v1/listings/${encodeURIComponent(id)}/registrations`), [id, tick]);
  const reload = () => setTick((t) => t + 1);
  return (
    <Page title={listing.data?.title ?? "交易项目管理"}>
      <AsyncView value={listing}>{(l) => <AdminListing l={l} reload={reload} />}</AsyncView>
      <h2>竞买人报名（含身份，仅交易管理与监管可见）</h2>
      <AsyncView value={regs}>{(rows) => <Registrations listingId={id} rows={rows} reload={reload} />}</AsyncView>
    </Page>
  );
}

function AdminListing({ l, reload }: { l: ListingAdmin; reload: () => void }) {
  const [reason, setReason] = useState("");
  const [contractNo, setContractNo] = useState("");
  const act = useAction(async (path: string, body?: unknown) => {
    await api("transactions", `/api/v1/listings/${l.id}/${path}`, { method: "POST", body });
    reload();
  });
  return (
    <>
      <div class="card">
        <p><Badge tone={stateTone(l.state)}>{label(LISTING_STATES, l.state)}</Badge> {label(METHODS, l.method)} · {l.right_type_label} · 第 {l.revision} 版条件 · <a href={`/listings/${l.id}`}>打开竞价室</a></p>
        <Facts items={[
          ["不动产单元", <code>{l.unit_code}</code>], ["单元已标记交易中", l.unit_marked ? "是" : "否"],
          ["起始价", fmtMoney(l.start_price)], ["加价幅度", fmtMoney(l.increment)], ["保证金", fmtMoney(l.deposit)],
          ["底价（保密）", l.no_reserve ? "无底价" : fmtMoney(l.secret_reserve_price)],
          ["当前价", fmtMoney(l.current_price)], ["成交价", fmtMoney(l.final_price)],
          ["截止时间", fmtTime(l.closes_at)], ["下一步自动处理", fmtTime(l.next_action_at)],
          ["结果", l.outcome_reason ?? "—"], ["已公示", l.published ? "是" : "否"],
        ]} />
      </div>
      {act.problem ? <ProblemBox problem={act.problem} /> : null}
      <div class="card">
        <h2>项目操作</h2>
        <div class="form-actions">
          <button type="button" disabled={act.busy} onClick={() => void act.run("announce")}>发布公告</button>
          <button type="button" class="secondary" disabled={act.busy} onClick={() => void act.run("publication")}>结果公示</button>
        </div>
        <TextArea label="暂停 / 恢复 / 终止的原因" name="reason" value={reason} onValue={setReason} rows={2} />
        <div class="form-actions">
          <button type="button" class="secondary" disabled={act.busy || !reason.trim()} onClick={() => void act.run("suspend", { reason })}>暂停</button>
          <button type="button" class="secondary" disabled={act.busy || !reason.trim()} onClick={() => void act.run("resume", { reason })}>恢复</button>
          <button type="button" class="danger" disabled={act.busy || !reason.trim()} onClick={() => void act.run("terminate", { reason })}>终止</button>
        </div>
        <form onSubmit={(e) => { e.preventDefault(); void act.run("contract", { contract_no: contractNo }); }}>
          <Field label="出让合同编号" name="contract_no" value={contractNo} onValue={setContractNo} required />
          <button type="submit" disabled={act.busy}>登记已签订合同</button>
        </form>
      </div>
    </>
  );
}

function Registrations({ listingId, rows, reload }: { listingId: string; rows: RegistrationAdmin[]; reload: () => void }) {
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const act = useAction(async (regId: string, path: string, body?: unknown) => {
    await api("transactions", `/api/v1/listings/${listingId}/registrations/${regId}/${path}`, { method: "POST", body });
    reload();
  });
  if (!rows.length) return <p class="empty">暂无报名。</p>;
  return (
    <>
      {act.problem ? <ProblemBox problem={act.problem} /> : null}
      <div class="table-wrap">
        <table>
          <thead><tr><th>竞买人</th><th>状态</th><th>保证金</th><th>竞买号</th><th>网络地址</th><th>报名时间</th><th>资格审核</th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr>
                <td>{r.bidder_name}{r.org_code ? <><br /><code>{r.org_code}</code></> : null}</td>
                <td>{label(REGISTRATION_STATUS, r.status)}{r.reject_reason ? `（${r.reject_reason}）` : ""}</td>
                <td>{label(DEPOSIT_STATUS, r.deposit_status)} {fmtMoney(r.deposit_amount)}</td>
                <td>{r.bidder_number ?? "—"}</td>
                <td><code>{r.client_ip}</code></td>
                <td>{fmtTime(r.created_at)}</td>
                <td>
                  <div class="form-actions">
                    <button type="button" disabled={act.busy} onClick={() => void act.run(r.id, "qualify")}>通过</button>
                    <input aria-label={`不通过原因（${r.bidder_name}）`} placeholder="不通过原因" value={reasons[r.id] ?? ""}
                      onInput={(e) => setReasons({ ...reasons, [r.id]: (e.currentTarget as HTMLInputElement).value })} />
                    <button type="button" class="danger" disabled={act.busy || !(reasons[r.id] ?? "").trim()}
                      onClick={() => void act.run(r.id, "reject", { reason: reasons[r.id] })}>不通过</button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
