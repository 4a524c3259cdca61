// Child process for the cross-process migration tests: opens (and so migrates) the store at the database URL
// argv[2], then exits.
// Compiles the TypeScript sources on the fly with @swc/core, as jest does.
const fs = require('node:fs');
const swc = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

const { openStore } = require('../../src/store/index.ts');

openStore(process.argv[2]).then(
  async (store) => {
    await store.close();
    process.stdout.write('ok');
  },
  (e) => {
    process.stdout.write(`error: ${e.message}`);
    process.exitCode = 1;
  },
);
