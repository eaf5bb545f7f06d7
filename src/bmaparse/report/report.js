// The report's only script: show one panel of a switch at a time, and turn the
// findings JSON island into a sortable, filterable table. It draws no chart
// (the charts are inline SVG) and loads nothing.
"use strict";
document.querySelectorAll(".switch").forEach(function (box) {
  var select = box.querySelector("select.switcher");
  function show() {
    box.querySelectorAll(".panel").forEach(function (panel) {
      panel.hidden = panel.dataset.panel !== select.value;
    });
  }
  select.addEventListener("change", show);
  show();
});

(function findingsTable() {
  var island = document.getElementById("findings-data");
  var table = document.getElementById("findings-table");
  if (!island || !table) { return; }
  var rows = JSON.parse(island.textContent);
  var filter = document.getElementById("findings-filter");
  var count = document.getElementById("findings-count");
  var body = table.tBodies[0];
  var sortCol = -1, sortDir = 1;
  var haystack = rows.map(function (row) { return row.join(" ").toLowerCase(); });

  function compare(a, b) {
    var x = a[sortCol], y = b[sortCol];
    if (x === null || x === undefined) { return y === null || y === undefined ? 0 : 1; }
    if (y === null || y === undefined) { return -1; }
    if (typeof x === "number" && typeof y === "number") { return sortDir * (x - y); }
    return sortDir * String(x).localeCompare(String(y), "th");
  }

  function render() {
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = rows.filter(function (row, i) {
      return words.every(function (w) { return haystack[i].indexOf(w) >= 0; });
    });
    if (sortCol >= 0) { shown = shown.slice().sort(compare); }
    var fragment = document.createDocumentFragment();
    shown.forEach(function (row) {
      var tr = document.createElement("tr");
      row.forEach(function (value, c) {
        var td = document.createElement("td");
        td.textContent = value === null || value === undefined ? "" : String(value);
        if (c === 7) { td.className = "evidence"; }
        tr.appendChild(td);
      });
      fragment.appendChild(tr);
    });
    body.replaceChildren(fragment);
    count.textContent = shown.length + " of " + rows.length + " rows shown";
    count.dataset.value = String(shown.length);
  }

  table.querySelectorAll("th").forEach(function (th) {
    th.addEventListener("click", function () {
      var col = Number(th.dataset.col);
      sortDir = col === sortCol ? -sortDir : 1;
      sortCol = col;
      table.querySelectorAll("th").forEach(function (h) { h.className = ""; });
      th.className = sortDir > 0 ? "asc" : "desc";
      render();
    });
  });
  filter.addEventListener("input", render);
  render();
}());
