// Mocha's settings. The whole suite by default; `npm test -- test/api/send.test.ts` (or
// `npx mocha <file>…`) runs only the files named, since a `spec` here would be added to them.
const named = process.argv.slice(2).some((arg) => /\.test\.ts$/.test(arg));

module.exports = {
  require: ['tsx/cjs'],
  extension: ['ts'],
  ...(named ? {} : { spec: ['test/**/*.test.ts'] }),
  timeout: 15000,
  exit: true,
};
