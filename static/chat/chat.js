// Portal chat: the websocket protocol of docs/websocket-protocol.md in plain JS.
// Every user-provided string is inserted with textContent, never as HTML.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("chat-config").textContent);
  // Interface text from the JavaScript catalog (/jsi18n/, base.html); any string a template
  // still passes in data-* attributes of #chat-strings comes first.
  const strings = Object.assign({
    edit: gettext("Edit"), delete: gettext("Delete"), deleted: gettext("Message deleted"),
    edited: gettext("(edited)"), typing: gettext("is typing…"), online: gettext("Connected"),
    offline: gettext("Reconnecting…"), editPrompt: gettext("Edit your message"),
    save: gettext("Save"), cancel: gettext("Cancel"), deleteConfirm: gettext("Delete this message?"),
    reply: gettext("Reply"), react: gettext("React"), actions: gettext("Message actions"),
    blockedMessage: gettext("Message from a player you blocked or who blocked you."),
    show: gettext("Show"), today: gettext("Today"), yesterday: gettext("Yesterday"),
    newMessages: gettext("New messages"),
    sectionDirect: gettext("Direct messages"), sectionGuild: gettext("Guilds"),
    sectionLobby: gettext("Game lobbies"), sectionAnnouncement: gettext("Announcements"),
    sectionMatch: gettext("Live matches"), sectionEnded: gettext("Ended matches"),
    stateClosed: gettext("This match is over: the channel is read-only."),
    stateReadOnly: gettext("Only the game team posts here."),
    stateCannotSend: gettext("You cannot message this player."),
    stateGuildLeft: gettext("You are no longer in this guild: its chat is read-only for you."),
    stateOfficersOnly: gettext("Officers only: this channel is read-only for you now."),
    stateGuildArchived: gettext("This guild was disbanded: its chat is a read-only archive."),
    direct: gettext("Message"), report: gettext("Report"),
    sanctionBan: gettext("You are banned."), sanctionSuspension: gettext("Your account is suspended."),
    sanctionMute: gettext("You are muted."), sanctionWarning: gettext("A moderator warned you."),
    sanctionOther: gettext("A moderator restricted your account."),
    sanctionLifted: gettext("A sanction on your account was lifted."),
    sanctionClosed: gettext("Disconnected by moderation"),
    moderatorDelete: gettext("Delete (moderator)"), slowMode: gettext("Slow mode"),
    slowModeSet: gettext("Set slow mode"), slowModeOff: gettext("Off"),
    slowModeSaved: gettext("Slow mode saved."),
  }, (document.getElementById("chat-strings") || { dataset: {} }).dataset);
  const el = (id) => document.getElementById(id);
  const listEl = el("chat-channel-list");
  const messagesEl = el("chat-messages");
  const inputEl = el("chat-input");
  const sendEl = el("chat-send");

  const channels = new Map(); // id -> {id, name, kind, lastSeq, lastChangeSeq, unread, closed}
  const blocked = new Set(config.blocked_player_ids || []);
  const hidden = new Set(config.hidden_channel_ids || []); // ended more than a day ago
  // Channels where this player deletes others' messages and sets slow mode (a guild's
  // manage_chat, as of page load; the server checks every command again).
  const moderated = new Set(config.moderated_channel_ids || []);
  const revealed = new Set(); // blocked players' messages the viewer chose to show
  const GROUP_WINDOW_MS = 5 * 60 * 1000; // consecutive messages of one author within 5 min
  let firstUnreadSeq = null;
  let pendingDirect = null; // a player to open a direct message with once connected
  const messageNodes = new Map(); // message id -> {li, message}
  let reactionChoices = [];
  let current = null;
  let oldestSeq = null;
  let socket = null;
  let attempt = 0;
  let requestCounter = 0;
  const pending = new Map(); // request id -> callback(reply)
  let typingSentAt = 0;
  let typingTimer = null;
  let readTimer = null;

  function node(tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function request(frame, onReply) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    const id = "r" + ++requestCounter;
    if (onReply) pending.set(id, onReply);
    socket.send(JSON.stringify(Object.assign({}, frame, { id: id })));
    return true;
  }

  function showError(reply) {
    el("chat-error").textContent = reply && reply.type === "error" ? reply.message : "";
  }

  // --- times in the viewer's zone (their profile's time zone), with the page's language ----
  function formatter(options) {
    try {
      return new Intl.DateTimeFormat(document.documentElement.lang || undefined,
        Object.assign({ timeZone: config.time_zone || undefined }, options));
    } catch (error) {
      return new Intl.DateTimeFormat(undefined, options);
    }
  }
  const timeFormat = formatter({ hour: "numeric", minute: "2-digit" });
  const dayFormat = formatter({ year: "numeric", month: "2-digit", day: "2-digit" });
  const fullFormat = formatter({ dateStyle: "full", timeStyle: "short" });
  const dayKeyFormat = formatter({ year: "numeric", month: "2-digit", day: "2-digit" });
  const dayKey = (date) => dayKeyFormat.format(date);

  function dayLabel(date) {
    const today = dayKey(new Date());
    const yesterday = dayKey(new Date(Date.now() - 86400000));
    const key = dayKey(date);
    if (key === today) return strings.today;
    if (key === yesterday) return strings.yesterday;
    return dayFormat.format(date);
  }

  // --- channel list -------------------------------------------------------------------------
  function addChannel(data) {
    const known = channels.get(data.id);
    const channel = known || { id: data.id, lastSeq: null, lastChangeSeq: null, replaying: false, unread: 0 };
    channel.name = data.name;
    channel.kind = data.kind;
    if (data.unread_count !== undefined) channel.unread = data.unread_count;
    if (channel.lastSeq === null && data.last_seq !== undefined) channel.lastSeq = data.last_seq;
    channel.closed = Boolean(data.is_closed);
    if (data.can_send !== undefined) channel.canSend = data.can_send; // a one-way DM: false
    if (data.reactions) channel.reactions = data.reactions; // this channel's title's set
    if (data.slow_mode_seconds !== undefined) channel.slowMode = data.slow_mode_seconds;
    channels.set(channel.id, channel);
    return channel;
  }

  // Sections in the order players look for them; closed matches sink to "Ended" and leave
  // the list a day after they closed (hidden_channel_ids), unless open right now.
  const SECTIONS = ["direct", "guild", "lobby", "announcement", "match", "ended"];

  function sectionOf(channel) {
    if (channel.kind === "match" && channel.closed) return "ended";
    return SECTIONS.includes(channel.kind) ? channel.kind : "lobby";
  }

  function channelButton(channel) {
    const button = node("button", "chat-channel", "");
    button.type = "button";
    button.dataset.channelId = channel.id;
    button.setAttribute("aria-current", String(current === channel.id));
    button.appendChild(node("bdi", "", channel.name));
    if (channel.unread > 0 && current !== channel.id) {
      const badge = node("span", "chat-badge", String(channel.unread));
      badge.dataset.testid = "unread";
      button.appendChild(badge);
    }
    button.addEventListener("click", () => openChannel(channel.id));
    const item = node("li");
    item.appendChild(button);
    return item;
  }

  function renderChannels() {
    listEl.replaceChildren();
    const bySection = new Map(SECTIONS.map((name) => [name, []]));
    for (const channel of channels.values()) {
      if (hidden.has(channel.id) && current !== channel.id) continue;
      bySection.get(sectionOf(channel)).push(channel);
    }
    for (const [name, list] of bySection) {
      if (!list.length) continue;
      const section = node("li", "chat-section");
      section.dataset.section = name;
      section.dataset.testid = "channel-section-" + name;
      const heading = node("h3", "chat-section-title", strings["section" + name[0].toUpperCase() + name.slice(1)]);
      heading.id = "chat-section-" + name;
      const items = node("ul");
      items.setAttribute("aria-labelledby", heading.id);
      for (const channel of list) items.appendChild(channelButton(channel));
      section.append(heading, items);
      listEl.appendChild(section);
    }
  }

  async function loadChannels() {
    for (const lobby of config.lobbies) addChannel(lobby);
    try {
      const response = await fetch("/api/v1/chat/channels", { credentials: "same-origin" });
      if (response.ok) for (const data of await response.json()) addChannel(data);
    } catch (error) {
      // The socket still works; the list fills in as channels send messages.
    }
    renderChannels();
  }

  // --- messages -----------------------------------------------------------------------------
  // Reactions people gave stay visible; choosing a new one goes through one "React" button
  // that opens the title's set (no row of eight buttons under every line).
  function renderReactions(container, message) {
    container.replaceChildren();
    for (const reaction of message.reactions || []) {
      const mine = reaction.player_ids.includes(config.player_id);
      const button = node("button", "chat-reaction");
      button.append(node("bdi", "", reaction.emoji), " " + reaction.count); // the title's set
      button.type = "button";
      button.setAttribute("aria-pressed", String(mine));
      button.addEventListener("click", () =>
        request({ type: mine ? "unreact" : "react", message_id: message.id, emoji: reaction.emoji }, showError));
      container.appendChild(button);
    }
  }

  function reactionPicker(message) {
    const picker = node("span", "chat-picker");
    picker.hidden = true;
    const channel = channels.get(message.channel_id);
    for (const emoji of (channel && channel.reactions) || reactionChoices) {
      const button = node("button");
      button.type = "button";
      // Named "React with <emoji>"; the emoji (or a title's word, such as GG) is the title's.
      button.append(node("span", "visually-hidden", gettext("React with") + " "), node("bdi", "", emoji));
      button.addEventListener("click", () => {
        picker.hidden = true;
        request({ type: "react", message_id: message.id, emoji: emoji }, showError);
      });
      picker.appendChild(button);
    }
    return picker;
  }

  // A shared content item (attachment kind "ugc", docs/ugc.md#in-chat): its card links to the
  // item page; the thumbnail URL checks the viewer again (a viewer who may not see it gets no
  // picture). Only the app's own paths are followed, whatever a stored card says.
  function ugcCard(card) {
    const link = node("a", "chat-ugc-card");
    link.dataset.testid = "ugc-card";
    if (/^\/ugc\/items\/\d+\/$/.test(card.url || "")) link.href = card.url;
    if (/^\/api\/v1\/ugc\/items\/\d+\/thumbnails\/small$/.test(card.thumbnail_url || "")) {
      const image = node("img");
      image.alt = "";
      image.width = 96;
      image.src = card.thumbnail_url;
      image.addEventListener("error", () => image.remove());
      link.appendChild(image);
    }
    link.appendChild(node("strong", "", card.name || ""));
    if (card.creator) link.appendChild(node("span", "chat-meta", card.creator.display_name));
    return link;
  }

  // ``@name`` mentions (the server resolved them to ``message.mentions``): highlighted, and
  // linked to the player's profile when the message mentions exactly one player.
  const MENTION = /(^|[^\w@])@([^\s@]{1,32})/g;

  // An announcement may carry its text per language (``body_translations``, docs/i18n.md):
  // the page's language picks it (``ja-jp`` also finds ``ja``), else ``body``.
  function messageText(message) {
    const texts = message.body_translations;
    const language = (document.documentElement.lang || "").toLowerCase();
    if (!texts || !language) return message.body;
    return texts[language] || texts[language.split("-")[0]] || message.body;
  }

  function bodyWithMentions(message) {
    const body = node("bdi", "chat-body");
    const text = messageText(message);
    let last = 0;
    for (const match of text.matchAll(MENTION)) {
      const start = match.index + match[1].length;
      body.append(text.slice(last, start));
      const mention = node(message.mentions && message.mentions.length === 1 ? "a" : "span",
        "chat-mention", text.slice(start, match.index + match[0].length));
      if (mention.tagName === "A") mention.href = "/players/" + Number(message.mentions[0]) + "/";
      mention.dataset.testid = "mention";
      body.appendChild(mention);
      last = match.index + match[0].length;
    }
    body.append(text.slice(last));
    return body;
  }

  function actionButton(label, testid, onClick) {
    const button = node("button", "chat-action", label);
    button.type = "button";
    if (testid) button.dataset.testid = testid;
    button.addEventListener("click", onClick);
    return button;
  }

  // Edit in place: the body becomes a field; Enter saves, Escape cancels.
  function editInline(li, message) {
    const body = li.querySelector(".chat-body");
    if (!body) return;
    const form = node("form", "chat-edit");
    const input = node("input");
    input.value = message.body;
    input.maxLength = 2000;
    input.setAttribute("aria-label", strings.editPrompt);
    input.dataset.testid = "edit-input";
    const save = node("button", "small", strings.save);
    save.type = "submit";
    const cancel = actionButton(strings.cancel, null, () => fillMessage(li, message));
    cancel.classList.add("secondary", "small");
    form.append(input, save, cancel);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      request({ type: "edit", message_id: message.id, body: input.value }, (reply) => {
        showError(reply);
        if (reply.type !== "error") fillMessage(li, messageNodes.get(message.id).message);
      });
    });
    input.addEventListener("keydown", (event) => { if (event.key === "Escape") fillMessage(li, message); });
    body.replaceWith(form);
    input.focus();
  }

  function confirmDelete(li, message) {
    const box = node("span", "chat-confirm");
    box.setAttribute("role", "group");
    box.append(node("span", "", strings.deleteConfirm));
    const yes = actionButton(strings.delete, "confirm-delete", () =>
      request({ type: "delete", message_id: message.id }, showError));
    yes.classList.add("danger", "small");
    const no = actionButton(strings.cancel, null, () => fillMessage(li, message));
    no.classList.add("secondary", "small");
    box.append(yes, no);
    li.querySelector(".chat-toolbar").replaceWith(box);
    no.focus();
  }

  function toolbar(li, message) {
    const bar = node("span", "chat-toolbar");
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", strings.actions);
    if (message.is_deleted) return bar;
    const own = message.author && message.author.id === config.player_id;
    const picker = reactionPicker(message);
    bar.append(
      actionButton(strings.reply, "reply", () => {
        if (!message.author) return;
        inputEl.value = "@" + message.author.display_name.replace(/\s/g, "_") + " " + inputEl.value;
        inputEl.focus();
      }),
      actionButton(strings.react, "react", () => { picker.hidden = !picker.hidden; }),
    );
    if (own) {
      bar.append(actionButton(strings.edit, "edit", () => editInline(li, message)),
                 actionButton(strings.delete, "delete", () => confirmDelete(li, message)));
    } else if (message.author) {
      bar.append(actionButton(strings.direct, "direct-message", () => startDirect(message.author.id)));
      // The report page snapshots the message as evidence, then offers to block its author.
      const report = node("a", "chat-action chat-report", strings.report);
      report.href = "/moderation/report/?target_type=message&target_id=" + message.id;
      report.dataset.testid = "report-message";
      bar.appendChild(report);
      if (moderated.has(current)) {
        bar.appendChild(actionButton(strings.moderatorDelete, "moderator-delete", () => confirmDelete(li, message)));
      }
    }
    bar.appendChild(picker);
    return bar;
  }

  function fillMessage(li, message) {
    li.replaceChildren();
    li.dataset.seq = message.seq;
    li.dataset.author = message.author ? message.author.id : "";
    li.dataset.time = message.created_at || "";
    li.tabIndex = 0; // keyboard and long-press reach the actions (:focus-within shows them)
    const created = message.created_at ? new Date(message.created_at) : null;
    const time = node("time", "chat-time", created ? timeFormat.format(created) : "");
    time.dataset.intl = ""; // the browser's locale data (Intl), not catalog text
    if (created) {
      time.dateTime = message.created_at;
      time.title = fullFormat.format(created);
    }
    li.appendChild(time);
    const isBlocked = message.author && blocked.has(message.author.id) && !revealed.has(message.id);
    li.classList.toggle("chat-blocked", Boolean(isBlocked));
    li.classList.toggle("chat-mentions-me", Boolean(message.mentions && message.mentions.includes(config.player_id)));
    if (isBlocked) {
      li.appendChild(node("span", "chat-deleted", strings.blockedMessage));
      const show = actionButton(strings.show, "show-blocked", () => {
        revealed.add(message.id);
        fillMessage(li, message);
      });
      show.classList.add("link");
      li.appendChild(show);
      return;
    }
    if (message.author) {
      const author = node("a", "chat-author");
      author.href = "/players/" + Number(message.author.id) + "/";
      author.appendChild(node("bdi", "", message.author.display_name));
      li.appendChild(author);
    } else {
      li.appendChild(node("bdi", "chat-author", "📣"));
    }
    if (message.is_deleted) {
      li.appendChild(node("span", "chat-deleted", strings.deleted));
    } else {
      li.appendChild(bodyWithMentions(message));
      if (message.edited_at) li.appendChild(node("span", "chat-meta", strings.edited));
      for (const attachment of message.attachments || []) {
        if (attachment.kind === "ugc") li.appendChild(ugcCard(attachment));
      }
    }
    const reactions = node("span", "chat-reactions");
    renderReactions(reactions, message);
    li.append(reactions, toolbar(li, message));
  }

  // Day separators, the "new messages" line and author grouping are recomputed over the shown
  // messages after each change (they arrive out of order: live, replayed, older pages).
  function decorate() {
    for (const extra of messagesEl.querySelectorAll(".chat-day, .chat-unread-line")) extra.remove();
    let previous = null;
    for (const li of Array.from(messagesEl.children)) {
      const time = li.dataset.time ? new Date(li.dataset.time) : null;
      if (time && (!previous || !previous.time || dayKey(previous.time) !== dayKey(time))) {
        const separator = node("li", "chat-day", dayLabel(time));
        if (separator.textContent !== strings.today && separator.textContent !== strings.yesterday) {
          separator.dataset.intl = ""; // a date from Intl
        }
        separator.dataset.testid = "day-separator";
        messagesEl.insertBefore(separator, li);
        previous = null;
      }
      if (firstUnreadSeq !== null && Number(li.dataset.seq) === firstUnreadSeq) {
        const line = node("li", "chat-unread-line", strings.newMessages);
        line.dataset.testid = "unread-line";
        messagesEl.insertBefore(line, li);
        previous = null;
      }
      const grouped = previous && li.dataset.author && previous.author === li.dataset.author &&
        time && previous.time && time - previous.time < GROUP_WINDOW_MS;
      li.classList.toggle("chat-continued", Boolean(grouped));
      previous = { author: li.dataset.author, time: time };
    }
  }

  // Messages are placed by seq, whatever order they arrive in: live, replayed after a
  // reconnect (possibly before the reloaded history), or an older page.
  function insertBySeq(li, seq) {
    let next = null;
    for (let child = messagesEl.lastElementChild; child; child = child.previousElementSibling) {
      if (child.dataset.seq === undefined) continue; // a day separator or the unread line
      if (Number(child.dataset.seq) < seq) break;
      next = child;
    }
    messagesEl.insertBefore(li, next);
    return next === null;
  }

  function showMessage(message) {
    if (messageNodes.has(message.id)) return;
    const li = node("li");
    li.dataset.testid = "message";
    fillMessage(li, message);
    messageNodes.set(message.id, { li: li, message: message });
    const atBottom = messagesEl.scrollHeight - messagesEl.scrollTop - messagesEl.clientHeight < 40;
    const isNewest = insertBySeq(li, message.seq);
    decorate();
    if (isNewest && atBottom) messagesEl.scrollTop = messagesEl.scrollHeight;
    if (oldestSeq === null || message.seq < oldestSeq) oldestSeq = message.seq;
  }

  function updateMessage(message) {
    const entry = messageNodes.get(message.id);
    if (!entry) return;
    entry.message = message;
    fillMessage(entry.li, message);
  }

  // Changes (edits, deletes, reactions) carry the channel's change_seq: a change no newer than
  // the one the shown message carries is a duplicate; a gap in a channel's numbers means one
  // was lost, and re-subscribing with last_change_seq replays what changed since.
  function freshChange(channelId, messageId, changeSeq) {
    const channel = channels.get(channelId);
    if (channel && changeSeq !== undefined && channel.lastChangeSeq !== null && !channel.replaying) {
      if (changeSeq === channel.lastChangeSeq + 1) channel.lastChangeSeq = changeSeq;
      else if (changeSeq > channel.lastChangeSeq + 1) subscribe([channel]);
    }
    const entry = messageNodes.get(messageId);
    if (!entry) return null;
    if (changeSeq !== undefined && (entry.message.change_seq || 0) >= changeSeq) return null;
    return entry;
  }

  function onReaction(frame) {
    const entry = freshChange(frame.channel_id, frame.message_id, frame.change_seq);
    if (!entry) return;
    entry.message.change_seq = frame.change_seq;
    const reactions = entry.message.reactions || [];
    let reaction = reactions.find((r) => r.emoji === frame.emoji);
    if (!reaction) {
      reaction = { emoji: frame.emoji, count: 0, player_ids: [] };
      reactions.push(reaction);
    }
    reaction.count = frame.count;
    reaction.player_ids = reaction.player_ids.filter((id) => id !== frame.player_id);
    if (frame.action === "added") reaction.player_ids.push(frame.player_id);
    entry.message.reactions = reactions.filter((r) => r.count > 0);
    fillMessage(entry.li, entry.message);
  }

  // In-order, gapless delivery per channel: duplicates are dropped, a hole triggers a resume.
  function onMessage(channelId, message) {
    const channel = channels.get(channelId);
    if (!channel || channel.lastSeq === null) return;
    if (message.seq <= channel.lastSeq) return;
    if (message.seq > channel.lastSeq + 1) {
      subscribe([channel]);
      return;
    }
    channel.lastSeq = message.seq;
    if (channelId === current) {
      showMessage(message);
      markRead();
    } else if (!message.author || message.author.id !== config.player_id) {
      channel.unread += 1;
      renderChannels();
    }
  }

  function sendRead() {
    readTimer = null;
    const channel = channels.get(current);
    if (channel && channel.lastSeq) request({ type: "read", channel_id: channel.id, seq: channel.lastSeq });
  }

  function markRead() {
    clearTimeout(readTimer);
    readTimer = setTimeout(sendRead, 300);
  }

  // A read marker still waiting when the player leaves or reloads the page is sent now, not lost.
  window.addEventListener("pagehide", () => {
    if (readTimer === null) return;
    clearTimeout(readTimer);
    sendRead();
  });

  function loadOlder() {
    if (current === null || oldestSeq === null || oldestSeq <= 1) return;
    const channelId = current;
    request({ type: "history", channel_id: channelId, before: oldestSeq, limit: 50 }, (reply) => {
      if (reply.type !== "history" || channelId !== current) return;
      const height = messagesEl.scrollHeight;
      for (const message of reply.messages) showMessage(message);
      messagesEl.scrollTop += messagesEl.scrollHeight - height;
    });
  }

  // Slow mode for moderators of the open channel: one select, sent as the slow_mode command.
  const SLOW_MODE_CHOICES = [[0, strings.slowModeOff], [10, gettext("10 seconds")], [30, gettext("30 seconds")],
                             [60, gettext("1 minute")], [300, gettext("5 minutes")]];
  const slowModeEl = (function () {
    const form = node("form", "chat-slow-mode");
    form.dataset.testid = "slow-mode";
    form.hidden = true;
    const select = node("select");
    select.id = "chat-slow-mode-seconds";
    const label = node("label", "", strings.slowMode);
    label.htmlFor = select.id;
    for (const [seconds, text] of SLOW_MODE_CHOICES) {
      const option = node("option", "", text);
      option.value = String(seconds);
      select.appendChild(option);
    }
    const button = node("button", "small secondary", strings.slowModeSet);
    button.type = "submit";
    const status = node("span", "muted", "");
    status.setAttribute("role", "status");
    form.append(label, select, button, status);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const channelId = current;
      status.textContent = "";
      request({ type: "slow_mode", channel_id: channelId, seconds: Number(select.value) }, (reply) => {
        if (reply.type !== "ack") return showError(reply);
        const channel = channels.get(channelId);
        if (channel) channel.slowMode = reply.slow_mode_seconds;
        if (channelId === current) status.textContent = strings.slowModeSaved;
      });
    });
    el("chat-channel-name").after(form);
    return { form: form, select: select, status: status };
  })();

  function showSlowMode(channel) {
    slowModeEl.form.hidden = !(moderated.has(channel.id) && !channel.closed);
    slowModeEl.select.value = String(channel.slowMode || 0);
    slowModeEl.status.textContent = "";
  }

  // Why the composer is off in this channel (closed match, announcements, one-way DM, a
  // guild the player left or that was disbanded).
  function composerState(channel) {
    if (channel.kind === "guild" && channel.leftReason === "role_changed") return strings.stateOfficersOnly;
    if (channel.kind === "guild" && channel.leftReason === "guild_disbanded") return strings.stateGuildArchived;
    if (channel.kind === "guild" && channel.leftReason) return strings.stateGuildLeft;
    if (channel.kind === "guild" && channel.closed) return strings.stateGuildArchived;
    if (channel.kind === "match" && channel.closed) return strings.stateClosed;
    if (channel.kind === "announcement") return strings.stateReadOnly;
    if (channel.closed) return strings.stateClosed;
    if (channel.canSend === false) return strings.stateCannotSend;
    return "";
  }

  function showComposerState(channel) {
    const note = composerState(channel);
    el("chat-state").textContent = note;
    el("chat-state").hidden = !note;
    inputEl.disabled = Boolean(note);
    sendEl.disabled = Boolean(note);
  }

  function selectChannel(channelId) {
    const channel = channels.get(channelId);
    if (!channel) return;
    if (current !== channelId) {
      // The first unread message of the channel being opened gets a "new messages" line.
      firstUnreadSeq = channel.unread > 0 && channel.lastSeq ? channel.lastSeq - channel.unread + 1 : null;
      el("chat-error").textContent = ""; // errors belong to the channel they happened in
    }
    current = channelId;
    channel.unread = 0;
    el("chat-channel-name").textContent = channel.name;
    el("chat-empty").hidden = true;
    messagesEl.replaceChildren();
    messageNodes.clear();
    oldestSeq = null;
    el("chat-typing").textContent = "";
    renderChannels();
    showComposerState(channel);
    showSlowMode(channel);
    request({ type: "history", channel_id: channelId, limit: 50 }, (reply) => {
      if (reply.type !== "history" || channelId !== current) return;
      for (const message of reply.messages) showMessage(message);
      const newest = reply.messages.length ? reply.messages[reply.messages.length - 1].seq : 0;
      if (channel.lastSeq === null || channel.lastSeq < newest) channel.lastSeq = newest;
      subscribe([channel]);
      const unreadLine = messagesEl.querySelector(".chat-unread-line");
      if (unreadLine) unreadLine.scrollIntoView({ block: "center" });
      else messagesEl.scrollTop = messagesEl.scrollHeight;
      highlightLinked(channelId);
      markRead();
    });
  }

  // A mention notification links to ?channel=<id>&seq=<seq>: that message is scrolled to,
  // highlighted and focused (an older one is fetched with the page before it).
  function highlightLinked(channelId) {
    const url = new URL(window.location.href);
    const seq = Number(url.searchParams.get("seq"));
    if (!seq || Number(url.searchParams.get("channel")) !== channelId) return;
    const found = messagesEl.querySelector('li[data-seq="' + seq + '"]');
    if (found) {
      found.classList.add("chat-highlight");
      found.scrollIntoView({ block: "center" });
      found.focus({ preventScroll: true });
      url.searchParams.delete("seq"); // once: a reload or another channel does not jump back
      window.history.replaceState(window.history.state, "", url);
    } else if (oldestSeq !== null && seq < oldestSeq) {
      request({ type: "history", channel_id: channelId, before: seq + 1, limit: 50 }, (reply) => {
        if (reply.type !== "history" || channelId !== current) return;
        for (const message of reply.messages) showMessage(message);
        if (messagesEl.querySelector('li[data-seq="' + seq + '"]')) highlightLinked(channelId);
      });
    }
  }

  // Each channel has its own address (?channel=<id>): reload and the back button keep it.
  function openChannel(channelId) {
    if (current !== channelId) {
      const url = new URL(window.location.href);
      url.searchParams.set("channel", String(channelId));
      window.history.pushState({ channel: channelId }, "", url);
    }
    selectChannel(channelId);
  }

  function channelFromUrl() {
    const id = Number(new URL(window.location.href).searchParams.get("channel"));
    return channels.has(id) ? id : null;
  }

  window.addEventListener("popstate", () => {
    const id = channelFromUrl();
    if (id !== null) selectChannel(id);
  });

  function subscribe(list) {
    const entries = list.map((channel) => ({
      channel_id: channel.id, last_seq: channel.lastSeq, last_change_seq: channel.lastChangeSeq,
    }));
    if (!entries.length) return;
    for (const channel of list) channel.replaying = true;
    const sent = request({ type: "subscribe", channels: entries }, (reply) => {
      for (const channel of list) channel.replaying = false;
      if (reply.type !== "subscribed") return showError(reply);
      for (const entry of reply.channels) {
        const channel = channels.get(entry.channel_id);
        if (entry.head_change_seq !== undefined) {
          channel.lastChangeSeq = Math.max(channel.lastChangeSeq || 0, entry.head_change_seq);
          if (entry.change_resume === "reload_required" && entry.channel_id === current) selectChannel(current);
        }
        if (channel.lastSeq === null || entry.resume === "history_required") {
          channel.lastSeq = entry.head_seq;
          if (entry.channel_id === current) selectChannel(current);
        }
        if (entry.reactions) channel.reactions = entry.reactions;
      }
    });
    if (!sent) for (const channel of list) channel.replaying = false;
  }

  // --- socket -------------------------------------------------------------------------------
  const handlers = {
    welcome(frame) {
      attempt = 0;
      reactionChoices = (frame.limits && frame.limits.reactions) || [];
      el("chat-status").textContent = strings.online;
      subscribe(Array.from(channels.values()).filter((c) => c.lastSeq !== null));
      if (pendingDirect !== null) {
        const playerId = pendingDirect;
        pendingDirect = null;
        startDirect(playerId, { replace: true });
      } else if (current !== null) {
        selectChannel(current);
      }
    },
    message(frame) { onMessage(frame.channel_id, frame.message); },
    message_updated(frame) {
      if (freshChange(frame.channel_id, frame.message.id, frame.change_seq)) updateMessage(frame.message);
    },
    message_deleted(frame) {
      const entry = freshChange(frame.channel_id, frame.message_id, frame.change_seq);
      if (entry) {
        updateMessage(Object.assign({}, entry.message,
          { is_deleted: true, body: "", attachments: [], change_seq: frame.change_seq }));
      }
    },
    reaction: onReaction,
    channel_updated(frame) {
      const channel = channels.get(frame.channel_id);
      if (!channel) return;
      channel.slowMode = frame.slow_mode_seconds;
      if (frame.channel_id === current) slowModeEl.select.value = String(frame.slow_mode_seconds);
    },
    typing(frame) {
      if (frame.channel_id !== current || frame.player.id === config.player_id) return;
      el("chat-typing").replaceChildren(node("bdi", "", frame.player.display_name), " " + strings.typing);
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => { el("chat-typing").textContent = ""; }, 5000);
    },
    channel_joined(frame) {
      const channel = addChannel(frame.channel);
      channel.lastSeq = 0;
      channel.unread = 0; // the replay from seq 0 counts them
      channel.leftReason = null; // back in a guild (or promoted again) after leaving it
      renderChannels();
      subscribe([channel]);
      if (channel.id === current) showComposerState(channel);
    },
    channel_left(frame) {
      const channel = channels.get(frame.channel_id);
      if (!channel) return;
      channel.closed = true;
      channel.leftReason = frame.reason; // guild_left, role_changed, guild_disbanded (guilds), match_closed
      moderated.delete(channel.id);
      renderChannels();
      if (frame.channel_id === current) { showComposerState(channel); showSlowMode(channel); }
    },
    // The read marker moved on another of this player's tabs or devices.
    read(frame) {
      const channel = channels.get(frame.channel_id);
      if (!channel || channel.lastSeq === null) return;
      channel.unread = Math.max(0, channel.lastSeq - frame.seq);
      if (frame.channel_id !== current) renderChannels();
    },
    sanction(frame) { el("chat-error").textContent = sanctionText(frame); },
  };

  // A UTC timestamp of a frame in the page's language and the player's zone (<html lang>,
  // <html data-time-zone>); the browser's own zone if the page names none it knows.
  function localTime(iso) {
    const page = document.documentElement;
    const options = { dateStyle: "medium", timeStyle: "short" };
    try {
      return new Intl.DateTimeFormat(page.lang || undefined,
        { ...options, timeZone: page.dataset.timeZone || undefined }).format(new Date(iso));
    } catch (error) {
      return new Intl.DateTimeFormat(undefined, options).format(new Date(iso));
    }
  }

  // What a sanction frame tells the player: what holds, until when (their locale), and why.
  function sanctionText(frame) {
    if (frame.status === "lifted") return strings.sanctionLifted;
    const kinds = { ban: strings.sanctionBan, suspension: strings.sanctionSuspension,
                    chat_mute: strings.sanctionMute, warning: strings.sanctionWarning };
    let text = kinds[frame.kind] || strings.sanctionOther;
    if (frame.until) text += " " + interpolate(gettext("Until: %(time)s"), { time: localTime(frame.until) }, true);
    if (frame.reason) text += " — " + frame.reason;
    return text;
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(scheme + "://" + window.location.host + "/ws/", ["community.v1"]);
    socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "hello", version: 1 })));
    socket.addEventListener("message", (event) => {
      const frame = JSON.parse(event.data);
      const callback = frame.id ? pending.get(frame.id) : undefined;
      if (callback) {
        pending.delete(frame.id);
        callback(frame);
      } else if (handlers[frame.type]) {
        handlers[frame.type](frame);
      }
    });
    socket.addEventListener("close", (event) => {
      pending.clear();
      if (event.code === 4008 || event.code === 4009) {
        // Banned or suspended: the sanction frame before the close said why and until when.
        el("chat-status").textContent = strings.sanctionClosed;
        inputEl.disabled = true;
        sendEl.disabled = true;
        return;
      }
      el("chat-status").textContent = strings.offline;
      if (event.code === 4003) return; // refused: stay closed
      // Exponential backoff with full jitter, so a server restart is not a stampede.
      const delay = Math.random() * Math.min(10000, 250 * 2 ** attempt);
      attempt += 1;
      setTimeout(connect, delay);
    });
  }

  // A direct message with another player: the 1:1 channel is opened (or found) over REST.
  async function startDirect(playerId, options) {
    try {
      const response = await fetch("/api/v1/chat/direct-channels", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrf_token },
        body: JSON.stringify({ player_id: playerId }),
      });
      const body = await response.json();
      if (!response.ok) {
        el("chat-error").textContent = body.error ? body.error.message : strings.offline;
        return;
      }
      const channel = addChannel(body);
      if (channel.lastSeq === null && body.last_seq !== undefined) channel.lastSeq = body.last_seq;
      if (options && options.replace) {
        const url = new URL(window.location.href);
        url.searchParams.delete("with");
        url.searchParams.set("channel", String(body.id));
        window.history.replaceState({ channel: body.id }, "", url);
        selectChannel(body.id);
      } else {
        openChannel(body.id);
      }
    } catch (error) {
      el("chat-error").textContent = strings.offline;
    }
  }

  el("chat-composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = inputEl.value;
    if (current === null || !body.trim()) return;
    const clientMsgId = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now());
    const sent = request({ type: "send", channel_id: current, body: body, client_msg_id: clientMsgId }, (reply) => {
      showError(reply);
      if (reply.type === "sent") inputEl.value = "";
    });
    if (!sent) el("chat-error").textContent = strings.offline;
  });
  inputEl.addEventListener("input", () => {
    if (current === null || Date.now() - typingSentAt < 3000) return;
    typingSentAt = Date.now();
    request({ type: "typing", channel_id: current });
  });
  messagesEl.addEventListener("scroll", () => { if (messagesEl.scrollTop === 0) loadOlder(); });
  setInterval(() => request({ type: "ping" }), 30000);

  loadChannels().then(() => {
    // ?with=<player id> (the "Message" buttons on profiles and the friends list): open the
    // direct-message channel once connected.
    const withPlayer = Number(new URL(window.location.href).searchParams.get("with"));
    if (withPlayer) pendingDirect = withPlayer;
    const initial = channelFromUrl();
    if (initial !== null) {
      // Selected for real once the socket says welcome (selectChannel needs it).
      current = initial;
      el("chat-channel-name").textContent = channels.get(initial).name;
      el("chat-empty").hidden = true;
      renderChannels();
    }
    connect();
  });
})();
