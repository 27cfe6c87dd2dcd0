// Reads a solc standard-JSON input on stdin and writes the compiler's JSON output on stdout,
// through the pinned npm `solc` package. Writing through process.stdout without exiting early
// keeps large outputs whole (the solcjs CLI truncates them when piped).
'use strict';
const path = require('path');
const solc = require(path.join(__dirname, 'node_modules', 'solc'));
const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', () => {
  process.stdout.write(solc.compile(Buffer.concat(chunks).toString('utf8')));
});
