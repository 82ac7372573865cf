// Progressive enhancement only: every page works without JavaScript.
(function () {
  "use strict";
  // Move focus to the error summary so screen-reader and keyboard users hear the problems first.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
  // Stop a second click on a submit button from sending the form twice (the server also
  // ignores a repeated submission).
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
    });
  });
  // Confirm destructive actions (revoke a link, close a round).
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (event) {
      if (!window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // issue-10b: a table wider than the page scrolls inside its own box, never the page. Tables
  // the templates have not wrapped get the same focusable, labelled box (without JavaScript,
  // app.css makes them their own scroll box on narrow screens).
  document.querySelectorAll("main table").forEach(function (table) {
    if (table.closest(".table-scroll")) { return; }
    var box = document.createElement("div");
    box.className = "table-scroll";
    box.setAttribute("role", "region");
    box.setAttribute("tabindex", "0");
    var caption = table.querySelector("caption");
    box.setAttribute("aria-label", caption ? caption.textContent.trim() : "Table");
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
  });
})();
