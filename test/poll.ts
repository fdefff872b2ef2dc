// Polling for tests that wait on workers, queues, child processes and fake vendors.

/**
 * Calls `read` until `ok` holds for its value, and returns that value. Past `timeoutMs` it throws, naming `what`
 * and showing the last value read.
 */
export async function until<T>(read: () => Promise<T> | T, ok: (value: T) => boolean, timeoutMs = 20_000, what = 'the condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last value: ${shown(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A value for a timeout message: JSON when it can be (a BullMQ job or an HTTP response may be circular). */
function shown(value: unknown): string {
  try {
    return String(JSON.stringify(value)).slice(0, 2000);
  } catch {
    return String(value);
  }
}

/** Waits until `check` is true; past `timeoutMs` throws `timed out waiting for <what>`. */
export async function waitUntil(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000): Promise<void> {
  await until(check, Boolean, timeoutMs, what);
}

/** Waits until `probe` gives a value (anything but null, undefined or false) and returns it. */
export async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  return (await until(probe, Boolean, timeoutMs, 'a value')) as T;
}
