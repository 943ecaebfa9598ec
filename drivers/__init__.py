"""Instrument drivers (SMUs, pulse generators, the FPGA link) and their transports."""
