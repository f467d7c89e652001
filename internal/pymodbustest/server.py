"""Serves a register image with Debian's pymodbus 3.0 for GreenPulse tests.

Started by internal/pymodbustest with /usr/bin/python3 and one argument, the
path of a JSON configuration:

  {"mode": "tcp", "host": "127.0.0.1", "port": 0,
   "device": "", "baud": 9600, "bytesize": 8, "parity": "N", "stopbits": 1,
   "units": {"1": {"holding": {"0": 17}, "input": {}, "delay": 0.0}}}

pymodbus's own server command needs prompt_toolkit, which Debian does not
pull in, so this script builds the server from pymodbus's classes.

It prints "ready tcp PORT" or "ready rtu DEVICE" on stdout once it serves,
then reads one JSON command a line on stdin and answers each with "ok" or
"error MESSAGE" on stdout:

  {"op": "set", "unit": 1, "table": "holding", "addr": 0, "words": [1, 2]}
  {"op": "delay", "unit": 1, "seconds": 2.5}

It exits when stdin closes, so it cannot outlive the harness. Exit status 3
means a module is missing, 4 a pymodbus other than 3.0, 5 that the TCP port
is taken; logs go to stderr.
"""

import asyncio
import errno
import json
import logging
import os
import sys
import threading

try:
    import pymodbus
    from pymodbus.datastore import (
        ModbusServerContext,
        ModbusSlaveContext,
        ModbusSparseDataBlock,
    )
    from pymodbus.server.async_io import (
        ModbusConnectedRequestHandler,
        ModbusSerialServer,
        ModbusSingleRequestHandler,
        ModbusTcpServer,
    )
    from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer
except ImportError as exc:
    # pymodbus.server imports serial and serial_asyncio at the top, which
    # Debian's python3-pymodbus only recommends.
    print(f"pymodbustest: {exc} (apt-get install python3-pymodbus python3-serial-asyncio)",
          file=sys.stderr)
    sys.exit(3)

if not pymodbus.__version__.startswith("3.0."):
    print(f"pymodbustest: this script is written for pymodbus 3.0 (Debian 12), found {pymodbus.__version__}",
          file=sys.stderr)
    sys.exit(4)

# Function codes by table name: ModbusSlaveContext maps 3 to holding
# registers ("h") and 4 to input registers ("i").
FUNCTION = {"holding": 3, "input": 4}


def registers(words):
    """Return a sparse block holding exactly the given addresses.

    A read that touches any other address gets exception 2, illegal data
    address, as from a device that has no such register.
    """
    return ModbusSparseDataBlock({int(a): int(v) for a, v in words.items()})


class Delayed:
    """Answers requests to a delayed unit that many seconds late.

    The request is executed when the delay is over, so it reads the
    registers as they are then. Other units and commands go on meanwhile.
    """

    delays = {}

    def execute(self, request, *addr):
        answer = super().execute
        delay = self.delays.get(request.unit_id, 0)
        if delay <= 0:
            answer(request, *addr)
            return

        def late():
            if self.running:  # the client may have hung up meanwhile
                answer(request, *addr)

        asyncio.get_running_loop().call_later(delay, late)


class TcpHandler(Delayed, ModbusConnectedRequestHandler):
    pass


class SerialHandler(Delayed, ModbusSingleRequestHandler):
    pass


def reply(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def apply(context, cmd):
    """Apply one control command; runs on the event loop's thread."""
    unit = int(cmd["unit"])
    if unit not in context.slaves():
        raise ValueError(f"unit {unit} is not in the image")
    if cmd["op"] == "set":
        words = [int(w) for w in cmd["words"]]
        if any(w < 0 or w > 0xFFFF for w in words):
            raise ValueError(f"words {words} do not all fit in 16 bits")
        fc = FUNCTION.get(cmd["table"])
        if fc is None:
            raise ValueError(f"unknown table {cmd['table']!r}")
        context[unit].setValues(fc, int(cmd["addr"]), words)
    elif cmd["op"] == "delay":
        Delayed.delays[unit] = float(cmd["seconds"])
    else:
        raise ValueError(f"unknown op {cmd['op']!r}")


def control(loop, context):
    """Read commands from stdin until it closes, then end the process."""
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            cmd = json.loads(line)
            done = threading.Event()
            failure = []

            def run():
                try:
                    apply(context, cmd)
                except Exception as exc:  # reported to the harness
                    failure.append(exc)
                done.set()

            loop.call_soon_threadsafe(run)
            if not done.wait(5):
                raise TimeoutError("the event loop did not run the command within 5 s")
            if failure:
                raise failure[0]
            reply("ok")
        except Exception as exc:
            reply(f"error {exc}".replace("\n", " "))
    # The harness closed stdin or died: do not outlive it.
    os._exit(0)


async def serve(conf):
    slaves = {}
    for unit, image in conf["units"].items():
        Delayed.delays[int(unit)] = float(image.get("delay", 0))
        slaves[int(unit)] = ModbusSlaveContext(
            di=ModbusSparseDataBlock(),
            co=ModbusSparseDataBlock(),
            hr=registers(image.get("holding", {})),
            ir=registers(image.get("input", {})),
            # Without zero_mode, pymodbus 3.0 adds one to every wire address
            # (it takes them as 1-based register numbers): reading address 0
            # would return the word stored at 1.
            zero_mode=True,
        )
    # single=False: each unit id answers with its own registers. pymodbus
    # 3.0's framers drop a request for a unit that is not here without any
    # answer, over TCP and RTU alike, unless unit 0 or 255 is here: then
    # every unit passes the framer, and a missing one gets exception 0x0B
    # (gateway target device failed to respond).
    context = ModbusServerContext(slaves=slaves, single=False)
    loop = asyncio.get_running_loop()

    if conf["mode"] == "tcp":
        server = ModbusTcpServer(
            context,
            framer=ModbusSocketFramer,
            address=(conf["host"], int(conf["port"])),
            handler=TcpHandler,
            # pymodbus passes False to asyncio unless told; a restart on the
            # same port needs it while old connections are in TIME_WAIT.
            allow_reuse_address=True,
        )
        task = asyncio.create_task(server.serve_forever())
        serving = asyncio.ensure_future(server.serving)
        await asyncio.wait({task, serving}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # raises the bind error
            raise RuntimeError("the TCP server ended before serving")
        port = server.server.sockets[0].getsockname()[1]
        ready = f"ready tcp {port}"
    else:
        server = ModbusSerialServer(
            context,
            framer=ModbusRtuFramer,
            handler=SerialHandler,
            port=conf["device"],
            baudrate=int(conf["baud"]),
            bytesize=int(conf["bytesize"]),
            parity=conf["parity"],
            stopbits=int(conf["stopbits"]),
        )
        await server.start()
        if server.transport is None:  # start() logs some failures and goes on
            raise RuntimeError(f"could not open serial device {conf['device']}")
        task = asyncio.create_task(server.serve_forever())
        ready = f"ready rtu {conf['device']}"

    threading.Thread(target=control, args=(loop, context), daemon=True).start()
    reply(ready)
    await task


def main():
    level = logging.DEBUG if os.environ.get("PYMODBUSTEST_DEBUG") else logging.WARNING
    logging.basicConfig(stream=sys.stderr, level=level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with open(sys.argv[1], encoding="utf-8") as f:
        conf = json.load(f)
    try:
        asyncio.run(serve(conf))
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        print(f"pymodbustest: {exc}", file=sys.stderr)
        sys.exit(5)


if __name__ == "__main__":
    main()
