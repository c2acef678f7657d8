// Golden results: each case ranks a checked-in snapshot for a checked-in requirements file and must
// match the reviewed result byte for byte. Regenerate with UPDATE_GOLDEN=1 only after reading the diff.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { formatPlacement } from '../../../../core/cli/commands/place.js';
import { parseRequirements, parseSnapshot, rankDevices, type PlacementOptions } from '../../../../core/placement/index.js';

const dir = new URL('../../../fixtures/placement/', import.meta.url).pathname;
const update = process.env.UPDATE_GOLDEN === '1';
const readJson = (p: string): unknown => JSON.parse(readFileSync(dir + p, 'utf8'));

const { cases } = readJson('cases.json') as {
  cases: { snapshot: string; requirements: string; options?: PlacementOptions; text?: boolean }[];
};

for (const c of cases) {
  const name = `${c.snapshot}--${c.requirements}${c.options ? '--options' : ''}`;
  t.test(name, async (t) => {
    const snapshot = parseSnapshot(readJson(`snapshots/${c.snapshot}.json`));
    const app = parseRequirements(readJson(`requirements/${c.requirements}.json`));
    const result = rankDevices(app, snapshot.devices, c.options);
    const json = JSON.stringify(result, null, 2) + '\n';
    const text = formatPlacement(result, c.requirements) + '\n';
    if (update) {
      writeFileSync(`${dir}golden/${name}.json`, json);
      if (c.text) writeFileSync(`${dir}golden/${name}.txt`, text);
    }
    t.equal(json, readFileSync(`${dir}golden/${name}.json`, 'utf8'), 'JSON result matches the golden file');
    if (c.text) t.equal(text, readFileSync(`${dir}golden/${name}.txt`, 'utf8'), 'human output matches the golden file');
  });
}
