// Mounts Stripe's Payment Element: card details go from the browser to Stripe,
// never through our server. The secret key never reaches the page.
(function () {
    "use strict";
    document.addEventListener("DOMContentLoaded", function () {
        var form = document.getElementById("payment-form");
        if (!form || typeof Stripe === "undefined") {
            return;
        }
        var stripe = Stripe(form.dataset.publishableKey, { locale: form.dataset.locale || "auto" });
        var elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
        var payment = elements.create("payment");
        var button = document.getElementById("payment-submit");
        var message = document.getElementById("payment-message");
        payment.mount("#payment-element");
        payment.on("ready", function () { button.disabled = false; });
        form.addEventListener("submit", function (event) {
            event.preventDefault();
            button.disabled = true;
            stripe.confirmPayment({ elements: elements, confirmParams: { return_url: form.dataset.returnUrl } })
                .then(function (result) {
                    // Only reached on an error; success redirects to return_url.
                    if (result.error) {
                        message.textContent = result.error.message;
                        message.hidden = false;
                        button.disabled = false;
                    }
                });
        });
    });
})();
