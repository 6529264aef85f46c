"""Light on the wire (issue 14 item 8; cross-checks finding 2): HTML, JSON and static files
go compressed when the phone asks for it, and static files have versioned URLs that change
with their content and may be cached for long."""
from __future__ import annotations

import gzip
import re

import brotli
from flask import url_for

from tests.web import login, make_user


def test_pages_json_and_static_files_go_compressed_when_asked(app, client):
    make_user(app, "border")
    login(client, "border")
    for path in ("/screenings/app", "/api/questionnaire"):
        plain = client.get(path, headers={"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in plain.headers
        zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
        assert gzip.decompress(zipped.data) == plain.data
        assert len(zipped.data) < len(plain.data) / 2
        br = client.get(path, headers={"Accept-Encoding": "br"})
        assert br.headers["Content-Encoding"] == "br" and brotli.decompress(br.data) == plain.data
    with app.test_request_context():
        script = url_for("static", filename="js/screen.js")
    for encoding, decode in (("gzip", gzip.decompress), ("br", brotli.decompress)):
        response = client.get(script, headers={"Accept-Encoding": encoding})
        assert response.headers["Content-Encoding"] == encoding
        body = decode(response.get_data())
        assert b"use strict" in body
        response.close()


def test_a_static_url_changes_when_its_content_changes_and_is_cached_for_long(app, client, tmp_path):
    with app.test_request_context():
        css = url_for("static", filename="css/app.css")
    assert re.fullmatch(r"/static/css/app\.css\?v=[0-9a-f]{12}", css)
    response = client.get(css)
    assert "immutable" in response.headers["Cache-Control"] and "max-age=31536000" in response.headers["Cache-Control"]
    response.close()
    stale = client.get("/static/css/app.css?v=000000000000")  # an old URL is revalidated, not kept
    assert "immutable" not in stale.headers.get("Cache-Control", "")
    stale.close()

    folder = app.static_folder
    try:
        app.static_folder = str(tmp_path)
        (tmp_path / "a.js").write_text("one()")
        with app.test_request_context():
            first = url_for("static", filename="a.js")
        (tmp_path / "a.js").write_text("two()")
        with app.test_request_context():
            second = url_for("static", filename="a.js")
        assert first != second and first.startswith("/static/a.js?v=")
    finally:
        app.static_folder = folder


def test_the_service_worker_precaches_the_urls_the_pages_use(app, client):
    make_user(app, "border")
    login(client, "border")
    worker = client.get("/sw.js").get_data(as_text=True)
    page = client.get("/screenings/app").get_data(as_text=True).replace("&amp;", "&")
    assets = re.search(r"const ASSETS = \[([^\]]+)\]", worker).group(1)
    for url in re.findall(r'"(/static/[^"]+)"', assets):
        assert "?v=" in url
        if url.startswith(("/static/css/", "/static/js/enhance")):
            assert url in page  # the very URL the page loads, so it comes from the cache offline


def test_the_service_worker_check_costs_no_body_when_nothing_changed(client):
    """The browser re-checks /sw.js on every page load: unchanged, the answer is a 304."""
    first = client.get("/sw.js")
    assert first.status_code == 200 and first.headers["ETag"] and first.headers["Cache-Control"] == "no-cache"
    again = client.get("/sw.js", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    other = client.get("/sw.js", headers={"If-None-Match": '"0000"'})
    assert other.status_code == 200 and other.get_data() == first.get_data()
