// 申请: file an application against a registration unit. The unit is found on the map (click),
// from a boundary the applicant draws on the map or uploads as GeoJSON (units inside its extent),
// or by its identifier. A drawn or uploaded boundary is attached to the application as a document
// (申请人标绘的宗地范围): the registry keeps units from the cadastral survey, so the applicant's
// boundary is evidence for the office, not a new unit.
import type { GeoJSONSource, Map as MlMap } from "maplibre-gl";
import { useMemo, useRef, useState } from "preact/hooks";
import { api } from "../api";
import { auth } from "../auth";
import { Field, Page, ProblemBox, SelectField, TextArea, useAction, useAsync } from "../components";
import { APPLICATION_TYPES, fmtArea, label, LAND_USES, regionName, RIGHT_TYPES, UNIT_KINDS } from "../labels";
import { BoundaryDraw, LocateControl } from "../map/BoundaryDraw";
import { styleOf, type Collection } from "../map/layers";
import { MapView } from "../map/MapView";
import { navigate, useLocation } from "../router";
import { useStore } from "../store";
import type { Application, UnitSummary } from "./registryTypes";

interface PartyForm { role: string; name: string; id_type: string; id_number: string; share: string; org_code: string }
const ROLES: Record<string, string> = { holder: "权利人", obligor: "义务人", mortgagee: "抵押权人", applicant: "申请人" };
const ID_TYPES = ["居民身份证", "统一社会信用代码", "护照", "港澳居民来往内地通行证", "台湾居民来往大陆通行证"];

type Bbox = [number, number, number, number];
interface Zone { id: string; name: string; enabled: boolean; counties: string[] }
interface Boundary { geojson: unknown; filename: string; how: "drawn" | "uploaded" }

export function bboxOf(geojson: unknown): Bbox | null {
  const box: Bbox = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === "number" && typeof c[1] === "number") {
      box[0] = Math.min(box[0], c[0]); box[1] = Math.min(box[1], c[1]);
      box[2] = Math.max(box[2], c[0]); box[3] = Math.max(box[3], c[1]);
    } else if (Array.isArray(c)) c.forEach(visit);
  };
  const walk = (g: any): void => {
    if (!g || typeof g !== "object") return;
    if (g.type === "FeatureCollection") (g.features ?? []).forEach(walk);
    else if (g.type === "Feature") walk(g.geometry);
    else if (g.type === "GeometryCollection") (g.geometries ?? []).forEach(walk);
    else if (g.coordinates) visit(g.coordinates);
  };
  walk(geojson);
  return Number.isFinite(box[0]) ? box : null;
}

export function NewApplicationPage() {
  const state = useStore(auth);
  const { query } = useLocation();
  const me = state.status === "authenticated" ? state.me : null;
  const [type, setType] = useState("first");
  const [unitId, setUnitId] = useState(query.get("unit") ?? "");
  const [candidates, setCandidates] = useState<UnitSummary[] | null>(null);
  const [applicantName, setApplicantName] = useState(me?.name ?? "");
  const [receivingOffice, setReceivingOffice] = useState("");
  const [details, setDetails] = useState<Record<string, string>>({ right_type: "state_construction_land_use" });
  const [parties, setParties] = useState<PartyForm[]>([
    { role: "holder", name: me?.name ?? "", id_type: me?.org_code ? "统一社会信用代码" : "居民身份证", id_number: me?.org_code ?? "", share: "", org_code: me?.org_code ?? "" },
  ]);
  const [map, setMap] = useState<MlMap | null>(null);
  const [uploadNote, setUploadNote] = useState<string | null>(null);
  const [boundary, setBoundary] = useState<Boundary | null>(null);
  const drawing = useRef(false);
  const zones = useAsync(() => api<Zone[]>("registry", "/api/v1/zones"), []);

  const layers = useAsync(() => api<{ collections: Collection[] }>("registry", "/ogc/collections", { auth: false }), []);
  const collections = useMemo(() => (layers.data?.collections ?? []).filter((c) => ["parcels", "natural_resources", "units_in_trade"].includes(c.id))
    .sort((a, b) => styleOf(a.id).order - styleOf(b.id).order), [layers.data]);
  const visible = useMemo(() => Object.fromEntries(collections.map((c) => [c.id, true])), [collections]);

  const search = useAction(async (q: { point?: string; bbox?: string }) => {
    const rows = await api<UnitSummary[]>("registry", "/api/v1/units", { query: { ...q, limit: 50 } });
    setCandidates(rows);
    if (rows.length === 1) setUnitId(rows[0].id);
  });

  // 域内通办: the offices that may receive a filing for the chosen unit (its county's enabled zones).
  const typedUnit = useAsync(async () => {
    const id = unitId.trim();
    if (!/^[0-9a-f-]{36}$/i.test(id) || candidates?.some((u) => u.id === id)) return null;
    return api<UnitSummary>("registry", `/api/v1/units/${encodeURIComponent(id)}`).catch(() => null);
  }, [unitId]);
  const unitCounty = candidates?.find((u) => u.id === unitId)?.county_code ?? typedUnit.data?.county_code ?? null;
  const offices = useMemo(() => {
    const enabled = (zones.data ?? []).filter((z) => z.enabled);
    const relevant = unitCounty ? enabled.filter((z) => z.counties.includes(unitCounty)) : enabled;
    const codes = [...new Set(relevant.flatMap((z) => z.counties))].filter((c) => c !== unitCounty).sort();
    return codes.map((c): [string, string] => [c, regionName(c)]);
  }, [zones.data, unitCounty]);

  const onDrawn = (feature: GeoJSON.Feature<GeoJSON.Polygon> | null) => {
    if (!feature) {
      setBoundary((b) => (b?.how === "drawn" ? null : b));
      return;
    }
    setBoundary({ geojson: feature, filename: "申请人标绘的宗地范围.geojson", how: "drawn" });
    const box = bboxOf(feature);
    if (box) void search.run({ bbox: box.join(",") });
  };

  const onFile = async (file: File | undefined) => {
    if (!file) return;
    setUploadNote(null);
    let geo: unknown;
    try {
      geo = JSON.parse(await file.text());
    } catch {
      setUploadNote("文件不是有效的 GeoJSON（JSON 解析失败）。");
      return;
    }
    const box = bboxOf(geo);
    if (!box) {
      setUploadNote("GeoJSON 中没有坐标。");
      return;
    }
    setUploadNote(`已读取边界：经度 ${box[0].toFixed(5)}–${box[2].toFixed(5)}，纬度 ${box[1].toFixed(5)}–${box[3].toFixed(5)}（CGCS2000 经纬度）。`);
    setBoundary({ geojson: geo, filename: file.name || "宗地边界.geojson", how: "uploaded" });
    if (map) {
      const src = map.getSource("upload") as GeoJSONSource | undefined;
      if (src) src.setData(geo as GeoJSON.GeoJSON);
      else {
        map.addSource("upload", { type: "geojson", data: geo as GeoJSON.GeoJSON });
        map.addLayer({ id: "upload-line", type: "line", source: "upload", paint: { "line-color": "#ff6f00", "line-width": 3 } });
      }
      map.fitBounds([[box[0], box[1]], [box[2], box[3]]], { padding: 40, maxZoom: 17 });
    }
    await search.run({ bbox: box.join(",") });
  };

  const submit = useAction(async () => {
    const cleanDetails: Record<string, string> = {};
    for (const [k, v] of Object.entries(details)) if (v.trim()) cleanDetails[k] = v.trim();
    const body = {
      type,
      unit_id: unitId.trim(),
      applicant_name: applicantName.trim() || undefined,
      receiving_office: receivingOffice.trim() || undefined,
      details: cleanDetails,
      parties: parties.filter((p) => p.name.trim()).map((p) => ({
        role: p.role, name: p.name.trim(), id_type: p.id_type, id_number: p.id_number.trim(),
        share: p.share.trim() || undefined, org_code: p.org_code.trim() || undefined,
        subject: p.role === "holder" && p.name.trim() === (me?.name ?? "") ? me?.subject : undefined,
      })),
    };
    const app = await api<Application>("registry", "/api/v1/applications", { method: "POST", body });
    if (boundary) {
      // Filed already: a failed attachment must not hide the filed application, so the application
      // page opens with a note asking to upload the boundary there.
      const form = new FormData();
      form.set("kind", "boundary");
      form.set("file", new Blob([JSON.stringify(boundary.geojson)], { type: "application/geo+json" }), boundary.filename);
      const attached = await api("registry", `/api/v1/applications/${app.id}/documents`, { method: "POST", form })
        .then(() => true, () => false);
      if (!attached) {
        navigate(`/applications/${app.id}?boundary=failed`);
        return;
      }
    }
    navigate(`/applications/${app.id}`);
  });

  const setParty = (i: number, patch: Partial<PartyForm>) => setParties(parties.map((p, j) => (i === j ? { ...p, ...patch } : p)));
  const detail = (k: string) => details[k] ?? "";
  const setDetail = (k: string) => (v: string) => setDetails({ ...details, [k]: v });

  return (
    <Page title="新建登记申请" intro="选择登记类型和登记单元，填写权利人等信息。提交后在申请详情页上传材料。">
      <form onSubmit={(e) => { e.preventDefault(); void submit.run(); }}>
        <fieldset>
          <legend>登记类型</legend>
          <SelectField label="登记类型" name="type" value={type} options={APPLICATION_TYPES} onValue={setType} required />
        </fieldset>

        <fieldset>
          <legend>登记单元</legend>
          <p class="hint">在地图上点击单元；或在地图上绘制宗地边界、上传边界 GeoJSON（查找其范围内的单元，边界随申请作为材料提交）；或直接填写单元标识。</p>
          <LocateControl map={map} />
          <MapView small collections={collections} visible={visible} onReady={setMap} label="选择登记单元的地图"
            onClick={(c) => {
              if (!drawing.current) void search.run({ point: `${c.lngLat[0].toFixed(7)},${c.lngLat[1].toFixed(7)}` });
            }} />
          <BoundaryDraw map={map} onDone={onDrawn} onDrawing={(on) => { drawing.current = on; }} />
          <div class="field">
            <label for="geojson-upload">上传边界（GeoJSON）</label>
            <input id="geojson-upload" type="file" accept=".geojson,.json,application/geo+json,application/json"
              onChange={(e) => void onFile((e.currentTarget as HTMLInputElement).files?.[0])} />
            {uploadNote ? <small class="hint" role="status">{uploadNote}</small> : null}
          </div>
          {search.problem ? <ProblemBox problem={search.problem} /> : null}
          {candidates ? (
            candidates.length === 0 ? <p class="empty">该位置没有现势登记单元。</p> : (
              <div class="table-wrap">
                <table>
                  <caption class="hint">找到的登记单元（选择一个）</caption>
                  <thead><tr><th>选择</th><th>单元代码</th><th>类型</th><th>县区</th><th>面积</th></tr></thead>
                  <tbody>
                    {candidates.map((u) => (
                      <tr>
                        <td><input type="radio" name="unit-pick" aria-label={`选择 ${u.code}`} checked={unitId === u.id} onChange={() => setUnitId(u.id)} /></td>
                        <td><code>{u.code}</code>{u.name ? ` ${u.name}` : ""}</td>
                        <td>{label(UNIT_KINDS, u.kind)}</td>
                        <td>{regionName(u.county_code)}</td>
                        <td>{fmtArea(u.area_m2)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          ) : null}
          <Field label="登记单元标识" name="unit_id" value={unitId} onValue={setUnitId} required
            hint="选择上面的单元会自动填写。" />
        </fieldset>

        <fieldset>
          <legend>申请信息</legend>
          <div class="form-grid">
            <Field label="申请人名称" name="applicant_name" value={applicantName} onValue={setApplicantName} />
            <SelectField label="受理机构" name="receiving_office" value={receivingOffice} onValue={setReceivingOffice}
              options={offices} includeEmpty={unitCounty ? `属地登记机构（${regionName(unitCounty)}）` : "属地登记机构（单元所在县区）"}
              hint="域内通办：可选择与单元所在县区同属一个通办区域的登记机构受理；审核、登簿、发证仍由属地机构办理。" />
            {type === "first" ? (
              <>
                <SelectField label="权利类型" name="right_type" value={detail("right_type")} options={RIGHT_TYPES} onValue={setDetail("right_type")} required />
                <SelectField label="用途" name="land_use" value={detail("land_use")} options={LAND_USES} onValue={setDetail("land_use")} includeEmpty="（不填）" />
                <Field label="权利来源" name="source" value={detail("source")} onValue={setDetail("source")} placeholder="如：出让、划拨" />
                <Field label="使用期限起" name="term_start" type="date" value={detail("term_start")} onValue={setDetail("term_start")} />
                <Field label="使用期限止" name="term_end" type="date" value={detail("term_end")} onValue={setDetail("term_end")} />
                {detail("right_type") === "state_natural_resource_ownership" ? (
                  <>
                    <Field label="所有权代表行使主体" name="owner_representative" value={detail("owner_representative")} onValue={setDetail("owner_representative")} required />
                    <Field label="代理行使主体" name="agent_representative" value={detail("agent_representative")} onValue={setDetail("agent_representative")} />
                  </>
                ) : null}
              </>
            ) : null}
            {type === "mortgage" ? (
              <Field label="被担保债权数额（元）" name="amount" value={detail("amount")} onValue={setDetail("amount")} required
                inputMode="decimal" pattern="\d+(\.\d{1,2})?" hint="十进制金额，例如 1500000.00" />
            ) : null}
            {type === "mortgage_discharge" ? (
              <Field label="抵押登记标识" name="mortgage_id" value={detail("mortgage_id")} onValue={setDetail("mortgage_id")} required />
            ) : null}
            {type === "seizure" ? (
              <>
                <Field label="人民法院" name="court" value={detail("court")} onValue={setDetail("court")} required />
                <Field label="法律文书文号" name="document_no" value={detail("document_no")} onValue={setDetail("document_no")} required />
              </>
            ) : null}
          </div>
          {type === "correction" ? (
            <TextArea label="更正内容" name="corrections" value={detail("corrections")} onValue={setDetail("corrections")} />
          ) : null}
        </fieldset>

        <fieldset>
          <legend>当事人</legend>
          {parties.map((p, i) => (
            <div class="form-grid" role="group" aria-label={`当事人 ${i + 1}`}>
              <SelectField label={`当事人 ${i + 1} 身份`} name={`party-${i}-role`} value={p.role} options={ROLES} onValue={(v) => setParty(i, { role: v })} />
              <Field label="姓名或名称" name={`party-${i}-name`} value={p.name} onValue={(v) => setParty(i, { name: v })} required={i === 0} />
              <SelectField label="证件类型" name={`party-${i}-id-type`} value={p.id_type} options={ID_TYPES.map((t): [string, string] => [t, t])} onValue={(v) => setParty(i, { id_type: v })} />
              <Field label="证件号码" name={`party-${i}-id-number`} value={p.id_number} onValue={(v) => setParty(i, { id_number: v })} required={i === 0} />
              <Field label="份额" name={`party-${i}-share`} value={p.share} onValue={(v) => setParty(i, { share: v })}
                placeholder="如 0.5" hint="按份共有时填写，权利人份额之和为 1" />
              <div class="field">
                <span class="hint">&nbsp;</span>
                <button type="button" class="secondary" disabled={parties.length === 1}
                  onClick={() => setParties(parties.filter((_, j) => j !== i))}>删除当事人 {i + 1}</button>
              </div>
            </div>
          ))}
          <button type="button" class="secondary"
            onClick={() => setParties([...parties, { role: "holder", name: "", id_type: "居民身份证", id_number: "", share: "", org_code: "" }])}>
            添加当事人
          </button>
        </fieldset>

        {submit.problem ? <ProblemBox problem={submit.problem} /> : null}
        <div class="form-actions">
          <button type="submit" disabled={submit.busy}>{submit.busy ? "正在提交…" : "提交申请"}</button>
        </div>
      </form>
    </Page>
  );
}
