"""The canonical vocabulary of ../shared/spec/report-format.md.

Keys are a public contract: users' SQL is written against them. Never rename a
key; add new ones. Labels are the printed wording of the national templates and
are used both to recognise rows in the wild and to render the sandbox reports.
"""

from __future__ import annotations

TABLES = ("active_disclosure", "applications", "review_litigation")
FORMATS = ("2019", "2021", "pre-2019")

# --- Part 2: 主动公开政府信息情况 -------------------------------------------------
# (row key, printed label, the 第二十条 item heading, column keys)
ACTIVE_DISCLOSURE_2021 = (
    ("rules", "规章", "第二十条第(一)项", ("issued", "repealed", "in_force")),
    ("normative_documents", "行政规范性文件", "第二十条第(一)项", ("issued", "repealed", "in_force")),
    ("licensing", "行政许可", "第二十条第(五)项", ("decisions",)),
    ("penalty", "行政处罚", "第二十条第(六)项", ("decisions",)),
    ("coercion", "行政强制", "第二十条第(六)项", ("decisions",)),
    ("fees", "行政事业性收费", "第二十条第(八)项", ("amount",)),
)
ACTIVE_DISCLOSURE_2019 = (
    ("rules", "规章", "第二十条第(一)项", ("new_made", "new_published", "total_published")),
    ("normative_documents", "规范性文件", "第二十条第(一)项", ("new_made", "new_published", "total_published")),
    ("licensing", "行政许可", "第二十条第(五)项", ("prev_year", "change", "decisions")),
    ("other_services", "其他对外管理服务事项", "第二十条第(五)项", ("prev_year", "change", "decisions")),
    ("penalty", "行政处罚", "第二十条第(六)项", ("prev_year", "change", "decisions")),
    ("coercion", "行政强制", "第二十条第(六)项", ("prev_year", "change", "decisions")),
    ("fees", "行政事业性收费", "第二十条第(八)项", ("prev_year", "change")),
    ("procurement", "政府集中采购", "第二十条第(九)项", ("projects", "amount")),
)
ACTIVE_DISCLOSURE = {"2019": ACTIVE_DISCLOSURE_2019, "2021": ACTIVE_DISCLOSURE_2021}

ACTIVE_COLUMN_LABELS = {
    "issued": "本年制发件数",
    "repealed": "本年废止件数",
    "in_force": "现行有效件数",
    "decisions": "本年处理决定数量",
    "amount": "本年收费金额(单位:万元)",
    "new_made": "本年新制作数量",
    "new_published": "本年新公开数量",
    "total_published": "对外公开总数量",
    "prev_year": "上一年项目数量",
    "change": "本年增/减",
    "projects": "采购项目数量",
}
# Columns whose label differs between the two formats.
ACTIVE_COLUMN_LABELS_2019 = {"decisions": "处理决定数量", "amount": "采购总金额"}

# --- Part 3: 收到和处理政府信息公开申请情况 -----------------------------------------
APPLICATION_COLUMNS = (
    "natural_person",
    "commercial",
    "research",
    "social_welfare",
    "legal_service",
    "other_org",
    "total",
)
APPLICATION_COLUMN_LABELS = {
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "social_welfare": "社会公益组织",
    "legal_service": "法律服务机构",
    "other_org": "其他",
    "total": "总计",
}

# (row key, group label or "", printed label). Group labels are the rowspan
# headers: 三、本年度办理结果 › (三)不予公开 › 1.属于国家秘密.
_HANDLED_HEAD = (
    ("granted", "", "(一)予以公开"),
    ("partially_granted", "", "(二)部分公开(区分处理的,只计这一情形,不计其他情形)"),
    ("denied_state_secret", "(三)不予公开", "1.属于国家秘密"),
    ("denied_prohibited_by_law", "(三)不予公开", "2.其他法律行政法规禁止公开"),
    ("denied_three_safeties", "(三)不予公开", "3.危及“三安全一稳定”"),
    ("denied_third_party", "(三)不予公开", "4.保护第三方合法权益"),
    ("denied_internal_affairs", "(三)不予公开", "5.属于三类内部事务信息"),
    ("denied_process_info", "(三)不予公开", "6.属于四类过程性信息"),
    ("denied_enforcement_file", "(三)不予公开", "7.属于行政执法案卷"),
    ("denied_admin_query", "(三)不予公开", "8.属于行政查询事项"),
    ("unable_not_held", "(四)无法提供", "1.本机关不掌握相关政府信息"),
    ("unable_needs_creation", "(四)无法提供", "2.没有现成信息需要另行制作"),
    ("unable_unclear", "(四)无法提供", "3.补正后申请内容仍不明确"),
    ("rejected_petition", "(五)不予处理", "1.信访举报投诉类申请"),
    ("rejected_duplicate", "(五)不予处理", "2.重复申请"),
    ("rejected_publication", "(五)不予处理", "3.要求提供公开出版物"),
    ("rejected_excessive", "(五)不予处理", "4.无正当理由大量反复申请"),
    ("rejected_confirmation", "(五)不予处理", "5.要求行政机关确认或重新出具已获取信息"),
)
_OTHER_2019 = (("other", "", "(六)其他处理"),)
_OTHER_2021 = (
    ("other_no_correction", "(六)其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("other_unpaid_fee", "(六)其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("other_other", "(六)其他处理", "3.其他"),
)
_HANDLED_TAIL = (("handled_total", "", "(七)总计"),)
_OUTER_HEAD = (
    ("new_received", "", "一、本年新收政府信息公开申请数量"),
    ("carried_over", "", "二、上年结转政府信息公开申请数量"),
)
_OUTER_TAIL = (("carried_forward", "", "四、结转下年度继续办理"),)

APPLICATION_ROWS = {
    "2019": _OUTER_HEAD + _HANDLED_HEAD + _OTHER_2019 + _HANDLED_TAIL + _OUTER_TAIL,
    "2021": _OUTER_HEAD + _HANDLED_HEAD + _OTHER_2021 + _HANDLED_TAIL + _OUTER_TAIL,
}
HANDLED_GROUP_LABEL = "三、本年度办理结果"
# Every application row key either format may carry, in printed order.
ALL_APPLICATION_ROW_KEYS = tuple(
    dict.fromkeys(k for fmt in ("2021", "2019") for k, _, _ in APPLICATION_ROWS[fmt])
)
HANDLED_ROW_KEYS = tuple(
    k for k in ALL_APPLICATION_ROW_KEYS if k not in ("new_received", "carried_over", "handled_total", "carried_forward")
)

# --- Part 4: 行政复议、行政诉讼 ------------------------------------------------------
OUTCOMES = ("upheld", "corrected", "other", "pending", "total")
OUTCOME_LABELS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结", "total": "总计"}
REVIEW_GROUPS = ("review", "suit_direct", "suit_after_review")
REVIEW_GROUP_LABELS = {"review": "行政复议", "suit_direct": "未经复议直接起诉", "suit_after_review": "复议后起诉"}
REVIEW_COLUMNS = tuple(f"{g}_{o}" for g in REVIEW_GROUPS for o in OUTCOMES)

# --- The six parts --------------------------------------------------------------------
SECTIONS = (
    ("overview", "总体情况"),
    ("active_disclosure", "主动公开政府信息情况"),
    ("applications", "收到和处理政府信息公开申请情况"),
    ("review_litigation", "行政复议、行政诉讼情况"),
    ("problems_and_improvements", "存在的主要问题及改进情况"),
    ("other_matters", "其他需要报告的事项"),
)


def row_keys(table: str, fmt: str) -> tuple[str, ...]:
    """Row keys of a table in a template version, in printed order."""
    if table == "active_disclosure":
        return tuple(r[0] for r in ACTIVE_DISCLOSURE[fmt])
    if table == "applications":
        return tuple(r[0] for r in APPLICATION_ROWS[fmt])
    raise KeyError(table)


def active_columns(fmt: str, row: str) -> tuple[str, ...]:
    for key, _label, _item, cols in ACTIVE_DISCLOSURE[fmt]:
        if key == row:
            return cols
    raise KeyError(row)
