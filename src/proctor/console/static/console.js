// Proctor console: keyboard shortcuts. Pages opt in by marking elements:
//   [data-card]            a selectable item (j/k move between them)
//   [data-key="a"] etc.    a button inside the selected card (or the page) pressed by that key
(function () {
  "use strict";
  function cards() { return Array.prototype.slice.call(document.querySelectorAll("[data-card]")); }
  function selected() { return document.querySelector("[data-card].selected"); }
  function select(el) {
    cards().forEach(function (c) { c.classList.remove("selected"); c.removeAttribute("aria-current"); });
    if (el) { el.classList.add("selected"); el.setAttribute("aria-current", "true"); el.scrollIntoView({block: "nearest"}); }
  }
  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) return;
    var list = cards(), cur = selected(), i = list.indexOf(cur);
    if (ev.key === "j" || ev.key === "k") {
      if (!list.length) return;
      var next = ev.key === "j" ? Math.min(i + 1, list.length - 1) : Math.max(i - 1, 0);
      select(list[i < 0 ? 0 : next]);
      ev.preventDefault();
      return;
    }
    var scope = cur || document;
    var button = scope.querySelector('[data-key="' + ev.key + '"]');
    if (button) { ev.preventDefault(); button.click(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var first = cards()[0];
    if (first && !selected()) select(first);
  });
  document.addEventListener("htmx:afterSwap", function () {
    if (!selected()) { var first = cards()[0]; if (first) select(first); }
  });
  // Opening "Edit" or "Reject" (click or e/r) puts the cursor in its first field.
  document.addEventListener("toggle", function (ev) {
    var d = ev.target;
    if (d.open && d.hasAttribute && d.hasAttribute("data-focus")) {
      var field = d.querySelector("textarea, input:not([type=hidden])");
      if (field) field.focus();
    }
  }, true);
})();
