"""The variant generator (harvester/devportal/variants.py): deterministic per (family, seed), every open detail
drawn somewhere in 30 seeds, ground truth that the server really serves, worlds of N sites for scale."""
from __future__ import annotations

from collections import Counter

import pytest

from harvester.devportal.faults import Request
from harvester.devportal.server import respond
from harvester.devportal.variants import FAMILIES, draw_variant, variant_site, variant_world


@pytest.fixture(scope="module")
def world():
    return variant_world(range(30))


def test_same_seed_same_site_other_seed_other_site():
    a, b, c = variant_site("gkmlpt", 7), variant_site("gkmlpt", 7), variant_site("gkmlpt", 8)
    assert a.draw == b.draw and sorted(a.site.resources) == sorted(b.site.resources)
    assert [r.page_url for r in a.reports] == [r.page_url for r in b.reports]
    assert a.site.site_id != c.site.site_id and a.site.county != c.site.county
    with pytest.raises(ValueError):
        draw_variant("wordpress", 1)


def test_every_open_detail_is_drawn_in_30_seeds(world):
    seen = {}
    for d in world.draws.values():
        for k, v in d.items():
            seen.setdefault(k, set()).add(v)
    assert seen["family"] == set(FAMILIES)
    assert seen["delivery"] >= {"links", "inline", "xhr", "xhr_computed", "iframe", "post_form", "datastore", "jpaas",
                                "api"}
    assert seen["config"] >= {"js", "json", "json_parse", "single", "props"}
    assert seen["navigation"] == {"anchors", "onclick", "data_url"} and seen["navigation_home"] == {"links", "script"}
    assert seen["charset"] == {"meta", "header", "none"} and seen["encoding"] == {"utf-8", "gbk"}
    assert seen["markup"] == {"ul", "table", "div"} and seen["item_link"] == {"anchor", "onclick", "data_url"}
    assert seen["documents"] == {"detail", "mixed", "direct"}
    assert seen["pagination"] >= {"script", "next_links", "years", "api"} and seen["pager"] >= {"sig1", "sig2", "sig3", "sig4"}
    assert seen["inline"] >= {"arr", "json_var", "js_var", "json_parse", "json_block"}
    assert seen["api_totals"] == {"pages", "records", "none"} and seen["api_past_end"] == {"empty", "repeat"}
    assert seen["network"] == {"quiet", "polling"}
    assert seen["fate"] == {"ok", "empty_column", "no_column", "dead"}


def test_the_issues_cases_are_generated():
    gk = next(vs for s in range(200) if (vs := variant_site("gkmlpt", s)).draw["config"] == "json"
              and vs.expect == "ok")
    shell = gk.site.resources[gk.site.nb_path].data().decode("utf-8")
    assert 'window._CONFIG = {"' in shell and '"SID": ' in shell
    legacy = next(vs for s in range(200) if (vs := variant_site("legacy", s)).draw.get("inline") == "arr"
                  and vs.draw["encoding"] == "gbk" and vs.expect == "ok")
    text = legacy.site.lookup(legacy.site.nb_path).data().decode("gbk")
    assert "arr[0] = [" in text and "innerHTML = html" in text and 'id="list"></' in text   # an empty list, filled
    assert not any(f'href="{r.page_url}"' in text for r in legacy.reports)                  # by script only


def test_ground_truth_is_served(world):
    for site in world.sites:
        if world.expect[site.site_id] != "ok":
            continue
        for r in (r for r in world.reports if r.site_id == site.site_id):
            resp = respond(site, Request("GET", r.page_url.split("?")[0], r.page_url.partition("?")[2]))
            assert resp.status == 200 and resp.body, (site.site_id, r.page_url)
            doc = site.lookup(r.document_url) or site.lookup(r.document_url.split("?")[0])
            assert doc is not None and doc.status == 200, (site.site_id, r.document_url)   # made when asked for


def test_sites_that_must_be_alarmed(world):
    expect = Counter(world.expect.values())
    assert expect["no_reports"] and expect["no_report_column"] and expect["unreachable"]
    assert {r.site_id for r in world.reports} == {sid for sid, e in world.expect.items() if e == "ok"}
    dead = [s for s in world.sites if world.draws[s.site_id]["fate"] == "dead"]
    for s in dead:
        home = respond(s, Request("GET", "/")) if "down" not in s.faults else None
        assert "down" in s.faults or home.status >= 400


def test_a_world_of_n_sites_each_on_its_own_address():
    w = variant_world(n=60, seed=3)
    assert len(w.sites) == len({s.site_id for s in w.sites}) == len({s.index for s in w.sites}) >= 55
    assert len({s.county for s in w.sites}) == len(w.sites)
    assert {d["family"] for d in w.draws.values()} == set(FAMILIES)
    assert sorted(s.index for s in w.sites) == list(range(len(w.sites)))


def test_an_earlier_day_of_the_variant_world_holds_back_each_sites_newest_reports():
    """variant_world(hold_back=1): every site that publishes, as it was before its newest publishing day — the
    held-back reports' pages are not served yet, the others are where they will be (same URLs, same titles)."""
    from harvester.devportal.variants import FAMILIES, variant_world

    later = variant_world(range(2), many=True)
    earlier = variant_world(range(2), hold_back=1, many=True)
    assert [s.site_id for s in earlier.sites] == [s.site_id for s in later.sites]
    before = {(r.site_id, r.page_url, r.title) for r in earlier.reports}
    after = {(r.site_id, r.page_url, r.title) for r in later.reports}
    assert before < after
    new = after - before
    assert {sid.rstrip("0123456789") for sid, _, _ in new} == set(FAMILIES)
    ok = [sid for sid, e in later.expect.items() if e == "ok"]
    assert all(any(r.site_id == sid for r in earlier.reports) for sid in ok)      # none held back entirely
    per_site = [sum(r.site_id == sid for r in later.reports) for sid in ok]
    assert sum(per_site) / len(per_site) >= 15                                    # ~20 reports a site
    for sid, page, _ in new:
        assert earlier.site(sid).lookup(page) is None and later.site(sid).lookup(page) is not None
