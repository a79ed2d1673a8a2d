/* painbot chat widget for any web page:

     <script src="https://PAINBOT-HOST/widget.js" data-lang="sv" data-title="Fråga oss"></script>

   gives a floating chat button and panel; data-mode="inline" puts the chat where the script tag is instead
   (this is what /embed uses). It talks only to the origin it was loaded from, and inserts every piece of
   text with textContent: nothing from the user, the server or the articles is ever parsed as HTML. */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.src) return;
  var ORIGIN = new URL(script.src, document.baseURI).origin;
  var UI_LANG = script.getAttribute("data-lang") || "en";
  var INLINE = script.getAttribute("data-mode") === "inline";
  var TITLE = script.getAttribute("data-title");
  var MAX_HISTORY = 20; // earlier turns sent with each question (the server accepts up to 40)
  var uid = "painbot-" + Math.random().toString(36).slice(2, 8);
  var stringsByLang = {};

  function fetchStrings(lang) {
    if (!stringsByLang[lang]) {
      stringsByLang[lang] = fetch(ORIGIN + "/api/ui/" + encodeURIComponent(lang), { credentials: "omit" })
        .then(function (r) {
          if (!r.ok) throw new Error("no UI strings for " + lang);
          return r.json();
        });
    }
    return stringsByLang[lang];
  }

  /* Create an element with optional class names, attributes and text (always via textContent). */
  function el(tag, className, text, attrs) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  /* Text with line breaks: paragraphs on blank lines, <br> elements on single newlines. */
  function textBlock(className, text) {
    var block = el("div", className);
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

  /* Line by line, as Markdown does: a quote or list may follow a text line without a blank line. */
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

  function safeHttpUrl(value) {
    try {
      var url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function renderCitation(c, s) {
    var li = el("li", "pb-citation");
    var head = el("p", "pb-cite-head");
    head.appendChild(el("strong", null, "[" + c.n + "] " + c.title));
    var meta = [c.publisher, c.section ? s.section + ": " + c.section : ""].filter(Boolean).join(" · ");
    if (meta) {
      head.appendChild(el("br"));
      head.appendChild(el("span", "pb-cite-meta", meta));
    }
    li.appendChild(head);
    li.appendChild(textBlock("pb-quote", c.text));
    var href = safeHttpUrl(c.source);
    if (href) {
      var p = el("p");
      p.appendChild(el("a", "pb-source-link", s.open_source, { href: href, target: "_blank", rel: "noopener noreferrer" }));
      li.appendChild(p);
    } else if (c.source && c.source !== c.publisher) {
      li.appendChild(el("p", "pb-source-name", c.source));
    }
    return li;
  }

  function renderEmergency(flag, s) {
    var box = el("div", "pb-emergency pb-level-" + (flag.level === "urgent" ? "urgent" : "emergency"));
    box.appendChild(el("p", "pb-emergency-title", flag.level === "urgent" ? s.urgent_title : s.emergency_title));
    var list = el("ul", "pb-numbers");
    (flag.numbers || []).forEach(function (phone) {
      var li = el("li");
      var dial = String(phone.number).replace(/[^0-9+]/g, "");
      li.appendChild(dial ? el("a", "pb-number", phone.number, { href: "tel:" + dial }) : el("span", "pb-number", phone.number));
      li.appendChild(el("span", "pb-number-label", phone.label));
      list.appendChild(li);
    });
    if (list.childNodes.length) box.appendChild(list);
    return box;
  }

  /* One reply; labels in the reply's language so the message reads as one piece. */
  function renderReply(reply, s) {
    var msg = el("div", "pb-msg pb-bot pb-kind-" + String(reply.kind).replace(/[^a-z_]/g, ""));
    if (reply.kind === "redflag" && reply.red_flag) msg.appendChild(renderEmergency(reply.red_flag, s));
    else if (reply.kind === "out_of_scope" || reply.kind === "invalid") {
      msg.appendChild(el("p", "pb-badge pb-" + reply.kind.replace("_", "-"), s[reply.kind]));
    }
    msg.appendChild(markdownBlock("pb-text", reply.text));
    if (reply.citations && reply.citations.length) {
      var details = el("details", "pb-sources");
      details.appendChild(el("summary", null, s.sources + " (" + reply.citations.length + ")"));
      var list = el("ol", "pb-citations");
      reply.citations.forEach(function (c) { list.appendChild(renderCitation(c, s)); });
      details.appendChild(list);
      msg.appendChild(details);
    }
    msg.appendChild(el("p", "pb-lang", s.detected_language.replace("{language}", s.language_name)));
    return msg;
  }

  function announcement(reply, s) {
    var parts = [s.assistant + ":"];
    if (reply.kind === "redflag" && reply.red_flag) {
      parts.push(reply.red_flag.level === "urgent" ? s.urgent_title : s.emergency_title);
      (reply.red_flag.numbers || []).forEach(function (p) { parts.push(p.number + " " + p.label); });
    } else if (reply.kind === "out_of_scope" || reply.kind === "invalid") {
      parts.push(s[reply.kind]);
    }
    parts.push(reply.text);
    return parts.join(" ");
  }

  function build(ui) {
    var s = ui.strings;
    var host = el("div", INLINE ? "pb-inline" : "pb-floating", null, { id: uid });
    var root = host.attachShadow({ mode: "open" });
    root.appendChild(el("link", null, null, { rel: "stylesheet", href: ORIGIN + "/widget.css" }));
    var history = [];
    var busy = false;

    var launcher = null;
    if (!INLINE) {
      launcher = el("button", "pb-launcher", null, {
        type: "button", "aria-label": s.open_chat, "aria-expanded": "false", "aria-controls": uid + "-panel",
      });
      launcher.appendChild(el("span", "pb-launcher-icon", "?", { "aria-hidden": "true" }));
      root.appendChild(launcher);
    }

    var panel = el("div", "pb-panel", null, {
      id: uid + "-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": uid + "-title", lang: ui.lang,
    });
    if (!INLINE) panel.hidden = true;
    var header = el("div", "pb-header");
    header.appendChild(el("h2", "pb-title", TITLE || s.widget_title, { id: uid + "-title" }));
    var closer = null;
    if (!INLINE) {
      closer = el("button", "pb-close", "×", { type: "button", "aria-label": s.close_chat });
      header.appendChild(closer);
    }
    panel.appendChild(header);

    var log = el("div", "pb-log", null, { "aria-label": TITLE || s.widget_title, tabindex: "0" });
    panel.appendChild(log);
    var live = el("div", "pb-sr-only", null, { "aria-live": "polite", "aria-atomic": "true" });
    panel.appendChild(live);

    var form = el("form", "pb-form");
    var input = el("textarea", "pb-input", null, {
      rows: "2", maxlength: String(ui.max_message_chars), placeholder: s.input_placeholder, "aria-label": s.input_label,
    });
    var send = el("button", "pb-send", s.send, { type: "submit" });
    form.appendChild(input);
    form.appendChild(send);
    panel.appendChild(form);
    panel.appendChild(el("p", "pb-disclaimer", s.disclaimer));
    root.appendChild(panel);

    function scrollDown() { log.scrollTop = log.scrollHeight; }

    function addNotice(text, className) {
      var node = el("p", "pb-msg " + className, text);
      log.appendChild(node);
      scrollDown();
      return node;
    }

    function open() {
      panel.hidden = false;
      launcher.setAttribute("aria-expanded", "true");
      launcher.setAttribute("aria-label", s.close_chat);
      input.focus();
    }

    function close() {
      panel.hidden = true;
      launcher.setAttribute("aria-expanded", "false");
      launcher.setAttribute("aria-label", s.open_chat);
      launcher.focus();
    }

    async function ask(message) {
      busy = true;
      send.disabled = true;
      log.setAttribute("aria-busy", "true");
      var user = el("div", "pb-msg pb-user");
      user.appendChild(el("span", "pb-sr-only", s.you + ": "));
      user.appendChild(textBlock("pb-text", message));
      log.appendChild(user);
      var waiting = addNotice(s.thinking, "pb-thinking");
      try {
        var response = await fetch(ORIGIN + "/api/chat", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ message: message, history: history.slice(-MAX_HISTORY) }),
          credentials: "omit",
        });
        waiting.remove();
        if (response.status === 429) {
          var seconds = response.headers.get("Retry-After") || "60";
          live.textContent = addNotice(s.rate_limited.replace("{seconds}", seconds), "pb-error").textContent;
          return;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        var reply = await response.json();
        var rs = await fetchStrings(reply.language).then(function (r) { return r.strings; }, function () { return s; });
        var shown = log.appendChild(renderReply(reply, rs));
        log.scrollTop = shown.offsetTop - 8; // a long reply is read from its start
        live.textContent = announcement(reply, rs);
        history.push({ role: "user", content: message }, { role: "assistant", content: reply.text });
      } catch (e) {
        waiting.remove();
        live.textContent = addNotice(s.error, "pb-error").textContent;
      } finally {
        busy = false;
        send.disabled = false;
        log.removeAttribute("aria-busy");
      }
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var message = input.value;
      if (busy || !message.trim()) return;
      input.value = "";
      ask(message);
      input.focus();
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
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

    if (INLINE) script.parentNode.insertBefore(host, script.nextSibling);
    else document.body.appendChild(host);
  }

  function start() {
    fetchStrings(UI_LANG)
      .catch(function () { return fetchStrings("en"); })
      .then(build)
      .catch(function (e) { console.warn("painbot widget could not start:", e); });
  }

  if (INLINE || document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
