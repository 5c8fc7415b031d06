// bookbuild serve: reload the page after each successful rebuild, and show what a failed
// one found over the page until it is mended. Served by `bookbuild serve` only; the built
// pages do not carry it.
(function () {
  "use strict";
  var seen = null;
  var panel = null;

  function hide() {
    if (panel) { panel.remove(); panel = null; }
  }

  function show(state) {
    hide();
    var problems = state.diagnostics.filter(function (d) { return d.severity !== "info"; });
    if (!problems.length) return;
    panel = document.createElement("div");
    panel.id = "bookbuild-diagnostics";
    panel.setAttribute("role", "alert");
    panel.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:45vh;overflow:auto;z-index:2147483647;" +
      "margin:0;padding:0.8em 1em;font:14px/1.5 ui-monospace,monospace;color:#1b1b1b;" +
      "background:" + (state.ok ? "#fff8d6" : "#ffe3e3") + ";border-top:3px solid " + (state.ok ? "#b38600" : "#c62828");
    var title = document.createElement("strong");
    title.textContent = state.ok ? "bookbuild: built, with warnings" : "bookbuild: the last save did not build; these pages are the last good build";
    panel.appendChild(title);
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "×";
    close.setAttribute("aria-label", "close");
    close.style.cssText = "float:right;font:inherit;border:0;background:none;cursor:pointer";
    close.addEventListener("click", hide);
    panel.appendChild(close);
    var list = document.createElement("ul");
    list.style.cssText = "margin:0.4em 0 0;padding-left:1.2em";
    problems.forEach(function (d) {
      var item = document.createElement("li");
      var where = d.file ? d.file + (d.line ? ":" + d.line : "") + ": " : "";
      item.textContent = where + d.code + (d.severity === "warning" ? " (warning) " : " ") + d.message;
      list.appendChild(item);
    });
    panel.appendChild(list);
    document.body.appendChild(panel);
  }

  function poll() {
    fetch("/__bookbuild/state", { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (seen !== null && state.generation !== seen && state.ok) {
          location.reload();
          return;
        }
        if (state.generation !== seen) {
          seen = state.generation;
          show(state);
        }
      })
      .catch(function () { /* the server stopped or restarts: keep asking */ })
      .then(function () { setTimeout(poll, 500); });
  }

  poll();
})();
