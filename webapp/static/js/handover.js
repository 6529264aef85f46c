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
  const HOLD_MS = 2000;

  function personLanguage(app) {
    const Q = app.questionnaire();
    const chosen = app.draft().person_language;
    return Q.languages && Q.languages[chosen] ? chosen : app.lang;
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
    return app.h("p", { class: "listen" }, app.h("button", {
      type: "button", class: "listen-button", "aria-label": "🔊", "data-audio": url,
      onclick: () => { player.src = url; player.currentTime = 0; player.play().catch(() => {}); },
    }, "🔊"));
  }

  // --- consent in the person's language -------------------------------------------------------

  function consent(app) {
    const h = app.h;
    const T = app.T;
    const Q = app.questionnaire();
    const draft = app.draft();
    const code = personLanguage(app);
    const q = Q.questions.find((item) => item.code === "consent");
    const choices = Object.keys(Q.languages || { km: 1, en: 1 }).map((key) => h("option", {
      value: key, lang: key, selected: key === code,
    }, (Q.languages ? Q.languages[key].name : key) + (isDraft(app, key) ? " (" + T.draft + ")" : "")));
    const picker = h("select", { id: "person_language", name: "person_language", onchange: (event) => {
      draft.person_language = event.target.value;
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
        listen(app, code, "consent"),
        beside ? h("p", { class: "muted beside-label" }, T.beside) : null,
        beside ? h("p", { class: "question beside", lang: app.lang }, app.label(q.text)) : null),
      q.help ? h("p", { class: "muted" }, app.label(q.help)) : null,
      h("div", { class: "answers" },
        h("button", { type: "button", class: "primary", "data-value": "yes", onclick: () => start(app, code, "questions") }, T.consent_yes),
        h("button", { type: "button", class: "primary handover", "data-value": "handover",
          onclick: () => start(app, code, "handover") }, T.handover_yes),
        h("button", { type: "button", "data-value": "no", onclick: app.decline }, T.consent_no)),
      h("nav", { class: "steps" }, h("button", { type: "button", onclick: () => {
        draft.stage = "context";
        app.save();
        app.render();
      } }, T.back)));
  }

  function start(app, code, stage) {
    app.draft().person_language = code;
    app.consent(stage);
  }

  // --- one question, for the person -------------------------------------------------------------

  function ask(app) {
    const h = app.h;
    const Q = app.questionnaire();
    const draft = app.draft();
    const code = personLanguage(app);
    const q = app.nextQuestion(app.values());
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
    } }, h("h1", { class: "question" }, says(app, q.text, code)), listen(app, code, "question:" + q.code), error, ...controls);
    app.show("question", h("div", { class: "handover", lang: code }, badge(app, code), form), takeBack(app));
    app.settle(form);
  }

  // Countries named in the person's language by the browser's own data where it has them.
  function places(app, q, code) {
    const Q = app.questionnaire();
    if (q.type === "province") return app.provinces();
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
      h("div", { class: "handover", lang: code }, h("p", { class: "big-sym", "aria-hidden": "true" }, "✓ 📱")),
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
          const draft = app.draft();
          draft.stage = "questions";
          draft.current = null;
          app.save();
          app.render(); // screen.js: the result once no question is left, else the next one
        }, HOLD_MS);
      },
      onpointerup: cancel, onpointerleave: cancel, onpointercancel: cancel,
      oncontextmenu: (event) => event.preventDefault(),
    }, app.T.take_back);
    return h("p", { class: "give-back" }, button);
  }

  window.screeningHandover = { consent: consent, ask: ask };
})();
