// Offline search: the index is a classic script (fetch() and modules are blocked on file://),
// loaded the first time the search box is used. Matching ignores case and accents.
(function () {
  "use strict";
  var form = document.querySelector(".site-search");
  if (!form) return;
  var input = document.getElementById("search-input");
  var results = document.getElementById("search-results");
  var root = document.body.getAttribute("data-root") || "";
  var labels = JSON.parse(form.getAttribute("data-labels") || "{}");
  var loading = false, pending = null;
  form.hidden = false;

  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[\u2019\u2018]/g, "'");
  }

  // What was typed while the index loads (megabytes for a large dossier) is searched once
  // it is there: the last request waits, earlier ones are dropped.
  function load(then) {
    if (window.dossierSearch) return then();
    pending = then;
    if (loading) return;
    loading = true;
    var script = document.createElement("script");
    script.src = form.getAttribute("data-index");
    script.onload = function () { loading = false; pending(); };
    document.head.appendChild(script);
  }

  function score(doc, words) {
    var total = 0;
    for (var i = 0; i < words.length; i++) {
      var w = words[i], found = 0;
      if (fold(doc.t).indexOf(w) !== -1) found = 4;
      else if (doc.m.indexOf(w) !== -1) found = 2;
      else if (doc.b && (" " + doc.b).indexOf(" " + w) !== -1) found = 1;
      if (!found) return 0;
      total += found;
    }
    return total + (doc.k === "article" ? 0 : 1);
  }

  function show() {
    var words = fold(input.value).split(/[^\w']+/).filter(Boolean);
    results.textContent = "";
    if (!words.length) return;
    var hits = window.dossierSearch.map(function (doc) { return [score(doc, words), doc]; })
      .filter(function (pair) { return pair[0] > 0; })
      .sort(function (a, b) { return b[0] - a[0] || (b[1].d || "").localeCompare(a[1].d || ""); })
      .slice(0, 12);
    if (!hits.length) {
      var none = document.createElement("p");
      none.textContent = labels.none || "No results.";
      results.appendChild(none);
      return;
    }
    var list = document.createElement("ul");
    hits.forEach(function (pair) {
      var doc = pair[1];
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = root + doc.u;
      link.textContent = doc.t;
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = (labels[doc.k] || doc.k) + (doc.d ? " · " + doc.d : "");
      item.appendChild(link);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(kind);
      list.appendChild(item);
    });
    results.appendChild(list);
  }

  input.addEventListener("focus", function () { load(function () {}); });
  input.addEventListener("input", function () { load(show); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var first = results.querySelector("a");
    if (first) first.click();
  });
  // Arrow keys move between the box and the results; Escape clears.
  form.addEventListener("keydown", function (event) {
    var links = Array.prototype.slice.call(results.querySelectorAll("a"));
    var at = links.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && links.length) {
      event.preventDefault();
      links[Math.min(at + 1, links.length - 1)].focus();
    } else if (event.key === "ArrowUp" && links.length) {
      event.preventDefault();
      if (at <= 0) input.focus(); else links[at - 1].focus();
    } else if (event.key === "Escape") {
      input.value = "";
      results.textContent = "";
      input.focus();
    }
  });
})();
