// "Go to print page": jumps straight to the page with JavaScript; without it the form
// submits to pages.html, the index of every print page, which works on its own.
(function () {
  "use strict";
  var pages = window.BOOKBUILD_PAGES || {};
  function normalise(text) {
    var value = String(text).trim().toLowerCase().replace(/^p\.?\s*/, "").replace(/^第|页$/g, "");
    return /^\d+$/.test(value) ? String(parseInt(value, 10)) : value;
  }
  document.querySelectorAll("form.goto").forEach(function (form) {
    var input = form.querySelector("input");
    var status = form.querySelector(".goto-status");
    form.addEventListener("submit", function (event) {
      var label = normalise(input.value);
      var target = pages[label];
      event.preventDefault();
      if (target) {
        window.location.href = target;
      } else {
        status.textContent = form.getAttribute("data-missing").replace("{}", input.value);
      }
    });
  });
})();
