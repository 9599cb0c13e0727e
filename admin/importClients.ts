import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse, type Info } from 'csv-parse';
import iconv from 'iconv-lite';
import { z } from 'zod';
import { parseDocument } from '../services/domain/document';
import { parseEmail } from '../services/domain/email';
import type { Client, Stores } from '../services/store/types';
import { AdminError, hasControlCharacter, validateArgs, writeLine, type Output } from './common';
import { siglaSchema } from './companies';
import { adminTexts as t } from './texts';

/**
 * `clientes importar`: upserts a company's clients from a CSV exported from GSAN's
 * `cadastro.cliente`, with a header naming the columns `cpfCnpj`, `nome` and `email` (any order,
 * any case; other columns are ignored), separated by `;` or `,`, in UTF-8 or Latin-1 (a file is read
 * as Latin-1 only when no line of it is UTF-8: one that mixes both is refused, naming the first
 * line that is not UTF-8).
 *
 * The file is read twice, streaming: first to check it, writing nothing, so a bad header or a
 * broken CSV changes nothing; then to upsert the valid rows in batches. Rows that fail their own
 * checks (document, email, column count, repeated document) are reported with their line number
 * and skipped; they do not stop the import. Each record is bounded, by its bytes and its columns,
 * before it is whole: a record past either bound refuses the file.
 */

export const importClientsArgs = z.object({
  sigla: siglaSchema,
  file: z.string({ error: t.missingFile }).min(1, t.missingFile),
});

export interface ImportOptions {
  /** Clients per `upsertMany` call. */
  batchSize?: number;
  /** Where progress lines go (the CLI: stderr); none when omitted. */
  progress?: Output;
  /** A progress line every this many data rows. */
  progressEvery?: number;
}

export interface RejectedRow {
  /** Line of the file where the row starts; the header is line 1. */
  line: number;
  reason: string;
}

export interface ImportReport {
  encoding: 'UTF-8' | 'Latin-1';
  delimiter: ';' | ',';
  /** Data rows read (header and blank lines not counted). */
  rows: number;
  inserted: number;
  updated: number;
  rejected: RejectedRow[];
}

type NewClient = Omit<Client, 'emailValidatedAt'>;
type Row = { line: number; client: NewClient; reason?: undefined } | { line: number; reason: string };

interface Source {
  path: string;
  /** Bytes to skip: 3 when the file starts with a UTF-8 BOM. */
  start: number;
  encoding: 'utf8' | 'latin1';
  delimiter: ';' | ',';
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const HEAD_BYTES = 64 * 1024;
/**
 * Longer than any real row, separators and quotes included; stops an unclosed quote from swallowing
 * the whole file into one field, and a run of separators from making millions of empty ones.
 */
export const MAX_RECORD_BYTES = 64 * 1024;
/** More columns than any export of `cadastro.cliente` has. */
export const MAX_COLUMNS = 1000;

export async function importClients(
  stores: Stores,
  out: Output,
  rawArgs: z.input<typeof importClientsArgs>,
  opts: ImportOptions = {},
): Promise<ImportReport> {
  const args = validateArgs(importClientsArgs, rawArgs);
  const batchSize = opts.batchSize ?? 1000;
  const progressEvery = opts.progressEvery ?? 10_000;
  const company = await stores.companies.findBySigla(args.sigla);
  if (!company) throw new AdminError(t.companyNotFound(args.sigla));
  const source = await inspect(args.file);

  // First pass: the whole file is read and checked, nothing is written.
  try {
    await scan(source, company.sigla, () => {}, progressLine(opts.progress, progressEvery, t.checking));
  } catch (err) {
    if (err instanceof AdminError) throw new AdminError(`${err.message} ${t.nothingWritten}`);
    throw err;
  }

  // Second pass: the valid rows are upserted, batch by batch.
  const report: ImportReport = {
    encoding: source.encoding === 'utf8' ? 'UTF-8' : 'Latin-1',
    delimiter: source.delimiter,
    rows: 0,
    inserted: 0,
    updated: 0,
    rejected: [],
  };
  let batch: NewClient[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const counts = await stores.clients.upsertMany(batch);
    report.inserted += counts.inserted;
    report.updated += counts.updated;
    batch = [];
  };
  try {
    report.rows = await scan(
      source,
      company.sigla,
      async (row) => {
        if (row.reason !== undefined) {
          report.rejected.push({ line: row.line, reason: row.reason });
          return;
        }
        batch.push(row.client);
        if (batch.length >= batchSize) await flush();
      },
      progressLine(opts.progress, progressEvery, t.importing),
    );
    await flush();
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new AdminError(t.importInterrupted(detail, report.inserted, report.updated));
  }

  writeLine(out, t.importDone(company.sigla, args.file, report.encoding, report.delimiter));
  writeLine(out, t.importCounts(report.rows, report.inserted, report.updated, report.rejected.length));
  for (const r of report.rejected) writeLine(out, t.rejectedRow(r.line, r.reason));
  return report;
}

function progressLine(out: Output | undefined, every: number, text: (rows: number) => string) {
  return (rows: number) => {
    if (out && rows % every === 0) writeLine(out, text(rows));
  };
}

/** Checks the file is there and finds its encoding (whole file valid UTF-8, else Latin-1) and separator. */
async function inspect(path: string): Promise<Source> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new AdminError(t.notAFile(path));
    if (info.size === 0) throw new AdminError(t.emptyFile(path));
  } catch (err) {
    if (err instanceof AdminError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new AdminError(code === 'ENOENT' ? t.fileNotFound(path) : t.cannotRead(path, code ?? String(err)));
  }
  const head = await readHead(path);
  const start = head.subarray(0, 3).equals(UTF8_BOM) ? 3 : 0;
  const lines = await utf8Lines(path, start);
  // A BOM says UTF-8 as surely as a UTF-8 line does.
  if (lines.firstBad !== null && (lines.firstUtf8 !== null || start > 0)) throw new AdminError(t.mixedEncoding(lines.firstBad));
  const encoding = lines.firstBad === null ? 'utf8' : 'latin1';
  const firstLine = iconv.decode(head.subarray(start), encoding).split(/\r\n|\r|\n/, 1)[0];
  return { path, start, encoding, delimiter: firstLine.includes(';') ? ';' : ',' };
}

async function readHead(path: string): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await file.read(buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/**
 * The file's lines as UTF-8 sees them: the first that is not valid UTF-8, and the first that is UTF-8
 * beyond ASCII (numbered as the import numbers them: CR, LF or CRLF end a line). Streams: a line is
 * decoded piece by piece, only when it holds a byte beyond ASCII.
 */
async function utf8Lines(path: string, start: number): Promise<{ firstBad: number | null; firstUtf8: number | null }> {
  const found = { firstBad: null as number | null, firstUtf8: null as number | null };
  let line = 1;
  let decoder: InstanceType<typeof TextDecoder> | null = null;
  let bad = false;
  let afterCr = false;
  const feed = (piece: Buffer) => {
    if (bad || piece.every((byte) => byte < 0x80)) return;
    decoder ??= new TextDecoder('utf-8', { fatal: true });
    try {
      decoder.decode(piece, { stream: true });
    } catch {
      bad = true; // what a fatal TextDecoder throws on a bad sequence
    }
  };
  const endLine = () => {
    if (decoder && !bad) {
      try {
        decoder.decode();
      } catch {
        bad = true; // a sequence cut short by the end of the line
      }
    }
    if (bad) found.firstBad ??= line;
    else if (decoder) found.firstUtf8 ??= line;
    decoder = null;
    bad = false;
  };
  for await (const chunk of createReadStream(path, { start }) as AsyncIterable<Buffer>) {
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte !== 0x0a && byte !== 0x0d) {
        afterCr = false;
        continue;
      }
      feed(chunk.subarray(from, i));
      from = i + 1;
      // CRLF is one line break.
      if (!(byte === 0x0a && afterCr)) {
        endLine();
        line++;
      }
      afterCr = byte === 0x0d;
    }
    feed(chunk.subarray(from));
  }
  endLine();
  return found;
}

/**
 * Streams the file through the decoder and csv-parse, checks the header, and hands every data row,
 * accepted or rejected, to `onRow`. Returns the number of data rows. Throws `AdminError` on a bad
 * header or a broken CSV.
 */
async function scan(
  source: Source,
  companyId: string,
  onRow: (row: Row) => void | Promise<void>,
  onProgress: (rows: number) => void,
): Promise<number> {
  let rows = 0;
  let classifier: RowClassifier | undefined;
  /** Where the record being read began, in the parser's bytes (UTF-8). */
  let recordStart = 0;
  // An error thrown while handling a record; tearing the pipeline down may surface as an AbortError instead.
  let ownError: unknown;
  try {
    await pipeline(
      createReadStream(source.path, { start: source.start }),
      iconv.decodeStream(source.encoding),
      parse({
        delimiter: source.delimiter,
        info: true,
        trim: true,
        relax_quotes: true,
        relax_column_count: true,
        skip_empty_lines: true,
        skip_records_with_empty_values: true,
        max_record_size: MAX_RECORD_BYTES,
        // Called at the end of each field, before it joins its record: the record's bounds hold
        // before it is whole, so no run of separators makes millions of empty fields.
        cast: (value, context) => {
          if (context.index >= MAX_COLUMNS) throw new AdminError(t.badCsv(context.lines, t.tooManyColumns(MAX_COLUMNS)));
          if (context.bytes - recordStart > MAX_RECORD_BYTES) throw new AdminError(t.badCsv(context.lines, t.recordTooLong(MAX_RECORD_BYTES)));
          return value;
        },
        on_record: (record, context) => {
          recordStart = context.bytes;
          return record;
        },
      }),
      async (records: AsyncIterable<{ record: string[]; info: Info }>) => {
        try {
          for await (const { record, info } of records) {
            if (!classifier) {
              classifier = new RowClassifier(companyId, record);
              continue;
            }
            await onRow(classifier.classify(record, startLine(record, info.lines)));
            onProgress(++rows);
          }
        } catch (err) {
          ownError = err;
          throw err;
        }
      },
    );
  } catch (pipelineError) {
    const err = ownError ?? pipelineError;
    if (err instanceof CsvError) {
      throw new AdminError(t.badCsv(typeof err.lines === 'number' ? err.lines : undefined, t.csvDetail(err.code)));
    }
    throw err;
  }
  if (!classifier) throw new AdminError(t.emptyFile(source.path));
  return rows;
}

/** csv-parse counts lines up to the end of a record; a quoted field may span several (each CR and LF in it counts one). */
function startLine(record: string[], endLine: number): number {
  let breaks = 0;
  for (const field of record) breaks += field.match(/[\r\n]/g)?.length ?? 0;
  return endLine - breaks;
}

const headerName = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');
const REQUIRED_COLUMNS = ['cpfCnpj', 'nome', 'email'] as const;

/** Turns the fields of one data row into a client, or the reason it is rejected. */
class RowClassifier {
  private readonly width: number;
  private readonly column: Record<(typeof REQUIRED_COLUMNS)[number], number>;
  /** Document → line of the row that brought it, so a second row with it is rejected. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly companyId: string,
    header: string[],
  ) {
    const names = header.map(headerName);
    const missing = REQUIRED_COLUMNS.filter((c) => !names.includes(headerName(c)));
    if (missing.length > 0) throw new AdminError(t.badHeader(missing));
    this.width = header.length;
    this.column = {
      cpfCnpj: names.indexOf('cpfcnpj'),
      nome: names.indexOf('nome'),
      email: names.indexOf('email'),
    };
  }

  classify(fields: string[], line: number): Row {
    const reject = (reason: string): Row => ({ line, reason });
    // Extra empty fields are a trailing separator; anything else means the columns are off.
    if (fields.length < this.width || fields.slice(this.width).some((f) => f !== '')) {
      return reject(t.wrongColumnCount(fields.length, this.width));
    }
    const rawDocument = fields[this.column.cpfCnpj];
    if (rawDocument === '') return reject(t.emptyDocument);
    const document = parseDocument(rawDocument);
    if (!document) return reject(t.invalidDocument);

    const nome = fields[this.column.nome];
    // ESC, CR, LF and their kind would reach the operator's terminal (`clientes consultar`).
    if (hasControlCharacter(nome)) return reject(t.controlInName);

    const rawEmail = fields[this.column.email];
    const email = rawEmail === '' ? null : parseEmail(rawEmail);
    if (rawEmail !== '' && email === null) return reject(t.invalidEmail);

    const firstLine = this.seen.get(document);
    if (firstLine !== undefined) return reject(t.repeatedDocument(firstLine));
    this.seen.set(document, line);
    return { line, client: { companyId: this.companyId, document, nome: nome.trim(), email } };
  }
}
