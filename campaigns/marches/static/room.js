// The march room's live counters: ask the cached status endpoint for fresh numbers every few seconds.
// The page already shows the numbers of its load; without JavaScript nothing is lost.
(function () {
  "use strict";
  var box = document.querySelector("[data-march-status]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-march-status");
  var every = parseInt(box.getAttribute("data-poll"), 10) || 10000;

  function rows(data, scope) {
    if (scope === "totals") { return { "": data.totals }; }
    var found = {};
    var list = scope === "region" ? data.by_region : data.by_target;
    list.forEach(function (row) { found[String(scope === "region" ? row.region : row.id)] = row; });
    return found;
  }

  function apply(data) {
    var scopes = { totals: rows(data, "totals"), region: rows(data, "region"), target: rows(data, "target") };
    box.querySelectorAll("[data-count]").forEach(function (cell) {
      var row = scopes[cell.getAttribute("data-scope")][cell.getAttribute("data-key") || ""];
      var value = row ? row[cell.getAttribute("data-count")] : undefined;
      if (typeof value === "number") { cell.textContent = String(value); }
    });
    var left = box.querySelector("[data-slots-left]");
    if (left && typeof data.slots_left === "number") { left.textContent = String(data.slots_left); }
  }

  function poll() {
    if (document.hidden) { window.setTimeout(poll, every); return; }
    fetch(url, { headers: { Accept: "application/json" }, credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { apply(data); } })
      .catch(function () { /* keep the last numbers shown */ })
      .then(function () { window.setTimeout(poll, every); });
  }
  window.setTimeout(poll, every);
})();
