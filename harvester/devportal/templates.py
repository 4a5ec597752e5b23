"""Page templates of the simulated portals: plain functions from data to HTML text.

Modelled on real TRS WCM portals (the pingtan column and report pages in tests/fixtures/corpus are
real examples): standard meta tags (政府网站发展指引), header/nav/footer chrome, JavaScript
pagination in four signatures, list items with full titles in `title=`, detail pages with a
信息公开 metadata block in one of seven layouts and the body in `div.TRS_Editor`.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

e = lambda s: html.escape(str(s), quote=True)  # noqa: E731


@dataclass
class ListEntry:
    href: str            # as written in the list (relative to the list page, or absolute path)
    title: str           # full title (the `title=` attribute)
    date: str            # date shown in the list, YYYY-MM-DD
    display: str | None = None   # link text when it differs (truncated)


# ----------------------------------------------------------------------------------------------
# the page frame
# ----------------------------------------------------------------------------------------------

def meta_tags(site, **meta) -> str:
    tags = {"SiteName": site.site_name, "SiteDomain": site.domain, "SiteIDCode": site.site_code}
    tags.update({k: v for k, v in meta.items() if v is not None})
    return "\n".join(f'<meta name="{k}" content="{e(v)}"/>' for k, v in tags.items())


def frame(site, title: str, body: str, *, meta: dict | None = None, charset: str = "utf-8",
          head_extra: str = "") -> str:
    """The site's chrome around a page body: header with navigation, footer with 备案号."""
    nav = "".join(f'<li><a href="{e(href)}">{e(name)}</a></li>' for name, href in site.nav)
    charset_tag = (f'<meta charset="{charset}">' if charset == "utf-8"
                   else f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">')
    return f"""<!DOCTYPE html>
<html>
<head>
{charset_tag}
<meta http-equiv="X-UA-Compatible" content="IE=edge">
{meta_tags(site, **(meta or {}))}
<title>{e(title)}</title>
<link rel="stylesheet" type="text/css" href="/images/common.css">
{head_extra}
</head>
<body>
<div class="header">
  <div class="top-links"><a href="https://www.gov.cn/" target="_blank">中国政府网</a> <a href="javascript:;">无障碍浏览</a> <a href="javascript:;">长者模式</a></div>
  <div class="logo"><a href="/"><img src="/images/logo.png" alt="{e(site.site_name)}"></a></div>
  <div class="search"><form action="/search/" method="get"><input type="text" name="q"><button type="submit">搜索</button></form></div>
  <ul class="nav">{nav}</ul>
</div>
<div class="main">
{body}
</div>
<div class="footer">
  <p>主办：{e(site.site_name)}办公室　承办：{e(site.short)}大数据管理中心</p>
  <p>网站标识码：{e(site.site_code)}　<a href="https://beian.miit.gov.cn/" target="_blank">{e(site.icp)}</a></p>
</div>
</body>
</html>
"""


def breadcrumb(parts: list[tuple[str, str]]) -> str:
    links = " &gt; ".join(f'<a href="{e(h)}">{e(n)}</a>' if h else e(n) for n, h in parts)
    return f'<div class="position">当前位置：{links}</div>'


# ----------------------------------------------------------------------------------------------
# pagination scripts (portals.md, TRS signatures 1–4)
# ----------------------------------------------------------------------------------------------

CREATE_PAGE_HTML_JS = """function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
\tif(_nPageCount == null || _nPageCount<=1){ return; }
\tvar nCurrIndex = _nCurrIndex || 0;
\tif(nCurrIndex == 0) document.write("<span>首页</span>&nbsp;<span>上一页</span>&nbsp;");
\telse{
\t\tdocument.write("<a href=\\""+_sPageName+"."+_sPageExt+"\\">首页</a>&nbsp;");
\t\tif(nCurrIndex == 1) document.write("<a href=\\""+_sPageName+"."+_sPageExt+"\\">上一页</a>&nbsp;");
\t\telse document.write("<a href=\\""+_sPageName+"_"+(nCurrIndex-1)+"."+_sPageExt+"\\">上一页</a>&nbsp;");
\t}
\tif(nCurrIndex == (_nPageCount-1)) document.write("<span>下一页</span>&nbsp;<span>尾页</span>");
\telse{
\t\tdocument.write("<a href=\\""+_sPageName+"_"+(nCurrIndex+1)+"."+_sPageExt+"\\">下一页</a>&nbsp;");
\t\tdocument.write("<a href=\\""+_sPageName+"_"+(_nPageCount-1)+"."+_sPageExt+"\\">尾页</a>");
\t}
}
"""


def pager(sig: int, pages: int, current: int, name: str, ext: str, records: int, *, inline_def: bool) -> str:
    """The pagination block of a list page; `current` is 0-based for every signature."""
    if sig == 1:
        definition = f"<script>\n{CREATE_PAGE_HTML_JS}</script>\n" if inline_def else \
            '<script src="/images/trs_page.js"></script>\n'
        return (f'{definition}<div class="page"><script language="JavaScript">'
                f'createPageHTML({pages}, {current}, "{name}", "{ext}");</script></div>')
    if sig == 2:
        return f"""<div class="page"><script>
var currentPage = {current};//所在页从0开始
var prevPage = currentPage-1//上一页
var nextPage = currentPage+1//下一页
var countPage = {pages}//共多少页
var countnum= {records};
document.write("共"+countnum+"条&nbsp;&nbsp;共"+countPage+"页&nbsp;&nbsp;");
if(countPage>1&&currentPage!=0&&currentPage!=1)
\tdocument.write("<a href=\\"{name}.{ext}\\">首页</a>&nbsp;<a href=\\"{name}_" + prevPage + ".{ext}\\">上一页</a>&nbsp;");
else if(countPage>1&&currentPage!=0&&currentPage==1)
\tdocument.write("<a href=\\"{name}.{ext}\\">首页</a>&nbsp;<a href=\\"{name}.{ext}\\">上一页</a>&nbsp;");
else document.write("首页&nbsp;上一页&nbsp;");
if(countPage>1&&currentPage!=(countPage-1))
\tdocument.write("<a href=\\"{name}_" + nextPage + ".{ext}\\">下一页</a>&nbsp;<a href=\\"{name}_" + (countPage-1) + ".{ext}\\">尾页</a>");
else document.write("下一页&nbsp;尾页");
</script></div>"""
    if sig == 3:
        return (f'<div id="page_div" class="page"></div>\n<script src="/images/createPageHTML.js"></script>\n'
                f"<script>createPageHTML('page_div',{pages}, {current + 1},'{name}','{ext}',{records});</script>")
    if sig == 4:
        return (f'<div class="page"><script src="/images/trs_page_bj.js"></script>'
                f'<script>createPageHTML({records}, {pages}, {current}, "{name}", "{ext}");</script></div>')
    raise ValueError(sig)


def page_filename(sig: int, k: int, name: str, ext: str) -> str:
    """File of page k (0-based): signatures 1/2/4 name page k>0 `name_k`, signature 3 `name_{k+1}`."""
    if k == 0:
        return f"{name}.{ext}"
    return f"{name}_{k + 1 if sig == 3 else k}.{ext}"


# ----------------------------------------------------------------------------------------------
# list pages
# ----------------------------------------------------------------------------------------------

def list_items(style: str, entries: list[ListEntry]) -> str:
    out = []
    if style == "li_span":
        out.append('<ul class="list">')
        for x in entries:
            out.append(f'<li><a href="{e(x.href)}" title="{e(x.title)}" target="_blank">{e(x.display or x.title)}</a>'
                       f'<span>{e(x.date)}</span></li>')
        out.append("</ul>")
    elif style == "dl_dd":  # the real pingtan markup
        out.append('<div class="rules_tabs_01 rules_tabs_no_bg">')
        for x in entries:
            out.append(f"""<dl>
  <dd class="trt-col-sm-24 slb-trt-col-24 text_align_left">
    <a href="{e(x.href)}" target="_blank" title="{e(x.title)}">{e(x.display or x.title)}</a>
  </dd>
  <dd class="trt-col-4 trt-col-sm-24 slb-trt-col-24 text_align_left">
    {e(x.date)}
  </dd>
</dl>""")
        out.append("</div>")
    elif style == "table":
        out.append('<table class="list_table" width="100%"><tr><th>标题</th><th>发布日期</th></tr>')
        for x in entries:
            out.append(f'<tr><td class="title"><a href="{e(x.href)}" title="{e(x.title)}" target="_blank">'
                       f'{e(x.display or x.title)}</a></td><td class="date">{e(x.date)}</td></tr>')
        out.append("</table>")
    else:
        raise ValueError(style)
    return "\n".join(out)


def column_page(site, col, k: int, entries: list[ListEntry], pages: int, records: int) -> str:
    """Page k (0-based) of a list column: sub-column tabs, items, pagination script."""
    tabs = ""
    if col.nav:
        on = ' class="on"'
        tabs = '<div class="left_nav"><h3>' + e(col.nav_title or col.name) + "</h3><ul>" + "".join(
            f'<li{on if name == col.name else ""}><a href="{e(href)}">{e(name)}</a></li>'
            for name, href in col.nav) + "</ul></div>"
    body = f"""{breadcrumb(col.crumbs)}
{tabs}
<div class="right_list">
<div class="list_title"><h2>{e(col.name)}</h2></div>
{list_items(col.style, entries)}
{pager(col.sig, pages, k, col.page_name, col.ext, records, inline_def=col.inline_js)}
</div>"""
    return frame(site, f"{col.name}_{site.site_name}", body,
                 meta={"ColumnName": col.name, "ColumnType": col.name, "ColumnDescription": col.name},
                 charset=col.charset)


def stub_page() -> str:
    """A stale deep index page: what TRS leaves behind when a column shrinks (300-400 bytes)."""
    return ('<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n<title></title>\n</head>\n<body>\n'
            '<div class="list">\n<ul>\n</ul>\n</div>\n<div class="page"><script language="JavaScript">'
            '</script></div>\n<!-- TRS WCM 发布于2019-06-12 09:31:27 -->\n'
            '<!-- 页面已过期，请返回栏目首页 -->\n</body>\n</html>\n')


def shell_js(target: str) -> str:
    """A ~160-byte shell page sending the browser on with location.replace."""
    return (f'<html><head><meta charset="utf-8"><script type="text/javascript">'
            f'window.location.replace("{target}");</script></head><body></body></html>')


def shell_refresh(target: str) -> str:
    return (f'<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url={target}">'
            f'<title>跳转中</title></head><body></body></html>')


# ----------------------------------------------------------------------------------------------
# the 信息公开 metadata block, seven layouts (portals.md "Metadata on detail pages")
# ----------------------------------------------------------------------------------------------

LAYOUTS = ("govcn", "jiangsu", "zhejiang", "wuhan", "suzhou", "beijing", "bulleted")


def meta_block(layout: str, f: dict) -> str:
    """f: index_no, publisher, doc_number, written, published, topic, validity, title."""
    if layout == "govcn":  # gov.cn 2×4 table, labels padded with spaces / U+3000
        return f"""<table class="xxgk-info" width="100%" border="0" cellspacing="1" cellpadding="0">
<tr><td width="12%"><b>索 引 号：</b></td><td width="38%">{e(f['index_no'])}</td><td width="12%"><b>主题分类：</b></td><td>{e(f['topic'])}</td></tr>
<tr><td><b>发文机关：</b></td><td>{e(f['publisher'])}</td><td><b>成文日期：</b></td><td>{e(f['written_cn'])}</td></tr>
<tr><td><b>标　　题：</b></td><td colspan="3">{e(f['title'])}</td></tr>
<tr><td><b>发文字号：</b></td><td>{e(f['doc_number'])}</td><td><b>发布日期：</b></td><td>{e(f['published_cn'])}</td></tr>
</table>"""
    if layout == "jiangsu":
        return f"""<table class="xxgk_table" cellspacing="0" cellpadding="0">
<tbody>
<tr><td class="td_lable">索&nbsp;引&nbsp;号：</td><td class="td_content">{e(f['index_no'])}</td><td class="td_lable">分　　类：</td><td class="td_content">{e(f['topic'])}</td></tr>
<tr><td class="td_lable">发布机构：</td><td class="td_content">{e(f['publisher'])}</td><td class="td_lable">发文日期：</td><td class="td_content">{e(f['written'])}</td></tr>
<tr><td class="td_lable">文　　号：</td><td class="td_content">{e(f['doc_number'])}</td><td class="td_lable">时&nbsp;效&nbsp;性：</td><td class="td_content">{e(f['validity'])}</td></tr>
<tr><td class="td_lable">发布日期：</td><td class="td_content" colspan="3">{e(f['published'])}</td></tr>
</tbody>
</table>"""
    if layout == "zhejiang":
        return f"""<table class="xxgk_info" width="100%">
<tr><td>索引号：</td><td>{e(f['index_no'])}</td><td>公开方式：</td><td>主动公开</td></tr>
<tr><td>发布机构：</td><td>{e(f['publisher'])}</td><td>成文日期：</td><td>{e(f['written'])}</td></tr>
<tr><td>文号：</td><td>{e(f['doc_number'])}</td><td>发布日期：</td><td>{e(f['published'])}</td></tr>
<tr><td>有效性：</td><td colspan="3">{e(f['validity'])}</td></tr>
</table>"""
    if layout == "wuhan":
        return f"""<ul class="xxgk-infos">
<li>索引号： {e(f['index_no'])}</li>
<li>分类： {e(f['topic'])}</li>
<li>发布机构： {e(f['publisher'])}</li>
<li>发文日期： {e(f['written'])}</li>
<li>文号： {e(f['doc_number'])}</li>
<li>发布日期： {e(f['published'])}</li>
<li>效力状况： {e(f['validity'])}</li>
</ul>"""
    if layout == "suzhou":
        item = lambda lab, v: f'<div class="xxgk_item"><label><font>{lab}</font></label><div>{e(v)}</div></div>'  # noqa: E731
        return '<div class="xxgk_head">\n' + "\n".join([
            item("索 引 号：", f["index_no"]), item("信息分类：", f["topic"]), item("发布机构：", f["publisher"]),
            item("生成日期：", f["written"]), item("文　　号：", f["doc_number"]), item("发布日期：", f["published"]),
            item("有 效 性：", f["validity"])]) + "\n</div>"
    if layout == "beijing":
        return f"""<div class="xxgk_detail"><dl>
<dt>索引号：</dt><dd>{e(f['index_no'])}</dd>
<dt>发文机构：</dt><dd>{e(f['publisher'])}</dd>
<dt>发文字号：</dt><dd>{e(f['doc_number'])}</dd>
<dt>成文日期：</dt><dd>{e(f['written'])}</dd>
<dt>发布日期：</dt><dd>{e(f['published'])}</dd>
<dt>有效性：</dt><dd>{e(f['validity'])}</dd>
</dl></div>"""
    if layout == "bulleted":  # one field a bullet, the value on the next line (seed 002)
        rows = [("索引号", f["index_no"]), ("发布机构", f["publisher"]), ("文号", f["doc_number"]),
                ("发布日期", f["published"]), ("时效性", f["validity"])]
        return '<ul class="doc-attrs">\n' + "\n".join(
            f'<li>\n  <span class="attr-name">{lab}</span>\n  <p class="attr-value">{e(v)}</p>\n</li>' for lab, v in rows
        ) + "\n</ul>"
    raise ValueError(layout)


# ----------------------------------------------------------------------------------------------
# detail pages
# ----------------------------------------------------------------------------------------------

def detail_page(site, col, d, *, charset: str = "utf-8") -> str:
    """A TRS article page: meta tags, title, metadata block, TRS_Editor body, attachment list."""
    union = d.union_style
    content = f'<div class="Custom_UnionStyle">\n{d.body}\n</div>' if union else d.body
    editor = f'<div class="TRS_Editor">\n{content}\n</div>' if d.editor_quotes else f"<div class=TRS_Editor>{content}</div>"
    attach = ""
    if d.attachments_block:
        links = "".join(f'<li><a href="{e(h)}" OLDSRC="{e(h.replace("./", "/protect/"))}" target="_blank">{e(t)}</a></li>'
                        for h, t in d.attachments_block)
        attach = f'<div class="article_attachment"><div class="title_base">附件：</div><ul>{links}</ul></div>'
    body = f"""{breadcrumb(col.crumbs + [("正文", "")])}
<div class="article">
{meta_block(d.layout, d.fields) if d.layout else ""}
<div class="article_title"><h1>{e(d.title)}</h1></div>
<div class="article_info"><span>发布时间：{e(d.pubdate_text)}</span><span>来源：{e(d.source)}</span><span>浏览次数：<script src="/images/count.js"></script></span></div>
<div class="article_content">
{editor}
</div>
{attach}
</div>"""
    meta = {"ColumnName": col.name, "ColumnType": col.name, "ArticleTitle": d.title, "PubDate": d.pubdate_meta,
            "ContentSource": d.source, "Keywords": "", "Author": "", "Description": "", "Url": d.canonical,
            "catalogs": str(col.chnl_id), "contentid": str(d.doc_id), "publishdate": d.pubdate_meta}
    return frame(site, f"{d.title}_{col.name}_{site.site_name}", body, meta=meta, charset=charset)


def simple_page(site, title: str, crumbs, inner: str, column_name: str | None = None) -> str:
    body = f"""{breadcrumb(crumbs)}
<div class="content"><h2>{e(title)}</h2>
{inner}
</div>"""
    return frame(site, f"{title}_{site.site_name}", body,
                 meta={"ColumnName": column_name or title, "ColumnType": column_name or title})


def link_list(links: list[tuple[str, str]], cls: str = "links") -> str:
    return f'<ul class="{cls}">' + "".join(f'<li><a href="{e(h)}">{e(n)}</a></li>' for n, h in links) + "</ul>"
