// Map filter: progressive enhancement; without JavaScript the whole map and list stay shown.
// Marks and list items carry data-events="DATE:actor,actor DATE:actor": one token per event.
(function () {
  "use strict";
  var form = document.querySelector(".map-filter");
  var actor = document.getElementById("map-actor");
  var period = document.getElementById("map-period");
  var output = document.getElementById("map-count");
  if (!form || !actor) return;
  form.hidden = false;
  form.addEventListener("submit", function (event) { event.preventDefault(); });

  function matches(tokens) {
    var who = actor.value;
    var span = period ? period.value.split("/") : ["", ""];
    return tokens.split(" ").some(function (token) {
      var parts = token.split(":");
      var date = parts[0], actors = (parts[1] || "").split(",");
      if (who && actors.indexOf(who) === -1) return false;
      if (span[0] && date < span[0]) return false;
      if (span[1] && date > span[1]) return false;
      return true;
    });
  }

  function apply() {
    var shown = 0, all = 0;
    document.querySelectorAll(".map-svg .mark-link[data-events]").forEach(function (mark) {
      mark.style.display = matches(mark.getAttribute("data-events")) ? "" : "none";
    });
    document.querySelectorAll("#places li[data-events]").forEach(function (item) {
      var visible = matches(item.getAttribute("data-events"));
      item.hidden = !visible;
      all += 1;
      if (visible) shown += 1;
    });
    document.querySelectorAll("#places > ul > li").forEach(function (place) {
      place.hidden = !place.querySelector("li[data-events]:not([hidden])");
    });
    output.textContent = actor.value || (period && period.value) ? shown + " / " + all : "";
  }

  actor.addEventListener("change", apply);
  if (period) period.addEventListener("change", apply);
  apply();
})();
