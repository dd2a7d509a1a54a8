// Friends page: follow `presence` frames (re-dispatched by live.js) and update each friend's
// status in place. Labels come translated from the list's data attributes.
(function () {
  "use strict";
  var list = document.querySelector("[data-testid=friend-list]");
  if (!list) { return; }
  document.addEventListener("community:frame", function (event) {
    var frame = event.detail;
    if (!frame || frame.type !== "presence" || !frame.player) { return; }
    var target = list.querySelector('[data-presence-player="' + frame.player.id + '"]');
    if (!target) { return; }
    var label = list.getAttribute("data-label-" + frame.status) || frame.status;
    target.textContent = label.replace("{title}", frame.title_name || "");
    target.className = "presence " + frame.status;
  });
})();
