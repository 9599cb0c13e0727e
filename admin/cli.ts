import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../services/config';
import { StartError } from '../services/startError';
import { createMongoStores, type MongoStoreOptions } from '../services/store/mongo';
import type { Stores } from '../services/store/types';
import { AdminError, UsageError, validateArgs, writeLine, type Output } from './common';
import { createCompany, createCompanyArgs, listCompanies, rotateCompanyKey, rotateKeyArgs } from './companies';
import { importClients, importClientsArgs } from './importClients';
import { adminTexts as t, usage } from './texts';

/** Bound of socket reads for the admin commands (connecting keeps the service's bound). */
const ADMIN_MONGODB_TIMEOUT_MS = 60_000;

/**
 * `npm run admin -- <grupo> <ação> [opções]`: creates companies and their keys and imports their
 * clients, in the MongoDB of `MONGODB_URI`. `parseCommand` checks the whole command line before
 * anything is opened; `main` maps outcomes to exit codes (0 done, 1 error, 2 bad command line).
 */

export interface AdminIo {
  out: Output;
  /** Errors and progress. */
  err: Output;
}

export type AdminCommand = { kind: 'help' } | { kind: 'run'; run: (stores: Stores, io: AdminIo) => Promise<unknown> };

interface CommandSpec {
  options: string[];
  /** Whether the command takes a file name after its options. */
  takesFile?: boolean;
  /** Builds the run from the parsed options and positionals; validates them first. */
  bind(values: Record<string, string | undefined>, positionals: string[]): (stores: Stores, io: AdminIo) => Promise<unknown>;
}

const commands: Record<string, CommandSpec> = {
  'empresa criar': {
    options: ['sigla', 'nome', 'assistente', 'site', 'remetente'],
    bind: (values) => {
      const args = validateArgs(createCompanyArgs, values);
      return (stores, io) => createCompany(stores, io.out, args);
    },
  },
  'empresa nova-chave': {
    options: ['sigla', 'manter-anterior'],
    bind: (values) => {
      const args = validateArgs(rotateKeyArgs, values);
      return (stores, io) => rotateCompanyKey(stores, io.out, args);
    },
  },
  'empresa listar': {
    options: [],
    bind: () => (stores, io) => listCompanies(stores, io.out),
  },
  'clientes importar': {
    options: ['sigla'],
    takesFile: true,
    bind: (values, positionals) => {
      if (positionals.length > 1) throw new UsageError(t.oneFileOnly);
      const args = validateArgs(importClientsArgs, { sigla: values.sigla, file: positionals[0] });
      return (stores, io) => importClients(stores, io.out, args, { progress: io.err });
    },
  },
};

const HELP_FLAGS = new Set(['-h', '--help']);

/** Reads the command line; throws `UsageError` on anything wrong with it. */
export function parseCommand(argv: readonly string[]): AdminCommand {
  if (argv[0] === 'ajuda' || argv.some((a) => HELP_FLAGS.has(a))) return { kind: 'help' };
  const name = argv.slice(0, 2).join(' ');
  const spec = commands[name];
  if (!spec) throw new UsageError(t.unknownCommand(name));
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv.slice(2),
      options: Object.fromEntries(spec.options.map((o) => [o, { type: 'string' as const }])),
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(describeParseError(err));
  }
  if (!spec.takesFile && parsed.positionals.length > 0) {
    throw new UsageError(t.unexpectedArgument(parsed.positionals[0]));
  }
  return { kind: 'run', run: spec.bind(parsed.values as Record<string, string | undefined>, parsed.positionals) };
}

/** node:util's messages are in English; the operator gets them in pt-BR. */
function describeParseError(err: unknown): string {
  const code = (err as { code?: string }).code;
  const quoted = /'([^' ]+)/.exec(err instanceof Error ? err.message : '')?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return t.unknownOption(quoted);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return t.missingValue(quoted);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return t.unexpectedArgument(quoted);
    default:
      return t.badArguments;
  }
}

export interface MainDeps {
  env?: NodeJS.ProcessEnv;
  out?: Output;
  err?: Output;
  /** Opens the stores of `MONGODB_URI`; tests hand in the in-memory ones. */
  openStores?: (opts: MongoStoreOptions) => Promise<Stores>;
}

/** Runs one command line and returns the exit code. */
export async function main(argv: readonly string[], deps: MainDeps = {}): Promise<number> {
  const io: AdminIo = { out: deps.out ?? process.stdout, err: deps.err ?? process.stderr };
  const fail = (message: string, code: number) => {
    writeLine(io.err, t.errorLine(message));
    return code;
  };

  let command: AdminCommand;
  try {
    command = parseCommand(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    writeLine(io.err, t.errorLine(err.message));
    io.err.write(`\n${usage}`);
    return err.exitCode;
  }
  if (command.kind === 'help') {
    io.out.write(usage);
    return 0;
  }

  let mongo: MongoStoreOptions | null;
  try {
    mongo = loadConfig(deps.env ?? process.env).mongo;
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.message, 1);
    throw err;
  }
  // The in-memory store would vanish when the command ends: refuse rather than pretend.
  if (!mongo) return fail(t.needsMongo, 1);

  let stores: Stores;
  try {
    // A batch of a large import may take longer than any one request of the service may.
    stores = await (deps.openStores ?? createMongoStores)({ ...mongo, operationTimeoutMs: ADMIN_MONGODB_TIMEOUT_MS });
  } catch (err) {
    if (err instanceof StartError) return fail(err.message, 1);
    return fail(t.cannotConnect(err instanceof Error ? err.message : String(err)), 1);
  }
  try {
    await command.run(stores, io);
    return 0;
  } catch (err) {
    if (err instanceof AdminError) return fail(err.message, err.exitCode);
    return fail(t.unexpected(err instanceof Error ? err.message : String(err)), 1);
  } finally {
    await stores.close();
  }
}

if (require.main === module) {
  // `npm run admin -- empresa listar | head` closes the pipe early: not an error of ours.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
