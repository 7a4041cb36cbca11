"""Metadata and the pre-2019 / not-a-report cases."""

from __future__ import annotations

from parsers import is_report, parse_document
from parsers.metadata import find_title, published, report_year, title_of

PRE_2019 = """无障碍浏览 长者专版
当前位置：首页 > 政府信息公开 > 政府信息公开年报
某市教育局2016年政府信息公开工作年度报告
发布时间：2017-03-28
本报告根据《中华人民共和国政府信息公开条例》要求编制。
一、概述
2016年，我局认真做好政府信息公开工作。
二、主动公开政府信息情况
全年主动公开政府信息326条。
三、依申请公开政府信息情况
全年共受理申请12件，均已按时答复。
四、政府信息公开的收费及减免情况
未收取任何费用。
五、因政府信息公开申请行政复议、提起行政诉讼的情况
无。
六、政府信息公开工作存在的主要问题及改进情况
公开的及时性有待提高。
七、其他需要报告的事项
无。
"""


def test_pre_2019_report_keeps_metadata_and_sections():
    r = parse_document(PRE_2019.encode("gbk"), source="old.txt", filename="old.txt")
    assert (r["title"], r["organization"], r["year"], r["published"], r["format"]) == (
        "某市教育局2016年政府信息公开工作年度报告", "某市教育局", 2016, "2017-03-28", "pre-2019")
    assert r["sections"] == {
        "overview": "2016年，我局认真做好政府信息公开工作。",
        "active_disclosure": "全年主动公开政府信息326条。",
        "applications": "全年共受理申请12件，均已按时答复。\n四、政府信息公开的收费及减免情况\n未收取任何费用。",
        "review_litigation": "无。",
        "problems_and_improvements": "公开的及时性有待提高。",
        "other_matters": "无。",
    }
    assert r["tables"] == {} and r["checks"] == [] and r["problems"] == []
    assert is_report(r)


def test_notice_about_reports_is_not_a_report():
    text = "关于做好2021年政府信息公开工作年度报告编制工作的通知\n发布时间：2022-01-05\n各县区：请按国办公开办函〔2021〕30号格式编制。"
    r = parse_document(text.encode(), source="notice.txt")
    assert r["title"] is None and r["year"] == 2021
    assert not is_report(r)


def test_dates_and_years():
    assert published("深州市人民政府办公室\n2021年政府信息公开工作年度报告\n(2022年1月12日)") == "2022-01-12"
    assert published("沾益区2019年政府信息公开工作年度报告\n • 2020-04-21 17:24") == "2020-04-21"
    assert published("数据统计期限为2020年1月1日至12月31日。\n正文。\n2021年2月19日") == "2021-02-19"
    assert published('<meta name="PubDate" content="2021-02-22 14:29">') == "2021-02-22"
    m = find_title("沾益区2019年政府信息公开工作年度报告》(以下简称《年报》)")
    assert (title_of(m), report_year("", m)) == ("沾益区2019年政府信息公开工作年度报告", 2019)
    m = find_title("平潭综合实验区2019年度政府信息公开工作年度报告")
    assert m["org"] == "平潭综合实验区"
