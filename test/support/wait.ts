/**
 * Checks `condition` every 10 ms until it holds. No deadline of its own: the test's timeout catches
 * a condition that never comes.
 */
export async function eventually(condition: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
}
