/**
 * Card doorbells at capacity (facts §1.5; issue 13 item 3): 16 doorbells filled exactly once each,
 * then shared, then freed back to empty; a shared doorbell runs every handler, and a free takes
 * out only the registration it names.
 */
import { describe, expect, test } from 'vitest';
import { CARD_DOORBELL_COUNT, CARD_DOORBELL_IRQ_BASE } from '../../model/constants/pcie.ts';
import { CardDoorbells } from './doorbells.ts';

describe('card doorbells (mic_next_card_db)', () => {
  test('16 requesters take the 16 doorbells in order, the 17th to 32nd share them in order, all freed is empty again', () => {
    const d = new CardDoorbells();
    const got: number[] = [];
    for (let i = 0; i < 2 * CARD_DOORBELL_COUNT; i++) got.push(d.request(() => {}, i));
    expect(got).toEqual([...Array(2 * CARD_DOORBELL_COUNT).keys()].map((i) => i % CARD_DOORBELL_COUNT));
    expect(d.counts()).toEqual(new Array(CARD_DOORBELL_COUNT).fill(2));
    for (let i = 0; i < 2 * CARD_DOORBELL_COUNT; i++) d.free(i % CARD_DOORBELL_COUNT, i);
    expect(d.counts()).toEqual(new Array(CARD_DOORBELL_COUNT).fill(0));
    for (let db = 0; db < CARD_DOORBELL_COUNT; db++) expect(d.dispatch(CARD_DOORBELL_IRQ_BASE + db)).toBe(false);
    expect(d.request(() => {})).toBe(0);
  });

  test('a shared doorbell runs every handler; freeing one user leaves the others', () => {
    const d = new CardDoorbells();
    const ran: string[] = [];
    for (let i = 0; i < CARD_DOORBELL_COUNT; i++) d.request(() => ran.push(`first ${i}`), `first ${i}`);
    expect(d.request(() => ran.push('second 0'), 'second 0')).toBe(0);
    expect(d.dispatch(CARD_DOORBELL_IRQ_BASE)).toBe(true);
    expect(ran).toEqual(['first 0', 'second 0']);
    d.free(0, 'first 0');
    ran.length = 0;
    d.dispatch(CARD_DOORBELL_IRQ_BASE);
    expect(ran).toEqual(['second 0']);
    // the freed use comes back: doorbell 0 is the lowest usage count again
    expect(d.request(() => {}, 'third')).toBe(0);
  });

  test('a handler that frees its own registration while its doorbell is dispatched does not skip the others', () => {
    const d = new CardDoorbells();
    const ran: string[] = [];
    for (let i = 0; i < CARD_DOORBELL_COUNT; i++) d.request(() => {}, i);
    const self = (): void => {
      ran.push('self');
      d.free(0, 'self');
    };
    expect(d.request(self, 'self')).toBe(0);
    for (let i = 1; i < CARD_DOORBELL_COUNT; i++) d.request(() => {}, `y${i}`);
    expect(d.request(() => ran.push('after'), 'after')).toBe(0);
    d.dispatch(CARD_DOORBELL_IRQ_BASE);
    expect(ran.slice(0, 1)).toEqual(['self']);
    expect(ran).toContain('after');
  });
});
