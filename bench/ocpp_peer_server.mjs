// Peer for bench_ocpp: npm's ocpp-rpc RPCServer (not strict: validating
// every message would be unfair to it), answering BootNotification,
// Heartbeat and MeterValues for any identity. Prints its port.
import { RPCServer } from '../tests/ocpp/interop/node_modules/ocpp-rpc/index.js';

const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: false });
server.on('client', (client) => {
  client.handle('BootNotification', () => ({ status: 'Accepted', currentTime: new Date().toISOString(), interval: 60 }));
  client.handle('Heartbeat', () => ({ currentTime: new Date().toISOString() }));
  client.handle('MeterValues', () => ({}));
});
const http = await server.listen(0, '127.0.0.1');
console.log(http.address().port);
