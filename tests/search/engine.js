// The HTML edition's search engine (bookbuild/assets/search.js) in Node, over a built
// html/ folder: reads a JSON request on stdin and writes the answers to stdout.
//   {"queries": [...]}        -> {"found": [[unit names], ...]}
//   {"stems": [...]}          -> {"stems": [...]}
//   {"crcs": [...]}           -> {"crcs": [...]}
//   {"signatures": [[bits, signature, [keys]], ...]} -> {"held": [[true|false, ...], ...]}
//   {"snippets": [[unit, query]]} -> {"snippets": [[[text, marked], ...] | null, ...]}
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const [engineFile, html] = process.argv.slice(2);
const api = require(path.resolve(engineFile));
const engine = new api.Engine();
if (html) {
  const context = vm.createContext({ BOOKBUILD_SEARCH: engine });
  const folder = path.join(html, "js", "search");
  const run = (file) => vm.runInContext(fs.readFileSync(file, "utf8"), context);
  run(path.join(folder, "index.js"));
  for (let part = 0; part * engine.perPart < engine.total; part++) run(path.join(folder, `index-${part}.js`));
  for (const name of fs.readdirSync(path.join(folder, "text")).sort()) run(path.join(folder, "text", name));
}
const request = JSON.parse(fs.readFileSync(0, "utf8"));
const answer = {};
if (request.queries) answer.found = request.queries.map((q) => engine.find(q));
if (request.stems) answer.stems = request.stems.map(api.stem);
if (request.crcs) answer.crcs = request.crcs.map(api.crc32);
if (request.signatures) {
  answer.held = request.signatures.map(([bits, signature, keys]) =>
    keys.map((key) => api.hasKey({ bits: bits, signature: signature }, key)),
  );
}
if (request.snippets) {
  answer.snippets = request.snippets.map(([name, query]) => {
    const unit = engine.units().find((u) => u.name === name);
    const parts = api.parseQuery(query);
    const found = engine.hits(unit, parts, 1);
    if (!found) return null;
    const text = engine.texts[name].t;
    return {
      pieces: api.snippet(text, found.places[0], found.marks, 24),
      page: engine.pageAt(unit, found.places[0][0]),
      address: engine.addressAt(unit, found.places[0][0]),
      count: found.count,
    };
  });
}
process.stdout.write(JSON.stringify(answer));
