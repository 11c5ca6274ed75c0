/* refdesk chat widget. Embed with one tag:
 *   <script src="https://desk.example.edu/widget.js" data-campus="north" async></script>
 * It adds a button and a chat panel inside a shadow root (the host page's styles are not
 * touched and do not leak in); the chat itself runs in a frame from the desk.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__refdeskWidget) return;
  window.__refdeskWidget = true;
  var campus = (script.getAttribute("data-campus") || "").replace(/[^a-z0-9_-]/gi, "");
  var label = script.getAttribute("data-label") || "Ask a librarian";
  var origin = new URL(script.src, location.href).origin;
  var page = location.origin + location.pathname;

  var host = document.createElement("div");
  host.setAttribute("data-refdesk", "");
  var shadow = host.attachShadow({ mode: "open" });
  var style = document.createElement("link");
  style.rel = "stylesheet";
  style.href = origin + "/static/refdesk/css/widget.css";
  shadow.appendChild(style);

  var button = document.createElement("button");
  button.type = "button";
  button.className = "launcher";
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "refdesk-panel");
  button.textContent = label;

  var panel = document.createElement("div");
  panel.className = "panel";
  panel.id = "refdesk-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", label);

  var close = document.createElement("button");
  close.type = "button";
  close.className = "close";
  close.setAttribute("aria-label", "Close chat window");
  close.textContent = "\u00d7";

  var frame = null;
  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.title = label;
      frame.src = origin + "/ask/" + encodeURIComponent(campus) + "/?embed=1&from=" + encodeURIComponent(page);
      frame.setAttribute("allow", "clipboard-write");
      panel.appendChild(frame);
    }
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    frame.focus();
  }
  function hide() {
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
    button.focus();
  }
  button.addEventListener("click", function () {
    if (panel.hidden) open(); else hide();
  });
  close.addEventListener("click", hide);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") hide();
  });
  // Key presses inside the chat frame stay in the frame; it posts this on Escape.
  window.addEventListener("message", function (event) {
    if (!frame || event.source !== frame.contentWindow || event.origin !== origin) return;
    if (event.data && event.data.refdesk === "close" && !panel.hidden) hide();
  });
  panel.appendChild(close);
  shadow.appendChild(panel);
  shadow.appendChild(button);

  function mount() { document.body.appendChild(host); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
