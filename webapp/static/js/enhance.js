// Loaded on every page (defer). With JavaScript, a screener gets the in-browser screening:
// "New screening" links go to the app, the service worker is registered, and screenings
// saved on this phone are sent when the network is there. Without JavaScript nothing here
// runs and every link keeps going to the server-driven form.
// The queue lives in localStorage under the user's id; screen.js uses it through
// window.screeningQueue. At log-out (and on any page nobody screens from, such as the log-in
// page) this browser forgets the screener's draft and cached pages; screenings not sent yet
// are only ever dropped by the screener's explicit choice. Kept to ES2017 like screen.js: a phone whose browser cannot parse
// one cannot parse the other, and then keeps the no-JavaScript form.
(function () {
  "use strict";
  var script = document.currentScript;
  var data = script ? script.dataset : {};

  // What this browser keeps of a screener: "scr:<user id>:draft" (the screening being asked,
  // screen.js), "scr:<user id>:queue" (finished screenings not sent yet) and the "pages-*"
  // cache of sw.js (the app shell). All of it goes at log-out; static files are the same for
  // everybody and stay. A queue that still holds screenings is never dropped silently.
  function keys() {
    try {
      return Object.keys(localStorage);
    } catch (e) {
      return [];
    }
  }

  function holdsItems(key) {
    try {
      var list = JSON.parse(localStorage.getItem(key) || "[]");
      return Array.isArray(list) && list.length > 0;
    } catch (e) {
      return false;
    }
  }

  // Screenings someone finished that wait to be sent: only sending or an explicit choice
  // removes them.
  function waitingToBeSent(key) {
    return /^scr:[^:]+:queue$/.test(key) && holdsItems(key);
  }

  // Removes every "scr:" key but the queues still holding screenings, and the cached pages.
  function forget() {
    keys().forEach(function (key) {
      if (key.indexOf("scr:") === 0 && !waitingToBeSent(key)) localStorage.removeItem(key);
    });
    if (!window.caches) return Promise.resolve();
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(function (k) { return k.indexOf("pages-") === 0; })
        .map(function (k) { return caches.delete(k); }));
    }).catch(function () {});
  }

  // Counts inside Khmer text in Khmer digits, as the server writes them.
  function localDigits(n) {
    var text = String(n);
    if (document.documentElement.lang !== "km") return text;
    return text.replace(/[0-9]/g, function (d) { return "០១២៣៤៥៦៧៨៩"[+d]; });
  }

  if (!data.user) {
    // Nobody (or someone who does not screen) is logged in, e.g. the log-in page after a
    // session ended or a tab was closed without logging out: the last screener's draft and
    // cached pages go. Screenings waiting to be sent stay until their screener logs in again.
    forget();
    // The session is over for every tab of this browser: the screener's other tabs leave too,
    // so none keeps writing a draft after log-out.
    try {
      localStorage.setItem("scr:ended", "1");
      localStorage.removeItem("scr:ended");
    } catch (e) { /* no storage here: nothing was kept either */ }
    return;
  }
  keys().forEach(function (key) { // another screener's draft, left by a session that ended
    if (/^scr:[^:]+:draft$/.test(key) && key !== "scr:" + data.user + ":draft") localStorage.removeItem(key);
  });

  var startForm = document.getElementById("start-form");
  if (startForm) chooseContext(startForm);

  // The server-driven start page: only the chosen place's field shows, and "Here (use this
  // phone's location)", hidden without JavaScript, fills the hidden lat/lon fields.
  // The location is kept to 2 decimals (about 1 km): enough to find the nearest services.
  function chooseContext(form) {
    var status = document.getElementById("gps-status");
    var gps = form.querySelector('[data-kind="gps"]');
    var hint = document.getElementById("start-hint");
    if (gps && navigator.geolocation) gps.hidden = false;
    if (hint) hint.hidden = true;
    var chosen = function () {
      var radio = form.querySelector('input[name="kind"]:checked');
      return radio ? radio.value : "";
    };
    var showChosen = function () {
      form.querySelectorAll("[data-kind]").forEach(function (box) {
        box.querySelector(".kind-fields").hidden = box.dataset.kind !== chosen();
      });
    };
    var locate = function () {
      status.textContent = status.dataset.locating;
      navigator.geolocation.getCurrentPosition(function (position) {
        form.elements.lat.value = position.coords.latitude.toFixed(2);
        form.elements.lon.value = position.coords.longitude.toFixed(2);
        status.textContent = status.dataset.located;
      }, function () { status.textContent = status.dataset.failed; }, { timeout: 20000, maximumAge: 600000 });
    };
    form.addEventListener("change", function (event) {
      if (event.target.name !== "kind") return;
      showChosen();
      if (chosen() === "gps" && !form.elements.lat.value) locate();
    });
    form.addEventListener("submit", function (event) {
      if (chosen() === "gps" && !form.elements.lat.value) {
        event.preventDefault();
        status.textContent = status.dataset.failed;
      }
    });
    showChosen();
  }

  function storageWorks() {
    try {
      localStorage.setItem("scr:probe", "1");
      localStorage.removeItem("scr:probe");
      return true;
    } catch (e) {
      return false;
    }
  }
  if (!window.fetch || !window.JSON || !storageWorks()) return;

  var KEY = "scr:" + data.user + ":queue";
  var listeners = [];
  var running = Promise.resolve();
  var leaving = false; // logging out: a sent screening must not open its result page now

  function items() {
    try {
      var list = JSON.parse(localStorage.getItem(KEY) || "[]");
      return Array.isArray(list) ? list : [];
    } catch (e) {
      return [];
    }
  }

  // Read, change, write in one go so two tabs lose nothing of each other's changes.
  function update(change) {
    var list = change(items());
    localStorage.setItem(KEY, JSON.stringify(list));
    show();
    return list;
  }

  function add(type, body) {
    update(function (list) {
      return list.concat([{ id: body.uuid || String(Date.now()) + Math.random(), type: type, body: body, state: "waiting" }]);
    });
  }

  function waiting() {
    return items().filter(function (item) { return item.type === "screening"; });
  }

  function token() {
    var el = document.querySelector('meta[name="csrf-token"]') || document.querySelector('input[name="csrf_token"]');
    return el ? el.content || el.value : "";
  }

  // The page may be old (cached shell, long offline): fetch a fresh token once.
  function freshToken() {
    return fetch(data.app, { credentials: "same-origin", redirect: "manual", cache: "no-store" })
      .then(function (res) { return res.ok ? res.text() : ""; })
      .then(function (html) {
        var match = /<meta name="csrf-token" content="([^"]+)"/.exec(html);
        if (!match) return false;
        var meta = document.querySelector('meta[name="csrf-token"]');
        if (!meta) {
          meta = document.createElement("meta");
          meta.name = "csrf-token";
          document.head.appendChild(meta);
        }
        meta.content = match[1];
        return true;
      });
  }

  function post(item) {
    return fetch(item.type === "screening" ? data.submit : data.decline, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual", // an ended session answers with a redirect to the log-in page
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token() },
      body: JSON.stringify(item.type === "screening" ? item.body : { context: item.body.context }),
    });
  }

  function mark(id, changes) {
    update(function (list) {
      return list.map(function (item) { return item.id === id ? Object.assign({}, item, changes) : item; });
    });
  }

  function remove(id) {
    update(function (list) { return list.filter(function (item) { return item.id !== id; }); });
  }

  function needsLogin(res) {
    return res.type === "opaqueredirect" || res.status === 400 || res.status === 401 || res.status === 403;
  }

  // Send what waits, oldest first. A refused item (422) stays with its error and is tried
  // again only when a page loads (everything=true); a network failure stops the round.
  async function sendAll(everything) {
    var retried = false;
    var sent = 0;
    var list = items();
    for (var i = 0; i < list.length; i++) {
      var item = list[i];
      if (item.state === "refused" && !everything) continue;
      var res;
      try {
        res = await post(item);
        if (needsLogin(res) && !retried) {
          retried = true;
          if (await freshToken()) res = await post(item);
        }
      } catch (e) {
        return sent; // offline, or the server is out of reach: try later
      }
      if (res.status === 200 || res.status === 201) {
        var body = await res.json().catch(function () { return {}; });
        remove(item.id);
        sent += item.type === "screening" ? 1 : 0;
        if (!leaving) listeners.forEach(function (fn) { fn(item, body); });
      } else if (res.status === 422) {
        var problem = await res.json().catch(function () { return {}; });
        mark(item.id, { state: "refused", error: (problem.field || "") + ": " + (problem.error || res.status) });
      } else if (needsLogin(res)) {
        update(function (all) {
          return all.map(function (x) { return x.state === "refused" ? x : Object.assign({}, x, { state: "login" }); });
        });
        return sent;
      } else {
        return sent; // 5xx: the server has trouble; try later
      }
    }
    return sent;
  }

  // Rounds run one after another (and one tab at a time), each reading the queue afresh,
  // so a screening queued while a round is under way is sent by the next one.
  function sync(everything) {
    if (!navigator.onLine || !items().length) return Promise.resolve();
    var round = function () { return sendAll(everything); };
    running = running.then(function () {
      return navigator.locks ? navigator.locks.request("scr-sync-" + data.user, round) : round();
    }).then(function (sent) {
      // My screenings lists what the server has: show the ones that just arrived.
      if (sent && !leaving && location.pathname === data.mine) location.reload();
    }, function () {});
    return running;
  }

  // A page from the service worker's cache, opened with no signal: say so.
  function showOffline() {
    var note = document.getElementById("offline-note");
    if (note) note.hidden = navigator.onLine;
  }

  function show() {
    countWaiting();
    showOffline();
    var status = document.getElementById("queue-status");
    if (!status) return;
    var list = waiting();
    var login = list.some(function (item) { return item.state === "login"; });
    var refused = list.filter(function (item) { return item.state === "refused"; });
    status.textContent = "";
    status.dataset.count = String(list.length);
    status.hidden = !list.length;
    if (!list.length) return;
    status.append(data.waiting + " " + localDigits(list.length));
    if (login) {
      var link = document.createElement("a");
      link.href = data.login;
      link.textContent = data.relogin;
      status.append(document.createElement("br"), link);
    }
    refused.forEach(function (item) {
      status.append(document.createElement("br"), data.refused + " " + item.error);
    });
  }

  window.screeningQueue = {
    add: add,
    sync: sync,
    waiting: waiting,
    onSent: function (fn) { listeners.push(fn); },
  };

  // "New screening" goes to the in-browser form when it can run here. A hotline call starts
  // on the server's page (is it safe to talk, where the caller is, a call-back): data-calls.
  if (!data.calls) document.querySelectorAll("a[href]").forEach(function (a) {
    if (a.pathname === data.start && a.origin === location.origin) a.href = data.app;
  });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(data.sw).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function () {
      // The shell and "My screenings" are dropped at log-out (see above); keep them for this
      // user, so the installed app opens with no signal.
      return Promise.all([data.app, data.mine].map(function (url) {
        return caches.match(url, { ignoreSearch: true, ignoreVary: true }).then(function (hit) {
          if (!hit && navigator.onLine && location.pathname !== url) {
            return fetch(url, { credentials: "same-origin" });
          }
        });
      }));
    }).catch(function () {});
  }

  // Log-out: with nothing waiting, forget this user's draft and cached pages, then post the
  // form. With screenings waiting, the screener chooses: send them now (then log out), or
  // delete them after a second, explicit step, or stay. Without JavaScript the form posts as is.
  var logout = document.getElementById("logout");
  var choice = document.getElementById("logout-choice");

  function leave() {
    leaving = true;
    forget().then(function () { logout.submit(); });
  }

  function countWaiting() {
    if (!choice) return;
    choice.querySelectorAll("[data-count]").forEach(function (el) { el.textContent = localDigits(items().length); });
  }

  function step(name) {
    choice.querySelectorAll("[data-part]").forEach(function (part) { part.hidden = part.dataset.part !== name; });
  }

  function problem(text, withLogin) {
    var box = choice.querySelector("[data-problem]");
    box.textContent = text;
    if (withLogin) {
      var link = document.createElement("a");
      link.href = data.login;
      link.textContent = data.relogin;
      box.textContent = "";
      box.append(link);
    }
    box.hidden = !text;
  }

  function sendThenLeave(button) {
    button.disabled = true;
    problem("");
    leaving = true;
    sync(true).then(function () {
      button.disabled = false;
      var list = items();
      if (!list.length) return leave();
      leaving = false;
      var refused = list.filter(function (item) { return item.state === "refused"; });
      if (list.some(function (item) { return item.state === "login"; })) problem(data.relogin, true);
      else if (refused.length) problem(data.refused + " " + refused[0].error);
      else problem(choice.querySelector("[data-problem]").dataset.offline);
    });
  }

  if (logout && choice) {
    logout.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!items().length) return leave();
      countWaiting();
      problem("");
      step("choose");
      choice.hidden = false;
      if (choice.showModal) choice.showModal();
      else choice.setAttribute("open", "");
    });
    choice.addEventListener("close", function () { choice.hidden = true; });
    choice.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action]");
      if (!button) return;
      var action = button.dataset.action;
      if (action === "send") sendThenLeave(button);
      else if (action === "discard") step("confirm");
      else if (action === "back") step("choose");
      else if (action === "delete") {
        localStorage.removeItem(KEY);
        leave();
      } else if (choice.close) choice.close();
      else {
        choice.removeAttribute("open");
        choice.hidden = true;
      }
    });
  }

  show();
  window.addEventListener("storage", function (event) {
    if (event.key === KEY) show();
    if (event.key === "scr:ended" && event.newValue) {
      leaving = true;
      location.replace(data.login);
    }
  });
  window.addEventListener("online", function () { showOffline(); sync(false); });
  window.addEventListener("offline", showOffline);
  setInterval(function () { sync(false); }, 60000);
  sync(true);
})();
