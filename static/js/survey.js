/*
 * Customer survey pages: optional enhancements only. Without this file the page shows the
 * generic open question and works the same. No inline scripts: the CSP forbids them.
 */
(function () {
  "use strict";

  function segmentFor(score) {
    if (score >= 9) {
      return "promoter";
    }
    if (score >= 7) {
      return "passive";
    }
    return "detractor";
  }

  // The open question follows the score: why this score / one more point / what to improve.
  function followScore(form) {
    var label = document.getElementById("comment-label");
    if (!label) {
      return;
    }
    function update() {
      var checked = form.querySelector('input[name="score"]:checked');
      var prompt = checked ? label.dataset["prompt" + capitalise(segmentFor(Number(checked.value)))] : null;
      label.textContent = prompt || label.dataset.promptGeneric || label.textContent;
    }
    form.addEventListener("change", function (event) {
      if (event.target && event.target.name === "score") {
        update();
      }
    });
    update();
  }

  function capitalise(word) {
    return word.charAt(0).toUpperCase() + word.slice(1);
  }

  // One click sends one answer: a double tap on a slow phone does not post twice.
  function sendOnce(form) {
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (submitter && submitter.name === "switch_lang") {
        return;
      }
      if (form.dataset.sending) {
        event.preventDefault();
        return;
      }
      form.dataset.sending = "1";
    });
    // Back from the next page (back-forward cache): the form may be sent again.
    window.addEventListener("pageshow", function () {
      delete form.dataset.sending;
    });
  }

  function init() {
    var form = document.getElementById("survey-form");
    if (!form) {
      return;
    }
    followScore(form);
    sendOnce(form);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
