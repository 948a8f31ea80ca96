// Monitoring pages: pause the live alert list while someone works in it, copy a shown token.
// No inline scripts (CSP forbids them).
(function () {
  "use strict";

  // The console polls its rows and counts (hx-trigger="every 10s" on [data-live]). Skip a poll when
  // the page is hidden, or when a row menu is open or a field in the list has the focus, so that a
  // half-typed incident number is not replaced under the user's fingers.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail && event.detail.elt;
    if (!source || !source.hasAttribute || !source.hasAttribute("data-live")) return;
    var active = document.activeElement;
    var busy = active && active !== document.body && source.contains(active);
    if (document.hidden || busy || source.querySelector("details[open]")) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    field.select();
    var done = function () {
      var label = button.getAttribute("data-copied");
      if (label) button.textContent = label;
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done);
    } else if (document.execCommand && document.execCommand("copy")) {
      done();
    }
  });
})();
