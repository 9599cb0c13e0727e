#!/usr/bin/env node
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { BOT_STATE_INDEXES } from '../bots/stateCollection';
import { ConfigError, loadConfig, type Config } from '../services/runtime/config';
import { loadEnvFile } from '../services/runtime/envFile';
import { requireSupportedNode } from '../services/runtime/nodeVersion';
import { StartError } from '../services/runtime/startError';
import { createMongoStores, type MongoStoreOptions } from '../services/store/mongo';
import type { Stores } from '../services/store/types';
import { AdminError, UsageError, validateArgs, writeJson, writeLine, type AdminIo, type Output } from './common';
import { clientArgs, consultClient, forgetClient } from './clients';
import { createCompany, createCompanyArgs, listCompanies, rotateCompanyKey, rotateKeyArgs } from './companies';
import { importClients, importClientsArgs } from './importClients';
import { applyDatabaseIndexes } from './indexes';
import { configureNotification, configureNotificationArgs, reencryptSecrets, removeNotification, removeNotificationArgs } from './notifications';
import { destinationRules } from '../services/notify/destination';
import { exportValidations, periodArgs, requeueValidations } from './validations';
import { adminTexts as t, commandHelp, usage, type CommandName } from './texts';

/** Bound of socket reads for the admin commands (connecting keeps the service's bound). */
const ADMIN_MONGODB_TIMEOUT_MS = 60_000;

/**
 * `npx gsan-email-admin <grupo> <ação> [opções]` (`npm run admin -- …` in a clone): the operator's
 * commands on the MongoDB of `MONGODB_URI`, one per entry of `commands` below (companies and their
 * keys, notification destinations, client imports, validations, LGPD requests). `parseCommand` checks
 * the whole command line before anything is opened; `main` maps outcomes to exit codes (0 done, 1
 * error, 2 bad command line). A secret or a result goes alone on standard output; what a person
 * reads goes on standard error.
 */

/**
 * What a command runs with: the stores, its outputs, and the configuration (`CODE_PEPPER`, the key
 * notification secrets are encrypted under, with `CODE_PEPPER_FALLBACK` during its rotation; the database).
 */
type Run = (stores: Stores, io: AdminIo, config: Config) => Promise<unknown>;

export type AdminCommand = { kind: 'help'; text: string } | { kind: 'run'; json: boolean; run: Run };

interface CommandSpec {
  options: string[];
  /** Whether the command takes a file name after its options. */
  takesFile?: boolean;
  /** Its standard output is data of its own (CSV), so `--json` does not apply. */
  noJson?: boolean;
  /** Builds the run from the parsed options and positionals (files resolved against `cwd`); validates them first. */
  bind(values: Record<string, string | undefined>, positionals: string[], cwd: string): Run;
}

/** A command whose options are checked by `schema` and handed to `run` as they are. */
const simple = <S extends z.ZodType>(
  options: string[],
  schema: S,
  run: (stores: Stores, io: AdminIo, args: z.input<S>) => Promise<unknown>,
): CommandSpec => ({
  options,
  bind: (values) => {
    validateArgs(schema, values);
    return (stores, io) => run(stores, io, values as z.input<S>);
  },
});

/** Discards what it is given: the person's summary when `--json` already says it all. */
const nowhere: Output = { write: () => true };

/** Every command, by its words; `commandUsage` (admin/texts.ts) has the help of each. */
export const commands: Record<CommandName, CommandSpec> = {
  'empresa criar': {
    options: ['sigla', 'nome', 'assistente', 'site', 'remetente'],
    bind: (values) => {
      const args = validateArgs(createCompanyArgs, values);
      return (stores, io) => createCompany(stores, io, args);
    },
  },
  'empresa nova-chave': {
    options: ['sigla', 'manter-anterior'],
    bind: (values) => {
      const args = validateArgs(rotateKeyArgs, values);
      return (stores, io) => rotateCompanyKey(stores, io, args);
    },
  },
  'empresa listar': {
    options: [],
    bind: () => (stores, io) => listCompanies(stores, io.out, { json: io.json }),
  },
  'empresa configurar-notificacao': {
    options: ['sigla', 'url', 'manter-anterior'],
    bind: (values) => {
      const args = validateArgs(configureNotificationArgs, values);
      return (stores, io, config) => configureNotification(stores, io, args, config.codePepper, destinationRules(config.mongo?.uri));
    },
  },
  'empresa recifrar-segredos': {
    options: [],
    bind: () => (stores, io, config) => reencryptSecrets(stores, io, config.codePepper, config.codePepperFallback),
  },
  'empresa remover-notificacao': simple(['sigla'], removeNotificationArgs, removeNotification),
  'validacoes reenviar': simple(['sigla', 'desde', 'ate'], periodArgs, requeueValidations),
  'validacoes exportar': { ...simple(['sigla', 'desde', 'ate'], periodArgs, exportValidations), noJson: true },
  'clientes consultar': simple(['sigla', 'cpf'], clientArgs, consultClient),
  'clientes esquecer': simple(['sigla', 'cpf'], clientArgs, forgetClient),
  'clientes importar': {
    options: ['sigla'],
    takesFile: true,
    bind: (values, positionals, cwd) => {
      if (positionals.length > 1) throw new UsageError(t.oneFileOnly);
      // Relative to where the person ran the command (npm runs scripts from the package's folder).
      const file = positionals[0] === undefined ? undefined : resolve(cwd, positionals[0]);
      const args = validateArgs(importClientsArgs, { sigla: values.sigla, file });
      return async (stores, io) => {
        const report = await importClients(stores, io.json ? nowhere : io.err, args, { progress: io.err });
        if (io.json) writeJson(io.out, report);
      };
    },
  },
  // `main` runs commands only with MONGODB_URI.
  'indices aplicar': { options: [], bind: () => (_stores, io, config) => applyDatabaseIndexes(io, config.mongo!) },
};

const HELP_FLAGS = new Set(['-h', '--help']);

/** Reads the command line; throws `UsageError` on anything wrong with it. `cwd` is where relative files are. */
export function parseCommand(argv: readonly string[], cwd = process.cwd()): AdminCommand {
  const words = argv.slice(0, 2).join(' ');
  const name = Object.hasOwn(commands, words) ? (words as CommandName) : undefined;
  const help = argv[0] === 'ajuda' || argv.some((a) => HELP_FLAGS.has(a));
  if (help) return { kind: 'help', text: name ? commandHelp(name) : usage };
  if (!name) throw new UsageError(t.unknownCommand(words));
  const spec = commands[name];
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv.slice(2),
      options: {
        ...Object.fromEntries(spec.options.map((o) => [o, { type: 'string' as const }])),
        json: { type: 'boolean' as const },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(describeParseError(err));
  }
  if (!spec.takesFile && parsed.positionals.length > 0) {
    throw new UsageError(t.unexpectedArgument(parsed.positionals[0]));
  }
  const { json, ...values } = parsed.values;
  if (json && spec.noJson) throw new UsageError(t.noJsonFor(name));
  return {
    kind: 'run',
    json: json === true,
    run: spec.bind(values as Record<string, string | undefined>, parsed.positionals, cwd),
  };
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
  const out = deps.out ?? process.stdout;
  const err = deps.err ?? process.stderr;
  const env = deps.env ?? process.env;
  const fail = (message: string, code: number) => {
    writeLine(err, t.errorLine(message));
    return code;
  };

  let command: AdminCommand;
  try {
    // npm sets INIT_CWD to the folder it was run from; without npm, the process's own.
    command = parseCommand(argv, env.INIT_CWD ?? process.cwd());
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    writeLine(err, t.errorLine(e.message));
    err.write(`\n${usage}`);
    return e.exitCode;
  }
  if (command.kind === 'help') {
    out.write(command.text);
    return 0;
  }
  const io: AdminIo = { out, err, json: command.json };

  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.message, 1);
    throw err;
  }
  const mongo = config.mongo;
  // The in-memory store would vanish when the command ends: refuse rather than pretend.
  if (!mongo) return fail(t.needsMongo, 1);

  let stores: Stores;
  try {
    // A batch of a large import may take longer than any one request of the service may.
    stores = await (deps.openStores ?? createMongoStores)({ ...mongo, operationTimeoutMs: ADMIN_MONGODB_TIMEOUT_MS, moreIndexes: BOT_STATE_INDEXES });
  } catch (err) {
    if (err instanceof StartError) return fail(err.message, 1);
    return fail(t.cannotConnect(err instanceof Error ? err.message : String(err)), 1);
  }
  try {
    await command.run(stores, io, config);
    return 0;
  } catch (err) {
    if (err instanceof AdminError) return fail(err.message, err.exitCode);
    return fail(t.unexpected(err instanceof Error ? err.message : String(err)), 1);
  } finally {
    await stores.close();
  }
}

if (require.main === module) {
  requireSupportedNode();
  // `npm run admin -- empresa listar | head` closes the pipe early: not an error of ours.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  loadEnvFile();
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
