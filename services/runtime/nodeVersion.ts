/**
 * The oldest Node.js the service runs on, as `package.json`'s `engines` says (a test holds the two
 * together). An older one fails somewhere deep in the start with a misleading cause, so both entry
 * points (the service and the admin command) refuse it first, in one pt-BR line.
 */
export const MIN_NODE = { major: 22, minor: 12 } as const;

/** The refusal for `version` (`v20.20.2`), or `null` when it is new enough. */
export function unsupportedNode(version: string): string | null {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  if (major > MIN_NODE.major || (major === MIN_NODE.major && minor >= MIN_NODE.minor)) return null;
  return (
    `Este serviço precisa do Node.js ${MIN_NODE.major}.${MIN_NODE.minor} ou mais novo (de preferência o 24 LTS), mas este é o ${version}. ` +
    'Instale um Node.js suportado; numa cópia de desenvolvimento, os comandos npm já usam o Node 24 de node_modules/.bin.'
  );
}

/** Ends the process with the refusal when the running Node.js is too old. */
export function requireSupportedNode(): void {
  const refusal = unsupportedNode(process.version);
  if (refusal === null) return;
  process.stderr.write(`${refusal}\n`);
  process.exit(1);
}
