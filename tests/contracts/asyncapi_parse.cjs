// Parses an AsyncAPI document with the official parser (@asyncapi/parser) and prints its
// diagnostics as JSON lines. Exit code 1 when the parser reports an error or a warning.
// Usage: node asyncapi_parse.cjs <node_modules dir> <document path>
const path = require('path');
const [modules, documentPath] = process.argv.slice(2);
const { Parser, fromFile } = require(path.join(modules, '@asyncapi', 'parser'));

(async () => {
  const parser = new Parser();
  const { document, diagnostics } = await fromFile(parser, documentPath).parse();
  let failed = !document;
  for (const d of diagnostics) {
    // Severity: 0 error, 1 warning, 2 information, 3 hint.
    if (d.severity <= 1) failed = true;
    console.log(JSON.stringify({ severity: d.severity, code: d.code, message: d.message,
                                 path: d.path }));
  }
  if (document) {
    console.log(JSON.stringify({ parsed: true, channels: document.channels().length,
                                 messages: document.messages().length,
                                 operations: document.operations().length }));
  }
  process.exit(failed ? 1 : 0);
})().catch((error) => { console.error(error); process.exit(2); });
