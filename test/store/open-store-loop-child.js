// Child process for the concurrent-open test: loads the store module, writes 'ready', then for each line read on
// stdin (a database URL) opens (and so migrates) that store, closes it and writes 'ok' or 'error: <message>', one
// line each. Loading before the first URL arrives lets the parent release all children at the same instant.
// Compiles the TypeScript sources on the fly with @swc/core, as jest does.
const fs = require('node:fs');
const readline = require('node:readline');
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

const reply = (line) => process.stdout.write(`${line}\n`);

readline.createInterface({ input: process.stdin }).on('line', (url) => {
  openStore(url).then(
    async (store) => {
      await store.close();
      reply('ok');
    },
    (e) => reply(`error: ${String(e.message).replace(/\n/g, ' ')}`),
  );
});
reply('ready');
