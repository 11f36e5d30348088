// councilbot widget: one tag on any council page adds a "Chat with us" button that opens the
// chat in a panel. The chat itself runs in a frame served by councilbot, so the page's own styles
// and scripts never mix with it.
//
//   <script src="https://chat.example.gov.uk/widget.js" defer
//           data-council-name="Example Council" data-colour="#1d70b8" data-language="en"></script>
//
// data-language is the language of the page (`en` or `cy`); without it, the council's. Where the
// council puts Welsh first and the page does not say its language, the button is in both.
//
// Where one deployment serves several councils, data-council="ID" names the council when the
// script is not loaded from that council's own host name.
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || document.getElementById("councilbot-launcher")) {
    return;
  }
  var base = new URL(script.src, window.location.href).origin;
  var council = script.getAttribute("data-council-name") || "the council";
  var councilId = (script.getAttribute("data-council") || "").replace(/[^a-z0-9-]/g, "").slice(0, 40);
  var chatPath = (councilId ? "/councils/" + councilId : "") + "/chat/embed";
  var colour = script.getAttribute("data-colour") || "";
  if (!/^#[0-9a-fA-F]{6}$/.test(colour)) {
    colour = "#1d70b8";
  }
  // The council's language and the widget's words in each, given by the server.
  var councilWords = /* the council's words */ {};
  var words = councilWords.words || {};
  var asked = (script.getAttribute("data-language") || "").toLowerCase().slice(0, 2);
  var language = words[asked] ? asked : (councilWords.language || "en");
  var both = !asked && councilWords.welshFirst && words.cy && words.en;
  function said(key, lang) {
    var text = ((words[lang || language] || {})[key]) || (key === "launcher" ? "Chat with us" : "Chat with {council}");
    return text.replace("{council}", council);
  }

  // White or black text, whichever reads better on the council's colour (WCAG contrast).
  function luminance(hex) {
    var channels = [1, 3, 5].map(function (at) {
      var value = parseInt(hex.slice(at, at + 2), 16) / 255;
      return value <= 0.03928 ? value / 12.92 : Math.pow((value + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
  }
  var light = luminance(colour);
  var ink = (1.05 / (light + 0.05)) >= ((light + 0.05) / 0.05) ? "#ffffff" : "#0b0c0c";

  // The look comes from a stylesheet on councilbot's own address, so a council page whose
  // Content-Security-Policy allows this script's origin for styles needs no inline styles.
  var sheet = document.createElement("link");
  sheet.rel = "stylesheet";
  sheet.href = base + "/assets/widget.css";
  document.head.appendChild(sheet);

  var launcher = document.createElement("button");
  launcher.type = "button";
  launcher.id = "councilbot-launcher";
  launcher.className = "councilbot-launcher";
  if (both) {
    // Welsh first, each in its own language for screen readers.
    ["cy", "en"].forEach(function (lang, index) {
      if (index) {
        launcher.appendChild(document.createTextNode(" / "));
      }
      var part = document.createElement("span");
      part.lang = lang;
      part.textContent = said("launcher", lang);
      launcher.appendChild(part);
    });
  } else {
    launcher.textContent = said("launcher");
    launcher.lang = language;
  }
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "councilbot-panel");
  launcher.style.setProperty("--councilbot-colour", colour);
  launcher.style.setProperty("--councilbot-ink", ink);

  var panel = document.createElement("div");
  panel.id = "councilbot-panel";
  panel.className = "councilbot-panel";
  panel.setAttribute("role", "region");
  panel.setAttribute("aria-label", said("panel"));
  panel.hidden = true;

  var frame = null;

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.title = said("panel");
      frame.src = base + chatPath + "?language=" + encodeURIComponent(language);
      frame.addEventListener("load", function () {
        frame.contentWindow.postMessage({ type: "councilbot:open" }, base);
      });
      panel.appendChild(frame);
    } else {
      frame.contentWindow.postMessage({ type: "councilbot:open" }, base);
    }
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    frame.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", open);
  window.addEventListener("message", function (event) {
    if (event.origin === base && event.data && event.data.type === "councilbot:close") {
      close();
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) {
      close();
    }
  });

  function attach() {
    document.body.appendChild(launcher);
    document.body.appendChild(panel);
  }
  if (document.body) {
    attach();
  } else {
    document.addEventListener("DOMContentLoaded", attach);
  }
})();
