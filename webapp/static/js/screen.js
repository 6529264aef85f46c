// The in-browser screening on /screenings/app: context, consent read aloud, one screen per
// group of questions holding only what the skip rule still needs, the "for the record"
// questions, then the finished screening goes to the queue of enhance.js and is sent when
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


  // --- the skip rule (engine.can_change, for_the_record) and the screens (screens.py) --------
  // A question is left out only when no answer to it could change the tier or a flag; the
  // server refuses a screening that leaves out more (operations.judged_with), and the
  // parity test runs this against the engine on thousands of answer sets.

  const UNSURE = ["unknown", "refused"];
  const TALLY0 = { act: false, act_hyp: false, means: 0, means_hyp: 0, purpose: 0, purpose_hyp: 0, red_flag: false,
    child_context: false, involuntary: false, involuntary_hyp: false, penalty: false, penalty_hyp: false };

  function addTo(t, e, answer, cap) {
    if (answer !== "yes" && UNSURE.indexOf(answer) < 0) return t;
    const plus = (points, extra) => (cap == null ? points + extra : Math.min(points + extra, cap));
    const sure = answer === "yes";
    return {
      act: t.act || (sure && e.act), act_hyp: t.act_hyp || e.act,
      means: sure ? plus(t.means, e.means) : t.means, means_hyp: plus(t.means_hyp, e.means),
      purpose: sure ? plus(t.purpose, e.purpose) : t.purpose, purpose_hyp: plus(t.purpose_hyp, e.purpose),
      red_flag: t.red_flag || (sure && e.red_flag), child_context: t.child_context || (sure && e.child_context),
      involuntary: t.involuntary || (sure && e.involuntary), involuntary_hyp: t.involuntary_hyp || e.involuntary,
      penalty: t.penalty || (sure && e.penalty), penalty_hyp: t.penalty_hyp || e.penalty,
    };
  }

  const tallyKey = (t) => (t.act ? "1" : "0") + (t.act_hyp ? "1" : "0") + (t.red_flag ? "1" : "0")
    + (t.child_context ? "1" : "0") + (t.involuntary ? "1" : "0") + (t.involuntary_hyp ? "1" : "0")
    + (t.penalty ? "1" : "0") + (t.penalty_hyp ? "1" : "0")
    + "," + t.means + "," + t.means_hyp + "," + t.purpose + "," + t.purpose_hyp;

  // The same tallies and steps recur screen after screen: keep them, as the engine's caches do.
  const memo = { outcome: new Map(), successors: new Map(), reachable: new Map(), canChange: new Map() };
  function remember(cache, key, make) {
    if (cache.has(key)) return cache.get(key);
    if (cache.size > 20000) cache.clear();
    const value = make();
    cache.set(key, value);
    return value;
  }

  function effectOf(q, minor) {
    const e = q.effects ? q.effects[minor ? 1 : 0] : null;
    if (e && !e.key) e.key = JSON.stringify(e);
    return e;
  }

  function worked(a) {
    const rule = Q.skip.forced_labour;
    if (!rule) return false;
    const value = a[rule.work];
    return value != null && rule.no_work.indexOf(value) < 0;
  }

  function forcedLabour(t, working, hyp) {
    return hyp ? working && t.involuntary_hyp && t.penalty_hyp : working && t.involuntary && t.penalty;
  }

  // engine._decide: the tier and the rules that hold.
  function decide(t, minor, working) {
    const met = Q.skip.met, partial = Q.skip.partial;
    let purpose = t.purpose, purposeHyp = t.purpose_hyp;
    if (forcedLabour(t, working, false)) purpose = Math.max(purpose, met);
    if (forcedLabour(t, working, true)) purposeHyp = Math.max(purposeHyp, met);
    if (t.act && purpose >= met && (t.means >= met || minor)) return ["likely_victim", ["2"]];
    const rules = [];
    if (t.act && t.means >= met) rules.push("3a");
    if (t.means >= met && purpose >= met) rules.push("3b");
    if (t.act && t.means >= partial && purpose >= partial) rules.push("3c");
    if (t.red_flag) rules.push("3d");
    if (minor && (t.act || purpose >= partial || t.child_context)) rules.push("3e");
    if (t.act_hyp && purposeHyp >= met && (t.means_hyp >= met || minor)) rules.push("3f");
    if (rules.length) return ["possible_victim", rules];
    if (!minor && purpose >= partial) return ["exploited_migrant", ["4"]];
    return ["not_indicated", ["5"]];
  }

  function outcome(t, minor, working) {
    return remember(memo.outcome, tallyKey(t) + minor + working, () => {
      const [tier, rules] = decide(t, minor, working);
      return tier + "|" + forcedLabour(t, working, false) + "|" + (tier === "possible_victim" && rules.indexOf("3f") >= 0);
    });
  }

  function successors(t, e, cap) {
    return remember(memo.successors, tallyKey(t) + e.key + cap, () => [addTo(t, e, "yes", cap), addTo(t, e, "unknown", cap)]);
  }

  // Every tally the open questions in `others` ([effect, count] pairs) can lead to from base.
  function reachable(base, cap, others) {
    const key = tallyKey(base) + "|" + cap + "|" + others.map(([e, n]) => e.key + "*" + n).sort().join(";");
    return remember(memo.reachable, key, () => reach(base, cap, others));
  }

  function reach(base, cap, others) {
    const states = new Map([[tallyKey(base), base]]);
    others.forEach(([e, count]) => {
      let frontier = Array.from(states.values());
      for (let i = 0; i < count; i++) {
        const fresh = new Map();
        frontier.forEach((t) => successors(t, e, cap).forEach((after) => {
          const key = tallyKey(after);
          if (!states.has(key) && !fresh.has(key)) fresh.set(key, after);
        }));
        if (!fresh.size) break;
        fresh.forEach((t, key) => states.set(key, t));
        frontier = Array.from(fresh.values());
      }
    });
    return Array.from(states.values());
  }

  function matters(base, minor, working, cap, e, others) {
    return reachable(base, cap, others).some((t) => {
      const before = outcome(t, minor, working);
      return successors(t, e, cap).some((after) => outcome(after, minor, working) !== before);
    });
  }

  function tallyChangers(kept, open, minor) {
    const rule = Q.skip.forced_labour;
    const working = worked(kept);
    const cap = Q.skip.met;
    let base = TALLY0;
    Q.questions.forEach((q) => {
      const e = effectOf(q, minor);
      if (e && has(kept, q.code)) base = addTo(base, e, kept[q.code], cap);
    });
    if (decide(base, minor, working)[0] === "likely_victim" && (!rule || !working || forcedLabour(base, working, false))) {
      return [];
    }
    const groups = new Map(); // effect (as JSON) -> [effect, count, codes]
    open.forEach((q) => {
      const e = effectOf(q, minor);
      if (!e) return;
      const key = e.key;
      if (!groups.has(key)) groups.set(key, [e, 0, []]);
      groups.get(key)[1] += 1;
      groups.get(key)[2].push(q.code);
    });
    const mattering = [];
    groups.forEach(([e, , codes], key) => {
      // Beyond 8 answers of one kind nothing more can be reached (points cap), as in the engine.
      const others = [];
      groups.forEach(([other, count], otherKey) => {
        const n = Math.min(otherKey === key ? count - 1 : count, 8);
        if (n > 0) others.push([other, n]);
      });
      if (matters(base, minor, working, cap, e, others)) mattering.push(...codes);
    });
    return mattering;
  }

  function flagChangers(kept, open) {
    const raised = new Set(Q.questions.filter((q) => q.flag && kept[q.code] === "yes").map((q) => q.flag));
    const nationality = Q.questions.find((q) => q.role === "nationality");
    const country = Q.questions.find((q) => q.role === "exploitation_country");
    const changers = [];
    open.forEach((q) => {
      if (q.flag && !raised.has(q.flag)) changers.push(q.code);
      else if (nationality && q.code === nationality.code) changers.push(q.code);
      else if (country && nationality && q.code === country.code) {
        const known = kept[nationality.code];
        const nationalityOpen = open.some((other) => other.code === nationality.code);
        if (nationalityOpen || (known != null && known !== "unknown")) changers.push(q.code);
      }
    });
    return changers;
  }

  function minorityKnown(a) {
    return typeof a.age === "number" || (a.age === "unknown" && has(a, "age_maybe_minor"));
  }

  // engine.can_change: the codes of open questions whose answer could still change the tier
  // or a flag. A questionnaire without the skip data (a draft kept from before) skips nothing.
  function canChange(a) {
    const kept = effective(a);
    return remember(memo.canChange, JSON.stringify(kept), () => changers(kept));
  }

  function changers(kept) {
    const open = Q.questions.filter((q) => !has(kept, q.code) && isAsked(q, kept));
    const rule = Q.skip && Q.skip.forced_labour;
    const workOpen = rule && open.some((q) => q.code === rule.work);
    if (!Q.skip || kept.consent !== "yes" || !minorityKnown(kept) || workOpen) return new Set(open.map((q) => q.code));
    const minor = isMinor(kept);
    return new Set(tallyChangers(kept, open, minor).concat(flagChangers(kept, open)));
  }

  const alwaysAsked = (q) => !Q.skip || Q.skip.always_asked.indexOf(q.section) >= 0;

  // engine.next_question with skip_unneeded.
  function nextNeeded(a) {
    const kept = effective(a);
    const needed = canChange(kept);
    return Q.questions.find((q) => !has(kept, q.code) && isAsked(q, kept) && (alwaysAsked(q) || needed.has(q.code))) || null;
  }

  function forTheRecord(a) {
    const kept = effective(a);
    const needed = canChange(kept);
    return Q.questions.filter((q) => !has(kept, q.code) && !alwaysAsked(q) && !needed.has(q.code) && isAsked(q, kept) && q.record);
  }

  // screens.py: one screen per group (the section), holding what the skip rule still needs.
  const groupOf = (q) => q.section;

  function groupOrder() {
    const order = [];
    Q.questions.forEach((q) => { if (order.indexOf(groupOf(q)) < 0) order.push(groupOf(q)); });
    return order;
  }

  function nextScreen(a) {
    const first = nextNeeded(a);
    if (!first || first.code === "consent") return null;
    const kept = effective(a);
    const needed = canChange(kept);
    const key = groupOf(first);
    return { key: key, questions: Q.questions.filter((q) => groupOf(q) === key && !has(kept, q.code) && isAsked(q, kept)
      && (alwaysAsked(q) || needed.has(q.code))) };
  }

  function screenOf(a, key) {
    const kept = effective(a);
    const needed = canChange(kept);
    return { key: key, questions: Q.questions.filter((q) => groupOf(q) === key && q.code !== "consent" && isAsked(q, kept)
      && (has(kept, q.code) || alwaysAsked(q) || needed.has(q.code))) };
  }

  function previousScreen(a, key) {
    const kept = effective(a);
    const order = groupOrder();
    let answered = Q.questions.filter((q) => has(kept, q.code) && q.code !== "consent").map(groupOf);
    if (key != null && key !== "record" && order.indexOf(key) >= 0) {
      answered = answered.filter((group) => order.indexOf(group) < order.indexOf(key));
    }
    return answered.length ? answered[answered.length - 1] : null;
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
      screen: null, // the group shown (Back, a reload); null: the next one still needed
      record: null, // the codes of the record screen, once shown
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

  // --- questions: one screen per group ------------------------------------------------------------

  function questionScreen() {
    const a = values();
    if (draft.record) return recordScreen();
    const following = nextScreen(a);
    let key = draft.screen || (following && following.key);
    let shown = key ? screenOf(a, key) : null;
    if (shown && !shown.questions.length) {
      key = following && following.key;
      shown = key ? screenOf(a, key) : null;
    }
    if (!shown) {
      const record = forTheRecord(a);
      if (!record.length) return finish();
      draft.record = record.map((q) => q.code);
      save();
      return recordScreen();
    }
    draft.screen = key;
    save();
    drawScreen(shown, (form) => {
      const kept = effective(values());
      const needed = canChange(kept);
      const missing = shown.questions.filter((q) => isAsked(q, kept) && !has(draft.answers, q.code)
        && (alwaysAsked(q) || needed.has(q.code)));
      if (missing.length) return missing;
      draft.screen = null; // like the server form: on to the next screen still needed
      save();
      render();
      return [];
    });
  }

  // The questions left out "for the record": one button keeps what was answered, one skips
  // them all; unanswered stays missing, never "no".
  function recordScreen() {
    const codes = draft.record;
    const shown = { key: "record", questions: Q.questions.filter((q) => codes.indexOf(q.code) >= 0) };
    drawScreen(shown, () => { finish(); return []; }, () => {
      codes.forEach((code) => { delete draft.answers[code]; });
      finish();
    });
  }

  function progressOf(key) {
    const a = values();
    const present = groupOrder().filter((g) => g !== "opening" && screenOf(a, g).questions.length);
    const position = present.indexOf(key) >= 0 ? present.indexOf(key) + 1 : present.length + 1;
    const total = Math.max(present.length + (key === "record" ? 1 : 0), position);
    return [position, total];
  }

  // One screen: each question a fieldset whose answers are tied to its code. `done(form)`
  // runs on Next and returns the questions still unanswered (then nothing moves on);
  // `skip`, on the record screen, the second button.
  function drawScreen(shown, done, skip) {
    const error = errorBox();
    const fieldsets = shown.questions.map((q) => questionFields(q));
    const form = h("form", { class: "answers screen", "data-screen": shown.key, novalidate: true, onsubmit: (event) => {
      event.preventDefault();
      if (!current() || form.dataset.sent) return;
      const invalid = fieldsets.filter((f) => !f.read());
      if (invalid.length) return fail(error, T.some_missing);
      const missing = done(form);
      if (missing && missing.length) {
        fieldsets.forEach((f) => f.mark(missing.indexOf(f.q) >= 0 ? T.missing : null));
        return fail(error, T.some_missing);
      }
      form.dataset.sent = "1"; // a screen is sent once
    } },
    h("h1", {}, T["screen_" + shown.key] || T.screen_profile),
    shown.key === "record" ? h("p", { class: "muted" }, T.record_note)
      : shown.questions.some((q) => !alwaysAsked(q)) ? h("p", { class: "muted", id: "unneeded-hint" }, T.unneeded_hint) : null,
    error, ...fieldsets.map((f) => f.el),
    shown.key === "record"
      ? h("button", { type: "submit", class: "primary" }, T.record_save)
      : h("button", { type: "submit", class: "primary next" }, T.next),
    skip ? h("button", { type: "button", class: "skip", onclick: () => { if (current() && !form.dataset.sent) { form.dataset.sent = "1"; skip(); } } }, T.record_skip) : null);
    const current = () => root.querySelector("form.answers") === form && !form.dataset.settling;
    // A question the answers given since the screen appeared made unneeded fades (nothing
    // moves under the thumb); it needs no answer and comes back on the record screen.
    const refresh = () => {
      if (shown.key === "record" || !current()) return;
      const kept = effective(values());
      const needed = canChange(kept);
      fieldsets.forEach((f) => {
        const idle = !has(draft.answers, f.q.code) && isAsked(f.q, kept) && !alwaysAsked(f.q) && !needed.has(f.q.code);
        f.el.classList.toggle("unneeded", idle);
        if (idle) f.el.setAttribute("aria-describedby", "unneeded-hint");
        else f.el.removeAttribute("aria-describedby");
      });
    };
    fieldsets.forEach((f) => {
      f.current = current;
      f.changed = () => setTimeout(refresh, 0); // after the tap has painted
    });
    const [position, total] = progressOf(shown.key);
    const previous = previousScreen(values(), shown.key);
    show("question",
      h("p", { class: "progress", "aria-live": "polite" }, localDigits(fmt(T.progress, { n: position, total: total })) + " ",
        h("progress", { max: total, value: position })),
      form,
      h("nav", { class: "steps" },
        previous ? h("button", { type: "button", "data-back": previous,
          onclick: () => { draft.screen = previous; draft.record = null; save(); render(); } }, T.back) : null,
        h("button", { type: "button", class: "discard", onclick: discard }, T.discard)));
    settle(form);
  }

  // A question's fieldset. An answer is written to the draft (so a reload keeps it) under
  // the code of the question it was shown with, and only while its screen is the one shown.
  function questionFields(q) {
    const name = "q-" + q.code;
    const current = draft.answers[q.code] ? draft.answers[q.code].value : null;
    const note = h("p", { class: "errors", hidden: true });
    const f = { q: q, current: () => false, changed: () => {} };
    const keep = (value) => {
      const before = draft.answers[q.code];
      if (!before || before.value !== value) draft.answers[q.code] = { value: value, answered_at: new Date().toISOString() };
      save();
      f.mark(null);
      f.changed();
    };
    const radio = (value, text, type) => h("label", { class: "choice" },
      h("input", { type: type || "radio", name: name, value: value, checked: current === value,
        onchange: (event) => {
          if (!f.current()) return;
          if (type === "checkbox" && !event.target.checked) { delete draft.answers[q.code]; save(); f.changed(); return; }
          if (type === "checkbox" && f.input) f.input.value = "";
          keep(value);
        } }),
      h("span", {}, text));
    const controls = [];
    if (q.type === "integer") {
      f.input = h("input", { id: name, name: name, inputmode: "numeric", autocomplete: "off", maxlength: 3,
        value: typeof current === "number" ? String(current) : "" });
      f.input.addEventListener("change", () => {
        const value = canonical(q, f.input.value);
        if (f.current() && value !== undefined) keep(value);
      });
      controls.push(h("label", { for: name }, T.number), f.input);
      if (q.allow_unknown) controls.push(radio("unknown", label(Q.answer_labels.unknown), "checkbox"));
    } else if (q.type === "country" || q.type === "province") {
      const list = q.options.map((o) => ({ value: o.value, text: label(o.label) }))
        .concat(q.type === "province" ? provinces() : Q.countries[lang].map((o) => ({ value: o.value, text: o.label })));
      f.input = select(name, list, current, true);
      f.input.addEventListener("change", () => { if (f.current() && f.input.value) keep(f.input.value); });
      controls.push(h("label", { for: name }, T.choose), f.input);
    } else {
      const list = q.values ? q.values.map((v) => ({ value: v, text: label(Q.answer_labels[v]) }))
        : q.options.map((o) => ({ value: o.value, text: label(o.label) }));
      controls.push(h("div", { class: "choices" }, ...list.map((o) => radio(o.value, o.text))));
    }
    f.el = h("fieldset", { class: "q", "data-code": q.code },
      h("legend", { class: "question", lang: lang }, label(q.text)),
      q.help ? h("details", {}, h("summary", {}, T.help), h("p", {}, label(q.help))) : null,
      note, ...controls);
    f.mark = (message) => {
      note.hidden = !message;
      note.textContent = message || "";
      if (message) f.el.setAttribute("aria-invalid", "true");
      else f.el.removeAttribute("aria-invalid");
    };
    // A typed number is read on Next: false when it is not a valid answer.
    f.read = () => {
      if (q.type !== "integer" || !f.input.value.trim()) return true;
      const value = canonical(q, f.input.value);
      if (value === undefined) {
        f.mark(fmt(T.number_error, { low: q.min, high: q.max }));
        return false;
      }
      keep(value);
      const box = f.el.querySelector("input[type=checkbox]");
      if (box) box.checked = false;
      return true;
    };
    return f;
  }

  // Controls sit at the same spots from one screen to the next, so the second tap of a quick
  // double tap would land on the new screen unseen (field-use review, finding 2): a new
  // screen takes no tap for SETTLE_MS (the app's SCREEN_SETTLE_MS, data-settle-ms).
  const SETTLE_MS = cfg.settleMs != null && cfg.settleMs !== "" ? Number(cfg.settleMs) : 450;

  function settle(form) {
    if (!(SETTLE_MS > 0)) return;
    form.dataset.settling = "1";
    const swallow = (event) => {
      if (!form.dataset.settling) return;
      event.preventDefault();
      event.stopPropagation();
    };
    form.addEventListener("click", swallow, true);
    setTimeout(() => { delete form.dataset.settling; }, SETTLE_MS);
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
    canonical: canonical, label: label, fail: fail, errorBox: errorBox,
    consent: consent, decline: decline, select: select, finish: finish,
    canChange: canChange, nextNeeded: nextNeeded,
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
