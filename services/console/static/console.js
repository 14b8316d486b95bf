// Runway console: progressive enhancement only. Every page works without this script; with it,
// an open case page (or the case list) refreshes its changing parts when the console reports a
// new event (server-sent events from /cases/<id>/events, or /cases/events for the list), without
// a reload and without touching forms.
(function () {
  "use strict";
  var region = document.querySelector("[data-live-url]");
  if (!region || !window.EventSource || !window.fetch) { return; }
  var target = document.getElementById(region.getAttribute("data-live-target") || "case-live");
  var message = region.querySelector(".live-message");
  var pending = false;
  var again = false;

  var latest = "";
  var latestCase = "";
  // Intake's timeline was still behind the event when the fragment was made: ask again a few
  // times, a little later each time, for the same event.
  var retries = 0;
  var MAX_RETRIES = 8;

  function refresh() {
    if (pending) { again = true; return; }
    pending = true;
    var url = region.getAttribute("data-live-fragment");
    var join = url.indexOf("?") < 0 ? "?" : "&";
    if (latest) { url += join + "event=" + encodeURIComponent(latest); join = "&"; }
    if (latestCase) { url += join + "case=" + encodeURIComponent(latestCase); }
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        var signIn = response.headers.get("Runway-Sign-In");
        if (response.status === 401 && signIn) {  // the session ended: sign in, then back
          window.location.assign(signIn);
          throw new Error("sign-in");
        }
        if (!response.ok) { throw new Error(String(response.status)); }
        if (response.headers.get("Runway-Catching-Up") && retries < MAX_RETRIES) {
          retries += 1;
          setTimeout(refresh, 1000 * retries);
        } else {
          retries = 0;
        }
        return response.text();
      })
      .then(function (html) {
        target.innerHTML = html;
        var stamp = new Date().toLocaleTimeString(document.documentElement.lang);
        message.textContent = region.getAttribute("data-updated-text") + " " + stamp;
        region.setAttribute("data-live-state", "updated");
      })
      .catch(function () { region.setAttribute("data-live-state", "error"); })
      .then(function () {
        pending = false;
        if (again) { again = false; refresh(); }
      });
  }

  var source = new EventSource(region.getAttribute("data-live-url"));
  source.addEventListener("ready", function () {
    if (region.getAttribute("data-live-state") === "off") {
      region.setAttribute("data-live-state", "connected");
    }
  });
  source.addEventListener("changed", function (message) {
    try {
      var data = JSON.parse(message.data);
      latest = data.id || "";
      latestCase = data.case || "";
    } catch (ignored) { latest = ""; latestCase = ""; }
    refresh();
  });
  source.onerror = function () { region.setAttribute("data-live-state", "reconnecting"); };
}());
