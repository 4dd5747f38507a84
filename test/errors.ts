/** The error `run` throws or rejects with; fails the test when it succeeds. */
export async function errorFrom(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error, got none");
}
