"""Province names → 2-digit GB/T 2260 codes (31 provinces + 香港 81, 澳门 82, 台湾 71).

`province_code("江苏")`, `province_code("江苏省")`, `province_code("宁夏回族自治区")`,
`province_code("32")` and `province_code("320000")` all give "32". Unknown names give None;
callers decide what to do with them (the export writes them to reports_00.csv with a warning).
"""
from __future__ import annotations

import re
import unicodedata

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
    return index


_INDEX = _build_index()
_SHORT_BY_LENGTH = sorted(((short, code) for code, (_, short) in PROVINCES.items()),
                          key=lambda t: -len(t[0]))


def province_code(name: str | None) -> str | None:
    """2-digit code of a province given by full name, short name, or code; None when unknown."""
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
    # "江苏省南京市" and the like: the longest short name that starts the text
    for short, code in _SHORT_BY_LENGTH:
        if text.startswith(short):
            return code
    return None


def province_name(code: str) -> str | None:
    """Full name for a 2-digit code ("32" → "江苏省")."""
    entry = PROVINCES.get(code)
    return entry[0] if entry else None
