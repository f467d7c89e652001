// The facility's active alerts: lists GET /api/v1/alerts every few seconds,
// each alert with its severity, message (message_ar in Arabic), since when,
// and who acknowledged it; says when there are none, and, while the agent
// is not connected, that this is the last known list and when it came.
// Its words, in the page's language, come from the server in #page-words.
(function () {
  "use strict";

  var REFRESH_MS = 5000;

  function $(id) { return document.getElementById(id); }

  var list = $("alerts");
  var status = $("alerts-status");
  var note = $("alerts-note");
  if (!list || !status || !note) {
    return;
  }

  var W = JSON.parse($("page-words").textContent);
  var A = W.alerts;
  var t = GreenPulse.words(A.text);
  var format = GreenPulse.formats(W.locale);
  var arabic = document.documentElement.lang === "ar";

  function span(cls, text) {
    var s = document.createElement("span");
    s.className = cls;
    s.textContent = text;
    return s;
  }

  function item(a) {
    var li = document.createElement("li");
    li.dataset.severity = a.severity;
    li.dataset.id = a.id;
    li.append(span("severity", A.severities[a.severity] || a.severity));
    var msg = span("message", arabic && a.message_ar ? a.message_ar : a.message);
    msg.dir = "auto";
    li.append(msg);
    li.append(span("since", t("since", { time: format.localTime(a.first_seen) })));
    if (a.ack && a.ack.by) {
      var ack = span("ack", t("acked", { by: GreenPulse.isolate(a.ack.by) }));
      if (a.ack.comment) {
        ack.title = a.ack.comment;
      }
      li.append(ack);
    }
    return li;
  }

  function render(body) {
    list.replaceChildren.apply(list, body.alerts.map(item));
    var received = body.received_at ? format.localTime(body.received_at) : "";
    var lines = [];
    if (!body.connected) {
      lines.push(received ? t("offline", { time: received }) : t("offline_never"));
    }
    if (body.skipped > 0) {
      lines.push(t("skipped", { n: format.numbers.format(body.skipped) }));
    }
    note.textContent = lines.join(" ");
    note.hidden = lines.length === 0;
    // Connected without a list: the collector has never had an alert for
    // this facility (or the list is on its way), so there is none.
    status.textContent = body.alerts.length || (!body.connected && !received) ? "" : t("none");
    document.body.dataset.alertsReady = "1";
  }

  function isAlerts(body) { return body && Array.isArray(body.alerts); }

  var load = GreenPulse.listLoader("/api/v1/alerts", status, t, isAlerts, render);
  load();
  setInterval(load, REFRESH_MS);
}());
