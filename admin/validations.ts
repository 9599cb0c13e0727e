import { once } from 'node:events';
import { z } from 'zod';
import type { ExportRow, Stores } from '../services/store/types';
import { AdminError, validateArgs, writeJson, writeLine, type AdminIo, type Output } from './common';
import { siglaSchema } from './companies';
import { adminTexts as t } from './texts';

/**
 * `validacoes reenviar | exportar`: the validations a company's system missed, queued again for
 * notification, or written as CSV for a file-based import into GSAN.
 */

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** An ISO 8601 instant that says its offset (`Z` or `-04:00`): never left to this machine's time zone. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** A day that exists (`Date` would read 2026-02-30 as 2 March). */
const isCalendarDay = (s: string) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);

/**
 * `--desde`/`--ate`: a day (UTC) or an instant with its offset. A day in `--ate` counts whole, so
 * `--desde 2026-11-01 --ate 2026-11-30` is all of November.
 */
const dateOption = (option: 'desde' | 'ate') =>
  z
    .string({ error: t.missingOption(option) })
    .trim()
    .refine((s) => (DAY.test(s) || INSTANT.test(s)) && isCalendarDay(s.slice(0, 10)) && !Number.isNaN(Date.parse(s)), t.invalidDate(option))
    .transform((s) => {
      if (!DAY.test(s)) return new Date(s);
      const day = new Date(`${s}T00:00:00Z`);
      return option === 'ate' ? new Date(day.getTime() + 24 * 60 * 60_000) : day;
    });

export const periodArgs = z
  .object({ sigla: siglaSchema, desde: dateOption('desde'), ate: dateOption('ate').optional() })
  .transform(({ sigla, desde, ate }) => ({ sigla, since: desde, until: ate ?? new Date(8.64e15) }))
  .refine((a) => a.until > a.since, t.emptyPeriod)
  // Nothing was validated in a period that has not begun: a mistyped date, said at once.
  .refine((a) => a.since <= new Date(), t.futureStart);

export type PeriodArgs = z.input<typeof periodArgs>;

export async function requeueValidations(stores: Stores, io: AdminIo, rawArgs: PeriodArgs, now = new Date()): Promise<number> {
  const { sigla, since, until } = validateArgs(periodArgs, rawArgs);
  const company = await stores.companies.findBySigla(sigla);
  if (!company) throw new AdminError(t.companyNotFound(sigla));
  if (!company.notification) throw new AdminError(t.noNotification(sigla));
  const count = await stores.validations.requeue(sigla, since, until, now);
  writeLine(io.err, t.requeued(sigla, count));
  if (io.json) writeJson(io.out, { sigla, reenfileiradas: count });
  return count;
}

export const CSV_HEADER = 'cpfCnpj;email;validadoEm';

/** What a spreadsheet runs as a formula at the start of a cell (OWASP, "CSV Injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A field as RFC 4180 wants it with `;`: a `'` before one that would start a formula (docs/api.md §1
 * refuses such addresses now; one recorded before stays harmless), then quoted when it holds the
 * separator, a quote or a line break.
 */
function csvField(value: string): string {
  const inert = FORMULA_START.test(value) ? `'${value}` : value;
  return /[;"\r\n]/.test(inert) ? `"${inert.replace(/"/g, '""')}"` : inert;
}

export const csvLine = (row: ExportRow) => `${csvField(row.document)};${csvField(row.email)};${row.validatedAt.toISOString()}\n`;

/** Text gathered up to this size before it is written: few writes, little held. */
const CHUNK_CHARS = 64 * 1024;

/** Writes `text`, waiting while `out` is full (a stream's backpressure), so nothing piles up in memory. */
async function writeWaiting(out: Output, text: string): Promise<void> {
  if (out.write(text) === false && 'once' in out) await once(out as NodeJS.WritableStream, 'drain');
}

export interface ExportOptions {
  /** A progress line on `io.err` every this many rows. */
  progressEvery?: number;
}

/**
 * The company's validations of the period, as CSV on `io.out`, client by client, read from the database
 * in batches as they are written: memory stays flat whatever the number of rows.
 */
export async function exportValidations(stores: Stores, io: AdminIo, rawArgs: PeriodArgs, opts: ExportOptions = {}): Promise<number> {
  const { sigla, since, until } = validateArgs(periodArgs, rawArgs);
  if (!(await stores.companies.findBySigla(sigla))) throw new AdminError(t.companyNotFound(sigla));
  const every = opts.progressEvery ?? 10_000;
  let rows = 0;
  let chunk = `${CSV_HEADER}\n`;
  for await (const row of stores.validations.exportRows(sigla, since, until)) {
    chunk += csvLine(row);
    rows++;
    if (chunk.length >= CHUNK_CHARS) {
      await writeWaiting(io.out, chunk);
      chunk = '';
    }
    if (rows % every === 0) writeLine(io.err, t.exporting(rows));
  }
  await writeWaiting(io.out, chunk);
  const now = new Date();
  writeLine(io.err, t.exported(sigla, rows, since, until > now ? now : until));
  return rows;
}
