// The live dashboard page: asks for the staff ID token, fetches /staff/dashboard every 30 seconds
// and draws its tables. Every value is written with textContent: no data is ever parsed as HTML.
"use strict";

(function () {
  var TOKEN = "complaintdesk.dashboard.token";
  var MARKET = "complaintdesk.dashboard.market";
  var PERIOD = 30000;
  var timer = null;
  var request = null;
  var waiting = false;
  var shown = null;

  function byId(id) {
    return document.getElementById(id);
  }

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function label(value) {
    var words = String(value).replace(/_/g, " ");
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function number(value) {
    return Number(value).toLocaleString("en");
  }

  function clockTime(iso, timeZone, withDate) {
    var options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    if (withDate) {
      options.day = "numeric";
      options.month = "short";
    } else {
      options.second = "2-digit";
    }
    try {
      return new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: timeZone }, options)).format(new Date(iso));
    } catch (err) {
      return String(iso);
    }
  }

  function age(seconds) {
    var minutes = Math.floor(seconds / 60);
    var hours = Math.floor(minutes / 60);
    var days = Math.floor(hours / 24);
    if (days > 0) return days + " d " + (hours % 24) + " h";
    if (hours > 0) return hours + " h " + (minutes % 60) + " min";
    return minutes + " min";
  }

  function percent(share) {
    return Math.round(Number(share) * 100) + "%";
  }

  // A table with a caption, column headers, and each row's first cell as its row header.
  function table(caption, columns, rows, footer) {
    var node = element("table");
    node.appendChild(element("caption", caption));
    var head = element("thead");
    var headRow = element("tr");
    columns.forEach(function (column) {
      var th = element("th", column);
      th.scope = "col";
      headRow.appendChild(th);
    });
    head.appendChild(headRow);
    node.appendChild(head);
    var body = element("tbody");
    rows.forEach(function (row) {
      body.appendChild(tableRow(row));
    });
    node.appendChild(body);
    if (footer) {
      var foot = element("tfoot");
      foot.appendChild(tableRow(footer));
      node.appendChild(foot);
    }
    return node;
  }

  function tableRow(cells) {
    var tr = element("tr");
    cells.forEach(function (cell, index) {
      var td = element(index === 0 ? "th" : "td", cell);
      if (index === 0) td.scope = "row";
      if (typeof cell === "number") td.className = "number";
      tr.appendChild(td);
    });
    return tr;
  }

  function put(id, node) {
    byId(id).replaceChildren(node);
  }

  function drawOpen(data) {
    var open = data.open;
    var states = Object.keys(open.by_status);
    var rows = Object.keys(open.by_department).map(function (department) {
      var counts = open.by_department[department];
      return [label(department)].concat(states.map(function (s) { return counts.by_status[s]; }), [counts.total]);
    });
    var footer = ["All departments"].concat(states.map(function (s) { return open.by_status[s]; }), [open.total]);
    var caption = "Open complaints by department and state: " + number(open.total) + " in all";
    put("open", table(caption, ["Department"].concat(states.map(label), ["Total"]), rows, footer));
  }

  function drawList(id, name, list, data) {
    var items = list.items;
    if (items.length === 0) {
      put(id, element("p", "None.", "none"));
      return;
    }
    var caption = name + ": " + number(list.total) + " in all";
    if (list.total > items.length) caption += ", the " + items.length + " most urgent shown";
    var rows = items.map(function (item) {
      return [
        item.tracking_code,
        label(item.department),
        label(item.status),
        label(item.category),
        label(item.priority),
        label(item.channel),
        clockTime(item.expected_response_by, data.time_zone, true),
        percent(item.share_used),
        age(item.age_seconds),
      ];
    });
    var columns = ["Tracking code", "Department", "State", "Category", "Priority", "Channel", "Due", "Time used", "Age"];
    put(id, table(caption, columns, rows));
  }

  function drawIntake(data) {
    var intake = data.intake_today;
    var rows = Object.keys(intake.by_channel).map(function (channel) {
      return [label(channel), intake.by_channel[channel]];
    });
    var caption = "Complaints received today (" + data.today + ", " + data.time_zone + ") by channel";
    put("intake", table(caption, ["Channel", "Received"], rows, ["All channels", intake.total]));
  }

  function drawOldest(data) {
    var items = data.oldest.items;
    if (items.length === 0) {
      put("oldest", element("p", "None.", "none"));
      return;
    }
    var rows = items.map(function (item) {
      return [
        item.tracking_code,
        label(item.department),
        label(item.status),
        label(item.category),
        label(item.priority),
        clockTime(item.received_at, data.time_zone, true),
        age(item.age_seconds),
        clockTime(item.expected_response_by, data.time_zone, true),
      ];
    });
    var columns = ["Tracking code", "Department", "State", "Category", "Priority", "Received", "Age", "Due"];
    put("oldest", table("The " + items.length + " oldest open complaints", columns, rows));
  }

  function render(data) {
    shown = data;
    drawOpen(data);
    drawList("overdue", "Overdue", data.overdue, data);
    drawList("at-risk", "At risk (" + percent(data.at_risk_share) + " of the time used, not yet due)", data.at_risk, data);
    drawIntake(data);
    drawOldest(data);
    byId("scope").textContent =
      "Market " + data.market + ". Times are local to " + data.time_zone + ". Every department, no personal data.";
    byId("updated").textContent = "Updated at " + clockTime(data.as_of, data.time_zone, false) +
      " (figures read at " + clockTime(data.read_at, data.time_zone, false) + ").";
    byId("board").hidden = false;
    byId("sign-in").hidden = true;
  }

  function showError(message) {
    var error = byId("error");
    error.textContent = message;
    error.hidden = false;
    if (shown) {
      byId("updated").textContent = "Out of date: last updated at " + clockTime(shown.as_of, shown.time_zone, false) + ".";
    }
  }

  function clearError() {
    byId("error").hidden = true;
    byId("error").textContent = "";
  }

  function showSignIn(message) {
    stop();
    clearError();
    var note = byId("sign-in-message");
    note.textContent = message || "";
    note.hidden = !message;
    byId("board").hidden = true;
    byId("sign-in").hidden = false;
    byId("market").value = sessionStorage.getItem(MARKET) || "";
    byId("updated").textContent = message ? "Not updating: sign in again." : "Not loaded yet.";
    byId("token").focus();
  }

  function stop() {
    clearTimeout(timer);
    timer = null;
    waiting = false;
    if (request) request.abort();
    request = null;
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (document.hidden) {
        waiting = true; // refreshed as soon as the tab is seen again
      } else {
        load();
      }
    }, delay);
  }

  // The problem's own words, as a sentence.
  async function reason(response) {
    var text = "The dashboard could not be loaded (HTTP " + response.status + ")";
    try {
      var problem = await response.json();
      text = String(problem.detail || problem.title || text);
    } catch (err) {
      // not a problem document: the status says enough
    }
    return /[.!?]$/.test(text) ? text : text + ".";
  }

  async function load() {
    clearTimeout(timer);
    waiting = false;
    var token = sessionStorage.getItem(TOKEN);
    if (!token) {
      showSignIn("");
      return;
    }
    if (request) request.abort();
    var mine = new AbortController();
    request = mine;
    var market = sessionStorage.getItem(MARKET) || "";
    var url = "staff/dashboard" + (market ? "?market=" + encodeURIComponent(market) : "");
    var response;
    try {
      response = await fetch(url, {
        headers: { Authorization: "Bearer " + token, Accept: "application/json" },
        cache: "no-store",
        credentials: "omit",
        signal: mine.signal,
      });
    } catch (err) {
      if (mine.signal.aborted) return;
      showError("The dashboard could not be reached. Trying again in 30 seconds.");
      schedule(PERIOD);
      return;
    }
    if (request !== mine) return;
    if (response.status === 401) {
      sessionStorage.removeItem(TOKEN);
      showSignIn("Your sign-in was refused or has expired. Paste a fresh ID token.");
      return;
    }
    if (response.status === 403 || response.status === 422) {
      showSignIn(await reason(response));
      return;
    }
    if (!response.ok) {
      showError((await reason(response)) + " Trying again in 30 seconds.");
      schedule(PERIOD);
      return;
    }
    var data;
    try {
      data = await response.json();
    } catch (err) {
      showError("The dashboard sent an answer that could not be read. Trying again in 30 seconds.");
      schedule(PERIOD);
      return;
    }
    clearError();
    render(data);
    schedule((Number(data.refresh_seconds) || 30) * 1000);
  }

  function start() {
    byId("sign-in").addEventListener("submit", function (event) {
      event.preventDefault();
      var field = byId("token");
      var token = field.value.trim().replace(/^Bearer\s+/i, "");
      field.value = "";
      if (token) sessionStorage.setItem(TOKEN, token);
      if (!sessionStorage.getItem(TOKEN)) {
        showSignIn("Paste your staff ID token first.");
        return;
      }
      var market = byId("market").value;
      if (market) sessionStorage.setItem(MARKET, market);
      else sessionStorage.removeItem(MARKET);
      load();
    });
    byId("sign-out").addEventListener("click", function () {
      sessionStorage.removeItem(TOKEN);
      shown = null;
      showSignIn("");
    });
    byId("refresh").addEventListener("click", load);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && waiting) load();
    });
    load();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
