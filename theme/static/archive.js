// Archive filters (publisher, actor, tag): progressive enhancement; without JavaScript every
// article stays listed, and the sources, actors and tags pages list each one's articles.
(function () {
  "use strict";
  var form = document.querySelector(".archive-filter");
  if (!form) return;
  form.hidden = false;
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  var selects = Array.prototype.slice.call(form.querySelectorAll("select"));
  var output = form.querySelector("output");
  var items = document.querySelectorAll("ol.archive > li");

  function has(item, key, value) {
    return (" " + item.getAttribute("data-" + key) + " ").indexOf(" " + value + " ") !== -1;
  }

  function apply() {
    var wanted = selects.filter(function (s) { return s.value; });
    var shown = 0;
    items.forEach(function (item) {
      var visible = wanted.every(function (s) { return has(item, s.name, s.value); });
      item.hidden = !visible;
      if (visible) shown += 1;
    });
    // Years left empty go, with their link in the list of years, whose counts follow.
    document.querySelectorAll("ol.archive").forEach(function (list) {
      var section = list.parentNode;
      var left = list.querySelectorAll("li:not([hidden])").length;
      section.hidden = !left;
      var chip = document.querySelector('.chips a[href="#' + section.querySelector("h2").id + '"]');
      if (chip) {
        chip.parentNode.hidden = section.hidden;
        chip.parentNode.querySelector(".count").textContent = left;
      }
    });
    output.textContent = wanted.length ? shown + " / " + items.length : "";
    if (history.replaceState) {
      var state = wanted.map(function (s) { return s.name + "=" + s.value; }).join("&");
      history.replaceState(null, "", state ? "#" + state : location.pathname);
    }
  }

  // A filtered list can be bookmarked or shared: #publisher=…&actors=…&tags=…
  location.hash.slice(1).split("&").forEach(function (pair) {
    var parts = pair.split("="), select = form.querySelector('select[name="' + parts[0] + '"]');
    if (select && parts[1]) select.value = decodeURIComponent(parts[1]);
  });
  selects.forEach(function (s) { s.addEventListener("change", apply); });
  apply();
})();
