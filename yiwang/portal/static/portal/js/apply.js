/* Online application pages: progressive enhancement only (every page works without it). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // A submitting form's button is disabled so a double click sends one request
    // (the server files one case either way).
    document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
      form.addEventListener("submit", function () {
        form.querySelectorAll("button[type=submit]").forEach(function (button) {
          window.setTimeout(function () {
            button.disabled = true;
          }, 0);
        });
      });
    });
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () {
        window.print();
      });
    });
    // Choosing a file for a material means uploading rather than reusing what is on file.
    document.querySelectorAll(".material-slot input[type=file]").forEach(function (input) {
      input.addEventListener("change", function () {
        var slot = input.closest(".material-slot");
        var upload = slot && slot.querySelector("input[type=radio][value=upload]");
        if (upload && input.files.length) {
          upload.checked = true;
        }
      });
    });
    var problems = document.getElementById("problems");
    if (problems && problems.getAttribute("tabindex") === "-1") {
      problems.focus();
    }
  });
})();
