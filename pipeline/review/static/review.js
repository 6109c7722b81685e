// Keyboard shortcuts of the review app. No inline scripts (the CSP allows only files from /static).
(function () {
  "use strict";
  function $(sel) { return document.querySelector(sel); }
  function typing(el) { return el && el.matches && el.matches("input, textarea, select, [contenteditable]"); }
  var selected = -1;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.qrow")); }
  function select(i) {
    var rs = rows(); if (!rs.length) return;
    selected = Math.max(0, Math.min(rs.length - 1, i));
    rs.forEach(function (r, k) { r.classList.toggle("sel", k === selected); });
    rs[selected].scrollIntoView({ block: "nearest" });
  }
  function show(id) {
    ["#reject-form", "#edit-form"].forEach(function (p) { var el = $(p); if (el) el.hidden = (p !== id); });
  }
  document.addEventListener("click", function (e) {
    if (e.target.id === "reject-toggle") show("#reject-form");
    if (e.target.id === "edit-toggle") { show("#edit-form"); var v = $("#edit-values"); if (v) v.focus(); }
  });
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(e.target)) { if (e.key === "Escape") { e.target.blur(); show(null); } return; }
    var rejectOpen = $("#reject-form") && !$("#reject-form").hidden;
    if (rejectOpen && /^[1-9]$/.test(e.key)) {
      var b = document.querySelector('#reject-form button[data-key="' + e.key + '"]');
      if (b) { e.preventDefault(); b.click(); }
      return;
    }
    switch (e.key) {
      case "a": if ($("#accept-btn")) { e.preventDefault(); $("#accept-btn").click(); } break;
      case "r": if ($("#reject-form")) { e.preventDefault(); show("#reject-form"); } break;
      case "e": if ($("#edit-form")) { e.preventDefault(); show("#edit-form"); $("#edit-values").focus(); $("#edit-values").select(); } break;
      case "Escape": show(null); break;
      case "j":
        if ($("#next-link")) { window.location = $("#next-link").href; } else if (rows().length) { select(selected + 1); }
        break;
      case "k":
        if ($("#prev-link")) { window.location = $("#prev-link").href; } else if (rows().length) { select(selected - 1); }
        break;
      case "Enter":
        if (selected >= 0 && rows()[selected]) { window.location = rows()[selected].dataset.href; }
        break;
      case "/": if ($("#filter-input")) { e.preventDefault(); $("#filter-input").focus(); } break;
    }
  });
  document.addEventListener("htmx:afterSwap", function () { selected = -1; });
})();
