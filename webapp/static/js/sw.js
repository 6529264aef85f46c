// Service worker, served from /sw.js so its scope is the whole site.
// - The app shell (/screenings/app), "My screenings" (/screenings/, the manifest's start_url)
//   and the questionnaire (/api/questionnaire, and its texts in the person's languages for
//   the hand-over mode, /api/questionnaire/languages): network first, the cached copy when there is
//   no network, so the installed app opens and a screening can start offline. Another page
//   opened with no network at all gets the cached "My screenings" (enhance.js shows there
//   what waits to be sent), not the browser's offline page.
// - Static files: from the cache first. Their URLs carry a hash of their content
//   (?v=..., webapp/core/static_urls.py), and the server writes the current URLs into
//   ASSETS below when it sends this file, so a changed file means a new worker that
//   precaches it anew and drops the old copies. With no network, a page cached before an
//   update still gets the copy this worker holds.
// - Recordings of the person-facing texts (/audio/<lang>/<key>?v=<hash of the audio>): from
//   the cache first, kept in their own cache across versions of this worker. A page asks
//   for a whole language ahead of use (postMessage({type: "cache-audio", lang}), answered on
//   the message's port with {lang, cached, dropped}); the worker then fetches the current
//   list (/audio/<lang>/), keeps every recording and drops the older versions.
// - Nothing else is cached: case pages and results stay no-store, and POSTs always go to
//   the network (the queue in enhance.js keeps what could not be sent).
// Bump VERSION whenever this file or the list of precached files changes: the old caches
// are dropped when the new worker activates.
const VERSION = "v1";
const STATIC = "static-" + VERSION;
const AUDIO = "audio-v1"; // not tied to VERSION: recordings outlive a new worker
const PAGES = "pages-" + VERSION; // enhance.js drops "pages-*" at log-out and when nobody is logged in
const MINE = "/screenings/";
const SHELL = ["/screenings/app", MINE, "/api/questionnaire", "/api/questionnaire/languages"];
const ASSETS = ["/static/css/app.css", "/static/css/fonts.css", "/static/js/enhance.js", "/static/js/screen.js",
                "/static/js/handover.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    Promise.all([
      caches.open(STATIC).then((cache) => cache.addAll(ASSETS).then(() => cache.keys()).then((requests) =>
        Promise.all(requests.filter((r) => ASSETS.indexOf(new URL(r.url).pathname + new URL(r.url).search) < 0)
          .map((r) => cache.delete(r))))),
      caches.open(PAGES).then((cache) => Promise.all(SHELL.map((url) => refresh(cache, url).catch(() => null)))),
    ]).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== STATIC && key !== PAGES && key !== AUDIO).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (SHELL.indexOf(url.pathname) >= 0) {
    event.respondWith(networkFirst(request, url.pathname));
  } else if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() =>
      caches.open(PAGES).then((cache) => cache.match(MINE, { ignoreVary: true })).then((hit) => hit || Response.error())));
  } else if (/^\/audio\/[^/]+\/[^/]+$/.test(url.pathname)) {
    event.respondWith(audioFirst(url));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(cacheFirst(request));
  }
});

// Keep a fresh copy only of a page the user may see (200, not a redirect to the log-in page);
// a session that has ended drops the copy.
function store(cache, key, response) {
  if (response.status === 200 && response.type === "basic" && !response.redirected) {
    return cache.put(key, response.clone()).then(() => response);
  }
  if (response.type === "opaqueredirect" || response.redirected || response.status === 401 || response.status === 403) {
    return cache.delete(key).then(() => response);
  }
  return Promise.resolve(response);
}

function refresh(cache, url) {
  return fetch(url, { credentials: "same-origin", redirect: "manual" }).then((response) => store(cache, url, response));
}

// With a weak signal the network may take long to fail: after SLOW ms the cached copy is
// served, and the network answer still refreshes the cache when it comes.
const SLOW = 4000;

function networkFirst(request, key) {
  return caches.open(PAGES).then((cache) => cache.match(key, { ignoreVary: true }).then((hit) => {
    const network = fetch(conditional(request, hit)).then((response) =>
      response.status === 304 && hit ? hit : store(cache, key, response));
    const slow = new Promise((resolve) => setTimeout(resolve, SLOW)).then(() => hit || network);
    return Promise.race([network, slow]).catch(() => hit || Response.error());
  }));
}

// The questionnaire carries an ETag; pages are no-store, so the browser's HTTP cache never
// asks If-None-Match for us. Navigations cannot take extra headers.
function conditional(request, hit) {
  const etag = hit && hit.headers.get("ETag");
  if (!etag || request.mode === "navigate") return request;
  const headers = new Headers(request.headers);
  headers.set("If-None-Match", etag);
  return new Request(request, { headers: headers });
}

function cacheFirst(request) {
  return caches.open(STATIC).then((cache) =>
    cache.match(request).then((hit) => {
      if (hit) return hit;
      return fetch(request).then((response) => {
        if (response.ok) cache.put(request, response.clone());
        return response;
      }).catch(() => cache.match(request, { ignoreSearch: true }).then((old) => old || Response.error()));
    })
  );
}

// A recording: the whole file from the cache (a media element's Range request gets the full
// 200, which it accepts; the Cache API cannot keep a 206), else from the network, kept.
function audioFirst(url) {
  return caches.open(AUDIO).then((cache) => cache.match(url.href).then((hit) => {
    if (hit) return hit;
    return fetch(url.href, { credentials: "same-origin" }).then((response) => {
      if (response.status === 200 && !response.redirected) cache.put(url.href, response.clone());
      return response;
    }).catch(() => cache.match(url.href, { ignoreSearch: true }).then((old) => old || Response.error()));
  }));
}

function cacheAudio(lang) {
  const prefix = "/audio/" + encodeURIComponent(lang) + "/";
  return fetch(prefix, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((response) => { if (!response.ok) throw new Error(String(response.status)); return response.json(); })
    .then((listing) => caches.open(AUDIO).then((cache) => {
      const wanted = listing.urls.map((u) => new URL(u, self.location.origin).href);
      return cache.keys().then((keys) => {
        const old = keys.filter((r) => new URL(r.url).pathname.indexOf(prefix) === 0 && wanted.indexOf(r.url) < 0);
        return Promise.all(old.map((r) => cache.delete(r))).then(() =>
          Promise.all(wanted.map((u) => cache.match(u).then((hit) => hit || fetch(u, { credentials: "same-origin" })
            .then((response) => response.status === 200 ? cache.put(u, response) : null))))
        ).then(() => ({ lang: lang, cached: wanted.length, dropped: old.length }));
      });
    }));
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type !== "cache-audio" || typeof data.lang !== "string") return;
  const reply = (answer) => { if (event.ports && event.ports[0]) event.ports[0].postMessage(answer); };
  event.waitUntil(cacheAudio(data.lang).then(reply, (error) => reply({ lang: data.lang, error: String(error) })));
});
