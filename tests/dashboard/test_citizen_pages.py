"""The citizens list pages by keyset (Next/Previous carry an id, never a name) and name search."""

from __future__ import annotations

import re

from tests.factories import CitizenFactory, desa


def names_and_links(client, params) -> tuple[list[str], dict[str, str]]:
    page = client.get("/dashboard/citizens/", params).content.decode()
    names = re.findall(r'<td><a href="/dashboard/citizens/\d+/">([^<]+)</a></td>', page)
    links = {
        rel: href.replace("&amp;", "&")
        for href, rel in re.findall(r'<a class="btn secondary" href="\?([^"]+)" rel="(next|prev)">', page)
    }
    return names, links


def params_of(link: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in link.split("&"))


def test_next_and_previous_walk_the_whole_list_in_name_order(client, supervisor):
    # Ties on the name are ordered by id: 60 citizens share 3 names.
    for index in range(60):
        CitizenFactory(full_name=f"Warga {'ABC'[index % 3]}")
    client.force_login(supervisor)
    seen, params = [], {}
    pages = []
    while True:
        names, links = names_and_links(client, params)
        seen += names
        pages.append(params.get("page", "1"))
        if "next" not in links:
            break
        params = params_of(links["next"])
        assert set(params) == {"after", "page"}  # an id and a number: no name in the URL
    assert len(seen) == 60 and seen == sorted(seen)
    assert pages == ["1", "2"]
    back, links = names_and_links(client, params_of(names_and_links(client, params)[1]["prev"]))
    assert back == seen[:50] and "prev" not in links


def test_the_filters_stay_on_the_page_links(client, supervisor):
    for _ in range(51):
        CitizenFactory(desa=desa("33.19.01.2001"))
    client.force_login(supervisor)
    _names, links = names_and_links(client, {"kecamatan": "33.19.01"})
    assert links["next"].startswith("kecamatan=33.19.01&after=")


def test_an_anchor_outside_the_operators_kecamatan_starts_again_at_page_one(client, jati_operator):
    mine = CitizenFactory(full_name="Warga Jati", desa=desa("33.19.03.2001"), area6="331903")
    other = CitizenFactory(full_name="Warga Kaliwungu", desa=desa("33.19.01.2001"))
    client.force_login(jati_operator)
    names, _links = names_and_links(client, {"after": other.pk, "page": "7"})
    assert names == [mine.full_name]


def test_a_name_search_needs_three_letters(client, supervisor):
    CitizenFactory(full_name="Siti Aminah")
    client.force_login(supervisor)
    page = client.get("/dashboard/citizens/", {"q": "Si"}).content.decode()
    assert "Siti Aminah" not in page and 'class="errorlist"' in page
    assert "Siti Aminah" in client.get("/dashboard/citizens/", {"q": "iti am"}).content.decode()
    # Digits search the NIK, whatever their number.
    assert client.get("/dashboard/citizens/", {"q": "33"}).status_code == 200
