import { describe, expect, it, vi } from 'vitest';
import { coalesce } from './coalesce';

describe('coalesce', () => {
  it('turns a burst into one call, and calls again after it', () => {
    vi.useFakeTimers();
    const f = vi.fn();
    const c = coalesce(f, 100);
    for (let i = 0; i < 50; i++) c();
    expect(f).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    expect(f).toHaveBeenCalledTimes(1);
    c();
    vi.advanceTimersByTime(100);
    expect(f).toHaveBeenCalledTimes(2);
    c();
    c.cancel();
    vi.advanceTimersByTime(500);
    expect(f).toHaveBeenCalledTimes(2);
    vi.useRealTimers();
  });
});
