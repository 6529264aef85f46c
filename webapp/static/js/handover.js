// Hand-over mode of the in-browser screening (issue 16): after consent the screener hands the
// phone over and the person answers alone, one question per screen, in their own language,
// with large answer buttons that carry symbols, and a listen button where a recording exists.
// Nothing of an earlier answer is shown. Taking the phone back needs the screener: a 2-second
// long press, then a confirmation; the screener's form (screen.js) then finishes the screening
// and shows its result (or, with questions left, the next one to the screener).
// It runs inside screen.js's form (window.screeningHandover, called from its render()): the
// same draft in localStorage, the same rules, the same queue, so it works offline alike.
// Without JavaScript the server's pages do the same (webapp/screening/handover.py).
(function () {
  "use strict";

  const SYMBOLS = { yes: "✓", no: "✗", unknown: "?", refused: "→" };
  const SPEAKER = '<svg class="speaker" viewBox="0 0 24 24" width="32" height="32" aria-hidden="true" focusable="false"><path fill="currentColor" d="M3 9v6h4l5 5V4L7 9H3zm13.5 3A4.5 4.5 0 0 0 14 7.97v8.05A4.5 4.5 0 0 0 16.5 12zM14 3.23v2.06a7 7 0 0 1 0 13.42v2.06a9 9 0 0 0 0-17.54z"/></svg>';
  const HOLD_MS = 2000;

  // --- the person's languages: their texts come apart from the questionnaire ----------------
  // /api/questionnaire carries Khmer and English only (a Khmer screener's form stays light);
  // the other languages' texts (/api/questionnaire/languages, cached by sw.js) are merged into
  // the questionnaire of this draft, which keeps them while the draft lives.
  let loading = null;

  function withTexts(Q) {
    return ["km", "en"].concat(Q.person_languages || []);
  }

  function merge(Q, doc) {
    if (!doc || doc.version !== Q.version) return;
    Q.questions.forEach((q) => {
      const t = doc.questions[q.code];
      if (!t) return;
      Object.assign(q.text, t.text);
      (q.options || []).forEach((o) => Object.assign(o.label, (t.options || {})[o.value] || {}));
    });
    Object.keys(doc.answer_labels).forEach((v) => Object.assign(Q.answer_labels[v], doc.answer_labels[v]));
    Q.result_sentences = doc.result_sentences;
    Q.contact = doc.contact;
    Q.person_languages = doc.languages;
  }

  // True once the texts are here (or cannot come: then only Khmer and English are offered).
  function texts(app) {
    const Q = app.questionnaire();
    if (Q.person_languages) return true;
    if (!loading) {
      const url = document.getElementById("app").dataset.questionnaireUrl + "/languages";
      loading = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((res) => (res.ok ? res.json() : null))
        .catch(() => null)
        .then((doc) => {
          loading = null;
          if (app.questionnaire() !== Q) return;
          merge(Q, doc);
          if (!Q.person_languages) Q.person_languages = []; // none to be had: km and en
          app.save();
          app.render();
        });
    }
    return false;
  }

  function personLanguage(app) {
    const Q = app.questionnaire();
    const chosen = app.draft().person_language;
    return Q.languages && Q.languages[chosen] && withTexts(Q).indexOf(chosen) >= 0 ? chosen : app.lang;
  }

  function isDraft(app, code) {
    const Q = app.questionnaire();
    return !!(Q.languages && Q.languages[code] && Q.languages[code].draft);
  }

  // A person-facing text in the person's language (the screener's where the file has none).
  function says(app, text, code) {
    if (!text) return "";
    return text[code] || text[app.lang] || text.en;
  }

  function badge(app, code) {
    return isDraft(app, code) ? app.h("span", { class: "badge draft", lang: app.lang }, app.T.draft_badge) : null;
  }

  function audioUrl(app, code, key) {
    const audio = app.questionnaire().audio || {};
    return (audio[code] || {})[key] || null;
  }

  // A listen button, only when there is a recording (h16b's recordings, cached by sw.js).
  function listen(app, code, key) {
    const url = audioUrl(app, code, key);
    if (!url) return null;
    const player = new Audio();
    player.preload = "none";
    const button = app.h("button", {
      type: "button", class: "listen-button", "aria-label": app.T.listen, "data-audio": url,
      // A failed load is tried once more: Chromium now and then fails the first offline load
      // of a recording from the service worker's cache, and the second plays.
      onclick: () => {
        const play = (retry) => {
          player.src = url;
          player.currentTime = 0;
          player.play().catch(() => { if (retry) play(false); });
        };
        play(true);
      },
    });
    button.innerHTML = SPEAKER; // a drawn speaker: no emoji font needed
    return app.h("p", { class: "listen" }, button);
  }

  // --- consent in the person's language -------------------------------------------------------

  function consent(app) {
    handedOver(false);
    const h = app.h;
    const T = app.T;
    const Q = app.questionnaire();
    const draft = app.draft();
    const code = personLanguage(app);
    const q = Q.questions.find((item) => item.code === "consent");
    texts(app);
    const choices = withTexts(Q).filter((key) => !Q.languages || Q.languages[key]).map((key) => h("option", {
      value: key, lang: key, selected: key === code,
    }, (Q.languages ? Q.languages[key].name : key) + (isDraft(app, key) ? " (" + T.draft + ")" : "")));
    const picker = h("select", { id: "person_language", name: "person_language", onchange: (event) => {
      draft.person_language = event.target.value;
      keepRecordings(draft.person_language);
      app.save();
      app.render();
    } }, ...choices);
    const beside = isDraft(app, code) && code !== app.lang;
    app.show("consent",
      h("h1", {}, T.read_aloud),
      h("label", { for: "person_language" }, T.person_language), picker,
      h("div", { class: "consent-text" },
        h("p", { class: "person-lang" }, (Q.languages ? Q.languages[code].name : code) + " ", badge(app, code)),
        h("p", { class: "question", lang: code }, says(app, q.text, code)),
        listen(app, code, "q.consent"),
        beside ? h("p", { class: "muted beside-label" }, T.beside) : null,
        beside ? h("p", { class: "question beside", lang: app.lang }, app.label(q.text)) : null),
      q.help ? h("p", { class: "muted" }, app.label(q.help)) : null,
      h("div", { class: "answers" },
        h("button", { type: "button", class: "primary", "data-value": "yes", onclick: () => start(app, code, "questions") }, T.consent_yes),
        h("button", { type: "button", class: "primary handover", "data-value": "handover",
          onclick: () => start(app, code, "handover") }, T.handover_yes),
        h("p", { class: "muted" }, T.headphones),
        h("button", { type: "button", "data-value": "no", onclick: app.decline }, T.consent_no)),
      h("nav", { class: "steps" }, h("button", { type: "button", onclick: () => {
        draft.stage = "context";
        app.save();
        app.render();
      } }, T.back)));
  }

  function start(app, code, stage) {
    app.draft().person_language = code;
    keepRecordings(code);
    app.consent(stage);
  }

  // Ask the service worker (sw.js) to keep every recording of the person's language, so the
  // listen buttons still play when the signal drops. Only the languages this phone has used
  // (remembered here; all of them would be about 2 MB each), refreshed at each online start
  // so a replaced recording reaches the cache before the next screening without signal.
  const USED = "scr:person-languages"; // "scr:": cleared at log-out like the drafts (enhance.js)

  function usedLanguages() {
    try { return JSON.parse(localStorage.getItem(USED)) || []; } catch (e) { return []; }
  }

  function keepRecordings(code) {
    const used = usedLanguages();
    if (used.indexOf(code) < 0) {
      used.push(code);
      try { localStorage.setItem(USED, JSON.stringify(used)); } catch (e) { /* storage full: asked once anyway */ }
    }
    askWorker(code);
  }

  function askWorker(code) {
    if (!("serviceWorker" in navigator) || navigator.onLine === false) return;
    navigator.serviceWorker.ready.then((registration) => {
      if (registration.active) registration.active.postMessage({ type: "cache-audio", lang: code });
    }).catch(() => {});
  }

  usedLanguages().forEach(askWorker);

  // --- one question, for the person -------------------------------------------------------------

  // While the person holds the phone, the menu (My screenings, log-out) is hidden.
  function handedOver(on) {
    document.body.classList.toggle("handed-over", on);
  }

  function ask(app) {
    handedOver(true);
    const h = app.h;
    const Q = app.questionnaire();
    if (!texts(app)) return app.show("loading", h("p", { class: "muted" }, "…"));
    const draft = app.draft();
    const code = personLanguage(app);
    const q = skipRule(app).next(app.values());
    if (!q) return handBack(app, code);
    const error = app.errorBox();
    const choose = (value) => {
      if (app.draft() !== draft || document.querySelector("form.person-answers") !== form) return;
      const answer = app.canonical(q, value);
      if (answer === undefined) return app.fail(error, q.type === "integer" ? "? " + q.min + "–" + q.max : "?");
      draft.answers[q.code] = { value: answer, answered_at: new Date().toISOString() };
      draft.current = null;
      app.save();
      app.render();
    };
    const big = (value, text, symbol) => h("button", {
      type: "button", class: "big answer-" + value, "data-value": value, onclick: () => choose(value),
    }, symbol ? h("span", { class: "sym", "aria-hidden": "true" }, symbol) : null, symbol ? " " + text : text);
    const ok = () => h("button", { type: "submit", class: "primary big" }, h("span", { class: "sym", "aria-hidden": "true" }, "✓"), " OK");
    const controls = [];
    if (q.values) {
      q.values.forEach((v) => controls.push(big(v, says(app, Q.answer_labels[v], code), SYMBOLS[v])));
    } else if (q.type === "choice") {
      q.options.forEach((o) => controls.push(big(o.value, says(app, o.label, code), o.value === "unknown" ? SYMBOLS.unknown : null)));
    } else if (q.type === "integer") {
      controls.push(h("input", { id: "answer", name: "answer", inputmode: "numeric", autocomplete: "off", maxlength: 3,
        "aria-label": says(app, q.text, code) }), ok());
      if (q.allow_unknown) controls.push(big("unknown", says(app, Q.answer_labels.unknown, code), SYMBOLS.unknown));
    } else {
      controls.push(app.select("answer", places(app, q, code), null, true), ok());
      q.options.forEach((o) => controls.push(big(o.value, says(app, o.label, code), o.value === "unknown" ? SYMBOLS.unknown : null)));
    }
    const form = h("form", { class: "answers person-answers", "data-code": q.code, novalidate: true, onsubmit: (event) => {
      event.preventDefault();
      choose(form.elements.answer ? form.elements.answer.value : "");
    } }, h("h1", { class: "question" }, says(app, q.text, code)), listen(app, code, "q." + q.code), error, ...controls);
    app.show("question", h("div", { class: "handover", lang: code }, badge(app, code), form), takeBack(app));
    app.settle(form);
  }

  // The phone channels' skip rule (engine.can_change), as screen.js runs it for the form.
  function skipRule(app) {
    return { canChange: app.canChange, next: app.nextNeeded };
  }

  // Countries named in the person's language by the browser's own data where it has them;
  // provinces in Khmer for a Khmer reader, else in English (the file names them in km and en).
  function places(app, q, code) {
    const Q = app.questionnaire();
    if (q.type === "province") { // Khmer and English names only: romanised for other readers
      return Q.provinces.map((p) => ({ value: p.value, text: p.label[code] || p.label.en }))
        .sort((a, b) => (a.text < b.text ? -1 : 1));
    }
    let names = null;
    try {
      names = window.Intl && Intl.DisplayNames ? new Intl.DisplayNames([code], { type: "region" }) : null;
    } catch (e) { names = null; }
    return Q.countries.en.map((o) => ({ value: o.value, text: names ? names.of(o.value) || o.label : o.label }));
  }

  // --- giving the phone back ----------------------------------------------------------------------

  function handBack(app, code) {
    const h = app.h;
    app.show("handback",
      h("div", { class: "handover", lang: code }, badge(app, code), h("p", { class: "big-sym", "aria-hidden": "true" }, "✓"),
        app.questionnaire().contact ? h("p", { class: "contact" }, says(app, app.questionnaire().contact, code)) : null),
      h("h1", { lang: app.lang }, app.T.give_back),
      takeBack(app));
  }

  // A 2-second press, then a confirmation: the person does not end it by a tap.
  function takeBack(app) {
    const h = app.h;
    let timer = null;
    const cancel = () => {
      if (timer) clearTimeout(timer);
      timer = null;
      button.classList.remove("holding");
    };
    const button = h("button", { type: "button", class: "take-back", lang: app.lang,
      onpointerdown: (event) => {
        event.preventDefault();
        cancel();
        button.classList.add("holding");
        timer = setTimeout(() => {
          timer = null;
          button.classList.remove("holding");
          if (!window.confirm(app.T.take_back_confirm)) return;
          handedOver(false);
          const draft = app.draft();
          draft.stage = "questions";
          draft.current = null;
          if (!skipRule(app).next(app.values())) {
            // Done by the skip rule: the screener sees the result (the server checks the rule).
            app.save();
            return app.finish();
          }
          app.save();
          app.render(); // screen.js: the screener goes on with the questions left
        }, HOLD_MS);
      },
      onpointerup: cancel, onpointerleave: cancel, onpointercancel: cancel,
      oncontextmenu: (event) => event.preventDefault(),
    }, app.T.take_back);
    return h("p", { class: "give-back" }, button);
  }

  window.screeningHandover = { consent: consent, ask: ask };
})();
