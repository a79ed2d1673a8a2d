/* painbot chat widget for any web page:

     <script src="https://PAINBOT-HOST/widget.js" defer></script>

   gives a floating chat button and panel. Optional attributes: data-lang (UI language; else the browser's),
   data-country (SE, DK, NO: whose emergency numbers), data-title, data-server (the painbot address when this
   file is served from the clinic's own site), data-mode="inline" (the chat where the script tag is; /embed).
   Every piece of text is inserted with textContent: nothing from the user, the server or the articles is ever
   parsed as HTML. The conversation lives in sessionStorage: it follows the visitor across the clinic's pages
   and is gone when the tab closes; "start over" forgets it (and with it a kept escalation). */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.src) return;
  var BUILTIN = typeof PAINBOT_BUILTIN === "object" ? PAINBOT_BUILTIN : {};
  var ORIGIN = new URL(script.getAttribute("data-server") || script.src, document.baseURI).origin;
  var INLINE = script.getAttribute("data-mode") === "inline";
  var TITLE = script.getAttribute("data-title");
  var COUNTRY = (script.getAttribute("data-country") || "").toUpperCase();
  var MAX_HISTORY = 20; // earlier turns sent with each question (the server accepts up to 40)
  var TIMEOUT_S = 15;
  var STORE_KEY = "painbot:" + ORIGIN + (INLINE ? ":inline" : ":floating");
  var uid = "painbot-" + Math.random().toString(36).slice(2, 8);
  var configs = {};

  function preferredLanguages() {
    return (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"])
      .join(",");
  }

  function fetchConfig(lang) {
    var key = lang || "";
    if (!configs[key]) {
      var query = "?lang=" + encodeURIComponent(lang || "") + "&prefer=" + encodeURIComponent(preferredLanguages()) +
        "&country=" + encodeURIComponent(COUNTRY);
      configs[key] = fetch(ORIGIN + "/api/widget" + query, { credentials: "omit" }).then(function (r) {
        if (!r.ok) throw new Error("painbot: no configuration (" + r.status + ")");
        return r.json();
      });
      configs[key].catch(function () { delete configs[key]; });
    }
    return configs[key];
  }

  /* sessionStorage, which a privacy setting may forbid: then the chat simply forgets on reload. */
  var store = {
    load: function () {
      try { return JSON.parse(window.sessionStorage.getItem(STORE_KEY) || "null"); } catch (e) { return null; }
    },
    save: function (state) {
      try { window.sessionStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* not kept */ }
    },
    clear: function () {
      try { window.sessionStorage.removeItem(STORE_KEY); } catch (e) { /* nothing kept */ }
    },
  };

  /* Create an element with optional class names, attributes and text (always via textContent). */
  function el(tag, className, text, attrs) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function textBlock(className, text, lang) {
    var block = el("div", className, null, lang ? { lang: lang } : null);
    String(text).split(/\n\s*\n/).forEach(function (para) {
      var p = el("p");
      para.split("\n").forEach(function (line, i) {
        if (i) p.appendChild(el("br"));
        p.appendChild(document.createTextNode(line));
      });
      block.appendChild(p);
    });
    return block;
  }

  /* The reply text's small Markdown subset, built as elements: "> " quote lines, **bold**, _emphasis_ lines. */
  function inlineMarkdown(parent, line) {
    var whole = /^_(.+)_$/.exec(line);
    if (whole) {
      parent.appendChild(el("em", null, whole[1]));
      return;
    }
    line.split(/\*\*(.+?)\*\*/).forEach(function (piece, i) {
      if (piece) parent.appendChild(i % 2 ? el("strong", null, piece) : document.createTextNode(piece));
    });
  }

  var LINE_KINDS = [["blockquote", /^>\s?/], ["ul", /^[-*]\s+/]];

  function markdownBlock(className, text) {
    var block = el("div", className);
    var current = null;
    var currentKind = null;
    String(text).split("\n").forEach(function (line) {
      if (!line.trim()) {
        current = currentKind = null;
        return;
      }
      var kind = "p";
      var content = line;
      LINE_KINDS.forEach(function (k) {
        if (kind === "p" && k[1].test(line)) {
          kind = k[0];
          content = line.replace(k[1], "");
        }
      });
      if (kind !== currentKind) {
        current = el(kind, kind === "blockquote" ? "pb-quote" : null);
        currentKind = kind;
        block.appendChild(current);
      } else if (kind !== "ul") {
        current.appendChild(el("br"));
      }
      var target = kind === "ul" ? current.appendChild(el("li")) : current;
      inlineMarkdown(target, content);
    });
    return block;
  }

  /* The same text as the screen shows, without Markdown marks, for the live region. */
  function plainText(text) {
    return String(text).replace(/\*\*(.+?)\*\*/g, "$1").replace(/^>\s?/gm, "").replace(/^_(.+)_$/gm, "$1")
      .replace(/^[-*]\s+/gm, "").replace(/\s+/g, " ").trim();
  }

  function safeHttpUrl(value) {
    try {
      var url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function dialable(number) { return String(number).replace(/[^0-9+]/g, ""); }

  function numberList(numbers) {
    var list = el("ul", "pb-numbers");
    (numbers || []).forEach(function (phone) {
      var li = el("li");
      var dial = dialable(phone.number);
      li.appendChild(dial ? el("a", "pb-number", phone.number, { href: "tel:" + dial })
        : el("span", "pb-number", phone.number));
      li.appendChild(el("span", "pb-number-label", phone.label));
      list.appendChild(li);
    });
    return list;
  }

  function sourceViewHref(c, quotes) {
    var params = new URLSearchParams();
    var units = quotes.map(function (q) { return q.unit_id; }).filter(Boolean).join(" ");
    if (units) params.set("unit", units);
    params.set("q", quotes.length ? quotes.map(function (q) { return q.original || q.text; }).join(" ") : c.text);
    return ORIGIN + "/source/" + encodeURIComponent(c.doc_id) + "?" + params.toString();
  }

  function renderQuote(parent, q, s, names) {
    parent.appendChild(textBlock("pb-quote", q.text, q.language));
    if (!(q.translated_from && q.original)) return;
    var name = names[q.translated_from] || q.translated_from;
    parent.appendChild(el("p", "pb-translated", s.translated_from.replace("{language}", name)));
    var details = el("details", "pb-original");
    details.appendChild(el("summary", null, s.show_original));
    details.appendChild(textBlock("pb-quote", q.original, q.translated_from));
    parent.appendChild(details);
  }

  function renderCitation(c, quotes, s, names) {
    var li = el("li", "pb-citation");
    var head = el("p", "pb-cite-head");
    head.appendChild(el("strong", null, "[" + c.n + "] " + c.title));
    var meta = [c.publisher, c.section ? s.section + ": " + c.section : ""].filter(Boolean).join(" · ");
    if (meta) {
      head.appendChild(el("br"));
      head.appendChild(el("span", "pb-cite-meta", meta));
    }
    li.appendChild(head);
    if (quotes.length) quotes.forEach(function (q) { renderQuote(li, q, s, names); });
    else li.appendChild(textBlock("pb-quote", c.text, c.language));
    var links = el("p", "pb-cite-links");
    links.appendChild(el("a", "pb-source-view", s.source_view, {
      href: sourceViewHref(c, quotes), target: "_blank", rel: "noopener",
    }));
    var href = safeHttpUrl(c.source);
    if (href) {
      links.appendChild(document.createTextNode(" · "));
      links.appendChild(el("a", "pb-source-link", s.open_source, { href: href, target: "_blank", rel: "noopener noreferrer" }));
    }
    li.appendChild(links);
    return li;
  }

  function renderEmergency(flag, s) {
    var box = el("div", "pb-emergency pb-level-" + (flag.level === "urgent" ? "urgent" : "emergency"), null,
      { role: "alert" });
    box.appendChild(el("p", "pb-emergency-title", flag.level === "urgent" ? s.urgent_title : s.emergency_title));
    if ((flag.numbers || []).length) box.appendChild(numberList(flag.numbers));
    return box;
  }

  function announcement(reply, s) {
    var parts = [s.assistant + ":"];
    if (reply.kind === "redflag" && reply.red_flag) {
      parts.push(reply.red_flag.level === "urgent" ? s.urgent_title : s.emergency_title);
      (reply.red_flag.numbers || []).forEach(function (p) { parts.push(p.number + " " + p.label); });
    } else if (reply.kind === "out_of_scope" || reply.kind === "invalid") {
      parts.push(s[reply.kind]);
    }
    parts.push(plainText(reply.text));
    return parts.join(" ");
  }

  /* The chat could not start (server down, origin refused): a visible button that says so, with the number. */
  function buildUnavailable(lang) {
    var b = BUILTIN[lang] || BUILTIN.en;
    if (!b) return;
    var host = el("div", INLINE ? "pb-inline" : "pb-floating", null, { id: uid });
    var root = host.attachShadow({ mode: "open" });
    root.appendChild(el("link", null, null, { rel: "stylesheet", href: ORIGIN + "/widget.css" }));
    if (!INLINE) root.appendChild(el("style", null, FALLBACK_CSS));
    var note = el("div", "pb-unavailable-note", null, { id: uid + "-note", lang: lang, role: "status" });
    note.appendChild(el("p", "pb-unavailable-title", b.unavailable));
    note.appendChild(el("p", null, b.error_emergency));
    note.appendChild(numberList(b.numbers));
    if (INLINE) {
      root.appendChild(note);
    } else {
      var launcher = el("button", "pb-launcher pb-launcher-unavailable", null, {
        type: "button", "aria-expanded": "false", "aria-controls": uid + "-note", lang: lang,
      });
      launcher.appendChild(el("span", "pb-launcher-icon", "!", { "aria-hidden": "true" }));
      launcher.appendChild(el("span", "pb-sr-only", b.unavailable));
      note.hidden = true;
      note.classList.add("pb-unavailable-floating");
      launcher.addEventListener("click", function () {
        note.hidden = !note.hidden;
        launcher.setAttribute("aria-expanded", String(!note.hidden));
      });
      root.appendChild(launcher);
      root.appendChild(note);
    }
    place(host);
  }

  /* Minimal look for the unavailable state even when widget.css cannot be loaded either. */
  var FALLBACK_CSS = ":host{all:initial;font:16px/1.45 system-ui,sans-serif;color:#1c1c1c}" +
    ".pb-launcher{position:fixed;right:20px;bottom:20px;width:60px;height:60px;border-radius:50%;border:none;" +
    "background:#5c5c5c;color:#fff;font-size:28px;z-index:2147483000}" +
    ".pb-unavailable-floating{position:fixed;right:20px;bottom:92px;max-width:320px;z-index:2147483000}" +
    ".pb-unavailable-note{background:#fff;border:2px solid #b00020;border-radius:8px;padding:10px 12px}" +
    ".pb-numbers{list-style:none;padding:0;margin:0}.pb-number{font-weight:800;font-size:1.3em;color:#5c0011}" +
    ".pb-number-label{margin-left:8px}.pb-sr-only{position:absolute;width:1px;height:1px;overflow:hidden;" +
    "clip:rect(0,0,0,0);white-space:nowrap}[hidden]{display:none!important}";

  function place(host) {
    if (INLINE) script.parentNode.insertBefore(host, script.nextSibling);
    else document.body.appendChild(host);
  }

  function build(config) {
    var s = config.strings;
    var clinic = config.clinic || {};
    var host = el("div", INLINE ? "pb-inline" : "pb-floating", null, { id: uid });
    var root = host.attachShadow({ mode: "open" });
    root.appendChild(el("link", null, null, { rel: "stylesheet", href: ORIGIN + "/widget.css" }));
    if (clinic.color) host.style.setProperty("--pb-brand", clinic.color);
    var state = store.load() || {};
    state.lang = config.lang;
    state.turns = state.turns || [];
    var busy = false;
    var title = TITLE || (clinic.name ? s.widget_title.replace("painbot", clinic.name) : s.widget_title);

    var launcher = null;
    if (!INLINE) {
      launcher = el("button", "pb-launcher", null, {
        type: "button", "aria-label": s.open_chat, "aria-expanded": "false", "aria-controls": uid + "-panel",
        lang: config.lang,
      });
      launcher.appendChild(el("span", "pb-launcher-icon", "?", { "aria-hidden": "true" }));
      root.appendChild(launcher);
    }

    var panel = el("div", "pb-panel", null, {
      id: uid + "-panel", role: INLINE ? "region" : "dialog", "aria-labelledby": uid + "-title", lang: config.lang,
    });
    if (!INLINE) panel.setAttribute("aria-modal", "false");
    if (!INLINE) panel.hidden = !state.open;
    var header = el("div", "pb-header");
    header.appendChild(el("h2", "pb-title", title, { id: uid + "-title" }));
    var tools = el("div", "pb-tools");
    var picker = el("select", "pb-lang-select", null, { "aria-label": s.ui_language_label });
    config.languages.forEach(function (l) {
      var option = el("option", null, l.name, { value: l.code, lang: l.code });
      if (l.code === config.lang) option.selected = true;
      picker.appendChild(option);
    });
    tools.appendChild(picker);
    var restart = el("button", "pb-restart", s.start_over, { type: "button" });
    tools.appendChild(restart);
    var closer = null;
    if (!INLINE) {
      closer = el("button", "pb-close", "×", { type: "button", "aria-label": s.close_chat });
      tools.appendChild(closer);
    }
    header.appendChild(tools);
    panel.appendChild(header);
    panel.appendChild(el("p", "pb-disclaimer", s.disclaimer));

    var pinned = el("div", "pb-pinned", null, { hidden: "" });
    panel.appendChild(pinned);

    var log = el("div", "pb-log", null, { role: "log", "aria-label": title, tabindex: "0" });
    panel.appendChild(log);
    var live = el("div", "pb-sr-only", null, { "aria-live": "polite", "aria-atomic": "true" });
    panel.appendChild(live);

    var form = el("form", "pb-form");
    var input = el("textarea", "pb-input", null, {
      rows: "2", maxlength: String(config.max_message_chars), placeholder: s.input_placeholder,
      "aria-label": s.input_label,
    });
    var send = el("button", "pb-send", s.send, { type: "submit" });
    form.appendChild(input);
    form.appendChild(send);
    panel.appendChild(form);
    root.appendChild(panel);

    function save() {
      state.turns = state.turns.slice(-MAX_HISTORY);
      store.save(state);
    }

    function welcome() {
      var box = el("div", "pb-msg pb-bot pb-welcome");
      box.appendChild(el("p", "pb-welcome-title", s.welcome_title));
      box.appendChild(el("p", null, s.welcome_body));
      box.appendChild(el("p", null, s.welcome_numbers));
      box.appendChild(numberList(config.numbers));
      box.appendChild(el("p", null, s.welcome_examples));
      var examples = el("div", "pb-examples");
      s.examples.forEach(function (q) {
        var b = el("button", "pb-example", q, { type: "button" });
        b.addEventListener("click", function () { submit(q); });
        examples.appendChild(b);
      });
      box.appendChild(examples);
      log.appendChild(box);
    }

    function pin(reply, rs) {
      pinned.textContent = "";
      var flag = reply.red_flag;
      var main = (flag.numbers || [])[0];
      pinned.className = "pb-pinned pb-level-" + (flag.level === "urgent" ? "urgent" : "emergency");
      pinned.appendChild(el("p", "pb-pinned-title", flag.level === "urgent" ? rs.urgent_title : rs.emergency_title));
      if (main) pinned.appendChild(numberList([main]));
      var hide = el("button", "pb-dismiss", rs.dismiss, { type: "button" });
      hide.addEventListener("click", function () {
        pinned.hidden = true;
        input.focus();
      });
      pinned.appendChild(hide);
      pinned.hidden = false;
    }

    function userBubble(message) {
      var user = el("div", "pb-msg pb-user");
      user.appendChild(el("span", "pb-sr-only", s.you + ": "));
      user.appendChild(textBlock("pb-text", message));
      return log.appendChild(user);
    }

    function feedbackButtons(turn) {
      var row = el("div", "pb-vote");
      [["up", "👍", s.feedback_up], ["down", "👎", s.feedback_down]].forEach(function (v) {
        var b = el("button", "pb-vote-" + v[0], v[1], { type: "button", "aria-label": v[2], "aria-pressed": "false" });
        b.addEventListener("click", function () {
          var doc_ids = (turn.reply.citations || []).map(function (c) { return c.doc_id; });
          fetch(ORIGIN + "/api/feedback", {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ message: turn.message, kind: turn.reply.kind, doc_ids: doc_ids, vote: v[0] }),
            credentials: "omit",
          }).then(function (r) {
            if (!r.ok) throw new Error("HTTP " + r.status);
            row.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
            b.setAttribute("aria-pressed", "true");
            live.textContent = s.feedback_thanks;
            row.appendChild(el("span", "pb-vote-thanks", s.feedback_thanks));
          }).catch(function () { live.textContent = s.error; });
        });
        row.appendChild(b);
      });
      return row;
    }

    function showReply(turn, rs) {
      var reply = turn.reply;
      var msg = el("div", "pb-msg pb-bot pb-kind-" + String(reply.kind).replace(/[^a-z_]/g, ""), null,
        { lang: reply.language });
      if (reply.kind === "redflag" && reply.red_flag) msg.appendChild(renderEmergency(reply.red_flag, rs));
      else if (reply.kind === "out_of_scope" || reply.kind === "invalid") {
        msg.appendChild(el("p", "pb-badge pb-" + reply.kind.replace("_", "-"), rs[reply.kind]));
      }
      msg.appendChild(markdownBlock("pb-text", reply.text));
      if (reply.citations && reply.citations.length) {
        var details = el("details", "pb-sources");
        details.appendChild(el("summary", null, rs.sources + " (" + reply.citations.length + ")"));
        var list = el("ol", "pb-citations");
        reply.citations.forEach(function (c) {
          var quotes = (reply.quotes || []).filter(function (q) { return q.n === c.n; });
          list.appendChild(renderCitation(c, quotes, rs, config.names || {}));
        });
        details.appendChild(list);
        msg.appendChild(details);
      }
      if (reply.kind === "answer" && clinic.link_url && clinic.link_label) {
        var p = el("p", "pb-clinic-link");
        p.appendChild(el("a", null, clinic.link_label, { href: clinic.link_url, target: "_top", lang: config.lang }));
        msg.appendChild(p);
      }
      msg.appendChild(el("p", "pb-lang", rs.detected_language.replace("{language}", rs.language_name)));
      msg.appendChild(feedbackButtons(turn));
      return log.appendChild(msg);
    }

    function stringsFor(lang) {
      if (lang === config.lang) return Promise.resolve(s);
      return fetchConfig(lang).then(function (c) { return c.strings; }, function () { return s; });
    }

    function redraw() {
      log.textContent = "";
      pinned.hidden = true;
      welcome();
      return state.turns.reduce(function (done, turn) {
        return done.then(function () {
          userBubble(turn.message);
          return stringsFor(turn.reply.language).then(function (rs) { showReply(turn, rs); });
        });
      }, Promise.resolve()).then(function () { log.scrollTop = log.scrollHeight; });
    }

    function failure(message, text) {
      var box = el("div", "pb-msg pb-error", null, { role: "alert" });
      box.appendChild(el("p", null, text));
      box.appendChild(el("p", null, s.error_emergency));
      box.appendChild(numberList(config.numbers.slice(0, 1)));
      var retry = el("button", "pb-retry", s.try_again, { type: "button" });
      retry.addEventListener("click", function () {
        box.remove();
        if (input.value === message) input.value = "";
        submit(message);
      });
      box.appendChild(retry);
      log.appendChild(box);
      box.scrollIntoView({ block: "nearest" });
      if (!input.value.trim()) input.value = message; // the typed question is kept, ready to send again
      return box;
    }

    async function ask(message) {
      busy = true;
      send.disabled = true;
      log.setAttribute("aria-busy", "true");
      var bubble = userBubble(message);
      var waiting = log.appendChild(el("p", "pb-msg pb-thinking", s.thinking));
      log.scrollTop = log.scrollHeight;
      var controller = new AbortController();
      var timer = setTimeout(function () { controller.abort(); }, TIMEOUT_S * 1000);
      var history = [];
      state.turns.forEach(function (t) {
        history.push({ role: "user", content: t.message }, { role: "assistant", content: t.reply.text });
      });
      try {
        var body = { message: message, history: history.slice(-MAX_HISTORY) };
        if (config.country) body.country = config.country;
        var response = await fetch(ORIGIN + "/api/chat", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
          credentials: "omit",
          signal: controller.signal,
        });
        if (response.status === 429) {
          var seconds = response.headers.get("Retry-After") || "60";
          throw { shown: s.rate_limited.replace("{seconds}", seconds) };
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        var reply = await response.json();
        var rs = await stringsFor(reply.language);
        waiting.remove();
        var turn = { message: message, reply: reply };
        state.turns.push(turn);
        save();
        var shown = showReply(turn, rs);
        if (reply.kind === "redflag" && reply.red_flag) pin(reply, rs);
        log.scrollTop = shown.offsetTop - 8; // a reply is read from its start: an emergency's numbers first
        live.textContent = announcement(reply, rs);
      } catch (e) {
        waiting.remove();
        bubble.remove();
        var text = e && e.shown ? e.shown : e && e.name === "AbortError"
          ? s.timeout.replace("{seconds}", String(TIMEOUT_S)) : s.error;
        var box = failure(message, text);
        live.textContent = box.textContent;
      } finally {
        clearTimeout(timer);
        busy = false;
        send.disabled = false;
        log.removeAttribute("aria-busy");
      }
    }

    function submit(message) {
      if (busy || !message.trim()) return;
      if (input.value === message) input.value = "";
      ask(message);
      input.focus();
    }

    function open() {
      panel.hidden = false;
      launcher.setAttribute("aria-expanded", "true");
      launcher.setAttribute("aria-label", s.close_chat);
      state.open = true;
      save();
      input.focus();
    }

    function close() {
      panel.hidden = true;
      launcher.setAttribute("aria-expanded", "false");
      launcher.setAttribute("aria-label", s.open_chat);
      state.open = false;
      save();
      launcher.focus();
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit(input.value);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    restart.addEventListener("click", function () {
      state = { lang: config.lang, turns: [], open: state.open };
      store.clear();
      if (state.open) save();
      redraw();
      input.value = "";
      input.focus();
    });
    picker.addEventListener("change", function () {
      fetchConfig(picker.value).then(function (next) {
        state.lang = next.lang;
        save();
        host.remove();
        build(next);
      });
    });
    if (launcher) {
      launcher.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
      closer.addEventListener("click", close);
      panel.addEventListener("keydown", function (event) {
        if (event.key === "Escape") {
          event.stopPropagation();
          close();
        }
      });
    }
    redraw();
    place(host);
    if (launcher && !panel.hidden) launcher.setAttribute("aria-expanded", "true");
  }

  function start() {
    var stored = store.load();
    var asked = (stored && stored.lang) || script.getAttribute("data-lang") || "";
    fetchConfig(asked)
      .then(build)
      .catch(function (e) {
        console.warn("painbot widget could not start:", e);
        var wanted = (asked || preferredLanguages()).split(",")[0].toLowerCase().split("-")[0];
        buildUnavailable(wanted === "no" || wanted === "nn" ? "nb" : wanted);
      });
  }

  if (INLINE || document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
