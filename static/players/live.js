// The live notification badge: the unread count from the server, then kept current by
// `notification` frames on the websocket (docs/players.md). Plain JS, no dependencies.
(function () {
  "use strict";
  var badge = document.querySelector("[data-testid=notification-badge]");
  if (!badge) { return; }

  function show(count) {
    badge.textContent = String(count);
    badge.hidden = count <= 0;
    badge.setAttribute("data-count", String(count));
  }

  fetch(badge.getAttribute("data-unread-url"), { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (body) { if (body) { show(body.unread_count); } })
    .catch(function () {});

  var retryDelay = 1000;
  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/", ["community.v1"]);
    var pinger = null;
    socket.onopen = function () {
      retryDelay = 1000;
      socket.send(JSON.stringify({ type: "hello", id: "hello", version: 1 }));
      pinger = window.setInterval(function () {
        socket.send(JSON.stringify({ type: "ping", id: "ping" }));
      }, 30000);
    };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (error) { return; }
      if (frame.type === "welcome") { badge.setAttribute("data-live", "connected"); }
      if (frame.type === "notification" && typeof frame.unread_count === "number") {
        show(frame.unread_count);
      }
      document.dispatchEvent(new CustomEvent("community:frame", { detail: frame }));
    };
    socket.onclose = function () {
      badge.setAttribute("data-live", "disconnected");
      if (pinger) { window.clearInterval(pinger); }
      window.setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    };
  }
  connect();
})();
