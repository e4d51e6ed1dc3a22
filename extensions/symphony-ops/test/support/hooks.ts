/** Mocha root hooks: stop the shared demo service; turn a leaked handle into a loud failure. */

import { stopSharedDemo } from "./server";

export const mochaHooks = {
  async afterAll(this: unknown): Promise<void> {
    await stopSharedDemo();
    // Unref'd: it fires only if something the tests started still keeps Node alive (a timer,
    // a socket). Then name what it is and fail, instead of hanging CI until its deadline.
    setTimeout(() => {
      console.error("mocha: still running 20 s after the last test; open handles:", process.getActiveResourcesInfo());
      process.on("exit", () => {
        process.exitCode = 1; // after mocha's own exit listener, which would write 0
      });
      process.exit(1);
    }, 20_000).unref();
  },
};
