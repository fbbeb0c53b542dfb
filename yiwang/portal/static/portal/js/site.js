/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    // Filters start open on wide screens; on a phone they stay folded under "Filter".
    if (window.matchMedia("(min-width: 720px)").matches) {
      document.querySelectorAll("details[data-open-wide]").forEach(function (el) {
        el.open = true;
      });
    }
  });
})();
