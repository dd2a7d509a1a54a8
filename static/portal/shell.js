// The portal shell: outcomes as toasts, and the navigation menu folded on phone widths.
// Without this script the messages stay as banners and the menu stays open: nothing is lost.
(function () {
  "use strict";
  var SHOWN_FOR_MS = 8000; // successes and notes; errors stay until dismissed

  // --- toasts: window.portalToast(text, level) for scripts; Django's messages become toasts --
  var region = document.querySelector("[data-testid=toasts]");

  function dismiss(toast) { if (toast.parentNode) { toast.parentNode.removeChild(toast); } }

  // A toast: closable; a success or note leaves after a while (kept while hovered or focused).
  function arm(item, error) {
    item.classList.add("toast");
    item.setAttribute("data-toast", "");
    var close = document.createElement("button");
    close.type = "button";
    close.className = "ghost small";
    close.setAttribute("aria-label", gettext("Dismiss"));
    close.textContent = "×";
    close.addEventListener("click", function () { dismiss(item); });
    item.appendChild(close);
    if (!error) {
      var timer = window.setTimeout(function () { dismiss(item); }, SHOWN_FOR_MS);
      var hold = function () { window.clearTimeout(timer); };
      item.addEventListener("mouseenter", hold);
      item.addEventListener("focusin", hold);
    }
    return item;
  }

  function toast(text, level) {
    if (!region) { return null; }
    var item = document.createElement("div");
    var error = level === "error" || level === "warning";
    item.className = level || "info";
    item.setAttribute("role", error ? "alert" : "status");
    item.textContent = text;
    region.appendChild(item);
    return arm(item, error);
  }
  window.portalToast = toast;

  // The server's messages (saved, sent, refused) move into the toast corner, as they are.
  var banners = document.querySelector("ul.messages[data-testid=messages]");
  if (banners && region) {
    region.appendChild(banners);
    Array.prototype.forEach.call(banners.children, function (li) {
      arm(li, li.classList.contains("error") || li.classList.contains("warning"));
    });
  }

  // --- navigation: a Menu button folds the links on narrow screens -------------------------
  var header = document.querySelector(".site-header");
  var nav = header && header.querySelector(".site-nav");
  if (!nav) { return; }
  nav.id = nav.id || "site-nav";
  var button = document.createElement("button");
  button.type = "button";
  button.className = "secondary small nav-toggle";
  button.setAttribute("aria-controls", nav.id);
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("data-testid", "nav-toggle");
  button.textContent = gettext("Menu");
  header.insertBefore(button, nav);
  header.classList.add("nav-collapsible");

  function setOpen(open) {
    button.setAttribute("aria-expanded", String(open));
    header.classList.toggle("nav-open", open);
  }
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    setOpen(open);
    if (open) {
      var first = nav.querySelector("a, button, select");
      if (first) { first.focus(); }
    }
  });
  nav.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && header.classList.contains("nav-open")) {
      setOpen(false);
      button.focus();
    }
  });
})();
