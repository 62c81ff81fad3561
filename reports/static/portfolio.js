// voxaudit portfolio page: sorting and filtering, in the page, on what the server rendered.
// Reads data-* attributes and moves or hides rows; never writes HTML (no innerHTML), fetches nothing.
// Inlined into portfolio.html and allowed by its hash in the page's Content-Security-Policy.
(function () {
  "use strict";

  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    if (!cell) { return null; }
    var raw = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent.trim();
    if (numeric) {
      var n = parseFloat(raw);
      return isNaN(n) ? null : n;  // not assessed: always after every number, either direction
    }
    return raw === "" ? null : raw.toLowerCase();
  }

  function sortTable(table, th, index) {
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var numeric = th.getAttribute("data-sort") === "num";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) {
      if (h.hasAttribute("data-sort")) { h.setAttribute("aria-sort", "none"); }
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    // Each body sorts on its own: the pinned one (clinics needing attention) stays first.
    Array.prototype.forEach.call(table.tBodies, function (body) {
      var rows = Array.prototype.filter.call(body.rows, function (r) { return !r.classList.contains("group"); });
      rows.sort(function (a, b) {
        var x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
        if (x === null && y === null) { return 0; }
        if (x === null) { return 1; }
        if (y === null) { return -1; }
        var c = numeric ? x - y : x.localeCompare(y);
        return ascending ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      if (!th.hasAttribute("data-sort")) { return; }
      th.tabIndex = 0;
      th.setAttribute("aria-sort", "none");
      th.addEventListener("click", function () { sortTable(table, th, index); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortTable(table, th, index); }
      });
    });
  });

  function showGroups() {
    document.querySelectorAll("tbody.pinned").forEach(function (body) {
      var any = Array.prototype.some.call(body.rows, function (r) { return !r.classList.contains("group") && !r.hidden; });
      Array.prototype.forEach.call(body.rows, function (r) { if (r.classList.contains("group")) { r.hidden = !any; } });
    });
  }

  var clinicText = document.getElementById("clinic-filter");
  var clinicShow = document.getElementById("clinic-show");
  var clinicCount = document.getElementById("clinic-count");

  function clinicMatches(row, text, mode) {
    if (text && row.getAttribute("data-clinic").indexOf(text) < 0) { return false; }
    var score = parseFloat(row.getAttribute("data-score"));
    if (mode === "attention") { return row.getAttribute("data-attention") === "1"; }
    if (mode === "critical") { return parseInt(row.getAttribute("data-critical"), 10) > 0; }
    if (mode === "below60") { return !isNaN(score) && score < 60; }
    if (mode === "declined") { return parseFloat(row.getAttribute("data-delta")) < 0; }
    return true;
  }

  function filterClinics() {
    var text = clinicText.value.trim().toLowerCase(), mode = clinicShow.value, shown = 0, total = 0;
    document.querySelectorAll("tr[data-clinic]").forEach(function (row) {
      var ok = clinicMatches(row, text, mode);
      row.hidden = !ok;
      if (row.closest("table").id === "clinics") { total += 1; shown += ok ? 1 : 0; }
    });
    showGroups();
    clinicCount.textContent = "Showing " + shown + " of " + total + " clinics";
  }

  var findingText = document.getElementById("finding-filter");
  var findingSeverity = document.getElementById("finding-severity");
  var findingCount = document.getElementById("finding-count");

  function filterFindings() {
    var text = findingText.value.trim().toLowerCase(), least = parseInt(findingSeverity.value, 10), shown = 0, total = 0;
    document.querySelectorAll("tr[data-check]").forEach(function (row) {
      var ok = row.getAttribute("data-text").indexOf(text) >= 0 && parseInt(row.getAttribute("data-rank"), 10) >= least;
      row.hidden = !ok;
      total += 1;
      shown += ok ? 1 : 0;
    });
    findingCount.textContent = "Showing " + shown + " of " + total + " recurring findings";
  }

  if (clinicText && clinicShow && clinicCount) {
    clinicText.addEventListener("input", filterClinics);
    clinicShow.addEventListener("change", filterClinics);
    filterClinics();
  }
  if (findingText && findingSeverity && findingCount) {
    findingText.addEventListener("input", filterFindings);
    findingSeverity.addEventListener("change", filterFindings);
    filterFindings();
  }
}());
