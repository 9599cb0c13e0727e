/**
 * Variables Node reads as the process starts, before any code of the service runs: set in `.env`
 * they do nothing (`NODE_EXTRA_CA_CERTS`, the private CA of a mail server, most of all).
 */
const READ_BY_NODE_AT_START = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS', 'NODE_USE_SYSTEM_CA'];

/**
 * `.env`, in the folder the process runs from, read into `process.env` when it exists: the one place
 * the service and the admin command do it. A variable already set in the environment wins, as with
 * `node --env-file`; with no file nothing happens and nothing is said. Answers the variables the
 * file set that Node reads only at its start, for the caller to warn about.
 */
export function loadEnvFile(file = '.env'): string[] {
  const before = new Set(READ_BY_NODE_AT_START.filter((name) => process.env[name] !== undefined));
  try {
    process.loadEnvFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return READ_BY_NODE_AT_START.filter((name) => !before.has(name) && process.env[name] !== undefined);
}
