// Progressive enhancement only: the petition page works without this file.
// The page may come from the page cache; this refreshes the count from the
// cached count JSON (our own endpoint: nothing is loaded from anyone else).
(function () {
    "use strict";
    document.addEventListener("DOMContentLoaded", function () {
        var root = document.querySelector("[data-count-url]");
        if (!root || !window.fetch) {
            return;
        }
        // The same digits the server renders (Django's number_format, grouped in English).
        var arabic = (document.documentElement.lang || "").indexOf("ar") === 0;
        function format(n) { return arabic ? String(n) : Number(n).toLocaleString("en-US"); }
        function refresh() {
            fetch(root.getAttribute("data-count-url"), { credentials: "omit", cache: "no-cache" })
                .then(function (response) { return response.ok ? response.json() : null; })
                .then(function (data) {
                    if (!data) { return; }
                    root.querySelectorAll("[data-petition-count]").forEach(function (node) {
                        node.textContent = format(data.total);
                    });
                    root.querySelectorAll("[data-petition-progress]").forEach(function (bar) {
                        if (data.next_milestone) {
                            bar.max = data.next_milestone;
                            bar.value = data.total;
                        }
                    });
                })
                .catch(function () {});
        }
        refresh();
        window.setInterval(refresh, 30000);
    });
})();
