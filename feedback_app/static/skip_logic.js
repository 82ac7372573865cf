// Skip logic on one page (progressive enhancement): without this script the server shows
// the form page by page; with it every page is shown and questions appear and disappear as
// the answers change. The server still decides: it never stores a hidden question's answer.
(function () {
  "use strict";
  var form = document.querySelector("form[data-once]");
  var pagesShown = form && form.querySelector("[data-pages-shown]");
  if (!pagesShown) { return; }
  var questions = Array.prototype.slice.call(form.querySelectorAll(".skip-question"));

  function chosen(name, shownNames) {
    if (!shownNames[name]) { return []; }  // an answer to a hidden question never counts
    var values = [];
    form.querySelectorAll("[name='" + name + "']").forEach(function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) { values.push(input.value); }
      } else if (input.value.trim()) {
        values.push(input.value.trim());
      }
    });
    return values;
  }

  function same(expected, values) {
    return values.some(function (value) {
      return value === expected || (value !== "" && !isNaN(value) && !isNaN(expected) && Number(value) === Number(expected));
    });
  }

  function holds(condition, shownNames) {
    if (condition.all) { return condition.all.every(function (c) { return holds(c, shownNames); }); }
    if (condition.any) { return condition.any.some(function (c) { return holds(c, shownNames); }); }
    var values = chosen(condition.question, shownNames);
    if ("answered" in condition) { return (values.length > 0) === condition.answered; }
    if ("equals" in condition) { return same(condition.equals, values); }
    return condition["in"].some(function (expected) { return same(expected, values); });
  }

  function update() {
    var shownNames = {};
    questions.forEach(function (question) {
      var condition = question.getAttribute("data-show-if");
      var show = !condition || holds(JSON.parse(condition), shownNames);
      question.hidden = !show;
      if (show) { shownNames["q_" + question.getAttribute("data-question")] = true; }
    });
  }

  // Every page at once: the server is told so, and "Continue" gives way to "Send".
  pagesShown.value = pagesShown.getAttribute("data-pages-shown");
  form.querySelectorAll("[data-skip-continue]").forEach(function (button) { button.remove(); });
  form.querySelectorAll("[data-skip-send]").forEach(function (button) { button.hidden = false; });
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
