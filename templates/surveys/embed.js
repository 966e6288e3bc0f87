{% autoescape off %}/* npsapp feedback button: opens the survey's public page in a dialog. Served by the app, calls nothing else. */
(function () {
  "use strict";
  var c = {{ config }};
  var registry = (window.npsappFeedback = window.npsappFeedback || {});
  if (registry[c.id]) {
    return;
  }
  registry[c.id] = true;
  var opener, dialog, frame, closer;

  function css(el, rules) {
    for (var k in rules) {
      el.style[k] = rules[k];
    }
    return el;
  }

  function onKey(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "Tab" && event.shiftKey && document.activeElement === closer) {
      // Focus stays in the dialog: back from its first control goes to the form.
      event.preventDefault();
      frame.focus();
    }
  }

  function onMessage(event) {
    if (frame && event.origin === c.origin && event.source === frame.contentWindow && event.data === "npsapp:close") {
      close();
    }
  }

  function open() {
    if (dialog) {
      return;
    }
    dialog = css(document.createElement("div"), {
      position: "fixed", top: "0", right: "0", bottom: "0", left: "0", zIndex: "2147483647",
      background: "rgba(0,0,0,.5)", display: "flex", alignItems: "center", justifyContent: "center"
    });
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-label", c.title);
    var box = css(document.createElement("div"), {
      position: "relative", width: "min(30rem, 100%)", height: "min(42rem, 100%)", background: "#fff",
      borderRadius: "8px", overflow: "hidden", boxShadow: "0 8px 32px rgba(0,0,0,.3)"
    });
    closer = css(document.createElement("button"), {
      position: "absolute", top: "4px", right: "4px", font: "24px/1 sans-serif", padding: "6px 10px",
      border: "0", background: "#fff", color: "#000", cursor: "pointer", borderRadius: "4px"
    });
    closer.type = "button";
    closer.textContent = "\u00d7";
    closer.setAttribute("aria-label", c.close);
    frame = css(document.createElement("iframe"), { width: "100%", height: "100%", border: "0" });
    frame.src = c.url;
    frame.title = c.title;
    // After the form, Tab comes back to the close button instead of leaving the dialog.
    var wrap = document.createElement("span");
    wrap.tabIndex = 0;
    wrap.addEventListener("focus", function () {
      closer.focus();
    });
    closer.addEventListener("click", close);
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) {
        close();
      }
    });
    box.appendChild(frame);
    box.appendChild(closer);
    box.appendChild(wrap);
    dialog.appendChild(box);
    document.body.appendChild(dialog);
    document.addEventListener("keydown", onKey, true);
    window.addEventListener("message", onMessage);
    opener.setAttribute("aria-expanded", "true");
    closer.focus();
  }

  function close() {
    if (!dialog) {
      return;
    }
    document.removeEventListener("keydown", onKey, true);
    window.removeEventListener("message", onMessage);
    dialog.parentNode.removeChild(dialog);
    dialog = frame = closer = null;
    opener.setAttribute("aria-expanded", "false");
    opener.focus();
  }

  function mount() {
    opener = css(document.createElement("button"), {
      position: "fixed", right: "16px", bottom: "16px", zIndex: "2147483646", padding: "10px 18px",
      font: "600 16px/1.2 sans-serif", border: "0", borderRadius: "6px", cursor: "pointer",
      background: c.colour, color: c.ink, boxShadow: "0 2px 8px rgba(0,0,0,.25)"
    });
    opener.type = "button";
    opener.textContent = c.label;
    opener.setAttribute("aria-haspopup", "dialog");
    opener.setAttribute("aria-expanded", "false");
    opener.className = "npsapp-feedback-button";
    opener.addEventListener("click", open);
    document.body.appendChild(opener);
  }

  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }
})();
{% endautoescape %}
