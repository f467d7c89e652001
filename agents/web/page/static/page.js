// What app.js (waste) and meter.js (meter readings) share: loaded before
// both, it defines only GreenPulse: the page's words, keeping the agent's
// English apart in an Arabic page, the agent's answers, the lists' cells,
// and reading typed numbers.
var GreenPulse = (function () {
  "use strict";

  // words returns t for the messages text (key → message): t(key, vars)
  // is the message in the page's language, with each {name} replaced by
  // vars[name].
  function words(text) {
    return function t(key, vars) {
      var s = text[key] === undefined ? key : text[key];
      return s.replace(/\{(\w+)\}/g, function (m, name) {
        return vars && vars[name] !== undefined ? String(vars[name]) : m;
      });
    };
  }

  // isolate keeps text in another script (the agent's English in an
  // Arabic sentence) from reordering the words around it.
  function isolate(s) { return "\u2068" + s + "\u2069"; }

  // sentence starts s with a capital and ends it with a full stop.
  function sentence(s) {
    s = String(s || "");
    s = s.charAt(0).toUpperCase() + s.slice(1);
    return /[.?!]$/.test(s) ? s : s + ".";
  }

  // detail is the agent's English, on a line of its own, left to right.
  function detail(text) {
    var d = document.createElement("span");
    var b = document.createElement("bdi");
    d.className = "detail";
    b.lang = "en";
    b.dir = "ltr";
    b.textContent = text;
    d.append(b);
    return d;
  }

  // readJSON is the JSON body of resp, or {} when it has none.
  function readJSON(resp) {
    return resp.json().catch(function () { return {}; });
  }

  // cell adds a cell to tr; label names it where the phone layout has no
  // column headings.
  function cell(tr, text, cls, label) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) {
      td.className = cls;
    }
    if (label) {
      td.dataset.label = label;
    }
    tr.appendChild(td);
    return td;
  }

  // The rules of manual.ParseTypedNumber (agents/source/manual/number.go),
  // which the agent applies to log-meter --value: digits (Western,
  // Arabic-Indic or Extended Arabic-Indic) with at most one decimal
  // separator (point, comma or ٫) between digits, and nothing else. BLANKS
  // are the same characters as its blanks.
  var BLANKS = " \t\r\n\u00a0\u2009\u202f";
  var NUMBER = /^[0-9]+([.,\u066B][0-9]+)?$/;
  var COMMA = /^[0-9]+,[0-9]{3}$/;
  var GROUPING = /^[0-9]+([.,\u066B'\u066C \t\r\n\u00a0\u2009\u202f]+[0-9]+)+$/;
  var EXPONENT = /^[0-9.,\u066B]*[0-9][0-9.,\u066B]*[eE][+-]?[0-9]+$/;
  var HEX = /^[+-]?0[xX]/;
  var INFNAN = /^[+-]?(inf|infinity|nan)$/i;

  function trimBlanks(s) {
    var i = 0;
    var j = s.length;
    while (i < j && BLANKS.indexOf(s.charAt(i)) >= 0) {
      i++;
    }
    while (j > i && BLANKS.indexOf(s.charAt(j - 1)) >= 0) {
      j--;
    }
    return s.slice(i, j);
  }

  // parseNumber reads a typed number as the agent does. It returns
  // {value: n} for a number, {empty: true} for an empty field, and
  // otherwise {problem: kind}, kind as manual.NumberError names it
  // ("comma", "grouping", "exponent", "hex", "not_finite", "sign",
  // "digits"); for "comma" ("12,400") also whole (12400) and decimal
  // (12.4), the two numbers it could mean.
  function parseNumber(text) {
    var d = trimBlanks(String(text))
      .replace(/[\u0660-\u0669]/g, function (c) { return String(c.charCodeAt(0) - 0x0660); })
      .replace(/[\u06F0-\u06F9]/g, function (c) { return String(c.charCodeAt(0) - 0x06F0); });
    if (d === "") {
      return { empty: true };
    }
    if (COMMA.test(d)) {
      var parts = d.split(",");
      return { problem: "comma", whole: Number(parts[0] + parts[1]), decimal: Number(parts[0] + "." + parts[1]) };
    }
    if (NUMBER.test(d)) {
      var v = Number(d.replace(/[,\u066B]/, "."));
      return isFinite(v) ? { value: v } : { problem: "digits" };
    }
    if (HEX.test(d)) {
      return { problem: "hex" };
    }
    if (INFNAN.test(d)) {
      return { problem: "not_finite" };
    }
    if (d.charAt(0) === "-" || d.charAt(0) === "+") {
      return { problem: "sign" };
    }
    if (EXPONENT.test(d)) {
      return { problem: "exponent" };
    }
    if (GROUPING.test(d)) {
      return { problem: "grouping" };
    }
    return { problem: "digits" };
  }

  return {
    words: words, isolate: isolate, sentence: sentence, detail: detail,
    readJSON: readJSON, cell: cell, parseNumber: parseNumber
  };
}());
