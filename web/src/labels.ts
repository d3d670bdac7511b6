// Chinese labels for the codes the APIs return, and formatting helpers (Asia/Shanghai time).
import gb2260 from "../../services/registry/src/registry/data/gb2260_shanxi.json";

export const ROLE_LABELS: Record<string, string> = {
  citizen: "公民",
  enterprise: "企业",
  registrar: "登记员（受理/登簿）",
  reviewer: "审核员",
  trading_admin: "交易管理员",
  bidder: "竞买人",
  supervisor: "监管人员",
  auditor: "审计人员",
  admin: "系统管理员",
};

interface Division { code: string; name: string; parent: string | null }
const DIVISIONS = new Map<string, Division>(
  (gb2260 as { divisions: Division[] }).divisions.map((d) => [d.code, d]),
);

/** 山西省太原市杏花岭区 for 140107; the code itself when unknown. */
export function regionName(code: string | null | undefined): string {
  if (!code) return "—";
  const parts: string[] = [];
  let d = DIVISIONS.get(code);
  if (!d) return code;
  while (d) {
    parts.unshift(d.name);
    d = d.parent ? DIVISIONS.get(d.parent) : undefined;
  }
  return parts.join("");
}

export function shortRegion(code: string | null | undefined): string {
  if (!code) return "—";
  return DIVISIONS.get(code)?.name ?? code;
}

export const APPLICATION_TYPES: Record<string, string> = {
  first: "首次登记",
  change: "变更登记",
  transfer: "转移登记",
  cancellation: "注销登记",
  correction: "更正登记",
  objection: "异议登记",
  advance_notice: "预告登记",
  seizure: "查封登记",
  mortgage: "抵押登记",
  mortgage_discharge: "抵押权注销登记",
};

export const APPLICATION_STATUS: Record<string, string> = {
  submitted: "已提交，待受理",
  refused_acceptance: "不予受理（待补正）",
  accepted: "已受理，待审核",
  public_notice: "公告中",
  reviewed: "已审核，待登簿",
  refused: "不予登记",
  recorded: "已登簿，待发证",
  certified: "已发证",
  withdrawn: "已撤回",
};

export const DOCUMENT_KINDS: Record<string, string> = {
  identity: "申请人身份证明",
  ownership_source: "权属来源材料",
  survey_report: "地籍调查表、宗地图及界址点坐标",
  boundary: "申请人标绘的宗地范围（GeoJSON）",
  change_proof: "变更材料",
  transfer_contract: "转移合同或协议",
  tax_receipt: "完税凭证",
  cancellation_proof: "权利消灭材料",
  correction_proof: "登记确有错误的证明材料",
  interest_proof: "利害关系证明材料",
  sale_contract: "买卖合同",
  court_order: "人民法院生效法律文书",
  assistance_notice: "协助执行通知书",
  mortgage_contract: "抵押合同",
  master_contract: "主债权合同",
  discharge_proof: "抵押权消灭材料",
};

export const RIGHT_TYPES: Record<string, string> = {
  collective_land_ownership: "集体土地所有权",
  state_construction_land_use: "国有建设用地使用权",
  collective_commercial_construction_land_use: "集体经营性建设用地使用权",
  homestead_use: "宅基地使用权",
  land_contract_management: "土地承包经营权",
  forest_right: "林权",
  sea_area_use: "海域使用权",
  exploration_right: "探矿权",
  mining_right: "采矿权",
  state_natural_resource_ownership: "自然资源国家所有权",
};

export const UNIT_KINDS: Record<string, string> = {
  collective_ownership: "集体土地所有权宗地",
  construction_land_surface: "建设用地使用权宗地（地表）",
  construction_land_above: "建设用地使用权宗地（地上）",
  construction_land_below: "建设用地使用权宗地（地下）",
  homestead: "宅基地使用权宗地",
  contract_arable: "土地承包经营权宗地（耕地）",
  contract_forest: "林地使用权宗地",
  contract_grassland: "草原使用权宗地",
  sea_area: "海域",
  uninhabited_island: "无居民海岛",
  undetermined_or_disputed: "争议或未确权",
  other: "其他",
  water_flow: "水流",
  forest: "森林",
  mountain: "山岭",
  grassland: "草原",
  wasteland: "荒地",
  wetland: "湿地",
  tidal_flat: "滩涂",
  mineral_reserve: "探明储量的矿产资源",
  protected_area: "自然保护地",
  national_park: "国家公园",
};

export const UNIT_STATUS: Record<string, string> = { current: "现势", historical: "历史", terminated: "终止", provisional: "临时" };

export const LINE_TYPES: Record<string, string> = {
  basic_farmland: "永久基本农田",
  ecological_redline: "生态保护红线",
  urban_boundary: "城镇开发边界",
};

export const LISTING_STATES: Record<string, string> = {
  draft: "草稿",
  announced: "已发布公告",
  registration: "报名中",
  bidding: "竞价中",
  timed_bidding: "限时竞价",
  concluded: "已成交",
  failed: "流拍",
  suspended: "已暂停",
  terminated: "已终止",
};

export const METHODS: Record<string, string> = { tender: "招标", auction: "拍卖", listing: "挂牌" };

export const LAND_USES: Record<string, string> = {
  residential: "住宅用地",
  industrial: "工业用地",
  education_science_culture_health_sports: "教育、科技、文化、卫生、体育用地",
  commercial_tourism_entertainment: "商业、旅游、娱乐用地",
  mixed: "综合用地",
};

export const REGISTRATION_STATUS: Record<string, string> = {
  registered: "已报名，待缴保证金",
  deposit_confirmed: "保证金已到账，待资格审核",
  qualified: "资格审核通过",
  rejected: "资格审核未通过",
};

export const DEPOSIT_STATUS: Record<string, string> = {
  pending: "待缴纳",
  unpaid: "待缴纳",
  received: "已到账",
  paid: "已到账",
  refunded: "已退还",
  earnest_money: "已转为定金",
  forfeited: "已没收",
};

export const label = (table: Record<string, string>, code: string | null | undefined): string =>
  code ? table[code] ?? code : "—";

const dateTime = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
});
const dateOnly = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" });

export function fmtTime(value: string | null | undefined): string {
  if (!value) return "—";
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : dateTime.format(d);
}

export function fmtDate(value: string | null | undefined): string {
  if (!value) return "—";
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : dateOnly.format(d);
}

/** Money arrives as a decimal string in yuan; never turned into a float for arithmetic. */
export function fmtMoney(value: string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const [int, frac = ""] = value.split(".");
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `¥${grouped}.${(frac + "00").slice(0, 2)}`;
}

export function fmtArea(m2: number | string | null | undefined): string {
  if (m2 === null || m2 === undefined) return "—";
  const v = Number(m2);
  if (Number.isNaN(v)) return String(m2);
  return v >= 10000 ? `${(v / 10000).toFixed(2)} 公顷（${v.toFixed(2)} 平方米）` : `${v.toFixed(2)} 平方米`;
}

export const ALERT_RULES: Record<string, string> = {
  "supervision.single_bidder": "仅一名竞买人",
  "supervision.late_bid": "临近截止报价",
  "supervision.high_premium": "溢价率过高",
  "supervision.shared_address": "多名竞买人同一网络地址",
};

export const SEVERITY: Record<string, string> = { info: "提示", warning: "警告", high: "严重" };

export const HISTORY_ACTIONS: Record<string, string> = {
  submitted: "提交申请",
  document_added: "上传材料",
  resubmitted: "补正后重新提交",
  accepted: "受理",
  refused_acceptance: "不予受理（一次性告知）",
  public_notice_started: "发布公告",
  reviewed: "审核通过",
  refused: "不予登记",
  recorded: "登簿",
  certificate_issued: "发证",
  withdrawn: "撤回",
};
