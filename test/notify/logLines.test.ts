import { strict as assert } from 'node:assert';
import { attemptLine, failingLine, workingAgainLine } from '../../services/notify/logLines';
import type { ClaimedValidation } from '../../services/store/types';
import { newValidation } from '../../services/domain/validations';

/** The notification worker's log lines, as docs/operations.md ("Logs") shows them. */

describe('notification log lines', () => {
  const validation = { ...newValidation('maria@exemplo.com.br', new Date('2026-11-05T12:00:00Z'), 'webhook', true), attempts: 1 };
  const claim: ClaimedValidation = { companyId: 'CAER', document: '02789078220', owner: 'i:1', validation, token: null };
  const retryAt = new Date('2026-11-05T12:01:00Z');
  const base = { event: 'notification', company: 'CAER', eventId: validation.eventId };

  const rows: [why: string, line: ReturnType<typeof attemptLine>, expected: ReturnType<typeof attemptLine>][] = [
    [
      'delivered',
      attemptLine('CAER', claim, { kind: 'delivered' }, true),
      { level: 'info', fields: { ...base, result: 'delivered', attempt: 2 }, message: 'notification delivered' },
    ],
    [
      'to be retried, and when',
      attemptLine('CAER', claim, { kind: 'retry', at: retryAt, error: 'HTTP 503' }, true),
      { level: 'warn', fields: { ...base, result: 'retry', attempt: 2, error: 'HTTP 503', retryAt }, message: 'notification not delivered, will retry' },
    ],
    [
      'failed for good',
      attemptLine('CAER', claim, { kind: 'failed', error: 'HTTP 400' }, true),
      { level: 'warn', fields: { ...base, result: 'failed', attempt: 2, error: 'HTTP 400' }, message: 'notification failed for good' },
    ],
    [
      'its lease lost before the result was recorded',
      attemptLine('CAER', claim, { kind: 'delivered' }, false),
      {
        level: 'warn',
        fields: { ...base, result: 'delivered', attempt: 2 },
        message: 'notification: lease lost before its result was recorded (it will be sent again, unless it was erased)',
      },
    ],
  ];
  for (const [why, line, expected] of rows) {
    it(`an attempt ${why}: named by its eventId, never the CPF/CNPJ or the email`, () => {
      assert.deepEqual(line, expected);
      const text = JSON.stringify(line);
      assert.ok(!text.includes(claim.document) && !text.includes('maria'), text);
    });
  }

  it('the worker failing to look for work, with the error, then working again', () => {
    const failing = failingLine(Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' }));
    assert.equal(failing.level, 'warn');
    assert.equal(failing.message, 'notification worker failed; trying again at every poll');
    assert.deepEqual({ ...failing.fields, error: { ...(failing.fields.error as object), stack: undefined } }, {
      event: 'notification',
      error: { type: 'Error', message: 'connection refused', code: 'ECONNREFUSED', stack: undefined },
    });
    assert.deepEqual(workingAgainLine(), { level: 'info', fields: { event: 'notification' }, message: 'notification worker: working again' });
  });
});
