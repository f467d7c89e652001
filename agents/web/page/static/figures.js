// The facility's own figures: today, yesterday and this month, from
// GET /api/v1/figures?period=day and ?period=month every 30 seconds,
// computed on the agent from its readings (so they show with the link
// down), with the collector's official month figures beside them when it
// has sent them, and, for the month, charts of electricity and waste day
// by day (Chart.js, vendored). Its words, in the page's language, come
// from the server in #page-words.
//
// Each figure is a row <tr data-indicator="id"> of a table
// [data-group]; its cells td[data-source="agent"] and
// td[data-source="official"] hold the number in .n and the unit in .u.
// document.body.dataset.figuresReady is "1" once both answers have been
// shown, and figuresReadyMs the page's time (performance.now()) then.
(function () {
  "use strict";

  var REFRESH_MS = 30000;

  function $(id) { return document.getElementById(id); }

  var box = $("figures");
  var status = $("figures-status");
  var note = $("figures-note");
  var computed = $("figures-computed");
  var charts = $("figures-charts");
  var tabs = document.querySelectorAll("#figures-tabs [data-period]");
  if (!box || !status || !note) {
    return;
  }

  var W = JSON.parse($("page-words").textContent);
  var F = W.figures;
  var t = GreenPulse.words(F.text);
  var format = GreenPulse.formats(W.locale);
  var arabic = document.documentElement.lang === "ar";
  // Figures are shown to a tenth (counts whole): what the browser test
  // compares with the collector's API.
  var tenths = new Intl.NumberFormat(W.locale, { maximumFractionDigits: 1, minimumFractionDigits: 1 });
  var whole = new Intl.NumberFormat(W.locale, { maximumFractionDigits: 0 });

  // The rows of each group: the indicator (or the agent's extra figure)
  // and its unit.
  var GROUPS = [
    ["energy", [["grid_kwh", "kWh"], ["generator_kwh", "kWh"], ["other_kwh", "kWh"], ["solar_kwh", "kWh"],
      ["energy_kwh", "kWh"], ["renewable_share_pct", "%"], ["energy_per_bed_kwh", "kWh"]]],
    ["solar", [["solar_kwh_per_kwp", "kWh/kWp"], ["co2e_avoided_kg", "kg CO2e"]]],
    ["grid", [["grid_hours", "h"], ["grid_availability_pct", "%"], ["generator_fuel_l", "L"], ["co2e_energy_kg", "kg CO2e"]]],
    ["waste", [["waste_kg", "kg"], ["hazardous_waste_kg", "kg"], ["hazardous_share_pct", "%"], ["safely_treated_pct", "%"],
      ["unsafe_disposal_kg", "kg"], ["storage_exceeded_count", "events"], ["waste_per_bed_kg", "kg"], ["co2e_waste_kg", "kg CO2e"]]]
  ];
  var SOURCES = [["grid_kwh", "#2a6fb0"], ["generator_kwh", "#b3261e"], ["other_kwh", "#8a9490"], ["solar_kwh", "#e0a100"]];

  var answers = { day: null, month: null };
  var selected = "today";
  var energyChart = null;
  var wasteChart = null;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) {
      e.className = cls;
    }
    if (text !== undefined) {
      e.textContent = text;
    }
    return e;
  }

  function number(id, v) {
    return id === "storage_exceeded_count" ? whole.format(v) : tenths.format(v);
  }

  // valueCell is a cell holding v (undefined: no value) in unit.
  function valueCell(source, id, v, unit) {
    var td = el("td", "num");
    td.dataset.source = source;
    if (v === undefined || v === null) {
      td.append(el("span", "none", t("no_value")));
      return td;
    }
    if (id === "grid_hours") {
      var parts = t("hours_of", { live: "\u0000", covered: "\u0001" }).split(/[\u0000\u0001]/);
      td.append(parts[0], numberSpan(tenths.format(v.live), "live"), parts[1],
        numberSpan(tenths.format(v.covered), "covered"), parts[2] || "");
      return td;
    }
    td.append(numberSpan(number(id, v)), " ", el("span", "u", F.units[unit] || unit));
    return td;
  }

  function numberSpan(text, part) {
    var s = el("span", "n", text);
    if (part) {
      s.dataset.part = part;
    }
    return s;
  }

  // agentValue is a period's figure id (an indicator, or one of the
  // agent's extras).
  function agentValue(p, id) {
    if (id === "grid_hours") {
      return p.grid_hours;
    }
    if (id === "solar_kwh_per_kwp") {
      return p.solar_kwh_per_kwp;
    }
    return p.values[id];
  }

  function officialValue(off, id, kwp) {
    if (!off) {
      return undefined;
    }
    if (id === "solar_kwh_per_kwp") {
      return off.values.solar_kwh !== undefined && kwp > 0 ? off.values.solar_kwh / kwp : undefined;
    }
    return off.values[id];
  }

  function group(name, rows, p, off, kwp) {
    var table = el("table", "figures");
    table.dataset.group = name;
    var head = el("tr");
    head.append(el("th", "", ""), el("th", "num", t("agent")));
    if (off) {
      head.append(el("th", "num", t("official")));
    }
    var thead = el("thead");
    thead.append(head);
    var body = el("tbody");
    rows.forEach(function (r) {
      var id = r[0];
      var mine = agentValue(p, id);
      var theirs = officialValue(off, id, kwp);
      if (mine === undefined && theirs === undefined) {
        return;
      }
      var tr = el("tr");
      tr.dataset.indicator = id;
      var th = el("th", "", F.names[id] || id);
      th.scope = "row";
      tr.append(th, valueCell("agent", id, mine, r[1]));
      if (off) {
        tr.append(valueCell("official", id, theirs, r[1]));
      }
      body.append(tr);
    });
    if (!body.children.length) {
      return null;
    }
    table.append(thead, body);
    var section = el("div", "figures-group");
    section.append(el("h3", "", t(name)), table);
    return section;
  }

  function classes(p) {
    var section = el("div", "figures-group");
    section.append(el("h3", "", t("classes")));
    if (!p.waste.length) {
      section.append(el("p", "hint", t("no_waste")));
      return section;
    }
    var table = el("table", "figures");
    table.id = "figures-classes";
    var head = el("tr");
    t("class_columns").split("|").forEach(function (c, i) { head.append(el("th", i >= 1 ? "num" : "", c)); });
    var thead = el("thead");
    thead.append(head);
    var body = el("tbody");
    p.waste.forEach(function (w) {
      var tr = el("tr");
      tr.dataset.category = w.category;
      tr.dataset.treatment = w.treatment;
      // Category over treatment, so that three columns fit a phone.
      var what = el("td", "class");
      what.append(el("span", "category", W.categories[w.category] || w.category), el("span", "treatment", W.treatments[w.treatment] || w.treatment));
      tr.append(what);
      var kg = el("td", "num");
      kg.append(numberSpan(tenths.format(w.kg)));
      var n = el("td", "num");
      n.append(numberSpan(whole.format(w.events)));
      tr.append(kg, n);
      body.append(tr);
    });
    table.append(thead, body);
    var scroll = el("div", "scroll");
    scroll.append(table);
    section.append(scroll);
    return section;
  }

  function periodOf(name) {
    var a = name === "this_month" ? answers.month : answers.day;
    for (var i = 0; a && i < a.periods.length; i++) {
      if (a.periods[i].name === name) {
        return { answer: a, period: a.periods[i] };
      }
    }
    return null;
  }

  function officialOf(a, start) {
    for (var i = 0; i < a.official.length; i++) {
      if (a.official[i].start === start) {
        return a.official[i];
      }
    }
    return null;
  }

  function render() {
    if (!answers.day || !answers.month) {
      return;
    }
    var found = periodOf(selected);
    if (!found) {
      return;
    }
    var a = found.answer;
    var p = found.period;
    var month = selected === "this_month";
    var off = month ? officialOf(a, p.start) : null;
    var parts = [];
    GROUPS.forEach(function (g) {
      var s = group(g[0], g[1], p, off, a.pv_kwp);
      if (s) {
        parts.push(s);
      }
    });
    parts.push(classes(p));
    box.replaceChildren.apply(box, parts);
    box.hidden = false;
    status.textContent = p.reported || Object.keys(p.values).length ? "" : t("no_readings");

    var lines = [];
    if (!a.connected) {
      lines.push(t("offline"));
    }
    if (month && off) {
      var when = { computed: format.localTime(off.computed_at), received: format.localTime(off.received_at) };
      lines.push(a.connected ? t("official_at", when) : t("official_offline", when));
    } else if (month) {
      lines.push(t("official_none"));
    }
    // An agent installed, or whose state was reset, during the month
    // counts less than the collector, which also has what came before.
    if (month && off && a.since && Date.parse(a.since) > Date.parse(p.start + "T00:00:00")) {
      lines.push(t("since_partial", { since: format.localTime(a.since) }));
    }
    note.textContent = lines.join(" ");
    note.hidden = lines.length === 0;
    note.dataset.kind = a.connected ? "" : "offline";
    computed.textContent = a.since ?
      t("computed_since", { time: format.localTime(a.computed_at), since: format.localTime(a.since) }) :
      t("computed", { time: format.localTime(a.computed_at) });
    tabs.forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.period === selected)); });
    drawCharts(month);
    document.body.dataset.figuresPeriod = selected;
    if (document.body.dataset.figuresReady !== "1") {
      document.body.dataset.figuresReadyMs = String(Math.round(performance.now()));
      document.body.dataset.figuresReady = "1";
    }
  }

  function chartOptions(stacked) {
    return {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      locale: W.locale,
      plugins: { legend: { display: stacked, rtl: arabic, position: "bottom" } },
      scales: {
        x: { stacked: stacked, reverse: arabic, grid: { display: false } },
        y: {
          stacked: stacked, beginAtZero: true, position: arabic ? "right" : "left",
          ticks: { callback: function (v) { return whole.format(v); } }
        }
      }
    };
  }

  function drawCharts(month) {
    charts.hidden = !month;
    if (!month || typeof Chart === "undefined") {
      return; // without the library the tables still tell the figures
    }
    var days = answers.month.days;
    var labels = days.map(function (d) { return whole.format(Number(d.date.slice(8, 10))); });
    var energy = SOURCES.map(function (s) {
      return {
        label: F.names[s[0]], backgroundColor: s[1],
        data: days.map(function (d) { return d.values[s[0]] === undefined ? 0 : d.values[s[0]]; })
      };
    });
    var waste = [{
      label: F.names.waste_kg, backgroundColor: "#1d6b3a",
      data: days.map(function (d) { return d.values.waste_kg === undefined ? 0 : d.values.waste_kg; })
    }];
    if (!energyChart) {
      energyChart = new Chart($("fig-chart-energy"), { type: "bar", data: { labels: labels, datasets: energy }, options: chartOptions(true) });
      wasteChart = new Chart($("fig-chart-waste"), { type: "bar", data: { labels: labels, datasets: waste }, options: chartOptions(false) });
      return;
    }
    energyChart.data.labels = labels;
    energyChart.data.datasets = energy;
    energyChart.update("none");
    wasteChart.data.labels = labels;
    wasteChart.data.datasets = waste;
    wasteChart.update("none");
  }

  function isFigures(body) { return body && Array.isArray(body.periods) && Array.isArray(body.official); }

  var loadDay = GreenPulse.listLoader("/api/v1/figures?period=day", status, t, isFigures, function (body) {
    answers.day = body;
    render();
  });
  var loadMonth = GreenPulse.listLoader("/api/v1/figures?period=month", status, t, isFigures, function (body) {
    answers.month = body;
    render();
  });

  tabs.forEach(function (b) {
    b.addEventListener("click", function () {
      selected = b.dataset.period;
      render();
    });
  });

  function load() {
    loadDay();
    loadMonth();
  }
  load();
  setInterval(load, REFRESH_MS);
}());
