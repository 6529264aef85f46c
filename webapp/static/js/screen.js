// The in-browser screening on /screenings/app: context, consent read aloud, one question
// per screen, then the finished screening goes to the queue of enhance.js and is sent when
// the network is there. Every answer is written to localStorage as it is given, so a reload
// or a dropped connection loses nothing. The server re-checks everything on submit; the
// choice of the next question below mirrors questionnaires/engine.py and must stay exact.
(function () {
  "use strict";
  const root = document.getElementById("app");
  if (!root) return;
  const cfg = root.dataset;
  if (!window.screeningQueue) {
    // enhance.js found no usable storage here: the server-driven form still works.
    location.replace(cfg.startUrl);
    return;
  }
  const T = JSON.parse(document.getElementById("i18n").textContent);
  const lang = cfg.lang === "en" ? "en" : "km";
  const DRAFT = "scr:" + cfg.user + ":draft";
  const queue = window.screeningQueue;
  let Q = null; // the questionnaire this draft is asked with
  let LATEST = null; // the current questionnaire document from /api/questionnaire
  let draft = null;

  // --- the engine's rules (questionnaires/engine.py) ------------------------------------
  // tests/browser/test_engine_parity.py runs this section against the Python engine.

  const has = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);

  function isMinor(a) {
    if (typeof a.age === "number") return a.age < Q.minor_age;
    return a.age === "unknown" && a.age_maybe_minor === "yes";
  }

  function holds(c, a) {
    if (c.all) return c.all.every((part) => holds(part, a));
    if (c.any) return c.any.some((part) => holds(part, a));
    if (has(c, "minor")) return isMinor(a) === c.minor;
    if (c.answered) return has(a, c.answer);
    return a[c.answer] != null && c.in.indexOf(String(a[c.answer])) >= 0;
  }

  function isAsked(q, a) {
    if (q.code !== "consent" && a.consent !== "yes") return false;
    return !q.when || holds(q.when, a);
  }

  // The answers that count: those to questions still asked, in questionnaire order.
  function effective(a) {
    const kept = {};
    Q.questions.forEach((q) => {
      if (has(a, q.code) && isAsked(q, kept)) kept[q.code] = a[q.code];
    });
    return kept;
  }

  function askedQuestions(a) {
    const kept = effective(a);
    return Q.questions.filter((q) => isAsked(q, kept));
  }

  function nextQuestion(a) {
    const kept = effective(a);
    return Q.questions.find((q) => !has(kept, q.code) && isAsked(q, kept)) || null;
  }

  // Where Back goes: questionnaires.previous_question's rule (the parity test holds them
  // together): the last question before `current`, in questionnaire order, whose answer
  // still counts; never consent.
  function previousQuestion(a, current) {
    const kept = effective(a);
    const found = Q.questions.findIndex((q) => q.code === current);
    for (let i = (found >= 0 ? found : Q.questions.length) - 1; i >= 0; i--) {
      if (Q.questions[i].code !== "consent" && has(kept, Q.questions[i].code)) return Q.questions[i];
    }
    return null;
  }

  // --- the draft on this phone -------------------------------------------------------------

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    const hex = Array.from(b, (x) => (x + 256).toString(16).slice(1)).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function newDraft() {
    if (LATEST) Q = LATEST; // a new screening is asked with the current version
    return {
      uuid: uuid(),
      stage: "context",
      language: lang,
      started_at: null,
      context: { kind: kinds()[0], post_code: cfg.post, province_code: cfg.province, country_code: cfg.country, city: "" },
      answers: {},
      current: null,
    };
  }

  function loadDraft() {
    try {
      const saved = JSON.parse(localStorage.getItem(DRAFT));
      if (saved && saved.uuid && saved.answers) return saved;
    } catch (e) { /* a damaged draft: start afresh */ }
    return null;
  }

  function save() {
    localStorage.setItem(DRAFT, JSON.stringify(draft));
  }

  function values() {
    const a = { consent: "yes" };
    Object.keys(draft.answers).forEach((code) => { a[code] = draft.answers[code].value; });
    return a;
  }

  function kinds() {
    return (cfg.kinds || "post").split(",");
  }

  // Only the fields of the chosen kind travel; the server derives the rest.
  function contextPayload() {
    const c = draft.context;
    const fields = { post: ["post_code"], province: ["province_code"], gps: ["lat", "lon"], abroad: ["country_code", "city"] };
    const out = { kind: c.kind };
    (fields[c.kind] || []).forEach((name) => { out[name] = c[name]; });
    return out;
  }

  // --- drawing -------------------------------------------------------------------------------

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    Object.keys(attrs || {}).forEach((key) => {
      const value = attrs[key];
      if (key.slice(0, 2) === "on") el.addEventListener(key.slice(2), value);
      else if (key === "class") el.className = value;
      else if (value === true) el.setAttribute(key, "");
      else if (value != null && value !== false) el.setAttribute(key, value);
    });
    children.forEach((child) => { if (child != null) el.append(child); });
    return el;
  }

  function fmt(text, vars) {
    return text.replace(/%\((\w+)\)[ds]/g, (all, name) => (has(vars, name) ? String(vars[name]) : all));
  }

  // Numbers inside Khmer text in Khmer digits, like the static texts ("សំណួរទី ៣ នៃ ៤២").
  function localDigits(text) {
    return lang === "km" ? text.replace(/[0-9]/g, (d) => "០១២៣៤៥៦៧៨៩"[d]) : text;
  }

  function label(text) {
    return text ? text[lang] || text.en : "";
  }

  function show(step, ...children) {
    const moved = root.dataset.step !== step || step === "question";
    root.dataset.step = step;
    root.textContent = "";
    children.forEach((child) => { if (child) root.append(child); });
    const heading = root.querySelector("h1");
    if (heading && moved) { // a new screen: screen readers start at its heading
      heading.tabIndex = -1;
      heading.focus();
    }
  }

  function select(id, options, current, blank) {
    return h("select", { id: id, name: id },
      blank ? h("option", { value: "" }, "—") : null,
      ...options.map((o) => h("option", { value: o.value, selected: o.value === current }, o.text)));
  }

  function errorBox() {
    return h("p", { class: "errors", role: "alert", hidden: true });
  }

  function fail(box, message) {
    box.textContent = message;
    box.hidden = false;
  }

  // --- context ---------------------------------------------------------------------------------

  function contextScreen() {
    const c = draft.context;
    const error = errorBox();
    const radios = h("fieldset", {}, h("legend", {}, T.where),
      ...kinds().map((kind) => h("label", { class: "radio" },
        h("input", { type: "radio", name: "kind", value: kind, checked: kind === c.kind,
          onchange: () => { keep(); c.kind = kind; save(); contextScreen(); } }),
        " " + T["kind_" + kind])));
    const fields = [];
    if (c.kind === "post") {
      const posts = Q.posts.map((p) => ({ value: p.value, text: label(p.label) }));
      fields.push(h("label", { for: "post_code" }, T.post), select("post_code", posts, c.post_code, true));
    } else if (c.kind === "province") {
      fields.push(h("label", { for: "province_code" }, T.province), select("province_code", provinces(), c.province_code, true));
    } else if (c.kind === "gps") {
      const status = h("p", { class: "muted", role: "status" }, c.lat != null ? T.located : "");
      fields.push(h("button", { type: "button", onclick: () => locate(status) }, T.locate), status);
    } else if (c.kind === "abroad") {
      const countries = Q.countries[lang].filter((o) => o.value !== "KH").map((o) => ({ value: o.value, text: o.label }));
      fields.push(h("label", { for: "country_code" }, T.country), select("country_code", countries, c.country_code, true),
        h("label", { for: "city" }, T.city), h("input", { id: "city", name: "city", maxlength: 80, value: c.city || "" }));
    }
    const keep = () => ["post_code", "province_code", "country_code", "city"].forEach((name) => {
      if (form.elements[name]) c[name] = form.elements[name].value.trim();
    });
    const form = h("form", { id: "context-form", novalidate: true, onsubmit: (event) => {
      event.preventDefault();
      keep();
      const problem = contextProblem(c);
      if (problem) return fail(error, T["error_" + problem]);
      draft.stage = "consent";
      save();
      render();
    } }, radios, ...fields, error, h("button", { type: "submit", class: "primary" }, T.continue));
    show("context", h("h1", {}, T.new_screening), form);
  }

  function provinces() {
    return Q.provinces.slice().sort((a, b) => (a.label.en < b.label.en ? -1 : 1))
      .map((p) => ({ value: p.value, text: label(p.label) }));
  }

  function contextProblem(c) {
    const known = (list, value) => list.some((o) => o.value === value);
    if (c.kind === "post" && !known(Q.posts, c.post_code)) return "post_code";
    if (c.kind === "province" && !known(Q.provinces, c.province_code)) return "province_code";
    if (c.kind === "gps" && (c.lat == null || c.lon == null)) return "gps";
    if (c.kind === "abroad" && (!known(Q.countries.en, c.country_code) || c.country_code === "KH")) return "country_code";
    return kinds().indexOf(c.kind) < 0 ? "kind" : null;
  }

  // Only when the screener taps the button: the browser then asks the phone's owner.
  function locate(status) {
    if (!navigator.geolocation) return fail(status, T.error_gps);
    status.textContent = T.locating;
    navigator.geolocation.getCurrentPosition((position) => {
      // 2 decimals (about 1 km): enough to find the nearest services, and no more than that
      // sits in this browser's storage (security review, finding 8).
      draft.context.lat = Math.round(position.coords.latitude * 1e2) / 1e2;
      draft.context.lon = Math.round(position.coords.longitude * 1e2) / 1e2;
      save();
      status.textContent = T.located;
    }, () => { status.textContent = T.error_gps; }, { timeout: 20000, maximumAge: 600000 });
  }

  // --- consent ---------------------------------------------------------------------------------

  function consentScreen() {
    const q = Q.questions.find((item) => item.code === "consent");
    show("consent",
      h("h1", {}, T.read_aloud),
      h("p", { class: "question", lang: lang }, label(q.text)),
      q.help ? h("p", { class: "muted" }, label(q.help)) : null,
      h("div", { class: "answers" },
        h("button", { type: "button", class: "primary", "data-value": "yes", onclick: consent }, T.consent_yes),
        h("button", { type: "button", "data-value": "no", onclick: decline }, T.consent_no)),
      h("nav", { class: "steps" }, h("button", { type: "button", onclick: () => { draft.stage = "context"; save(); render(); } }, T.back)));
  }

  // ``stage``: "handover" when the screener hands the phone over (handover.js).
  function consent(stage) {
    draft.stage = typeof stage === "string" ? stage : "questions";
    draft.started_at = new Date().toISOString();
    draft.language = lang;
    // The draft keeps the questionnaire it is asked with: if a new version arrives before it
    // is finished, it still finishes on this one (the server judges it with this version).
    draft.questionnaire = Q;
    save();
    render();
  }

  // No consent: only a count is sent, and nothing about the person is kept here.
  function decline() {
    queue.add("decline", { context: contextPayload() });
    localStorage.removeItem(DRAFT);
    draft = null;
    queue.sync(false);
    show("declined", h("h1", {}, T.ended), h("p", {}, T.declined), another());
  }

  function another() {
    return h("button", { type: "button", class: "primary", onclick: () => { draft = newDraft(); save(); render(); } }, T.another);
  }

  // --- questions ---------------------------------------------------------------------------------

  function questionScreen() {
    const a = values();
    const asked = askedQuestions(a).filter((q) => q.code !== "consent");
    let q = asked.find((item) => item.code === draft.current);
    if (!q) q = nextQuestion(a);
    if (!q) return finish();
    const current = draft.answers[q.code] ? draft.answers[q.code].value : null;
    const position = asked.indexOf(q) + 1;
    const error = errorBox();
    // An answer belongs to the question it was shown with: a tap on a screen no longer shown
    // does nothing (see SETTLE_MS for the second tap of a quick double tap).
    const choose = (value) => {
      if (root.querySelector("form.answers") !== form) return;
      answer(q, value, error);
    };
    const buttons = (list) => list.map((o) => h("button", {
      type: "button", "data-value": o.value, class: current === o.value ? "chosen" : null,
      "aria-pressed": current === o.value ? "true" : null, onclick: () => choose(o.value) }, o.text));
    const controls = [];
    if (q.type === "integer") {
      controls.push(h("label", { for: "answer" }, T.number),
        h("input", { id: "answer", name: "answer", inputmode: "numeric", autocomplete: "off", maxlength: 3,
          value: typeof current === "number" ? String(current) : "" }),
        h("button", { type: "submit", class: "primary" }, T.next));
      if (q.allow_unknown) controls.push(...buttons([{ value: "unknown", text: label(Q.answer_labels.unknown) }]));
    } else if (q.type === "country" || q.type === "province") {
      const list = q.type === "province" ? provinces() : Q.countries[lang].map((o) => ({ value: o.value, text: o.label }));
      controls.push(h("label", { for: "answer" }, T.choose), select("answer", list, current, true),
        h("button", { type: "submit", class: "primary" }, T.next));
      controls.push(...buttons(q.options.map((o) => ({ value: o.value, text: label(o.label) }))));
    } else if (q.values) {
      controls.push(...buttons(q.values.map((v) => ({ value: v, text: label(Q.answer_labels[v]) }))));
    } else {
      controls.push(...buttons(q.options.map((o) => ({ value: o.value, text: label(o.label) }))));
    }
    const form = h("form", { class: "answers", "data-code": q.code, novalidate: true, onsubmit: (event) => {
      event.preventDefault();
      choose(form.elements.answer ? form.elements.answer.value : "");
    } },
    h("h1", { class: "question", lang: lang }, label(q.text)),
    q.help ? h("details", {}, h("summary", {}, T.help), h("p", {}, label(q.help))) : null,
    error, ...controls);
    const previous = previousQuestion(a, q.code);
    show("question",
      h("p", { class: "progress", "aria-live": "polite" }, localDigits(fmt(T.progress, { n: position, total: asked.length })) + " ",
        h("progress", { max: asked.length, value: position })),
      form,
      h("nav", { class: "steps" },
        previous ? h("button", { type: "button", "data-back": previous.code,
          onclick: () => { draft.current = previous.code; save(); render(); } }, T.back) : null,
        h("button", { type: "button", class: "discard", onclick: discard }, T.discard)));
    settle(form);
  }

  // The answer buttons sit at the same spot on one question and the next, so the second tap
  // of a quick double tap would answer the next question unseen (field-use review, finding 2):
  // a new question's buttons wait SETTLE_MS before they take a tap.
  const SETTLE_MS = 450;

  function settle(form) {
    const buttons = Array.from(form.querySelectorAll("button"));
    buttons.forEach((b) => { b.disabled = true; });
    setTimeout(() => buttons.forEach((b) => { b.disabled = false; }), SETTLE_MS);
  }

  const KHMER_DIGITS = /[\u17e0-\u17e9]/g;

  function canonical(q, raw) {
    const text = String(raw).trim();
    if (q.type === "integer") {
      if (text === "unknown" && q.allow_unknown) return "unknown";
      const ascii = text.replace(KHMER_DIGITS, (d) => String(d.charCodeAt(0) - 0x17e0));
      const n = /^\d{1,3}$/.test(ascii) ? Number(ascii) : NaN;
      return n >= q.min && n <= q.max ? n : undefined;
    }
    return text || undefined;
  }

  function answer(q, raw, error) {
    const value = canonical(q, raw);
    if (value === undefined) {
      return fail(error, q.type === "integer" ? fmt(T.number_error, { low: q.min, high: q.max }) : T.choice_error);
    }
    const before = draft.answers[q.code];
    if (!before || before.value !== value) draft.answers[q.code] = { value: value, answered_at: new Date().toISOString() };
    draft.current = null; // like the server form: on to the first question still open
    save();
    render();
  }

  function discard() {
    if (!window.confirm(T.discard_confirm)) return;
    draft = newDraft();
    save();
    render();
  }

  // --- the end: queue, try to send, show the result or say it waits ---------------------------

  function finish() {
    const kept = effective(values());
    const answers = { consent: { value: "yes", answered_at: draft.started_at } };
    Object.keys(kept).forEach((code) => { if (code !== "consent") answers[code] = draft.answers[code]; });
    const body = {
      uuid: draft.uuid,
      context: contextPayload(),
      answers: answers,
      language: draft.language,
      person_language: draft.person_language || null,
      skip_unneeded: !!draft.skip_unneeded, // handed over: asked with the phone channels' skip rule
      started_at: draft.started_at,
      questionnaire_version: Q.version,
    };
    queue.add("screening", body);
    localStorage.removeItem(DRAFT);
    draft = null;
    waitingFor = body.uuid;
    show("sending", h("p", { role: "status" }, T.sending));
    queue.sync(false).then(() => {
      if (waitingFor === body.uuid && root.dataset.step === "sending") {
        show("saved", h("h1", {}, T.saved), another());
      }
    });
  }

  let waitingFor = null;
  queue.onSent((item, reply) => {
    // Still looking at this screening: open its result.
    if (item.id === waitingFor && reply.result_url && (root.dataset.step === "sending" || root.dataset.step === "saved")) {
      root.dataset.step = "sent";
      location.assign(reply.result_url);
    }
  });

  function render() {
    const handover = window.screeningHandover; // hand-over mode, static/js/handover.js
    if (draft.stage === "context") return contextScreen();
    if (draft.stage === "consent") return handover ? handover.consent(app) : consentScreen();
    if (draft.stage === "handover" && handover) return handover.ask(app);
    return questionScreen();
  }

  // What handover.js uses of this form: the same draft, rules, drawing and queue.
  const app = {
    T: T, lang: lang, h: h, show: show, save: save, render: render, values: values, settle: settle,
    canonical: canonical, nextQuestion: nextQuestion, label: label, fail: fail, errorBox: errorBox,
    consent: consent, decline: decline, select: select, provinces: provinces, finish: finish,
    effective: effective, isAsked: isAsked, isMinor: isMinor,
    draft: () => draft, questionnaire: () => Q,
  };

  function start() {
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persisted().then((done) => done || navigator.storage.persist()).catch(() => {});
    }
    fetch(cfg.questionnaireUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((res) => {
        if (!res.ok) throw new Error(res.status);
        return res.json();
      })
      .then((doc) => {
        LATEST = doc;
        draft = loadDraft() || newDraft();
        Q = ((draft.stage === "questions" || draft.stage === "handover") && draft.questionnaire) || doc;
        save();
        render();
      })
      .catch(() => {
        show("error", h("p", { class: "errors", role: "alert" }, T.load_failed),
          h("p", {}, h("a", { href: cfg.startUrl }, T.standard_form)));
      });
  }

  start();
})();
