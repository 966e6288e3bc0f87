// The inbox, by keyboard: up and down arrows move between the cases' links; "select all"
// ticks every case on the page. Without JavaScript every control still works by Tab.
(function () {
  "use strict";

  function rowLinks() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-row-link]"));
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") {
      return;
    }
    var links = rowLinks();
    var index = links.indexOf(document.activeElement);
    if (index === -1) {
      return;
    }
    var next = index + (event.key === "ArrowDown" ? 1 : -1);
    if (next >= 0 && next < links.length) {
      event.preventDefault();
      links[next].focus();
    }
  });

  document.addEventListener("change", function (event) {
    var all = event.target;
    if (!all.matches || !all.matches("[data-select-all]")) {
      return;
    }
    var form = all.closest("form");
    form.querySelectorAll('input[type="checkbox"][name="tickets"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });
})();
