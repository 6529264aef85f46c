// Recording a person-facing text in the browser (templates/recordings/text.html): the
// microphone through MediaRecorder, Opus in webm (or ogg) as the browser makes it, listened
// back before it is kept, then sent as the upload form would send a file. Without a
// microphone or MediaRecorder the block stays hidden and the upload form is all there is.
(function () {
  "use strict";
  var box = document.getElementById("recorder");
  if (!box || !window.MediaRecorder || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  var TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/mp4"];
  var type = TYPES.filter(function (t) { return MediaRecorder.isTypeSupported(t); })[0] || "";
  var start = box.querySelector("[data-action=start]");
  var stop = box.querySelector("[data-action=stop]");
  var save = box.querySelector("[data-action=save]");
  var preview = box.querySelector("[data-preview]");
  var message = box.querySelector("[data-message]");
  var recorder = null;
  var chunks = [];
  var take = null;
  box.hidden = false;

  function say(text) { message.textContent = text || ""; }

  start.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      chunks = [];
      // Speech needs little: 32 kbit/s (as the server keeps uploaded WAV files), 4 KB a second.
      recorder = new MediaRecorder(stream, type ? { mimeType: type, audioBitsPerSecond: 32000 } : { audioBitsPerSecond: 32000 });
      recorder.addEventListener("dataavailable", function (e) { if (e.data.size) chunks.push(e.data); });
      recorder.addEventListener("stop", function () {
        stream.getTracks().forEach(function (track) { track.stop(); });
        take = new Blob(chunks, { type: recorder.mimeType || type });
        if (preview.src) URL.revokeObjectURL(preview.src);
        preview.src = URL.createObjectURL(take);
        preview.hidden = false;
        save.hidden = take.size > Number(box.dataset.max);
        start.disabled = false;
        stop.disabled = true;
        say("");
      });
      recorder.start();
      start.disabled = true;
      stop.disabled = false;
      save.hidden = true;
      say(box.dataset.recording);
    }).catch(function () { say(box.dataset.noMic); });
  });

  stop.addEventListener("click", function () {
    if (recorder && recorder.state !== "inactive") recorder.stop();
  });

  save.addEventListener("click", function () {
    if (!take) return;
    var body = new FormData();
    body.append("csrf_token", box.dataset.csrf);
    body.append("file", take, /ogg/.test(take.type) ? "recording.ogg" : /mp4/.test(take.type) ? "recording.m4a" : "recording.webm");
    save.disabled = true;
    fetch(box.dataset.upload, { method: "POST", body: body, credentials: "same-origin" }).then(function (response) {
      if (response.ok) return window.location.assign(response.url);
      // The server said why (422: the page with its message); else the general words.
      return response.text().then(function (html) {
        var errors = new DOMParser().parseFromString(html, "text/html").querySelector(".errors");
        throw new Error(errors ? errors.textContent.trim() : "");
      });
    }).catch(function (error) {
      save.disabled = false;
      say((error && error.message && !/^(Failed|NetworkError|Load failed)/.test(error.message)) ? error.message : box.dataset.failed);
    });
  });
})();
