import pytest

from harvester.crawl.registry import RegistryError, load_sites

HEADER = "site_id,name,province,city,county,start_url"


def write(tmp_path, text, name="sites.csv", bom=False):
    p = tmp_path / name
    p.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return p


def test_shipped_registry_loads():
    sites = load_sites("data/sites.csv")
    assert len(sites) >= 4
    assert all(s.start_url.startswith(("http://", "https://")) for s in sites)
    assert len({s.site_id for s in sites}) == len(sites)


def test_optional_platform_column_and_bom(tmp_path):
    p = write(tmp_path, HEADER + ",platform\n1,甲县,江苏省,淮安市,甲县,http://127.0.0.2:8000/,trs\n"
              "2,乙县,江苏省,淮安市,乙县,https://www.b.gov.cn/xxgk/,\n", bom=True)
    a, b = load_sites(p)
    assert (a.site_id, a.platform, a.host) == ("1", "trs", "127.0.0.2")
    assert b.platform == "" and b.county == "乙县"
    assert set(b.domains) == {"www.b.gov.cn", "b.gov.cn"}


def test_without_platform_column(tmp_path):
    (s,) = load_sites(write(tmp_path, HEADER + "\n7,丙镇,河南省,洛阳市,偃师区,http://x.gov.cn/\n"))
    assert s.platform == ""


def test_blank_and_comment_lines_skipped(tmp_path):
    sites = load_sites(write(tmp_path, HEADER + "\n\n#9,x,x,x,x,http://x/\n3,c,省,市,县,http://c.gov.cn/\n"))
    assert [s.site_id for s in sites] == ["3"]


@pytest.mark.parametrize("body, message", [
    ("site_id,name,province,start_url\n1,a,b,http://a/\n", "header lacks city, county"),
    (HEADER + "\n1,a,b,c,d,ftp://a/\n", r"sites.csv:2: .* is not an http\(s\) URL"),
    (HEADER + "\n1,a,b,c,d,http://a/\n1,a,b,c,d,http://b/\n", r"sites.csv:3: duplicate site_id '1'"),
    (HEADER + ",platform\n1,a,b,c,d,http://a/,joomla\n", "unknown platform 'joomla'"),
    (HEADER + "\n,a,b,c,d,http://a/\n", "empty site_id"),
    (HEADER + "\n1,a,b,c,d,http://a/,trs\n", "sites.csv:2: more fields than the header has"),
])
def test_errors_name_the_line(tmp_path, body, message):
    with pytest.raises(RegistryError, match=message):
        load_sites(write(tmp_path, body))


def test_missing_file(tmp_path):
    with pytest.raises(RegistryError, match="not found"):
        load_sites(tmp_path / "nope.csv")
