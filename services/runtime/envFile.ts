/**
 * `.env`, in the folder the process runs from, read into `process.env` when it exists: the one place
 * the service and the admin command do it. A variable already set in the environment wins, as with
 * `node --env-file`; with no file nothing happens and nothing is said.
 */
export function loadEnvFile(file = '.env'): void {
  try {
    process.loadEnvFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
