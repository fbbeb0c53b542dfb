/* Staff workbench: progressive enhancement only; every form also works without it. */
(function () {
  "use strict";
  // A refused action comes back as 422 with the form and its error: show it in place.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // One click files one case: the submit button is disabled once the form is sent (the
  // server is idempotent all the same).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-submit-once")) {
      return;
    }
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
    }, 0);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target.closest ? event.target.closest("form[data-submit-once]") : null;
    if (form) {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = false;
      });
    }
  });
  // Previews load only when opened.
  document.addEventListener(
    "toggle",
    function (event) {
      var details = event.target;
      if (!details.classList || !details.classList.contains("preview") || !details.open) {
        return;
      }
      details.querySelectorAll("[data-src]").forEach(function (el) {
        if (!el.getAttribute("src")) {
          el.setAttribute("src", el.getAttribute("data-src"));
        }
      });
    },
    true
  );
})();
