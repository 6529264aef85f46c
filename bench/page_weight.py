"""Bytes a screener's phone downloads per screen, as they go over the wire.

    .venv/bin/python bench/page_weight.py

Starts the app on 127.0.0.1 (a temporary SQLite database, the synthetic demo users), logs
in as the demo border user and walks one whole screening (vignette e01) twice: through the
server-driven form (no JavaScript) and through the in-browser form (static/js/screen.js).

How bytes are counted, as a phone's browser receives them:
- the phone asks ``Accept-Encoding: gzip, deflate, br, zstd`` (as Chrome does) and each
  body is counted as the app sent it: compressed by Flask-Compress where it compresses
  (HTML, JSON, CSS, JavaScript, SVG), as is otherwise (woff2, PNG);
- response headers are counted as sent, and so are redirects and 304 revalidations;
- a static file under a versioned URL (``?v=<content hash>``) with a long cache lifetime is
  fetched once and then taken from the browser's cache (0 bytes), as a browser does;
- uploads (request lines, cookies, form posts) are not counted;
- the Khmer font is reported on its own: only a browser with no Khmer font fetches it
  (every current Android phone has Noto Sans Khmer and never does).

Then the cost of each language a person may answer in (issue 16), which a Khmer-only
screener never pays: its fonts (static/css/fonts.css and the faces its ``:lang()`` rule
names; phones with the system font fetch none), its person-facing texts (as a JSON object,
brotli-compressed as sent) and its recordings (the service worker's ``cache-audio``: the
list and every file). The recordings are generated for the bench, a sine wave for each text
as long as a speaker would take (characters / SPEECH_RATE per second), uploaded as WAV and
kept as the app keeps WAV (32 kbit/s MP3, as recorder.js asks the browser for Opus).

Budget (issue 3): first load at most 60 KB; each further screen at most 15 KB on the
no-JavaScript path. Exit status 1 when a budget fails.
"""
from __future__ import annotations

import gzip
import json
import re
import sys
import tempfile
import threading
import zlib
from dataclasses import dataclass, field
from datetime import UTC
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST_LOAD_BUDGET = 60 * 1024
SCREEN_BUDGET = 15 * 1024
VIGNETTE = "e01"
# Characters a speaker reads per second, by language (an estimate for the generated audio).
SPEECH_RATE = {"km": 10.0, "en": 14.0, "vi": 14.0, "th": 12.0, "zh-Hans": 4.5, "id": 14.0}


@dataclass
class Fetch:
    method: str
    path: str
    status: int
    headers: int
    body: int
    wire: int  # the body as sent (compressed or not)

    @property
    def transferred(self) -> int:
        return self.headers + self.wire


@dataclass
class Phone:
    """A browser's network behaviour, reduced to what matters for counting bytes."""

    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    etags: dict[str, str] = field(default_factory=dict)
    log: list[Fetch] = field(default_factory=list)
    kept: dict[str, bytes] = field(default_factory=dict)  # versioned static files, cached for long

    def request(self, method: str, path: str, form: dict | None = None, json_body: dict | None = None,
                headers: dict | None = None) -> tuple[int, dict[str, str], bytes]:
        if method == "GET" and path in self.kept:
            return 200, {}, self.kept[path]  # the browser's cache: nothing on the wire
        connection = HTTPConnection(self.host, self.port, timeout=30)
        sent = {"Accept-Encoding": "gzip, deflate, br, zstd", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        if method == "GET" and path in self.etags:
            sent["If-None-Match"] = self.etags[path]
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        raw_headers = f"HTTP/1.1 {response.status} {response.reason}\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in response.getheaders()) + "\r\n"
        connection.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        if response.headers.get("ETag") and method == "GET":
            self.etags[path] = response.headers["ETag"]
        wire = len(data)
        data = decode(data, response.headers.get("Content-Encoding", ""))
        self.log.append(Fetch(method, path, response.status, len(raw_headers.encode()), len(data), wire))
        if method == "GET" and response.status == 200 and "immutable" in response.headers.get("Cache-Control", ""):
            self.kept[path] = data
        return response.status, dict(response.headers.items()), data

    def page(self, method: str, path: str, form: dict | None = None) -> tuple[str, str]:
        """Load a page as a browser does: follow redirects, then fetch what it links to."""
        status, headers, data = self.request(method, path, form=form)
        while status in (301, 302, 303):
            path = urlsplit(urljoin(path, headers["Location"])).path
            status, headers, data = self.request("GET", path)
        html = data.decode()
        for asset in subresources(html):
            self.request("GET", asset)
        return path, html

    def mark(self) -> int:
        return len(self.log)

    def since(self, mark: int) -> list[Fetch]:
        return self.log[mark:]


def decode(data: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(data)
    if encoding == "deflate":
        return zlib.decompress(data)
    if encoding == "br":
        import brotli

        return brotli.decompress(data)
    if encoding == "zstd":
        from flask_compress.compat import compression

        return compression.zstd.decompress(data)
    return data


def subresources(html: str) -> list[str]:
    """Stylesheets, scripts, icon and manifest the page makes the browser fetch."""
    found = re.findall(r'<link rel="(?:stylesheet|icon|manifest)" href="([^"]+)"', html.replace("&amp;", "&"))
    found += re.findall(r'<script src="([^"]+)"', html)
    return found


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def total(fetches: list[Fetch]) -> int:
    return sum(f.transferred for f in fetches)


def kb(n: int) -> str:
    return f"{n / 1024:6.1f} KB"


def start_server():
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from tests.conftest import make_config
    from webapp import create_app
    from webapp.demo import seed_users
    from webapp.extensions import db

    folder = tempfile.mkdtemp(prefix="page-weight-")
    app = create_app(make_config(f"sqlite:///{folder}/bench.db"))
    with app.app_context():
        upgrade()
        seed_users()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def vignette_answers() -> dict:
    examples = json.loads((ROOT.parent / "shared" / "vignettes" / "examples.json").read_text(encoding="utf-8"))
    return next(v for v in examples if v["id"] == VIGNETTE)["answers"]


def log_in(phone: Phone) -> tuple[list[Fetch], list[Fetch], str]:
    """First load (the log-in page and what it needs), then logging in (lands on My screenings)."""
    from webapp.demo import DEMO_PASSWORD

    mark = phone.mark()
    _, login_page = phone.page("GET", "/login")
    first = phone.since(mark)
    mark = phone.mark()
    _, mine = phone.page("POST", "/login", form={"identifier": "border", "password": DEMO_PASSWORD,
                                                 "csrf_token": csrf(login_page)})
    return first, phone.since(mark), mine


def font_path(phone: Phone) -> str:
    _, _, css = phone.request("GET", "/static/css/app.css")
    return urljoin("/static/css/app.css", re.search(r'url\("([^"]+\.woff2)"\)', css.decode()).group(1))


def no_js_path(server) -> tuple[list[Fetch], list[tuple[str, list[Fetch]]]]:
    phone = Phone(*server.server_address[:2])
    first, login, _ = log_in(phone)
    screens = [("log in -> My screenings", login)]
    answers = {code: str(value) for code, value in vignette_answers().items()}

    mark = phone.mark()
    _, start = phone.page("GET", "/screenings/new")
    screens.append(("New screening (context)", phone.since(mark)))
    mark = phone.mark()
    _, consent = phone.page("POST", "/screenings/new", form={
        "kind": "post", "post_code": "POIPET", "csrf_token": csrf(start)})
    screens.append(("consent to read aloud", phone.since(mark)))
    fields = dict(re.findall(r'<input id="(\w+)" name="\w+" type="hidden" value="([^"]*)"', consent))
    mark = phone.mark()
    path, html = phone.page("POST", "/screenings/consent", form={**fields, "answer": "yes"})
    screens.append(("question " + path.rsplit("/", 1)[1], phone.since(mark)))
    while "/q/" in path:
        code = path.rsplit("/", 1)[1]
        value = answers.get(code, "unknown" if code == "return_mode" else "no")  # version 2's new questions
        name = "choice" if f'name="choice" value="{value}"' in html else "answer"
        mark = phone.mark()
        path, html = phone.page("POST", path, form={name: value, "csrf_token": csrf(html)})
        label = "question " + path.rsplit("/", 1)[1] if "/q/" in path else "result page"
        screens.append((label, phone.since(mark)))
    return first, screens


def js_path(server) -> tuple[list[Fetch], list[tuple[str, list[Fetch]]], int]:
    """What the in-browser form costs; the questions themselves run on the phone (0 bytes)."""
    import uuid
    from datetime import datetime

    phone = Phone(*server.server_address[:2])
    first, login, _mine = log_in(phone)
    screens = [("log in -> My screenings", login)]

    # enhance.js registers the service worker, which caches the shell, My screenings and the
    # questionnaire, and the static files it lists (the versioned URLs the pages use: the
    # browser's cache already holds those the page loaded).
    mark = phone.mark()
    _, _, worker = phone.request("GET", "/sw.js")
    assets = re.findall(r'"(/static/[^"]+)"', worker.decode())
    for path in (*assets, "/screenings/app", "/screenings/", "/api/questionnaire"):
        phone.request("GET", path)
    screens.append(("service worker install (once per version)", phone.since(mark)))

    # Opening the app: the page and the questionnaire network-first, static files from the
    # worker's cache.
    mark = phone.mark()
    _, shell = phone.page("GET", "/screenings/app")
    phone.request("GET", "/api/questionnaire")
    screens.append(("open the in-browser form", phone.since(mark)))
    import questionnaires
    from questionnaires import screens as plan

    q = questionnaires.load()
    full = vignette_answers()
    # The screens the form shows for this person (questionnaires.screens, the skip rule), with
    # the context screen and the consent screen; the answers sent are what those screens asked
    # (a question the example leaves open keyed "no", or "unknown" for the profile).
    asked: dict = {"consent": full["consent"]}
    questions = 2
    while (shown := plan.next_screen(q, asked)) is not None and questions < 60:
        questions += 1
        for code in shown.codes:
            raw = full.get(code, "no" if q.question(code).type == "indicator" else "unknown")
            asked[code] = questionnaires.validate_answer(q, code, raw)
    kept = questionnaires.effective_answers(q, asked)

    now = datetime.now(UTC).isoformat()
    body = {
        "uuid": str(uuid.uuid4()),
        "context": {"kind": "post", "post_code": "POIPET"},
        "answers": {code: {"value": value, "answered_at": now} for code, value in kept.items()},
        "language": "km",
        "started_at": now,
    }
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', shell).group(1)
    mark = phone.mark()
    status, _, reply = phone.request("POST", "/api/screenings", json_body=body, headers={"X-CSRFToken": token})
    assert status == 201, (status, reply[:300])
    phone.page("GET", json.loads(reply)["result_url"])
    screens.append(("send the screening + result page", phone.since(mark)))
    return first, screens, questions


def generated_recordings(app, lang: str) -> float:
    """A sine-wave recording of every person-facing text in ``lang``, through the upload
    path (WAV in, MP3 kept); returns the seconds of sound."""
    import io
    import math
    import struct
    import wave

    from sqlalchemy import select

    from webapp.auth.models import User
    from webapp.extensions import db
    from webapp.recordings import operations

    seconds = 0.0
    with app.test_request_context():
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        for text in operations.person_texts():
            length = max(1.0, len(text.text.get(lang)) / SPEECH_RATE.get(lang, 12.0))
            rate = 16000 if length < 60 else 8000  # within MAX_UPLOAD_LENGTH as WAV
            buffer = io.BytesIO()
            with wave.open(buffer, "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(rate)
                out.writeframes(b"".join(struct.pack("<h", int(9000 * math.sin(2 * math.pi * 330 * i / rate)))
                                         for i in range(int(length * rate))))
            operations.save(lang, text.key, buffer.getvalue(), admin)
            seconds += length
        db.session.commit()
    return seconds


def unicode_range(face: str) -> set[int]:
    found: set[int] = set()
    for part in re.search(r"unicode-range:\s*([^;]+)", face).group(1).split(","):
        first, _, last = part.strip()[2:].partition("-")
        found |= set(range(int(first, 16), int(last or first, 16) + 1))
    return found


def languages(server) -> None:
    """What each person's language adds, beside the Khmer screener's figures above."""
    import brotli

    import questionnaires
    from webapp.recordings import operations

    app = server.app
    q = questionnaires.load()
    css_phone = Phone(*server.server_address[:2])
    _, _, css = css_phone.request("GET", "/static/css/fonts.css")
    css_cost = css_phone.log[-1].transferred
    css = re.sub(r"/\*.*?\*/", "", css.decode(), flags=re.S)
    faces = re.findall(r"@font-face\s*\{([^}]*)\}", css)
    print("\nEach language a person may answer in (a Khmer-only screener fetches none of it):")
    print(f"  static/css/fonts.css, once for any of them: {kb(css_cost)}")
    for lang in q.languages:
        rule = re.search(rf":lang\({re.escape(lang)}\)\s*\{{\s*font-family:([^;}}]+)", css)
        families = [f.strip().strip('"') for f in rule.group(1).split(",")] if rule else []
        used = {ord(c) for t in operations.person_texts(q) for c in t.text.get(lang)}
        # As a browser does: a face is fetched when its family is named and its
        # unicode-range holds a character of the texts.
        urls = [urljoin("/static/css/fonts.css", url) for face in faces
                if re.search(r'font-family:\s*"([^"]+)"', face).group(1) in families and used & unicode_range(face)
                for url in re.findall(r'url\("([^"]+)"\)', face)]
        phone = Phone(*server.server_address[:2])
        for url in urls:
            phone.request("GET", url)
        fonts = total(phone.log)
        texts = json.dumps({t.key: t.text.get(lang) for t in operations.person_texts(q)}, ensure_ascii=False).encode()
        texts_sent = len(brotli.compress(texts))
        seconds = generated_recordings(app, lang)
        listener = Phone(*server.server_address[:2])
        log_in(listener)
        mark = listener.mark()
        _, _, listing = listener.request("GET", f"/audio/{lang}/", headers={"Accept": "application/json"})
        for url in json.loads(listing)["urls"]:
            listener.request("GET", url)
        audio = total(listener.since(mark))
        note = "" if urls else ("  (system fonts; Khmer: the font above)" if lang == "km" else "  (system fonts)")
        print(f"  language {lang:8} fonts {kb(fonts)} + texts {kb(texts_sent)} + audio {kb(audio)}"
              f" = {kb(fonts + texts_sent + audio)}   ({len(json.loads(listing)['urls'])} recordings,"
              f" {seconds:.0f} s){note}")


def describe(fetches: list[Fetch]) -> str:
    return ", ".join(f"{f.method} {f.path} {f.status} {f.transferred}" for f in fetches)


def main() -> int:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = start_server()
    ok = True

    first, screens = no_js_path(server)
    font_phone = Phone(*server.server_address[:2])
    font = font_path(font_phone)
    font_phone.request("GET", font)
    font_fetch = font_phone.log[-1]

    print("First load (log-in page and what it links to), as sent over the wire, headers included:")
    for f in first:
        print(f"  {f.method} {f.path[:60]:60} {f.status}  body {f.body:7} B  sent {f.wire:7} B  + headers {f.headers} B")
    first_total = total(first)
    verdict = "PASS" if first_total <= FIRST_LOAD_BUDGET else "FAIL"
    ok &= verdict == "PASS"
    print(f"  first load: {kb(first_total)}   budget {kb(FIRST_LOAD_BUDGET)}  {verdict}")
    with_font = first_total + font_fetch.transferred
    verdict = "PASS" if with_font <= FIRST_LOAD_BUDGET else "FAIL"
    ok &= verdict == "PASS"
    print(f"  Khmer font {font}: {kb(font_fetch.transferred)} (only for a browser with no Khmer font)")
    print(f"  first load with the font: {kb(with_font)}   budget {kb(FIRST_LOAD_BUDGET)}  {verdict}")

    print("\nNo JavaScript: each further screen (the answer's POST, its redirects, the next page, 304s):")
    worst = 0
    for label, fetches in screens:
        size = total(fetches)
        worst = max(worst, size)
        verdict = "PASS" if size <= SCREEN_BUDGET else "FAIL"
        ok &= verdict == "PASS"
        body = sum(f.wire for f in fetches)
        print(f"  {label:38} {kb(size)} = body {kb(body)} + headers {kb(size - body)} in {len(fetches)} responses  {verdict}")
    print(f"  {len(screens)} screens, largest {kb(worst)}, total {kb(sum(total(f) for _, f in screens))}"
          f"   budget per screen {kb(SCREEN_BUDGET)}")

    js_first, js_screens, local_screens = js_path(server)
    print("\nWith JavaScript (same first load, "
          f"{kb(total(js_first))}; the in-browser form after logging in):")
    for label, fetches in js_screens:
        body = sum(f.wire for f in fetches)
        print(f"  {label:45} {kb(total(fetches))} = body {kb(body)} + headers {kb(total(fetches) - body)}")
        for f in fetches:
            if f.wire > 1024:
                print(f"      {f.method} {f.path[:60]:60} sent {f.wire:7} B (body {f.body} B)")
    print(f"  each of the {local_screens} screens of the form (context, consent, questions) {kb(0)}"
          "  (runs on the phone)")
    languages(server)
    server.shutdown()
    print("\nPASS" if ok else "\nFAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
