"""Pages of a government portal: chrome (无障碍浏览, 长者专版, nav, 当前位置, share bar,
footer) around listings, report articles and decoys."""

from __future__ import annotations

from html import escape

from sandbox import render_tables, texts
from sandbox.render_tables import Style

NAV = ("首页", "政务公开", "政务服务", "互动交流", "数据发布", "走进本地")


def page(site, title: str, main: str, crumbs: list[tuple[str, str]] = ()) -> str:
    """A full HTML document in the site's chrome. `crumbs` are (name, href) pairs."""
    name = escape(site.name)
    crumb = " &gt; ".join([f'<a href="/">{"首页"}</a>'] + [f'<a href="{h}">{escape(n)}</a>' for n, h in crumbs])
    nav = "".join(f'<li><a href="/{"" if i == 0 else "col" + str(i) + "/"}">{n}</a></li>' for i, n in enumerate(NAV))
    code = site.spec.owner.code.ljust(6, "0")
    features = site.spec.features
    # Identity variants (catalog.SiteSpec.features): where the 网站标识码 is printed, how the title ends.
    id_meta = "" if {"no_site_id", "site_id_text_only"} & set(features) else \
        f'<meta name="SiteName" content="{name}">\n<meta name="SiteIDCode" content="{code}0001">\n'
    id_text = "" if "no_site_id" in features else f"网站标识码：{code}0001 "
    full_title = f"{escape(title)} - {name}门户网站" if "portal_title" in features else f"{escape(title)}_{name}"
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={site.declared_charset}">
{id_meta}<title>{full_title}</title>
<link rel="stylesheet" href="/css/style.css">
</head>
<body>
<div class="top-bar"><div class="wrap">
<span class="welcome">欢迎访问{name}门户网站</span>
<a href="javascript:void(0)" id="wzafw" class="barrier-free">无障碍浏览</a>
<a href="javascript:void(0)" class="elder">长者专版</a>
<a href="/m/">手机版</a> <a href="/search/">站内搜索</a>
</div></div>
<div class="header"><div class="wrap"><a href="/" class="logo">{name}</a></div></div>
<div class="nav"><ul>{nav}</ul></div>
<div class="wrap main">
<div class="position">当前位置：{crumb}</div>
{main}
</div>
<div class="footer"><div class="wrap">
<p><a href="/about/">关于本网</a> | <a href="/sitemap/">网站地图</a> | <a href="/contact/">联系我们</a></p>
<p>主办：{name}办公室 承办：{name}电子政务中心</p>
<p>{id_text}ICP备案号：ICP备05012345号 公网安备 {code}02000123号</p>
<p><img src="/images/jiucuo.png" alt="政府网站找错"> <img src="/images/dzjg.png" alt="党政机关"></p>
</div></div>
</body>
</html>
"""


def share_bar() -> str:
    return ('<div class="share">分享到：<a href="javascript:void(0)" class="wx">微信</a> '
            '<a href="javascript:void(0)" class="wb">微博</a> <a href="javascript:void(0)">QQ空间</a> '
            '【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</div>')


def article(site, title: str, date: str, source: str, inner: str, container: tuple[str, str],
            crumbs: list[tuple[str, str]], info: str | None = None) -> str:
    """An article page: CMS meta tags, heading, info line and the content container.
    `info` replaces the date/source line (and then no ContentSource meta is printed)."""
    source_meta = "" if info else f'<meta name="ContentSource" content="{escape(source)}">\n'
    info = info or f"<span>发布时间：{date}</span> <span>来源：{escape(source)}</span>"
    main = f"""<meta name="ArticleTitle" content="{escape(title)}">
<meta name="PubDate" content="{date} 09:30">
{source_meta}<div class="article">
<h1 class="article-title">{escape(title)}</h1>
<div class="article-info">{info}
<span>【字体：<a href="javascript:void(0)">大</a> <a href="javascript:void(0)">中</a> <a href="javascript:void(0)">小</a>】</span></div>
{container[0]}
{inner}
{container[1]}
{share_bar()}
</div>"""
    return page(site, title, main, crumbs)


def report_inner(report) -> str:
    """The body of a report as it sits in the CMS container."""
    c = report.content
    style = Style(report.quirks)
    sections = report.record["sections"]
    parts = [f"<p>{escape(texts.preamble(report.body.name, report.year))}</p>"]
    if "chrome_in_body" in report.quirks:  # editors paste the share bar into the body
        parts.insert(0, '<p>无障碍浏览 长者专版</p><p>当前位置：首页 &gt; 政务公开 &gt; 年报</p>')
    if report.format == "pre-2019":
        for key, heading in texts.HEADINGS_PRE2019:
            parts.append(f"<p><strong>{heading}</strong></p>")
            text = sections[key] if key else texts.fees_pre2019(report.year)
            parts += [f"<p>{escape(line)}</p>" for line in text.split("\n") if line]
    else:
        tables = c["tables"]
        builders = {
            "active_disclosure": lambda: render_tables.active_disclosure(
                tables["active_disclosure"], report.format, style),
            "applications": lambda: render_tables.applications(tables["applications"], report.format, style),
            "review_litigation": lambda: render_tables.review_litigation(tables["review_litigation"], style),
        }
        for key, heading in texts.HEADINGS.items():
            parts.append(f"<p><strong>{heading}</strong></p>")
            parts += [f"<p>{escape(line)}</p>" for line in sections[key].split("\n") if line]
            if key in builders:
                parts.append(builders[key]())
    parts.append(f'<p style="text-align:right">{escape(report.body.name)}</p>')
    parts.append(f'<p style="text-align:right">{report.published[:4]}年{int(report.published[5:7])}月'
                 f'{int(report.published[8:10])}日</p>')
    if "chrome_in_body" in report.quirks:
        parts.append(share_bar())
    return "\n".join(parts)


def decoy_inner(decoy) -> str:
    parts = [f"<p>{escape(line)}</p>" for line in decoy.body.split("\n")]
    if decoy.kind == "format_notice":
        # The format notice carries the blank template tables: it looks like a report.
        from parsers import keys
        from sandbox import numbers

        style = Style(("nbsp_blanks",))
        empty_apps = {r: {c: numbers.cell(None) for c in keys.APPLICATION_COLUMNS}
                      for r in keys.row_keys("applications", "2021")}
        parts += ["<p>三、收到和处理政府信息公开申请情况</p>",
                  render_tables.applications(empty_apps, "2021", style)]
    return "\n".join(parts)


def attachment_inner(report, href: str) -> str:
    """The article that wraps a PDF/DOCX report: a line of text and the link."""
    name = f"{report.title}.{report.ext}"
    return (f"<p>现将{escape(report.title)}予以公布。</p>\n"
            f'<p>附件：<a href="{href}" target="_blank">{escape(name)}</a></p>')


def listing(site, column, entries_html: str, pager_html: str, subcolumns=()) -> str:
    more = "".join(f'<p class="more"><a href="{c.path}">{escape(c.name)}&gt;&gt;</a></p>' for c in subcolumns)
    main = f"""<div class="column">
<h2 class="column-title">{escape(column.name)}</h2>
{entries_html}
{pager_html}
{more}
</div>"""
    return page(site, column.name, main, [("政务公开", "/col1/"), (column.name, column.path)])


def entry_list(entries, href) -> str:
    """`<ul>` of listing entries; `href(entry)` makes each link (relative or absolute)."""
    lines = [f'<li><a href="{href(e)}" target="_blank" title="{escape(e.title)}">{escape(e.title)}</a>'
             f'<span class="date">{e.date}</span></li>' for e in entries]
    return '<ul class="list">\n' + "\n".join(lines) + "\n</ul>"
