// The incident page, live: poll for a new version every few seconds and swap the parts marked
// data-live in place; count down every deadline each second; filter and search the timeline.
// No framework and nothing from elsewhere (the Content-Security-Policy allows this file only).
(function () {
  "use strict";
  var body = document.body;
  var POLL_MS = 2000;
  var offset = 0; // server time minus this browser's time, so countdowns follow the server's clock

  function readServerNow() {
    var head = document.getElementById("head");
    var at = head && Date.parse(head.getAttribute("data-now"));
    if (at) { offset = at - Date.now(); }
  }

  function span(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    var zh = body.getAttribute("data-lang") === "zh";
    if (zh) { return (d ? d + "天" : "") + (h ? h + "小时" : "") + (d ? "" : m + "分"); }
    if (d) { return d + "d " + h + "h"; }
    return (h ? h + "h " : "") + (m < 10 && h ? "0" : "") + m + "m";
  }

  function tick() {
    var now = Date.now() + offset;
    var left = body.getAttribute("data-left"), over = body.getAttribute("data-overdue");
    var zh = body.getAttribute("data-lang") === "zh";
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var ms = Date.parse(el.getAttribute("data-due")) - now;
      var text = ms >= 0 ? (zh ? left + " " + span(ms) : span(ms) + " " + left) : over + " " + span(ms);
      if (el.textContent !== text) { el.textContent = text; }
      el.classList.toggle("late", ms < 0);
    });
  }

  function filter() {
    var kind = document.getElementById("kind-filter");
    var search = document.getElementById("search");
    var list = document.getElementById("timeline-list");
    if (!list) { return; }
    var want = kind ? kind.value : "", words = search ? search.value.trim().toLowerCase() : "";
    var shown = 0, items = list.children;
    for (var i = 0; i < items.length; i++) {
      var li = items[i];
      var ok = (!want || li.getAttribute("data-kind") === want) &&
        (!words || li.textContent.toLowerCase().indexOf(words) !== -1);
      li.hidden = !ok;
      if (ok) { shown++; }
    }
    var count = document.getElementById("shown-count");
    if (count) { count.textContent = shown + " / " + items.length + " " + count.getAttribute("data-word"); }
  }

  function addKinds() {
    var select = document.getElementById("kind-filter");
    if (!select) { return; }
    var known = {};
    for (var i = 0; i < select.options.length; i++) { known[select.options[i].value] = true; }
    document.querySelectorAll("#timeline-list li[data-kind]").forEach(function (li) {
      var kind = li.getAttribute("data-kind");
      if (!known[kind]) {
        known[kind] = true;
        var option = document.createElement("option");
        option.value = kind;
        option.textContent = li.getAttribute("data-kind-text");
        select.appendChild(option);
      }
    });
  }

  function state(ok) {
    var el = document.getElementById("live-state");
    if (!el) { return; }
    el.textContent = el.getAttribute(ok ? "data-ok" : "data-stale");
    el.classList.toggle("stale", !ok);
  }

  function swap(html, version) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    fresh.querySelectorAll("[data-live][id]").forEach(function (part) {
      var old = document.getElementById(part.id);
      if (old) { old.replaceWith(document.importNode(part, true)); }
    });
    body.setAttribute("data-version", version);
    readServerNow();
    addKinds();
    filter();
    tick();
  }

  var stopped = false;
  function poll() {
    if (stopped) { return; }
    var url = body.getAttribute("data-live-url") + "&v=" + encodeURIComponent(body.getAttribute("data-version"));
    fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (response.status === 403) {  // expired or revoked while open: say so, stop asking
        stopped = true;
        state(false);
        return response.text().then(function (html) {
          var refused = new DOMParser().parseFromString(html, "text/html");
          body.replaceChildren.apply(body, Array.prototype.map.call(refused.body.childNodes, function (node) {
            return document.importNode(node, true);
          }));
        });
      }
      state(true);
      if (response.status === 200) {
        var version = response.headers.get("X-Page-Version");
        return response.text().then(function (html) { swap(html, version); });
      }
    }).catch(function () { state(false); }).then(function () {
      if (!stopped) { setTimeout(poll, POLL_MS); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    readServerNow();
    var kind = document.getElementById("kind-filter"), search = document.getElementById("search");
    if (kind) { kind.addEventListener("change", filter); }
    if (search) { search.addEventListener("input", filter); }
    filter();
    tick();
    setInterval(tick, 1000);
    setTimeout(poll, POLL_MS);
  });
})();
