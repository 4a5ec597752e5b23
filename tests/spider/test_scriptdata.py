"""Page data read as data: the same value in every spelling portals use, parsed by spiders/platforms/scriptdata
(chompjs), and no regular expression in spiders/platforms that pulls a value out of text."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from spiders.platforms import scriptdata as sd

CONFIG = {"SID": "755085", "TREE": [{"id": 2340, "name": "政府信息公开年报", "children": []}]}

# one configuration, every spelling seen (or plausible): the JSON case first
SPELLINGS = [
    'window._CONFIG = {"SID": "755085", "TREE": [{"id": 2340, "name": "政府信息公开年报", "children": []}]};',
    "window._CONFIG = {SID: '755085', TREE: [{id: 2340, name: '政府信息公开年报', children: [],},],};",
    "window._CONFIG = {'SID':'755085','TREE':[{'id':2340,'name':'政府信息公开年报','children':[]}]}",
    'window._CONFIG = JSON.parse(\'{"SID": "755085", "TREE": [{"id": 2340, "name": "政府信息公开年报", "children": []}]}\');',
    "var _CONFIG = {\n  // the site\n  SID: \"755085\", /* tree */ TREE: [{id: 2340, name: \"政府信息公开年报\", children: []}]\n};",
    'window["_CONFIG"] = 0; window._CONFIG = {TREE: [{"id": 2340, "name": "政府信息公开年报", "children": []}], '
    '"SID": "755085", DETAIL: null, theme: \'red\'};',
]


@pytest.mark.parametrize("text", SPELLINGS)
def test_one_config_in_every_spelling(text):
    conf = sd.value_of(text, "_CONFIG")
    assert conf["SID"] == CONFIG["SID"] and conf["TREE"] == CONFIG["TREE"]


def test_properties_assigned_one_at_a_time_and_keys_inside_an_unparseable_object():
    text = "window._CONFIG = window._CONFIG || {};\n_CONFIG.SID = '755085';\n_CONFIG.TREE = [{id: 2340}];"
    assert sd.value_of(text, "SID") == "755085" and sd.value_of(text, "TREE") == [{"id": 2340}]
    # the object as a whole does not parse (a concatenation): each key is still read on its own
    broken = "var c = {SID: '75' + '5085', TREE: [{id: 1}], count: 3};"
    assert sd.value_of(broken, "c") is None and sd.value_of(broken, "TREE") == [{"id": 1}]
    assert sd.value_of(broken, "SID") is None and sd.value_of(broken, "count") == 3


def test_scalars_comments_and_computed_values():
    text = "var currentPage = 0;//所在页从0开始\nvar prevPage = currentPage-1//上一页\nvar countPage = \"3\"//共多少页\n"
    assert sd.value_of(text, "currentPage") == 0 and sd.value_of(text, "countPage") == "3"
    assert sd.value_of(text, "prevPage") is None                 # an expression: only the script knows
    assert sd.values_of(text, "prevPage") == [sd.COMPUTED]
    assert sd.value_of("var a = 0x1F; var b = -2.5; var c = true; var d = null;", "a") == 31
    assert sd.value_of("if (x == countPage) {}", "countPage") is None         # a comparison is no assignment
    assert sd.value_of('var s = "countPage = 9";', "countPage") is None        # nor is text inside a string


def test_identifiers_are_resolved():
    text = "var pages = 5; var name = 'fg'; createPageHTML('page_div', pages, 1, name, 'shtml', 89);"
    (args,) = sd.calls(text, "createPageHTML")
    assert args[1] == sd.Ref("pages") and [sd.resolve_ref(text, a) for a in args] == ["page_div", 5, 1, "fg",
                                                                                       "shtml", 89]
    obj = sd.calls("var p = {a: 1}; $.ajax({url: '/x', data: p});", "$.ajax")[0][0]
    assert obj["data"] == "p" and sd.resolve_name("var p = {a: 1};", obj["data"]) == {"a": 1}


def test_calls_of_dotted_and_member_names():
    text = "$('#u').jpage({perPage: 4, ajaxParam: {columnid: 61490}}); window.open('/a.html', '_self');"
    assert sd.calls(text, ".jpage") == [[{"perPage": 4, "ajaxParam": {"columnid": 61490}}]]
    assert sd.calls(text, "window.open") == [["/a.html", "_self"]]
    assert sd.calls("function createPageHTML(a, b) {}", "createPageHTML")[0] == [sd.Ref("a"), sd.Ref("b")]


@pytest.mark.parametrize("snippet, target", [
    ('window.location.replace("/nb/index.html")', "/nb/index.html"),
    ("location.href='/nb/index.html'", "/nb/index.html"),
    ('top.location = "../nb/"', "../nb/"),
    ("window.open('/nb/list.htm', '_self')", "/nb/list.htm"),
    ('var d="/wh/"+"c10"; window.location.replace(d + "list.shtml");', None),      # computed: a browser's job
])
def test_navigation_targets(snippet, target):
    assert sd.navigation_target(snippet) == target


def test_objects_and_strings_of_a_script():
    text = ('arr[0] = ["甲县2019年政府信息公开工作年度报告", "/a.htm", "2019-03-28"];\n'
            "var d = JSON.parse('[{\"t\": \"乙\"}]'); document.write(\"<a href='x'>y</a>\");")
    objs = sd.objects(text)
    assert ["甲县2019年政府信息公开工作年度报告", "/a.htm", "2019-03-28"] in objs and [{"t": "乙"}] in objs
    assert "<a href='x'>y</a>" in list(sd.strings(text))


def test_scripts_of_a_page_skip_data_islands_and_external_scripts():
    page = ('<script type="text/xml"><datastore/></script><script src="/a.js">var x = 1;</script>'
            '<script type="application/json">{"a": 1}</script><script>var y = 2;</script>')
    r = HtmlResponse(url="http://h/", body=page.encode(), encoding="utf-8", request=Request("http://h/"))
    assert sd.scripts(r) == ['{"a": 1}', "var y = 2;"]


def test_parse_data_reads_json_jsonp_and_literals():
    assert sd.parse_data('{"a": [1, 2]}') == {"a": [1, 2]}
    assert sd.parse_data("callback({a: 'x', b: [1,],});") == {"a": "x", "b": [1]}
    assert sd.parse_data("<html></html>") is None and sd.parse_data("") is None


PLATFORMS = Path(__file__).resolve().parents[2] / "spiders" / "platforms"
_RE_CALLS = {"compile", "search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split"}


def test_no_regex_in_the_adapters_extracts_a_value():
    """Regular expressions in spiders/platforms only locate names or tell kinds of URL and text apart: none
    has a capturing group, and nothing reads a match's groups — values are read by the parser."""
    offenders = []
    for path in sorted(PLATFORMS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in ("group", "groups", "groupdict") or \
                        (node.func.attr in ("findall",) and getattr(node.func.value, "id", "") != "re"):
                    offenders.append(f"{path.name}:{node.lineno} .{node.func.attr}()")
                if getattr(node.func.value, "id", "") == "re" and node.func.attr in _RE_CALLS and node.args:
                    pattern = node.args[0]
                    if isinstance(pattern, ast.Constant) and isinstance(pattern.value, str):
                        if re.compile(pattern.value).groups:
                            offenders.append(f"{path.name}:{node.lineno} {pattern.value!r}")
                    elif isinstance(pattern, ast.JoinedStr):
                        literal = "".join(v.value for v in pattern.values if isinstance(v, ast.Constant))
                        if re.search(r"\((?!\?)", literal.replace(r"\(", "")):
                            offenders.append(f"{path.name}:{node.lineno} f-string pattern with a group")
    assert offenders == []
