#!/usr/bin/python3
"""Peer for bench_modbus: pymodbus's synchronous client (Debian's
python3-pymodbus) reading 20 holding registers in a loop from the same
server, printing requests/s and median / 99th-percentile latency in us."""
import sys
import time

from pymodbus.client import ModbusTcpClient

port, count = int(sys.argv[1]), int(sys.argv[2])
client = ModbusTcpClient("127.0.0.1", port=port)
client.connect()
lat = []
start = time.perf_counter()
for _ in range(count):
    t0 = time.perf_counter()
    rr = client.read_holding_registers(0, 20, slave=1)
    lat.append(time.perf_counter() - t0)
    if rr.isError():
        sys.exit("error: %s" % rr)
total = time.perf_counter() - start
lat.sort()
print("%.0f %.1f %.1f" % (count / total, lat[len(lat) // 2] * 1e6, lat[int(len(lat) * 0.99)] * 1e6))
