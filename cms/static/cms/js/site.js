// Progressive enhancement only: every page works without this file.
(function () {
    "use strict";
    var root = document.documentElement;
    root.classList.remove("no-js");
    root.classList.add("js");

    // Embedded media: nothing is fetched from the provider until the reader
    // presses "play here"; the plain link works without JavaScript.
    function loadEmbed(frame) {
        var iframe = document.createElement("iframe");
        iframe.src = frame.getAttribute("data-embed-src");
        iframe.title = frame.getAttribute("data-embed-title") || "";
        iframe.allow = "encrypted-media; picture-in-picture; fullscreen";
        iframe.referrerPolicy = "strict-origin-when-cross-origin";
        iframe.loading = "lazy";
        frame.replaceChildren(iframe);
        iframe.focus();
    }

    document.addEventListener("DOMContentLoaded", function () {
        // After a failed submission, take keyboard and screen-reader users
        // straight to the list of problems.
        var summary = document.querySelector("[data-error-summary]");
        if (summary) {
            summary.focus();
        }

        document.querySelectorAll("[data-embed-src]").forEach(function (frame) {
            var button = frame.querySelector(".embed-load");
            if (!button) {
                return;
            }
            button.hidden = false;
            button.addEventListener("click", function () {
                loadEmbed(frame);
            });
        });
    });
})();
