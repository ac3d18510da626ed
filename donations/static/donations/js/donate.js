// The donation form works without this file. With it: the currency switch
// submits on change, the suggested amounts follow the chosen frequency, and
// the cover-the-fee label shows the exact extra amount.
(function () {
    "use strict";

    function formatMoney(minor, currency, exponent, locale) {
        var major = minor / Math.pow(10, exponent);
        try {
            return new Intl.NumberFormat(locale, { style: "currency", currency: currency }).format(major);
        } catch (e) {
            return major.toFixed(exponent) + " " + currency;
        }
    }

    function exponentOf(currency, locale) {
        try {
            return new Intl.NumberFormat(locale, { style: "currency", currency: currency }).resolvedOptions()
                .maximumFractionDigits;
        } catch (e) {
            return 2;
        }
    }

    // Mirrors donations.money.fee_to_cover: total = ceil((amount + fixed) / (1 - percent)).
    function feeToCover(amount, percentBp, fixed, step) {
        var total = Math.ceil(((amount + fixed) * 10000) / (10000 - percentBp));
        total = Math.ceil(total / step) * step;
        return total - amount;
    }

    function toMinor(text, exponent) {
        var digits = "٠١٢٣٤٥٦٧٨٩";
        var cleaned = text.replace(/[٠-٩]/g, function (d) { return String(digits.indexOf(d)); })
            .replace("٫", ".").replace(/[,٬\s]/g, "");
        var value = parseFloat(cleaned);
        return isFinite(value) && value > 0 ? Math.round(value * Math.pow(10, exponent)) : 0;
    }

    function setup(form) {
        var locale = document.documentElement.lang || "en";
        var currency = form.dataset.currency;
        var exponent = exponentOf(currency, locale);
        var step = ["BHD", "JOD", "KWD", "OMR", "TND"].indexOf(currency) >= 0 ? 10 : 1;
        var presets = JSON.parse(form.dataset.presets || "{}");
        var amountGroup = form.querySelector("#div_id_amount");
        var other = form.querySelector("#id_other_amount");
        var cover = form.querySelector("#id_cover_fee");
        var coverLabel = cover && form.querySelector("label[for='id_cover_fee']");
        var baseLabel = coverLabel ? coverLabel.textContent : "";

        function selectedAmount() {
            if (other && other.value.trim()) {
                return toMinor(other.value, exponent);
            }
            var checked = form.querySelector("input[name='amount']:checked");
            return checked && checked.value !== "other" ? parseInt(checked.value, 10) : 0;
        }

        function updateFee() {
            if (!coverLabel || !form.dataset.feePercent) {
                return;
            }
            var amount = selectedAmount();
            if (!amount) {
                coverLabel.textContent = baseLabel;
                return;
            }
            var extra = feeToCover(amount, parseInt(form.dataset.feePercent, 10), parseInt(form.dataset.feeFixed, 10), step);
            coverLabel.textContent = form.dataset.addLabel.replace("{amount}", formatMoney(extra, currency, exponent, locale));
        }

        function showPresets(frequency) {
            var list = presets[frequency];
            if (!amountGroup || !list) {
                return;
            }
            var radios = amountGroup.querySelectorAll("input[name='amount']");
            var labels = [];
            radios.forEach(function (radio) {
                if (radio.value !== "other") {
                    labels.push(radio.closest(".form-check"));
                }
            });
            labels.forEach(function (wrapper, index) {
                var preset = list[index];
                if (!wrapper) {
                    return;
                }
                wrapper.hidden = !preset;
                if (preset) {
                    var input = wrapper.querySelector("input");
                    input.value = preset.value;
                    wrapper.querySelector("label").textContent = preset.label;
                }
            });
            updateFee();
        }

        form.querySelectorAll("input[name='frequency']").forEach(function (radio) {
            radio.addEventListener("change", function () { showPresets(radio.value); });
        });
        form.querySelectorAll("input[name='amount']").forEach(function (radio) {
            radio.addEventListener("change", function () {
                if (radio.value !== "other" && other) {
                    other.value = "";
                }
                updateFee();
            });
        });
        if (other) {
            other.addEventListener("input", function () {
                var otherRadio = form.querySelector("input[name='amount'][value='other']");
                if (otherRadio && other.value.trim()) {
                    otherRadio.checked = true;
                }
                updateFee();
            });
        }
        updateFee();
    }

    document.addEventListener("DOMContentLoaded", function () {
        document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
            var button = form.querySelector("button[type='submit']");
            if (button) {
                button.hidden = true;
            }
            form.querySelectorAll("select").forEach(function (select) {
                select.addEventListener("change", function () { form.submit(); });
            });
        });
        document.querySelectorAll("form.donate-main").forEach(setup);
    });
})();
