// A station the test drives, written by nobody here: ocpp-rpc's RPCClient in
// strict mode, for the local-controller tests (fuseguard between it and a
// CSMS). Usage: node driven_station.mjs PORT IDENTITY PROTOCOL
// Prints every frame as it went over the wire (dir in/out, the exact text)
// and every CALL it answered; takes its own CALLs from stdin, one JSON
// object per line: {"call": METHOD, "params": {...}} -> a "result" or
// "error" line.
import { RPCClient } from 'ocpp-rpc';
import { createInterface } from 'node:readline';

const [port, identity, protocol] = process.argv.slice(2);
const v16 = protocol === 'ocpp1.6';
const say = (o) => console.log(JSON.stringify(o));

const client = new RPCClient({
  endpoint: `ws://127.0.0.1:${port}/ocpp`,
  identity,
  protocols: [protocol],
  strictMode: true,
  reconnect: false,
});
client.on('message', ({ message, outbound }) => say({ step: 'frame', dir: outbound ? 'out' : 'in', message: String(message) }));
client.on('strictValidationFailure', (e) => say({ step: 'schema', why: String(e.error?.message ?? e) }));
client.on('close', () => { say({ step: 'closed' }); process.exit(0); });

// Plain answers that satisfy the schemas; fuseguard's failsafe checks are
// not what these tests are about.
const answers = {
  GetConfiguration: ({ key }) => ({ configurationKey: [], unknownKey: key ?? [] }),
  GetVariables: ({ getVariableData }) => ({
    getVariableResult: getVariableData.map((d) => ({ attributeStatus: 'UnknownVariable', component: d.component, variable: d.variable })),
  }),
  SetVariables: ({ setVariableData }) => ({
    setVariableResult: setVariableData.map((d) => ({ attributeStatus: 'Accepted', component: d.component, variable: d.variable })),
  }),
  GetCompositeSchedule: () => ({ status: 'Rejected' }),
  UnlockConnector: () => ({ status: 'Unlocked' }),
};
client.handle(({ method, params }) => {
  say({ step: 'handled', method });
  return answers[method] ? answers[method](params) : { status: 'Accepted' };
});

createInterface({ input: process.stdin }).on('line', async (line) => {
  const cmd = JSON.parse(line);
  try {
    const result = await client.call(cmd.call, cmd.params, { callTimeoutMs: 30000 });
    say({ step: 'result', method: cmd.call, result });
  } catch (e) {
    say({ step: 'error', method: cmd.call, code: e.rpcErrorCode ?? null, why: String(e.message) });
  }
});

await client.connect();
say({ step: 'connected', protocol: client.protocol, v16 });
