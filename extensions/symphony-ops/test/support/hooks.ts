/** Mocha root hooks: stop the shared demo service after the whole run. */

import { stopSharedDemo } from "./server";

export const mochaHooks = {
  async afterAll(this: unknown): Promise<void> {
    await stopSharedDemo();
  },
};
