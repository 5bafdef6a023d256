// Timeline filter: progressive enhancement; without JavaScript the full list stays visible.
(function () {
  "use strict";
  var form = document.querySelector(".timeline-filter");
  var select = document.getElementById("actor-filter");
  var output = document.getElementById("filter-count");
  var root = document.getElementById("timeline");
  if (!form || !select || !root) return;
  form.hidden = false;
  form.addEventListener("submit", function (event) { event.preventDefault(); });

  function apply() {
    var wanted = select.value;
    var shown = 0;
    root.querySelectorAll("li.entry").forEach(function (item) {
      var actors = (item.getAttribute("data-actors") || "").split(" ");
      var visible = !wanted || actors.indexOf(wanted) !== -1;
      item.hidden = !visible;
      if (visible) shown += 1;
    });
    // Hide month lists and years left empty by the filter.
    root.querySelectorAll("ol.timeline").forEach(function (list) {
      var empty = !list.querySelector("li.entry:not([hidden])");
      list.hidden = empty;
      list.previousElementSibling.hidden = empty;
    });
    root.querySelectorAll("section.timeline-year").forEach(function (section) {
      section.hidden = !section.querySelector("li.entry:not([hidden])");
    });
    // The chart shows what the list shows.
    document.querySelectorAll(".timeline-chart .mark-link[data-actors]").forEach(function (mark) {
      var actors = mark.getAttribute("data-actors").split(" ");
      mark.style.display = !wanted || actors.indexOf(wanted) !== -1 ? "" : "none";
    });
    output.textContent = wanted ? shown + " / " + root.querySelectorAll("li.entry").length : "";
    if (history.replaceState) {
      history.replaceState(null, "", wanted ? "#actor=" + wanted : location.pathname);
    }
  }

  var match = /actor=([a-z0-9-]+)/.exec(location.hash);
  if (match) select.value = match[1];
  select.addEventListener("change", apply);
  apply();
})();
