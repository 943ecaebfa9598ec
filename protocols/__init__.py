"""Lab procedures on a bench: write-verify, reads, crossbar MVM, forming, I-V sweeps."""
