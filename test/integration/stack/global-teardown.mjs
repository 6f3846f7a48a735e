/** Stops every component the global setup started. */
export default async function globalTeardown() {
  await globalThis.__LOCAL_STACK__?.stop();
}
