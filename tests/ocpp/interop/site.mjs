// Several OCPP 1.6 stations nobody at fuseguard wrote (ocpp-rpc in strict
// mode) playing one scenario against a running fuseguard, for the
// transition tests. Usage: node site.mjs PORT SCENARIO ID...
//
// Each station logs every limit it receives and answers. All of them live
// in this one process, so their events share one clock and one order, and
// the script counts the site from the stations' side (SPEC 1): a station may
// draw its capacity until its first limit, a limit it received at once, a
// lowering only from its answer.
//
// Scenarios (one JSON line per step on stdout; exits non-zero on failure),
// each ending when every station named as ID=amps holds that limit, answered:
//   reload   every station charges; once all hold the same share the first
//            one answers a second late and the script prints "await-reload"
//            (the test then lowers that station's cap and sends SIGHUP);
//            "done" carries the peak counted from there on.
//   plug-in  the first station charges, then goes Available, Preparing and
//            Charging within 50 ms; with "slow", it answers its 0 A a second
//            late and plugs in while that answer is on its way.
import { RPCClient } from 'ocpp-rpc';

const [port, scenario, ...rest] = process.argv.slice(2);
const targets = Object.fromEntries(rest.filter((a) => a.includes('=')).map((a) => a.split('=')).map(([k, v]) => [k, Number(v)]));
const ids = rest.filter((a) => !a.includes('=') && a !== 'slow');
const slow = rest.includes('slow');
const capacity = 32;
const say = (o) => console.log(JSON.stringify(o));
const fail = (why) => { say({ step: 'failed', why: String(why) }); process.exit(1); };
setTimeout(() => fail('timeout'), 40000).unref();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// What each station may draw, from its side.
const held = Object.fromEntries(ids.map((id) => [id, capacity]));
const pending = Object.fromEntries(ids.map((id) => [id, []]));
const last = Object.fromEntries(ids.map((id) => [id, { limit: null, answered: false }]));
let peak = 0;
let peakAt = '';
let counting = false;
function count(at) {
  let total = 0;
  for (const id of ids) total += Math.max(held[id], ...pending[id]);
  if (counting && total > peak) { peak = total; peakAt = at; }
}

const delays = {};
function station(id) {
  const client = new RPCClient({
    endpoint: `ws://127.0.0.1:${port}/ocpp`, identity: id, protocols: ['ocpp1.6'], strictMode: true, reconnect: false,
  });
  client.on('strictValidationFailure', (e) => fail(`${id} schema: ${e.error?.message ?? e.message ?? e}`));
  // One answer at a time, in order, as a station writing flash would.
  let queue = Promise.resolve();
  client.handle('SetChargingProfile', ({ params }) => {
    // The fallback layer and transactions' profiles are not the station limit.
    if (params.csChargingProfiles.chargingProfileId !== 1) return { status: 'Accepted' };
    const limit = params.csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit;
    pending[id].push(limit);
    last[id] = { limit, answered: false };
    say({ step: 'limit', station: id, limit });
    count(`receipt by ${id} of ${limit} A`);
    const answered = queue.then(() => sleep(delays[id] ?? 0)).then(() => {
      held[id] = limit;
      pending[id].splice(pending[id].indexOf(limit), 1);
      if (last[id].limit === limit) last[id].answered = true;
      count(`answer of ${id} to ${limit} A`);
      say({ step: 'answered', station: id, limit });
      return { status: 'Accepted' };
    });
    queue = answered;
    return answered;
  });
  // A station that says only what it samples: fuseguard keeps its own
  // assumptions about the smart charging limits.
  client.handle('GetConfiguration', ({ params }) => ({
    configurationKey: [{ key: 'MeterValuesSampledData', readonly: false, value: 'Energy.Active.Import.Register' }],
    unknownKey: (params.key ?? []).filter((k) => k !== 'MeterValuesSampledData'),
  }));
  client.handle(() => ({ status: 'Accepted' }));
  return client;
}

async function waitFor(what, pred, ms = 10000) {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) fail(`waited for ${what}: ${JSON.stringify(last)}`);
    await sleep(10);
  }
}
const holds = (id, amps) => last[id].limit === amps && last[id].answered && pending[id].length === 0;
const statusOf = (c, s) => c.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: s });

try {
  const clients = Object.fromEntries(ids.map((id) => [id, station(id)]));
  for (const id of ids) {
    await clients[id].connect();
    await clients[id].call('BootNotification', { chargePointVendor: 'Interop', chargePointModel: 'StrictRPC' });
  }
  if (scenario === 'reload') {
    for (const id of ids) await statusOf(clients[id], 'Charging');
    await waitFor('equal shares', () => last[ids[0]].limit > 0 && ids.every((id) => holds(id, last[ids[0]].limit)));
    delays[ids[0]] = 1000;
    counting = true;
    count('start');
    say({ step: 'await-reload', share: last[ids[0]].limit });
    await waitFor('targets', () => Object.entries(targets).every(([id, a]) => holds(id, a)), 15000);
  } else if (scenario === 'plug-in') {
    const c = clients[ids[0]];
    await statusOf(c, 'Charging');
    await waitFor('first limit', () => holds(ids[0], targets[ids[0]]));
    if (slow) {
      delays[ids[0]] = 1000;
      await statusOf(c, 'Available');
      await waitFor('the 0 A', () => last[ids[0]].limit === 0);
    } else {
      statusOf(c, 'Available');
    }
    // The driver plugs in at once; the car reports a draw while preparing.
    statusOf(c, 'Preparing');
    c.call('MeterValues', { connectorId: 1, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [
      { value: '0.0', measurand: 'Current.Import', phase: 'L1', unit: 'A' }] }] });
    await statusOf(c, 'Charging');
    await waitFor('target after plug-in', () => holds(ids[0], targets[ids[0]]), 8000);
  } else {
    fail(`unknown scenario ${scenario}`);
  }
  say({ step: 'done', peak, at: peakAt });
  for (const id of ids) await clients[id].close();
  process.exit(0);
} catch (e) {
  fail(e?.message ?? e);
}
