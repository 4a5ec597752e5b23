"""Generated annual reports (政府信息公开工作年度报告) with ground-truth cells, and their renderings.

`make_report` draws every cell of a format (`format_cell_ids(fmt)`) so that the hard checks H1–H4 of
report-format.md §6 hold, with magnitudes that depend on who publishes (townships: mostly zeros,
city governments: thousands of applications), and writes the six sections' narrative so that the
numbers it quotes agree with the tables (S5). `render_html`, `render_pdf` and `render_docx` lay the
same report out the way real reports are laid out: tables 二/三/四 on the spec's merged-cell grids.
All output is a pure function of the report (and the report of its rng), so a seed fixes the bytes.
"""
from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from harvester.report.schema import format_cell_ids, load_schema

COLS = ["natural_person", "commercial", "research", "social_welfare", "legal_service", "other_org", "total"]
COLS6 = COLS[:6]
T4_BLOCKS = ["review", "lit_direct", "lit_after_review"]
T4_PARTS = ["maintained", "corrected", "other", "pending"]

HEADINGS = {
    "s1_overall": "一、总体情况",
    "s2_active": "二、主动公开政府信息情况",
    "s3_requests": "三、收到和处理政府信息公开申请情况",
    "s4_review_litigation": "四、政府信息公开行政复议、行政诉讼情况",
    "s5_problems": "五、存在的主要问题及改进情况",
    "s6_other": "六、其他需要报告的事项",
}
HEADING_VARIANTS = {
    "s4_review_litigation": ["四、政府信息公开行政复议、行政诉讼情况",
                             "四、因政府信息公开工作被申请行政复议、提起行政诉讼情况"],
    "s5_problems": ["五、存在的主要问题及改进情况", "五、政府信息公开工作存在的主要问题及改进情况"],
}
T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


# --------------------------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------------------------

@dataclass
class GeneratedReport:
    agency: str                    # full name of the publishing body (发布机构 of the report)
    year: int                      # report year (statistics period)
    fmt: str                       # gov2021 / gov2019
    kind: str                      # government / department / township
    level: str                     # city / county / department / township: the magnitude profile
    title: str
    cells: dict[str, int | float]  # every id of format_cell_ids(fmt)
    units: dict[str, str]          # cell id -> unit printed with it (2019 procurement amount: 元 or 万元)
    intro: str                     # paragraph before 一、总体情况
    headings: dict[str, str]       # section id -> heading as printed
    sections: dict[str, list[str]] # section id -> paragraphs after the heading (tables go after them)
    date: str                      # date written at the end (成文日期), YYYY-MM-DD
    publisher: str                 # office that compiled it (also the sign-off line)
    style: dict = field(default_factory=dict)   # rendering variants drawn with the report
    facts: dict = field(default_factory=dict)   # numbers the narrative quotes

    def text(self) -> str:
        """Plain text of the report (title, sections, no tables): what the narrative says."""
        out = [self.title, self.intro]
        for sid, heading in self.headings.items():
            out.append(heading)
            out.extend(self.sections[sid])
        return "\n".join(out)


def _rows3(fmt: str) -> list[dict]:
    year = {"gov2019": "2019", "gov2021": "2021"}[fmt]
    return [r for r in load_schema()["table3"]["rows"] if year in r["formats"]]


def _result_rows(fmt: str) -> list[str]:
    return [r["id"] for r in _rows3(fmt) if r["id"] not in ("new", "carried_over", "total", "carry_forward")]


# weights of the 办理结果 rows (before jitter); 2019 has the single `other` row
_RESULT_WEIGHTS = {
    "granted": 40, "partial": 10,
    "denied.state_secret": 0.3, "denied.law_forbidden": 1, "denied.three_safety_one_stability": 0.3,
    "denied.third_party": 0.6, "denied.internal_affairs": 0.8, "denied.process_info": 1.2,
    "denied.enforcement_file": 0.6, "denied.admin_query": 2.5,
    "unable.not_held": 22, "unable.need_creation": 3, "unable.unclear": 2,
    "not_processed.petition": 3, "not_processed.repeat": 3, "not_processed.publication": 0.3,
    "not_processed.massive": 0.6, "not_processed.confirm_reissue": 0.5,
    "other": 4, "other.no_correction": 2, "other.fee_unpaid": 0.3, "other.other": 2,
}
_COL_WEIGHTS = [86, 7, 0.4, 0.4, 3, 3.2]


def _level(agency: str, kind: str, level: str | None) -> str:
    if level:
        return level
    if kind != "government":
        return kind
    if agency.endswith("市人民政府") and not any(x in agency for x in ("区人民政府", "县人民政府")):
        return "city"
    return "county"


def _draw(rng: random.Random, zero_p: float, lo: float, hi: float) -> int:
    """0 with probability zero_p, else log-uniform between lo and hi."""
    if rng.random() < zero_p:
        return 0
    return int(round(math.exp(rng.uniform(math.log(max(lo, 1)), math.log(max(hi, 1))))))


# per level: (zero probability, low, high) for the magnitudes that matter
_PROFILE = {
    "township":   dict(requests=(0.6, 1, 5), review=(0.95, 1, 1), lit=(0.97, 1, 1),
                       licensing=(0.5, 1, 200), penalty=(0.6, 1, 40), coercion=(0.9, 1, 3),
                       fees=(1.0, 0, 0), norm_issued=(0.7, 1, 2), norm_valid=(0.5, 1, 6),
                       items=(0.5, 1, 12), procurement=(0.6, 1, 5)),
    "department": dict(requests=(0.3, 1, 40), review=(0.7, 1, 4), lit=(0.8, 1, 3),
                       licensing=(0.3, 10, 20000), penalty=(0.3, 5, 3000), coercion=(0.6, 1, 200),
                       fees=(0.4, 1, 800), norm_issued=(0.4, 1, 8), norm_valid=(0.2, 3, 60),
                       items=(0.2, 5, 120), procurement=(0.2, 2, 40)),
    "county":     dict(requests=(0.0, 25, 220), review=(0.2, 1, 15), lit=(0.3, 1, 8),
                       licensing=(0.0, 3000, 60000), penalty=(0.0, 500, 30000), coercion=(0.0, 10, 800),
                       fees=(0.0, 1000, 30000), norm_issued=(0.0, 3, 25), norm_valid=(0.0, 40, 300),
                       items=(0.0, 150, 600), procurement=(0.0, 30, 300)),
    "city":       dict(requests=(0.0, 600, 3500), review=(0.0, 60, 380), lit=(0.0, 15, 60),
                       licensing=(0.0, 100000, 600000), penalty=(0.0, 100000, 4000000),
                       coercion=(0.0, 8000, 100000), fees=(0.0, 50000, 150000), norm_issued=(0.0, 5, 40),
                       norm_valid=(0.0, 60, 400), items=(0.0, 300, 1200), procurement=(0.0, 200, 2000)),
}


def _split(rng: random.Random, n: int, weights: list[float]) -> list[int]:
    """n items into len(weights) bins (a multinomial draw)."""
    counts = [0] * len(weights)
    if n <= 0:
        return counts
    if n > 3000:  # large n: proportional with jitter, rest by draw (keeps it fast)
        total = sum(weights)
        base = [int(n * w / total * rng.uniform(0.97, 1.0)) for w in weights]
        rest = n - sum(base)
        for i in rng.choices(range(len(weights)), weights, k=rest):
            base[i] += 1
        return base
    for i in rng.choices(range(len(weights)), weights, k=n):
        counts[i] += 1
    return counts


def _binom(rng: random.Random, n: int, p: float) -> int:
    if n > 2000:
        return min(n, max(0, int(round(n * p * rng.uniform(0.8, 1.2)))))
    return sum(1 for _ in range(n) if rng.random() < p)


def _gen_t3(rng, fmt, level, prev: GeneratedReport | None, carry_forward: dict | None = None) -> dict:
    p = _PROFILE[level]
    cells: dict[str, int] = {}
    n_new = _draw(rng, *p["requests"])
    new = _split(rng, n_new, _COL_WEIGHTS)
    if prev is not None:
        carried = [int(prev.cells.get(f"apply.carry_forward.{c}", 0)) for c in COLS6]
    else:
        carried = [_binom(rng, x, 0.03) if level in ("county", "city") else 0 for x in new]
    cf_p = {"township": 0.0, "department": 0.02, "county": 0.04, "city": 0.035}[level] * rng.uniform(0, 2)
    results = _result_rows(fmt)
    weights = [_RESULT_WEIGHTS[r] * rng.uniform(0.4, 1.6) for r in results]
    if level == "township":
        weights[0] *= 4  # a township mostly grants what it is asked
    row_vals = {r: [0] * 6 for r in results}
    total = [0] * 6
    cfw = [0] * 6
    for i, c in enumerate(COLS6):
        avail = new[i] + carried[i]
        cfw[i] = _binom(rng, avail, cf_p)
        if carry_forward is not None:   # fixed by next year's 上年结转 (a real report follows)
            cfw[i] = int(carry_forward.get(c, 0))
            if avail < cfw[i]:
                new[i] += cfw[i] - avail
                avail = cfw[i]
        total[i] = avail - cfw[i]
        for r, k in zip(results, _split(rng, total[i], weights)):
            row_vals[r][i] = k
    def put(row, vals):
        for c, v in zip(COLS6, vals):
            cells[f"apply.{row}.{c}"] = v
        cells[f"apply.{row}.total"] = sum(vals)
    put("new", new)
    put("carried_over", carried)
    for r in results:
        put(r, row_vals[r])
    put("total", total)
    put("carry_forward", cfw)
    return cells


def _gen_t4(rng, level) -> dict:
    p = _PROFILE[level]
    cells = {}
    totals = {"review": _draw(rng, *p["review"])}
    lit = _draw(rng, *p["lit"])
    after = _binom(rng, lit, 0.35)
    totals["lit_direct"], totals["lit_after_review"] = lit - after, after
    for b in T4_BLOCKS:
        parts = _split(rng, totals[b], [50, 15, 25, 10])
        for name, v in zip(T4_PARTS, parts):
            cells[f"appeal.{b}.{name}"] = v
        cells[f"appeal.{b}.total"] = totals[b]
    return cells


def _money(rng, lo, hi, decimals) -> float:
    return round(rng.uniform(lo, hi), decimals)


def _gen_t2_2021(rng, level, prev: GeneratedReport | None) -> dict:
    p = _PROFILE[level]
    c: dict[str, int | float] = {}
    if level == "city":
        c["active.rules.issued"] = rng.randint(0, 4)
        c["active.rules.repealed"] = rng.randint(0, 2)
        c["active.rules.valid"] = rng.randint(8, 60)
    else:
        c["active.rules.issued"] = c["active.rules.repealed"] = c["active.rules.valid"] = 0
    issued = _draw(rng, *p["norm_issued"])
    valid0 = _draw(rng, *p["norm_valid"])
    repealed = min(valid0, _binom(rng, valid0, rng.uniform(0, 0.15)))
    if prev is not None and prev.fmt == "gov2021" and rng.random() < 0.8:  # S2 stock-flow mostly holds
        valid0 = int(prev.cells["active.normative_docs.valid"])
        repealed = min(valid0, repealed)
        if level == "city":
            pr = int(prev.cells["active.rules.valid"])
            c["active.rules.repealed"] = min(pr, c["active.rules.repealed"])
            c["active.rules.valid"] = pr + c["active.rules.issued"] - c["active.rules.repealed"]
    c["active.normative_docs.issued"] = issued
    c["active.normative_docs.repealed"] = repealed
    c["active.normative_docs.valid"] = valid0 + issued - repealed
    c["active.licensing.decisions"] = _draw(rng, *p["licensing"])
    c["active.penalty.decisions"] = _draw(rng, *p["penalty"])
    c["active.coercion.decisions"] = _draw(rng, *p["coercion"])
    zp, lo, hi = p["fees"]
    if rng.random() < zp or hi == 0:
        c["active.fees.amount_wan_yuan"] = 0.0
    else:
        c["active.fees.amount_wan_yuan"] = _money(rng, lo, hi, rng.choice([1, 2, 2, 4, 6] if level != "city" else [1, 2]))
    return c


def _gen_t2_2019(rng, level, prev: GeneratedReport | None) -> tuple[dict, dict]:
    p = _PROFILE[level]
    c: dict[str, int | float] = {}
    units: dict[str, str] = {}
    if level == "city":
        made = rng.randint(0, 5)
        c["active.rules.new_made"] = made
        c["active.rules.new_published"] = made
        c["active.rules.total_published"] = made + rng.randint(40, 500)
    else:
        c["active.rules.new_made"] = c["active.rules.new_published"] = c["active.rules.total_published"] = 0
    made = _draw(rng, *p["norm_issued"])
    pub = made if rng.random() < 0.7 else max(0, made - rng.randint(0, 2))
    c["active.normative_docs.new_made"] = made
    c["active.normative_docs.new_published"] = pub
    c["active.normative_docs.total_published"] = pub + _draw(rng, *p["norm_valid"])
    chain = prev is not None and prev.fmt == "gov2019"
    for row, share in (("licensing", 1.0), ("other_mgmt_services", 0.6), ("penalty", 4.0), ("coercion", 0.3)):
        if chain:
            prev_items = int(prev.cells[f"active.{row}.prev_year_items"] + prev.cells[f"active.{row}.delta"])
        else:
            prev_items = int(_draw(rng, *p["items"]) * share)
        delta = 0 if rng.random() < 0.4 else rng.randint(-max(1, prev_items // 8), max(1, prev_items // 4 + 2))
        delta = max(delta, -prev_items)
        c[f"active.{row}.prev_year_items"] = prev_items
        c[f"active.{row}.delta"] = delta
        key = {"other_mgmt_services": "licensing"}.get(row, row)
        c[f"active.{row}.decisions"] = _draw(rng, *p[key]) if prev_items + delta > 0 else 0
    if chain:
        fees_prev = int(prev.cells["active.fees.prev_year_items"] + prev.cells["active.fees.delta"])
    else:
        fees_prev = {"township": 0, "department": rng.randint(0, 12), "county": rng.randint(10, 70),
                     "city": rng.randint(40, 120)}[level]
    fd = 0 if rng.random() < 0.5 else rng.randint(-min(fees_prev, 6), 3)
    c["active.fees.prev_year_items"] = fees_prev
    c["active.fees.delta"] = fd
    projects = _draw(rng, *p["procurement"])
    c["active.procurement.projects"] = projects
    unit = rng.choice(["元", "万元"])
    units["active.procurement.amount"] = unit
    if projects == 0:
        c["active.procurement.amount"] = 0.0
    elif unit == "元":
        c["active.procurement.amount"] = _money(rng, projects * 20000, projects * 400000, 2)
    else:
        c["active.procurement.amount"] = _money(rng, projects * 2, projects * 40, rng.choice([2, 4]))
    return c, units


# --------------------------------------------------------------------------------------------
# narrative
# --------------------------------------------------------------------------------------------

_PROBLEMS = [
    "政务公开工作人员业务能力有待进一步提升，对《条例》的理解和把握还不够深入",
    "主动公开内容的全面性、及时性还有待加强，部分栏目更新不够及时",
    "政策解读形式还不够丰富，图解、视频等多元化解读占比偏低",
    "依申请公开答复的规范性有待进一步提高",
    "基层政务公开标准化规范化建设推进不够均衡",
    "政务公开平台的互动功能仍有不足，公众参与度不高",
]
_MEASURES = [
    "加强业务培训，定期组织政务公开工作人员学习《条例》和相关业务知识，提升工作能力",
    "健全信息发布审核机制，明确各栏目更新责任人，确保信息公开及时准确",
    "丰富政策解读形式，推出更多图文、音视频解读产品，提高解读的针对性和可读性",
    "规范依申请公开办理流程，加强答复文书合法性审查，严格落实答复时限",
    "深化基层政务公开标准化规范化建设，持续完善公开事项目录",
    "优化平台互动模块，畅通民意征集、在线咨询等渠道，增强公众参与实效",
]
_CN_NUM = "一二三四五六七八九十"


def _requests_sentence(rng, r: GeneratedReport, c: dict) -> str:
    n, co, t, cf = (int(c[f"apply.{x}.total"]) for x in ("new", "carried_over", "total", "carry_forward"))
    if n == 0 and co == 0:
        return rng.choice([f"{r.year}年，未收到政府信息公开申请。", "本年度未收到政府信息公开申请。"])
    np_ = int(c["apply.new.natural_person"])
    forms = [
        f"{r.year}年，共收到政府信息公开申请{n}件，上年结转{co}件，已办结{t}件，结转下年度继续办理{cf}件。",
        f"全年共收到政府信息公开申请{n}件，其中自然人申请{np_}件、法人或其他组织申请{n - np_}件；"
        f"加上年结转{co}件，共办结{t}件，结转下年度继续办理{cf}件，均在法定期限内予以答复。",
        f"本年度共收到政府信息公开申请{n}件，办结{t}件（含上年度结转申请{co}件），"
        f"另有{cf}件顺延至下年度答复。",
    ]
    return rng.choice(forms)


def _appeals_sentence(rng, c: dict) -> str:
    rv = int(c["appeal.review.total"])
    lt = int(c["appeal.lit_direct.total"] + c["appeal.lit_after_review.total"])
    if rv == 0 and lt == 0:
        return rng.choice(["本年度未发生因政府信息公开引起的行政复议、行政诉讼案件。",
                           "全年无因政府信息公开申请引起的行政复议、行政诉讼案件。"])
    return rng.choice([f"全年发生政府信息公开行政复议{rv}件、行政诉讼{lt}件。",
                       f"本年度因政府信息公开工作被申请行政复议{rv}件，被提起行政诉讼{lt}件。"])


def _self_ref(agency: str, kind: str, level: str) -> str:
    """How a report names its publisher in running text: 我市, 我区, 我局, 我镇, …"""
    if kind == "government":
        return "我市" if level == "city" else ("我县" if "县" in agency[-6:] else "我区")
    if kind == "township":
        for end in ("街道", "镇", "乡"):
            if end in agency:
                return f"我{end}"
        return "本机关"
    for end in ("局", "委", "办"):
        if agency.rstrip("员会").endswith(end) or agency.endswith(end):
            return f"我{end}"
    return "本单位"


def _narrative(rng, r: GeneratedReport, short: str, site_name: str | None, domain: str | None) -> None:
    c = r.cells
    year, fmt = r.year, r.fmt
    notice = ("《中华人民共和国政府信息公开工作年度报告格式》（国办公开办函〔2021〕30号）" if fmt == "gov2021"
              else "《国务院办公厅政府信息与政务公开办公室关于政府信息公开工作年度报告有关事项的通知》（国办公开办函〔2019〕60号）")
    where = f"“{site_name}”门户网站（{domain}）" if site_name and domain else "本级人民政府门户网站"
    r.intro = (f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和{notice}要求，由{r.publisher}编制。"
               "本报告内容包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、"
               "政府信息公开行政复议和行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项。"
               f"本报告所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。本报告电子版可在{where}查阅或下载。")
    scale = {"township": 1, "department": 8, "county": 40, "city": 200}[r.level]
    n_active = rng.randint(30, 120) * scale
    n_interp = rng.randint(2, 12) * max(1, scale // 4)
    req = _requests_sentence(rng, r, c)
    appeals = _appeals_sentence(rng, c)
    subs = [
        ("主动公开", f"{year}年，{short}坚持“以公开为常态、不公开为例外”，通过政府网站、政务新媒体等渠道主动公开政府信息"
                  f"{n_active}条，发布政策解读{n_interp}篇，及时回应社会关切。"),
        ("依申请公开", f"严格执行《条例》规定，规范依申请公开受理、审查、答复等环节。{req}{appeals}"),
        ("政府信息管理", "严格落实信息发布“三审三校”和保密审查制度，动态更新政府信息公开指南和主动公开目录，"
                     "及时清理失效、废止文件。"),
        ("政府信息公开平台建设", "持续优化政府网站政府信息公开专栏，规范栏目设置，加强政务新媒体管理，"
                            "确保平台安全稳定运行。"),
        ("监督保障", "将政务公开工作纳入年度绩效考核，明确专人负责，组织开展政务公开业务培训"
                  f"{rng.randint(1, 6)}次，本年度未发生政府信息公开工作责任追究情况。"),
    ]
    s1_style = r.style["s1"]
    if s1_style == "paren":
        s1 = [f"（{_CN_NUM[i]}）{h}。{t}" for i, (h, t) in enumerate(subs)]
    elif s1_style == "num":
        s1 = [f"{i + 1}.{h}情况。{t}" for i, (h, t) in enumerate(subs)]
    else:  # 一是…二是… in one or two paragraphs, as townships often write
        s1 = [f"{year}年，{short}认真贯彻落实《条例》，扎实推进政府信息公开工作。"
              + "".join(f"{_CN_NUM[i]}是做好{h}工作。{t}" for i, (h, t) in enumerate(subs[:2])),
              "".join(f"{_CN_NUM[i + 2]}是加强{h}。{t}" for i, (h, t) in enumerate(subs[2:]))]
    s2 = [] if rng.random() < 0.5 else [f"{year}年度主动公开政府信息情况如下："]
    s3 = [req] if rng.random() < 0.6 else []
    s4 = [appeals]
    k = rng.randint(2, 3)
    idx = rng.sample(range(len(_PROBLEMS)), k)
    probs = "；".join(_PROBLEMS[i] for i in idx)
    meas = "".join(f"{_CN_NUM[j]}是{_MEASURES[i]}。" for j, i in enumerate(idx))
    if rng.random() < 0.5:
        s5 = [f"（一）存在的主要问题。{probs}。", f"（二）改进措施。{meas}"]
    else:
        s5 = [f"{year}年，{_self_ref(r.agency, r.kind, r.level)}政府信息公开工作取得了一定成效，"
              f"但仍存在一些不足：{probs}。下一步，{meas}"]
    fee_unpaid = int(c.get("apply.other.fee_unpaid.total", 0))
    if fmt == "gov2021":
        if fee_unpaid:
            fee = (f"本年度依据《政府信息公开信息处理费管理办法》向申请人发出收费通知{fee_unpaid}件，"
                   "申请人逾期未缴纳费用，不再处理其政府信息公开申请，实际收取信息处理费0元。")
        else:
            fee = rng.choice(["本年度未收取信息处理费。", f"{year}年，无收取信息处理费情况。"])
        if r.kind == "government":
            s6 = [f"（一）信息处理费收取情况。{fee}",
                  f"（二）政务公开工作要点落实情况。对照{year}年政务公开工作要点，逐项细化任务分工，"
                  "相关工作均已按要求落实到位。",
                  f"（三）人大代表建议和政协提案办理结果公开情况。{year}年办理的人大代表建议和政协提案"
                  "办理复文均已按规定公开。"]
        else:
            s6 = [fee]
    else:
        s6 = [rng.choice(["无其他需要报告的事项。", "暂无其它需要报告的事项。", "无。"])]
    r.sections = {"s1_overall": s1, "s2_active": s2, "s3_requests": s3, "s4_review_litigation": s4,
                  "s5_problems": s5, "s6_other": s6}
    r.facts = {"requests_new": int(c["apply.new.total"]), "carried_over": int(c["apply.carried_over.total"]),
               "closed": int(c["apply.total.total"]), "carry_forward": int(c["apply.carry_forward.total"]),
               "review_total": int(c["appeal.review.total"]),
               "litigation_total": int(c["appeal.lit_direct.total"] + c["appeal.lit_after_review.total"]),
               "active_items": n_active}


def report_title(agency: str, year: int, variant: int = 0) -> str:
    """Title variants seen on portals: with/without 工作, 年度 vs 年."""
    return [f"{agency}{year}年政府信息公开工作年度报告",
            f"{agency}{year}年度政府信息公开工作年度报告",
            f"{agency}{year}年政府信息公开年度报告",
            f"{year}年{agency}政府信息公开工作年度报告"][variant % 4]


def make_report(agency: str, year: int, fmt: str, rng: random.Random, *, kind: str = "government",
                level: str | None = None, prev: GeneratedReport | None = None, short_name: str | None = None,
                title: str | None = None, publisher: str | None = None, site_name: str | None = None,
                domain: str | None = None, carry_forward: dict[str, int] | None = None) -> GeneratedReport:
    """One agency's report for one year in format gov2021 or gov2019.

    `prev` (the same agency's report of year-1) chains 上年结转 to last year's 结转下年度 (S1), the
    2021 stock of valid documents (S2) and the 2019 item counts (S3). `carry_forward` (column id →
    count) fixes 结转下年度 when next year's report already exists. `level` overrides the magnitude
    profile (city / county / department / township; default from kind and name).
    """
    if fmt not in ("gov2021", "gov2019"):
        raise ValueError(f"unknown format {fmt!r}")
    if kind not in ("government", "department", "township"):
        raise ValueError(f"unknown kind {kind!r}")
    lvl = _level(agency, kind, level)
    if prev is not None and prev.fmt != fmt and fmt == "gov2019":
        prev = None
    cells: dict[str, int | float] = {}
    units: dict[str, str] = {}
    if fmt == "gov2021":
        cells.update(_gen_t2_2021(rng, lvl, prev))
    else:
        t2, units = _gen_t2_2019(rng, lvl, prev)
        cells.update(t2)
    cells.update(_gen_t3(rng, fmt, lvl, prev, carry_forward))
    cells.update(_gen_t4(rng, lvl))
    ids = format_cell_ids(fmt)
    assert set(ids) == set(cells), set(ids) ^ set(cells)
    cells = {k: cells[k] for k in ids}
    publisher = publisher or (f"{agency}办公室" if kind == "government" else agency)
    if kind == "department":
        date = dt.date(year + 1, 1, rng.randint(8, 30))
    else:
        date = dt.date(year + 1, rng.choice([1, 2, 3]), rng.randint(5, 28))
    style = {
        "s1": "yishi" if kind == "township" and rng.random() < 0.6 else rng.choice(["paren", "paren", "num"]),
        "br_headers": rng.random() < 0.6,       # <br> inside header cells (商业<br>企业)
        "p_in_cells": rng.random() < 0.5,       # Word-pasted <p> inside each <td>
        "strong_headings": rng.random() < 0.5,
        "plus_sign": rng.random() < 0.2,        # 2019 本年增/减 printed as +N
        "amount_in_cell_unit": rng.random() < 0.5,  # 2019 procurement: 251000元 in the cell vs unit in header
        "s4": rng.choice(HEADING_VARIANTS["s4_review_litigation"]),
        "s5": rng.choice(HEADING_VARIANTS["s5_problems"]),
    }
    headings = dict(HEADINGS)
    headings["s4_review_litigation"] = style["s4"]
    headings["s5_problems"] = style["s5"]
    r = GeneratedReport(agency=agency, year=year, fmt=fmt, kind=kind, level=lvl,
                        title=title or report_title(agency, year, rng.randint(0, 2)),
                        cells=cells, units=units, intro="", headings=headings, sections={},
                        date=date.isoformat(), publisher=publisher, style=style)
    _narrative(rng, r, short_name or agency, site_name, domain)
    return r


# --------------------------------------------------------------------------------------------
# checks (H1–H5 of report-format.md §6.1), computed on the cells
# --------------------------------------------------------------------------------------------

def hard_check_failures(cells: dict, fmt: str) -> list[str]:
    """Ids of the hard checks that fail (empty list: all of H1–H5 hold)."""
    A = lambda r, c: cells[f"apply.{r}.{c}"]  # noqa: E731
    fails = []
    for c in COLS:
        if A("new", c) + A("carried_over", c) != A("total", c) + A("carry_forward", c):
            fails.append(f"t3.balance.{c}")
    rows = [r["id"] for r in _rows3(fmt)]
    for r in rows:
        if A(r, "total") != sum(A(r, c) for c in COLS6):
            fails.append(f"t3.rowsum.{r}")
    results = _result_rows(fmt)
    for c in COLS:
        if A("total", c) != sum(A(r, c) for r in results):
            fails.append(f"t3.results.{c}")
    for b in T4_BLOCKS:
        if cells[f"appeal.{b}.total"] != sum(cells[f"appeal.{b}.{p}"] for p in T4_PARTS):
            fails.append(f"t4.sum.{b}")
    for k, v in cells.items():
        if k.startswith(("apply.", "appeal.")) and (not isinstance(v, int) or v < 0):
            fails.append(f"domain.{k}")
        elif k.startswith("active.") and not k.endswith(".delta") and v < 0:
            fails.append(f"domain.{k}")
    return fails
