"""The campaign's API over HTTP with period codes as data: a bi-month (2026-B6) is accepted wherever a period is —
publishing a 通报, its register, its Word document, the 负面清单 and its Excel, the escalation records and the
红黑榜 — and a code that names no period is a 422 naming the field. Only the 创城办 publishes."""

from io import BytesIO

import docx
from openpyxl import load_workbook


def test_a_bi_month_works_wherever_periods_are_accepted(client, token_for):
    office = token_for("city_office")
    made = client.post("/api/v1/notices", json={"period": "2026-B6", "levels": ["community", "subdistrict"]},
                       headers=office)
    assert made.status_code == 201, made.text
    notice = made.json()
    assert notice["period"] == "2026-B6" and notice["period_label"] == "2026年第6双月（11—12月）"
    assert (notice["period_start"], notice["period_end"]) == ("2026-11-01", "2027-01-01")
    listed = client.get("/api/v1/notices", params={"period": "2026-B6"}, headers=office).json()
    assert [n["id"] for n in listed] == [notice["id"]]
    word = client.get(f"/api/v1/notices/{notice['id']}/document.docx", headers=office)
    assert word.status_code == 200 and "第6双月" in "\n".join(p.text for p in docx.Document(BytesIO(word.content))
                                                                 .paragraphs)
    neg = client.get("/api/v1/negative-list", params={"period": "2026-B6"}, headers=office)
    assert neg.status_code == 200 and neg.json()["period"]["code"] == "2026-B6"
    sheet = client.get("/api/v1/negative-list", params={"period": "2026-B6", "format": "xlsx"}, headers=office)
    header = next(load_workbook(BytesIO(sheet.content)).worksheets[0].iter_rows(values_only=True))
    assert header[:3] == ("期", "对象类别", "名称")
    esc = client.get("/api/v1/escalations", params={"period": "2026-B6"}, headers=office)
    assert esc.status_code == 200 and esc.json()
    assert all("2026-11-01" <= e["exposed_at"][:10] <= "2026-12-31" for e in esc.json())
    assert client.get("/api/v1/analytics/ranking", params={"period": "2026-B6"}, headers=office).status_code == 200
    for url, params in (("/api/v1/notices", {"period": "2026-B7"}), ("/api/v1/negative-list", {"period": "2026-B7"}),
                        ("/api/v1/escalations", {"period": "2026-B7"})):
        r = client.get(url, params=params, headers=office)
        assert r.status_code == 422 and r.json()["field"] == "period", (url, r.text)
    bad = client.post("/api/v1/notices", json={"period": "2026-B7"}, headers=office)
    assert bad.status_code == 422 and bad.json()["field"] == "period"


def test_only_the_office_publishes(client, token_for):
    for role, region in (("viewer", None), ("district_staff", "411421"), ("street_chief", "411421001")):
        r = client.post("/api/v1/notices", json={"period": "2026-W35"}, headers=token_for(role, region))
        assert r.status_code == 403, (role, r.text)
    r = client.post("/api/v1/dispatches", json={"person_id": 1}, headers=token_for("district_staff", "411421"))
    assert r.status_code == 403
