/*
 * The public page inside the company site's frame (embed.js): Escape pressed in the form
 * closes the frame too. Keys typed in a frame never reach the page around it, so say it.
 * The message carries nothing but the request; the embedding page checks it comes from us.
 */
(function () {
  "use strict";
  if (window.parent === window) {
    return;
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      window.parent.postMessage("npsapp:close", "*");
    }
  });
})();
