/* The Gradio chat page's own behaviour, which Gradio has no setting for:
   - <html lang> follows the UI language, each reply carries its own language;
   - a new reply is shown from its start, an emergency with its numbers at the top of the screen;
   - one polite live region announces each new reply once, as plain text (no Markdown marks);
   - message aria-labels hold plain text, not the message's HTML. */
(function () {
  "use strict";

  var ANNOUNCE_CHARS = 300;
  var botCount = 0;
  var live = null;

  function liveRegion() {
    if (!live) {
      live = document.createElement("div");
      live.id = "pb-live";
      live.className = "pb-sr-only";
      live.setAttribute("aria-live", "polite");
      live.setAttribute("aria-atomic", "true");
      document.body.appendChild(live);
    }
    return live;
  }

  /* A short plain-text version of a reply: what a screen reader says once when it arrives. */
  function announcement(node) {
    var copy = node.cloneNode(true);
    copy.querySelectorAll(".pb-sources, .pb-lang, .pb-lang-mark, button, svg").forEach(function (e) { e.remove(); });
    copy.querySelectorAll("p, li, div, blockquote, h1, h2, h3").forEach(function (e) { e.append(" "); });
    var text = copy.textContent.replace(/\s+/g, " ").trim();
    if (text.length <= ANNOUNCE_CHARS) return text;
    var cut = text.lastIndexOf(" ", ANNOUNCE_CHARS);
    return text.slice(0, cut > 0 ? cut : ANNOUNCE_CHARS) + " …";
  }

  function messageOf(mark) {
    return mark.closest("[data-testid='bot']") || mark.closest(".message") || mark.parentElement;
  }

  function update() {
    var header = document.querySelector("#pb-header [lang]");
    if (header && document.documentElement.lang !== header.getAttribute("lang")) {
      document.documentElement.lang = header.getAttribute("lang");
    }
    var marks = document.querySelectorAll("#pb-chat .pb-lang-mark");
    marks.forEach(function (mark) {
      var msg = messageOf(mark);
      var lang = mark.getAttribute("lang");
      if (lang && msg.getAttribute("lang") !== lang) msg.setAttribute("lang", lang);
    });
    // Gradio's message list is a live log that reads every message whole, Markdown marks and all: ours speaks.
    document.querySelectorAll("#pb-chat [aria-live]:not([aria-live=off])").forEach(function (e) {
      e.setAttribute("aria-live", "off");
    });
    document.querySelectorAll("#pb-chat [aria-label]").forEach(function (e) {
      var label = e.getAttribute("aria-label");
      if (label.indexOf("<") === -1) return;
      e.setAttribute("aria-label", label.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim());
    });
    if (marks.length > botCount) {
      var newest = messageOf(marks[marks.length - 1]);
      var emergency = newest.querySelector(".pb-emergency");
      (emergency || newest).scrollIntoView({ block: emergency ? "start" : "nearest" });
      liveRegion().textContent = announcement(newest);
    }
    botCount = marks.length;
  }

  var scheduled = false;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(function () {
      scheduled = false;
      update();
    });
  }

  function start() {
    new MutationObserver(schedule).observe(document.body, { childList: true, subtree: true, characterData: true });
    schedule();
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
