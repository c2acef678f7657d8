import t from 'tap';
import fc from 'fast-check';
import { SessionSlots, SSH_MAX_SESSIONS } from '../../../../plugins/docker-host/session-slots.js';

const FAR = () => Date.now() + 60_000;
const exhausted = () => new Error('exhausted');
/** Lets promise callbacks run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

/** A take() whose outcome can be read synchronously after settle(). */
function ask<T>(slots: SessionSlots<T>, deadline = FAR(), first = false) {
  const r: { granted: boolean; handed?: T; error?: Error } = { granted: false };
  slots.take(deadline, exhausted, first).then(
    (h) => {
      r.granted = true;
      r.handed = h;
    },
    (e: Error) => (r.error = e),
  );
  return r;
}

t.test('up to the limit at once, then in line', async (t) => {
  const slots = new SessionSlots({ max: 3 });
  const got = [ask(slots), ask(slots), ask(slots)];
  const fourth = ask(slots);
  await settle();
  t.same(got.map((g) => g.granted), [true, true, true]);
  t.notOk(fourth.granted, 'the fourth waits');
  t.equal(slots.open, 3);
  t.equal(slots.waiting, 1);
  slots.give();
  await settle();
  t.ok(fourth.granted, 'a freed session goes to it');
  t.equal(slots.open, 3);
  t.equal(new SessionSlots().allowed, SSH_MAX_SESSIONS, 'the default is sshd\'s MaxSessions');
  slots.close();
});

t.test('first come, first served: a request made later never takes the place of one waiting', async (t) => {
  const slots = new SessionSlots({ max: 2 });
  ask(slots);
  ask(slots);
  const order: number[] = [];
  const waiters = [0, 1, 2].map((i) => slots.take(FAR(), exhausted).then(() => order.push(i)));
  slots.give();
  // Asked after the session was freed, before the waiter first in line has run.
  const late = ask(slots);
  await settle();
  t.same(order, [0]);
  t.notOk(late.granted, 'the later request is behind the line');
  slots.give();
  slots.give();
  await settle();
  t.same(order, [0, 1, 2]);
  t.notOk(late.granted);
  slots.give();
  await settle();
  t.ok(late.granted);
  await Promise.all(waiters);
  slots.close();
});

t.test('a wait ends at its deadline with the caller\'s error, and the line moves on without it', async (t) => {
  const slots = new SessionSlots({ max: 1 });
  ask(slots);
  const early = ask(slots, Date.now() + 30);
  const patient = ask(slots);
  await new Promise((r) => setTimeout(r, 80));
  t.equal(early.error?.message, 'exhausted');
  t.equal(slots.waiting, 1);
  slots.give();
  await settle();
  t.ok(patient.granted, 'the next in line has the session');
  t.equal(slots.open, 1);
  slots.close();
});

t.test('an open session is handed to the head of the line with its place', async (t) => {
  const slots = new SessionSlots<string>({ max: 1 });
  ask(slots);
  t.notOk(slots.handOver('idle'), 'nobody waits: the session stays with its owner');
  const a = ask(slots);
  const b = ask(slots);
  t.ok(slots.handOver('channel-1'));
  await settle();
  t.equal(a.handed, 'channel-1');
  t.notOk(b.granted);
  t.equal(slots.open, 1, 'the count does not change: the place went with the session');
  slots.give();
  await settle();
  t.ok(b.granted);
  t.equal(b.handed, undefined, 'a freed place comes without a session: the caller opens one');
  slots.close();
});

t.test('a refusal holds the count to what is open, keeps the retry first, and the full limit returns later', async (t) => {
  let now = Date.now();
  const slots = new SessionSlots({ max: 4, recoverMs: 500, tickMs: 10, now: () => now });
  for (let i = 0; i < 3; i++) ask(slots);
  await settle();
  t.equal(slots.open, 3);
  // The third's open was refused by sshd.
  slots.refused();
  t.equal(slots.open, 2);
  t.equal(slots.allowed, 2, 'held to the two that sshd accepted');
  const other = ask(slots);
  const retry = ask(slots, FAR(), true);
  await settle();
  t.notOk(retry.granted);
  slots.give();
  await settle();
  t.ok(retry.granted, 'the retry kept its turn');
  t.notOk(other.granted);
  now += 500;
  await new Promise((r) => setTimeout(r, 40));
  t.equal(slots.allowed, 4);
  t.ok(other.granted, 'a tick lets the line in once the limit is back');
  slots.close();
});

t.test('a new connection forgets a lowered limit and lets the line in', async (t) => {
  const slots = new SessionSlots({ max: 3 });
  ask(slots);
  ask(slots);
  await settle();
  slots.refused();
  const w = ask(slots);
  await settle();
  t.notOk(w.granted);
  slots.reset();
  await settle();
  t.ok(w.granted);
  t.equal(slots.allowed, 3);
  slots.close();
});

t.test('while anyone waits, onWait is asked for idle sessions: on joining the line and on every tick', async (t) => {
  const slots = new SessionSlots<string>({ max: 1, tickMs: 10 });
  let calls = 0;
  slots.onWait = () => calls++;
  ask(slots);
  t.equal(calls, 0, 'not while a place is free');
  const w = ask(slots);
  t.equal(calls, 1);
  await new Promise((r) => setTimeout(r, 60));
  t.ok(calls >= 3, `ticks ask again (${calls} calls)`);
  slots.handOver('idle');
  await settle();
  t.equal(w.handed, 'idle');
  const after = calls;
  await new Promise((r) => setTimeout(r, 40));
  t.equal(calls, after, 'no ticks once the line is empty');
  slots.close();
});

t.test('close fails every waiting request and every later one', async (t) => {
  const slots = new SessionSlots({ max: 1 });
  ask(slots);
  const w = ask(slots);
  slots.close();
  await settle();
  t.equal((w.error as NodeJS.ErrnoException | undefined)?.code, 'ECONNABORTED');
  const later = ask(slots);
  await settle();
  t.equal((later.error as NodeJS.ErrnoException | undefined)?.code, 'ECONNABORTED');
});

t.test('property: sessions are granted in the order asked, never more than the limit, and every request is served', async (t) => {
  const op = fc.oneof(
    fc.constant({ kind: 'take' as const }),
    fc.constant({ kind: 'retry' as const }),
    fc.constant({ kind: 'give' as const }),
    fc.constant({ kind: 'hand' as const }),
    fc.constant({ kind: 'refused' as const }),
  );
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 60 }), async (max, ops) => {
      const slots = new SessionSlots<number>({ max, recoverMs: 60_000 });
      const granted: number[] = [];
      const atOnce = new Set<number>();
      /** The line as it should be: a retry joins at the front, any other request at the back. */
      const line: number[] = [];
      let seen = 0;
      let next = 0;
      const check = () => {
        for (; seen < granted.length; seen++) {
          const id = granted[seen]!;
          if (atOnce.has(id)) continue;
          const expected = line.shift();
          if (id !== expected) throw new Error(`served ${id}, expected ${expected}`);
        }
        if (slots.waiting !== line.length) throw new Error(`${slots.waiting} waiting, model ${line.length}`);
        if (slots.open > max) throw new Error(`${slots.open} open, limit ${max}`);
      };
      for (const o of ops) {
        if (o.kind === 'take' || o.kind === 'retry') {
          const id = next++;
          const first = o.kind === 'retry';
          if (slots.waiting === 0 && slots.open < slots.allowed) atOnce.add(id);
          else if (first) line.unshift(id);
          else line.push(id);
          void slots.take(FAR(), exhausted, first).then(() => granted.push(id));
        } else if (o.kind === 'give' && slots.open > 0) slots.give();
        else if (o.kind === 'hand') slots.handOver(0);
        else if (o.kind === 'refused' && slots.open > 0) slots.refused();
        await settle();
        check();
      }
      // Give everything back: the whole line is served, in its order.
      slots.reset();
      for (let i = 0; i < 200 && slots.waiting > 0; i++) {
        if (slots.open > 0) slots.give();
        await settle();
        check();
      }
      await settle();
      check();
      if (line.length > 0) throw new Error(`${line.length} never served`);
      slots.close();
    }),
    { numRuns: 300 },
  );
  t.pass('300 random sequences');
});
