// validate.js - check HAR files with the npm har-validator (the HAR 1.2 JSON schema) and
// import them into a real HAR consumer, sitespeed.io's pagexray.
//   NODE_PATH=build/npm/node_modules node tests/har/validate.js FILE...
// Prints one line per file: "FILE entries=N pages=P pagexray_requests=R codes=200:3,404:1";
// exits 1 when a file is not valid HAR or pagexray cannot read it.
'use strict';
const fs = require('fs');
const validator = require('har-validator');
let pagexray = null;
try {
  pagexray = require('pagexray');
} catch (e) {
  // pagexray is optional: the schema check still runs
}

async function check(file) {
  const har = JSON.parse(fs.readFileSync(file, 'utf8'));
  await validator.har(har);
  let line = `${file} entries=${har.log.entries.length} pages=${(har.log.pages || []).length}`;
  if (pagexray && har.log.entries.length) {
    const pages = pagexray.convert(har);
    let requests = 0;
    const codes = {};
    for (const p of pages) {
      requests += p.requests;
      for (const [c, n] of Object.entries(p.responseCodes)) codes[c] = (codes[c] || 0) + n;
    }
    const cs = Object.keys(codes).sort().map(c => `${c}:${codes[c]}`).join(',');
    line += ` pagexray_requests=${requests} codes=${cs}`;
  }
  console.log(line);
}

(async () => {
  let bad = 0;
  for (const f of process.argv.slice(2)) {
    try {
      await check(f);
    } catch (e) {
      bad++;
      console.log(`${f}: ${e.name}: ${e.message}`);
      if (e.errors) console.log(JSON.stringify(e.errors, null, 1).slice(0, 4000));
    }
  }
  process.exit(bad ? 1 : 0);
})();
