// The operator's CSMS, written by nobody here: ocpp-rpc's RPCServer in strict
// mode, which checks every frame fuseguard relays or sends against the
// official OCPP 1.6 and 2.0.1 schemas, with basic auth checked in its auth
// callback. Usage: node csms.mjs PASSWORD|- [ANSWER_DELAY_MS [PORT [FIRST_TRANSACTION_ID]]]
// Prints one JSON line per event: listening (with its port), connected,
// every frame as it went over the wire (dir in/out, the exact text),
// refused. Commands come on stdin, one JSON object per line:
//   {"call": METHOD, "identity": ID, "params": {...}}  -> a "result" or "error" line
//   {"close": ID}                                     -> closes that station's link
//   {"raw": ID, "text": TEXT}                         -> sends TEXT as it is (bad input)
import { RPCServer, createRPCError } from 'ocpp-rpc';
import { createInterface } from 'node:readline';

const [password, delayArg, portArg, firstTxArg] = process.argv.slice(2);
const delay = Number(delayArg ?? 0);
const say = (o) => console.log(JSON.stringify(o));
const later = (value) => new Promise((resolve) => setTimeout(() => resolve(value), delay));

const server = new RPCServer({ protocols: ['ocpp1.6', 'ocpp2.0.1'], strictMode: true });
server.auth((accept, reject, handshake) => {
  const given = handshake.password?.toString('utf8');
  if (password !== '-' && given !== password) {
    say({ step: 'refused', identity: handshake.identity, password: given ?? null });
    return reject(401);
  }
  accept({});
});

const clients = new Map();
let nextTransaction = Number(firstTxArg ?? 4242);
const now = () => new Date().toISOString();

server.on('client', (client) => {
  const v16 = client.protocol === 'ocpp1.6';
  clients.set(client.identity, client);
  say({ step: 'connected', identity: client.identity, protocol: client.protocol });
  client.on('message', ({ message, outbound }) =>
    say({ step: 'frame', identity: client.identity, dir: outbound ? 'out' : 'in', message: String(message) }));
  client.on('strictValidationFailure', (e) => say({ step: 'schema', identity: client.identity, why: String(e.error?.message ?? e) }));
  client.on('close', () => say({ step: 'closed', identity: client.identity }));
  const accepted = (tag) => (tag.startsWith('BAD') ? 'Invalid' : 'Accepted');
  client.handle('BootNotification', () => later({ status: 'Accepted', currentTime: now(), interval: 300 }));
  client.handle('Heartbeat', () => later({ currentTime: now() }));
  client.handle('StatusNotification', () => later({}));
  client.handle('MeterValues', () => later({}));
  // A tag named SHORT... is accepted for 2 s only.
  const expiry = (tag) => (tag.startsWith('SHORT') ? new Date(Date.now() + 2000).toISOString() : undefined);
  client.handle('Authorize', ({ params }) => later(v16
    ? { idTagInfo: { status: accepted(params.idTag), expiryDate: expiry(params.idTag) } }
    : { idTokenInfo: { status: accepted(params.idToken.idToken), cacheExpiryDateTime: expiry(params.idToken.idToken) } }));
  client.handle('StartTransaction', ({ params }) =>
    later({ transactionId: nextTransaction++, idTagInfo: { status: accepted(params.idTag) } }));
  client.handle('StopTransaction', () => later({}));
  client.handle('TransactionEvent', () => later({}));
  client.handle('DataTransfer', ({ params }) => later({ status: 'Accepted', data: `csms saw ${params.data ?? ''}` }));
  client.handle('SecurityEventNotification', () => later({}));
  client.handle('NotifyEvent', () => later({}));
  client.handle('NotifyReport', () => later({}));
  client.handle('DiagnosticsStatusNotification', () => later({}));
  client.handle('FirmwareStatusNotification', () => later({}));
  client.handle(({ method }) => { throw createRPCError('NotImplemented', `${method} is not implemented here`); });
});

createInterface({ input: process.stdin }).on('line', async (line) => {
  let cmd;
  try { cmd = JSON.parse(line); } catch { return say({ step: 'bad-command', line }); }
  if (cmd.close) {
    await clients.get(cmd.close)?.close({ code: 1001, reason: 'test closes it' });
    return;
  }
  if (cmd.raw) {
    clients.get(cmd.raw)?.sendRaw(cmd.text);
    return;
  }
  const client = clients.get(cmd.identity);
  if (!client) return say({ step: 'error', method: cmd.call, why: 'not connected' });
  try {
    const result = await client.call(cmd.call, cmd.params, { callTimeoutMs: 15000 });
    say({ step: 'result', identity: cmd.identity, method: cmd.call, result });
  } catch (e) {
    say({ step: 'error', identity: cmd.identity, method: cmd.call, code: e.rpcErrorCode ?? null, why: String(e.message) });
  }
});

const http = await server.listen(Number(portArg ?? 0), '127.0.0.1');
say({ step: 'listening', port: http.address().port });
