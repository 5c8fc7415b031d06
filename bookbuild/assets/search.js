// Search in the HTML edition (bookbuild/render/search_index.py makes the index and says
// how it works). Runs on search.html; Node loads it too (tests/test_search.py), so the
// engine keeps off the DOM until the page part at the end.
(function (root) {
  "use strict";

  // --- the same tokenizer, stemmer and hash as search_index.py -----------------------
  var CJK = "\\u3040-\\u30ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uac00-\\ud7af\\uf900-\\ufaff\\u{20000}-\\u{3ffff}";
  var LATIN = "0-9a-z\\u00c0-\\u00d6\\u00d8-\\u00f6\\u00f8-\\u024f";
  var CJK_ONLY = new RegExp("^[" + CJK + "]+$", "u");
  var TOKEN = new RegExp("[" + CJK + "]+|[" + LATIN + "]+", "gu");
  var WORD = new RegExp("[" + LATIN + "]+", "g");
  var INVISIBLE = /[\u00ad\u200b-\u200d\u2060\ufeff]/g;

  var CRC_TABLE = (function () {
    var table = [];
    for (var n = 0; n < 256; n++) {
      var c = n;
      for (var k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table.push(c >>> 0);
    }
    return table;
  })();

  function crc32(text) {
    // CRC-32 (zlib's) of the text's UTF-8 bytes
    var crc = 0xffffffff;
    function byte(b) { crc = CRC_TABLE[(crc ^ b) & 0xff] ^ (crc >>> 8); }
    for (var i = 0; i < text.length; i++) {
      var code = text.codePointAt(i);
      if (code > 0xffff) i++;
      if (code < 0x80) byte(code);
      else if (code < 0x800) { byte(0xc0 | (code >> 6)); byte(0x80 | (code & 63)); }
      else if (code < 0x10000) { byte(0xe0 | (code >> 12)); byte(0x80 | ((code >> 6) & 63)); byte(0x80 | (code & 63)); }
      else {
        byte(0xf0 | (code >> 18)); byte(0x80 | ((code >> 12) & 63));
        byte(0x80 | ((code >> 6) & 63)); byte(0x80 | (code & 63));
      }
    }
    return (crc ^ 0xffffffff) >>> 0;
  }

  function isConsonant(word, i) {
    var letter = word[i];
    if ("aeiou".indexOf(letter) >= 0) return false;
    if (letter === "y") return i === 0 || !isConsonant(word, i - 1);
    return true;
  }
  function measure(stem) {
    var count = 0, previousVowel = false;
    for (var i = 0; i < stem.length; i++) {
      var consonant = isConsonant(stem, i);
      if (consonant && previousVowel) count++;
      previousVowel = !consonant;
    }
    return count;
  }
  function hasVowel(stem) {
    for (var i = 0; i < stem.length; i++) if (!isConsonant(stem, i)) return true;
    return false;
  }
  function endsCvc(word) {
    var n = word.length;
    return n >= 3 && isConsonant(word, n - 3) && !isConsonant(word, n - 2) && isConsonant(word, n - 1) &&
      "wxy".indexOf(word[n - 1]) < 0;
  }
  var stems = new Map();
  function stem(word) {
    // Step 1 of Porter's stemmer, as search_index.stem
    if (word.length <= 2 || !/^[a-z]+$/.test(word)) return word;
    var known = stems.get(word);
    if (known !== undefined) return known;
    var w = word;
    if (/(sses|ies)$/.test(w)) w = w.slice(0, -2);
    else if (/s$/.test(w) && !/ss$/.test(w)) w = w.slice(0, -1);
    if (/eed$/.test(w)) {
      if (measure(w.slice(0, -3)) > 0) w = w.slice(0, -1);
    } else {
      var suffixes = ["ed", "ing"];
      for (var s = 0; s < suffixes.length; s++) {
        var suffix = suffixes[s];
        if (w.endsWith(suffix) && hasVowel(w.slice(0, -suffix.length))) {
          w = w.slice(0, -suffix.length);
          var n = w.length;
          if (/(at|bl|iz)$/.test(w)) w += "e";
          else if (n >= 2 && w[n - 1] === w[n - 2] && "lsz".indexOf(w[n - 1]) < 0 && isConsonant(w, n - 1)) w = w.slice(0, -1);
          else if (measure(w) === 1 && endsCvc(w)) w += "e";
          break;
        }
      }
    }
    if (/y$/.test(w) && hasVowel(w.slice(0, -1))) w = w.slice(0, -1) + "i";
    stems.set(word, w);
    return w;
  }

  var BASE64 = {};
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".split("").forEach(function (c, i) {
    BASE64[c.charCodeAt(0)] = i;
  });
  function hasKey(unit, key) {
    // a CJK key is a number (a code unit, or a pair as first + second * 65536), a word
    // key a string
    var position = (typeof key === "number" ? key : crc32(key)) % unit.bits;
    var sextet = BASE64[unit.signature.charCodeAt((position / 6) | 0)];
    return ((sextet >> (5 - (position % 6))) & 1) === 1;
  }

  // --- queries -----------------------------------------------------------------------
  function parseQuery(query) {
    // a query's parts, in order: runs of CJK characters (found by their pairs) and words
    var parts = [];
    var text = String(query).replace(INVISIBLE, "").toLowerCase();
    (text.match(TOKEN) || []).forEach(function (token) {
      if (CJK_ONLY.test(token)) {
        var keys = [];
        if (token.length === 1) keys.push(token.charCodeAt(0));
        for (var i = 0; i + 1 < token.length; i++) keys.push(token.charCodeAt(i) + token.charCodeAt(i + 1) * 65536);
        parts.push({ cjk: true, text: token, keys: keys });
      } else {
        parts.push({ cjk: false, text: token, stem: stem(token), keys: [token, "=" + stem(token)] });
      }
    });
    return parts;
  }

  function partMayBeIn(unit, part) {
    if (part.cjk) return part.keys.every(function (key) { return hasKey(unit, key); });
    return part.keys.some(function (key) { return hasKey(unit, key); });
  }

  function lowered(text) {
    // lower case of the same length, so that offsets hold in the original text
    var lower = text.toLowerCase();
    if (lower.length === text.length) return lower;
    return Array.from(text, function (c) { var l = c.toLowerCase(); return l.length === c.length ? l : c; }).join("");
  }

  function occurrences(shard, part, limit) {
    // [start, end] of each place `part` occurs in the unit's text
    var found = [];
    if (!shard.lower) shard.lower = lowered(shard.t);
    if (part.cjk) {
      var at = shard.lower.indexOf(part.text);
      while (at >= 0 && found.length < limit) {
        found.push([at, at + part.text.length]);
        at = shard.lower.indexOf(part.text, at + 1);
      }
      return found;
    }
    if (!shard.words) {
      shard.words = [];
      WORD.lastIndex = 0;
      var match;
      while ((match = WORD.exec(shard.lower))) shard.words.push([match.index, match[0]]);
    }
    for (var i = 0; i < shard.words.length && found.length < limit; i++) {
      var word = shard.words[i][1];
      if (word.startsWith(part.text) || stem(word) === part.stem) found.push([shard.words[i][0], shard.words[i][0] + word.length]);
    }
    return found;
  }

  function Engine() {
    this.starts = {};
    this.total = 0;
    this.perPart = 1;
    this.parts = [];  // each a list of units, as its index-N.js is run
    this.texts = {};
    this.waiting = {};
    this.filling = null;
  }
  Engine.prototype.book = function (data) {
    this.starts = data.starts || {};
    this.total = data.units;
    this.perPart = data.per_part;
  };
  Engine.prototype.part = function (number) {
    this.filling = this.parts[number] = [];
  };
  Engine.prototype.unit = function (name, page, title, bits, signature) {
    this.filling.push({ name: name, page: page, title: title, bits: bits, signature: signature });
  };
  Engine.prototype.text = function (name, data) {
    this.texts[name] = data;
    (this.waiting[name] || []).forEach(function (done) { done(data); });
    delete this.waiting[name];
  };
  Engine.prototype.units = function () {
    return [].concat.apply([], this.parts.filter(Boolean));
  };
  Engine.prototype.mayHold = function (unit, parts) {
    // the unit's signature has every part's keys: it may hold the query
    return parts.length > 0 && parts.every(function (part) { return partMayBeIn(unit, part); });
  };
  Engine.prototype.hits = function (unit, parts, limit) {
    // where the query is in the unit: null when a part is not there (a false positive
    // of the signature); else how often its first part is there, the places to show
    // (for a query of several parts, first those whose paragraph holds every part) and
    // every part's places, to mark
    var shard = this.texts[unit.name], text = shard.t;
    var each = [];
    for (var p = 0; p < parts.length; p++) {
      var found = occurrences(shard, parts[p], p === 0 ? 100000 : 1000);
      if (!found.length) return null;
      each.push(found);
    }
    var first = each[0], places = first;
    if (parts.length > 1) {
      var together = function (place) {
        var start = text.lastIndexOf("\n", place[0]) + 1, end = text.indexOf("\n", place[1]);
        if (end < 0) end = text.length;
        return each.every(function (found) {
          return found.some(function (other) { return other[0] >= start && other[1] <= end; });
        });
      };
      var near = first.filter(together);
      places = near.concat(first.filter(function (place) { return near.indexOf(place) < 0; }));
    }
    places = places.slice(0, limit).sort(function (a, b) { return a[0] - b[0]; });
    var marks = [].concat.apply([], each).sort(function (a, b) { return a[0] - b[0]; });
    return { count: first.length, places: places, marks: marks };
  };
  Engine.prototype.pageAt = function (unit, offset) {
    // the print page an offset falls on: [label, address] or null
    var pages = this.texts[unit.name].p, found = null;
    for (var i = 0; i < pages.length && pages[i][0] <= offset; i++) found = pages[i];
    if (found) return [found[1], unit.page + "#" + found[2]];
    return this.starts[unit.name] || null;
  };
  Engine.prototype.addressAt = function (unit, offset) {
    // the nearest place before the offset a link can go to: an id or a page
    var shard = this.texts[unit.name], best = null, at = -1;
    shard.a.forEach(function (a) { if (a[0] <= offset && a[0] >= at) { at = a[0]; best = a[1]; } });
    shard.p.forEach(function (p) { if (p[0] <= offset && p[0] > at) { at = p[0]; best = p[2]; } });
    return best ? unit.page + "#" + encodeURIComponent(best) : unit.page;
  };
  Engine.prototype.find = function (query) {
    // every unit that holds the query, with every part and text loaded (Node, the tests)
    var parts = parseQuery(query), engine = this;
    return this.units().filter(function (unit) { return engine.mayHold(unit, parts) && engine.hits(unit, parts, 1); })
      .map(function (unit) { return unit.name; });
  };

  function snippet(text, place, marks, around) {
    // the text around `place` within its block, as [text, marked] pieces
    var lineStart = text.lastIndexOf("\n", place[0] - 1) + 1;
    var lineEnd = text.indexOf("\n", place[1]);
    if (lineEnd < 0) lineEnd = text.length;
    var start = Math.max(lineStart, place[0] - around), end = Math.min(lineEnd, place[1] + 2 * around);
    var pieces = [], at = start;
    if (start > lineStart) pieces.push(["…", false]);
    marks.forEach(function (mark) {
      if (mark[1] <= at || mark[0] >= end) return;
      var from = Math.max(mark[0], at);
      if (from > at) pieces.push([text.slice(at, from), false]);
      var to = Math.min(mark[1], end);
      pieces.push([text.slice(from, to), true]);
      at = to;
    });
    if (at < end) pieces.push([text.slice(at, end), false]);
    if (end < lineEnd) pieces.push(["…", false]);
    return pieces;
  }

  var api = { Engine: Engine, parseQuery: parseQuery, stem: stem, crc32: crc32, hasKey: hasKey, snippet: snippet };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = api;
    return;
  }

  // --- the search page ---------------------------------------------------------------
  var engine = new Engine();
  root.BOOKBUILD_SEARCH = engine;  // what the index's scripts call
  var SHOWN = 20, SNIPPETS = 3, AHEAD = 8;

  function load(src, done, failed) {
    var script = document.createElement("script");
    script.src = src;
    script.charset = "utf-8";
    script.onload = done;
    script.onerror = failed;
    document.head.appendChild(script);
  }

  var partLoads = [];
  function loadPart(number) {
    // index-N.js, once; resolves when its units are in
    if (!partLoads[number]) {
      partLoads[number] = new Promise(function (resolve, reject) {
        load("js/search/index-" + number + ".js", resolve, reject);
      });
    }
    return partLoads[number];
  }

  function loadText(name) {
    return new Promise(function (resolve, reject) {
      if (engine.texts[name]) return resolve(engine.texts[name]);
      (engine.waiting[name] = engine.waiting[name] || []).push(resolve);
      load("js/search/text/" + encodeURIComponent(name) + ".js", function () {}, reject);
    });
  }

  function unitAt(index) {
    var number = Math.floor(index / engine.perPart);
    return loadPart(number).then(function () { return engine.parts[number][index % engine.perPart]; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.search-page");
    var results = document.querySelector(".search-results");
    if (!form || !results) return;
    var input = form.querySelector("input");
    var status = document.querySelector(".search-status");
    var words = JSON.parse(results.getAttribute("data-words"));
    var around = /^(zh|ja|ko)/i.test(document.documentElement.lang) ? 24 : 40;
    var generation = 0, ready = false, timer = null;

    function say(text) { status.textContent = text; }

    function entry(unit, found, order) {
      var item = document.createElement("li");
      item.setAttribute("data-order", String(order));
      var heading = document.createElement("h2");
      var link = document.createElement("a");
      link.href = engine.addressAt(unit, found.places[0][0]);
      link.textContent = unit.title;
      heading.appendChild(link);
      item.appendChild(heading);
      var text = engine.texts[unit.name].t;
      found.places.forEach(function (place) {
        var line = document.createElement("p");
        line.className = "hit";
        var quote = document.createElement("a");
        quote.href = engine.addressAt(unit, place[0]);
        snippet(text, place, found.marks, around).forEach(function (piece) {
          if (piece[1]) {
            var mark = document.createElement("mark");
            mark.textContent = piece[0];
            quote.appendChild(mark);
          } else {
            quote.appendChild(document.createTextNode(piece[0]));
          }
        });
        line.appendChild(quote);
        var page = engine.pageAt(unit, place[0]);
        if (page) {
          var pageLink = document.createElement("a");
          pageLink.className = "hit-page";
          pageLink.href = page[1];
          pageLink.textContent = words.page.replace("{}", page[0]);
          line.appendChild(document.createTextNode(" "));
          line.appendChild(pageLink);
        }
        item.appendChild(line);
      });
      if (found.count > found.places.length) {
        var more = document.createElement("p");
        more.className = "more-hits";
        more.textContent = words.more_hits.replace("{}", String(found.count - found.places.length));
        item.appendChild(more);
      }
      return item;
    }

    function place(item, order) {
      // results arrive as their texts load; they stand in reading order
      var after = null;
      for (var child = results.lastElementChild; child; child = child.previousElementSibling) {
        if (Number(child.getAttribute("data-order")) < order) break;
        after = child;
      }
      results.insertBefore(item, after);
    }

    function run(query) {
      var mine = ++generation;
      var started = performance.now(), firstShown = null;
      var parts = parseQuery(query);
      results.textContent = "";
      var button = document.querySelector(".search-more");
      if (button) button.remove();
      if (!parts.length) { say(""); return; }
      var next = 0, shown = 0, matches = 0, limit = SHOWN, loading = 0, scanning = false, failed = false;
      say(words.searching);

      function report(done) {
        if (failed) return say(words.failed);
        if (!shown) say(done ? words.none.replace("{}", query) : words.searching);
        else say(words.found.replace("{units}", String(shown)).replace("{matches}", String(matches)) + (done ? "" : " …"));
      }
      function finish() {
        report(true);
        if (next < engine.total && !failed) {
          var more = document.createElement("button");
          more.type = "button";
          more.className = "search-more";
          more.textContent = words.more;
          more.addEventListener("click", function () {
            more.remove();
            limit += SHOWN;
            started = performance.now();
            pump();
          });
          results.after(more);
        }
        var timing = { query: query, first: firstShown === null ? performance.now() - started : firstShown,
          done: performance.now() - started, units: shown, scanned: next };
        engine.timing = timing;
        document.dispatchEvent(new CustomEvent("bookbuild-search", { detail: timing }));
      }
      function verify(unit, order) {
        loading++;
        loadText(unit.name).then(function () {
          loading--;
          if (mine !== generation) return;
          var found = engine.hits(unit, parts, SNIPPETS);
          if (found) {
            place(entry(unit, found, order), order);
            shown++;
            matches += found.count;
            if (firstShown === null) firstShown = performance.now() - started;
          }
          report(false);
          pump();
        }, function () {
          loading--;
          failed = true;
          pump();
        });
      }
      function pump() {
        // keep AHEAD texts loading, in reading order, until `limit` units are shown
        if (mine !== generation || scanning) return;
        if ((shown >= limit || next >= engine.total || failed) && !loading) return finish();
        // no more texts loading than results still wanted: the list stops at `limit`
        if (shown >= limit || next >= engine.total || failed || loading >= Math.min(AHEAD, limit - shown)) return;
        scanning = true;
        var order = next++;
        unitAt(order).then(function (unit) {
          scanning = false;
          if (mine !== generation) return;
          if (engine.mayHold(unit, parts)) verify(unit, order);
          pump();
        }, function () {
          scanning = false;
          failed = true;
          pump();
        });
      }
      pump();
    }

    function fromAddress() {
      var query = new URLSearchParams(window.location.search).get("q") || "";
      input.value = query;
      return query;
    }
    function remember(query) {
      try {
        var url = new URL(window.location.href);
        url.searchParams.set("q", query);
        window.history.replaceState(null, "", url.toString());
      } catch (error) {
        // file:// pages in some browsers may not rewrite their address: no matter
      }
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      remember(input.value);
      if (ready) run(input.value);
    });
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        remember(input.value);
        if (ready) run(input.value);
      }, 150);
    });
    say(words.loading);
    load("js/search/index.js", function () {
      ready = true;
      engine.loadedAt = performance.now();  // since the page began to load (bench/search.py)
      for (var number = 0; number * engine.perPart < engine.total; number++) loadPart(number);  // side by side
      say("");
      var query = fromAddress();
      if (query) run(query);
      document.dispatchEvent(new CustomEvent("bookbuild-search-ready"));
    }, function () { say(words.failed); });
  });
})(this);
