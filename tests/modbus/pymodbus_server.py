#!/usr/bin/python3
"""An independent Modbus TCP server (pymodbus, from Debian) for interop tests.

Serves an Eastron SDM630-like register map on 127.0.0.1, on a free port
that it prints on its first line of output; runs until killed. The values
are fixed here and asserted by tests/modbus/test_interop.cpp.
"""
import asyncio
import struct

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server.async_io import ModbusTcpServer

CURRENTS = (12.5, 7.25, 30.0)
VOLTAGES = (230.1, 229.8, 231.4)
POWERS = (2876.0, 1666.0, 6942.0)


def put_float(regs, address, value):
    hi, lo = struct.unpack(">HH", struct.pack(">f", value))
    regs[address] = hi
    regs[address + 1] = lo


async def main():
    inputs = [0] * 64
    for i in range(3):
        put_float(inputs, 0x00 + 2 * i, VOLTAGES[i])
        put_float(inputs, 0x06 + 2 * i, CURRENTS[i])
        put_float(inputs, 0x0C + 2 * i, POWERS[i])
    store = ModbusSlaveContext(
        ir=ModbusSequentialDataBlock(0, inputs),
        hr=ModbusSequentialDataBlock(0, [0] * 64),
        zero_mode=True,
    )
    server = ModbusTcpServer(ModbusServerContext(slaves=store, single=True), address=("127.0.0.1", 0))
    task = asyncio.create_task(server.serve_forever())
    while server.server is None:
        await asyncio.sleep(0.01)
    print(server.server.sockets[0].getsockname()[1], flush=True)
    await task


asyncio.run(main())
