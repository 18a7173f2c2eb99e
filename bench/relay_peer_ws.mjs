// Peer for bench_ocpp's local-controller figures: about the smallest OCPP
// relay one can build, on npm's ws. Each station's websocket gets one to the
// CSMS with the same identity and subprotocol, and frames are piped both ways
// unchanged: nothing parsed, nothing answered, no load management.
// Usage: node relay_peer_ws.mjs CSMS_PORT. Prints its port.
import WebSocket, { WebSocketServer } from '../tests/ocpp/interop/node_modules/ws/wrapper.mjs';

const [csmsPort] = process.argv.slice(2);
const server = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  handleProtocols: (protocols) => (protocols.has('ocpp1.6') ? 'ocpp1.6' : false),
});
server.on('connection', (station, request) => {
  const identity = request.url.split('/').pop();
  const csms = new WebSocket(`ws://127.0.0.1:${csmsPort}/ocpp/${identity}`, [station.protocol]);
  const waiting = [];
  csms.on('open', () => waiting.splice(0).forEach((m) => csms.send(m.data, { binary: m.isBinary })));
  station.on('message', (data, isBinary) => {
    if (csms.readyState === WebSocket.OPEN) csms.send(data, { binary: isBinary });
    else waiting.push({ data, isBinary });
  });
  csms.on('message', (data, isBinary) => station.send(data, { binary: isBinary }));
  station.on('close', () => csms.close());
  csms.on('close', () => station.close());
  csms.on('error', () => station.close());
});
server.on('listening', () => console.log(server.address().port));
