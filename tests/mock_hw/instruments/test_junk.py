"""The emulators under junk: binary bytes, NULs, garbled headers and over-long lines.

Junk ends in the error queue with the instrument's code and never as an exception out of
``handle``, so the line server's last-resort guard (which logs and queues -300) is never
reached; an over-long line is cut off with -363 while the other instruments keep answering.
"""

from __future__ import annotations

import logging
import random
import socket
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_hw import DeviceModel, Route, RRAMArray, SimulatedBench
from mock_hw.instruments import (
    Keithley2400Emulator,
    Keithley2600BEmulator,
    Keysight33500BEmulator,
    LineServer,
)
from mock_hw.instruments.base import LineEmulator

SCPI_LINES = ["*IDN?", "*RST", "*CLS", "*ESE 60", "*ESR?", "*STB?", "*SRE 4", "*TST?", "*OPC",
              "*OPC?", ":SYST:ERR?", ":SYST:ERR:COUN?", ":SOUR:VOLT 0.2", ":OUTP ON", ":READ?",
              ":MEAS?", ":INIT;:FETC?", ":SENS:CURR:PROT 1e-3", ":FORM:ELEM CURR,STAT",
              ':SENS:FUNC "CURR"', "FUNC PULS;:FUNC:PULS:PER 1;:FUNC:PULS:WIDT 0.5",
              "BURS:MODE TRIG;:BURS:NCYC 2;:BURS:STAT ON;:TRIG:SOUR BUS", "VOLT:HIGH 4", "*TRG"]
TSP_LINES = ["*IDN?", "*CLS", "*ESR?", "*STB?", "*ESE 16", "reset()", "errorqueue.clear()",
             "smua.source.levelv = 0.2", "smua.source.output = smua.OUTPUT_ON",
             "smua.source.output = smua.OUTPUT_ON; print(smua.measure.i())",
             "print(smua.measure.iv())", "smua.source.levelv = 20", "smua.source.limiti = 1e-3",
             "print(errorqueue.count)", "print(errorqueue.next())",
             "smua.source.func = smua.OUTPUT_DCAMPS", 'print("x", smua.source.limiti)']
EMULATORS = {"2400": (Keithley2400Emulator, SCPI_LINES), "33500B": (Keysight33500BEmulator,
                                                                  SCPI_LINES),
             "2600B": (Keithley2600BEmulator, TSP_LINES)}
CHARACTERS = [chr(c) for c in range(0x20, 0x7F)]


def make(name: str, bench: SimulatedBench | None = None) -> LineEmulator:
    """Emulator ``name`` on ``bench``; the pulse generator's cell is routed to it."""
    if bench is None:
        model = DeviceModel(rows=2, cols=2, formed_at_start=True,
                            stuck_lrs_fraction=0, stuck_hrs_fraction=0)
        bench = SimulatedBench(RRAMArray(model, seed=3))
        bench.select([0])
        bench.gate[0, 0] = 1.5
    bench.bl_route[0, 0] = Route.PULSE if name == "33500B" else Route.SMU
    return EMULATORS[name][0](bench)


def junk(rng: random.Random, lines: list[str], input_buffer: int) -> bytes:
    """One line of junk, without its newline: random bytes, NULs, long garbage, or an
    almost-valid command (characters inserted, dropped or replaced, bytes of any value)."""
    kind = rng.random()
    if kind < 0.25:
        return bytes(rng.choice(range(256)) for _ in range(rng.randrange(1, 40))).replace(
            b"\n", b"\r")
    if kind < 0.35:
        return b"\x00" * rng.randrange(1, 4) + rng.choice(lines).encode()
    if kind < 0.355:
        return "".join(rng.choices(CHARACTERS, k=rng.randrange(100, 2 * input_buffer))).encode()
    text = bytearray(rng.choice(lines).encode())
    for _ in range(rng.randrange(1, 4)):
        at = rng.randrange(len(text) + 1)
        byte = rng.choice([rng.randrange(256), ord(rng.choice(CHARACTERS))])
        edit = rng.choice(("insert", "drop", "replace"))
        if edit == "insert" or not text:
            text.insert(at, byte)
        elif edit == "drop":
            del text[min(at, len(text) - 1)]
        else:
            text[min(at, len(text) - 1)] = byte
    return bytes(text).replace(b"\n", b"\r")


def exchange(address: tuple[str, int], payload: bytes) -> list[str]:
    """Send ``payload`` pipelined, end the connection, return every reply line received."""
    with socket.create_connection(address, timeout=30) as client:
        def send() -> None:
            client.sendall(payload)
            client.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=send)
        sender.start()
        received = bytearray()
        while chunk := client.recv(65536):
            received += chunk
        sender.join()
    return received.decode("ascii", errors="replace").split("\n")[:-1]


@pytest.mark.parametrize("name", EMULATORS)
def test_ten_thousand_junk_lines_through_the_server_are_queued_errors(name, caplog):
    emulator = make(name)
    rng = random.Random(f"junk-{name}")
    lines = [junk(rng, EMULATORS[name][1], emulator.input_buffer) for _ in range(10_000)]
    tsp = name == "2600B"
    count, errors = ("print(errorqueue.count)", "print(errorqueue.next())") if tsp else (
        ":SYST:ERR:COUN?", ":SYST:ERR?")
    payload = b"\n".join([*lines, count.encode(), b"*ESR?", b"*IDN?", b""])
    with caplog.at_level(logging.DEBUG, logger="mock_hw.server"), LineServer(emulator) as server:
        *_, queued, event, identity = exchange(server.address, payload)
        first = exchange(server.address, f"{errors}\n".encode() * 3)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []
    assert identity == emulator.identity
    assert float(queued) == emulator.queue_capacity  # full, and ending in -350
    assert int(event) & (16 if tsp else 32)  # EXE for TSP errors, CME for SCPI junk
    codes = [round(float(entry.replace("\t", ",").split(",")[0])) for entry in first]
    expected = {-285, -286} if tsp else {-101, -102, -112, -113}
    assert expected & set(codes), first


def junk_lines(commands: list[str]) -> st.SearchStrategy[list[str]]:
    """Lists of lines: the instrument's commands, text, bytes, and commands with junk inside."""
    line = st.one_of(
        st.sampled_from(commands),
        st.text(max_size=60),
        st.binary(max_size=60).map(lambda raw: raw.decode("ascii", errors="replace")),
        st.tuples(st.sampled_from(commands), st.text(min_size=1, max_size=3),
                  st.integers(0, 40)).map(lambda t: t[0][:t[2]] + t[1] + t[0][t[2]:]),
    )
    return st.lists(line, min_size=1, max_size=6)


@pytest.mark.parametrize("name", EMULATORS)
@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(data=st.data())
def test_handle_raises_for_no_input(name, data):
    emulator = make(name)
    for line in data.draw(junk_lines(EMULATORS[name][1])):
        reply = emulator.handle(line)
        assert reply is None or isinstance(reply, str)
    assert emulator.handle("*IDN?") == emulator.identity


@pytest.mark.parametrize("name", ["2400", "33500B"])
@pytest.mark.parametrize(("line", "code"), [
    ("\x00*IDN?", -101), ("*IDN\x7f?", -101), ("*IDN?\ufffd", -101), (":OUTP ON\x01", -101),
    ("OU&TP ON", -101), (":OUTP,1", -101), ("OUTP::STAT ON", -102), (":OUT?P ON", -102),
    ("1OUTP ON", -102), ("**IDN?", -102), (":", -102), ("?", -102),
    (":OUTPUTSTATEONE ON", -112), (":OU1TP ON", -113), (":OUTP-1 ON", -101),
    (":SOUR:VOLT nan", -104), (":SOUR:VOLT inf", -104), (":SOUR:VOLT 1_0", -104),
])
def test_scpi_junk_queues_the_command_error(bench, read_errors, name, line, code):
    emulator = make(name, bench)
    assert emulator.handle(f"*CLS;:OUTP ON;{line};:OUTP OFF") is None
    assert emulator.handle(":OUTP?") == "1"  # what precedes the error ran, what follows not
    assert [c for c, _ in read_errors(emulator)] == [code]


def test_tsp_junk_is_a_syntax_error_and_nothing_of_its_line_runs(bench, read_errors):
    smu = Keithley2600BEmulator(bench)
    assert smu.handle("print(1); smua.source.levelv = 0.5\x00") is None
    assert smu.handle("\xffprint(1)") is None
    smu.handle("smua.source.levelv = nan")
    assert smu.handle("print(smua.source.levelv)") == "0.00000e+00"
    assert [(c, m.split(": ")[1]) for c, m in read_errors(smu)] == [
        (-285, "unexpected symbol near `char(0)'"), (-285, "unexpected symbol near `char(255)'"),
        (-286, "attempt to index global 'nan' (a nil value)")]


def test_what_the_simulated_chip_refuses_is_a_device_error(bench, read_errors):
    smu = Keithley2400Emulator(bench)
    assert smu.handle(":MEAS?").startswith("+0.000000E+00,+0.000000E+00,")  # 0 V reads 0 A
    assert smu.handle(":SOUR:VOLT 10;:READ?") is None
    tsp = Keithley2600BEmulator(bench)
    assert tsp.handle("smua.source.levelv = 10; smua.source.output = 1; "
                      "print(smua.measure.i())") is None
    bench.bl_route[0, 0] = Route.PULSE
    gen = Keysight33500BEmulator(bench)
    gen.handle("FUNC PULS;:FUNC:PULS:PER 1;:FUNC:PULS:WIDT 0.5;:VOLT:HIGH 2;:VOLT:LOW 0")
    gen.handle("BURS:MODE TRIG;:BURS:STAT ON;:TRIG:SOUR BUS;:OUTP ON;*TRG")
    assert gen.pulses_fired == 0
    for emulator, reason in ((smu, "v_read=10.0"), (tsp, "v_read=10.0"), (gen, "width=0.5")):
        (code, message), = read_errors(emulator)
        assert (code, message.split(" is ")[0]) == (-300, f"Device-specific error;{reason}")


class _Broken(Keithley2400Emulator):
    """A 2400 with a bug: the line CRASH raises out of ``handle``."""

    def execute(self, line: str) -> str | None:
        if line == "CRASH":
            raise RuntimeError("emulator bug")
        return super().execute(line)


def test_the_server_guard_logs_and_queues_a_device_error(bench, caplog):
    with caplog.at_level(logging.ERROR, logger="mock_hw.server"), \
            LineServer(_Broken(bench)) as server:
        replies = exchange(server.address, b"CRASH\n*IDN?\n:SYST:ERR?\n:SYST:ERR?\n")
    assert replies[1:] == ['-300,"Device-specific error"', '0,"No error"']
    assert [r.exc_info[0] for r in caplog.records] == [RuntimeError]  # type: ignore[index]


@pytest.mark.parametrize("name", EMULATORS)
def test_a_line_over_the_input_buffer_is_dropped_with_363(read_errors, name):
    emulator = make(name)
    tsp = name == "2600B"
    command = "smua.source.levelv = 0.2;" if tsp else ":SOUR:VOLT 0.2;"
    fits = command + " " * (emulator.input_buffer - len(command))
    query = "print(smua.source.levelv)" if tsp else ":SOUR:VOLT?"
    assert emulator.handle(fits + " ") is None
    before = emulator.handle(query)
    assert emulator.handle(fits) is None
    assert emulator.handle(query) != before
    assert [code for code, _ in read_errors(emulator)] == [-363]


def test_an_endless_line_is_cut_off_while_the_other_instrument_answers(bench, read_errors):
    lock = threading.RLock()
    smu = Keithley2400Emulator(bench, lock=lock)
    pulse = Keysight33500BEmulator(bench, lock=lock)
    with LineServer(smu, name="smu") as smu_server, LineServer(pulse, name="pulse") as other, \
            socket.create_connection(smu_server.address, timeout=10) as streamer, \
            socket.create_connection(other.address, timeout=10) as client:
        replies = client.makefile("rb")
        streamer.sendall(b":SOUR:VOLT 0.1;" + b" " * smu.input_buffer)
        for _ in range(16):  # 16 MiB of one line, and the pulse generator answers meanwhile
            streamer.sendall(b"X" * (1 << 20))
            client.sendall(b"*IDN?\n")
            assert replies.readline().decode().rstrip("\n") == pulse.identity
        streamer.sendall(b"\n*IDN?\n:SOUR:VOLT?\n")
        smu_replies = streamer.makefile("rb")
        assert [smu_replies.readline().decode().rstrip("\n") for _ in range(2)] == [
            smu.identity, "+0.000000E+00"]  # the line cut off did not run
    assert read_errors(smu) == [(-363, "Input buffer overrun")]
    assert read_errors(pulse) == []
