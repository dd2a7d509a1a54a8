// Friends page: follow `presence` frames (re-dispatched by live.js) and update each friend's
// status in place. Labels come from the JavaScript catalog (gettext).
(function () {
  "use strict";
  // The title's name in the page's language (``title_name_translations``; ``ja-jp`` also
  // finds ``ja``), else the frame's ``title_name``.
  function titleName(frame) {
    var names = frame.title_name_translations;
    var language = (document.documentElement.lang || "").toLowerCase();
    if (names && language) {
      return names[language] || names[language.split("-")[0]] || frame.title_name || "";
    }
    return frame.title_name || "";
  }
  var list = document.querySelector("[data-testid=friend-list]");
  if (!list) { return; }
  document.addEventListener("community:frame", function (event) {
    var frame = event.detail;
    if (!frame || frame.type !== "presence" || !frame.player) { return; }
    var target = list.querySelector('[data-presence-player="' + frame.player.id + '"]');
    if (!target) { return; }
    var labels = {
      online: gettext("Online"), offline: gettext("Offline"),
      in_game: gettext("Playing %(title)s"), in_match: gettext("In a match in %(title)s"),
    };
    var label = labels[frame.status] || labels.online;
    target.textContent = interpolate(label, { title: titleName(frame) }, true);
    target.className = "presence " + frame.status;
  });
})();
// A friend request arriving while the page is open joins "Requests for you" at once.
(function () {
  "use strict";
  var list = document.querySelector("[data-testid=requests-received]");
  var template = document.getElementById("request-template");
  if (!list || !template) { return; }
  document.addEventListener("community:frame", function (event) {
    var frame = event.detail;
    var notification = frame && frame.type === "notification" ? frame.notification : null;
    if (!notification || notification.kind !== "friend_request" || !notification.actor) { return; }
    var requestId = Number(notification.data && notification.data.friend_request_id);
    if (!requestId || list.querySelector('[data-request-id="' + requestId + '"]')) { return; }
    var row = template.content.firstElementChild.cloneNode(true);
    row.setAttribute("data-request-id", String(requestId));
    var actor = row.querySelector("[data-actor]");
    actor.href = "/players/" + Number(notification.actor.id) + "/";
    actor.querySelector("bdi").textContent = notification.actor.display_name;
    row.querySelectorAll("form").forEach(function (form) {
      form.action = form.getAttribute("action").replace("/0/", "/" + requestId + "/");
    });
    var empty = list.querySelector("[data-empty]");
    if (empty) { empty.remove(); }
    list.insertBefore(row, list.firstChild);
  });
})();
