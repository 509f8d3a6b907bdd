import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPolicies, PolicyError } from '../../src/config/policies.ts';

function copyPolicies(edit: (dir: string) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-pol-'));
  fs.cpSync('policies', dir, { recursive: true });
  edit(dir);
  return dir;
}

function problemsOf(dir: string): string[] {
  try {
    loadPolicies(dir);
  } catch (error) {
    assert.ok(error instanceof PolicyError, String(error));
    return error.problems;
  }
  return [];
}

describe('policy files', () => {
  it('the shipped policies are valid and carry the plan limits', () => {
    const p = loadPolicies('policies');
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(p.plans.plans).map(([k, v]) => [k, [v.daily_limit, v.monthly_limit]]),
      ),
      { starter: [100, 2000], growth: [500, 10000], scale: [1500, 30000] },
    );
    assert.deepEqual(
      p.purposes.allowed.map((x) => x.id),
      ['transactional', 'operational', 'support', 'internal_team', 'authentication'],
    );
  });

  it('an invalid file names the file, the JSON pointer and the reason', () => {
    const dir = copyPolicies((d) => {
      const plans = JSON.parse(fs.readFileSync(path.join(d, 'plans.json'), 'utf8'));
      plans.plans.starter.daily_limit = 'a hundred';
      fs.writeFileSync(path.join(d, 'plans.json'), JSON.stringify(plans));
    });
    assert.deepEqual(problemsOf(dir), ['plans.json: /plans/starter/daily_limit: must be integer']);
  });

  it('broken JSON, unknown keys and missing files are reported', () => {
    const dir = copyPolicies((d) => {
      fs.writeFileSync(path.join(d, 'throttle.json'), '{ "per_instance": ');
      const purposes = JSON.parse(fs.readFileSync(path.join(d, 'purposes.json'), 'utf8'));
      purposes.colour = 'blue';
      fs.writeFileSync(path.join(d, 'purposes.json'), JSON.stringify(purposes));
      fs.rmSync(path.join(d, 'opt-out.json'));
    });
    const problems = problemsOf(dir);
    assert.ok(
      problems.some((p) => p.startsWith('throttle.json: /: not valid JSON')),
      problems.join('\n'),
    );
    assert.ok(
      problems.includes('purposes.json: /: must NOT have additional properties (colour)'),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.startsWith('opt-out.json: file not found')),
      problems.join('\n'),
    );
  });

  it('a purpose cannot be both allowed and disallowed', () => {
    const dir = copyPolicies((d) => {
      const purposes = JSON.parse(fs.readFileSync(path.join(d, 'purposes.json'), 'utf8'));
      purposes.disallowed.push({ id: 'support', description: 'oops' });
      fs.writeFileSync(path.join(d, 'purposes.json'), JSON.stringify(purposes));
    });
    assert.deepEqual(problemsOf(dir), ['purposes.json: /disallowed: "support" is also listed as allowed']);
  });
});
