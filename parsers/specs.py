"""Row recognisers of the canonical tables: how each row's label looks in the wild.

Patterns run on `text.label_key()` of the label (no spaces, NFKC, 、→.). They
tolerate split words, typos seen in real reports (规范 for 规章, 三类内容事务信息)
and the numbering variants; the canonical labels live in keys.py.
"""

from __future__ import annotations

import re
from functools import cache

from parsers import keys
from parsers.rows import RowSpec

_APPLICATION_PATTERNS = {
    "new_received": r"本年新收",
    "carried_over": r"上年结转",
    "granted": r"予以公开",
    "partially_granted": r"部分公开",
    "denied_state_secret": r"国家秘密",
    "denied_prohibited_by_law": r"法律行政法规|禁止公开",
    "denied_three_safeties": r"三安全一稳定|危及",
    "denied_third_party": r"第三方",
    "denied_internal_affairs": r"内部事务|内容事务|三类内",
    "denied_process_info": r"过程性",
    "denied_enforcement_file": r"执法案卷",
    "denied_admin_query": r"行政查询|查询事项",
    "unable_not_held": r"不掌握",
    "unable_needs_creation": r"另行制作|没有现成",
    "unable_unclear": r"仍不明确|补正后",
    "rejected_petition": r"信访|举报投诉",
    "rejected_duplicate": r"重复申请",
    "rejected_publication": r"出版物",
    "rejected_excessive": r"大量反复",
    "rejected_confirmation": r"重新出具|确认或",
    "other": r"其他处理",
    "other_no_correction": r"不补正",
    "other_unpaid_fee": r"缴纳费用|收费通知",
    "other_other": r"其他",
    "handled_total": r"总计|合计",
    "carried_forward": r"结转下年",
}
_APPLICATION_AFTER = {
    "other_other": frozenset({"other_no_correction", "other_unpaid_fee"}),
    "handled_total": frozenset(keys.HANDLED_ROW_KEYS),
}

_ACTIVE_PATTERNS = {
    "rules": r"规章|规范$",
    "normative_documents": r"规范性文件",
    "licensing": r"行政许可",
    "other_services": r"其他对外管理服务|对外管理服务",
    "penalty": r"行政处罚",
    "coercion": r"行政强制",
    "fees": r"事业性收费",
    "procurement": r"集中采购",
}

# Words that only one template version prints (part 2 headers and rows, part 3 rows).
ACTIVE_2021_MARKERS = re.compile(r"制发件数|废止件数|现行有效|收费金额|行政规范性文件")
ACTIVE_2019_MARKERS = re.compile(r"新制作|新公开|对外公开总数|上一年项目|增/减|增减|对外管理服务|集中采购|采购总金额")
APPLICATIONS_2021_MARKERS = re.compile(r"不补正|缴纳费用|收费通知")


@cache  # one tuple per template version: rows.py keys its match cache on it
def application_specs(fmt: str) -> tuple[RowSpec, ...]:
    return tuple(
        RowSpec(key, re.compile(_APPLICATION_PATTERNS[key]), len(keys.APPLICATION_COLUMNS), _APPLICATION_AFTER.get(key))
        for key, _group, _label in keys.APPLICATION_ROWS[fmt]
    )


@cache
def active_specs(fmt: str) -> tuple[RowSpec, ...]:
    return tuple(
        RowSpec(key, re.compile(_ACTIVE_PATTERNS[key]), len(cols)) for key, _l, _i, cols in keys.ACTIVE_DISCLOSURE[fmt]
    )


def active_format(region_key: str) -> str | None:
    """Template version of part 2 from its header words, or None when it says nothing."""
    new, old = len(ACTIVE_2021_MARKERS.findall(region_key)), len(ACTIVE_2019_MARKERS.findall(region_key))
    if new == old:
        return None
    return "2021" if new > old else "2019"


def applications_format(region_key: str) -> str:
    return "2021" if APPLICATIONS_2021_MARKERS.search(region_key) else "2019"
