// Session page: server-side autosave every few seconds, keep the login alive while the
// therapist works, and warn before an idle sign-out. No inline script (strict CSP).
(function () {
  "use strict";
  var form = document.getElementById("session-form");
  if (!form || !window.fetch || !window.FormData) { return; }

  var AUTOSAVE_EVERY_MS = 5000;
  var PING_EVERY_MS = 60000;
  var WARN_BEFORE_MS = 2 * 60000;
  var status = document.getElementById("autosave-status");
  var warning = document.getElementById("idle-warning");
  var stay = document.getElementById("stay-signed-in");
  var idleMs = parseInt(form.getAttribute("data-idle-seconds"), 10) * 1000 || 900000;
  var dirty = false;
  var active = false;
  var saving = false;
  var lastServerContact = Date.now();
  var lastPing = Date.now();

  function say(text) { if (status) { status.textContent = text; } }

  function clock(date) {
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }, redirect: "manual"
    }).then(function (response) {
      if (response.type === "opaqueredirect" || response.status === 401) {
        throw new Error("signed-out");
      }
      lastServerContact = Date.now();
      if (warning) { warning.hidden = true; }
      return response;
    });
  }

  function refreshToken() {
    // After a sign-in in another tab the page's CSRF token is stale: fetch a fresh one.
    return fetch(form.getAttribute("data-token-url"), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (result) {
        var inputs = document.querySelectorAll("input[name=csrf_token]");
        for (var i = 0; i < inputs.length; i += 1) { inputs[i].value = result.csrf_token; }
      });
  }

  function sendDraft(retry) {
    return post(form.getAttribute("data-autosave-url"), new FormData(form))
      .then(function (response) { return response.json(); })
      .then(function (result) {
        if (result.status === "csrf" && retry) {
          return refreshToken().then(function () { return sendDraft(false); });
        }
        return result;
      });
  }

  function autosave() {
    if (!dirty || saving) { return; }
    saving = true;
    dirty = false;
    sendDraft(true)
      .then(function (result) {
        if (result.status === "saved") {
          say("Draft autosaved at " + clock(new Date()) +
              (result.stale ? ". Someone saved this session since you opened it: your typing is kept; save to reconcile." : "."));
        } else if (result.status === "locked") {
          say("This session has been signed; further typing is not saved.");
        } else if (result.status === "too_large") {
          // Refused for its size: the text stays on the page; the next edit tries again.
          say(result.message || "Not saved: this page holds too much text to keep as a draft. Shorten it to have it saved.");
        } else {
          dirty = true;
          say("Your typing could not be saved yet; it will be retried.");
        }
      })
      .catch(function (error) {
        dirty = true;
        say(error.message === "signed-out"
          ? "You were signed out. Your last typing is kept: sign in again in another tab, then come back."
          : "Could not reach the server; your typing will be saved when the connection returns.");
      })
      .then(function () { saving = false; });
  }

  function ping() {
    var body = new FormData();
    body.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
    post(form.getAttribute("data-ping-url"), body).catch(function () {});
    lastPing = Date.now();
  }

  // "Add a theme" (belief, strategy): copy the block's <template> instead of a round trip.
  function addItem(event) {
    var button = event.currentTarget;
    var kind = button.getAttribute("data-add-item");
    var list = document.getElementById("new-" + kind + "-list");
    var template = document.getElementById("new-" + kind + "-template");
    if (!list || !template) { return; }
    event.preventDefault();
    var index = list.querySelectorAll("fieldset").length;
    list.insertAdjacentHTML("beforeend", template.innerHTML
      .replace(/__index__/g, String(index)).replace(/__number__/g, String(index + 1)));
    var first = list.lastElementChild.querySelector("input, select, textarea");
    if (first) { first.focus(); }
    if (index + 1 >= parseInt(button.getAttribute("data-max"), 10)) { button.hidden = true; }
    dirty = true;
  }
  var adders = document.querySelectorAll("button[data-add-item]");
  for (var a = 0; a < adders.length; a += 1) { adders[a].addEventListener("click", addItem); }

  // "Use the patient's count": put it in the field (still editable); nothing is saved yet.
  function useCount(event) {
    var button = event.currentTarget;
    var input = document.getElementById(button.getAttribute("data-field"));
    if (!input) { return; }
    event.preventDefault();
    input.value = button.getAttribute("data-use-count");
    input.focus();
    dirty = true;
  }
  var users = document.querySelectorAll("button[data-use-count]");
  for (var u = 0; u < users.length; u += 1) { users[u].addEventListener("click", useCount); }

  form.addEventListener("input", function () { dirty = true; active = true; });
  form.addEventListener("change", function () { dirty = true; active = true; });
  form.addEventListener("keydown", function () { active = true; });
  form.addEventListener("submit", function () { dirty = false; });
  // The sticky save bar never covers the field that has the focus (WCAG 2.4.11): scroll it
  // up above the bar, as far as its top stays in view.
  var bar = form.querySelector(".actions--sticky");
  form.addEventListener("focusin", function (event) {
    if (!bar || bar.contains(event.target) || getComputedStyle(bar).position !== "sticky") {
      return;
    }
    var field = event.target.getBoundingClientRect();
    var covered = field.bottom - bar.getBoundingClientRect().top + 8;
    if (covered > 0) { window.scrollBy(0, Math.min(covered, Math.max(field.top - 8, 0))); }
  });
  if (stay) { stay.addEventListener("click", function () { ping(); }); }

  window.setInterval(autosave, AUTOSAVE_EVERY_MS);
  window.setInterval(function () {
    if (active && Date.now() - lastPing >= PING_EVERY_MS) {
      active = false;
      ping();
    }
    var left = idleMs - (Date.now() - lastServerContact);
    if (left <= WARN_BEFORE_MS && warning) {
      warning.hidden = false;
      if (dirty) { autosave(); }
    }
  }, 5000);
  window.addEventListener("pagehide", function () {
    if (dirty && navigator.sendBeacon) {
      navigator.sendBeacon(form.getAttribute("data-autosave-url"), new FormData(form));
    }
  });
}());
