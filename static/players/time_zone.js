// Time-zone fields. The create form sends the browser's zone (a new player starts in it); the
// profile's list of every IANA zone gets a search box, and the browser's zone one click away.
(function () {
  "use strict";
  var browserZone = "";
  try { browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (error) { browserZone = ""; }

  document.querySelectorAll("input[data-browser-time-zone]").forEach(function (input) {
    if (!input.value) { input.value = browserZone; }
  });

  // No regular-expression literals in this file: xgettext's JavaScript reader misreads "/" in
  // them and stops extracting the strings after (makemessages -d djangojs).
  var SEPARATORS = new RegExp("[_\\s/]+", "g");
  function words(text) { return text.toLowerCase().replace(SEPARATORS, " ").trim(); }

  document.querySelectorAll("select[data-time-zone-select]").forEach(function (select) {
    var box = document.createElement("div");
    box.className = "time-zone-search";
    var label = document.createElement("label");
    var search = document.createElement("input");
    search.type = "search";
    search.id = select.id + "_search";
    search.autocomplete = "off";
    search.placeholder = gettext("City or region, e.g. Tokyo");
    search.setAttribute("aria-controls", select.id);
    search.setAttribute("data-testid", "time-zone-search");
    label.htmlFor = search.id;
    label.textContent = gettext("Search time zones");
    var status = document.createElement("span");
    status.className = "muted";
    status.setAttribute("role", "status");
    status.setAttribute("data-testid", "time-zone-matches");
    box.append(label, search, status);
    select.parentNode.insertBefore(box, select);

    search.addEventListener("input", function () {
      var wanted = words(search.value);
      var first = null;
      var shown = 0;
      Array.prototype.forEach.call(select.options, function (option) {
        var match = !wanted || words(option.value + " " + option.text).indexOf(wanted) !== -1;
        option.hidden = !match;
        if (match) {
          shown += 1;
          if (!first) { first = option; }
        }
      });
      if (first && select.options[select.selectedIndex].hidden) { select.value = first.value; }
      status.textContent = wanted ? interpolate(
        ngettext("%(count)s zone matches", "%(count)s zones match", shown), { count: shown }, true) : "";
    });
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); select.focus(); } // not a submit
    });

    // A profile still on the default zone (UTC) while this browser is elsewhere: offered, not
    // switched silently (someone who chose UTC saves other fields without losing it).
    var known = Array.prototype.some.call(select.options, function (o) { return o.value === browserZone; });
    if (known && select.value === "UTC" && browserZone !== "UTC") {
      var use = document.createElement("button");
      use.type = "button";
      use.className = "secondary small";
      use.setAttribute("data-testid", "use-browser-time-zone");
      use.textContent = interpolate(gettext("Use this device's zone (%(zone)s)"), { zone: browserZone.split("_").join(" ") }, true);
      use.addEventListener("click", function () {
        select.value = browserZone;
        use.remove();
        select.focus();
      });
      select.insertAdjacentElement("afterend", use);
    }
  });
})();
