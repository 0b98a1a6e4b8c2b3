import { describe, expect, it } from 'vitest';
import { slice } from './window';

describe('slice', () => {
  it('renders the top of the list and overscan while the list is in view from its start', () => {
    expect(slice(500, -200, 900, 50, 10)).toEqual({ start: 0, end: 46, before: 0, after: 454 * 50 });
  });
  it('follows the scroll, with spacers standing for the rest', () => {
    const s = slice(500, 5000, 900, 50, 10);
    expect(s).toEqual({ start: 90, end: 146, before: 4500, after: 354 * 50 });
    expect(s.before + (s.end - s.start) * 50 + s.after).toBe(500 * 50);
  });
  it('stops at the end of the list', () => {
    expect(slice(500, 100000, 900, 50, 10)).toEqual({ start: 489, end: 500, before: 24450, after: 0 });
    expect(slice(0, 0, 900, 50)).toEqual({ start: 0, end: 0, before: 0, after: 0 });
  });
});
