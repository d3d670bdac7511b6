"""Applications from filing to certificate: 申请 → 受理 → 审核 → 登簿 → 发证."""
