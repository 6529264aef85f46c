"""Recordings in a real browser, on a phone-sized screen (issue 16 items 4 and 6):
- an administrator uploads a recording, listens back (the audio element loads, duration > 0)
  and replaces it;
- a screener's service worker keeps a language's recordings and plays them with no signal;
- text in Vietnamese, Thai and Simplified Chinese is drawn with the fonts the app serves, and
  a Khmer-only page never downloads them.
Every sound is generated (a sine wave); never a voice.
"""
from __future__ import annotations

import pytest

from tests.browser.helpers import log_in
from tests.test_recordings import sine_wav
from webapp.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "locale": "km-KH"}
KEY = "q.U1"
PERSON_FONTS = ("noto-sans-latin-400-normal", "noto-sans-vietnamese-400-normal", "noto-sans-thai-thai-400-normal",
                "noto-sans-sc-subset-400-normal")

DURATION = """async () => {
  const audio = document.querySelector("audio#current");
  if (!(audio.readyState >= 1)) await new Promise((resolve, reject) => {
    audio.addEventListener("loadedmetadata", resolve, { once: true });
    audio.addEventListener("error", () => reject(new Error("audio error " + (audio.error && audio.error.code))), { once: true });
    audio.load();
  });
  return { duration: audio.duration, src: audio.getAttribute("src") };
}"""

LISTEN = """async () => {
  const audio = document.querySelector("audio#current");
  audio.muted = true;  // the test machine has no speakers; playback itself still runs
  await audio.play();
  await new Promise((resolve) => setTimeout(resolve, 600));
  audio.pause();
  return audio.currentTime;
}"""


def admin_logs_in(page, base):
    page.goto(f"{base}/login")
    page.fill("#identifier", "admin")
    page.fill("#password", DEMO_PASSWORD)
    page.click("form button.primary")
    page.wait_for_url(f"{base}/admin/users")


def upload(page, seconds: float, hz: float):
    page.set_input_files("input#file", {"name": "take.wav", "mimeType": "audio/wav", "buffer": sine_wav(seconds, hz)})
    page.click("form[enctype] button[type=submit]")
    page.wait_for_selector("audio#current")


def no_overflow(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_an_administrator_uploads_listens_back_and_replaces_a_recording(browser, server):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    admin_logs_in(page, server)
    page.goto(f"{server}/admin/recordings/vi")
    assert page.locator(f'li[data-key="{KEY}"] strong.missing').count() == 1  # shown as lacking a recording
    page.locator(f'li[data-key="{KEY}"] a').click()
    assert page.locator("audio#current").count() == 0
    assert no_overflow(page)

    upload(page, 2.0, 440)
    first = page.evaluate(DURATION)
    assert 1.8 < first["duration"] < 2.3
    assert page.evaluate(LISTEN) > 0.2  # it plays
    assert page.locator("[data-status-of=current] .draft").count() == 1
    assert no_overflow(page)

    upload(page, 3.0, 660)
    second = page.evaluate(DURATION)
    assert 2.8 < second["duration"] < 3.3 and second["src"] != first["src"]
    assert no_overflow(page)
    page.goto(f"{server}/admin/recordings/vi")
    assert page.locator(f'li[data-key="{KEY}"] strong.missing').count() == 0
    context.close()


def test_the_service_worker_keeps_the_recordings_of_a_language_for_offline_use(browser, server):
    admin = browser.new_context(**PHONE)
    page = admin.new_page()
    admin_logs_in(page, server)
    page.goto(f"{server}/admin/recordings/vi/{KEY}")
    upload(page, 1.0, 523)
    url = page.locator("audio#current").get_attribute("src")
    admin.close()

    context = browser.new_context(**PHONE)
    phone = context.new_page()
    log_in(phone, server)  # a screener: enhance.js registers the service worker
    phone.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    phone.reload()
    phone.wait_for_function("() => navigator.serviceWorker.controller !== null")
    reply = phone.evaluate("""() => new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = (event) => resolve(event.data);
      navigator.serviceWorker.controller.postMessage({ type: "cache-audio", lang: "vi" }, [channel.port2]);
    })""")
    assert reply == {"lang": "vi", "cached": 1, "dropped": 0}
    assert phone.evaluate("(u) => caches.open('audio-v1').then((c) => c.match(u)).then((r) => !!r)", url)

    context.set_offline(True)
    played = phone.evaluate("""async (u) => {
      const response = await fetch(u);
      const bytes = (await response.arrayBuffer()).byteLength;
      const audio = new Audio(u);
      const duration = await new Promise((resolve, reject) => {
        audio.addEventListener("loadedmetadata", () => resolve(audio.duration), { once: true });
        audio.addEventListener("error", () => reject(new Error("no audio offline")), { once: true });
      });
      return { status: response.status, bytes, duration };
    }""", url)
    assert played["status"] == 200 and played["bytes"] > 1000 and 0.8 < played["duration"] < 1.3
    context.close()


# For each element with text of its own in the language: drawn with the face the app serves
# (document.fonts says the face is loaded and covers the text), and wider or narrower than
# the same text in the generic family alone (this machine has no font for these scripts).
RENDERED = """async (lang) => {
  await document.fonts.ready;
  const els = [...document.querySelectorAll(`[lang="${lang}"]`)].filter((el) => el.getClientRects().length);
  const probe = (family, text) => {
    const span = document.createElement("span");
    Object.assign(span.style, { fontFamily: family, fontSize: "40px", whiteSpace: "pre", position: "absolute" });
    span.textContent = text;
    document.body.append(span);
    const width = span.getBoundingClientRect().width;
    span.remove();
    return width;
  };
  const results = els.slice(0, 12).map((el) => {
    const text = el.textContent.trim().slice(0, 40);
    const stack = getComputedStyle(el).fontFamily;
    const loaded = stack.split(",").map((f) => f.trim().replace(/"/g, "")).filter((f) => f.startsWith("Person"))
      .some((f) => document.fonts.check(`40px "${f}"`, text));
    return { text, stack, loaded, differs: Math.abs(probe(stack, text) - probe("sans-serif", text)) > 1 };
  });
  return {
    count: results.length, bad: results.filter((r) => !r.loaded || !r.differs),
    faces: [...document.fonts].filter((f) => f.status === "loaded").map((f) => f.family),
  };
}"""


@pytest.mark.parametrize("lang, family, files", [
    ("vi", "PersonLatin", ("noto-sans-vietnamese-400-normal",)),
    ("th", "PersonThai", ("noto-sans-thai-thai-400-normal",)),
    ("zh-Hans", "PersonSC", ("noto-sans-sc-subset-400-normal",)),
])
def test_text_in_each_person_language_renders_with_the_served_fonts(browser, server, lang, family, files):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    admin_logs_in(page, server)
    page.goto(f"{server}/admin/recordings/{lang}")
    report = page.evaluate(RENDERED, lang)
    assert report["count"] > 5 and not report["bad"], report["bad"][:3]
    assert family in report["faces"]
    assert all(any(name in url for url in fetched) for name in files), fetched
    assert no_overflow(page)
    context.close()


def test_a_khmer_only_screener_never_downloads_the_other_fonts(browser, server):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    fetched = []
    context.on("request", lambda request: fetched.append(request.url))
    log_in(page, server)
    page.goto(f"{server}/screenings/new")
    page.evaluate("() => document.fonts.ready.then(() => true)")
    page.wait_for_timeout(300)
    assert not [url for url in fetched if any(name in url for name in PERSON_FONTS)]
    assert any("noto-sans-khmer" in url for url in fetched)  # this machine has no Khmer font: it does fetch that one
    context.close()


# The microphone, replaced by a generated tone (Web Audio oscillator): MediaRecorder and
# recorder.js run as they do with a real microphone, and no voice is ever recorded.
GENERATED_MICROPHONE = """
navigator.mediaDevices.getUserMedia = async () => {
  const context = new AudioContext();
  const tone = context.createOscillator();
  tone.frequency.value = 440;
  const sink = context.createMediaStreamDestination();
  tone.connect(sink);
  tone.start();
  return sink.stream;
};
"""


def test_an_administrator_records_in_the_browser_listens_and_keeps_it(browser, server):
    context = browser.new_context(**PHONE)
    context.add_init_script(GENERATED_MICROPHONE)
    page = context.new_page()
    admin_logs_in(page, server)
    page.goto(f"{server}/admin/recordings/th/result.not_indicated")
    page.locator("#recorder").wait_for(state="visible")  # recorder.js found MediaRecorder and the microphone API
    page.click("#recorder [data-action=start]")
    page.wait_for_selector("#recorder [data-action=stop]:not([disabled])")
    page.wait_for_timeout(1500)
    page.click("#recorder [data-action=stop]")
    page.wait_for_selector("#recorder [data-action=save]:not([hidden])")
    assert page.locator("#recorder audio[data-preview]").get_attribute("src").startswith("blob:")  # listen before keeping
    page.click("#recorder [data-action=save]")
    page.wait_for_selector("audio#current")
    with_recording = page.evaluate(DURATION)
    assert with_recording["duration"] > 0.5  # webm may report Infinity until played through: > 0.5 holds
    assert no_overflow(page)
    response = page.request.get(f"{server}{with_recording['src']}")
    assert response.headers["content-type"] in ("audio/webm", "audio/ogg")  # Opus kept as the browser made it
    context.close()
