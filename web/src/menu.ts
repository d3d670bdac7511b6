// The role-shaped menu: what each role sees. Pages themselves do not second-guess the APIs'
// authorisation: a page opened without the role shows the API's own problem (in Chinese).
export interface MenuItem {
  href: string;
  label: string;
  /** undefined: everyone (also anonymous visitors). */
  roles?: string[];
}

export const MENU: MenuItem[] = [
  { href: "/", label: "首页" },
  { href: "/applications", label: "我的申请", roles: ["citizen", "enterprise"] },
  { href: "/property", label: "我的不动产", roles: ["citizen", "enterprise"] },
  { href: "/workbench", label: "工作台", roles: ["registrar", "reviewer"] },
  { href: "/book", label: "登记簿查询", roles: ["citizen", "enterprise", "registrar", "reviewer", "supervisor", "auditor", "admin"] },
  { href: "/trading", label: "交易大厅", roles: ["bidder"] },
  { href: "/trading-admin", label: "交易管理", roles: ["trading_admin"] },
  { href: "/supervision", label: "监管", roles: ["supervisor", "admin"] },
  { href: "/audit", label: "审计", roles: ["auditor", "admin"] },
  { href: "/map", label: "地图（一张图）" },
  { href: "/verify", label: "证书核验" },
  { href: "/announcements", label: "公告与结果" },
];

export function menuFor(roles: string[]): MenuItem[] {
  return MENU.filter((item) => !item.roles || item.roles.some((r) => roles.includes(r)));
}
