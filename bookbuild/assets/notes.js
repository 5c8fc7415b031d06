// Footnotes in place: following a note reference opens the note under the line that
// refers to it (again: closes it; Escape closes all). Without JavaScript the reference
// is a link to the note at the end of the section, which works on its own.
(function () {
  "use strict";
  function close(box) {
    var ref = document.querySelector('a.footnote-ref[aria-controls="' + box.id + '"]');
    if (ref) { ref.setAttribute("aria-expanded", "false"); }
    box.remove();
  }
  document.addEventListener("click", function (event) {
    var ref = event.target.closest ? event.target.closest("a.footnote-ref") : null;
    if (!ref || !ref.hash) { return; }
    var note = document.getElementById(decodeURIComponent(ref.hash.slice(1)));
    if (!note) { return; }
    event.preventDefault();
    var id = "inline-" + note.id;
    var open = document.getElementById(id);
    if (open) { close(open); return; }
    var box = document.createElement("span");
    box.className = "note-inline";
    box.id = id;
    box.setAttribute("role", "note");
    var text = note.querySelector("p") || note;
    Array.prototype.forEach.call(text.childNodes, function (node) {
      var skip = node.nodeType === 1 && (node.classList.contains("note-number") || node.classList.contains("footnote-backref"));
      if (!skip) { box.appendChild(node.cloneNode(true)); }
    });
    (ref.parentElement.tagName === "SUP" ? ref.parentElement : ref).after(box);
    ref.setAttribute("aria-controls", id);
    ref.setAttribute("aria-expanded", "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { document.querySelectorAll(".note-inline").forEach(close); }
  });
})();
