// coalesce turns a burst of calls into one call after a quiet spell, so
// a burst of events (a prune removing fifty images) costs one list
// request, not fifty. cancel drops a pending call (for $effect cleanup).
export function coalesce(f: () => void, delay = 100): { (): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const call = () => {
    timer ??= setTimeout(() => {
      timer = undefined;
      f();
    }, delay);
  };
  call.cancel = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  return call;
}
