"""The site registry: data/sites.csv (site_id,name,province,city,county,start_url[,platform]).

Optional columns (written by ``harvester discover``, all may be absent or blank — a registry of the six
required columns is read as before): ``domains`` (extra hosts), ``site_code`` (网站标识码),
``division_code`` (GB/T 2260), ``level`` (province/city/county/township), ``agency_type``
(government/department/township/zone), ``icp``, ``parent_site``, ``discovered_from``, ``discovered_at``
``source`` (``discovered`` or ``manual``; blank reads as ``manual``: a row typed by a person), ``note``
(where a manual row comes from) and ``discovered_hash`` (the fingerprint of a discovered row as discovery wrote
it: a row edited by hand no longer matches it, and the next discovery keeps the edit as a manual row).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REQUIRED = ("site_id", "name", "province", "city", "county", "start_url")
PLATFORMS = ("", "auto", "trs", "hanweb", "gkmlpt", "generic")
OPTIONAL = ("site_code", "division_code", "level", "agency_type", "icp", "parent_site", "discovered_from",
            "discovered_at", "source", "note", "discovered_hash")
COLUMNS = REQUIRED + ("platform",) + OPTIONAL      # the order ``write_registry`` writes
LEVELS = ("", "province", "city", "county", "township")
AGENCY_TYPES = ("", "government", "department", "township", "zone")
SOURCES = ("discovered", "manual")


class RegistryError(ValueError):
    pass


@dataclass(frozen=True)
class Site:
    site_id: str
    name: str
    province: str
    city: str
    county: str
    start_url: str
    platform: str = ""
    extra_domains: tuple[str, ...] = field(default=())
    site_code: str = ""
    division_code: str = ""
    level: str = ""
    agency_type: str = ""
    icp: str = ""
    parent_site: str = ""
    discovered_from: str = ""
    discovered_at: str = ""
    source: str = "manual"
    note: str = ""
    discovered_hash: str = ""

    @property
    def host(self) -> str:
        return urlsplit(self.start_url).hostname or ""

    @property
    def domains(self) -> tuple[str, ...]:
        """Hosts the crawl may visit for this site: its own host (and www/bare twin) plus extras."""
        host = self.host
        twins = {host, host[4:] if host.startswith("www.") else f"www.{host}"}
        return tuple(sorted(twins | set(self.extra_domains)))

    def as_row(self) -> dict:
        row = {"site_id": self.site_id, "name": self.name, "province": self.province, "city": self.city,
               "county": self.county, "start_url": self.start_url, "platform": self.platform}
        if self.division_code:
            row["division_code"] = self.division_code
        for key in ("site_code", "level", "agency_type", "parent_site"):
            if getattr(self, key):
                row[key] = getattr(self, key)
        return row

    def registry_row(self) -> dict:
        """Every registry column, as ``write_registry`` writes it."""
        row = {k: getattr(self, k) for k in COLUMNS}
        if self.extra_domains:
            row["domains"] = " ".join(self.extra_domains)
        return row


_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"),
         (b"\xfe\xff", "UTF-16"))
SAVE_AS = "save it as 'CSV UTF-8' (Excel) or UTF-8"


def decode_registry(data: bytes, path: Path | str = "registry") -> tuple[str, str]:
    """The registry's text and the encoding it was read in: UTF-8 (with or without BOM), else GB18030 (which
    includes GBK and GB2312: what Excel on a Chinese Windows saves as "CSV"); anything else is refused in one
    line naming what was found."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise RegistryError(f"{path}: the file is {name}; {SAVE_AS}")
    if b"\x00" in data[:4096]:
        raise RegistryError(f"{path}: the file holds NUL bytes (UTF-16 without BOM, or not a CSV at all); {SAVE_AS}")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            line = data[:utf8_error.start].count(b"\n") + 1
            raise RegistryError(f"{path}:{line}: neither UTF-8 nor GBK/GB18030 (byte 0x{data[utf8_error.start]:02x}); "
                                f"{SAVE_AS}") from None


def load_sites(path: str | Path) -> list[Site]:
    """Read and validate a registry CSV; errors name the line and the problem."""
    path = Path(path)
    if not path.exists():
        raise RegistryError(f"registry not found: {path}")
    if path.is_dir():
        raise RegistryError(f"registry {path} is a folder, not a CSV file")
    text, _encoding = decode_registry(path.read_bytes(), path)
    with io.StringIO(text, newline="") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise RegistryError(f"{path}: header lacks {', '.join(missing)} (need {','.join(REQUIRED)}[,platform])")
        sites: list[Site] = []
        seen: set[str] = set()
        for lineno, raw in enumerate(reader, start=2):
            if None in raw:
                raise RegistryError(f"{path}:{lineno}: more fields than the header has ({len(header)})")
            row = {k.strip(): (v or "").strip() for k, v in raw.items()}
            if not any(row.values()) or row.get("site_id", "").startswith("#"):
                continue
            sid, url = row["site_id"], row["start_url"]
            if not sid:
                raise RegistryError(f"{path}:{lineno}: empty site_id")
            if sid in seen:
                raise RegistryError(f"{path}:{lineno}: duplicate site_id {sid!r}")
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise RegistryError(f"{path}:{lineno}: start_url {url!r} is not an http(s) URL")
            platform = row.get("platform", "").lower()
            if platform not in PLATFORMS:
                raise RegistryError(f"{path}:{lineno}: unknown platform {platform!r} (one of {', '.join(p for p in PLATFORMS if p)})")
            extra = tuple(d for d in row.get("domains", "").split() if d)
            opt = {k: row.get(k, "") for k in OPTIONAL}
            opt["source"] = opt["source"].lower() or "manual"
            for key, allowed in (("level", LEVELS), ("agency_type", AGENCY_TYPES), ("source", SOURCES)):
                if opt[key] not in allowed:
                    raise RegistryError(f"{path}:{lineno}: unknown {key} {opt[key]!r} "
                                        f"(one of {', '.join(a for a in allowed if a)})")
            if opt["division_code"] and not (opt["division_code"].isdigit() and len(opt["division_code"]) in (6, 9, 12)):
                raise RegistryError(f"{path}:{lineno}: division_code {opt['division_code']!r} is not 6, 9 or 12 digits")
            seen.add(sid)
            sites.append(Site(sid, row["name"], row["province"], row["city"], row["county"], url,
                              platform if platform != "auto" else "", extra, **opt))
    return sites


def write_registry(path: str | Path, rows: list[dict]) -> Path:
    """Write registry rows (dicts keyed by ``COLUMNS``, plus ``domains`` when any row has it) as UTF-8 CSV,
    atomically (a temporary file renamed over the old one)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = list(COLUMNS) + (["domains"] if any(r.get("domains") for r in rows) else [])
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") or "" for k in header})
    tmp.replace(path)
    return path
