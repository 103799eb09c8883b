// jiapei web kit behaviour: progressive enhancement only; every page works without it.
(function () {
  "use strict";
  function showError(show) {
    var banner = document.getElementById("htmx-error");
    if (banner) { banner.hidden = !show; }
  }
  document.addEventListener("htmx:responseError", function () { showError(true); });
  document.addEventListener("htmx:sendError", function () { showError(true); });
  document.addEventListener("htmx:beforeRequest", function (event) {
    showError(false);
    var target = event.detail.target;
    if (target) { target.setAttribute("aria-busy", "true"); }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target) { target.removeAttribute("aria-busy"); }
  });
  // A form with an error summary: focus it, so screen readers announce the errors first.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-autofocus]");
    if (summary) { summary.focus(); }
    // Buttons marked data-once ignore a second click while their form is being sent.
    document.querySelectorAll("form").forEach(function (form) {
      form.addEventListener("submit", function () {
        form.querySelectorAll("button[data-once]").forEach(function (b) {
          window.setTimeout(function () { b.disabled = true; }, 0);
        });
      });
    });
    // A print button (data-print, hidden without JavaScript: the browser's own print works).
    document.querySelectorAll("button[data-print]").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () { window.print(); });
    });
  });
})();
