"""Prose of the reports and of the decoy pages.

Every string must be encodable in GBK (the GBK sites send it as such), so no
characters outside GB2312/GBK here: “” 、 （） 〔〕 are fine, emoji are not.
"""

from __future__ import annotations

import random

# Part headings as printed. 2019/2021 templates share them; pre-2019 reports used
# a seven-part layout with a separate fees part (not a record section).
HEADINGS = {
    "overview": "一、总体情况",
    "active_disclosure": "二、主动公开政府信息情况",
    "applications": "三、收到和处理政府信息公开申请情况",
    "review_litigation": "四、政府信息公开行政复议、行政诉讼情况",
    "problems_and_improvements": "五、存在的主要问题及改进情况",
    "other_matters": "六、其他需要报告的事项",
}
HEADINGS_PRE2019 = (
    ("overview", "一、概述"),
    ("active_disclosure", "二、主动公开政府信息情况"),
    ("applications", "三、依申请公开政府信息情况"),
    (None, "四、政府信息公开的收费及减免情况"),
    ("review_litigation", "五、因政府信息公开申请行政复议、提起行政诉讼的情况"),
    ("problems_and_improvements", "六、政府信息公开工作存在的主要问题及改进情况"),
    ("other_matters", "七、其他需要报告的事项"),
)


def title(org: str, year: int, style: int) -> str:
    return (f"{org}{year}年政府信息公开工作年度报告",
            f"{org}{year}年度政府信息公开工作年度报告",
            f"{year}年{org}政府信息公开工作年度报告")[style % 3]


def preamble(org: str, year: int) -> str:
    return (f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）要求，由{org}编制。"
            f"全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、"
            f"政府信息公开行政复议和行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项。"
            f"本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"
            f"如对本报告有疑问，请与{org}办公室联系。")


_OVERVIEW = (
    "{year}年，{org}深入贯彻落实党中央、国务院关于全面推进政务公开工作的决策部署，"
    "严格执行《条例》，以公开为常态、不公开为例外，全年主动公开政府信息{n1}条。",
    "健全完善政务公开工作机制，调整充实政务公开工作领导小组，明确{n2}名专职工作人员，"
    "将政务公开工作纳入年度绩效考核。",
    "加强政府网站和政务新媒体建设，全年通过门户网站发布政策解读{n3}篇，回应社会关切{n4}次。",
    "依法规范依申请公开办理流程，做好接收、登记、办理、审核、答复、归档各环节工作。",
)
_PROBLEMS = (
    "{year}年，{org}政府信息公开工作取得了一定成效，但也存在一些不足：一是公开内容的深度和广度还需拓展；"
    "二是政策解读的形式还不够丰富；三是基层政务公开标准化规范化工作有待加强。",
    "下一步，{org}将进一步加强组织领导，拓宽公开渠道，提升解读回应质量，加强业务培训，"
    "不断提高政府信息公开工作水平。",
)
_OTHER = (
    "本年度{org}未收取信息处理费。",
    "{year}年度{org}无其他需要报告的事项。",
    "按照《政府信息公开信息处理费管理办法》规定，本年度未收取信息处理费。"
    "人大代表建议和政协提案办理结果公开情况：全年承办建议提案{n5}件，已全部按期办结。",
)


def sections(rng: random.Random, org: str, year: int, fmt: str, facts: dict) -> dict[str, str]:
    """The prose of each part, keyed by section key (tables are not part of it)."""
    f = {"org": org, "year": year, **facts}
    overview = "\n".join(s.format(**f) for s in _OVERVIEW[: 2 + rng.randint(0, 2)])
    problems = "\n".join(s.format(**f) for s in _PROBLEMS)
    other = _OTHER[rng.randrange(len(_OTHER))].format(**f)
    if fmt == "pre-2019":
        return {
            "overview": overview,
            "active_disclosure": f"{year}年，全年主动公开政府信息{f['n1']}条，其中通过政府网站公开{f['n6']}条，"
                                 f"通过政府公报公开{f['n7']}条。",
            "applications": f"{year}年，共受理政府信息公开申请{f['n8']}件，均已按期答复。",
            "review_litigation": f"{year}年，未发生因政府信息公开申请提起的行政复议和行政诉讼案件。",
            "problems_and_improvements": problems,
            "other_matters": other,
        }
    return {
        "overview": overview,
        "active_disclosure": "",
        "applications": "",
        "review_litigation": "",
        "problems_and_improvements": problems,
        "other_matters": other,
    }


def fees_pre2019(year: int) -> str:
    return f"{year}年，未收取政府信息公开检索、复制、邮寄等费用，未减免收费。"


def facts(rng: random.Random) -> dict:
    return {"n1": rng.randint(200, 9000), "n2": rng.randint(1, 6), "n3": rng.randint(5, 90),
            "n4": rng.randint(3, 60), "n5": rng.randint(5, 200), "n6": rng.randint(100, 5000),
            "n7": rng.randint(0, 40), "n8": rng.randint(0, 80)}


# --- decoys: pages about annual reports that are not annual reports ----------------------

def decoys(org: str, year: int) -> list[tuple[str, str, str]]:
    """(kind, title, body) of pages a crawler must not archive as reports."""
    return [
        ("notice", f"关于做好{year}年政府信息公开工作年度报告编制工作的通知",
         f"各县（市、区）人民政府、各部门：\n根据《中华人民共和国政府信息公开条例》规定，现就做好{year}年"
         f"政府信息公开工作年度报告编制和发布工作通知如下：\n一、各单位应于{year + 1}年1月31日前向社会公布"
         f"本单位{year}年政府信息公开工作年度报告。\n二、年度报告应严格按照国办公开办函〔2021〕30号"
         f"规定的格式编制。\n{org}办公室"),
        ("format_notice", "国务院办公厅政府信息公开办公室关于印发《中华人民共和国政府信息公开工作"
         "年度报告格式》的通知（国办公开办函〔2021〕30号）",
         "各省、自治区、直辖市人民政府办公厅，国务院各部委、各直属机构办公厅（室）：\n为进一步规范"
         "政府信息公开工作年度报告的编制和发布工作，现将修订后的《中华人民共和国政府信息公开工作"
         "年度报告格式》印发给你们，请认真执行。"),
        ("news", f"{org}召开{year}年度政府信息公开工作年度报告编制培训会",
         f"近日，{org}召开政府信息公开工作年度报告编制培训会，对{year}年度报告编制要求、"
         f"表格填报口径和勾稽关系进行了讲解。"),
        ("interpretation", f"图解：{org}{year}年政府信息公开工作年度报告",
         f"一图读懂{org}{year}年政府信息公开工作年度报告。（图片）"),
    ]
