/**
 * Mocha root hooks (loaded by .mocharc): names the running test for the response contract, and
 * fails the suite at the end when any response broke it (see `response-contract.ts`).
 */
import { setCurrentTest, takeViolations } from './response-contract.ts';

export const mochaHooks = {
  beforeEach(this: Mocha.Context) {
    setCurrentTest(this.currentTest?.fullTitle() ?? '(unknown test)');
  },
  afterAll() {
    const violations = takeViolations();
    if (violations.length === 0) return;
    const lines = violations.map((v) => `  ${v.route} → ${v.status}: ${v.problem}\n    in “${v.test}”`);
    throw new Error(
      `${violations.length} response(s) the OpenAPI document does not allow:\n${lines.join('\n')}`,
    );
  },
};
