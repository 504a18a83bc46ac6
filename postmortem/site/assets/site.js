// The library's search and filters, and the theme switch. The list is complete in the HTML;
// this only hides rows (the `hidden` attribute), reading the query string so that a
// filtered view is a link: index.html?q=certificate&severity=High. Text goes into the page
// only as text (textContent, option values), never as markup.
(function () {
  "use strict";

  var FILTERS = ["severity", "status", "profile", "label"];

  function storedTheme() {
    try {
      return window.localStorage.getItem("postmortem-theme");
    } catch (error) {
      return null; // storage is off (file://, privacy settings): the system's theme
    }
  }

  function setTheme(theme) {
    document.documentElement.setAttribute("data-theme", theme);
    try {
      window.localStorage.setItem("postmortem-theme", theme);
    } catch (error) {
      // not remembered; the page still switches
    }
  }

  function themeToggle() {
    var saved = storedTheme();
    if (saved === "light" || saved === "dark") {
      document.documentElement.setAttribute("data-theme", saved);
    }
    var button = document.getElementById("theme-toggle");
    if (!button) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var current = document.documentElement.getAttribute("data-theme");
      if (!current) {
        current = window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
      }
      setTheme(current === "dark" ? "light" : "dark");
    });
  }

  function words(text) {
    return text.toLowerCase().split(/\s+/).filter(function (word) {
      return word.length > 0;
    });
  }

  function readQuery() {
    var params = new URLSearchParams(window.location.search);
    var query = { q: params.get("q") || "" };
    FILTERS.forEach(function (name) {
      query[name] = params.get(name) || "";
    });
    return query;
  }

  function showQuery(form, query) {
    form.elements.q.value = query.q;
    FILTERS.forEach(function (name) {
      var select = form.elements[name];
      if (!select) {
        return;
      }
      var known = Array.prototype.some.call(select.options, function (option) {
        return option.value === query[name];
      });
      if (!known) {
        var option = document.createElement("option");
        option.value = query[name];
        option.textContent = query[name];
        select.appendChild(option);
      }
      select.value = query[name];
    });
  }

  function formQuery(form) {
    var query = { q: form.elements.q.value };
    FILTERS.forEach(function (name) {
      query[name] = form.elements[name] ? form.elements[name].value : "";
    });
    return query;
  }

  function matches(entry, query, searched) {
    for (var i = 0; i < FILTERS.length; i += 1) {
      var name = FILTERS[i];
      if (query[name] && entry[name] !== query[name]) {
        return false;
      }
    }
    return searched.every(function (word) {
      return entry.haystack.indexOf(word) !== -1;
    });
  }

  function filterRows(rows, entries, query) {
    var searched = words(query.q);
    var shown = 0;
    rows.forEach(function (row) {
      var entry = entries[row.getAttribute("data-doc")];
      var visible = entry ? matches(entry, query, searched) : searched.length === 0;
      row.hidden = !visible;
      shown += visible ? 1 : 0;
    });
    return shown;
  }

  function keepInAddress(query) {
    var params = new URLSearchParams();
    ["q"].concat(FILTERS).forEach(function (name) {
      if (query[name]) {
        params.set(name, query[name]);
      }
    });
    var search = params.toString();
    try {
      window.history.replaceState(null, "", search ? "?" + search : window.location.pathname);
    } catch (error) {
      // some browsers refuse it for file:// pages; the filter still applies
    }
  }

  function library() {
    var table = document.getElementById("library");
    var form = document.getElementById("library-search");
    if (!table || !form || !Array.isArray(window.postmortemIndex)) {
      return;
    }
    var entries = {};
    window.postmortemIndex.forEach(function (entry) {
      entry.haystack = [entry.id, entry.title, entry.text, entry.severity, entry.status,
        entry.profile, entry.label].join("\n").toLowerCase();
      entries[entry.id] = entry;
    });
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-doc]"));
    var count = document.getElementById("result-count");
    var empty = document.getElementById("empty-result");

    function apply(query) {
      var shown = filterRows(rows, entries, query);
      count.textContent = shown === rows.length
        ? rows.length + (rows.length === 1 ? " post-mortem" : " post-mortems")
        : shown + " of " + rows.length + " post-mortems";
      empty.hidden = shown !== 0;
    }

    var initial = readQuery();
    showQuery(form, initial);
    apply(initial);
    function update() {
      var query = formQuery(form);
      apply(query);
      keepInAddress(query);
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      update();
    });
  }

  themeToggle();
  library();
})();
