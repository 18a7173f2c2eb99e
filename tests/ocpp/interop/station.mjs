// An OCPP station that nobody at fuseguard wrote: ocpp-rpc's RPCClient in
// strict mode, which checks every message against the official OCPP JSON
// schemas, ours included. Usage: node station.mjs PORT IDENTITY PROTOCOL
// Prints one JSON line per step; exits non-zero on any failure.
import { RPCClient } from 'ocpp-rpc';

const [port, identity, protocol] = process.argv.slice(2);
const say = (o) => console.log(JSON.stringify(o));
const fail = (why) => { say({ step: 'failed', why: String(why) }); process.exit(1); };
setTimeout(() => fail('timeout'), 20000).unref();

const client = new RPCClient({
  endpoint: `ws://127.0.0.1:${port}/ocpp`,
  identity,
  protocols: [protocol],
  strictMode: true,
  reconnect: false,
});
client.on('strictValidationFailure', (e) => fail(`schema: ${e.error?.message ?? e.message ?? e}`));

let limit = null;
let fallback = null;
let txProfile = false;  // 2.0.1: its transaction runs on, and gets a profile of its own
client.handle('SetChargingProfile', ({ params }) => {
  const profile = protocol === 'ocpp1.6' ? params.csChargingProfiles : params.chargingProfile;
  const schedule = protocol === 'ocpp1.6' ? profile.chargingSchedule : profile.chargingSchedule[0];
  const id = protocol === 'ocpp1.6' ? profile.chargingProfileId : profile.id;
  const first = schedule.chargingSchedulePeriod[0].limit;
  // Id 1 is the station limit; the fallback layer and the transactions'
  // profiles come beside it.
  if (id === 1) limit = first;
  if (profile.chargingProfilePurpose === 'TxDefaultProfile') fallback = first;
  if (profile.chargingProfilePurpose === 'TxProfile') txProfile = true;
  say({ step: id === 1 ? 'limit' : 'profile', limit: first, purpose: profile.chargingProfilePurpose,
    kind: profile.chargingProfileKind, periods: schedule.chargingSchedulePeriod.length });
  return { status: 'Accepted' };
});
// What the station samples before fuseguard configures it: fuseguard must add
// to it, not replace it (the energy register is what the operator bills from).
const sampled = 'Energy.Active.Import.Register,Voltage';
client.handle('GetConfiguration', ({ params }) => {
  say({ step: 'get-config', keys: params.key });
  const known = {
    MeterValuesSampledData: sampled,
    ChargeProfileMaxStackLevel: '3',
    ChargingScheduleMaxPeriods: '5',
    ChargingScheduleAllowedChargingRateUnit: 'Current',
  };
  const keys = params.key ?? Object.keys(known);
  return {
    configurationKey: keys.filter((k) => k in known).map((k) => ({ key: k, readonly: false, value: known[k] })),
    unknownKey: keys.filter((k) => !(k in known)),
  };
});
client.handle('GetVariables', ({ params }) => {
  const known = { TxUpdatedMeasurands: sampled, ProfileStackLevel: '3', PeriodsPerSchedule: '5', RateUnit: 'A' };
  say({ step: 'get-config', keys: params.getVariableData.map((d) => d.variable.name) });
  return {
    getVariableResult: params.getVariableData.map((d) => (d.variable.name in known
      ? { attributeStatus: 'Accepted', attributeValue: known[d.variable.name], component: d.component, variable: d.variable }
      : { attributeStatus: 'UnknownVariable', component: d.component, variable: d.variable })),
  };
});
client.handle('ChangeConfiguration', ({ params }) => {
  say({ step: 'config', key: params.key, value: params.value });
  return { status: 'Accepted' };
});
client.handle('SetVariables', ({ params }) => {
  for (const d of params.setVariableData) say({ step: 'config', key: d.variable.name, value: d.attributeValue });
  return { setVariableResult: params.setVariableData.map((d) => ({ attributeStatus: 'Accepted', component: d.component, variable: d.variable })) };
});
client.handle('TriggerMessage', ({ params }) => {
  say({ step: 'trigger', requestedMessage: params.requestedMessage });
  return { status: 'Accepted' };
});
client.handle('Reset', ({ params }) => { say({ step: 'reset', type: params.type }); return { status: 'Accepted' }; });
client.handle('UnlockConnector', () => {
  say({ step: 'unlock' });
  return { status: protocol === 'ocpp1.6' ? 'Unlocked' : 'Unlocked' };
});
client.handle('ClearChargingProfile', () => ({ status: 'Accepted' }));
// Its composite: the fallback layer alone (no engine here; the schemas are
// what this station checks).
client.handle('GetCompositeSchedule', ({ params }) => {
  say({ step: 'composite', duration: params.duration, unit: params.chargingRateUnit });
  const schedule = { duration: params.duration, chargingRateUnit: 'A',
    chargingSchedulePeriod: [{ startPeriod: 0, limit: fallback ?? 0 }] };
  const start = new Date().toISOString();
  if (protocol === 'ocpp1.6')
    return { status: 'Accepted', connectorId: params.connectorId, scheduleStart: start, chargingSchedule: schedule };
  return { status: 'Accepted', schedule: { evseId: params.evseId, scheduleStart: start, ...schedule } };
});
client.handle(({ method }) => { say({ step: 'unhandled', method }); return {}; });

try {
  await client.connect();
  say({ step: 'connected', protocol: client.protocol });
  if (protocol === 'ocpp1.6') {
    const boot = await client.call('BootNotification', { chargePointVendor: 'Interop', chargePointModel: 'StrictRPC' });
    say({ step: 'boot', status: boot.status, interval: boot.interval });
    await client.call('StatusNotification', { connectorId: 1, errorCode: 'GroundFailure', status: 'Charging', vendorErrorCode: 'CX014' });
    say({ step: 'status' });
    await client.call('MeterValues', {
      connectorId: 1,
      meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [
        { value: '12.5', measurand: 'Current.Import', phase: 'L1', unit: 'A' },
        { value: '12.0', measurand: 'Current.Import', phase: 'L2', unit: 'A' },
        { value: '11.5', measurand: 'Current.Import', phase: 'L3', unit: 'A' },
      ] }],
    });
    say({ step: 'meter' });
    const hb = await client.call('Heartbeat', {});
    say({ step: 'heartbeat', currentTime: hb.currentTime });
    const auth = await client.call('Authorize', { idTag: 'TAG1' });
    say({ step: 'authorize', status: auth.idTagInfo.status });
    const start = await client.call('StartTransaction', { connectorId: 1, idTag: 'TAG1', meterStart: 0, timestamp: new Date().toISOString() });
    say({ step: 'start', transactionId: start.transactionId });
    await client.call('StopTransaction', { transactionId: start.transactionId, meterStop: 1000, timestamp: new Date().toISOString(), reason: 'EVDisconnected' });
    say({ step: 'stop' });
    const dt = await client.call('DataTransfer', { vendorId: 'org.example', messageId: 'hello', data: 'x' });
    say({ step: 'datatransfer', status: dt.status });
    await client.call('SecurityEventNotification', { type: 'TamperDetectionActivated', timestamp: new Date().toISOString(), techInfo: 'door' });
    await client.call('DiagnosticsStatusNotification', { status: 'Idle' });
    await client.call('FirmwareStatusNotification', { status: 'Installed' });
    say({ step: 'notifications' });
  } else {
    const boot = await client.call('BootNotification', { reason: 'PowerUp', chargingStation: { model: 'StrictRPC', vendorName: 'Interop' } });
    say({ step: 'boot', status: boot.status, interval: boot.interval });
    await client.call('StatusNotification', { timestamp: new Date().toISOString(), connectorStatus: 'Occupied', evseId: 1, connectorId: 1 });
    say({ step: 'status' });
    const hb = await client.call('Heartbeat', {});
    say({ step: 'heartbeat', currentTime: hb.currentTime });
    const now = new Date().toISOString();
    await client.call('NotifyEvent', { generatedAt: now, seqNo: 0, eventData: [{
      eventId: 1, timestamp: now, trigger: 'Alerting', actualValue: 'true', techCode: 'CX014',
      techInfo: 'ground fault', eventNotificationType: 'HardWiredNotification',
      component: { name: 'EVSE', evse: { id: 1 } }, variable: { name: 'Problem' } }] });
    say({ step: 'notifyevent' });
    const meter = [{ timestamp: now, sampledValue: [
      { value: 14.5, measurand: 'Current.Import', phase: 'L1' },
      { value: 14.0, measurand: 'Current.Import', phase: 'L2' },
      { value: 13.5, measurand: 'Current.Import', phase: 'L3' }] }];
    await client.call('TransactionEvent', { eventType: 'Started', timestamp: now, triggerReason: 'CablePluggedIn', seqNo: 0,
      transactionInfo: { transactionId: 'tx-1', chargingState: 'Charging' }, evse: { id: 1, connectorId: 1 }, meterValue: meter });
    await client.call('MeterValues', { evseId: 1, meterValue: meter });
    await client.call('SecurityEventNotification', { type: 'FirmwareUpdated', timestamp: now });
    const a = await client.call('Authorize', { idToken: { idToken: 'TAG1', type: 'ISO14443' } });
    await client.call('NotifyReport', { requestId: 1, generatedAt: now, seqNo: 0 });
    say({ step: 'v201-extra', authorize: a.idTokenInfo.status });
  }
  say({ step: 'ready' });
  // Wait for the limit the test asks the server to send (and in 2.0.1 the
  // running transaction's profile), then leave.
  const wait = setInterval(async () => {
    if (limit === null || (protocol !== 'ocpp1.6' && !txProfile)) return;
    clearInterval(wait);
    await client.close();
    say({ step: 'done' });
    process.exit(0);
  }, 20);
} catch (e) {
  fail(e?.message ?? e);
}
