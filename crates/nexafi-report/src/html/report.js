// Filters and expands the controls of the report. Everything runs on this page: the
// script loads nothing and sends nothing.
(function () {
  "use strict";

  var controls = Array.prototype.slice.call(document.querySelectorAll("details.control"));
  var search = document.getElementById("control-search");
  var status = document.getElementById("control-status");
  var countLabel = document.getElementById("control-count");

  function applyFilter() {
    var text = search.value.trim().toLowerCase();
    var selectedStatus = status.value;
    var count = 0;
    controls.forEach(function (control) {
      var matchesText = text === "" || control.textContent.toLowerCase().indexOf(text) !== -1;
      var matchesStatus =
        selectedStatus === "" || control.getAttribute("data-status") === selectedStatus;
      var visible = matchesText && matchesStatus;
      control.hidden = !visible;
      if (visible) {
        count += 1;
      }
    });
    countLabel.textContent = count + " of " + controls.length + " controls shown";
  }

  function setAll(open) {
    controls.forEach(function (control) {
      if (!control.hidden) {
        control.open = open;
      }
    });
  }

  // Opens the control named in the address (report.html#control-pci_dss-3.5.1), so a
  // link to one control shows its detail.
  function openFromHash() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id === "" ? null : document.getElementById(id);
    if (target && target.tagName === "DETAILS") {
      target.hidden = false;
      target.open = true;
      target.scrollIntoView();
    }
  }

  search.addEventListener("input", applyFilter);
  status.addEventListener("change", applyFilter);
  document.getElementById("expand-all").addEventListener("click", function () { setAll(true); });
  document.getElementById("collapse-all").addEventListener("click", function () { setAll(false); });
  window.addEventListener("hashchange", openFromHash);

  applyFilter();
  openFromHash();
  document.body.setAttribute("data-ready", "true");
})();
