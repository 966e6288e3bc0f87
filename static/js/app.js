/*
 * npsapp progressive enhancements. Every page works without this file; it only saves
 * clicks. No inline scripts anywhere: the Content-Security-Policy forbids them.
 */
(function () {
  "use strict";

  // <select data-autosubmit> submits its form when changed (the language switcher).
  // The form keeps its own submit button for browsers without JavaScript.
  function enableAutoSubmit(root) {
    root.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      if (select.dataset.autosubmitBound) {
        return;
      }
      select.dataset.autosubmitBound = "1";
      select.addEventListener("change", function () {
        var form = select.form;
        if (!form) {
          return;
        }
        if (typeof form.requestSubmit === "function") {
          form.requestSubmit();
        } else {
          form.submit();
        }
      });
    });
  }

  function init() {
    enableAutoSubmit(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }

  // Content swapped in by htmx gets the same enhancements.
  document.addEventListener("htmx:load", function (event) {
    if (event.target && event.target.querySelectorAll) {
      enableAutoSubmit(event.target);
    }
  });
})();
