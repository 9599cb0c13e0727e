import { strict as assert } from 'node:assert';
import { ForbiddenAddressError } from '../../services/notify/destination';
import { judgeAnswer, judgeNoAnswer, type Verdict } from '../../services/notify/judge';

/** What each answer of a receiver, or its absence, comes to (docs/notifications.md, "the receiver answers"), row by row. */

describe('judging a notification attempt', () => {
  describe('an answer', () => {
    const rows: [status: number, retryAfter: string | null, verdict: Verdict][] = [
      [200, null, { kind: 'delivered' }],
      [204, null, { kind: 'delivered' }],
      [299, '30', { kind: 'delivered' }],
      [408, null, { kind: 'retry', error: 'HTTP 408', atLeastMs: 0 }],
      [429, null, { kind: 'retry', error: 'HTTP 429', atLeastMs: 0 }],
      [429, '30', { kind: 'retry', error: 'HTTP 429', atLeastMs: 30_000 }],
      [503, '1.5', { kind: 'retry', error: 'HTTP 503', atLeastMs: 1500 }],
      [503, 'Wed, 21 Oct 2026 07:28:00 GMT', { kind: 'retry', error: 'HTTP 503', atLeastMs: 0 }],
      [503, '-5', { kind: 'retry', error: 'HTTP 503', atLeastMs: 0 }],
      [500, '0', { kind: 'retry', error: 'HTTP 500', atLeastMs: 0 }],
      [500, '', { kind: 'retry', error: 'HTTP 500', atLeastMs: 0 }],
      [599, null, { kind: 'retry', error: 'HTTP 599', atLeastMs: 0 }],
      [301, null, { kind: 'failed', error: 'HTTP 301 (redirecionamento não seguido)' }],
      [307, null, { kind: 'failed', error: 'HTTP 307 (redirecionamento não seguido)' }],
      [400, '30', { kind: 'failed', error: 'HTTP 400' }],
      [401, null, { kind: 'failed', error: 'HTTP 401' }],
      [404, null, { kind: 'failed', error: 'HTTP 404' }],
      [410, null, { kind: 'failed', error: 'HTTP 410' }],
      [199, null, { kind: 'failed', error: 'HTTP 199' }],
    ];
    for (const [status, retryAfter, verdict] of rows) {
      it(`${status}${retryAfter === null ? '' : ` with Retry-After "${retryAfter}"`}: ${verdict.kind}`, () => {
        assert.deepEqual(judgeAnswer(status, retryAfter), verdict);
      });
    }
  });

  describe('no answer', () => {
    const withCode = (code: string) => Object.assign(new Error('x'), { code });
    const rows: [why: string, err: unknown, timedOut: boolean, verdict: Verdict][] = [
      ['cut by its time bound', withCode('ECONNRESET'), true, { kind: 'retry', error: 'tempo esgotado', atLeastMs: 0 }],
      ['refused', withCode('ECONNREFUSED'), false, { kind: 'retry', error: 'conexão recusada', atLeastMs: 0 }],
      ['refused, as fetch says it (in the cause)', new Error('fetch failed', { cause: withCode('ECONNREFUSED') }), false, { kind: 'retry', error: 'conexão recusada', atLeastMs: 0 }],
      ['cut by the receiver', withCode('ECONNRESET'), false, { kind: 'retry', error: 'conexão interrompida', atLeastMs: 0 }],
      ['cut, as undici says it', withCode('UND_ERR_SOCKET'), false, { kind: 'retry', error: 'conexão interrompida', atLeastMs: 0 }],
      ['a name not found', withCode('ENOTFOUND'), false, { kind: 'retry', error: 'nome do servidor não encontrado', atLeastMs: 0 }],
      ['a name not found for now', withCode('EAI_AGAIN'), false, { kind: 'retry', error: 'nome do servidor não encontrado', atLeastMs: 0 }],
      ['any other code, named', withCode('EHOSTUNREACH'), false, { kind: 'retry', error: 'falha de rede (EHOSTUNREACH)', atLeastMs: 0 }],
      ['no code at all', new Error('socket hang up'), false, { kind: 'retry', error: 'falha de rede', atLeastMs: 0 }],
      [
        'a name that now resolves somewhere forbidden: refused for good, as at configuration',
        new ForbiddenAddressError('receptor.exemplo: 127.0.0.1 é um endereço de loopback'),
        false,
        { kind: 'failed', error: 'destino inválido: receptor.exemplo: 127.0.0.1 é um endereço de loopback' },
      ],
    ];
    for (const [why, err, timedOut, verdict] of rows) {
      it(`${why}: ${verdict.kind === 'retry' ? verdict.error : verdict.kind}`, () => {
        assert.deepEqual(judgeNoAnswer(err, timedOut), verdict);
      });
    }
  });
});
