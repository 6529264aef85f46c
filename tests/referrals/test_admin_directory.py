"""The directory pages of administrators."""
from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from tests.referrals.test_directory import as_csv, synthetic_rows
from tests.web import csrf, login, make_user
from webapp.referrals.models import Service

FORM = {
    "registration_number": "SYN-900", "name_km": "សេវាសាកល្បង", "name_en": "DEMO Shelter", "kind": "ngo",
    "service_types": "shelter", "accepts_sexes": "female", "age_min": "18", "age_max": "", "nationalities": "",
    "provinces": "BMC", "lat": "13.6", "lon": "102.9", "address": "DEMO", "phone": "012 000 900",
    "places": "3", "hours": "", "active": "y",
}


def admin(app, client):
    make_user(app, "admin")
    login(client, "admin")
    return csrf(client.get("/admin/services").get_data(as_text=True))


def test_admin_adds_and_edits_a_service(app, client, db):
    token = admin(app, client)
    response = client.post("/admin/services/new", data={**FORM, "csrf_token": token})
    assert response.status_code == 302
    service = db.session.scalar(select(Service))
    assert service.phone == "+85512000900" and service.accepts_sexes == ["female"] and service.places == 3
    page = client.get(f"/admin/services/{service.id}").get_data(as_text=True)
    assert re.search(r'<input checked id="[^"]+" name="service_types" type="checkbox" value="shelter">', page)
    bad = client.post(f"/admin/services/{service.id}", data={**FORM, "service_types": "hotel", "csrf_token": token})
    assert bad.status_code == 422 and "មិនមែនជាតម្លៃមួយក្នុងចំណោមតម្លៃដែលបានផ្ដល់ទេ" in bad.get_data(as_text=True)
    comma = client.post(f"/admin/services/{service.id}", data={**FORM, "lat": "13,66", "csrf_token": token})
    assert comma.status_code == 302  # a decimal comma, as typed on a Khmer or French keyboard
    client.post(f"/admin/services/{service.id}", data={**FORM, "places": "0", "active": "", "csrf_token": token})
    db.session.expire_all()
    service = db.session.get(Service, service.id)
    assert service.places == 0 and service.active is False
    assert service.language == "km"  # the default: its phone reads Khmer
    client.post(f"/admin/services/{service.id}", data={**FORM, "language": "en", "csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Service, service.id).language == "en"
    assert '<option selected value="en">' in client.get(f"/admin/services/{service.id}").get_data(as_text=True)
    assert '<td lang="en">English</td>' in client.get("/admin/services").get_data(as_text=True)
    bad = client.post(f"/admin/services/{service.id}", data={**FORM, "language": "fr", "csrf_token": token})
    assert bad.status_code != 302


def test_csv_upload_with_bad_rows_imports_nothing_and_names_them(app, client, db):
    token = admin(app, client)
    rows = synthetic_rows()
    rows[4]["lat"] = "north"
    rows[20]["service_types"] = "hotel"
    rows[41]["provinces"] = "XYZ"
    data = {"file": (io.BytesIO(as_csv(rows).encode()), "services.csv"), "csrf_token": token}
    response = client.post("/admin/services/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    errors = re.findall(r'<li class="import-error">([^<]+)</li>', response.get_data(as_text=True))
    assert len(errors) == 3 and "៦" in errors[0] and "lat" in errors[0]  # the line, in Khmer digits
    assert db.session.scalar(select(func.count()).select_from(Service)) == 0
    good = {"file": (io.BytesIO(as_csv(synthetic_rows()).encode()), "services.csv"), "csrf_token": token}
    assert client.post("/admin/services/import", data=good, content_type="multipart/form-data").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Service)) == 50
    exported = client.get("/admin/services/export.csv").get_data(as_text=True)
    assert exported.count("\n") == 51
