// Offline search: the index is a classic script (fetch() and modules are blocked on file://),
// loaded the first time a search box is used. Matching ignores case and accents; a word
// matches the words it begins. The header box shows the best results as you type; Enter (or
// "all results") opens the results page (the form's action) with ?q=…, which lists them all.
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

  // Words as the index cuts them (Python's \w: letters, digits, _), so "d’obus" is "d", "obus".
  var NOT_WORD = /[^\p{L}\p{N}_]+/u;

  function queryWords(text) {
    return fold(text).split(NOT_WORD).filter(Boolean);
  }

  function begins(piece, words) {
    return fold(piece).split(NOT_WORD).some(function (part) {
      return part && words.some(function (w) { return part.indexOf(w) === 0; });
    });
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

  function search(words) {
    return window.dossierSearch.map(function (doc) { return [score(doc, words), doc]; })
      .filter(function (pair) { return pair[0] > 0; })
      .sort(function (a, b) { return b[0] - a[0] || (b[1].d || "").localeCompare(a[1].d || ""); })
      .map(function (pair) { return pair[1]; });
  }

  // `text` as text nodes, with every word that begins with a searched word in a <mark>.
  function highlighted(text, words) {
    var out = document.createDocumentFragment();
    text.split(/([\p{L}\p{N}_]+)/u).forEach(function (piece, i) {
      var hit = i % 2 === 1 && begins(piece, words);
      if (hit) {
        var mark = document.createElement("mark");
        mark.textContent = piece;
        out.appendChild(mark);
      } else if (piece) {
        out.appendChild(document.createTextNode(piece));
      }
    });
    return out;
  }

  // Some words of the text around the first one found (the opening kept in the index),
  // else the summary.
  function snippet(doc, words, size) {
    var text = doc.x || "";
    var tokens = text.split(/\s+/);
    for (var i = 0; i < tokens.length; i++) {
      if (begins(tokens[i], words)) {
        var from = Math.max(0, i - Math.floor(size / 3));
        return (from > 0 ? "… " : "") + tokens.slice(from, from + size).join(" ") +
          (from + size < tokens.length ? " …" : "");
      }
    }
    return doc.s || tokens.slice(0, size).join(" ");
  }

  function item(doc, words, size) {
    var li = document.createElement("li");
    var link = document.createElement("a");
    link.href = root + doc.u;
    link.appendChild(highlighted(doc.t, words));
    var kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = (labels[doc.k] || doc.k) + (doc.d ? " · " + doc.d : "");
    var text = document.createElement("p");
    text.className = "snippet";
    text.appendChild(highlighted(snippet(doc, words, size), words));
    li.appendChild(link);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(kind);
    li.appendChild(text);
    return li;
  }

  function resultsPage(query) {
    return form.action + "?q=" + encodeURIComponent(query);
  }

  function show() {
    var words = queryWords(input.value);
    results.textContent = "";
    if (!words.length) return;
    var hits = search(words);
    if (!hits.length) {
      var none = document.createElement("p");
      none.textContent = labels.none || "No results.";
      results.appendChild(none);
      return;
    }
    var list = document.createElement("ul");
    hits.slice(0, 8).forEach(function (doc) { list.appendChild(item(doc, words, 16)); });
    results.appendChild(list);
    var all = document.createElement("a");
    all.className = "all-results";
    all.href = resultsPage(input.value);
    all.textContent = (labels.all || "All results") + " (" + hits.length + ")";
    results.appendChild(all);
  }

  input.addEventListener("focus", function () { load(function () {}); });
  input.addEventListener("input", function () { load(show); });
  // Enter in the box submits the form to the results page (a GET form: it works from file://).
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

  // The results page: every result for ?q=, with its snippet.
  var page = document.getElementById("search-page");
  if (!page) return;
  var pageInput = document.getElementById("search-page-input");
  var count = document.getElementById("search-page-count");
  var list = document.getElementById("search-page-results");
  page.hidden = false;
  var query = new URLSearchParams(location.search).get("q") || "";
  pageInput.value = query;
  var words = queryWords(query);
  if (!words.length) return;
  load(function () {
    var hits = search(words);
    var forms = JSON.parse(count.getAttribute("data-forms"));
    count.textContent = (hits.length === 1 ? forms.one : forms.other).replace("{count}", hits.length);
    hits.slice(0, 200).forEach(function (doc) { list.appendChild(item(doc, words, 40)); });
  });
})();
