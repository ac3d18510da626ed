// The update-card page with Stripe: the Payment Element saves a card (a SetupIntent).
// Card details go from the browser to Stripe, never through our server.
(function () {
    "use strict";
    document.addEventListener("DOMContentLoaded", function () {
        var form = document.getElementById("setup-form");
        if (!form || typeof Stripe === "undefined") {
            return;
        }
        var stripe = Stripe(form.dataset.publishableKey, { locale: form.dataset.locale || "auto" });
        var elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
        var payment = elements.create("payment");
        var button = document.getElementById("setup-submit");
        var message = document.getElementById("setup-message");
        payment.mount("#payment-element");
        payment.on("ready", function () { button.disabled = false; });
        form.addEventListener("submit", function (event) {
            event.preventDefault();
            button.disabled = true;
            stripe.confirmSetup({ elements: elements, confirmParams: { return_url: form.dataset.returnUrl } })
                .then(function (result) {
                    if (result.error) {
                        message.textContent = result.error.message;
                        message.hidden = false;
                        button.disabled = false;
                    }
                });
        });
    });
})();
