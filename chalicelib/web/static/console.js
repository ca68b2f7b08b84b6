/* The staff console's script. Nothing depends on it: every page works with plain links and posts.
   With it: a warning a few minutes before the session ends; the dashboard's figures kept up to date
   (with a pause button); an action opened from the address's #fragment; a row of a list opens its
   complaint when clicked anywhere (its link stays the way in for the keyboard). It runs under the pages' Content-Security-Policy: no inline code, no eval. */
(function () {
  "use strict";

  var WARN_BEFORE_MS = 5 * 60 * 1000;

  function sessionWarning() {
    var ends = document.getElementById("session-ends");
    var at = ends && Date.parse(ends.dataset.expiresAt);
    if (!ends || !at || !ends.dataset.ending) {
      return;
    }
    var wait = at - WARN_BEFORE_MS - Date.now();
    window.setTimeout(function () {
      var warning = document.createElement("p");
      warning.className = "session-warning";
      warning.id = "session-warning";
      warning.setAttribute("role", "alert");
      warning.textContent = ends.dataset.ending;
      var main = document.getElementById("main");
      main.insertBefore(warning, main.firstChild);
    }, Math.max(0, wait));
  }

  function openFromHash() {
    var id = window.location.hash.slice(1);
    var target = id && document.getElementById(id);
    var details = target && target.closest("details");
    if (details) {
      details.open = true;
    }
  }

  function clickableRows() {
    document.querySelectorAll("tr[data-code]").forEach(function (row) {
      var link = row.querySelector("a[href]");
      if (!link) {
        return;
      }
      row.addEventListener("click", function (event) {
        if (event.target.closest("a, button, input, select, textarea") || window.getSelection().toString()) {
          return;
        }
        window.location.assign(link.href);
      });
    });
  }

  /* The dashboard asks for itself again every few seconds and swaps in its figures, unless paused
     or hidden; focus and scrolling stay where they are. A session that has ended stops it. */
  function liveDashboard() {
    var board = document.getElementById("dashboard-board");
    var pause = document.getElementById("dashboard-pause");
    var seconds = board && Number(board.dataset.refresh);
    if (!board || !seconds || !window.fetch || !window.DOMParser) {
      return;
    }
    var paused = false;
    if (pause) {
      pause.hidden = false;
      pause.addEventListener("click", function () {
        paused = !paused;
        pause.setAttribute("aria-pressed", String(paused));
        pause.textContent = paused ? pause.dataset.resume : pause.dataset.pause;
      });
    }
    var timer = window.setInterval(function () {
      if (paused || document.visibilityState !== "visible") {
        return;
      }
      window.fetch(window.location.href, { credentials: "same-origin", redirect: "manual" }).then(function (response) {
        if (!response.ok) {
          window.clearInterval(timer);
          return null;
        }
        return response.text();
      }).then(function (html) {
        if (!html) {
          return;
        }
        var fresh = new window.DOMParser().parseFromString(html, "text/html").getElementById("dashboard-board");
        if (fresh) {
          board.replaceChildren.apply(board, Array.from(fresh.childNodes).map(function (node) {
            return document.importNode(node, true);
          }));
          clickableRows();
        }
      }, function () {
        window.clearInterval(timer);
      });
    }, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    sessionWarning();
    liveDashboard();
    openFromHash();
    clickableRows();
    var done = document.getElementById("done");
    var summary = document.getElementById("error-summary");
    if (done && (!summary || summary.hidden)) {
      done.focus();
    }
  });
  window.addEventListener("hashchange", openFromHash);
})();
