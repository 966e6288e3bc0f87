// Reply to the customer from a case: choosing a template replaces the subject and text in place
// (without JavaScript, the "Use this template" button reloads the form instead).
(function () {
  "use strict";

  function setup(select) {
    if (select.dataset.replyTemplateBound) {
      return;
    }
    select.dataset.replyTemplateBound = "1";
    var form = document.getElementById(select.dataset.replyForm);
    if (!form) {
      return;
    }
    var subject = form.querySelector("[name=subject]");
    var body = form.querySelector("[name=body]");
    var chosen = form.querySelector("[name=template]");
    var loadButton = select.form && select.form.querySelector("[data-reply-template-load]");
    if (loadButton) {
      loadButton.hidden = true;
    }
    var edited = false;
    var previous = select.value;
    body.addEventListener("input", function () { edited = true; });
    subject.addEventListener("input", function () { edited = true; });
    select.addEventListener("change", function () {
      if (edited && !window.confirm(select.dataset.confirm)) {
        select.value = previous;
        return;
      }
      var option = select.options[select.selectedIndex];
      subject.value = option.dataset.subject || "";
      body.value = option.dataset.body || "";
      if (chosen) {
        chosen.value = option.value;
      }
      previous = select.value;
      edited = false;
    });
  }

  function init(root) {
    root.querySelectorAll("[data-reply-template-select]").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  // The case page may swap parts of itself with htmx.
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
